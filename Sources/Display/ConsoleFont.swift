// A reader for Linux console fonts, the PC Screen Font formats of the kbd package (documented in kbd's
// src/psf.h and its "psffontformat" notes, and at https://www.win.tue.nl/~aeb/linux/kbd/font-formats-1.html):
//
//   PSF1: magic 0x36 0x04, a mode byte (0x01 512 glyphs, 0x02 Unicode table, 0x04 table with sequences) and
//         the glyph height; glyphs are 8 pixels wide, one byte per row. The optional Unicode table follows
//         the glyphs: per glyph, little-endian UCS-2 values, 0xFFFE starting sequences, 0xFFFF ending it.
//   PSF2: magic 0x72 0xB5 0x4A 0x86, then little-endian 32-bit version, header size, flags (bit 0: Unicode
//         table), glyph count, bytes per glyph, height, width; rows are padded to whole bytes. The table
//         stores UTF-8: per glyph, characters, then 0xFE-introduced sequences, ending with 0xFF.
//
// Both may be gzipped (Debian ships them as *.psf.gz); the gzip magic is recognised whatever the file name.
// This type keeps the font as found; VGAFont picks the 256 CP437 glyphs a text-mode screen needs.

import HostFiles
import SystemZlib

#if canImport(Glibc)
  import Glibc
#endif

/// Why a console font could not be used.
public enum ConsoleFontError: Error, Equatable, CustomStringConvertible {
  case fileNotFound(path: String, packageHint: String?)
  case unreadable(path: String)
  case badMagic
  case truncated(String)
  case compression(ZlibError)
  case unsupportedGlyphSize(width: Int, height: Int)
  case malformed(String)

  public var description: String {
    switch self {
    case .fileNotFound(let path, let hint):
      return "console font not found: \(path)" + (hint.map { " (\($0))" } ?? "")
    case .unreadable(let path): return "cannot read console font \(path)"
    case .badMagic: return "not a PSF1 or PSF2 console font (bad magic bytes)"
    case .truncated(let part): return "console font is truncated (\(part))"
    case .compression(let error): return "console font is not valid gzip data: \(error)"
    case .unsupportedGlyphSize(let width, let height):
      return "console font glyphs are \(width)x\(height); VGA text mode needs an 8x16 font"
    case .malformed(let why): return "malformed console font: \(why)"
    }
  }
}

/// The glyphs of a PSF1 or PSF2 font and its Unicode table, if any.
public struct ConsoleFont {
  public enum Format: Equatable { case psf1, psf2 }

  /// Debian's copy of the IBM VGA 8x16 ROM font, in CP437 order (package console-data).
  public static let defaultPath = "/usr/share/consolefonts/default8x16.psf.gz"
  public static let defaultPackageHint = "install Debian's console-data package: apt-get install console-data"

  public let format: Format
  public let glyphCount: Int
  public let width: Int
  public let height: Int
  /// Bytes per glyph row: the width rounded up to whole bytes, leftmost pixel in the top bit.
  public let bytesPerRow: Int
  /// All glyph bitmaps, glyph after glyph, `height * bytesPerRow` bytes each.
  public let bitmaps: [UInt8]
  /// Unicode scalar value to glyph index, from the font's table (single characters only; sequences such as
  /// a letter plus combining accent are skipped, since a CP437 code is one character). Nil without a table.
  public let unicodeMap: [UInt32: Int]?

  /// Reads a font file, gzipped or not. A missing default font names the package that provides it.
  public init(contentsOfFile path: String) throws {
    guard access(path, F_OK) == 0 else {
      throw ConsoleFontError.fileNotFound(
        path: path, packageHint: path == Self.defaultPath ? Self.defaultPackageHint : nil)
    }
    guard let bytes = InputFile.bytes(atPath: path) else {
      throw ConsoleFontError.unreadable(path: path)
    }
    try self.init(bytes: bytes)
  }

  /// Parses a font from its file contents, gzipped or not.
  public init(bytes fileBytes: [UInt8]) throws {
    var bytes = fileBytes
    if Zlib.isGzip(bytes) {
      // A console font is a few KiB; a limit keeps a hostile file from inflating without end.
      do { bytes = try Zlib.decompress(bytes, format: .gzip, limit: 16 << 20) } catch {
        throw ConsoleFontError.compression(error)
      }
    }
    if bytes.count >= 2 && bytes[0] == 0x36 && bytes[1] == 0x04 {
      try self.init(psf1: bytes)
    } else if bytes.count >= 4 && bytes[0...3] == [0x72, 0xB5, 0x4A, 0x86] {
      try self.init(psf2: bytes)
    } else {
      throw ConsoleFontError.badMagic
    }
  }

  /// The rows of glyph `index`, `bytesPerRow` bytes each.
  public func glyph(_ index: Int) -> ArraySlice<UInt8> {
    let size = height * bytesPerRow
    return bitmaps[index * size..<(index + 1) * size]
  }

  /// The glyph the Unicode table gives for `scalar`, if the font has a table and the character.
  public func glyphIndex(for scalar: UInt32) -> Int? {
    unicodeMap?[scalar]
  }

  // MARK: PSF1

