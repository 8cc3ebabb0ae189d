// ScancodeDecoder.swift: from keyboard scancodes to keys.
//
// A PS/2 keyboard reports key presses and releases as scancodes, not characters. With the i8042
// controller's translation on (what the BIOS sets up), they arrive in scancode set 1: one byte per
// press ("make"), the same byte with bit 7 set on release ("break"), and a 0xE0 prefix for the
// keys the original 83-key keyboard did not have (arrows, right Ctrl and Alt, keypad Enter...).
// Pause sends a six-byte 0xE1 sequence with no release. Which character a key means depends on
// the layout (US here) and the modifier state this decoder tracks: both Shifts, Ctrl, Alt, and
// Caps Lock, which toggles on each press and, unlike Shift, only affects letters.

/// A key that was pressed, with the modifiers held at the time.
public struct KeyEvent: Equatable {
  public enum Key: Equatable {
    /// A key that types a character (already shifted per Shift and Caps Lock).
    case character(UInt8)
    case enter
    case backspace
    case tab
    case escape
    case up, down, left, right
    case home, end, pageUp, pageDown, insert, delete
    case function(Int)
  }

  public var key: Key
  public var shift: Bool
  public var control: Bool
  public var alt: Bool

  public init(_ key: Key, shift: Bool = false, control: Bool = false, alt: Bool = false) {
    self.key = key
    self.shift = shift
    self.control = control
    self.alt = alt
  }
}

/// Turns a stream of set-1 scancodes into key presses.
public struct ScancodeDecoder {
  public private(set) var leftShift = false
  public private(set) var rightShift = false
  public private(set) var control = false
  public private(set) var alt = false
  public private(set) var capsLock = false
  private var extended = false
  private var pauseBytesToSkip = 0

  public init() {}

  public var shift: Bool { leftShift || rightShift }

  // US layout, indexed by make code 0x00...0x39; NUL where the key types nothing.
  private static let plain: StaticString =
    "\0\u{1B}1234567890-=\u{8}\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 "
  private static let shifted: StaticString =
    "\0\u{1B}!@#$%^&*()_+\u{8}\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 "

  /// Feeds one byte from the keyboard; returns the key press it completes, if any.
  public mutating func decode(_ scancode: UInt8) -> KeyEvent? {
    if pauseBytesToSkip > 0 {
      pauseBytesToSkip -= 1
      return nil
    }
    switch scancode {
    case 0xE0:
      extended = true
      return nil
    case 0xE1:
      pauseBytesToSkip = 5
      return nil
    case 0x00, 0xAA, 0xEE, 0xFA, 0xFC, 0xFD, 0xFE, 0xFF:
      // Controller and keyboard responses (ACK, self-test passed, echo, errors), not keys. 0xAA
      // is also the release of left Shift, which matters only if Shift was down.
      if scancode == 0xAA && !extended && leftShift { leftShift = false }
      extended = false
      return nil
    default:
      break
    }

    let isExtended = extended
    extended = false
    let released = scancode & 0x80 != 0
    let code = scancode & 0x7F

    // Modifiers change state on press and release.
    switch (code, isExtended) {
    case (0x2A, false): leftShift = !released; return nil
    case (0x36, false): rightShift = !released; return nil
    case (0x1D, _): control = !released; return nil
    case (0x38, _): alt = !released; return nil
    case (0x3A, false):
      if !released { capsLock.toggle() }
      return nil
    case (0x2A, true), (0x36, true):
      return nil  // fake shifts some keyboards wrap around extended keys
    default:
      break
    }
    if released { return nil }

    if isExtended {
      switch code {
      case 0x1C: return event(.enter)
      case 0x35: return event(.character(0x2F))  // keypad /
      case 0x47: return event(.home)
      case 0x48: return event(.up)
      case 0x49: return event(.pageUp)
      case 0x4B: return event(.left)
      case 0x4D: return event(.right)
      case 0x4F: return event(.end)
      case 0x50: return event(.down)
      case 0x51: return event(.pageDown)
      case 0x52: return event(.insert)
      case 0x53: return event(.delete)
      default: return nil
      }
    }

    switch code {
    case 0x01: return event(.escape)
    case 0x0E: return event(.backspace)
    case 0x0F: return event(.tab)
    case 0x1C: return event(.enter)
    case 0x3B...0x44: return event(.function(Int(code) - 0x3A))
    case 0x57: return event(.function(11))
    case 0x58: return event(.function(12))
    case 0x00...0x39:
      let base = Self.plain.utf8Start[Int(code)]
      guard base != 0 else { return nil }
      let isLetter = base >= 0x61 && base <= 0x7A
      let upper = isLetter ? (shift != capsLock) : shift
      let character = upper ? Self.shifted.utf8Start[Int(code)] : base
      return event(.character(character))
    default:
      return nil  // keypad and other keys this layout does not type
    }
  }

  private func event(_ key: KeyEvent.Key) -> KeyEvent {
    KeyEvent(key, shift: shift, control: control, alt: alt)
  }
}

extension KeyEvent {
  /// The byte a terminal would send for this key: Ctrl+letter as a control code (Ctrl-C = 0x03),
  /// Enter as "\n", Backspace as 0x08. Keys with no such byte (arrows, function keys) give nil.
  public var terminalByte: UInt8? {
    switch key {
    case .character(let character):
      if control {
        let letter = character | 0x20
        guard letter >= 0x61 && letter <= 0x7A else { return nil }
        return letter - 0x60
      }
      return character
    case .enter: return 0x0A
    case .backspace: return 0x08
    case .tab: return 0x09
    case .escape: return 0x1B
    default: return nil
    }
  }
}
