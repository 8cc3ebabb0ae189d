import Display
import Foundation
import XCTest

/// Golden screens and serial transcripts in Fixtures/.
///
/// A fixture NAME is three files: NAME.vga (the 4000 bytes of the text screen), NAME.txt (the same
/// screen rendered for people: characters, then attribute bytes) and NAME.serial (everything the
/// kernel wrote to COM1). They are produced by QEMU running the real kernel; `make fixtures` (that
/// is, UPDATE_FIXTURES=1 on the QEMU reference tests) rewrites them, and they are reviewed by eye
/// before they are committed.
enum ScreenFixture {
  static var updating: Bool { ProcessInfo.processInfo.environment["UPDATE_FIXTURES"] == "1" }

  static func url(_ name: String, _ extension: String) -> URL {
    PackagePaths.fixtures.appendingPathComponent("\(name).\(`extension`)")
  }

  /// Compares (or, when updating, records) a screen and its serial transcript.
  static func check(
    _ name: String, screen: [UInt8], serial: String, file: StaticString = #filePath,
    line: UInt = #line
  ) throws {
    XCTAssertEqual(screen.count, 4000, "a text screen is 4000 bytes", file: file, line: line)
    if updating {
      try FileManager.default.createDirectory(at: PackagePaths.fixtures, withIntermediateDirectories: true)
      try Data(screen).write(to: url(name, "vga"))
      try render(screen).write(to: url(name, "txt"), atomically: true, encoding: .utf8)
      try serial.write(to: url(name, "serial"), atomically: true, encoding: .utf8)
      return
    }
    let expectedScreen = Array(try Data(contentsOf: url(name, "vga")))
    let expectedSerial = try String(contentsOf: url(name, "serial"), encoding: .utf8)
    if screen != expectedScreen {
      XCTFail(
        "screen differs from Fixtures/\(name).vga:\n\(describeDifference(expectedScreen, screen))",
        file: file, line: line)
    }
    XCTAssertEqual(serial, expectedSerial, "serial differs from Fixtures/\(name).serial", file: file, line: line)
  }

  /// The rows that differ, both versions, so a failure says what changed.
  static func describeDifference(_ expected: [UInt8], _ actual: [UInt8]) -> String {
    guard expected.count == 4000, actual.count == 4000 else {
      return "sizes differ: expected \(expected.count) bytes, got \(actual.count)"
    }
    let expectedRows = renderRows(expected)
    let actualRows = renderRows(actual)
    var lines: [String] = []
    for row in 0..<25 {
      let range = (row * 160)..<((row + 1) * 160)
      if expected[range] != actual[range] {
        lines.append("row \(row) expected: |\(expectedRows[row])| \(attributes(expected, row: row))")
        lines.append("row \(row)   actual: |\(actualRows[row])| \(attributes(actual, row: row))")
      }
    }
    return lines.joined(separator: "\n")
  }

  /// The human-readable form: 25 rows of characters in a frame, then 25 rows of attribute bytes.
  static func render(_ screen: [UInt8]) -> String {
    var text = "+" + String(repeating: "-", count: 80) + "+\n"
    for row in renderRows(screen) { text += "|\(row)|\n" }
    text += "+" + String(repeating: "-", count: 80) + "+\n\nattributes (hex, one byte per cell):\n"
    for row in 0..<25 { text += attributes(screen, row: row) + "\n" }
    return text
  }

  static func renderRows(_ screen: [UInt8]) -> [String] {
    (0..<25).map { CP437.row($0, of: screen) }
  }

  static func attributes(_ screen: [UInt8], row: Int) -> String {
    (0..<80).map { column in
      let byte = screen[(row * 80 + column) * 2 + 1]
      return String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
    }.joined()
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    String(repeating: "0", count: max(0, width - count)) + self
  }
}
