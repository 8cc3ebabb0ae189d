// TextWriter.swift: a terminal on the 80x25 text screen.
//
// The VGA text buffer is only memory: the card draws whatever cells it holds, and there is no
// notion of a "current position". Everything a terminal does (the position where the next
// character goes, line breaks, wrapping at column 80, scrolling the screen up when the bottom is
// reached, backspace and tab) is this writer's bookkeeping. The blinking hardware cursor is a
// separate register pair in the CRTC that the kernel's driver moves to `cursorIndex`.

/// Writes bytes (code page 437 characters and a few ASCII controls) to a text screen.
///
/// Wrapping is deferred, as on VT100-style terminals: after a character lands in column 79 the
/// position rests at column 80 until the next printable character, so a line of exactly 80
/// characters followed by a newline does not leave an empty line behind.
public struct TextWriter<Storage: TextCellStorage>: ByteSink {
  public let storage: Storage
  public private(set) var row = 0
  public private(set) var column = 0
  /// The colours that newly written characters get.
  public var color: ColorPair

  public init(storage: Storage, color: ColorPair = .standard) {
    self.storage = storage
    self.color = color
  }

  /// The cell the hardware cursor should sit on: where the next character will appear.
  public var cursorIndex: Int {
    row * TextScreen.columns + min(column, TextScreen.columns - 1)
  }

  public mutating func write(byte: UInt8) {
    switch byte {
    case 0x0A:  // "\n": start of the next line
      newline()
    case 0x0D:  // "\r": start of this line
      column = 0
    case 0x08:  // backspace: step back over the previous cell, across a line break, and erase it
      if column > 0 {
        column -= 1
      } else if row > 0 {
        row -= 1
        column = TextScreen.columns - 1
      }
      put(0x20)
    case 0x09:  // tab: blank up to the next multiple of 8
      if column >= TextScreen.columns { newline() }
      repeat {
        put(0x20)
        column += 1
      } while column % 8 != 0 && column < TextScreen.columns
    default:
      if column >= TextScreen.columns { newline() }
      put(byte)
      column += 1
    }
  }

  /// Moves to the start of the next line, scrolling when already on the last row.
  public mutating func newline() {
    column = 0
    if row < TextScreen.rows - 1 {
      row += 1
    } else {
      scrollUp()
    }
  }

  /// Blanks the whole screen in the current colour and moves to the top-left corner.
  public mutating func clear() {
    let blank = TextScreen.cell(0x20, color)
    for index in 0..<TextScreen.cellCount {
      storage.setCell(blank, at: index)
    }
    row = 0
    column = 0
  }

  /// Places the position explicitly, clamped to the screen.
  public mutating func move(toRow newRow: Int, column newColumn: Int) {
    row = max(0, min(newRow, TextScreen.rows - 1))
    column = max(0, min(newColumn, TextScreen.columns))
  }

  /// Moves every row up by one; the bottom row becomes blank in the current colour.
  public func scrollUp() {
    let columns = TextScreen.columns
    for index in 0..<(TextScreen.cellCount - columns) {
      storage.setCell(storage.cell(at: index + columns), at: index)
    }
    let blank = TextScreen.cell(0x20, color)
    for index in (TextScreen.cellCount - columns)..<TextScreen.cellCount {
      storage.setCell(blank, at: index)
    }
  }

  /// Fills the rest of the current row with blanks in the current colour without moving:
  /// paints coloured bars such as the banner.
  public func fillRestOfRow() {
    let blank = TextScreen.cell(0x20, color)
    var index = column
    while index < TextScreen.columns {
      storage.setCell(blank, at: row * TextScreen.columns + index)
      index += 1
    }
  }

  @inline(__always)
  private func put(_ character: UInt8) {
    storage.setCell(TextScreen.cell(character, color), at: row * TextScreen.columns + column)
  }
}
