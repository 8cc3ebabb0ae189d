// Intel 8254 programmable interval timer at 0x40-0x43, plus the timer-2 bits of system control port B
// (0x61).
//
// References: Intel 8254 datasheet (order 231164-005): "Control Word Format", "Read Operations" (counter
// latch command, read-back command, status byte), "Modes of Operation" (modes 0-5, gate behaviour); IBM
// PC/AT Technical Reference: channel 0 drives IRQ 0, channel 2 feeds the speaker and its GATE and OUT
// appear in port 0x61 (bit 0 gate, bit 1 speaker data, bit 4 refresh toggle, bit 5 OUT2).
//
// Time model: the PIT's CLK is 1.193182 MHz of *virtual* time. Tick k of CLK happens at the first CPU cycle
// c with c * 1193182 / cyclesPerSecond >= k (integer arithmetic, no drift). A counter is not decremented
// tick by tick; its count and OUT level are computed from the number of ticks elapsed since it was loaded
// (as QEMU's i8254 does), so reading it or skipping ahead in time costs nothing.

/// The 8254 timer: three channels, channel 0's OUT on IRQ 0, channel 2 gated through port 0x61.
import StateCoding

public final class PIT8254 {
  /// The PIT's input clock in Hz (14.31818 MHz / 12, as QEMU rounds it).
  public static let frequency: UInt64 = 1_193_182
  /// The IRQ channel 0's OUT drives.
  public static let irq = 0
  /// Counter 0-2 data ports and the control word port.
  public static let channelPorts: ClosedRange<UInt16> = 0x40...0x42
  public static let controlPort: UInt16 = 0x43
  /// System control port B: timer 2 gate and output, speaker enable, refresh toggle.
  public static let systemControlPort: UInt16 = 0x61

  /// The ports the timer decodes.
  public let portRanges: [ClosedRange<UInt16>] = [0x40...0x43, 0x61...0x61]

  /// Where IRQ 0 goes (normally the PIC pair); may be set after init.
  public var interruptLine: InterruptLine?

  private let clock: CycleClock
  private var cycle: UInt64 = 0
  private var channels = [Channel](repeating: Channel(), count: 3)
  /// The level last driven on IRQ 0. The datasheet leaves the power-on state undefined; we start every
  /// channel in mode 2 without a count, OUT high, so programming the usual periodic modes does not fake an
  /// edge (and an interrupt) at the moment the guest programs the timer.
  private var irqLevel = true
  /// Port 0x61 bits 3-1 as last written (bit 1 speaker data enable; bits 2-3 parity/IOCHK enables).
  private var portBLatch: UInt8 = 0

  /// - Parameters:
  ///   - cyclesPerSecond: the CPU's virtual clock rate, which turns cycles into PIT ticks.
  ///   - interruptLine: where channel 0's OUT goes as IRQ 0.
  public init(cyclesPerSecond: UInt64, interruptLine: InterruptLine? = nil) {
    self.clock = CycleClock(cyclesPerSecond: cyclesPerSecond, hz: Self.frequency)
    self.interruptLine = interruptLine
  }

  /// Back to the power-on state: no channel counting, port 0x61 cleared. Virtual time keeps its value.
  public func reset() {
    channels = [Channel](repeating: Channel(), count: 3)
    irqLevel = true
    portBLatch = 0
  }

  /// The PIT ticks elapsed at the device's current time.
  public var currentTick: UInt64 { clock.ticks(atCycle: cycle) }

  // MARK: Clocked device

  /// The cycle at which channel 0's OUT next rises (IRQ 0 fires), or `UInt64.max` if it never will
  /// without further programming.
  public var nextEventCycle: UInt64 {
    let tick = currentTick
    guard let edge = channels[0].nextRisingEdge(after: tick) else { return UInt64.max }
    return max(clock.cycle(ofTick: edge), cycle &+ 1)
  }

  /// Moves virtual time forward to `cycle` and raises IRQ 0 if channel 0's OUT rose on the way.
  /// Time never goes backwards: an earlier cycle is ignored.
  public func advance(to cycle: UInt64) {
    guard cycle > self.cycle else { return }
    let from = clock.ticks(atCycle: self.cycle)
    let to = clock.ticks(atCycle: cycle)
    self.cycle = cycle
    guard to > from else { return }
    if let edge = channels[0].nextRisingEdge(after: from), edge <= to {
      // The PIC is edge triggered: make sure it sees low-to-high even if OUT is high again by now.
      if irqLevel { interruptLine?.setLevel(Self.irq, false) }
      interruptLine?.setLevel(Self.irq, true)
      irqLevel = true
    }
    for i in 0..<3 { channels[i].applyPendingReload(at: to) }
    updateIRQ()
  }

