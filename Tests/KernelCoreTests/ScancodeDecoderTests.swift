import KernelCore
import XCTest

final class ScancodeDecoderTests: XCTestCase {
  /// Feeds bytes and returns the bytes a terminal would get.
  private func type(_ scancodes: [UInt8], into decoder: inout ScancodeDecoder) -> [UInt8] {
    scancodes.compactMap { decoder.decode($0)?.terminalByte }
  }

  private func type(_ scancodes: [UInt8]) -> String {
    var decoder = ScancodeDecoder()
    return String(decoding: type(scancodes, into: &decoder), as: UTF8.self)
  }

  func testLettersDigitsAndPunctuationOnPressOnly() {
    // h (0x23) e (0x12) l (0x26) l o (0x18), each followed by its release (| 0x80).
    XCTAssertEqual(type([0x23, 0xA3, 0x12, 0x92, 0x26, 0xA6, 0x26, 0xA6, 0x18, 0x98]), "hello")
    XCTAssertEqual(type([0x02, 0x0B, 0x0C, 0x0D, 0x39, 0x33, 0x34, 0x35]), "10-= ,./")
  }

  func testShiftAppliesWhileHeld() {
    // Left shift down, a, 1, left shift up, a; then right shift with '.
    XCTAssertEqual(type([0x2A, 0x1E, 0x02, 0xAA, 0x1E, 0x36, 0x28, 0xB6, 0x28]), "A!a\"'")
  }

  func testCapsLockTogglesLettersOnly() {
    var decoder = ScancodeDecoder()
    let typed = type([0x3A, 0xBA, 0x1E, 0x02, 0x2A, 0x1E, 0xAA, 0x3A, 0xBA, 0x1E], into: &decoder)
    XCTAssertEqual(String(decoding: typed, as: UTF8.self), "A1aa", "caps: A, digits unaffected; caps+shift: a")
    XCTAssertFalse(decoder.capsLock)
  }

  func testControlMakesControlCodes() {
    // Ctrl down, c, Ctrl up, then Ctrl-U.
    XCTAssertEqual(type([0x1D, 0x2E, 0x9D, 0x1D, 0x16, 0x9D]).utf8.map { $0 }, [0x03, 0x15])
  }

  func testEnterBackspaceTabEscape() {
    XCTAssertEqual(type([0x1C, 0x0E, 0x0F, 0x01]).utf8.map { $0 }, [0x0A, 0x08, 0x09, 0x1B])
  }

  func testExtendedKeys() {
    var decoder = ScancodeDecoder()
    XCTAssertNil(decoder.decode(0xE0))
    XCTAssertEqual(decoder.decode(0x48)?.key, .up)
    XCTAssertNil(decoder.decode(0xE0))
    XCTAssertNil(decoder.decode(0xC8), "the arrow's release")
    XCTAssertNil(decoder.decode(0xE0))
    XCTAssertEqual(decoder.decode(0x1C)?.key, .enter, "keypad Enter")
    // Right Ctrl (E0 1D) is a Ctrl.
    _ = decoder.decode(0xE0)
    _ = decoder.decode(0x1D)
    XCTAssertTrue(decoder.control)
    _ = decoder.decode(0xE0)
    _ = decoder.decode(0x9D)
    XCTAssertFalse(decoder.control)
    // An extended key is not mistaken for its plain twin: E0 4B is Left, 4B alone is keypad 4.
    _ = decoder.decode(0xE0)
    XCTAssertEqual(decoder.decode(0x4B)?.key, .left)
    XCTAssertNil(decoder.decode(0x4B))
  }

  func testFunctionKeys() {
    var decoder = ScancodeDecoder()
    XCTAssertEqual(decoder.decode(0x3B)?.key, .function(1))
    XCTAssertEqual(decoder.decode(0x44)?.key, .function(10))
    XCTAssertEqual(decoder.decode(0x58)?.key, .function(12))
  }

  func testPauseSequenceAndControllerRepliesAreIgnored() {
    XCTAssertEqual(type([0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5, 0x1E]), "a")
    XCTAssertEqual(type([0xFA, 0xAA, 0x1E]), "a", "ACK and self-test replies are not keys")
  }
}
