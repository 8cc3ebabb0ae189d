// CRC-32, Adler-32, the DEFLATE decoder and encoder, and the gzip and zlib containers, against known values,
// hand-made streams and (when python3 is present) an independent zlib.

import Display
import XCTest

final class ChecksumTests: XCTestCase {
  func testCRC32CheckValue() {
    // The standard check value of CRC-32/ISO-HDLC over "123456789".
    XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    XCTAssertEqual(CRC32.checksum([UInt8]()), 0)
    var incremental = CRC32()
    incremental.update(Array("1234".utf8))
    incremental.update(Array("56789".utf8))
    XCTAssertEqual(incremental.value, 0xCBF4_3926)
  }

  func testAdler32KnownValues() {
    XCTAssertEqual(Adler32.checksum(Array("Wikipedia".utf8)), 0x11E6_0398)
    XCTAssertEqual(Adler32.checksum([UInt8]()), 1)
    // Long enough to need the periodic modulo: 100000 bytes of 0xFF, value from zlib.adler32.
    XCTAssertEqual(Adler32.checksum([UInt8](repeating: 0xFF, count: 100_000)), 0x149A_302C)
  }
}

final class InflateTests: XCTestCase {
  func testStoredBlock() throws {
    let stream: [UInt8] = [0x01, 0x05, 0x00, 0xFA, 0xFF] + Array("hello".utf8) + [0xAB]
    let (output, end) = try Inflate.decompress(stream)
    XCTAssertEqual(String(decoding: output, as: UTF8.self), "hello")
    XCTAssertEqual(end, 10, "the byte after the stream")
  }

  func testFixedHuffmanBlocks() throws {
    // zlib level 9, raw: "abcabcabcabcabcX" (a back reference overlapping itself) and the empty stream.
    XCTAssertEqual(
      try Inflate.decompress([0x4B, 0x4C, 0x4A, 0x4E, 0x44, 0x42, 0x11, 0x00]).output,
      Array("abcabcabcabcabcX".utf8))
    XCTAssertEqual(try Inflate.decompress([0x03, 0x00]).output, [])
  }

