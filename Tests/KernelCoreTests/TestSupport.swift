import KernelCore

/// A text screen in plain memory: the same 2000 cells the kernel writes at 0xB8000.
final class MemoryTextScreen: TextCellStorage {
  var cells = [UInt16](repeating: 0, count: TextScreen.cellCount)

  func cell(at index: Int) -> UInt16 { cells[index] }
  func setCell(_ value: UInt16, at index: Int) { cells[index] = value }

  /// The characters of one row, trailing blanks and NULs removed.
  func text(ofRow row: Int) -> String {
    let bytes = cells[(row * TextScreen.columns)..<((row + 1) * TextScreen.columns)].map {
      UInt8($0 & 0xFF)
    }
    let trimmed = bytes.reversed().drop(while: { $0 == 0 || $0 == 0x20 }).reversed()
    return String(decoding: trimmed, as: UTF8.self)
  }

  func attribute(row: Int, column: Int) -> UInt8 {
    UInt8(cells[row * TextScreen.columns + column] >> 8)
  }
}

/// A sink that collects bytes, for the formatting tests.
struct ByteCollector: ByteSink {
  var bytes: [UInt8] = []
  mutating func write(byte: UInt8) { bytes.append(byte) }
  var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Physical memory for the Multiboot tests: a byte image that starts at `base`.
struct FakePhysicalMemory: PhysicalMemoryReader {
  var base: UInt64
  var bytes: [UInt8]

  func load8(_ address: UInt64) -> UInt8 { bytes[Int(address - base)] }
  func load32(_ address: UInt64) -> UInt32 {
    (0..<4).reduce(0) { $0 | UInt32(load8(address + UInt64($1))) << (8 * $1) }
  }
  func load64(_ address: UInt64) -> UInt64 {
    UInt64(load32(address)) | UInt64(load32(address + 4)) << 32
  }

  mutating func store32(_ address: UInt64, _ value: UInt32) {
    for index in 0..<4 { bytes[Int(address - base) + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
  }
  mutating func store64(_ address: UInt64, _ value: UInt64) {
    store32(address, UInt32(truncatingIfNeeded: value))
    store32(address + 4, UInt32(truncatingIfNeeded: value >> 32))
  }
  mutating func storeString(_ address: UInt64, _ text: String) {
    for (index, byte) in text.utf8.enumerated() { bytes[Int(address - base) + index] = byte }
    bytes[Int(address - base) + text.utf8.count] = 0
  }
}
