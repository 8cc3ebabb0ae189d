// The text-mode renderer, pixel by pixel: glyph and colours of a cell, the 9th column rule, blinking, the
// cursor's scan lines, the palette and the blink clock. The font is synthetic so every expected pixel is
// known: glyph 0x41 has only its leftmost and rightmost columns set, glyph 0xC4 likewise (a line graphics
// code), and glyph 0xDB is solid.

import Devices
import Display
import XCTest

final class TextModeRendererTests: XCTestCase {
  private let edges: UInt8 = 0x81

  private func makeRenderer() -> TextModeRenderer {
    var rows = [UInt8](repeating: 0, count: 256 * 16)
    for code in [0x41, 0xC4, 0xBF] { for line in 0..<16 { rows[code * 16 + line] = edges } }
    for line in 0..<16 { rows[0xDB * 16 + line] = 0xFF }
    return TextModeRenderer(font: VGAFont(rows: rows))
  }

  /// A power-on screen (blank, light grey on black) with `cells` written at (row, column).
  private func screen(_ cells: [(row: Int, column: Int, code: UInt8, attribute: UInt8)]) -> VGATextScreen {
    let vga = VGATextDevice()
    for cell in cells {
      let offset = UInt64((cell.row * 80 + cell.column) * 2)
      vga.write(offset: offset, size: 2, value: UInt64(cell.attribute) << 8 | UInt64(cell.code))
    }
    var screen = vga.screen()
    screen.cursor.isVisible = false
    return screen
  }

  private func pixel(_ renderer: TextModeRenderer, row: Int, column: Int, x: Int, line: Int) -> UInt32 {
    renderer.pixels[(row * 16 + line) * 720 + column * 9 + x]
  }

  func testSizeAndPalette() {
    XCTAssertEqual(TextModeRenderer.width, 720)
    XCTAssertEqual(TextModeRenderer.height, 400)
    XCTAssertEqual(makeRenderer().pixels.count, 720 * 400)
    XCTAssertEqual(VGAPalette.argb.count, 16)
    XCTAssertEqual(VGAPalette.argb[1], 0xFF00_00AA)
    XCTAssertEqual(VGAPalette.argb[6], 0xFFAA_5500, "brown, not dark yellow")
    XCTAssertEqual(VGAPalette.argb[7], 0xFFAA_AAAA)
    XCTAssertEqual(VGAPalette.argb[8], 0xFF55_5555)
    XCTAssertEqual(VGAPalette.argb[14], 0xFFFF_FF55)
  }

  func testCellForegroundBackgroundAndPosition() {
    let renderer = makeRenderer()
    // 'A' in yellow (14) on blue (1) at row 3, column 5.
    renderer.render(screen([(3, 5, 0x41, 0x1E)]), blinkPhase: true, cursorPhase: true)
    let yellow = VGAPalette.argb[14]
    let blue = VGAPalette.argb[1]
    for line in 0..<16 {
      XCTAssertEqual(pixel(renderer, row: 3, column: 5, x: 0, line: line), yellow)
      for x in 1...6 { XCTAssertEqual(pixel(renderer, row: 3, column: 5, x: x, line: line), blue) }
      XCTAssertEqual(pixel(renderer, row: 3, column: 5, x: 7, line: line), yellow)
      XCTAssertEqual(pixel(renderer, row: 3, column: 5, x: 8, line: line), blue, "9th column is background")
    }
    // Neighbours are the power-on blank: black.
    XCTAssertEqual(pixel(renderer, row: 3, column: 4, x: 8, line: 0), VGAPalette.argb[0])
    XCTAssertEqual(pixel(renderer, row: 3, column: 6, x: 0, line: 0), VGAPalette.argb[0])
    XCTAssertEqual(pixel(renderer, row: 2, column: 5, x: 0, line: 15), VGAPalette.argb[0])
    // Exactly one cell's worth of non-black pixels.
    XCTAssertEqual(renderer.pixels.filter { $0 != VGAPalette.argb[0] }.count, 9 * 16)
  }