  private func updateIRQ() {
    let level = channels[0].output(at: currentTick)
    if level != irqLevel {
      irqLevel = level
      interruptLine?.setLevel(Self.irq, level)
    }
  }

  // MARK: Host-side view

  /// Channel `n`'s counting element as the guest would read it unlatched (binary, even in BCD mode).
  public func count(channel n: Int) -> UInt32 { channels[n].counter(at: currentTick) }

  /// Channel `n`'s OUT pin now.
  public func output(channel n: Int) -> Bool { channels[n].output(at: currentTick) }

  /// Channel `n`'s mode (0-5) as last programmed.
  public func mode(channel n: Int) -> Int { Int(channels[n].mode) }

  /// Channel `n`'s reload value (1...65536, or 1...10000 in BCD) once a count has been written.
  public func reload(channel n: Int) -> UInt32 { channels[n].reload }

  /// Whether the speaker is driven: channel 2 gate and the speaker data bit of port 0x61 both set.
  public var speakerEnabled: Bool { channels[2].gate && portBLatch & 0x02 != 0 }

  // MARK: Ports

  /// Reads a counter (0x40-0x42: status byte, latched count or live count, per the channel's access mode)
  /// or port 0x61. The control port 0x43 is write-only (reads as 0xFF).
  public func read(port: UInt16, size: Int) -> UInt32 {
    return readBytes(port: port, size: size) { p in
      switch p {
      case 0x40...0x42:
        return channels[Int(p - 0x40)].readData(at: currentTick)
      case Self.systemControlPort:
        // Bit 5 OUT2, bit 4 refresh request toggle (every 15.085 us = 18 PIT ticks, as the AT's channel 1
        // toggles it), bits 3-0 as written (bit 0 is channel 2's gate).
        let tick = currentTick
        var value = portBLatch & 0x0E
        if channels[2].gate { value |= 0x01 }
        if (tick / 18) & 1 != 0 { value |= 0x10 }
        if channels[2].output(at: tick) { value |= 0x20 }
        return value
      default:
        return nil
      }
    }
  }

  /// Writes a counter (0x40-0x42), the control word (0x43) or port 0x61 (bit 0 timer-2 gate, bit 1 speaker).
  public func write(port: UInt16, size: Int, value: UInt32) {
    writeBytes(port: port, size: size, value: value) { p, byte in
      let tick = currentTick
      switch p {
      case 0x40...0x42:
        channels[Int(p - 0x40)].writeData(byte, at: tick)
      case Self.controlPort:
        writeControl(byte, at: tick)
      case Self.systemControlPort:
        portBLatch = byte & 0x0E
        channels[2].setGate(byte & 0x01 != 0, at: tick)
      default:
        return
      }
      updateIRQ()
    }
  }

  /// The control word (datasheet "Control Word Format"): bits 7-6 SC (counter, 3 = read-back), bits 5-4 RW
  /// (0 = counter latch, 1 = LSB, 2 = MSB, 3 = LSB then MSB), bits 3-1 mode, bit 0 BCD.
  private func writeControl(_ value: UInt8, at tick: UInt64) {
    let select = Int(value >> 6)
    if select == 3 {
      // Read-back (datasheet "Read-Back Command"): bit 5 = 0 latches counts, bit 4 = 0 latches status,
      // bits 3-1 select counters 2-0. A counter already latched keeps its first latch.
      for n in 0..<3 where value & (0x02 << UInt8(n)) != 0 {
        if value & 0x10 == 0 { channels[n].latchStatus(at: tick) }
        if value & 0x20 == 0 { channels[n].latchCount(at: tick) }
      }
      return
    }
    let access = (value >> 4) & 3
    if access == 0 {
      channels[select].latchCount(at: tick)
    } else {
      channels[select].program(access: access, mode: (value >> 1) & 7, bcd: value & 1 != 0, at: tick)
    }
  }
}

/// One counter of the 8254: its programming, its count and OUT as functions of elapsed ticks, its latches.
private struct Channel {
  /// Mode 0-5 (control word values 6 and 7 are modes 2 and 3). Power-on: mode 2, not counting (see irqLevel).
  var mode: UInt8 = 2
  /// RW field: 1 LSB only, 2 MSB only, 3 LSB then MSB.
  var access: UInt8 = 3
  var bcd = false
  /// The initial count N in counts (0 written means 65536, or 10000 in BCD).
  var reload: UInt32 = 0x10000
  /// Whether a complete count has been written since the control word (counting can happen).
  var hasCount = false
  /// Tick at which the current count was loaded (or the mode 1/5 trigger happened); nil while not counting.
  var start: UInt64?
  /// GATE input; channels 0 and 1 have it tied high on the PC, channel 2 follows port 0x61 bit 0.
  var gate = true
  /// Ticks elapsed when the gate disabled counting (modes 0, 2, 3, 4); counting resumes from there.
  var pausedElapsed: UInt64?
  /// A new count written in mode 2 or 3 while counting takes effect at the end of the current period.
  var pendingReload: (count: UInt32, tick: UInt64)?
  var nullCount = true
  var writeLSBNext = true
  var writtenLSB: UInt8 = 0
  var readLSBNext = true
  var latchedCount: UInt16?
  var latchedLSBNext = true
  var latchedStatus: UInt8?

