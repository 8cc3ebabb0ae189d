// A small DEFLATE encoder (RFC 1951) for the PNG writer: greedy LZ77 matching over the 32 KiB window with a
// hash chain, emitted as one block with the fixed Huffman codes (section 3.2.6). Text-mode screenshots are
// long runs of one colour and rows that repeat the row above, which LZ77 alone shrinks a hundredfold, so
// dynamic Huffman tables would buy little for their complexity.

public enum Deflate {
  /// Compresses `data` into a raw DEFLATE stream (no zlib or gzip wrapper).
  public static func compress(_ data: [UInt8]) -> [UInt8] {
    var writer = BitWriter()
    writer.write(1, bits: 1)  // BFINAL: this is the only block.
    writer.write(1, bits: 2)  // BTYPE 01: fixed Huffman codes.
    data.withUnsafeBufferPointer { input in
      var matcher = Matcher(count: input.count)
      var position = 0
      while position < input.count {
        let match = matcher.longestMatch(in: input, at: position)
        if match.length >= DeflateTables.minimumMatch {
          writeMatch(length: match.length, distance: match.distance, to: &writer)
          for p in position..<position + match.length { matcher.insert(input, at: p) }
          position += match.length
        } else {
          writeSymbol(Int(input[position]), to: &writer)
          matcher.insert(input, at: position)
          position += 1
        }
      }
    }
    writeSymbol(256, to: &writer)  // End of block.
    return writer.finish()
  }

  private static let literalCodes = canonicalCodes(DeflateTables.fixedLiteralLengths)
  private static let distanceCodes = canonicalCodes(DeflateTables.fixedDistanceLengths)

  /// Length code index (0...28) for each match length 3...258.
  private static let lengthCodeIndex: [Int] = (0...DeflateTables.maximumMatch).map { length in
    DeflateTables.lengthBase.lastIndex { $0 <= length } ?? 0
  }

  private static func writeSymbol(_ symbol: Int, to writer: inout BitWriter) {
    let code = literalCodes[symbol]
    writer.writeHuffman(code.code, length: code.length)
  }

  private static func writeMatch(length: Int, distance: Int, to writer: inout BitWriter) {
    let lengthIndex = lengthCodeIndex[length]
    writeSymbol(257 + lengthIndex, to: &writer)
    writer.write(length - DeflateTables.lengthBase[lengthIndex], bits: DeflateTables.lengthExtraBits[lengthIndex])
    let distanceIndex = DeflateTables.distanceBase.lastIndex { $0 <= distance }!
    let code = distanceCodes[distanceIndex]
    writer.writeHuffman(code.code, length: code.length)
    writer.write(
      distance - DeflateTables.distanceBase[distanceIndex], bits: DeflateTables.distanceExtraBits[distanceIndex])
  }

  /// The canonical codes for a list of code lengths (RFC 1951 section 3.2.2, steps 1-3).
  static func canonicalCodes(_ lengths: [Int]) -> [(code: Int, length: Int)] {
    var countPerLength = [Int](repeating: 0, count: 16)
    for length in lengths where length > 0 { countPerLength[length] += 1 }
    var next = [Int](repeating: 0, count: 16)
    var code = 0
    for length in 1...15 {
      code = (code + countPerLength[length - 1]) << 1
      next[length] = code
    }
    return lengths.map { length in
      guard length > 0 else { return (0, 0) }
      defer { next[length] += 1 }
      return (next[length], length)
    }
  }
}

/// Finds earlier occurrences of the next bytes through chains of positions sharing a 3-byte hash.
private struct Matcher {
  private static let hashBits = 15
  private static let windowMask = DeflateTables.maximumDistance - 1
  /// How many earlier positions to try per match: enough for screenshots, bounded for speed.
  private static let maximumChain = 32

  private var head = [Int](repeating: -1, count: 1 << Matcher.hashBits)
  private var previous = [Int](repeating: -1, count: DeflateTables.maximumDistance)
  private let count: Int

  init(count: Int) { self.count = count }

  private func hash(_ input: UnsafeBufferPointer<UInt8>, at position: Int) -> Int {
    let value = Int(input[position]) << 16 | Int(input[position + 1]) << 8 | Int(input[position + 2])
    return (value &* 2_654_435_761) >> 16 & ((1 << Self.hashBits) - 1)
  }

  mutating func insert(_ input: UnsafeBufferPointer<UInt8>, at position: Int) {
    guard position + DeflateTables.minimumMatch <= count else { return }
    let h = hash(input, at: position)
    previous[position & Self.windowMask] = head[h]
    head[h] = position
  }

  func longestMatch(in input: UnsafeBufferPointer<UInt8>, at position: Int) -> (length: Int, distance: Int) {
    guard position + DeflateTables.minimumMatch <= count else { return (0, 0) }
    let limit = min(DeflateTables.maximumMatch, count - position)
    var best = (length: 0, distance: 0)
    var candidate = head[hash(input, at: position)]
    var steps = 0
    // Chains only go back in time; a slot reused by a newer position would point forward, so stop there.
    while candidate >= 0, candidate < position, position - candidate <= DeflateTables.maximumDistance,
      steps < Self.maximumChain
    {
      var length = 0
      while length < limit && input[candidate + length] == input[position + length] { length += 1 }
      if length > best.length {
        best = (length, position - candidate)
        if length == limit { break }
      }
      let next = previous[candidate & Self.windowMask]
      if next >= candidate { break }
      candidate = next
      steps += 1
    }
    return best
  }
}

/// Writes DEFLATE's bit stream: values least significant bit first, Huffman codes most significant bit first.
struct BitWriter {
  private(set) var bytes: [UInt8] = []
  private var buffer: UInt64 = 0
  private var bufferedBits = 0

  mutating func write(_ value: Int, bits count: Int) {
    buffer |= UInt64(value) << UInt64(bufferedBits)
    bufferedBits += count
    while bufferedBits >= 8 {
      bytes.append(UInt8(truncatingIfNeeded: buffer))
      buffer >>= 8
      bufferedBits -= 8
    }
  }

  mutating func writeHuffman(_ code: Int, length: Int) {
    var reversed = 0
    for i in 0..<length where code & (1 << i) != 0 { reversed |= 1 << (length - 1 - i) }
    write(reversed, bits: length)
  }

  /// Pads the last byte with zero bits and returns the stream.
  mutating func finish() -> [UInt8] {
    if bufferedBits > 0 { write(0, bits: 8 - bufferedBits) }
    return bytes
  }
}
