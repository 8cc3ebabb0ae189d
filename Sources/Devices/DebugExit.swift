// QEMU's isa-debug-exit device (hw/misc/debugexit.c; `-device isa-debug-exit,iobase=0xf4,iosize=0x04`).
//
// A write of value v to any of its ports ends the emulator; QEMU exits with status (v << 1) | 1, so a test
// kernel's status is always odd and can be told apart from QEMU's own 0 (clean) and failures. The device
// hands v to the host, which decides how to stop (`exitStatus(for:)` gives QEMU's status).

/// isa-debug-exit: a write reports its value to the host, which exits.
import StateCoding

public final class DebugExit {
  public static let defaultBase: UInt16 = 0xF4
  public static let defaultSize: UInt16 = 4

  /// First port and number of ports decoded (QEMU's iobase and iosize).
  public let base: UInt16
  public let portCount: UInt16
  /// The ports the device decodes.
  public var portRanges: [ClosedRange<UInt16>] { [base...(base + portCount - 1)] }
  /// Called with the value the guest wrote.
  public var onExit: (UInt32) -> Void
  /// The last value written, if any.
  public private(set) var lastValue: UInt32?

  public init(
    base: UInt16 = DebugExit.defaultBase, portCount: UInt16 = DebugExit.defaultSize,
    onExit: @escaping (UInt32) -> Void = { _ in }
  ) {
    self.base = base
    self.portCount = portCount
    self.onExit = onExit
  }

  /// Forgets the last value.
  public func reset() { lastValue = nil }

  /// The process exit status QEMU uses for a written value: (value << 1) | 1.
  public static func exitStatus(for value: UInt32) -> Int32 {
    Int32(truncatingIfNeeded: value << 1 | 1)
  }

  private func decodes(_ port: UInt16) -> Bool { port >= base && port - base < portCount }

  /// The device has nothing to read; its ports read as all ones.
  public func read(port: UInt16, size: Int) -> UInt32 {
    allOnes(size: size)
  }

  /// Any write to a decoded port passes the whole written value (1, 2 or 4 bytes) to `onExit`.
  public func write(port: UInt16, size: Int, value: UInt32) {
    guard decodes(port) else { return }
    let masked = value & allOnes(size: size)
    lastValue = masked
    onExit(masked)
  }
}

// MARK: Snapshot

extension DebugExit: StateCodable {
  public func code(_ coder: inout StateCoder) {
    coder.section(0xF4)
    coder.code(&lastValue)
  }
}