  private static let psf1Mode512: UInt8 = 0x01
  private static let psf1ModeHasTable: UInt8 = 0x02
  private static let psf1ModeHasSequences: UInt8 = 0x04

  private init(psf1 bytes: [UInt8]) throws {
    guard bytes.count >= 4 else { throw ConsoleFontError.truncated("PSF1 header") }
    let mode = bytes[2]
    format = .psf1
    glyphCount = mode & Self.psf1Mode512 != 0 ? 512 : 256
    width = 8
    height = Int(bytes[3])
    bytesPerRow = 1
    guard height > 0 else { throw ConsoleFontError.malformed("zero glyph height") }
    let glyphsEnd = 4 + glyphCount * height
    guard bytes.count >= glyphsEnd else { throw ConsoleFontError.truncated("PSF1 glyphs") }
    bitmaps = Array(bytes[4..<glyphsEnd])
    // kbd treats either table bit as "has a table" (psf.h: PSF1_MODEHASTAB, PSF1_MODEHASSEQ).
    guard mode & (Self.psf1ModeHasTable | Self.psf1ModeHasSequences) != 0 else {
      unicodeMap = nil
      return
    }
    var map: [UInt32: Int] = [:]
    var index = glyphsEnd
    for glyph in 0..<glyphCount {
      var inSequences = false
      while true {
        guard index + 2 <= bytes.count else { throw ConsoleFontError.truncated("PSF1 Unicode table") }
        let value = UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8
        index += 2
        if value == 0xFFFF { break }
        if value == 0xFFFE {
          inSequences = true
        } else if !inSequences && map[value] == nil {
          map[value] = glyph
        }
      }
    }
    unicodeMap = map
  }

  // MARK: PSF2

  private static let psf2FlagHasTable: UInt32 = 0x01
  private static let psf2Separator: UInt8 = 0xFF
  private static let psf2StartSequence: UInt8 = 0xFE

  private init(psf2 bytes: [UInt8]) throws {
    guard bytes.count >= 32 else { throw ConsoleFontError.truncated("PSF2 header") }
    func field(_ n: Int) -> Int {
      let i = 4 + 4 * n
      return Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24
    }
    let headerSize = field(1)
    let flags = UInt32(field(2))
    format = .psf2
    glyphCount = field(3)
    let bytesPerGlyph = field(4)
    height = field(5)
    width = field(6)
    bytesPerRow = (width + 7) / 8
    guard headerSize >= 32 else { throw ConsoleFontError.malformed("PSF2 header size \(headerSize)") }
    guard width > 0, height > 0, glyphCount > 0, glyphCount <= 0x10_0000 else {
      throw ConsoleFontError.malformed("PSF2 font of \(glyphCount) glyphs of \(width)x\(height)")
    }
    guard bytesPerGlyph == height * bytesPerRow else {
      throw ConsoleFontError.malformed("PSF2 glyph size \(bytesPerGlyph) bytes for \(width)x\(height) pixels")
    }
    let glyphsEnd = headerSize + glyphCount * bytesPerGlyph
    guard bytes.count >= glyphsEnd else { throw ConsoleFontError.truncated("PSF2 glyphs") }
    bitmaps = Array(bytes[headerSize..<glyphsEnd])
    guard flags & Self.psf2FlagHasTable != 0 else {
      unicodeMap = nil
      return
    }
    var map: [UInt32: Int] = [:]
    var index = glyphsEnd
    for glyph in 0..<glyphCount {
      var inSequences = false
      while true {
        guard index < bytes.count else { throw ConsoleFontError.truncated("PSF2 Unicode table") }
        let lead = bytes[index]
        if lead == Self.psf2Separator {
          index += 1
          break
        }
        if lead == Self.psf2StartSequence {
          inSequences = true
          index += 1
          continue
        }
        let (scalar, length) = try Self.decodeUTF8(bytes, at: index)
        index += length
        if !inSequences && map[scalar] == nil { map[scalar] = glyph }
      }
    }
    unicodeMap = map
  }

  /// One UTF-8 character at `index`: its value and length. 0xFE and 0xFF never occur in UTF-8, which is why
  /// PSF2 can use them as markers.
  private static func decodeUTF8(_ bytes: [UInt8], at index: Int) throws -> (UInt32, Int) {
    let lead = bytes[index]
    let length: Int
    var value: UInt32
    switch lead {
    case 0x00...0x7F: return (UInt32(lead), 1)
    case 0xC0...0xDF: (length, value) = (2, UInt32(lead & 0x1F))
    case 0xE0...0xEF: (length, value) = (3, UInt32(lead & 0x0F))
    case 0xF0...0xF7: (length, value) = (4, UInt32(lead & 0x07))
    default: throw ConsoleFontError.malformed("invalid UTF-8 byte 0x\(String(lead, radix: 16)) in Unicode table")
    }
    guard index + length <= bytes.count else { throw ConsoleFontError.truncated("PSF2 Unicode table") }
    for byte in bytes[index + 1..<index + length] {
      guard byte & 0xC0 == 0x80 else { throw ConsoleFontError.malformed("invalid UTF-8 in Unicode table") }
      value = value << 6 | UInt32(byte & 0x3F)
    }
    return (value, length)
  }
}
