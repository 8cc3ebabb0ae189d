// Translates host keys to what a PC keyboard sends through the i8042 with translation on: scancode set 1
// make and break codes, extended keys prefixed with 0xE0 (IBM PC AT / PS/2 keyboard references; the
// table in Andries Brouwer's "Keyboard scancodes", https://www.win.tue.nl/~aeb/linux/kbd/scancodes-1.html).
// Keys are identified by their USB HID usage ID (HID Usage Tables, Keyboard/Keypad page 0x07), which is
// exactly what SDL scancodes are, so the table is testable here without SDL. A break code is the make code
// with bit 7 set, with the same prefix. Print Screen and Pause send the historical multi-byte sequences.

/// A key of a PC keyboard as the i8042 reports it with translation on: its scancode set 1 make
/// code, and whether an 0xE0 prefix comes first. Host keys (`KeyboardScancodes`) and typed text
/// (`KeyStroke`, `USKeyboardLayout`) both come down to these.
public struct PS2Key: Equatable, Sendable {
  /// The set 1 make code (without the prefix).
  public var code: UInt8
  /// Sent after an 0xE0 prefix (the keys added by the 101-key keyboard: arrows, the navigation block, right
  /// Ctrl and Alt, keypad Enter and /, the Windows keys).
  public var isExtended: Bool

  public init(code: UInt8, isExtended: Bool = false) {
    self.code = code
    self.isExtended = isExtended
  }

  /// The bytes pressing the key sends.
  public var makeBytes: [UInt8] { isExtended ? [0xE0, code] : [code] }
  /// The bytes releasing it sends: the make code with bit 7 set, after the same prefix.
  public var breakBytes: [UInt8] { isExtended ? [0xE0, code | 0x80] : [code | 0x80] }
}

public enum KeyboardScancodes {
  /// USB HID usage IDs (= SDL scancodes) of keys that need special handling.
  public static let usagePrintScreen = 0x46
  public static let usagePause = 0x48

  /// The PS/2 key for a HID usage ID, or nil for keys a PC keyboard does not have.
  public static func key(forUsage usage: Int) -> PS2Key? {
    table[usage]
  }

  /// The bytes a key press sends, or [] for unknown keys.
  public static func makeBytes(forUsage usage: Int) -> [UInt8] {
    switch usage {
    // Print Screen pretends to be "fake shift" plus keypad * (E0 2A E0 37).
    case usagePrintScreen: return [0xE0, 0x2A, 0xE0, 0x37]
    // Pause sends Ctrl+NumLock under an E1 prefix, make and break at once on press.
    case usagePause: return [0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5]
    default: return table[usage]?.makeBytes ?? []
    }
  }

  /// The bytes a key release sends, or [] for unknown keys (and for Pause, which has no release).
  public static func breakBytes(forUsage usage: Int) -> [UInt8] {
    switch usage {
    case usagePrintScreen: return [0xE0, 0xB7, 0xE0, 0xAA]
    case usagePause: return []
    default: return table[usage]?.breakBytes ?? []
    }
  }

  private static let table: [Int: PS2Key] = {
    var table: [Int: PS2Key] = [:]
    // Letters A-Z are usages 0x04-0x1D; set 1 follows the QWERTY rows, hence the irregular order.
    let letters: [UInt8] = [
      0x1E, 0x30, 0x2E, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17, 0x24, 0x25, 0x26, 0x32,
      0x31, 0x18, 0x19, 0x10, 0x13, 0x1F, 0x14, 0x16, 0x2F, 0x11, 0x2D, 0x15, 0x2C,
    ]
    for (i, code) in letters.enumerated() { table[0x04 + i] = PS2Key(code: code) }
    // Digits 1-9, 0 (usages 0x1E-0x27) are set 1 codes 0x02-0x0B in the same order.
    for i in 0..<10 { table[0x1E + i] = PS2Key(code: UInt8(0x02 + i)) }
    let plain: [(Int, UInt8)] = [
      (0x28, 0x1C),  // Enter
      (0x29, 0x01),  // Escape
      (0x2A, 0x0E),  // Backspace
      (0x2B, 0x0F),  // Tab
      (0x2C, 0x39),  // Space
      (0x2D, 0x0C),  // - _
      (0x2E, 0x0D),  // = +
      (0x2F, 0x1A),  // [ {
      (0x30, 0x1B),  // ] }
      (0x31, 0x2B),  // \ |
      (0x32, 0x2B),  // Non-US # ~ (the same key position as \ on ISO keyboards)
      (0x33, 0x27),  // ; :
      (0x34, 0x28),  // ' "
      (0x35, 0x29),  // ` ~
      (0x36, 0x33),  // , <
      (0x37, 0x34),  // . >
      (0x38, 0x35),  // / ?
      (0x39, 0x3A),  // Caps Lock
      (0x44, 0x57),  // F11
      (0x45, 0x58),  // F12
      (0x47, 0x46),  // Scroll Lock
      (0x53, 0x45),  // Num Lock
      (0x55, 0x37),  // Keypad *
      (0x56, 0x4A),  // Keypad -
      (0x57, 0x4E),  // Keypad +
      (0x59, 0x4F),  // Keypad 1 / End
      (0x5A, 0x50),  // Keypad 2 / Down
      (0x5B, 0x51),  // Keypad 3 / PgDn
      (0x5C, 0x4B),  // Keypad 4 / Left
      (0x5D, 0x4C),  // Keypad 5
      (0x5E, 0x4D),  // Keypad 6 / Right
      (0x5F, 0x47),  // Keypad 7 / Home
      (0x60, 0x48),  // Keypad 8 / Up
      (0x61, 0x49),  // Keypad 9 / PgUp
      (0x62, 0x52),  // Keypad 0 / Ins
      (0x63, 0x53),  // Keypad . / Del
      (0x64, 0x56),  // Non-US \ | (the extra key left of Z on ISO keyboards)
      (0xE0, 0x1D),  // Left Ctrl
      (0xE1, 0x2A),  // Left Shift
      (0xE2, 0x38),  // Left Alt
      (0xE5, 0x36),  // Right Shift
    ]
    for (usage, code) in plain { table[usage] = PS2Key(code: code) }
    // F1-F10 (usages 0x3A-0x43) are the consecutive codes 0x3B-0x44 (F11 and F12 came later, above).
    for i in 0..<10 { table[0x3A + i] = PS2Key(code: UInt8(0x3B + i)) }
    let extended: [(Int, UInt8)] = [
      (0x49, 0x52),  // Insert
      (0x4A, 0x47),  // Home
      (0x4B, 0x49),  // Page Up
      (0x4C, 0x53),  // Delete
      (0x4D, 0x4F),  // End
      (0x4E, 0x51),  // Page Down
      (0x4F, 0x4D),  // Right
      (0x50, 0x4B),  // Left
      (0x51, 0x50),  // Down
      (0x52, 0x48),  // Up
      (0x54, 0x35),  // Keypad /
      (0x58, 0x1C),  // Keypad Enter
      (0x65, 0x5D),  // Application (menu)
      (0xE3, 0x5B),  // Left GUI (Windows)
      (0xE4, 0x1D),  // Right Ctrl
      (0xE6, 0x38),  // Right Alt (AltGr)
      (0xE7, 0x5C),  // Right GUI
    ]
    for (usage, code) in extended { table[usage] = PS2Key(code: code, isExtended: true) }
    return table
  }()
}
