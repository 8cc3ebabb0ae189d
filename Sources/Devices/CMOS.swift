// Motorola MC146818 real-time clock and its CMOS RAM, at index port 0x70 and data port 0x71, on IRQ 8.
//
// References: Motorola MC146818A datasheet: "Address Map" (time 0x00-0x09, registers A-D at 0x0A-0x0D),
// "Register A" (bit 7 UIP, bits 6-4 divider, 3-0 rate select), "Register B" (bit 7 SET, 6 PIE, 5 AIE, 4 UIE,
// 2 DM binary, 1 24/12, 0 DSE), "Register C" (bit 7 IRQF, 6 PF, 5 AF, 4 UF, cleared by reading), "Register D"
// (bit 7 VRT), "Update Cycle" (UIP is set 244 us before the update); IBM PC/AT Technical Reference: port
// 0x70 bit 7 masks NMI, byte 0x32 holds the century in BCD.
//
// Time: by default the clock shows a fixed epoch plus the virtual time elapsed (cycle / cyclesPerSecond), so
// runs are reproducible; `.host` shows the host's wall clock. Guest writes to the time registers move the
// clock by an offset. Periodic, alarm and update-ended interrupts are timed in virtual cycles.

import StateCoding

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where the RTC's date and time come from.
public enum RTCTimeSource: Equatable {
  /// `epoch` (seconds since 1970-01-01 00:00:00 UTC) plus the virtual time elapsed: deterministic.
  case virtual(epoch: Int64)
  /// The host's real-time clock (UTC).
  case host

  /// The default: 2000-01-01 00:00:00 UTC plus virtual time.
  public static let deterministic = RTCTimeSource.virtual(epoch: 946_684_800)
}

/// The MC146818 RTC with 128 bytes of CMOS RAM and the PC's NMI mask bit.
public final class CMOS {
  public static let indexPort: UInt16 = 0x70
  public static let dataPort: UInt16 = 0x71
  public static let irq = 8

  // Register indices (datasheet "Address Map"; 0x32 is the PC's century byte).
  public static let seconds: UInt8 = 0x00, secondsAlarm: UInt8 = 0x01, minutes: UInt8 = 0x02
  public static let minutesAlarm: UInt8 = 0x03, hours: UInt8 = 0x04, hoursAlarm: UInt8 = 0x05
  public static let dayOfWeek: UInt8 = 0x06, dayOfMonth: UInt8 = 0x07, month: UInt8 = 0x08, year: UInt8 = 0x09
  public static let registerA: UInt8 = 0x0A, registerB: UInt8 = 0x0B, registerC: UInt8 = 0x0C
  public static let registerD: UInt8 = 0x0D, century: UInt8 = 0x32

  // Register A/B/C/D bits.
  public static let aUpdateInProgress: UInt8 = 0x80
  public static let bSet: UInt8 = 0x80, bPeriodicInterrupt: UInt8 = 0x40, bAlarmInterrupt: UInt8 = 0x20
  public static let bUpdateInterrupt: UInt8 = 0x10, bBinary: UInt8 = 0x04, b24Hour: UInt8 = 0x02
  public static let cInterruptRequest: UInt8 = 0x80, cPeriodic: UInt8 = 0x40, cAlarm: UInt8 = 0x20
  public static let cUpdateEnded: UInt8 = 0x10
  public static let dValidRAM: UInt8 = 0x80

  /// The ports the RTC decodes.
  public let portRanges: [ClosedRange<UInt16>] = [0x70...0x71]

  /// Where IRQ 8 goes (normally the PIC pair); may be set after init.
  public var interruptLine: InterruptLine?
  public let timeSource: RTCTimeSource
  /// The selected register (port 0x70 bits 6-0).
  public private(set) var index: UInt8 = 0
  /// Port 0x70 bit 7: NMI disabled while set.
  public private(set) var nmiMasked = false

  private let cyclesPerSecond: UInt64
  private var cycle: UInt64 = 0
  private var ram = [UInt8](repeating: 0, count: 128)
  /// Seconds added to the source's time by guest writes.
  private var offset: Int64 = 0
  /// While register B's SET bit is on, the time the guest is editing.
  private var frozen: Int64?
  private var interruptAsserted = false

