// A reader for X Window Dump files (the XWDFileHeader of X11's <X11/XWDFile.h>, file version 7), the format
// that `xwd` writes and that Xvfb keeps its screen in when started with `-fbdir DIR` (DIR/Xvfb_screen0). It
// lets a test capture what an SDL window really shows under Xvfb, with no screenshot tool installed, and
// compare it with the headless renderer. Only the TrueColor 24/32-bit ZPixmap layout Xvfb uses is read.

struct XWDImage {
  let width: Int
  let height: Int
  /// ARGB8888 pixels, alpha always 0xFF, row after row.
  let pixels: [UInt32]

  enum Error: Swift.Error, Equatable, CustomStringConvertible {
    case truncated
    case unsupported(String)

    var description: String {
      switch self {
      case .truncated: return "XWD file is truncated"
      case .unsupported(let what): return "unsupported XWD image: \(what)"
      }
    }
  }

  init(bytes: [UInt8]) throws {
    guard bytes.count >= 100 else { throw Error.truncated }
    // The header is 25 big-endian 32-bit fields, whatever the image's own byte order.
    func field(_ n: Int) -> Int { bytes[n * 4..<n * 4 + 4].reduce(0) { value, byte in value << 8 | Int(byte) } }
    let headerSize = field(0)
    guard field(1) == 7 else { throw Error.unsupported("file version \(field(1))") }
    guard field(2) == 2 else { throw Error.unsupported("pixmap format \(field(2)), not ZPixmap") }
    width = field(4)
    height = field(5)
    let isLittleEndian = field(7) == 0
    let bitsPerPixel = field(11)
    let bytesPerLine = field(12)
    guard field(13) == 4 || field(13) == 5 else { throw Error.unsupported("visual class \(field(13)), not TrueColor") }
    guard bitsPerPixel == 32 else { throw Error.unsupported("\(bitsPerPixel) bits per pixel") }
    let masks = (red: UInt32(field(14)), green: UInt32(field(15)), blue: UInt32(field(16)))
    let colourCount = field(19)
    let start = headerSize + colourCount * 12
    guard start + bytesPerLine * height <= bytes.count, bytesPerLine >= width * 4 else { throw Error.truncated }

    func channel(_ value: UInt32, _ mask: UInt32) -> UInt32 {
      guard mask != 0 else { return 0 }
      return (value & mask) >> UInt32(mask.trailingZeroBitCount) & 0xFF
    }
    var pixels = [UInt32](repeating: 0, count: width * height)
    for y in 0..<height {
      for x in 0..<width {
        let i = start + y * bytesPerLine + x * 4
        let b = (UInt32(bytes[i]), UInt32(bytes[i + 1]), UInt32(bytes[i + 2]), UInt32(bytes[i + 3]))
        let value = isLittleEndian ? b.0 | b.1 << 8 | b.2 << 16 | b.3 << 24 : b.3 | b.2 << 8 | b.1 << 16 | b.0 << 24
        pixels[y * width + x] =
          0xFF00_0000 | channel(value, masks.red) << 16 | channel(value, masks.green) << 8 | channel(value, masks.blue)
      }
    }
    self.pixels = pixels
  }

  /// The `width` x `height` pixels at (`x`, `y`).
  func region(x: Int, y: Int, width: Int, height: Int) -> [UInt32] {
    precondition(x >= 0 && y >= 0 && x + width <= self.width && y + height <= self.height)
    var result: [UInt32] = []
    result.reserveCapacity(width * height)
    for row in y..<y + height { result += pixels[row * self.width + x..<row * self.width + x + width] }
    return result
  }

  /// The top-left corner of the first place where `image` (`width` x `height` ARGB pixels, alpha ignored)
  /// appears exactly, or nil.
  func locate(_ image: [UInt32], width: Int, height: Int) -> (x: Int, y: Int)? {
    guard width <= self.width, height <= self.height else { return nil }
    for y in 0...(self.height - height) {
      for x in 0...(self.width - width) where matches(image, width: width, height: height, atX: x, y: y) {
        return (x, y)
      }
    }
    return nil
  }

  private func matches(_ image: [UInt32], width: Int, height: Int, atX x: Int, y: Int) -> Bool {
    for row in 0..<height {
      let base = (y + row) * self.width + x
      for column in 0..<width where pixels[base + column] | 0xFF00_0000 != image[row * width + column] | 0xFF00_0000 {
        return false
      }
    }
    return true
  }
}
