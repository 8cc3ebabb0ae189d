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
public final class PortBus {
  /// Index into `devices` for each port (0 = none), so dispatch is one array load.
  private var owner = [UInt16](repeating: 0, count: 65536)
  private var devices: [PortDevice] = []
  /// Per device: an access may change when it next needs time (it is a clocked device).
  private var reschedules: [Bool] = []
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
    reschedules.append(clocked.contains { $0 === device })
    let index = UInt16(devices.count)
    for p in range { owner[Int(p)] = index }
  }

  /// Devices the machine advances over time (Machine.addClockedDevice): an access to one may move its
  /// next event, so it ends the time slice. Accesses to the others (a UART status poll, the CRTC
  /// cursor) do not: nothing they do changes when the run loop must next stop.
  private var clocked: [AnyObject] = []

  func noteClockedDevice(_ device: AnyObject) {
    clocked.append(device)
    for (i, d) in devices.enumerated() where d === device { reschedules[i] = true }
  }

  /// Reads `size` bytes (1, 2 or 4) from `port`, from its device or as all ones.
  public func read(port: UInt16, size: Int) -> UInt32 {
    let o = owner[Int(port)]
    if o == 0 {
      accessed?(false)
      noteUnknown(port, isWrite: false)
      return UInt32(truncatingIfNeeded: sizeMask(size))
    }
    let value = devices[Int(o) - 1].read(port: port, size: size)
    accessed?(reschedules[Int(o) - 1])
    return value
  }

  /// Writes the low `size` bytes of `value` to `port`'s device, or drops them.
  public func write(port: UInt16, size: Int, value: UInt32) {
    let o = owner[Int(port)]
    if o == 0 {
      accessed?(false)
      noteUnknown(port, isWrite: true)
      return
    }
    let masked = value & UInt32(truncatingIfNeeded: sizeMask(size))
    devices[Int(o) - 1].write(port: port, size: size, value: masked)
    accessed?(reschedules[Int(o) - 1])
  }

  private func noteUnknown(_ port: UInt16, isWrite: Bool) {
    if reported.insert(port).inserted {
      unknownPorts.append(port)
      onUnknownPort?(port, isWrite)
    }
  }
}
