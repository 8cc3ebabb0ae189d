// The 16 colours of VGA text mode as the BIOS programs the DAC for mode 3 (IBM VGA Technical Reference; the
// attribute controller maps colour 6 to DAC entry 0x14, which is why it is brown, 0xAA5500, not dark
// yellow). The 6-bit DAC levels 0x00, 0x15, 0x2A, 0x3F become the 8-bit 0x00, 0x55, 0xAA, 0xFF.

public enum VGAPalette {
  /// Colour N of an attribute nibble, as 0xRRGGBB.
  public static let rgb: [UInt32] = [
    0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
    0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF,
  ]

  /// The same colours as opaque ARGB8888 pixels (the renderer's pixel format).
  public static let argb: [UInt32] = rgb.map { 0xFF00_0000 | $0 }
}
