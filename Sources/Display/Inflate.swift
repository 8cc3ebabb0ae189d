// A DEFLATE decoder (RFC 1951): stored, fixed-Huffman and dynamic-Huffman blocks. It exists so the emulator
// can read gzipped Linux console fonts (*.psf.gz) and the tests can decode the PNGs it writes, without
// depending on the host's zlib. The Huffman decoding follows the canonical-code method of RFC 1951 section
// 3.2.2 bit by bit (as Mark Adler's reference decoder "puff" does): not the fastest, but short and easy to
// check, and the inputs here are small.

/// Why a gzip, zlib or DEFLATE stream could not be decoded.
public enum DecompressionError: Error, Equatable, CustomStringConvertible {
  /// The data ended in the middle of the stream.
  case truncated
  /// Block type 3, which RFC 1951 reserves.
  case invalidBlockType
  /// A stored block whose LEN and NLEN are not one's complements.
  case storedLengthMismatch
  /// A Huffman code description that is over-subscribed or otherwise impossible.
  case invalidCodeLengths(String)
  /// A bit pattern that no code in the current table has, or a symbol DEFLATE does not define.
  case invalidSymbol
  /// A back reference to before the start of the output.
  case distanceTooFar
  /// Not a gzip member (bytes 0x1F 0x8B) or not a zlib header.
  case badMagic
  /// A compression method other than 8 (deflate), or a feature these decoders do not support.
  case unsupported(String)
  /// The CRC-32 (gzip) or Adler-32 (zlib) of the output is not the one the stream recorded.
  case checksumMismatch(expected: UInt32, actual: UInt32)
  /// The gzip trailer's ISIZE differs from the output length modulo 2^32.
  case sizeMismatch(expected: UInt32, actual: UInt32)

  public var description: String {
    switch self {
    case .truncated: return "compressed data is truncated"
    case .invalidBlockType: return "invalid DEFLATE block type 3"
    case .storedLengthMismatch: return "stored DEFLATE block length does not match its complement"
    case .invalidCodeLengths(let why): return "invalid Huffman code: \(why)"
    case .invalidSymbol: return "invalid Huffman code in DEFLATE data"
    case .distanceTooFar: return "DEFLATE back reference points before the start of the data"
    case .badMagic: return "not gzip or zlib data (bad magic bytes)"
    case .unsupported(let what): return "unsupported compressed data: \(what)"
    case .checksumMismatch(let expected, let actual):
      return "checksum mismatch: stored 0x\(String(expected, radix: 16)), computed 0x\(String(actual, radix: 16))"
    case .sizeMismatch(let expected, let actual):
      return "size mismatch: stored \(expected) bytes, decoded \(actual)"
    }
  }
}

/// Decodes one raw DEFLATE stream.
public enum Inflate {
  /// Decodes the DEFLATE stream starting at `start` in `input`. Returns the output and the index of the first
  /// byte after the stream (the final block ends on a bit; the rest of that byte is padding), where a gzip
  /// or zlib trailer begins.
  public static func decompress(_ input: [UInt8], from start: Int = 0) throws -> (output: [UInt8], end: Int) {
    var reader = BitReader(input, at: start)
    var output: [UInt8] = []
    output.reserveCapacity(input.count * 4)
    var isFinal = false
    while !isFinal {
      isFinal = try reader.bits(1) == 1
      switch try reader.bits(2) {
      case 0: try copyStoredBlock(&reader, into: &output)
      case 1: try decodeBlock(&reader, literals: fixedCodes.literals, distances: fixedCodes.distances, into: &output)
      case 2:
        let codes = try readDynamicCodes(&reader)
        try decodeBlock(&reader, literals: codes.literals, distances: codes.distances, into: &output)
      default: throw DecompressionError.invalidBlockType
      }
    }
    return (output, reader.byteIndexAfterAligning())
  }

  private static let fixedCodes = (
    literals: try! HuffmanCode(lengths: DeflateTables.fixedLiteralLengths),
    distances: try! HuffmanCode(lengths: DeflateTables.fixedDistanceLengths)
  )

  private static func copyStoredBlock(_ reader: inout BitReader, into output: inout [UInt8]) throws {
    var index = reader.byteIndexAfterAligning()
    let bytes = reader.bytes
    guard index + 4 <= bytes.count else { throw DecompressionError.truncated }
    let length = Int(bytes[index]) | Int(bytes[index + 1]) << 8
    let complement = Int(bytes[index + 2]) | Int(bytes[index + 3]) << 8
    guard length == complement ^ 0xFFFF else { throw DecompressionError.storedLengthMismatch }
    index += 4
    guard index + length <= bytes.count else { throw DecompressionError.truncated }
    output.append(contentsOf: bytes[index..<index + length])
    reader = BitReader(bytes, at: index + length)
  }

