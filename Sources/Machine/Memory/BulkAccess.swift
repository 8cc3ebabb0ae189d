// Bulk copies and fills of physical memory, for loaders: a whole segment at once where it is plain
// RAM, byte by byte through the device path where it is not.

#if canImport(Glibc)
  import Glibc
#endif

extension PhysicalMemory {
  /// Bulk copy into physical memory (loader use).
  public func copy(_ data: [UInt8], to address: UInt64) {
    if !data.isEmpty && isPlainRAM(range: address, count: UInt64(data.count)) {
      data.withUnsafeBytes { ram.advanced(by: Int(address)).copyMemory(from: $0.baseAddress!, byteCount: data.count) }
      for page in Int(address >> 12)...Int((address + UInt64(max(data.count, 1)) - 1) >> 12) {
        noteWrite(UInt64(page) << 12)
      }
      return
    }
    write(data, at: address)
  }

  /// True when every page of the range is plain RAM (no device mapped over it).
  func isPlainRAM(range address: UInt64, count: UInt64) -> Bool {
    let (end, overflow) = address.addingReportingOverflow(count)
    if overflow || end > ramSize { return false }
    for page in Int(address >> 12)...Int((end - 1) >> 12) where devicePages[page] != 0 { return false }
    return true
  }

  /// Sets `count` bytes from physical `address` to `byte` (a loader's BSS).
  public func fill(_ address: UInt64, count: UInt64, with byte: UInt8) {
    if count > 0 && isPlainRAM(range: address, count: count) {
      var head = count
      #if os(Linux)
        // Whole pages of zeros are handed back to the host kernel, which maps a fresh zero page
        // where the guest next touches one (madvise(2), MADV_DONTNEED on private anonymous memory):
        // a kernel's megabyte of BSS costs no page faults before the guest uses it.
        let firstPage = (address + 0xFFF) & ~0xFFF
        let endPage = (address + count) & ~0xFFF
        if byte == 0 && endPage > firstPage
          && madvise(ram + Int(firstPage), Int(endPage - firstPage), MADV_DONTNEED) == 0
        {
          head = firstPage - address
          (ram + Int(endPage)).initializeMemory(as: UInt8.self, repeating: 0, count: Int(address + count - endPage))
        }
      #endif
      (ram + Int(address)).initializeMemory(as: UInt8.self, repeating: byte, count: Int(head))
      for page in Int(address >> 12)...Int((address + count - 1) >> 12) { noteWrite(UInt64(page) << 12) }
      return
    }
    var a = address
    while a < address + count {
      write(a, size: 1, value: UInt64(byte))
      a += 1
    }
  }
}