  /// - Parameters:
  ///   - cyclesPerSecond: the CPU's virtual clock rate.
  ///   - timeSource: `.deterministic` (the default) or `.host`.
  ///   - interruptLine: where IRQ 8 goes.
  public init(cyclesPerSecond: UInt64, timeSource: RTCTimeSource = .deterministic, interruptLine: InterruptLine? = nil)
  {
    precondition(cyclesPerSecond > 0)
    self.cyclesPerSecond = cyclesPerSecond
    self.timeSource = timeSource
    self.interruptLine = interruptLine
    ram[Int(Self.registerA)] = 0x26  // 32.768 kHz time base, 1024 Hz periodic rate
    ram[Int(Self.registerB)] = Self.b24Hour
    ram[Int(Self.registerD)] = Self.dValidRAM
  }

  /// The MC146818's RESET input (datasheet "RESET"): clears PIE, AIE, UIE and SQWE in register B and all of
  /// register C, lowering IRQ 8. The time, the CMOS RAM and the data mode are battery-backed and survive.
  public func reset() {
    ram[Int(Self.registerB)] &= ~(Self.bPeriodicInterrupt | Self.bAlarmInterrupt | Self.bUpdateInterrupt | 0x08)
    ram[Int(Self.registerC)] = 0
    index = 0
    nmiMasked = false
    updateInterrupt()
  }

  // MARK: Time

  /// The source's current time in seconds since 1970 and the elapsed fraction of the second in
  /// microseconds.
  private var sourceTime: (seconds: Int64, micros: UInt64) {
    switch timeSource {
    case .virtual(let epoch):
      let whole = cycle / cyclesPerSecond
      let fraction = (cycle % cyclesPerSecond).multipliedFullWidth(by: 1_000_000)
      return (epoch + Int64(whole), cyclesPerSecond.dividingFullWidth(fraction).quotient)
    case .host:
      var ts = timespec()
      clock_gettime(CLOCK_REALTIME, &ts)
      return (Int64(ts.tv_sec), UInt64(ts.tv_nsec) / 1000)
    }
  }

  /// The time the RTC shows, in seconds since 1970.
  public var currentTime: Int64 { frozen ?? sourceTime.seconds + offset }

  private var dividerRunning: Bool { (ram[Int(Self.registerA)] >> 4) & 7 == 0b010 }

  // MARK: Clocked device

  /// The cycle of the next periodic or once-a-second event that can raise IRQ 8 (UInt64.max if the enabled
  /// interrupts need none).
  public var nextEventCycle: UInt64 {
    let b = ram[Int(Self.registerB)]
    var next = UInt64.max
    if b & Self.bPeriodicInterrupt != 0, let clock = periodicClock {
      next = min(next, clock.cycle(ofTick: clock.ticks(atCycle: cycle) + 1))
    }
    if b & (Self.bUpdateInterrupt | Self.bAlarmInterrupt) != 0 && dividerRunning {
      next = min(next, (cycle / cyclesPerSecond + 1) * cyclesPerSecond)
    }
    return next
  }

  /// Periodic interrupt rate from register A bits 3-0 (datasheet Table 5: 1 -> 256 Hz, 2 -> 128 Hz,
  /// n >= 3 -> 32768 >> (n - 1) Hz; 0 = off).
  private var periodicClock: CycleClock? {
    let rate = ram[Int(Self.registerA)] & 0x0F
    guard rate != 0 && dividerRunning else { return nil }
    let hz: UInt64 = rate < 3 ? 32_768 >> (UInt64(rate) + 6) : 32_768 >> (UInt64(rate) - 1)
    return CycleClock(cyclesPerSecond: cyclesPerSecond, hz: hz)
  }

  /// Advances virtual time, setting register C's PF, UF and AF flags for events passed on the way.
  public func advance(to cycle: UInt64) {
    guard cycle > self.cycle else { return }
    let previous = self.cycle
    self.cycle = cycle
    var flags: UInt8 = 0
    if let clock = periodicClock, clock.ticks(atCycle: cycle) > clock.ticks(atCycle: previous) {
      flags |= Self.cPeriodic
    }
    if dividerRunning && frozen == nil && cycle / cyclesPerSecond > previous / cyclesPerSecond {
      flags |= Self.cUpdateEnded
      if alarmMatches { flags |= Self.cAlarm }
    }
    if flags != 0 {
      ram[Int(Self.registerC)] |= flags
      updateInterrupt()
    }
  }

