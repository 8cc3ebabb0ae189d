// ScreenText.swift: the text screen as lines of text, for `--dump-vga -`.

import Devices

enum ScreenText {
  /// The 25 rows, trailing blanks removed, characters of code page 437 shown as Unicode.
  static func rows(_ cells: [UInt8]) -> [String] {
    (0..<25).map { row in
      var line = String((0..<80).map { column in CodePage437.character(cells[(row * 80 + column) * 2]) })
      while line.last == " " { line.removeLast() }
      return line
    }
  }
}

/// IBM code page 437, the VGA's character set, as Unicode.
enum CodePage437 {
  static func character(_ code: UInt8) -> Character {
    code == 0 ? " " : table[Int(code)]
  }

  static let table: [Character] = Array(
    " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼"
      + " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~⌂"
      + "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»"
      + "░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀"
      + "αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{A0}")
}