  /// Reads a dynamic block's header (RFC 1951 section 3.2.7): the code length code, then the literal/length
  /// and distance code lengths it encodes, run-length compressed with symbols 16-18.
  private static func readDynamicCodes(_ reader: inout BitReader) throws
    -> (literals: HuffmanCode, distances: HuffmanCode)
  {
    let literalCount = try reader.bits(5) + 257
    let distanceCount = try reader.bits(5) + 1
    let codeLengthCount = try reader.bits(4) + 4
    guard literalCount <= 286, distanceCount <= 30 else {
      throw DecompressionError.invalidCodeLengths("too many length or distance codes")
    }
    var codeLengthLengths = [Int](repeating: 0, count: 19)
    for i in 0..<codeLengthCount { codeLengthLengths[DeflateTables.codeLengthOrder[i]] = try reader.bits(3) }
    let codeLengthCode = try HuffmanCode(lengths: codeLengthLengths)

    var lengths: [Int] = []
    lengths.reserveCapacity(literalCount + distanceCount)
    while lengths.count < literalCount + distanceCount {
      let symbol = try codeLengthCode.decode(&reader)
      var repeated = 0
      var count = 0
      switch symbol {
      case 0...15:
        lengths.append(symbol)
        continue
      case 16:
        guard let last = lengths.last else {
          throw DecompressionError.invalidCodeLengths("repeat with no previous length")
        }
        repeated = last
        count = try 3 + reader.bits(2)
      case 17: count = try 3 + reader.bits(3)
      default: count = try 11 + reader.bits(7)
      }
      guard lengths.count + count <= literalCount + distanceCount else {
        throw DecompressionError.invalidCodeLengths("repeat past the last code")
      }
      lengths.append(contentsOf: repeatElement(repeated, count: count))
    }
    guard lengths[256] != 0 else { throw DecompressionError.invalidCodeLengths("no end-of-block code") }
    return (
      try HuffmanCode(lengths: Array(lengths[0..<literalCount])),
      try HuffmanCode(lengths: Array(lengths[literalCount...]))
    )
  }

  private static func decodeBlock(
    _ reader: inout BitReader, literals: HuffmanCode, distances: HuffmanCode, into output: inout [UInt8]
  ) throws {
    while true {
      let symbol = try literals.decode(&reader)
      if symbol < 256 {
        output.append(UInt8(symbol))
        continue
      }
      if symbol == 256 { return }
      let lengthCode = symbol - 257
      guard lengthCode < DeflateTables.lengthBase.count else { throw DecompressionError.invalidSymbol }
      let length = try DeflateTables.lengthBase[lengthCode] + reader.bits(DeflateTables.lengthExtraBits[lengthCode])
      let distanceCode = try distances.decode(&reader)
      guard distanceCode < DeflateTables.distanceBase.count else { throw DecompressionError.invalidSymbol }
      let distance =
        try DeflateTables.distanceBase[distanceCode] + reader.bits(DeflateTables.distanceExtraBits[distanceCode])
      guard distance <= output.count else { throw DecompressionError.distanceTooFar }
      // Byte by byte on purpose: a match may overlap the bytes it is producing (distance < length).
      var from = output.count - distance
      for _ in 0..<length {
        output.append(output[from])
        from += 1
      }
    }
  }
}

/// Reads DEFLATE's bit stream: bits packed starting at each byte's least significant bit.
struct BitReader {
  let bytes: [UInt8]
  private var index: Int
  private var buffer: UInt64 = 0
  private var bufferedBits = 0

  init(_ bytes: [UInt8], at index: Int) {
    self.bytes = bytes
    self.index = index
  }

  /// The next `count` (0...32) bits as a number, first bit least significant.
  mutating func bits(_ count: Int) throws -> Int {
    while bufferedBits < count {
      guard index < bytes.count else { throw DecompressionError.truncated }
      buffer |= UInt64(bytes[index]) << UInt64(bufferedBits)
      index += 1
      bufferedBits += 8
    }
    let value = Int(buffer & ((1 << UInt64(count)) - 1))
    buffer >>= UInt64(count)
    bufferedBits -= count
    return value
  }

  /// Drops the rest of a partly read byte and returns the index of the next whole byte.
  mutating func byteIndexAfterAligning() -> Int {
    // Whole bytes still in the buffer were read ahead and are given back.
    let unread = bufferedBits / 8
    index -= unread
    buffer = 0
    bufferedBits = 0
    return index
  }
}

/// A canonical Huffman code given by its code lengths (RFC 1951 section 3.2.2), kept as the number of codes
/// of each length and the symbols in code order.
struct HuffmanCode {
  private var counts = [Int](repeating: 0, count: 16)
  private var symbols: [Int] = []

  init(lengths: [Int]) throws {
    for length in lengths { counts[length] += 1 }
    counts[0] = 0
    // Each length doubles the codes available; using more than exist means the lengths are impossible.
    // Incomplete codes are accepted (RFC 1951 allows a one-code distance table); an unused pattern is
    // reported when it is met.
    var left = 1
    for length in 1...15 {
      left = left * 2 - counts[length]
      if left < 0 { throw DecompressionError.invalidCodeLengths("over-subscribed code") }
    }
    var offsets = [Int](repeating: 0, count: 16)
    for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
    symbols = [Int](repeating: 0, count: offsets[15] + counts[15])
    for (symbol, length) in lengths.enumerated() where length != 0 {
      symbols[offsets[length]] = symbol
      offsets[length] += 1
    }
  }

  func decode(_ reader: inout BitReader) throws -> Int {
    // Canonical codes of one length are consecutive, and each length's first code follows from the counts
    // of the shorter lengths: compare the code read so far against the range of the current length.
    var code = 0
    var first = 0
    var index = 0
    for length in 1...15 {
      code |= try reader.bits(1)
      let count = counts[length]
      if code - first < count { return symbols[index + code - first] }
      index += count
      first = (first + count) << 1
      code <<= 1
    }
    throw DecompressionError.invalidSymbol
  }
}
