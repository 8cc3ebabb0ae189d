// The I/O port space (SDM Vol. 1 18: 64 Ki byte-addressed ports reached only by IN/OUT/INS/OUTS).

/// A device reached through I/O ports.
public protocol PortDevice: AnyObject {
  /// Reads `size` bytes (1, 2 or 4) from `port`.
  func read(port: UInt16, size: Int) -> UInt32
  /// Writes the low `size` bytes of `value` to `port`.
  func write(port: UInt16, size: Int, value: UInt32)
}

/// Routes port accesses to registered devices. A port without a device reads as all ones and drops
/// writes, as on an ISA bus with pull-ups; each such port is recorded once in `unknownPorts`.
///
/// Time: a clocked device (Machine.addClockedDevice: the PIT, the RTC) is brought up to the cycle of
/// the access before it sees it, so what the guest reads is exact without the device keeping a clock
/// of its own; and the access ends the CPU's time slice only when it moved the device's next event,
/// since only then must the run loop read the schedules again. A UART status poll, a CRTC write or
/// a PIT counter read end nothing.
public final class PortBus {
  /// Index into `devices` for each port (0 = none), so dispatch is one array load.
  private var owner = [UInt16](repeating: 0, count: 65536)
  private var devices: [PortDevice] = []
  /// Per device: the same device as a clocked device, when it is one.
  private var clockedDevices: [ClockedDevice?] = []
  /// Every clocked device the machine has, port device or not (registration may come in any order).
  private var clocked: [ClockedDevice] = []
  /// The cycle of the latest access: the time of an access made by the host between runs.
  private var lastCycle: UInt64 = 0
  /// Ports touched without a device, in first-touch order (for a --verbose report).
  public private(set) var unknownPorts: [UInt16] = []
  private var reported = Set<UInt16>()
  /// Called once per unknown port when it is first touched (front ends may print it).
  public var onUnknownPort: ((UInt16, _ isWrite: Bool) -> Void)?
  /// Called after every port access: the CPU re-checks for interrupts a device may have raised and,
  /// when `rescheduled`, ends the time slice so the run loop reads the device schedules again.
  var accessed: ((_ rescheduled: Bool) -> Void)?

  /// A bus with no devices: every port reads as all ones.
  public init() {}

  /// Registers `device` for the ports `range`; later registrations take over overlapping ports.
  public func register(_ device: PortDevice, ports range: ClosedRange<UInt16>) {
    devices.append(device)
    clockedDevices.append(clocked.first { $0 === device })
    let index = UInt16(devices.count)
    for p in range { owner[Int(p)] = index }
  }

  func noteClockedDevice(_ device: ClockedDevice) {
    clocked.append(device)
    for (i, d) in devices.enumerated() where d === device { clockedDevices[i] = device }
  }

  /// Reads `size` bytes (1, 2 or 4) from `port` at `cycle`, from its device or as all ones.
  public func read(port: UInt16, size: Int, at cycle: UInt64) -> UInt32 {
    let o = owner[Int(port)]
    if o == 0 {
      accessed?(false)
      noteUnknown(port, isWrite: false)
      return UInt32(truncatingIfNeeded: sizeMask(size))
    }
    let k = Int(o) - 1
    let next = catchUp(k, to: cycle)
    let value = devices[k].read(port: port, size: size)
    accessed?(next != nil && clockedDevices[k]!.nextEventCycle != next)
    return value
  }

  /// Writes the low `size` bytes of `value` to `port`'s device at `cycle`, or drops them.
  public func write(port: UInt16, size: Int, value: UInt32, at cycle: UInt64) {
    let o = owner[Int(port)]
    if o == 0 {
      accessed?(false)
      noteUnknown(port, isWrite: true)
      return
    }
    let k = Int(o) - 1
    let next = catchUp(k, to: cycle)
    devices[k].write(port: port, size: size, value: value & UInt32(truncatingIfNeeded: sizeMask(size)))
    accessed?(next != nil && clockedDevices[k]!.nextEventCycle != next)
  }

  /// A read by the host between runs (a test, a front end), at the time of the latest access.
  public func read(port: UInt16, size: Int) -> UInt32 { read(port: port, size: size, at: lastCycle) }

  /// A write by the host between runs, at the time of the latest access.
  public func write(port: UInt16, size: Int, value: UInt32) {
    write(port: port, size: size, value: value, at: lastCycle)
  }

  /// Brings device `k` up to `cycle` if it is clocked; its next event then, or nil.
  private func catchUp(_ k: Int, to cycle: UInt64) -> UInt64? {
    lastCycle = max(lastCycle, cycle)
    guard let device = clockedDevices[k] else { return nil }
    device.advance(to: cycle)
    return device.nextEventCycle
  }

  private func noteUnknown(_ port: UInt16, isWrite: Bool) {
    if reported.insert(port).inserted {
      unknownPorts.append(port)
      onUnknownPort?(port, isWrite)
    }
  }
}
