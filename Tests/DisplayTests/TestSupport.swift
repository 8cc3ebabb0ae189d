// Helpers shared by the Display tests: building gzip files and fonts in memory, decoding PNGs, and
// running python3 (when present) as an independent zlib for cross-checks.

import Display
import SystemZlib
import Foundation
import XCTest

/// A gzip member around `data`, compressed by zlib.
func gzipped(_ data: [UInt8]) -> [UInt8] {
  Zlib.compress(data, format: .gzip)
}

func littleEndian32(_ value: UInt32) -> [UInt8] {
  [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
}

/// A glyph whose 16 rows are all `byte`, so glyphs are easy to tell apart.
func solidGlyph(_ byte: UInt8, height: Int = 16) -> [UInt8] {
  [UInt8](repeating: byte, count: height)
}

/// A PSF1 font: `glyphs` (256 or 512) of `height` rows and an optional table of one list per glyph, each
/// entry a single UCS-2 value or, as an array with more elements, a sequence.
func psf1Font(glyphs: [[UInt8]], height: Int = 16, table: [[[UInt16]]]? = nil) -> [UInt8] {
  var mode: UInt8 = glyphs.count == 512 ? 0x01 : 0
  let hasSequences = table?.contains { $0.contains { $0.count > 1 } } ?? false
  if table != nil { mode |= hasSequences ? 0x06 : 0x02 }
  var bytes: [UInt8] = [0x36, 0x04, mode, UInt8(height)]
  for glyph in glyphs { bytes += glyph }
  for entries in table ?? [] {
    for single in entries where single.count == 1 { bytes += [UInt8(single[0] & 0xFF), UInt8(single[0] >> 8)] }
    for sequence in entries where sequence.count > 1 {
      bytes += [0xFE, 0xFF]
      for value in sequence { bytes += [UInt8(value & 0xFF), UInt8(value >> 8)] }
    }
    bytes += [0xFF, 0xFF]
  }
  return bytes
}

/// A PSF2 font with an optional Unicode table (per glyph: strings; one-character strings are single
/// entries, longer ones sequences).
func psf2Font(glyphs: [[UInt8]], width: Int = 8, height: Int = 16, table: [[String]]? = nil, headerSize: Int = 32)
  -> [UInt8]
{
  let rowBytes = (width + 7) / 8
  var bytes: [UInt8] = [0x72, 0xB5, 0x4A, 0x86]
  for field in [0, headerSize, table == nil ? 0 : 1, glyphs.count, height * rowBytes, height, width] {
    bytes += littleEndian32(UInt32(field))
  }
  bytes += [UInt8](repeating: 0xAA, count: headerSize - 32)
  for glyph in glyphs { bytes += glyph }
  for entries in table ?? [] {
    for single in entries where single.unicodeScalars.count == 1 { bytes += Array(single.utf8) }
    for sequence in entries where sequence.unicodeScalars.count > 1 { bytes += [0xFE] + Array(sequence.utf8) }
    bytes.append(0xFF)
  }
  return bytes
}

/// The RGBA bytes of a PNG written by PNGWriter (8-bit RGBA, filter 0 on every row), checking every chunk's
/// CRC on the way.
func decodePNG(_ png: [UInt8]) throws -> (width: Int, height: Int, rgba: [UInt8]) {
  XCTAssertEqual(Array(png[0..<8]), PNGWriter.signature)
  func bigEndian32(_ i: Int) -> Int {
    png[i..<i + 4].reduce(0) { value, byte in value << 8 | Int(byte) }
  }
  var index = 8
  var width = 0
  var height = 0
  var idat: [UInt8] = []
  var types: [String] = []
  while index < png.count {
    let length = bigEndian32(index)
    let type = String(decoding: png[index + 4..<index + 8], as: UTF8.self)
    let data = Array(png[index + 8..<index + 8 + length])
    let storedCRC = UInt32(bigEndian32(index + 8 + length))
    XCTAssertEqual(storedCRC, CRC32.checksum(png[index + 4..<index + 8 + length]), type)
    types.append(type)
    if type == "IHDR" {
      width = bigEndian32(index + 8)
      height = bigEndian32(index + 12)
      XCTAssertEqual(Array(data[8...]), [8, 6, 0, 0, 0])
    }
    if type == "IDAT" { idat += data }
    index += 12 + length
  }
  XCTAssertEqual(types.first, "IHDR")
  XCTAssertEqual(types.last, "IEND")
  let raw = try Zlib.decompress(idat)
  let stride = width * 4 + 1
  XCTAssertEqual(raw.count, height * stride)
  var rgba: [UInt8] = []
  for y in 0..<height {
    let start = y * stride
    XCTAssertEqual(raw[start], 0, "filter type of row \(y)")
    rgba += raw[start + 1..<start + stride]
  }
  return (width, height, rgba)
}

/// Runs python3 with `script`, feeding `input` on stdin; returns stdout. Skips the test without python3.
func runPython(_ script: String, input: [UInt8] = []) throws -> [UInt8] {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = ["python3", "-c", script]
  let stdin = Pipe()
  let stdout = Pipe()
  process.standardInput = stdin
  process.standardOutput = stdout
  do { try process.run() } catch { throw XCTSkip("python3 is not available") }
  // Write from another thread: a large input would otherwise fill the pipe while stdout is not drained.
  let writer = Thread {
    stdin.fileHandleForWriting.write(Data(input))
    try? stdin.fileHandleForWriting.close()
  }
  writer.start()
  let output = stdout.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  if process.terminationStatus == 127 { throw XCTSkip("python3 is not available") }
  XCTAssertEqual(process.terminationStatus, 0, "python3 failed")
  return [UInt8](output)
}

/// Deterministic pseudo-random bytes (xorshift), compressible to a chosen degree by the alphabet size.
func pseudoRandomBytes(count: Int, alphabet: Int = 256, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
  var state = seed
  return (0..<count).map { _ in
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    return UInt8(state % UInt64(alphabet))
  }
}