  var modulus: UInt64 { bcd ? 10_000 : 0x10000 }

  /// Ticks elapsed in the current count, or nil if the counter is not counting.
  func elapsed(at tick: UInt64) -> UInt64? {
    if let pausedElapsed { return pausedElapsed }
    guard let start else { return nil }
    return tick >= start ? tick - start : 0
  }

  /// The period of the periodic modes (a count of 1 is illegal in modes 2 and 3; treat it as 2).
  var period: UInt64 { max(UInt64(reload), 2) }

  /// The counting element's value (datasheet "Modes of Operation").
  func counter(at tick: UInt64) -> UInt32 {
    guard let d = elapsed(at: tick) else { return hasCount ? reload % UInt32(modulus) : 0 }
    let n = UInt64(reload)
    let value: UInt64
    switch mode {
    case 2:
      value = n - d % period
    case 3:
      // Square wave: the count drops by two per clock, through each half period (the odd count's extra
      // clock goes to the high half).
      let p = d % period
      let high = (period + 1) / 2
      let even = period & ~1
      value = p < high ? even - 2 * p : even - 2 * (p - high)
    default:
      // Modes 0, 1, 4, 5 count down once and then wrap around the full range.
      value = (n + modulus - d % modulus) % modulus
    }
    return UInt32(value % modulus)
  }

  /// The OUT pin.
  func output(at tick: UInt64) -> Bool {
    guard let d = elapsed(at: tick) else { return mode != 0 }
    switch mode {
    case 0, 1:
      // Mode 0: low from the control word until terminal count; mode 1: low from the trigger to TC.
      return d >= UInt64(reload)
    case 2:
      // Rate generator: low for the one clock in which the count is 1; a low gate forces OUT high.
      if pausedElapsed != nil { return true }
      return d % period != period - 1
    case 3:
      if pausedElapsed != nil { return true }
      return d % period < (period + 1) / 2
    default:
      // Modes 4 and 5: a one-clock low strobe when the count reaches zero.
      return d != UInt64(reload)
    }
  }

  /// The first tick after `tick` at which OUT goes from low to high, if any without reprogramming.
  func nextRisingEdge(after tick: UInt64) -> UInt64? {
    guard pausedElapsed == nil, let start, let d = elapsed(at: tick) else { return nil }
    let n = UInt64(reload)
    switch mode {
    case 0, 1:
      return d < n ? start + n : nil
    case 2, 3:
      if let pending = pendingReload, pending.tick > tick { return pending.tick }
      return start + (d / period + 1) * period
    default:
      return d < n + 1 ? start + n + 1 : nil
    }
  }

  /// A count written in mode 2/3 during counting is loaded at the next period boundary.
  mutating func applyPendingReload(at tick: UInt64) {
    guard let pending = pendingReload, pending.tick <= tick else { return }
    reload = pending.count
    start = pending.tick
    pendingReload = nil
  }

  /// A control word with RW != 0: new mode, counting stops until the count is written.
  mutating func program(access: UInt8, mode: UInt8, bcd: Bool, at tick: UInt64) {
    self.access = access
    self.mode = mode > 5 ? mode - 4 : mode
    self.bcd = bcd
    hasCount = false
    start = nil
    pausedElapsed = nil
    pendingReload = nil
    nullCount = true
    writeLSBNext = true
    readLSBNext = true
    latchedCount = nil
    latchedStatus = nil
  }

  mutating func writeData(_ byte: UInt8, at tick: UInt64) {
    var raw: UInt16
    switch access {
    case 1:
      raw = UInt16(byte)
    case 2:
      raw = UInt16(byte) << 8
    default:
      if writeLSBNext {
        writtenLSB = byte
        writeLSBNext = false
        // Datasheet, mode 0: "writing the first byte disables counting".
        if mode == 0, let d = elapsed(at: tick) { pausedElapsed = d }
        return
      }
      writeLSBNext = true
      raw = UInt16(writtenLSB) | UInt16(byte) << 8
    }
    load(raw, at: tick)
  }

