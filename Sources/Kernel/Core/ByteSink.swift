// ByteSink.swift: text output without a heap.
//
// Interpolated strings need an allocator, and the panic path must work even when the heap is what
// broke. So the kernel's writers (screen, serial, both) take bytes one at a time, and this file
// formats strings and integers into any such sink using only the stack.

/// Something that accepts a stream of bytes: the screen, the serial port, a test buffer.
public protocol ByteSink {
  mutating func write(byte: UInt8)
}

extension ByteSink {
  /// Writes a string literal's UTF-8 bytes.
  public mutating func write(_ text: StaticString) {
    text.withUTF8Buffer { bytes in
      for byte in bytes { write(byte: byte) }
    }
  }

  /// Writes raw bytes, for text that is not a literal (a command line, a boot loader name).
  public mutating func write(bytes: UnsafeBufferPointer<UInt8>) {
    for byte in bytes { write(byte: byte) }
  }

  /// Writes `count` copies of `byte`: padding and rules.
  public mutating func write(repeating byte: UInt8, count: Int) {
    var remaining = count
    while remaining > 0 {
      write(byte: byte)
      remaining -= 1
    }
  }

  /// Writes an unsigned integer in decimal, right-aligned in at least `minimumWidth` columns.
  public mutating func write(decimal value: UInt64, minimumWidth: Int = 0, padding: UInt8 = 0x20) {
    writeDigits(of: value, radix: 10, uppercase: false, minimumWidth: minimumWidth, padding: padding)
  }

  /// Writes a signed integer in decimal; the minus sign counts toward the width.
  public mutating func write(decimal value: Int64, minimumWidth: Int = 0) {
    if value >= 0 {
      write(decimal: UInt64(value), minimumWidth: minimumWidth)
      return
    }
    let digits = NumberFormat.digitCount(of: value.magnitude, radix: 10)
    write(repeating: 0x20, count: minimumWidth - digits - 1)
    write(byte: 0x2D)  // "-"
    write(decimal: value.magnitude)
  }

  /// Writes an integer in hexadecimal with at least `minimumDigits` digits, zero padded, with a
  /// "0x" prefix unless `prefix` is false.
  public mutating func write(
    hex value: UInt64, minimumDigits: Int = 1, prefix: Bool = true, uppercase: Bool = false
  ) {
    if prefix { write("0x") }
    writeDigits(
      of: value, radix: 16, uppercase: uppercase, minimumWidth: minimumDigits, padding: 0x30)
  }

  /// Writes a byte count in the largest binary unit that divides it exactly ("128 MiB",
  /// "639 KiB", "1536 B"), the way memory maps are usually read.
  public mutating func write(byteCount: UInt64) {
    var value = byteCount
    var unit = 0
    while value >= 1024 && value % 1024 == 0 && unit < 4 {
      value /= 1024
      unit += 1
    }
    write(decimal: value)
    switch unit {
    case 0: write(" B")
    case 1: write(" KiB")
    case 2: write(" MiB")
    case 3: write(" GiB")
    default: write(" TiB")
    }
  }

  private mutating func writeDigits(
    of value: UInt64, radix: UInt64, uppercase: Bool, minimumWidth: Int, padding: UInt8
  ) {
    let count = NumberFormat.digitCount(of: value, radix: radix)
    write(repeating: padding, count: minimumWidth - count)
    // Emit the most significant digit first by dividing by the largest power of the radix.
    var divisor: UInt64 = 1
    var index = 1
    while index < count {
      divisor &*= radix
      index += 1
    }
    var rest = value
    while divisor > 0 {
      let digit = UInt8(truncatingIfNeeded: rest / divisor)
      rest %= divisor
      divisor /= radix
      write(byte: NumberFormat.digitCharacter(digit, uppercase: uppercase))
    }
  }
}

/// Digit helpers shared by the formatting functions.
public enum NumberFormat {
  /// How many digits `value` needs in `radix`; zero needs one.
  public static func digitCount(of value: UInt64, radix: UInt64) -> Int {
    var count = 1
    var rest = value / radix
    while rest > 0 {
      count += 1
      rest /= radix
    }
    return count
  }

  /// The ASCII character for a digit 0...35.
  @inline(__always)
  public static func digitCharacter(_ digit: UInt8, uppercase: Bool) -> UInt8 {
    if digit < 10 { return 0x30 + digit }
    return (uppercase ? 0x41 : 0x61) + digit - 10
  }
}
