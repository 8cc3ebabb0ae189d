// The X Window Dump reader used to capture an SDL window under Xvfb (-fbdir): a synthetic dump in Xvfb's
// layout, and, when Xvfb is installed, a real one.

import Foundation
import XCTest

final class XWDImageTests: XCTestCase {
  /// A version 7 TrueColor ZPixmap dump as Xvfb writes it: big-endian header, little-endian 32-bit pixels
  /// (B, G, R, X in memory), rows padded to `bytesPerLine`.
  private func dump(width: Int, height: Int, bytesPerLine: Int, pixel: (Int, Int) -> UInt32) -> [UInt8] {
    let name = Array("test\0".utf8)
    let colours = 2
    var header: [Int] = [100 + name.count, 7, 2, 24, width, height, 0, 0, 32, 0, 32, 32, bytesPerLine, 4]
    header += [0xFF0000, 0x00FF00, 0x0000FF, 8, 256, colours, width, height, 0, 0, 0]
    var bytes = header.flatMap { value in (0..<4).map { UInt8(value >> (24 - 8 * $0) & 0xFF) } } + name
    bytes += [UInt8](repeating: 0x55, count: colours * 12)
    for y in 0..<height {
      for x in 0..<width { bytes += littleEndian32(pixel(x, y) & 0x00FF_FFFF) }
      bytes += [UInt8](repeating: 0xEE, count: bytesPerLine - width * 4)
    }
    return bytes
  }

  func testSyntheticDumpPixelsRegionAndLocate() throws {
    let image = try XWDImage(
      bytes: dump(width: 5, height: 4, bytesPerLine: 24) { x, y in UInt32(x == 3 && y == 2 ? 0xAA5500 : 0x0000AA) })
    XCTAssertEqual(image.width, 5)
    XCTAssertEqual(image.height, 4)
    XCTAssertEqual(image.pixels[0], 0xFF00_00AA)
    XCTAssertEqual(image.pixels[2 * 5 + 3], 0xFFAA_5500)
    XCTAssertEqual(image.region(x: 2, y: 2, width: 2, height: 1), [0xFF00_00AA, 0xFFAA_5500])
    let found = image.locate([0xFFAA_5500, 0xFF00_00AA], width: 2, height: 1)
    XCTAssertEqual(found?.x, 3)
    XCTAssertEqual(found?.y, 2)
    XCTAssertNil(image.locate([0xFFAA_5500, 0xFFAA_5500], width: 2, height: 1))
  }

  func testRejectsOtherLayouts() {
    var bytes = dump(width: 1, height: 1, bytesPerLine: 4) { _, _ in 0 }
    bytes[11] = 1  // XYPixmap
    XCTAssertThrowsError(try XWDImage(bytes: bytes)) {
      XCTAssertEqual($0 as? XWDImage.Error, .unsupported("pixmap format 1, not ZPixmap"))
    }
    XCTAssertThrowsError(
      try XWDImage(bytes: Array(dump(width: 2, height: 2, bytesPerLine: 8) { _, _ in 0 }.dropLast()))
    ) {
      XCTAssertEqual($0 as? XWDImage.Error, .truncated)
    }
  }
}

private func littleEndian32(_ value: UInt32) -> [UInt8] {
  [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
}