  /// A complete count was written: when it takes effect depends on the mode (datasheet "Modes of Operation").
  private mutating func load(_ raw: UInt16, at tick: UInt64) {
    var count = bcd ? UInt32(fromBCD(UInt8(raw >> 8)) * 100 + fromBCD(UInt8(raw & 0xFF))) : UInt32(raw)
    if count == 0 { count = UInt32(modulus) }
    let wasCounting = hasCount && start != nil
    hasCount = true
    nullCount = false
    if (mode == 2 || mode == 3) && wasCounting && pausedElapsed == nil, let start {
      // The current period finishes with the old count.
      let d = elapsed(at: tick) ?? 0
      pendingReload = (count, start + (d / period + 1) * period)
      return
    }
    switch mode {
    case 1, 5:
      // Hardware triggered: waits for a gate rising edge.
      reload = count
    default:
      reload = count
      pendingReload = nil
      start = tick
      pausedElapsed = gate ? nil : 0
    }
  }

  /// GATE: modes 0 and 4 pause while it is low; modes 2 and 3 stop (OUT high) and restart on the rising
  /// edge; modes 1 and 5 (re)trigger on the rising edge.
  mutating func setGate(_ level: Bool, at tick: UInt64) {
    guard level != gate else { return }
    gate = level
    guard hasCount else { return }
    applyPendingReload(at: tick)
    switch mode {
    case 0, 4:
      if level, let paused = pausedElapsed {
        start = tick - min(paused, tick)
        pausedElapsed = nil
      } else if !level {
        pausedElapsed = elapsed(at: tick)
      }
    case 2, 3:
      if level {
        start = tick
        pausedElapsed = nil
      } else {
        pausedElapsed = elapsed(at: tick)
      }
    default:
      if level { start = tick }
    }
  }

  mutating func latchCount(at tick: UInt64) {
    guard latchedCount == nil else { return }
    latchedCount = encode(counter(at: tick))
    latchedLSBNext = true
  }

  /// Status byte (datasheet "Status Byte"): bit 7 OUT, bit 6 null count, bits 5-0 as programmed.
  mutating func latchStatus(at tick: UInt64) {
    guard latchedStatus == nil else { return }
    var status = access << 4 | mode << 1 | (bcd ? 1 : 0)
    if output(at: tick) { status |= 0x80 }
    if nullCount { status |= 0x40 }
    latchedStatus = status
  }

  private func encode(_ value: UInt32) -> UInt16 {
    guard bcd else { return UInt16(truncatingIfNeeded: value) }
    let v = Int(value % 10_000)
    return UInt16(toBCD(v / 100)) << 8 | UInt16(toBCD(v % 100))
  }

  /// A data port read: latched status first, then a latched count, else the live count.
  mutating func readData(at tick: UInt64) -> UInt8 {
    if let status = latchedStatus {
      latchedStatus = nil
      return status
    }
    if let latched = latchedCount {
      switch access {
      case 1:
        latchedCount = nil
        return UInt8(latched & 0xFF)
      case 2:
        latchedCount = nil
        return UInt8(latched >> 8)
      default:
        if latchedLSBNext {
          latchedLSBNext = false
          return UInt8(latched & 0xFF)
        }
        latchedCount = nil
        latchedLSBNext = true
        return UInt8(latched >> 8)
      }
    }
    let value = encode(counter(at: tick))
    switch access {
    case 1:
      return UInt8(value & 0xFF)
    case 2:
      return UInt8(value >> 8)
    default:
      readLSBNext.toggle()
      return readLSBNext ? UInt8(value >> 8) : UInt8(value & 0xFF)
    }
  }
}

// MARK: Snapshot

extension PIT8254: StateCodable {
  public func code(_ coder: inout StateCoder) {
    coder.section(0x8254)
    coder.code(&cycle)
    coder.code(&irqLevel)
    coder.code(&portBLatch)
    coder.code(&channels, blank: Channel()) { coder, c in c.code(&coder) }
  }
}

extension Channel {
  mutating func code(_ coder: inout StateCoder) {
    coder.code(&mode)
    coder.code(&access)
    coder.code(&bcd)
    coder.code(&reload)
    coder.code(&hasCount)
    coder.code(&start)
    coder.code(&gate)
    coder.code(&pausedElapsed)
    var reloadCount = pendingReload?.count
    var reloadTick = pendingReload?.tick
    coder.code(&reloadCount)
    coder.code(&reloadTick)
    if coder.direction == .restore {
      pendingReload = reloadCount.flatMap { count in reloadTick.map { (count: count, tick: $0) } }
    }
    coder.code(&nullCount)
    coder.code(&writeLSBNext)
    coder.code(&writtenLSB)
    coder.code(&readLSBNext)
    coder.code(&latchedCount)
    coder.code(&latchedLSBNext)
    coder.code(&latchedStatus)
  }
}
