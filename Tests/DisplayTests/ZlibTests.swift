// The system zlib through SystemZlib: the check value of CRC-32, streams from an independent zlib
// (python3's, when present) and back, concatenated gzip members, and every way a stream can be bad.

import SystemZlib
import XCTest

final class ZlibTests: XCTestCase {
  private let samples: [[UInt8]] = [
    [],
    [0x42],
    Array("abcabcabcabcabcabc".utf8),
    [UInt8](repeating: 0, count: 100_000),
    pseudoRandomBytes(count: 70_000),
    pseudoRandomBytes(count: 300_000, alphabet: 16, seed: 7),
  ]

  func testCRC32CheckValue() {
    // The standard check value of CRC-32/ISO-HDLC over "123456789".
    XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    XCTAssertEqual(CRC32.checksum([UInt8]()), 0)
    var incremental = CRC32()
    incremental.update(Array("1234".utf8))
    incremental.update(Array("0056789".utf8).dropFirst(2))
    XCTAssertEqual(incremental.value, 0xCBF4_3926)
    // A collection without contiguous storage gives the same value.
    XCTAssertEqual(CRC32.checksum(Array("123456789".utf8).reversed().reversed()), 0xCBF4_3926)
  }

  func testRoundTripsInBothFormats() throws {
    for sample in samples {
      XCTAssertEqual(try Zlib.decompress(Zlib.compress(sample)), sample, "\(sample.count) bytes")
      let gzip = Zlib.compress(sample, format: .gzip)
      XCTAssertTrue(Zlib.isGzip(gzip))
      XCTAssertEqual(try Zlib.decompress(gzip, format: .gzip), sample, "\(sample.count) bytes")
      XCTAssertEqual(try Zlib.decompress(Zlib.compress(sample, level: 0)), sample, "stored blocks")
    }
    XCTAssertLessThan(Zlib.compress(samples[3]).count, 1000, "runs compress")
  }

  func testPythonsStreamsDecompress() throws {
    let data = samples[4] + samples[5]
    let zlibStream = try runPython(
      "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read(), 9))", input: data)
    XCTAssertEqual(try Zlib.decompress(zlibStream), data)
    let gzipFile = try runPython(
      "import sys, gzip, io; b = io.BytesIO(); "
        + "f = gzip.GzipFile(filename='x.bin', mode='wb', fileobj=b, mtime=0); f.write(sys.stdin.buffer.read()); "
        + "f.close(); sys.stdout.buffer.write(b.getvalue())", input: data)
    XCTAssertEqual(gzipFile[3] & 0x08, 0x08, "FNAME is set")
    XCTAssertEqual(try Zlib.decompress(gzipFile, format: .gzip), data)
  }

  func testPythonDecompressesOurStreams() throws {
    for sample in samples {
      let decoded = try runPython(
        "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))",
        input: Zlib.compress(sample))
      XCTAssertEqual(decoded, sample, "\(sample.count) bytes")
    }
  }

  func testConcatenatedGzipMembers() throws {
    let file = Zlib.compress(Array("first ".utf8), format: .gzip) + Zlib.compress(Array("second".utf8), format: .gzip)
    XCTAssertEqual(String(decoding: try Zlib.decompress(file, format: .gzip), as: UTF8.self), "first second")
  }

  func testRealGzippedFontDecompresses() throws {
    let path = "/usr/share/consolefonts/default8x16.psf.gz"
    guard let data = FileManager.default.contents(atPath: path) else { throw XCTSkip("\(path) is missing") }
    let bytes = try Zlib.decompress([UInt8](data), format: .gzip)
    XCTAssertEqual(bytes.count, 5150, "PSF1 header + 256x16 glyphs + Unicode table")
    XCTAssertEqual(Array(bytes[0..<4]), [0x36, 0x04, 0x02, 0x10])
  }

  func testBadStreamsAreErrors() {
    let payload = Array("payload payload payload".utf8)
    var file = Zlib.compress(payload, format: .gzip)
    XCTAssertEqual(try Zlib.decompress(file, format: .gzip), payload)
    // The CRC-32 in the trailer.
    file[file.count - 8] ^= 0x01
    XCTAssertThrowsError(try Zlib.decompress(file, format: .gzip)) { error in
      guard case .corrupt(let message)? = error as? ZlibError else { return XCTFail("\(error)") }
      XCTAssertTrue(message.contains("check"), message)
    }
    // The length in the trailer.
    var sized = Zlib.compress(payload, format: .gzip)
    sized[sized.count - 4] = 99
    XCTAssertThrowsError(try Zlib.decompress(sized, format: .gzip)) {
      guard case .corrupt? = $0 as? ZlibError else { return XCTFail("\($0)") }
    }
    XCTAssertThrowsError(try Zlib.decompress([0x1F, 0x8C, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0], format: .gzip)) {
      guard case .corrupt? = $0 as? ZlibError else { return XCTFail("\($0)") }
    }
    XCTAssertThrowsError(try Zlib.decompress(Array(Zlib.compress(payload, format: .gzip).dropLast(3)), format: .gzip)) {
      XCTAssertEqual($0 as? ZlibError, .truncated)
    }
    // FDICT set with a bad header checksum, and a gzip member where a zlib stream is expected.
    XCTAssertThrowsError(try Zlib.decompress([0x78, 0x9D, 0x03, 0x00])) {
      guard case .corrupt? = $0 as? ZlibError else { return XCTFail("\($0)") }
    }
    XCTAssertThrowsError(try Zlib.decompress(Zlib.compress(payload, format: .gzip))) {
      guard case .corrupt? = $0 as? ZlibError else { return XCTFail("\($0)") }
    }
    XCTAssertThrowsError(try Zlib.decompress(Zlib.compress(payload) + [0x00])) {
      guard case .corrupt(let message)? = $0 as? ZlibError else { return XCTFail("\($0)") }
      XCTAssertTrue(message.contains("after the end"), message)
    }
    XCTAssertThrowsError(try Zlib.decompress([])) { XCTAssertEqual($0 as? ZlibError, .truncated) }
    // A bomb: 100 KB of zeros from a few hundred bytes, against a 64 KiB limit.
    XCTAssertThrowsError(try Zlib.decompress(Zlib.compress(samples[3]), limit: 65536)) {
      XCTAssertEqual($0 as? ZlibError, .tooLarge(limit: 65536))
    }
    XCTAssertEqual(try Zlib.decompress(Zlib.compress(samples[3]), limit: 100_000).count, 100_000)
  }
}
