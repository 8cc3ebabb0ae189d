// Devices that act over time (timers, serial transmit pacing) see time only as the CPU cycle counter.

/// A device that needs to run at some cycle. The run loop executes guest code until the earliest
/// `nextEventCycle` of all clocked devices, then calls `advance(to:)` on every device that is due.
public protocol ClockedDevice: AnyObject {
  /// The cycle at which this device next needs to run; `UInt64.max` when it has nothing scheduled.
  var nextEventCycle: UInt64 { get }
  /// Brings the device up to `cycle` (called with the current cycle once it reached `nextEventCycle`).
  func advance(to cycle: UInt64)
}
