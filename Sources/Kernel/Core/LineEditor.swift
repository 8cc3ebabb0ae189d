// LineEditor.swift: reading a command line, a key at a time.
//
// What a terminal's "cooked mode" does: printable characters are added to the line and echoed,
// Backspace removes the last one and erases it on screen, Ctrl-U erases the whole line, Ctrl-C
// abandons it, Enter completes it. The editor says what to echo; the shell writes that to the
// screen and serial, so the same logic serves both and is tested on the host.

public struct LineEditor {
  public static var capacity: Int { 76 }

  private var storage: InlineArray<76, UInt8> = InlineArray(repeating: 0)
  public private(set) var count = 0

  public init() {}

  /// The outcome of one input byte.
  public enum Action: Equatable {
    /// Nothing to show (an ignored byte, or Backspace on an empty line).
    case none
    /// Echo this byte (a printable character that was added).
    case echo(UInt8)
    /// Erase this many characters before the cursor ("\b \b" each).
    case erase(Int)
    /// The line is complete; read it with `withLine`, then `reset`.
    case submit
    /// The line was abandoned (Ctrl-C).
    case cancel
  }

  public mutating func handle(_ byte: UInt8) -> Action {
    switch byte {
    case 0x0A, 0x0D:
      return .submit
    case 0x08, 0x7F:  // Backspace; serial terminals send DEL for it
      guard count > 0 else { return .none }
      count -= 1
      return .erase(1)
    case 0x15:  // Ctrl-U
      let erased = count
      count = 0
      return erased > 0 ? .erase(erased) : .none
    case 0x03:  // Ctrl-C
      count = 0
      return .cancel
    case 0x09:  // a tab is a space on a command line
      return handle(0x20)
    case 0x20...0x7E, 0x80...0xFE:
      guard count < Self.capacity else { return .none }
      storage[count] = byte
      count += 1
      return .echo(byte)
    default:
      return .none
    }
  }

  public mutating func reset() { count = 0 }

  public func byte(at index: Int) -> UInt8 { storage[index] }

  /// The words of the line, split at spaces: calls `body` with each word's range.
  public func forEachWord(_ body: (Range<Int>) -> Void) {
    var index = 0
    while index < count {
      while index < count && storage[index] == 0x20 { index += 1 }
      let start = index
      while index < count && storage[index] != 0x20 { index += 1 }
      if index > start { body(start..<index) }
    }
  }

  /// The number of words.
  public var wordCount: Int {
    var words = 0
    forEachWord { _ in words += 1 }
    return words
  }

  /// The range of word `n` (0-based), if the line has that many.
  public func word(_ n: Int) -> Range<Int>? {
    var found: Range<Int>?
    var index = 0
    forEachWord { range in
      if index == n { found = range }
      index += 1
    }
    return found
  }

  /// True when word `n` is exactly `text` (ASCII, case-sensitive).
  public func word(_ n: Int, is text: StaticString) -> Bool {
    guard let range = word(n) else { return false }
    return text.withUTF8Buffer { pattern in
      guard pattern.count == range.count else { return false }
      for offset in 0..<pattern.count where storage[range.lowerBound + offset] != pattern[offset] {
        return false
      }
      return true
    }
  }

  /// Everything after word `n` and the spaces that follow it ("echo  a b" -> "a b" for n = 0).
  public func rest(after n: Int) -> Range<Int> {
    guard let range = word(n) else { return count..<count }
    var start = range.upperBound
    while start < count && storage[start] == 0x20 { start += 1 }
    return start..<count
  }
}
