// The local APIC timer (SDM Vol. 3A 11.5.4): a 32-bit down-counter clocked by the bus clock through the
// divide configuration register, in one-shot, periodic or TSC-deadline mode (LVT timer bits 18:17).
//
// The bus clock here is the CPU cycle clock, so one count is 1, 2, 4 ... 128 cycles: a deterministic
// integer relation like the PIT's. The count is not stepped; it is computed from the cycle the initial
// count was written, and the run loop is asked to stop at the next expiry (a `ClockedDevice`).

extension LocalAPIC: ClockedDevice {
  static let periodic: UInt32 = 1
  static let tscDeadlineMode: UInt32 = 2

  var timerMode: UInt32 { (lvt[LVT.timer] >> 17) & 3 }
  /// log2 of the divider: configuration bits 3, 1, 0 = 000 divide by 2 ... 110 by 128, 111 by 1.
  var timerShift: UInt64 {
    let c = timerDivideConfiguration
    return UInt64((((c & 3) | ((c >> 1) & 4)) + 1) & 7)
  }
  /// Cycles per full count in one-shot and periodic mode.
  var timerPeriod: UInt64 { UInt64(timerInitialCount) << timerShift }

  /// The current count register.
  var timerCurrentCount: UInt32 {
    guard timerMode != LocalAPIC.tscDeadlineMode, timerInitialCount != 0 else { return 0 }
    let elapsed = (cpu.cycles &- timerStart) >> timerShift
    if timerMode == LocalAPIC.periodic {
      return timerInitialCount - UInt32(elapsed % UInt64(timerInitialCount))
    }
    return elapsed >= UInt64(timerInitialCount) ? 0 : timerInitialCount - UInt32(elapsed)
  }

  /// When the run loop must next call `advance(to:)`. A masked timer still counts (its count is
  /// computed), but needs no event: unmasking it realigns the next expiry (`setTimerEntry`).
  public var nextEventCycle: UInt64 {
    if lvt[LVT.timer] & LVT.masked != 0 { return .max }
    if timerMode == LocalAPIC.tscDeadlineMode {
      guard tscDeadline != 0 else { return .max }
      let tsc = cpu.cycles &+ cpu.tscOffset
      return tscDeadline <= tsc ? cpu.cycles : cpu.cycles &+ (tscDeadline - tsc)
    }
    return timerNextExpiry
  }

  /// The first expiry of a periodic count at or after cycle `t`.
  func nextPeriodicExpiry(from t: UInt64) -> UInt64 {
    let period = timerPeriod
    guard t > timerStart else { return timerStart &+ period }
    return timerStart &+ ((t - timerStart - 1) / period + 1) * period
  }

  /// Expires the timer if it is due: one interrupt however many periods passed (the IRR bit is one).
  public func advance(to cycle: UInt64) {
    let entry = lvt[LVT.timer]
    guard entry & LVT.masked == 0 else { return }
    if timerMode == LocalAPIC.tscDeadlineMode {
      guard tscDeadline != 0, cycle &+ cpu.tscOffset >= tscDeadline else { return }
      tscDeadline = 0
    } else {
      guard cycle >= timerNextExpiry else { return }
      timerNextExpiry = timerMode == LocalAPIC.periodic ? nextPeriodicExpiry(from: cycle &+ 1) : .max
    }
    accept(vector: UInt8(truncatingIfNeeded: entry), levelTriggered: false)
  }

  /// A write to the LVT timer entry; changing into or out of TSC-deadline mode disarms the timer.
  func setTimerEntry(_ entry: UInt32) {
    let oldMode = timerMode
    lvt[LVT.timer] = entry
    let newMode = timerMode
    if oldMode != newMode && (oldMode == LocalAPIC.tscDeadlineMode || newMode == LocalAPIC.tscDeadlineMode) {
      tscDeadline = 0
      timerInitialCount = 0
    }
    realignTimer()
  }

  /// The next expiry from now: expiries that passed while the timer was masked are lost.
  func realignTimer() {
    let now = cpu.cycles
    if timerInitialCount == 0 || timerMode == LocalAPIC.tscDeadlineMode {
      timerNextExpiry = .max
    } else if timerMode == LocalAPIC.periodic {
      timerNextExpiry = nextPeriodicExpiry(from: now)
    } else {
      let end = timerStart &+ timerPeriod
      timerNextExpiry = end >= now && timerNextExpiry != .max ? end : .max
    }
  }

  /// Writing the initial count (re)starts the count; in TSC-deadline mode the write is ignored.
  func setTimerInitialCount(_ count: UInt32) {
    guard timerMode != LocalAPIC.tscDeadlineMode else { return }
    timerInitialCount = count
    timerStart = cpu.cycles
    timerNextExpiry = count == 0 ? .max : timerStart &+ timerPeriod
  }

  /// A new divider applies to the rest of the count.
  func setTimerDivide(_ configuration: UInt32) {
    let remaining = UInt64(timerCurrentCount)
    let done = UInt64(timerInitialCount) &- remaining
    timerDivideConfiguration = configuration
    guard timerInitialCount != 0, timerNextExpiry != .max, remaining != 0 else { return }
    timerStart = cpu.cycles &- (done << timerShift)
    timerNextExpiry = timerMode == LocalAPIC.periodic ? nextPeriodicExpiry(from: cpu.cycles) : timerStart &+ timerPeriod
  }

  /// IA32_TSC_DEADLINE (SDM Vol. 3A 11.5.4.1): reads 0 and ignores writes outside TSC-deadline mode.
  var tscDeadlineMSR: UInt64 {
    get { timerMode == LocalAPIC.tscDeadlineMode ? tscDeadline : 0 }
    set {
      guard timerMode == LocalAPIC.tscDeadlineMode else { return }
      tscDeadline = newValue
      cpu.endSlice()  // the next event moved
    }
  }
}
