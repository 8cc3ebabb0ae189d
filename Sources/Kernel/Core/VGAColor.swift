// VGAColor.swift: the colours of VGA text mode.
//
// In text mode every screen cell is two bytes: the character (a code point of IBM code page 437)
// and an attribute byte. The attribute's low nibble picks the foreground colour and the high
// nibble the background colour from the 16-entry palette below (IBM VGA Technical Reference,
// "Attribute Byte"). With the attribute controller's blink bit set (the BIOS default), background
// bit 3 makes the cell blink instead of selecting a bright background, so bright backgrounds are
// best avoided.

/// One of the 16 colours of the default VGA text-mode palette.
public enum VGAColor: UInt8 {
  case black = 0
  case blue = 1
  case green = 2
  case cyan = 3
  case red = 4
  case magenta = 5
  case brown = 6
  case lightGray = 7
  case darkGray = 8
  case lightBlue = 9
  case lightGreen = 10
  case lightCyan = 11
  case lightRed = 12
  case pink = 13
  case yellow = 14
  case white = 15
}

/// A foreground and background colour: what the hardware calls an attribute byte.
public struct ColorPair: Equatable {
  public var foreground: VGAColor
  public var background: VGAColor

  public init(_ foreground: VGAColor, on background: VGAColor) {
    self.foreground = foreground
    self.background = background
  }

  /// Decodes an attribute byte: low nibble foreground, high nibble background.
  public init(attribute: UInt8) {
    // Both nibbles are 0...15, so the force unwraps cannot fail.
    foreground = VGAColor(rawValue: attribute & 0x0F)!
    background = VGAColor(rawValue: attribute >> 4)!
  }

  /// The attribute byte stored beside each character in the text buffer.
  public var attribute: UInt8 { background.rawValue << 4 | foreground.rawValue }

  /// Light grey on black: what the BIOS leaves on screen and what the kernel prints in by default.
  public static let standard = ColorPair(.lightGray, on: .black)
  /// White on red: the panic screen.
  public static let panic = ColorPair(.white, on: .red)
}