  /// An alarm byte with its two top bits set is a "don't care" (datasheet "Alarm").
  private var alarmMatches: Bool {
    let t = brokenDown(currentTime)
    let pairs: [(UInt8, Int)] = [
      (Self.secondsAlarm, t.second), (Self.minutesAlarm, t.minute), (Self.hoursAlarm, t.hour),
    ]
    for (register, value) in pairs {
      let alarm = ram[Int(register)]
      if alarm & 0xC0 == 0xC0 { continue }
      let encoded = register == Self.hoursAlarm ? encodeHour(value) : encode(value)
      if alarm != encoded { return false }
    }
    return true
  }

  /// IRQF = PF.PIE + AF.AIE + UF.UIE (datasheet "Register C"); IRQ 8 follows IRQF.
  private func updateInterrupt() {
    let b = ram[Int(Self.registerB)]
    var c = ram[Int(Self.registerC)] & 0x70
    if c & b & 0x70 != 0 { c |= Self.cInterruptRequest }
    ram[Int(Self.registerC)] = c
    let level = c & Self.cInterruptRequest != 0
    if level != interruptAsserted {
      interruptAsserted = level
      interruptLine?.setLevel(Self.irq, level)
    }
  }

  // MARK: Encoding

  private var binary: Bool { ram[Int(Self.registerB)] & Self.bBinary != 0 }

  private func encode(_ value: Int) -> UInt8 { binary ? UInt8(value) : toBCD(value) }
  private func decode(_ value: UInt8) -> Int { binary ? Int(value) : fromBCD(value) }

  /// Hours in 12-hour mode are 1-12 with bit 7 meaning PM.
  private func encodeHour(_ hour: Int) -> UInt8 {
    if ram[Int(Self.registerB)] & Self.b24Hour != 0 { return encode(hour) }
    let twelve = hour % 12 == 0 ? 12 : hour % 12
    return encode(twelve) | (hour >= 12 ? 0x80 : 0)
  }

  private func decodeHour(_ value: UInt8) -> Int {
    if ram[Int(Self.registerB)] & Self.b24Hour != 0 { return decode(value) }
    let twelve = decode(value & 0x7F) % 12
    return value & 0x80 != 0 ? twelve + 12 : twelve
  }

  /// The value of time register `register` for the time now.
  private func timeRegister(_ register: UInt8) -> UInt8 {
    let t = brokenDown(currentTime)
    switch register {
    case Self.seconds: return encode(t.second)
    case Self.minutes: return encode(t.minute)
    case Self.hours: return encodeHour(t.hour)
    case Self.dayOfWeek: return encode(t.weekday)
    case Self.dayOfMonth: return encode(t.day)
    case Self.month: return encode(t.month)
    case Self.year: return encode(t.year % 100)
    default: return encode(t.year / 100)  // century
    }
  }

  /// A guest write to a time register: the clock is moved so that field reads back as written.
  private func setTimeRegister(_ register: UInt8, _ value: UInt8) {
    var t = brokenDown(currentTime)
    switch register {
    case Self.seconds: t.second = decode(value)
    case Self.minutes: t.minute = decode(value)
    case Self.hours: t.hour = decodeHour(value)
    case Self.dayOfWeek: return  // derived from the date
    case Self.dayOfMonth: t.day = decode(value)
    case Self.month: t.month = decode(value)
    case Self.year: t.year = t.year / 100 * 100 + decode(value)
    default: t.year = decode(value) * 100 + t.year % 100
    }
    let seconds = secondsSinceEpoch(t)
    if frozen != nil {
      frozen = seconds
    } else {
      offset = seconds - sourceTime.seconds
    }
  }

  // MARK: Ports

  /// Port 0x70 is write-only (reads 0xFF); port 0x71 reads the selected register.
  public func read(port: UInt16, size: Int) -> UInt32 {
    return readBytes(port: port, size: size) { p in
      p == Self.dataPort ? readRegister(index) : (p == Self.indexPort ? 0xFF : nil)
    }
  }

  /// Port 0x70: bits 6-0 select a register, bit 7 masks NMI. Port 0x71: writes the selected register.
  public func write(port: UInt16, size: Int, value: UInt32) {
    writeBytes(port: port, size: size, value: value) { p, byte in
      switch p {
      case Self.indexPort:
        index = byte & 0x7F
        nmiMasked = byte & 0x80 != 0
      case Self.dataPort:
        writeRegister(index, byte)
      default:
        break
      }
    }
  }

