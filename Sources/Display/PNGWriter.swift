// Encodes screenshots as PNG (W3C "Portable Network Graphics (PNG) Specification", second edition): the
// signature, an IHDR chunk (8-bit RGBA, colour type 6, no interlace), one IDAT chunk holding the zlib stream
// of the scanlines, each prefixed with filter type 0 (None), and IEND. Every chunk carries the CRC-32 of its
// type and data. Filter None is enough: LZ77 already finds the runs and repeated rows of a text screen.
// The compression and the CRC are zlib's (SystemZlib); the chunks are few and simple enough to write
// here rather than take libpng, whose setjmp error handling Swift cannot call safely.

import SystemZlib

public enum PNGWriter {
  public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

  /// A PNG of `width` x `height` pixels given as R, G, B, A bytes, row after row.
  public static func encode(rgba: [UInt8], width: Int, height: Int) -> [UInt8] {
    precondition(width > 0 && height > 0 && rgba.count == width * height * 4, "RGBA data does not match the size")
    var header: [UInt8] = []
    appendBigEndian(UInt32(width), to: &header)
    appendBigEndian(UInt32(height), to: &header)
    // Bit depth 8, colour type 6 (truecolour with alpha), compression 0, filter method 0, no interlace.
    header += [8, 6, 0, 0, 0]

    let rowBytes = width * 4
    var scanlines: [UInt8] = []
    scanlines.reserveCapacity((rowBytes + 1) * height)
    for y in 0..<height {
      scanlines.append(0)  // Filter type None.
      scanlines += rgba[y * rowBytes..<(y + 1) * rowBytes]
    }

    var png = signature
    appendChunk("IHDR", header, to: &png)
    appendChunk("IDAT", Zlib.compress(scanlines), to: &png)
    appendChunk("IEND", [], to: &png)
    return png
  }

  /// A PNG of ARGB8888 pixels (the renderer's format); the alpha byte is kept.
  public static func encode(argb: [UInt32], width: Int, height: Int) -> [UInt8] {
    encode(rgba: rgbaBytes(fromARGB: argb), width: width, height: height)
  }

  /// ARGB8888 pixels as R, G, B, A bytes.
  public static func rgbaBytes(fromARGB argb: [UInt32]) -> [UInt8] {
    var rgba = [UInt8](repeating: 0, count: argb.count * 4)
    for (i, pixel) in argb.enumerated() {
      rgba[i * 4] = UInt8(truncatingIfNeeded: pixel >> 16)
      rgba[i * 4 + 1] = UInt8(truncatingIfNeeded: pixel >> 8)
      rgba[i * 4 + 2] = UInt8(truncatingIfNeeded: pixel)
      rgba[i * 4 + 3] = UInt8(truncatingIfNeeded: pixel >> 24)
    }
    return rgba
  }

  private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
    let typeBytes = Array(type.utf8)
    appendBigEndian(UInt32(data.count), to: &png)
    png += typeBytes
    png += data
    var crc = CRC32()
    crc.update(typeBytes)
    crc.update(data)
    appendBigEndian(crc.value, to: &png)
  }

  private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
    bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
  }
}
