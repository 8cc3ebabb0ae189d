// USKeyboardLayout.swift: which keys a person presses to type a character.
//
// The keyboard sends key positions, not characters (IBM PC AT Technical Reference, keyboard scan
// codes, set 1 as the i8042 translates it). To type "A" on a US keyboard one presses Left Shift,
// presses and releases the A key (make code 0x1E, break 0x9E) and releases Shift. This table
// turns text into such sequences for `emu --keys`, the way QEMU's `sendkey` turns key names into
// scancodes.

/// A key typed on the US layout: a key, and whether Shift is held around it.
public struct KeyStroke: Equatable {
  public var key: PS2Key
  public var shifted: Bool

  public init(_ makeCode: UInt8, extended: Bool = false, shifted: Bool = false) {
    key = PS2Key(code: makeCode, isExtended: extended)
    self.shifted = shifted
  }

  /// The set-1 bytes for pressing and releasing the key (with Shift around it when needed).
  public var scancodes: [UInt8] {
    let press = key.makeBytes + key.breakBytes
    let shift = PS2Key(code: USKeyboardLayout.leftShift)
    return shifted ? shift.makeBytes + press + shift.breakBytes : press
  }
}

public enum USKeyboardLayout {
  public static let leftShift: UInt8 = 0x2A

  // Set-1 make codes 0x02...0x39 and the characters they type without and with Shift.
  private static let rows: [(UInt8, Character, Character)] = [
    (0x02, "1", "!"), (0x03, "2", "@"), (0x04, "3", "#"), (0x05, "4", "$"), (0x06, "5", "%"),
    (0x07, "6", "^"), (0x08, "7", "&"), (0x09, "8", "*"), (0x0A, "9", "("), (0x0B, "0", ")"),
    (0x0C, "-", "_"), (0x0D, "=", "+"),
    (0x10, "q", "Q"), (0x11, "w", "W"), (0x12, "e", "E"), (0x13, "r", "R"), (0x14, "t", "T"),
    (0x15, "y", "Y"), (0x16, "u", "U"), (0x17, "i", "I"), (0x18, "o", "O"), (0x19, "p", "P"),
    (0x1A, "[", "{"), (0x1B, "]", "}"),
    (0x1E, "a", "A"), (0x1F, "s", "S"), (0x20, "d", "D"), (0x21, "f", "F"), (0x22, "g", "G"),
    (0x23, "h", "H"), (0x24, "j", "J"), (0x25, "k", "K"), (0x26, "l", "L"), (0x27, ";", ":"),
    (0x28, "'", "\""), (0x29, "`", "~"), (0x2B, "\\", "|"),
    (0x2C, "z", "Z"), (0x2D, "x", "X"), (0x2E, "c", "C"), (0x2F, "v", "V"), (0x30, "b", "B"),
    (0x31, "n", "N"), (0x32, "m", "M"), (0x33, ",", "<"), (0x34, ".", ">"), (0x35, "/", "?"),
    (0x39, " ", " "),
  ]

  /// The key stroke that types `character`, or nil when the US layout has no key for it.
  public static func keyStroke(for character: Character) -> KeyStroke? {
    switch character {
    case "\n", "\r": return KeyStroke(0x1C)
    case "\t": return KeyStroke(0x0F)
    case "\u{8}": return KeyStroke(0x0E)
    case "\u{1B}": return KeyStroke(0x01)
    default: break
    }
    for (code, plain, shifted) in rows {
      if character == plain { return KeyStroke(code) }
      if character == shifted { return KeyStroke(code, shifted: true) }
    }
    return nil
  }

  /// Named keys for `\{name}` in a key string.
  public static func keyStroke(named name: String) -> KeyStroke? {
    switch name.lowercased() {
    case "enter", "return": return KeyStroke(0x1C)
    case "backspace": return KeyStroke(0x0E)
    case "tab": return KeyStroke(0x0F)
    case "esc", "escape": return KeyStroke(0x01)
    case "space": return KeyStroke(0x39)
    case "up": return KeyStroke(0x48, extended: true)
    case "down": return KeyStroke(0x50, extended: true)
    case "left": return KeyStroke(0x4B, extended: true)
    case "right": return KeyStroke(0x4D, extended: true)
    case "home": return KeyStroke(0x47, extended: true)
    case "end": return KeyStroke(0x4F, extended: true)
    case "pgup", "pageup": return KeyStroke(0x49, extended: true)
    case "pgdn", "pagedown": return KeyStroke(0x51, extended: true)
    case "ins", "insert": return KeyStroke(0x52, extended: true)
    case "del", "delete": return KeyStroke(0x53, extended: true)
    default:
      if name.lowercased().hasPrefix("f"), let number = Int(name.dropFirst()), (1...12).contains(number) {
        return KeyStroke(number <= 10 ? UInt8(0x3A + number) : (number == 11 ? 0x57 : 0x58))
      }
      return nil
    }
  }

  /// Parses the `--keys` notation: text typed as is, with escapes `\n` (Enter), `\t` (Tab),
  /// `\b` (Backspace), `\e` (Escape), `\\` (a backslash) and `\{name}` for a named key (up, down,
  /// left, right, home, end, pgup, pgdn, ins, del, f1 ... f12, enter, esc, tab, space, backspace).
  public static func parseKeys(_ text: String) throws(KeyParseError) -> [KeyStroke] {
    var strokes: [KeyStroke] = []
    var characters = text.makeIterator()
    while let character = characters.next() {
      guard character == "\\" else {
        guard let stroke = keyStroke(for: character) else { throw .noKey(String(character)) }
        strokes.append(stroke)
        continue
      }
      guard let escaped = characters.next() else { throw .danglingBackslash }
      switch escaped {
      case "n": strokes.append(KeyStroke(0x1C))
      case "t": strokes.append(KeyStroke(0x0F))
      case "b": strokes.append(KeyStroke(0x0E))
      case "e": strokes.append(KeyStroke(0x01))
      case "\\": strokes.append(keyStroke(for: "\\")!)
      case "{":
        var name = ""
        while let next = characters.next(), next != "}" { name.append(next) }
        guard let stroke = keyStroke(named: name) else { throw .unknownKeyName(name) }
        strokes.append(stroke)
      default:
        throw .unknownEscape(String(escaped))
      }
    }
    return strokes
  }
}

public enum KeyParseError: Error, Equatable, CustomStringConvertible {
  case noKey(String)
  case danglingBackslash
  case unknownEscape(String)
  case unknownKeyName(String)

  public var description: String {
    switch self {
    case .noKey(let text): return "no key on the US layout types \(text.debugDescription)"
    case .danglingBackslash: return "the key string ends with a lone backslash"
    case .unknownEscape(let text): return "unknown escape \\\(text) (use \\n \\t \\b \\e \\\\ or \\{name})"
    case .unknownKeyName(let name): return "unknown key name {\(name)}"
    }
  }
}