  private func readRegister(_ register: UInt8) -> UInt8 {
    switch register {
    case Self.seconds, Self.minutes, Self.hours, Self.dayOfWeek, Self.dayOfMonth, Self.month, Self.year,
      Self.century:
      return timeRegister(register)
    case Self.registerA:
      // UIP: set during the last 244 us of each second while the divider runs and SET is clear, a pure
      // function of the time so polling loops behave the same on every run.
      var a = ram[Int(Self.registerA)] & 0x7F
      if dividerRunning && frozen == nil && sourceTime.micros >= 1_000_000 - 244 { a |= Self.aUpdateInProgress }
      return a
    case Self.registerC:
      // Reading C clears it and drops IRQ 8.
      let c = ram[Int(Self.registerC)]
      ram[Int(Self.registerC)] = 0
      updateInterrupt()
      return c
    default:
      return ram[Int(register)]
    }
  }

  private func writeRegister(_ register: UInt8, _ value: UInt8) {
    switch register {
    case Self.seconds, Self.minutes, Self.hours, Self.dayOfWeek, Self.dayOfMonth, Self.month, Self.year,
      Self.century:
      setTimeRegister(register, value)
    case Self.registerA:
      ram[Int(Self.registerA)] = value & 0x7F  // UIP is read-only
    case Self.registerB:
      let wasSet = frozen != nil
      let nowSet = value & Self.bSet != 0
      if nowSet && !wasSet { frozen = currentTime }
      // SET also clears UIE (datasheet "Register B").
      ram[Int(Self.registerB)] = nowSet ? value & ~Self.bUpdateInterrupt : value
      if wasSet && !nowSet, let time = frozen {
        frozen = nil
        offset = time - sourceTime.seconds
      }
      updateInterrupt()
    case Self.registerC, Self.registerD:
      break  // read-only
    default:
      ram[Int(register)] = value
    }
  }
}

// MARK: - Calendar (proleptic Gregorian, UTC; H. Hinnant's days_from_civil / civil_from_days)

struct CivilTime {
  var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
  /// 1 = Sunday ... 7 = Saturday, the RTC's day-of-week convention on PCs.
  var weekday: Int
}

func brokenDown(_ time: Int64) -> CivilTime {
  let days = Int(time >= 0 ? time / 86_400 : (time - 86_399) / 86_400)
  let secondsOfDay = Int(time - Int64(days) * 86_400)
  let z = days + 719_468
  let era = (z >= 0 ? z : z - 146_096) / 146_097
  let doe = z - era * 146_097
  let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
  let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
  let mp = (5 * doy + 2) / 153
  let day = doy - (153 * mp + 2) / 5 + 1
  let month = mp < 10 ? mp + 3 : mp - 9
  let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  // 1970-01-01 was a Thursday (5 in 1 = Sunday numbering).
  let weekday = ((days % 7 + 7) % 7 + 4) % 7 + 1
  return CivilTime(
    year: year, month: month, day: day, hour: secondsOfDay / 3600, minute: secondsOfDay / 60 % 60,
    second: secondsOfDay % 60, weekday: weekday)
}

func secondsSinceEpoch(_ t: CivilTime) -> Int64 {
  let y = t.month <= 2 ? t.year - 1 : t.year
  let era = (y >= 0 ? y : y - 399) / 400
  let yoe = y - era * 400
  let mp = t.month > 2 ? t.month - 3 : t.month + 9
  let doy = (153 * mp + 2) / 5 + t.day - 1
  let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
  let days = era * 146_097 + doe - 719_468
  return Int64(days) * 86_400 + Int64(t.hour * 3600 + t.minute * 60 + t.second)
}

// MARK: Snapshot

extension CMOS: StateCodable {
  public func code(_ coder: inout StateCoder) {
    coder.section(0x146818)
    coder.code(&index)
    coder.code(&nmiMasked)
    coder.code(&cycle)
    coder.code(&ram)
    if ram.count != 128 { coder.fail("CMOS RAM is not 128 bytes") }
    coder.code(&offset)
    coder.code(&frozen)
    coder.code(&interruptAsserted)
  }
}
