// Draws VGA text mode (BIOS mode 3) as the monitor shows it: 80x25 cells of 9x16 pixels, 720x400 in all.
// The window and the --screenshot PNG both come from here, so they agree pixel for pixel.
//
// What real hardware does, and this copies (IBM VGA Technical Reference; FreeVGA "Attribute Controller
// Registers" and "CRT Controller Registers"):
//   * The 8-pixel glyph is followed by a 9th column in the background colour, except that with Line Graphics
//     Enable (attribute mode control bit 2) characters 0xC0-0xDF repeat their 8th column there, so box
//     drawing lines join across cells.
//   * Attribute byte: bits 0-3 foreground, 4-7 background. With Blink Enable (mode control bit 3) bit 7
//     makes the character blink instead, and the background is limited to colours 0-7. A blinking character
//     in its off phase is drawn as background only.
//   * The cursor fills scan lines start...end of its cell, all 9 columns, in the cell's foreground colour,
//     and blinks on its own, faster clock.
// Pixels are 32-bit ARGB8888 values (0xAARRGGBB in a UInt32, which is SDL_PIXELFORMAT_ARGB8888), row after
// row. Rendering writes into a buffer allocated once, because the window redraws at 60 Hz.

import Devices

public final class TextModeRenderer {
  public static let columns = 80
  public static let rows = 25
  public static let cellWidth = 9
  public static let cellHeight = 16
  public static let width = columns * cellWidth
  public static let height = rows * cellHeight

  public let font: VGAFont
  /// The last frame rendered by `render(_:blinkPhase:cursorPhase:)`, ARGB8888, `width` x `height`.
  public private(set) var pixels: [UInt32]

  public init(font: VGAFont) {
    self.font = font
    pixels = [UInt32](repeating: VGAPalette.argb[0], count: Self.width * Self.height)
  }

  /// Renders `screen` into `pixels`. `blinkPhase` says whether blinking characters are shown, `cursorPhase`
  /// whether the cursor is; see `blinkPhases(atSeconds:)`.
  public func render(_ screen: VGATextScreen, blinkPhase: Bool, cursorPhase: Bool) {
    pixels.withUnsafeMutableBufferPointer { buffer in
      render(screen, blinkPhase: blinkPhase, cursorPhase: cursorPhase, into: buffer.baseAddress!, pitch: Self.width)
    }
  }

  /// Renders `screen` into any `width` x `height` ARGB8888 buffer whose rows are `pitch` pixels apart (a
  /// locked streaming texture, for example).
  public func render(
    _ screen: VGATextScreen, blinkPhase: Bool, cursorPhase: Bool, into buffer: UnsafeMutablePointer<UInt32>,
    pitch: Int
  ) {
    precondition(screen.cells.count >= Self.columns * Self.rows * 2, "a text screen has 80x25 cells")
    precondition(pitch >= Self.width)
    let cursorRow = screen.cursor.isVisible && cursorPhase ? screen.cursor.row ?? -1 : -1
    let cursorColumn = screen.cursor.column ?? -1
    let cursorLines = screen.cursor.startScanline...max(screen.cursor.startScanline, screen.cursor.endScanline)

    font.rows.withUnsafeBufferPointer { glyphs in
      screen.cells.withUnsafeBufferPointer { cells in
        VGAPalette.argb.withUnsafeBufferPointer { palette in
          for row in 0..<Self.rows {
            for column in 0..<Self.columns {
              let cell = (row * Self.columns + column) * 2
              let code = Int(cells[cell])
              let attribute = Int(cells[cell + 1])
              let foreground = palette[attribute & 0x0F]
              let blinks = screen.blinkEnabled && attribute & 0x80 != 0
              let background = palette[screen.blinkEnabled ? attribute >> 4 & 0x07 : attribute >> 4]
              let showsGlyph = !blinks || blinkPhase
              let extendsNinthColumn = screen.lineGraphicsEnabled && code >= 0xC0 && code <= 0xDF
              let hasCursor = row == cursorRow && column == cursorColumn
              var target = buffer + row * Self.cellHeight * pitch + column * Self.cellWidth
              for line in 0..<Self.cellHeight {
                if hasCursor && cursorLines.contains(line) {
                  for x in 0..<Self.cellWidth { target[x] = foreground }
                } else {
                  let bits = showsGlyph ? glyphs[code * Self.cellHeight + line] : 0
                  for x in 0..<8 { target[x] = bits & (0x80 >> x) != 0 ? foreground : background }
                  target[8] = extendsNinthColumn && bits & 1 != 0 ? foreground : background
                }
                target += pitch
              }
            }
          }
        }
      }
    }
  }

  /// The blink phases at `seconds` of wall-clock time, from the VGA's own clocks: mode 3 refreshes at 70 Hz,
  /// the cursor toggles every 8 frames and blinking characters every 16 (IBM VGA Technical Reference).
  public static func blinkPhases(atSeconds seconds: Double) -> (blink: Bool, cursor: Bool) {
    let frame = Int(seconds * 70)
    return (frame / 16 % 2 == 0, frame / 8 % 2 == 0)
  }
}
