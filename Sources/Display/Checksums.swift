// The two checksums the container formats here need: CRC-32 (ISO 3309 / ITU-T V.42, the polynomial
// 0xEDB88320 reflected, as specified in RFC 1952 section 8 and the PNG specification annex D) guards gzip
// members and PNG chunks; Adler-32 (RFC 1950 section 8.2) guards zlib streams, which PNG's IDAT data is.

/// CRC-32 as gzip and PNG compute it. Feed bytes with `update`, read `value` at any point.
public struct CRC32 {
  /// The byte-at-a-time table, built once: the spec's reference algorithm, which is fast enough for fonts and
  /// screenshots without a slicing-by-8 table.
  private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  // Kept pre-inverted between updates so that `update` can be called any number of times.
  private var register: UInt32 = 0xFFFF_FFFF

  public init() {}

  public var value: UInt32 { register ^ 0xFFFF_FFFF }

  public mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
    var c = register
    Self.table.withUnsafeBufferPointer { table in
      for byte in bytes { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
    }
    register = c
  }

  /// The CRC-32 of `bytes`.
  public static func checksum<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
    var crc = CRC32()
    crc.update(bytes)
    return crc.value
  }
}

/// Adler-32 as zlib computes it.
public struct Adler32 {
  private var a: UInt32 = 1
  private var b: UInt32 = 0

  public init() {}

  public var value: UInt32 { b << 16 | a }

  public mutating func update<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
    // 5552 is the largest run for which b cannot overflow 32 bits before the modulo (RFC 1950's NMAX).
    var pending = 0
    for byte in bytes {
      a &+= UInt32(byte)
      b &+= a
      pending += 1
      if pending == 5552 {
        a %= 65521
        b %= 65521
        pending = 0
      }
    }
    a %= 65521
    b %= 65521
  }

  /// The Adler-32 of `bytes`.
  public static func checksum<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
    var adler = Adler32()
    adler.update(bytes)
    return adler.value
  }
}
