// FuzzInput.swift: the bytes libFuzzer hands a target, read front to back.

/// A cursor over one fuzz input; reads past the end give zeros, so a target never runs out.
struct FuzzInput {
  let bytes: UnsafeBufferPointer<UInt8>
  private(set) var position = 0

  init(_ data: UnsafePointer<UInt8>?, _ count: Int) {
    bytes = UnsafeBufferPointer(start: data, count: data == nil ? 0 : count)
  }

  var remaining: Int { bytes.count - position }

  mutating func byte() -> UInt8 {
    guard position < bytes.count else { return 0 }
    defer { position += 1 }
    return bytes[position]
  }

  mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) -> T {
    var value: T = 0
    for shift in stride(from: 0, to: T.bitWidth, by: 8) { value |= T(truncatingIfNeeded: byte()) << shift }
    return value
  }

  /// The next `count` bytes (fewer at the end).
  mutating func take(_ count: Int) -> [UInt8] {
    let end = min(bytes.count, position + max(0, count))
    defer { position = end }
    return Array(bytes[position..<end])
  }

  /// Everything not read yet.
  mutating func rest() -> [UInt8] { take(remaining) }
}

/// A failed invariant: libFuzzer records the input that caused it as a crash.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
  if !condition() { fatalError("fuzz invariant: \(message())") }
}
