// FileIdentity.swift: a file as recordings and state files name it: its size and CRC-32. Enough to
// tell another file from the one a run read, which is all a replay or a restore needs to refuse.

import SystemZlib

package struct FileIdentity: Equatable, CustomStringConvertible {
  package var size: Int
  package var crc: UInt32

  package init(size: Int, crc: UInt32) {
    self.size = size
    self.crc = crc
  }

  package init(of bytes: [UInt8]) {
    self.init(size: bytes.count, crc: CRC32.checksum(bytes))
  }

  /// A file that ends with the CRC-32 of the bytes before it, as a state file does: the CRC-32 of
  /// such a whole file is the same for every one of them (the CRC's residue), so it is named by the
  /// checksum it carries.
  package init(ofSelfChecked bytes: [UInt8]) {
    self.init(size: bytes.count, crc: CRC32.checksum(bytes.dropLast(4)))
  }

  package var description: String { "\(size) bytes, CRC-32 \(Recording.hex32(crc))" }
}
