// LineRecorder.swift: remembering the last line of output.
//
// When Swift code traps (a failed precondition, an overflow, fatalError), the Embedded runtime
// prints its message through putchar and then executes UD2. By the time the #UD handler runs,
// the message is only pixels on the screen. The console therefore keeps the most recent line it
// wrote, and the handler can put it on the panic screen. Fixed storage: no heap on this path.

/// Keeps the most recently written non-empty line, up to `capacity` bytes of it.
public struct LineRecorder {
  public static var capacity: Int { 120 }

  private var current: InlineArray<120, UInt8> = InlineArray(repeating: 0)
  private var currentCount = 0
  private var completed: InlineArray<120, UInt8> = InlineArray(repeating: 0)
  private var completedCount = 0

  public init() {}

  public mutating func record(_ byte: UInt8) {
    if byte == 0x0A {
      if currentCount > 0 {
        completed = current
        completedCount = currentCount
      }
      currentCount = 0
    } else if currentCount < Self.capacity {
      current[currentCount] = byte
      currentCount += 1
    }
  }

  /// The line being written if it has any bytes, else the last completed one.
  public var count: Int { currentCount > 0 ? currentCount : completedCount }

  public func byte(at index: Int) -> UInt8 {
    currentCount > 0 ? current[index] : completed[index]
  }

  /// Writes the recent line (without a newline).
  public func write<Sink: ByteSink>(to sink: inout Sink) {
    for index in 0..<count { sink.write(byte: byte(at: index)) }
  }

  /// True when the recent line contains `needle`.
  public func contains(_ needle: StaticString) -> Bool {
    needle.withUTF8Buffer { pattern in
      guard pattern.count > 0, pattern.count <= count else { return pattern.count == 0 }
      for start in 0...(count - pattern.count) {
        var index = 0
        while index < pattern.count && byte(at: start + index) == pattern[index] { index += 1 }
        if index == pattern.count { return true }
      }
      return false
    }
  }

  /// The Swift runtime's trap messages ("Fatal error", "Precondition failed", ...).
  public var looksLikeSwiftRuntimeError: Bool {
    contains("Fatal error") || contains("Precondition failed") || contains("Assertion failed")
  }
}
