// The POST diagnostic port 0x80 (IBM PC/AT BIOS POST codes; also the classic "I/O delay" write target).
//
// Writes are accepted and otherwise ignored, as QEMU's machines do; the last value is kept for debugging.
// Reads return all ones, like the undriven bus on a machine without a POST card.

/// Port 0x80: records the last POST code written.
import StateCoding

public final class PostCodePort {
  public static let port: UInt16 = 0x80

  /// The port the device decodes.
  public let portRanges: [ClosedRange<UInt16>] = [0x80...0x80]

  /// The last byte written (nil before the first write).
  public private(set) var lastValue: UInt8?
  /// How many writes it has seen.
  public private(set) var writeCount = 0

  public init() {}

  /// Forgets the last POST code and the write count.
  public func reset() {
    lastValue = nil
    writeCount = 0
  }

  public func read(port: UInt16, size: Int) -> UInt32 {
    allOnes(size: size)
  }

  public func write(port: UInt16, size: Int, value: UInt32) {
    guard port == Self.port else { return }
    lastValue = UInt8(truncatingIfNeeded: value)
    writeCount += 1
  }
}

// MARK: Snapshot

extension PostCodePort: StateCodable {
  public func code(_ coder: inout StateCoder) {
    coder.section(0x80)
    coder.code(&lastValue)
    coder.code(&writeCount)
  }
}
