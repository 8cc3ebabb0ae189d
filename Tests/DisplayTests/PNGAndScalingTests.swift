// PNG output decoded back with the package's inflate (and python's zlib when present), and the integer
// scaling used by the window.

import Devices
import Display
import SystemZlib
import XCTest

final class PNGWriterTests: XCTestCase {
  func testSmallImageRoundTrip() throws {
    let argb: [UInt32] = [0xFF11_2233, 0x8044_5566, 0x0000_0000, 0xFFFF_FFFF, 0xFF00_00AA, 0x7F12_3456]
    let png = PNGWriter.encode(argb: argb, width: 3, height: 2)
    let decoded = try decodePNG(png)
    XCTAssertEqual(decoded.width, 3)
    XCTAssertEqual(decoded.height, 2)
    XCTAssertEqual(Array(decoded.rgba[0..<8]), [0x11, 0x22, 0x33, 0xFF, 0x44, 0x55, 0x66, 0x80])
    XCTAssertEqual(decoded.rgba, PNGWriter.rgbaBytes(fromARGB: argb))
  }

  func testScreenshotRoundTripAndPythonCrossCheck() throws {
    let vga = VGATextDevice()
    for (i, byte) in "PNG round trip \u{1}\u{2} ─┼─".unicodeScalars.enumerated() {
      let code = CP437.unicode.firstIndex(of: byte.value) ?? 0x3F
      vga.write(offset: UInt64(i * 2), size: 2, value: 0x1E00 | UInt64(code))
    }
    let renderer = TextModeRenderer(font: try VGAFont.load())
    renderer.render(vga.screen(), blinkPhase: true, cursorPhase: true)
    let png = PNGWriter.encode(argb: renderer.pixels, width: 720, height: 400)
    XCTAssertLessThan(png.count, 40_000, "LZ77 shrinks a text screen")
    let decoded = try decodePNG(png)
    XCTAssertEqual(decoded.rgba, PNGWriter.rgbaBytes(fromARGB: renderer.pixels))

    // An independent reading: python's zlib and struct parse the file and report size, pixel sum, CRCs.
    let report = try runPython(
      """
      import sys, struct, zlib
      d = sys.stdin.buffer.read(); assert d[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
      i, idat = 8, b''
      while i < len(d):
          n, t = struct.unpack('>I4s', d[i:i+8]); c = d[i+8:i+8+n]
          assert struct.unpack('>I', d[i+8+n:i+12+n])[0] == zlib.crc32(t + c), t
          if t == b'IHDR': w, h = struct.unpack('>II', c[:8])
          if t == b'IDAT': idat += c
          i += 12 + n
      raw = zlib.decompress(idat)
      rows = b''.join(raw[y*(w*4+1)+1:(y+1)*(w*4+1)] for y in range(h))
      print(w, h, sum(rows), zlib.crc32(rows))
      """, input: png)
    let rgba = PNGWriter.rgbaBytes(fromARGB: renderer.pixels)
    XCTAssertEqual(
      String(decoding: report, as: UTF8.self),
      "720 400 \(rgba.reduce(0) { $0 + Int($1) }) \(CRC32.checksum(rgba))\n")
  }

  func testIntegerScaleCentredWithBars() {
    XCTAssertEqual(
      ScaledViewport.fitting(contentWidth: 720, contentHeight: 400, windowWidth: 720, windowHeight: 400),
      ScaledViewport(x: 0, y: 0, width: 720, height: 400, scale: 1))
    XCTAssertEqual(
      ScaledViewport.fitting(contentWidth: 720, contentHeight: 400, windowWidth: 1920, windowHeight: 1080),
      ScaledViewport(x: 240, y: 140, width: 1440, height: 800, scale: 2))
    XCTAssertEqual(
      ScaledViewport.fitting(contentWidth: 720, contentHeight: 400, windowWidth: 2200, windowHeight: 900),
      ScaledViewport(x: 380, y: 50, width: 1440, height: 800, scale: 2), "height limits the scale")
  }

  func testSmallWindowShrinksToFit() {
    XCTAssertEqual(
      ScaledViewport.fitting(contentWidth: 720, contentHeight: 400, windowWidth: 360, windowHeight: 300),
      ScaledViewport(x: 0, y: 50, width: 360, height: 200, scale: 0))
  }

  func testUpscale() {
    XCTAssertEqual(
      upscale([1, 2, 3, 4], width: 2, height: 2, by: 2), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    XCTAssertEqual(upscale([7], width: 1, height: 1, by: 1), [7])
  }
}
