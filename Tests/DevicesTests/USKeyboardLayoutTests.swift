import Devices
import XCTest

final class USKeyboardLayoutTests: XCTestCase {
  func testPlainAndShiftedCharacters() {
    XCTAssertEqual(USKeyboardLayout.keyStroke(for: "a"), KeyStroke(0x1E))
    XCTAssertEqual(USKeyboardLayout.keyStroke(for: "A"), KeyStroke(0x1E, shifted: true))
    XCTAssertEqual(USKeyboardLayout.keyStroke(for: "!"), KeyStroke(0x02, shifted: true))
    XCTAssertEqual(USKeyboardLayout.keyStroke(for: " "), KeyStroke(0x39))
    XCTAssertNil(USKeyboardLayout.keyStroke(for: "é"))
  }

  func testScancodeSequences() {
    XCTAssertEqual(KeyStroke(0x1E).scancodes, [0x1E, 0x9E])
    XCTAssertEqual(KeyStroke(0x1E, shifted: true).scancodes, [0x2A, 0x1E, 0x9E, 0xAA])
    XCTAssertEqual(KeyStroke(0x48, extended: true).scancodes, [0xE0, 0x48, 0xE0, 0xC8])
  }

  func testParsesEscapesAndNamedKeys() throws {
    let strokes = try USKeyboardLayout.parseKeys("ls\\n\\b\\\\\\{up}\\{F12}")
    XCTAssertEqual(
      strokes,
      [
        KeyStroke(0x26), KeyStroke(0x1F), KeyStroke(0x1C), KeyStroke(0x0E), KeyStroke(0x2B),
        KeyStroke(0x48, extended: true), KeyStroke(0x58),
      ])
  }

  func testRejectsWhatCannotBeTyped() {
    XCTAssertThrowsError(try USKeyboardLayout.parseKeys("\\q"))
    XCTAssertThrowsError(try USKeyboardLayout.parseKeys("abc\\"))
    XCTAssertThrowsError(try USKeyboardLayout.parseKeys("\\{nosuchkey}"))
    XCTAssertThrowsError(try USKeyboardLayout.parseKeys("ü"))
  }
}