  func testNinthColumnRepeatsLineGraphicsOnly() {
    let renderer = makeRenderer()
    var text = screen([(0, 0, 0xC4, 0x07), (0, 1, 0xBF, 0x07), (0, 2, 0xDB, 0x0F)])
    renderer.render(text, blinkPhase: true, cursorPhase: true)
    XCTAssertEqual(pixel(renderer, row: 0, column: 0, x: 8, line: 4), VGAPalette.argb[7], "0xC4 extends")
    XCTAssertEqual(pixel(renderer, row: 0, column: 1, x: 8, line: 4), VGAPalette.argb[0], "0xBF is outside C0-DF")
    XCTAssertEqual(pixel(renderer, row: 0, column: 2, x: 8, line: 4), VGAPalette.argb[15], "0xDB extends")

    text.lineGraphicsEnabled = false
    renderer.render(text, blinkPhase: true, cursorPhase: true)
    XCTAssertEqual(pixel(renderer, row: 0, column: 0, x: 8, line: 4), VGAPalette.argb[0])
    XCTAssertEqual(pixel(renderer, row: 0, column: 2, x: 8, line: 4), VGAPalette.argb[0])
    XCTAssertEqual(pixel(renderer, row: 0, column: 2, x: 7, line: 4), VGAPalette.argb[15])
  }

  func testBlinkAttribute() {
    let renderer = makeRenderer()
    // Attribute 0xCE: blink (or bright red background 12 without blink), yellow foreground, on glyph 0x41
    // (columns 0 and 7 lit).
    var text = screen([(1, 1, 0x41, 0xCE)])
    renderer.render(text, blinkPhase: true, cursorPhase: true)
    XCTAssertEqual(pixel(renderer, row: 1, column: 1, x: 0, line: 3), VGAPalette.argb[14], "shown in the on phase")
    XCTAssertEqual(pixel(renderer, row: 1, column: 1, x: 3, line: 3), VGAPalette.argb[4], "background 0-7 only")

    renderer.render(text, blinkPhase: false, cursorPhase: true)
    XCTAssertEqual(pixel(renderer, row: 1, column: 1, x: 0, line: 3), VGAPalette.argb[4], "hidden in the off phase")
    XCTAssertEqual(pixel(renderer, row: 1, column: 1, x: 8, line: 3), VGAPalette.argb[4])

    text.blinkEnabled = false
    renderer.render(text, blinkPhase: false, cursorPhase: true)
    XCTAssertEqual(pixel(renderer, row: 1, column: 1, x: 0, line: 3), VGAPalette.argb[14], "no blinking at all")
    XCTAssertEqual(pixel(renderer, row: 1, column: 1, x: 3, line: 3), VGAPalette.argb[12], "bright background")
    XCTAssertEqual(pixel(renderer, row: 1, column: 1, x: 8, line: 3), VGAPalette.argb[12])
  }

  func testNonBlinkingCellsIgnoreTheBlinkPhase() {
    let renderer = makeRenderer()
    renderer.render(screen([(0, 0, 0xDB, 0x4E)]), blinkPhase: false, cursorPhase: false)
    XCTAssertEqual(pixel(renderer, row: 0, column: 0, x: 0, line: 0), VGAPalette.argb[14])
  }

  func testCursorScanLinesAndPhase() {
    let renderer = makeRenderer()
    var text = screen([(24, 79, 0x20, 0x1A)])  // green on blue, bottom-right cell
    text.cursor = VGACursor(
      location: 24 * 80 + 79, row: 24, column: 79, isVisible: true, startScanline: 13, endScanline: 14)
    renderer.render(text, blinkPhase: true, cursorPhase: true)
    for line in 0..<16 {
      let expected = (13...14).contains(line) ? VGAPalette.argb[10] : VGAPalette.argb[1]
      for x in 0..<9 {
        XCTAssertEqual(pixel(renderer, row: 24, column: 79, x: x, line: line), expected, "line \(line)")
      }
    }

    renderer.render(text, blinkPhase: true, cursorPhase: false)
    XCTAssertEqual(pixel(renderer, row: 24, column: 79, x: 0, line: 13), VGAPalette.argb[1], "off phase")

    // A block cursor over a blinking character in its off phase is still drawn.
    text = screen([(0, 0, 0x41, 0x8F)])
    text.cursor = VGACursor(location: 0, row: 0, column: 0, isVisible: true, startScanline: 0, endScanline: 15)
    renderer.render(text, blinkPhase: false, cursorPhase: true)
    XCTAssertEqual(renderer.pixels[0..<9].allSatisfy { $0 == VGAPalette.argb[15] }, true)
    XCTAssertEqual(pixel(renderer, row: 0, column: 0, x: 4, line: 15), VGAPalette.argb[15])

    text.cursor.isVisible = false
    renderer.render(text, blinkPhase: true, cursorPhase: true)
    XCTAssertEqual(pixel(renderer, row: 0, column: 0, x: 4, line: 15), VGAPalette.argb[0])
  }

