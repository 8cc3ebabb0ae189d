// StateCoder: one listing of a component's state serves to save it and to restore it.
//
// A component lists its stored state once, `coder.code(&field)` per field, in a fixed order. The same
// code writes the fields into bytes when saving and overwrites them from bytes when restoring, so
// the two can never disagree about what the state is or in which order it goes. Restoring from
// bytes that run out or do not fit (a damaged snapshot) sets `failure` and leaves the rest of the
// fields as they are; the caller checks `failure` and discards the half-restored object.

public struct StateCoder {
  public enum Direction { case save, restore }
  public let direction: Direction
  public private(set) var bytes: [UInt8]
  private var offset = 0
  /// Why restoring failed (the first problem met), or nil.
  public private(set) var failure: String?

  /// A coder that saves into an empty buffer.
  public static func saving() -> StateCoder { StateCoder(direction: .save, bytes: []) }
  /// A coder that restores from `bytes`.
  public static func restoring(_ bytes: [UInt8]) -> StateCoder { StateCoder(direction: .restore, bytes: bytes) }

  private init(direction: Direction, bytes: [UInt8]) {
    self.direction = direction
    self.bytes = bytes
  }

  /// True when a restore used every byte and met no problem.
  public var isComplete: Bool { failure == nil && offset == bytes.count }

  public mutating func fail(_ reason: String) {
    if failure == nil { failure = reason }
  }

  public mutating func code<T: FixedWidthInteger>(_ value: inout T) {
    let size = MemoryLayout<T>.size
    switch direction {
    case .save:
      withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    case .restore:
      guard failure == nil, offset + size <= bytes.count else { return fail("the state ends early") }
      var v: T = 0
      for k in 0..<size { v |= T(truncatingIfNeeded: bytes[offset + k]) << (8 * k) }
      offset += size
      value = v
    }
  }

  public mutating func code(_ value: inout Bool) {
    var b: UInt8 = value ? 1 : 0
    code(&b)
    if direction == .restore {
      if b > 1 { fail("a flag is neither 0 nor 1") }
      value = b == 1
    }
  }

  public mutating func code(_ value: inout Int) {
    var v = Int64(value)
    code(&v)
    value = Int(v)
  }

  /// An optional: a presence flag, then the value.
  public mutating func code<T: FixedWidthInteger>(_ value: inout T?) {
    var present = value != nil
    code(&present)
    var v = value ?? 0
    if present { code(&v) }
    if direction == .restore { value = present ? v : nil }
  }

  public mutating func code(_ value: inout Bool?) {
    var present = value != nil
    code(&present)
    var v = value ?? false
    if present { code(&v) }
    if direction == .restore { value = present ? v : nil }
  }

  /// A byte array of any length (length first, bounded by what remains when restoring).
  public mutating func code(_ value: inout [UInt8]) {
    var count = UInt64(value.count)
    code(&count)
    switch direction {
    case .save:
      bytes.append(contentsOf: value)
    case .restore:
      guard failure == nil, count <= UInt64(bytes.count - offset) else {
        return fail("a byte string runs past the end")
      }
      value = Array(bytes[offset..<offset + Int(count)])
      offset += Int(count)
    }
  }

  /// An array of elements each coded by `element`; a restore rebuilds it from `blank` values.
  public mutating func code<T>(_ value: inout [T], blank: T, _ element: (inout StateCoder, inout T) -> Void) {
    var count = UInt64(value.count)
    code(&count)
    if direction == .restore {
      // Every element takes at least one byte, so a count beyond what remains is damage.
      guard failure == nil, count <= UInt64(bytes.count - offset) else { return fail("an array runs past the end") }
      value = [T](repeating: blank, count: Int(count))
    }
    for k in value.indices { element(&self, &value[k]) }
  }

  /// Raw memory of a fixed size (RAM pages, device memory).
  public mutating func code(raw pointer: UnsafeMutableRawPointer, count: Int) {
    switch direction {
    case .save:
      bytes.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: count))
    case .restore:
      guard failure == nil, offset + count <= bytes.count else { return fail("the state ends early") }
      bytes.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
      offset += count
    }
  }

  /// A marker that must match: catches a component restored from another component's bytes.
  public mutating func section(_ tag: UInt32) {
    var v = tag
    code(&v)
    if direction == .restore && v != tag && failure == nil {
      fail("expected section \(String(tag, radix: 16)), found \(String(v, radix: 16))")
    }
  }
}

/// Something whose state a StateCoder saves and restores.
public protocol StateCodable: AnyObject {
  func code(_ coder: inout StateCoder)
}