  func testFixedHuffmanLiteralsAndMatches() throws {
    let stream: [UInt8] = [
      0x0B, 0xC9, 0x48, 0x55, 0x28, 0x2C, 0xCD, 0x4C, 0xCE, 0x56, 0x48, 0x2A, 0xCA, 0x2F, 0xCF, 0x53, 0x48, 0xCB,
      0xAF, 0x50, 0xC8, 0x2A, 0xCD, 0x2D, 0x28, 0x56, 0xC8, 0x2F, 0x4B, 0x2D, 0x52, 0x28, 0x01, 0x4A, 0xE7, 0x24,
      0x56, 0x55, 0x2A, 0xA4, 0xE4, 0xA7, 0xEB, 0x29, 0x84, 0xD0, 0x4C, 0x31, 0x03, 0x23, 0x13, 0x33, 0x0B, 0x2B,
      0x1B, 0x3B, 0x07, 0x27, 0x17, 0x37, 0x0F, 0x2F, 0x1F, 0xBF, 0x80, 0xA0, 0x90, 0xB0, 0x88, 0xA8, 0x98, 0xB8,
      0x84, 0xA4, 0x94, 0xB4, 0x8C, 0xAC, 0x9C, 0xBC, 0x82, 0xA2, 0x92, 0xB2, 0x8A, 0xAA, 0x9A, 0x3A, 0x00,
    ]
    let expected =
      Array(String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 3).utf8)
      + (0..<40).map { UInt8($0) }
    XCTAssertEqual(try Inflate.decompress(stream).output, expected)
  }

  func testDynamicHuffmanFromPythonZlib() throws {
    let data = (0..<20_000).map { UInt8(($0 * 7 + $0 >> 3) & 0x7F) } + pseudoRandomBytes(count: 5000, alphabet: 5)
    let raw = try runPython(
      "import sys, zlib; c = zlib.compressobj(9, zlib.DEFLATED, -15); "
        + "sys.stdout.buffer.write(c.compress(sys.stdin.buffer.read()) + c.flush())", input: data)
    XCTAssertEqual(raw[0] >> 1 & 3, 2, "python chose a dynamic block, so that path is tested")
    XCTAssertEqual(try Inflate.decompress(raw).output, data)
  }

  func testGzipFromPythonWithNameAndMultipleBlocks() throws {
    // 300 KB of mixed data makes zlib emit several blocks, some stored (the random part).
    let data = pseudoRandomBytes(count: 100_000) + pseudoRandomBytes(count: 200_000, alphabet: 16, seed: 7)
    let file = try runPython(
      "import sys, gzip, io; b = io.BytesIO(); "
        + "f = gzip.GzipFile(filename='x.bin', mode='wb', fileobj=b, mtime=0); f.write(sys.stdin.buffer.read()); "
        + "f.close(); sys.stdout.buffer.write(b.getvalue())", input: data)
    XCTAssertEqual(file[3] & 0x08, 0x08, "FNAME is set")
    XCTAssertEqual(try Gzip.decompress(file), data)
  }

  func testRealGzippedFontDecompresses() throws {
    let path = ConsoleFont.defaultPath
    guard let data = FileManager.default.contents(atPath: path) else { throw XCTSkip("\(path) is missing") }
    let bytes = try Gzip.decompress([UInt8](data))
    XCTAssertEqual(bytes.count, 5150, "PSF1 header + 256x16 glyphs + Unicode table")
    XCTAssertEqual(Array(bytes[0..<4]), [0x36, 0x04, 0x02, 0x10])
  }

  func testConcatenatedGzipMembers() throws {
    let file = gzipped(Array("first ".utf8), name: "a") + gzipped(Array("second".utf8), stored: true)
    XCTAssertEqual(String(decoding: try Gzip.decompress(file), as: UTF8.self), "first second")
  }

  func testErrors() {
    XCTAssertThrowsError(try Inflate.decompress([0x07])) {
      XCTAssertEqual($0 as? DecompressionError, .invalidBlockType)
    }
    XCTAssertThrowsError(try Inflate.decompress([0x01, 0x05, 0x00, 0xFA, 0xFE, 0x41])) {
      XCTAssertEqual($0 as? DecompressionError, .storedLengthMismatch)
    }
    XCTAssertThrowsError(try Inflate.decompress([0x4B, 0x4C, 0x4A])) {
      XCTAssertEqual($0 as? DecompressionError, .truncated)
    }
    // Fixed block whose first symbol is a match (length 3, distance 1) with nothing before it.
    // Bits: BFINAL 1, BTYPE 01, code 257 (0000001, most significant bit first), distance code 00000.
    let danglingMatch: [UInt8] = [0x03, 0x02, 0x00]
    XCTAssertThrowsError(try Inflate.decompress(danglingMatch)) {
      XCTAssertEqual($0 as? DecompressionError, .distanceTooFar)
    }

    var file = gzipped(Array("payload".utf8))
    XCTAssertEqual(try Gzip.decompress(file), Array("payload".utf8))
    file[file.count - 8] ^= 0x01
    XCTAssertThrowsError(try Gzip.decompress(file)) { error in
      guard case .checksumMismatch = error as? DecompressionError else { return XCTFail("\(error)") }
    }
    var sized = gzipped(Array("payload".utf8))
    sized[sized.count - 4] = 99
    XCTAssertThrowsError(try Gzip.decompress(sized)) {
      XCTAssertEqual($0 as? DecompressionError, .sizeMismatch(expected: 99, actual: 7))
    }
    XCTAssertThrowsError(try Gzip.decompress([0x1F, 0x8C, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0])) {
      XCTAssertEqual($0 as? DecompressionError, .badMagic)
    }
    XCTAssertThrowsError(try Gzip.decompress(Array(gzipped(Array("payload".utf8)).dropLast(3)))) {
      XCTAssertEqual($0 as? DecompressionError, .truncated)
    }
    XCTAssertThrowsError(try Zlib.decompress([0x78, 0x9D, 0x03, 0x00])) {
      XCTAssertEqual($0 as? DecompressionError, .badMagic)
    }
  }
}

final class DeflateTests: XCTestCase {
  private let samples: [[UInt8]] = [
    [],
    [0x42],
    Array("abcabcabcabcabcabc".utf8),
    [UInt8](repeating: 0, count: 100_000),
    pseudoRandomBytes(count: 70_000),
    pseudoRandomBytes(count: 70_000, alphabet: 3),
    (0..<50_000).map { UInt8($0 % 251) },  // a period longer than small distances, shorter than the window
  ]

  func testRoundTripThroughOwnInflate() throws {
    for sample in samples {
      let compressed = Deflate.compress(sample)
      XCTAssertEqual(try Inflate.decompress(compressed).output, sample, "\(sample.count) bytes")
      XCTAssertEqual(try Zlib.decompress(Zlib.compress(sample)), sample)
    }
    XCTAssertLessThan(Deflate.compress(samples[3]).count, 1000, "runs compress")
  }

  func testPythonZlibAcceptsOurStreams() throws {
    for sample in samples {
      let decoded = try runPython(
        "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))",
        input: Zlib.compress(sample))
      XCTAssertEqual(decoded, sample, "\(sample.count) bytes")
    }
  }
}
