// The character generator of VGA text mode: 256 glyphs of 8x16 pixels, indexed by the CP437 code stored in
// text memory (IBM VGA Technical Reference, "Character Generator" / mode 3 with a 9x16 cell).
//
// A console font becomes one of these in one of two ways, as issue 4 asks:
//   * directly, glyph N for code N, when the font has at least 256 glyphs and either no Unicode table (a
//     bare CP437 font) or a table that puts every CP437 character it lists at its own code (Debian's
//     default8x16 is such a font);
//   * otherwise through the font's Unicode table and the CP437 table, so a Latin-1 or Unicode-ordered font
//     still shows box drawing where it has those glyphs. Codes with no glyph fall back to U+FFFD, then '?',
//     then a blank.
// Only 8x16 fonts are accepted: other heights would need a different cell (and CRTC maximum scan line), and
// stretching 8x8 or 8x14 glyphs would not look like a VGA, so they are rejected with a clear error.

public struct VGAFont {
  public static let glyphWidth = 8
  public static let glyphHeight = 16

  /// How the glyphs were chosen from the font.
  public enum Mapping: Equatable { case direct, unicodeTable }

  /// 256 glyphs x 16 rows, one byte per row with the leftmost pixel in bit 7.
  public let rows: [UInt8]
  public let mapping: Mapping

  /// A font from raw CP437-ordered bitmaps (256 x 16 bytes), e.g. for tests.
  public init(rows: [UInt8]) {
    precondition(rows.count == 256 * Self.glyphHeight, "VGAFont needs 256 glyphs of 16 rows")
    self.rows = rows
    mapping = .direct
  }

  /// The 256 CP437 glyphs of an 8x16 console font.
  public init(_ font: ConsoleFont) throws {
    guard font.width == Self.glyphWidth, font.height == Self.glyphHeight else {
      throw ConsoleFontError.unsupportedGlyphSize(width: font.width, height: font.height)
    }
    let glyphForCode: [Int]
    if font.glyphCount >= 256 && Self.tableIsCP437Identity(font) {
      glyphForCode = Array(0..<256)
      mapping = .direct
    } else {
      guard font.unicodeMap != nil else {
        throw ConsoleFontError.malformed("only \(font.glyphCount) glyphs and no Unicode table to find CP437 in")
      }
      let fallback = Self.lookUp(0xFFFD, in: font) ?? Self.lookUp(0x3F, in: font) ?? Self.lookUp(0x20, in: font)
      glyphForCode = CP437.unicode.map { Self.lookUp($0, in: font) ?? fallback ?? -1 }
      mapping = .unicodeTable
    }
    var rows = [UInt8](repeating: 0, count: 256 * Self.glyphHeight)
    for (code, glyph) in glyphForCode.enumerated() where glyph >= 0 {
      rows.replaceSubrange(code * Self.glyphHeight..<(code + 1) * Self.glyphHeight, with: font.glyph(glyph))
    }
    self.rows = rows
  }

  /// Reads `path` (or the default console-data font) and selects its CP437 glyphs.
  public static func load(path: String? = nil) throws -> VGAFont {
    try VGAFont(ConsoleFont(contentsOfFile: path ?? ConsoleFont.defaultPath))
  }

  /// The 16 row bytes of the glyph for `code`.
  public func glyph(_ code: UInt8) -> ArraySlice<UInt8> {
    rows[Int(code) * Self.glyphHeight..<(Int(code) + 1) * Self.glyphHeight]
  }

  private static func tableIsCP437Identity(_ font: ConsoleFont) -> Bool {
    guard let map = font.unicodeMap else { return true }
    return CP437.unicode.enumerated().allSatisfy { code, scalar in map[scalar].map { $0 == code } ?? true }
  }

  private static func lookUp(_ scalar: UInt32, in font: ConsoleFont) -> Int? {
    if let glyph = font.glyphIndex(for: scalar), glyph < font.glyphCount { return glyph }
    for alternative in CP437.alternatives[scalar] ?? [] {
      if let glyph = font.glyphIndex(for: alternative), glyph < font.glyphCount { return glyph }
    }
    return nil
  }
}
