// ScreenText.swift: the text screen as lines of text, for `--dump-vga -`.

import Display

enum ScreenText {
  /// The 25 rows, trailing blanks removed, characters of code page 437 shown as Unicode.
  static func rows(_ cells: [UInt8]) -> [String] {
    (0..<25).map { row in
      var line = String(
        (0..<80).map { column -> Character in
          let code = cells[(row * 80 + column) * 2]
          return code == 0 ? " " : Character(Unicode.Scalar(CP437.unicode[Int(code)])!)
        })
      while line.last == " " { line.removeLast() }
      return line
    }
  }
}
