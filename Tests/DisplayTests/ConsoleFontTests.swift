// PSF1 and PSF2 parsing on fonts built in the test (with and without Unicode tables, gzipped or not), the
// CP437 glyph selection, the error cases, and the real default font from Debian's console-data.

import Display
import Foundation
import XCTest

final class ConsoleFontTests: XCTestCase {
  /// 256 glyphs where glyph N's rows are all N: which glyph landed where is then visible in any row.
  private let numberedGlyphs = (0..<256).map { solidGlyph(UInt8($0)) }

  func testPSF1WithoutTable() throws {
    let font = try ConsoleFont(bytes: psf1Font(glyphs: numberedGlyphs))
    XCTAssertEqual(font.format, .psf1)
    XCTAssertEqual(font.glyphCount, 256)
    XCTAssertEqual(font.width, 8)
    XCTAssertEqual(font.height, 16)
    XCTAssertEqual(font.bytesPerRow, 1)
    XCTAssertNil(font.unicodeMap)
    XCTAssertEqual(Array(font.glyph(0x41)), solidGlyph(0x41))
    let vga = try VGAFont(font)
    XCTAssertEqual(vga.mapping, .direct)
    XCTAssertEqual(Array(vga.glyph(0xC4)), solidGlyph(0xC4))
  }

  func testPSF1With512GlyphsTableAndSequences() throws {
    let glyphs = (0..<512).map { solidGlyph(UInt8($0 & 0xFF)) }
    var table = [[[UInt16]]](repeating: [], count: 512)
    table[0x41] = [[0x41], [0x391], [0x41, 0x301]]  // A, Greek Alpha, and A + combining acute
    table[300] = [[0x2500]]
    let font = try ConsoleFont(bytes: psf1Font(glyphs: glyphs, table: table))
    XCTAssertEqual(font.glyphCount, 512)
    XCTAssertEqual(font.glyphIndex(for: 0x41), 0x41)
    XCTAssertEqual(font.glyphIndex(for: 0x391), 0x41)
    XCTAssertNil(font.glyphIndex(for: 0x301), "part of a sequence, not a character of its own")
    XCTAssertEqual(font.glyphIndex(for: 0x2500), 300)
    XCTAssertEqual(Array(font.glyph(300)), solidGlyph(UInt8(300 & 0xFF)))
  }

  func testPSF2WithoutTableGzipped() throws {
    let file = gzipped(psf2Font(glyphs: numberedGlyphs, headerSize: 40))
    let font = try ConsoleFont(bytes: file)
    XCTAssertEqual(font.format, .psf2)
    XCTAssertEqual(font.glyphCount, 256)
    XCTAssertNil(font.unicodeMap)
    XCTAssertEqual(Array(font.glyph(0xFE)), solidGlyph(0xFE), "glyphs start after the larger header")
    XCTAssertEqual(try VGAFont(font).mapping, .direct)
  }

