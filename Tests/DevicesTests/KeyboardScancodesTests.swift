// The USB HID usage (= SDL scancode) to PS/2 scancode set 1 table, against the codes of the IBM PC/AT
// keyboard: letters in QWERTY order, digits, modifiers, function keys, and the E0-prefixed extended keys.

import Devices
import XCTest

final class KeyboardScancodesTests: XCTestCase {
  func testLettersDigitsAndPunctuation() {
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x04), [0x1E])  // A
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x14), [0x10])  // Q
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x1D), [0x2C])  // Z
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x1E), [0x02])  // 1
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x27), [0x0B])  // 0
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x2D), [0x0C])  // -
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x33), [0x27])  // ;
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x35), [0x29])  // `
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x38), [0x35])  // /
    XCTAssertEqual(KeyboardScancodes.breakBytes(forUsage: 0x04), [0x9E])
  }

  func testControlAndModifierKeys() {
    let expected: [(Int, UInt8)] = [
      (0x28, 0x1C), (0x29, 0x01), (0x2A, 0x0E), (0x2B, 0x0F), (0x2C, 0x39), (0x39, 0x3A),
      (0xE0, 0x1D), (0xE1, 0x2A), (0xE2, 0x38), (0xE5, 0x36),
    ]
    for (usage, code) in expected {
      XCTAssertEqual(KeyboardScancodes.key(forUsage: usage), PS2Key(code: code), "usage 0x\(String(usage, radix: 16))")
    }
  }

  func testFunctionKeys() {
    XCTAssertEqual((0x3A...0x43).map { KeyboardScancodes.makeBytes(forUsage: $0) }, (0x3B...0x44).map { [UInt8($0)] })
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x44), [0x57])  // F11
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x45), [0x58])  // F12
  }

  func testExtendedKeys() {
    let expected: [(Int, UInt8)] = [
      (0x52, 0x48), (0x51, 0x50), (0x50, 0x4B), (0x4F, 0x4D),  // arrows
      (0x49, 0x52), (0x4C, 0x53), (0x4A, 0x47), (0x4D, 0x4F), (0x4B, 0x49), (0x4E, 0x51),
      (0xE4, 0x1D), (0xE6, 0x38), (0x58, 0x1C), (0x54, 0x35),
    ]
    for (usage, code) in expected {
      XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: usage), [0xE0, code], "usage 0x\(String(usage, radix: 16))")
      XCTAssertEqual(KeyboardScancodes.breakBytes(forUsage: usage), [0xE0, code | 0x80])
    }
    // The keypad keys that share those codes are not extended.
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x60), [0x48])  // keypad 8
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x62), [0x52])  // keypad 0
  }

  func testSpecialSequencesAndUnknownKeys() {
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x46), [0xE0, 0x2A, 0xE0, 0x37])
    XCTAssertEqual(KeyboardScancodes.breakBytes(forUsage: 0x46), [0xE0, 0xB7, 0xE0, 0xAA])
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x48), [0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5])
    XCTAssertEqual(KeyboardScancodes.breakBytes(forUsage: 0x48), [])
    XCTAssertNil(KeyboardScancodes.key(forUsage: 0))
    XCTAssertEqual(KeyboardScancodes.makeBytes(forUsage: 0x68), [], "F13 does not exist on a PC/AT keyboard")
  }

  func testNoTwoKeysShareABytesSequenceExceptISOAliases() {
    var seen: [[UInt8]: Int] = [:]
    for usage in 0..<256 {
      let bytes = KeyboardScancodes.makeBytes(forUsage: usage)
      guard !bytes.isEmpty else { continue }
      if let other = seen[bytes] {
        XCTAssertEqual([other, usage], [0x31, 0x32], "only backslash and non-US # share a key position")
      }
      seen[bytes] = usage
    }
    XCTAssertGreaterThan(seen.count, 100)
  }
}
