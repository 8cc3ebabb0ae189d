// ScreenText.swift: the text screen as lines of text, for `--dump-vga -`.

import Display

package enum ScreenText {
  /// The 25 rows, trailing blanks removed, characters of code page 437 shown as Unicode.
  package static func rows(_ cells: [UInt8]) -> [String] {
    (0..<25).map { row in
      var line = CP437.row(row, of: cells)
      while line.last == " " { line.removeLast() }
      return line
    }
  }
}