  func testPSF2WideGlyphsAndUTF8Table() throws {
    // 12x3 glyphs: two bytes per row.
    let glyphs: [[UInt8]] = [[0x80, 0x10, 0, 0, 0xFF, 0xF0], [1, 2, 3, 4, 5, 6]]
    let font = try ConsoleFont(
      bytes: psf2Font(glyphs: glyphs, width: 12, height: 3, table: [["a", "é"], ["☺", "e\u{301}"]]))
    XCTAssertEqual(font.width, 12)
    XCTAssertEqual(font.bytesPerRow, 2)
    XCTAssertEqual(Array(font.glyph(1)), [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(font.unicodeMap, [0x61: 0, 0xE9: 0, 0x263A: 1])
    XCTAssertThrowsError(try VGAFont(font)) {
      XCTAssertEqual($0 as? ConsoleFontError, .unsupportedGlyphSize(width: 12, height: 3))
      XCTAssertTrue("\($0)".contains("8x16"))
    }
  }

  func testFontInUnicodeOrderIsMappedThroughItsTable() throws {
    // A 4-glyph font: '?', 'A', a horizontal box line, a smiley. CP437 0x41, 0xC4 and 0x01 must find them;
    // everything else falls back to '?'.
    let glyphs = [solidGlyph(0x3F), solidGlyph(0x41), solidGlyph(0xC4), solidGlyph(0x01)]
    let file = psf2Font(glyphs: glyphs, table: [["?"], ["A"], ["─"], ["☺"]])
    let vga = try VGAFont(ConsoleFont(bytes: file))
    XCTAssertEqual(vga.mapping, .unicodeTable)
    XCTAssertEqual(Array(vga.glyph(0x41)), solidGlyph(0x41))
    XCTAssertEqual(Array(vga.glyph(0xC4)), solidGlyph(0xC4))
    XCTAssertEqual(Array(vga.glyph(0x01)), solidGlyph(0x01))
    XCTAssertEqual(Array(vga.glyph(0x42)), solidGlyph(0x3F))
  }

  func testPermutedFontWithTableIsNotUsedDirectly() throws {
    // 256 glyphs, but with 'A' and 'B' swapped, as the table says: the table wins over the order.
    var glyphs = numberedGlyphs
    glyphs.swapAt(0x41, 0x42)
    var table = (0..<256).map { [[UInt16(CP437.unicode[$0])]] }
    table.swapAt(0x41, 0x42)
    table[0] = []  // No U+0000 in the table, as in real fonts.
    let vga = try VGAFont(ConsoleFont(bytes: psf1Font(glyphs: glyphs, table: table)))
    XCTAssertEqual(vga.mapping, .unicodeTable)
    XCTAssertEqual(Array(vga.glyph(0x41)), solidGlyph(0x41))
    XCTAssertEqual(Array(vga.glyph(0x42)), solidGlyph(0x42))
    XCTAssertEqual(Array(vga.glyph(0x00)), solidGlyph(0x20), "NUL is drawn with the space glyph")
  }

  func testCP437CellText() {
    XCTAssertEqual(CP437.character(0x00), " ", "NUL cells are blank")
    XCTAssertEqual(CP437.character(0x41), "A")
    XCTAssertEqual(CP437.character(0xDB), "█")
    var cells = [UInt8](repeating: 0, count: 4000)
    for (column, byte) in "Hi".utf8.enumerated() { cells[(2 * 80 + column) * 2] = byte }
    cells[(2 * 80 + 79) * 2] = 0xC4
    let row = CP437.row(2, of: cells)
    XCTAssertEqual(row.count, 80)
    XCTAssertTrue(row.hasPrefix("Hi "))
    XCTAssertEqual(row.last, "─")
  }

  func testCP437Table() {
    XCTAssertEqual(CP437.unicode.count, 256)
    XCTAssertEqual(Set(CP437.unicode).count, 256, "no character twice")
    XCTAssertEqual(CP437.unicode[0x01], 0x263A)
    XCTAssertEqual(CP437.unicode[0x41], 0x41)
    XCTAssertEqual(CP437.unicode[0x7F], 0x2302)
    XCTAssertEqual(CP437.unicode[0xB3], 0x2502)
    XCTAssertEqual(CP437.unicode[0xC4], 0x2500)
    XCTAssertEqual(CP437.unicode[0xDB], 0x2588)
    XCTAssertEqual(CP437.unicode[0xE1], 0x00DF)
    XCTAssertEqual(CP437.unicode[0xFE], 0x25A0)
  }

  func testErrors() {
    XCTAssertThrowsError(try ConsoleFont(bytes: [0x00, 0x01, 0x02, 0x03])) {
      XCTAssertEqual($0 as? ConsoleFontError, .badMagic)
    }
    XCTAssertThrowsError(try ConsoleFont(bytes: Array(psf1Font(glyphs: numberedGlyphs).prefix(1000)))) {
      XCTAssertEqual($0 as? ConsoleFontError, .truncated("PSF1 glyphs"))
    }
    var table = [[[UInt16]]](repeating: [[0x20]], count: 256)
    table[0] = [[0x41]]
    XCTAssertThrowsError(try ConsoleFont(bytes: Array(psf1Font(glyphs: numberedGlyphs, table: table).dropLast(2)))) {
      XCTAssertEqual($0 as? ConsoleFontError, .truncated("PSF1 Unicode table"))
    }
    XCTAssertThrowsError(try ConsoleFont(bytes: Array(psf2Font(glyphs: numberedGlyphs).prefix(20)))) {
      XCTAssertEqual($0 as? ConsoleFontError, .truncated("PSF2 header"))
    }
    XCTAssertThrowsError(try ConsoleFont(bytes: psf2Font(glyphs: numberedGlyphs, table: [["a"]]))) {
      XCTAssertEqual($0 as? ConsoleFontError, .truncated("PSF2 Unicode table"))
    }
    var corrupt = gzipped(psf1Font(glyphs: numberedGlyphs))
    corrupt[corrupt.count - 6] ^= 0xFF
    XCTAssertThrowsError(try ConsoleFont(bytes: corrupt)) { error in
      guard case .compression(.corrupt) = error as? ConsoleFontError else { return XCTFail("\(error)") }
      XCTAssertTrue("\(error)".contains("gzip"))
    }
    XCTAssertThrowsError(
      try VGAFont(ConsoleFont(bytes: psf1Font(glyphs: numberedGlyphs.map { Array($0.prefix(8)) }, height: 8)))
    ) {
      XCTAssertEqual($0 as? ConsoleFontError, .unsupportedGlyphSize(width: 8, height: 8))
    }
  }

  func testMissingFilesAndTheDefaultFontHint() {
    XCTAssertThrowsError(try ConsoleFont(contentsOfFile: "/nonexistent/font.psf")) {
      XCTAssertEqual($0 as? ConsoleFontError, .fileNotFound(path: "/nonexistent/font.psf", packageHint: nil))
      XCTAssertTrue("\($0)".contains("/nonexistent/font.psf"))
    }
    // The hint is attached by path, so it can be checked without removing the real file.
    let message =
      "\(ConsoleFontError.fileNotFound(path: ConsoleFont.defaultPath, packageHint: ConsoleFont.defaultPackageHint))"
    XCTAssertTrue(message.contains("console-data"), message)
    XCTAssertTrue(message.contains(ConsoleFont.defaultPath), message)
  }

  func testRealDefaultFont() throws {
    guard FileManager.default.fileExists(atPath: ConsoleFont.defaultPath) else {
      XCTFail("\(ConsoleFont.defaultPath) is missing: apt-get install console-data")
      return
    }
    let font = try ConsoleFont(contentsOfFile: ConsoleFont.defaultPath)
    XCTAssertEqual(font.format, .psf1)
    XCTAssertEqual(font.glyphCount, 256)
    XCTAssertEqual(font.glyphIndex(for: 0x263A), 1, "its table lists the IBM graphic characters")
    let vga = try VGAFont.load()
    XCTAssertEqual(vga.mapping, .direct)
    // The IBM VGA 'A'.
    XCTAssertEqual(
      Array(vga.glyph(0x41)),
      [0x00, 0x00, 0x10, 0x38, 0x6C, 0xC6, 0xC6, 0xFE, 0xC6, 0xC6, 0xC6, 0xC6, 0x00, 0x00, 0x00, 0x00])
    XCTAssertEqual(Array(vga.glyph(0xC4)), [0, 0, 0, 0, 0, 0, 0, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0])
    XCTAssertEqual(Array(vga.glyph(0xDB)), [UInt8](repeating: 0xFF, count: 16))
    XCTAssertEqual(Array(vga.glyph(0x20)), [UInt8](repeating: 0, count: 16))
  }
}
