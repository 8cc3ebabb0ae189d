// TextScreen.swift: the shape of the VGA text screen and where its cells are stored.
//
// The text buffer is an array of 80 x 25 sixteen-bit cells in row-major order, each cell the
// character in the low byte and the attribute in the high byte (little endian, so in memory the
// character comes first). The kernel's storage is the real buffer at physical 0xB8000, reached
// with volatile loads and stores; host tests use plain memory. The writer does not care which.

/// The fixed geometry of 80x25 text mode.
public enum TextScreen {
  public static let columns = 80
  public static let rows = 25
  public static let cellCount = columns * rows
  /// The size in bytes of one screenful: two bytes a cell.
  public static let byteCount = cellCount * 2

  /// Packs a character and its colours into a cell value.
  @inline(__always)
  public static func cell(_ character: UInt8, _ color: ColorPair) -> UInt16 {
    UInt16(color.attribute) << 8 | UInt16(character)
  }
}

/// Where the 80x25 cells live. The methods do not mutate `self` because the kernel's storage is a
/// fixed address: writing through it changes the screen, not the value.
public protocol TextCellStorage {
  func cell(at index: Int) -> UInt16
  func setCell(_ value: UInt16, at index: Int)
}
