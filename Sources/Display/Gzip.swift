// The two DEFLATE containers used here: gzip (RFC 1952), in which Linux console fonts are shipped
// (*.psf.gz), and zlib (RFC 1950), which carries a PNG's image data. Both wrap Inflate with a header and a
// checksum that is verified, so a damaged font is reported rather than drawn as garbage.

public enum Gzip {
  /// True if `bytes` starts with the gzip magic number (ID1 = 0x1F, ID2 = 0x8B).
  public static func isGzip(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
  }

  /// Decompresses a gzip file: one or more members (RFC 1952 section 2.2 allows concatenation), each with
  /// its CRC-32 and ISIZE checked.
  public static func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
    var output: [UInt8] = []
    var index = 0
    repeat {
      let (member, next) = try decompressMember(bytes, at: index)
      output += member
      index = next
    } while index < bytes.count && isGzip(Array(bytes[index...].prefix(2)))
    return output
  }

  // Header flag bits (RFC 1952 section 2.3.1).
  private static let flagHeaderCRC: UInt8 = 0x02
  private static let flagExtra: UInt8 = 0x04
  private static let flagName: UInt8 = 0x08
  private static let flagComment: UInt8 = 0x10
  private static let reservedFlags: UInt8 = 0xE0

  private static func decompressMember(_ bytes: [UInt8], at start: Int) throws -> (output: [UInt8], end: Int) {
    guard bytes.count - start >= 10 else { throw DecompressionError.truncated }
    guard bytes[start] == 0x1F, bytes[start + 1] == 0x8B else { throw DecompressionError.badMagic }
    guard bytes[start + 2] == 8 else { throw DecompressionError.unsupported("gzip method \(bytes[start + 2])") }
    let flags = bytes[start + 3]
    guard flags & reservedFlags == 0 else { throw DecompressionError.unsupported("reserved gzip flags set") }
    // Skip MTIME, XFL and OS, then the optional fields in the order the RFC lists them.
    var index = start + 10
    if flags & flagExtra != 0 {
      guard index + 2 <= bytes.count else { throw DecompressionError.truncated }
      index += 2 + (Int(bytes[index]) | Int(bytes[index + 1]) << 8)
    }
    for flag in [flagName, flagComment] where flags & flag != 0 {
      while true {
        guard index < bytes.count else { throw DecompressionError.truncated }
        index += 1
        if bytes[index - 1] == 0 { break }
      }
    }
    if flags & flagHeaderCRC != 0 { index += 2 }
    guard index <= bytes.count else { throw DecompressionError.truncated }

    let (output, end) = try Inflate.decompress(bytes, from: index)
    guard end + 8 <= bytes.count else { throw DecompressionError.truncated }
    let storedCRC = readLittleEndian32(bytes, at: end)
    let storedSize = readLittleEndian32(bytes, at: end + 4)
    let crc = CRC32.checksum(output)
    guard crc == storedCRC else { throw DecompressionError.checksumMismatch(expected: storedCRC, actual: crc) }
    let size = UInt32(truncatingIfNeeded: output.count)
    guard size == storedSize else { throw DecompressionError.sizeMismatch(expected: storedSize, actual: size) }
    return (output, end + 8)
  }

  private static func readLittleEndian32(_ bytes: [UInt8], at index: Int) -> UInt32 {
    UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
      | UInt32(bytes[index + 3]) << 24
  }
}

public enum Zlib {
  /// Decompresses a zlib stream (RFC 1950) and checks its Adler-32. Preset dictionaries are not supported
  /// (PNG forbids them).
  public static func decompress(_ bytes: [UInt8]) throws -> [UInt8] {
    guard bytes.count >= 2 else { throw DecompressionError.truncated }
    let cmf = bytes[0]
    let flg = bytes[1]
    guard (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0 else { throw DecompressionError.badMagic }
    guard cmf & 0x0F == 8, cmf >> 4 <= 7 else { throw DecompressionError.unsupported("zlib method \(cmf)") }
    guard flg & 0x20 == 0 else { throw DecompressionError.unsupported("zlib preset dictionary") }
    let (output, end) = try Inflate.decompress(bytes, from: 2)
    guard end + 4 <= bytes.count else { throw DecompressionError.truncated }
    // The only big-endian number in these formats: zlib stores Adler-32 most significant byte first.
    let stored = bytes[end..<end + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    let adler = Adler32.checksum(output)
    guard adler == stored else { throw DecompressionError.checksumMismatch(expected: stored, actual: adler) }
    return output
  }

  /// Wraps `data` in a zlib stream: header (deflate, 32 KiB window, default level), the DEFLATE data from
  /// `Deflate.compress` and the Adler-32.
  public static func compress(_ data: [UInt8]) -> [UInt8] {
    // 0x78 0x9C: CM 8, CINFO 7 (32 KiB window), FLEVEL 2, FCHECK making the pair a multiple of 31.
    var stream: [UInt8] = [0x78, 0x9C]
    stream += Deflate.compress(data)
    let adler = Adler32.checksum(data)
    stream += [UInt8(adler >> 24), UInt8(adler >> 16 & 0xFF), UInt8(adler >> 8 & 0xFF), UInt8(adler & 0xFF)]
    return stream
  }
}
