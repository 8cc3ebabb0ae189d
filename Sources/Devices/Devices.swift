// Device models of a standard PC (issue 4): the pieces shared by every device.
//
// Each device is a plain final class driven only through its registers:
//   * port devices have `read(port:size:)` / `write(port:size:value:)` (absolute I/O port, size 1, 2 or 4;
//     ports a device does not decode read as all ones and ignore writes, like an undriven ISA bus);
//   * clocked devices have `nextEventCycle` and `advance(to:)`, where time is the CPU's cycle counter;
//   * interrupt requests go out through an `InterruptLine` (the PIC pair implements it).
// The Devices module deliberately knows nothing about the CPU (`Machine`): the integration layer adds the
// conformances to the machine's bus protocols.
//
// Wiring a standard PC (what the integration layer is expected to do):
//
//   let pic = PIC8259Pair()                                           // ports 0x20-0x21, 0xA0-0xA1
//   let pit = PIT8254(cyclesPerSecond: hz, interruptLine: pic)        // 0x40-0x43, 0x61; IRQ 0
//   let rtc = CMOS(cyclesPerSecond: hz, interruptLine: pic)           // 0x70-0x71; IRQ 8
//   let kbc = I8042(interruptLine: pic, onReset: { ... })             // 0x60, 0x64; IRQ 1
//   let com1 = UART16550(interruptLine: pic, output: { ... })        // 0x3F8-0x3FF; IRQ 4
//   let com2 = UART16550(base: 0x2F8, irq: 3, interruptLine: pic)     // 0x2F8-0x2FF; IRQ 3
//   let vga = VGATextDevice()                                         // 0xB8000 (`memory`), 0x3B4-0x3DA
//   let exit = DebugExit(onExit: { ... }), post = PostCodePort(), pm = ACPIPowerOff(onPowerOff: { ... })
//
// Every port device lists the ports it decodes in `portRanges`. A device splits a 2- or 4-byte access into
// byte accesses to consecutive ports the way the ISA bus does for 8-bit cards (so `out dx, ax` to 0x3D4 sets
// a CRTC index and its value); a bus that already splits wide accesses may pass them either way.
//
// Time: clocked devices (PIT8254, CMOS) only know the cycle they were last advanced to. The machine must
// call `advance(to: cycles)` when the clock passes `nextEventCycle` (that is when their interrupts are
// raised) and before delivering a port access to them (Machine's PortBus does both for a device added
// with `addClockedDevice`). When the CPU halts with IF = 1, jumping the clock to the minimum
// `nextEventCycle` of all clocked devices is exact.
//
// The devices are not thread-safe: drive them from the machine's thread (a window thread should take
// `VGATextDevice.screen()` snapshots under the same lock, or from the machine thread between slices).
// On a machine reset (i8042 pulse, triple fault with --reboot), call every device's `reset()` (or make new
// instances): each returns to its power-on state, the i8042 configuration byte and the VGA registers as a
// BIOS leaves them since the kernel is booted without one; the RTC keeps its time and CMOS RAM.

/// A set of interrupt request lines, numbered as on the PC's ISA bus (IRQ 0-15).
///
/// A device drives its line to a level; what that level means (edge or level triggered) is the interrupt
/// controller's business, exactly as on the bus.
public protocol InterruptLine: AnyObject {
  /// Drives request line `irq` high (`true`) or low (`false`).
  func setLevel(_ irq: Int, _ high: Bool)
}

/// The value an undecoded port (or an undecoded byte of a wider access) reads as: all ones.
@inline(__always)
func allOnes(size: Int) -> UInt32 {
  size >= 4 ? 0xFFFF_FFFF : (UInt32(1) << UInt32(8 * size)) &- 1
}

/// Splits a `size`-byte port read into byte reads of `port`, `port + 1`, ... as the ISA bus does for an
/// 8-bit device (a 16-bit `in ax, dx` on an 8-bit card becomes two cycles on consecutive ports).
/// `byte` returns nil for a port the device does not decode; that byte reads as 0xFF.
@inline(__always)
func readBytes(port: UInt16, size: Int, _ byte: (UInt16) -> UInt8?) -> UInt32 {
  var value: UInt32 = 0
  for i in 0..<max(1, min(size, 4)) {
    let b = byte(port &+ UInt16(i)) ?? 0xFF
    value |= UInt32(b) << UInt32(8 * i)
  }
  return value
}

/// Splits a `size`-byte port write into byte writes to consecutive ports, low byte first (so
/// `out dx, ax` with dx = 0x3D4 writes the CRTC index, then its data register, as VGA drivers rely on).
@inline(__always)
func writeBytes(port: UInt16, size: Int, value: UInt32, _ byte: (UInt16, UInt8) -> Void) {
  for i in 0..<max(1, min(size, 4)) {
    byte(port &+ UInt16(i), UInt8(truncatingIfNeeded: value >> UInt32(8 * i)))
  }
}

/// Converts between CPU cycles and the ticks of a slower clock (the PIT's 1.193182 MHz, the RTC's
/// periodic rate) with integer arithmetic only, so virtual time never drifts: tick `k` of a clock of
/// `hz` happens at the first cycle `c` with `c * hz / cyclesPerSecond >= k`.
struct CycleClock {
  let cyclesPerSecond: UInt64
  let hz: UInt64

  init(cyclesPerSecond: UInt64, hz: UInt64) {
    precondition(cyclesPerSecond > 0 && hz > 0, "clock rates must be positive")
    self.cyclesPerSecond = cyclesPerSecond
    self.hz = hz
  }

  /// The number of whole ticks elapsed at `cycle`: floor(cycle * hz / cyclesPerSecond).
  func ticks(atCycle cycle: UInt64) -> UInt64 {
    let product = cycle.multipliedFullWidth(by: hz)
    if product.high >= cyclesPerSecond { return UInt64.max }
    return cyclesPerSecond.dividingFullWidth(product).quotient
  }

  /// The first cycle at which `ticks(atCycle:)` reaches `tick`: ceil(tick * cyclesPerSecond / hz).
  func cycle(ofTick tick: UInt64) -> UInt64 {
    let product = tick.multipliedFullWidth(by: cyclesPerSecond)
    if product.high >= hz { return UInt64.max }
    let (q, r) = hz.dividingFullWidth(product)
    return r == 0 ? q : (q == UInt64.max ? q : q + 1)
  }
}

/// Packed BCD helpers (the RTC's and the PIT's BCD modes).
@inline(__always)
func toBCD(_ value: Int) -> UInt8 { UInt8(truncatingIfNeeded: ((value / 10) % 10) << 4 | (value % 10)) }

@inline(__always)
func fromBCD(_ value: UInt8) -> Int { Int(value >> 4) * 10 + Int(value & 0x0F) }