  func testCursorFromTheCRTC() {
    // Cursor shape and position programmed through the CRTC, as a guest does.
    let vga = VGATextDevice()
    for (index, value) in [(0x0A, 0x02), (0x0B, 0x03), (0x0E, 0x00), (0x0F, 81)] as [(UInt32, UInt32)] {
      vga.write(port: 0x3D4, size: 1, value: index)
      vga.write(port: 0x3D5, size: 1, value: value)
    }
    let renderer = makeRenderer()
    renderer.render(vga.screen(), blinkPhase: true, cursorPhase: true)
    let grey = VGAPalette.argb[7]
    XCTAssertEqual(pixel(renderer, row: 1, column: 1, x: 0, line: 1), VGAPalette.argb[0])
    XCTAssertEqual(pixel(renderer, row: 1, column: 1, x: 0, line: 2), grey)
    XCTAssertEqual(pixel(renderer, row: 1, column: 1, x: 8, line: 3), grey)
    XCTAssertEqual(pixel(renderer, row: 1, column: 1, x: 0, line: 4), VGAPalette.argb[0])
    XCTAssertEqual(renderer.pixels.filter { $0 == grey }.count, 2 * 9)
  }

  func testRenderingIntoAPitchedBufferMatches() {
    let renderer = makeRenderer()
    let text = screen([(10, 40, 0x41, 0x2C), (0, 79, 0xC4, 0x07)])
    renderer.render(text, blinkPhase: true, cursorPhase: true)
    let pitch = 768
    var buffer = [UInt32](repeating: 0xDEAD_BEEF, count: pitch * 400)
    buffer.withUnsafeMutableBufferPointer {
      renderer.render(text, blinkPhase: true, cursorPhase: true, into: $0.baseAddress!, pitch: pitch)
    }
    for y in 0..<400 {
      XCTAssertEqual(Array(buffer[y * pitch..<y * pitch + 720]), Array(renderer.pixels[y * 720..<(y + 1) * 720]))
      XCTAssertEqual(buffer[y * pitch + 720], 0xDEAD_BEEF, "padding untouched")
    }
  }

  func testBlinkClock() {
    // 70 Hz frames: cursor toggles every 8 frames (~114 ms), characters every 16 (~229 ms).
    XCTAssertTrue(TextModeRenderer.blinkPhases(atSeconds: 0).blink)
    XCTAssertTrue(TextModeRenderer.blinkPhases(atSeconds: 0).cursor)
    XCTAssertFalse(TextModeRenderer.blinkPhases(atSeconds: 8.0 / 70 + 0.001).cursor)
    XCTAssertTrue(TextModeRenderer.blinkPhases(atSeconds: 8.0 / 70 + 0.001).blink)
    XCTAssertFalse(TextModeRenderer.blinkPhases(atSeconds: 16.0 / 70 + 0.001).blink)
    XCTAssertTrue(TextModeRenderer.blinkPhases(atSeconds: 16.0 / 70 + 0.001).cursor)
  }

  func testRealFontRenderingIsDeterministic() throws {
    let renderer = TextModeRenderer(font: try VGAFont.load())
    let text = screen([(0, 0, 0x41, 0x07)])
    renderer.render(text, blinkPhase: true, cursorPhase: true)
    let first = renderer.pixels
    renderer.render(text, blinkPhase: true, cursorPhase: true)
    XCTAssertEqual(renderer.pixels, first)
    // The 'A' apex: row 2 of the glyph is 0x10, so only pixel 3 is lit.
    XCTAssertEqual(
      (0..<9).map { pixel(renderer, row: 0, column: 0, x: $0, line: 2) == VGAPalette.argb[7] },
      [false, false, false, true, false, false, false, false, false])
  }
}
