// PC.swift: a standard PC assembled from the machine and the device models.
//
// The layout is QEMU's `pc` machine as far as a kernel sees it: 8259 pair at 0x20/0xA0, 8254 PIT at
// 0x40 on IRQ 0, i8042 at 0x60/0x64 on IRQ 1, COM1 at 0x3F8 on IRQ 4 and COM2 at 0x2F8 on IRQ 3,
// CMOS/RTC at 0x70 on IRQ 8, VGA text memory at 0xB8000 with its CRTC at 0x3D4, isa-debug-exit at
// 0xF4, the POST port 0x80, and ACPI power-off at 0x604.

import Devices
import Machine

/// What a PC is built from.
struct PCConfiguration {
  var memoryMiB: Int = 128
  /// The virtual CPU clock: how many cycles make one second for the PIT and the RTC.
  var cyclesPerSecond: UInt64 = PC.defaultCyclesPerSecond
  var rtcSource: RTCTimeSource = .deterministic
  var strict = false
}

/// How a run of the machine ended, as the front end reports it.
enum PCEvent: Equatable {
  case debugExit(UInt32)
  case powerOff
  case resetRequested
}

final class PC {
  /// 100 MHz: with most instructions costing one cycle this is roughly the speed the emulator
  /// runs at, so an idle-free guest's clock is not far from the host's.
  static let defaultCyclesPerSecond: UInt64 = 100_000_000

  let machine: Machine
  let pic = PIC8259Pair()
  let pit: PIT8254
  let cmos: CMOS
  let keyboard: I8042
  let com1: UART16550
  let com2: UART16550
  let vga = VGATextDevice()
  let debugExit: DebugExit
  let post = PostCodePort()
  let powerOff: ACPIPowerOff

  /// Set by device callbacks; the run loop reads and clears it.
  private(set) var event: PCEvent?

  init(configuration: PCConfiguration, serialOutput: @escaping (UInt8) -> Void) {
    let machine = Machine(memorySize: UInt64(configuration.memoryMiB) << 20)
    self.machine = machine
    machine.strict = configuration.strict
    let now = { [unowned machine] in machine.cpu.cycles }
    pit = PIT8254(cyclesPerSecond: configuration.cyclesPerSecond, interruptLine: pic, now: now)
    cmos = CMOS(
      cyclesPerSecond: configuration.cyclesPerSecond, timeSource: configuration.rtcSource,
      interruptLine: pic, now: now)
    keyboard = I8042(interruptLine: pic)
    com1 = UART16550(interruptLine: pic, output: serialOutput)
    com2 = UART16550(base: 0x2F8, irq: 3, interruptLine: pic)
    debugExit = DebugExit()
    powerOff = ACPIPowerOff()

    keyboard.onReset = { [unowned self] in self.signal(.resetRequested) }
    debugExit.onExit = { [unowned self] value in self.signal(.debugExit(value)) }
    powerOff.onPowerOff = { [unowned self] in self.signal(.powerOff) }

    machine.interruptController = pic
    let devices: [ISADevice] = [pic, pit, cmos, keyboard, com1, com2, vga, debugExit, post, powerOff]
    for device in devices {
      for range in device.portRanges { machine.ports.register(device, ports: range) }
    }
    machine.addClockedDevice(pit)
    machine.addClockedDevice(cmos)
    // Text memory is device-owned host memory mapped like RAM: the guest's stores go straight in.
    machine.memory.mapMemory(
      vga.memory, at: VGATextDevice.memoryBase, length: UInt64(VGATextDevice.memorySize))
  }

  private func signal(_ event: PCEvent) {
    if self.event == nil { self.event = event }
    machine.requestStop()
  }

  /// Takes the pending event, if any.
  func takeEvent() -> PCEvent? {
    defer { event = nil }
    return event
  }

  /// Types keys: the i8042 queues their scancodes and raises IRQ 1 as the guest reads them.
  func enqueueKeys(_ strokes: [KeyStroke]) {
    for stroke in strokes { keyboard.enqueueScancodes(stroke.scancodes) }
    machine.interruptStateChanged()
  }
}
