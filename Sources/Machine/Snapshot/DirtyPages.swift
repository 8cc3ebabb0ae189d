// Dirty-page tracking, so that a checkpoint costs in proportion to the RAM written since the last
// one. While tracking, the TLB gives a clean page no fast write tag (the way it withholds the tag
// from pages holding decoded code, Memory/TLB.swift): the first store to it takes the slow path,
// which marks it and re-arms the tag, so later stores run at full speed. Writes that bypass the
// TLB (the page walker's accessed/dirty bits, REP fast paths, loaders, the debugger) go through
// PhysicalMemory.noteWrite, which marks the page too.

extension Machine {
  /// Whether RAM pages written since the last ``takeDirtyPages()`` are being recorded.
  public var tracksDirtyPages: Bool { memory.tracksDirtyPages }

  /// Starts tracking with every page clean (or stops it).
  public func trackDirtyPages(_ enabled: Bool) {
    memory.tracksDirtyPages = enabled
    memory.dirtyPages.update(repeating: 0, count: memory.pageCount)
    cpu.flushTLB()
  }

  /// The RAM pages written since tracking started or since the last call, and marks them clean.
  public func takeDirtyPages() -> [Int] {
    var pages: [Int] = []
    for page in 0..<memory.pageCount where memory.dirtyPages[page] != 0 {
      pages.append(page)
      memory.dirtyPages[page] = 0
    }
    cpu.flushTLB()
    return pages
  }

  /// A copy of one RAM page.
  public func copyOfPage(_ page: Int) -> [UInt8] {
    Array(UnsafeRawBufferPointer(start: memory.ram + page << 12, count: 0x1000))
  }

  /// Overwrites one RAM page (restoring a checkpoint), dropping decoded code on it.
  public func restorePage(_ page: Int, _ bytes: [UInt8]) {
    guard page < memory.pageCount, bytes.count == 0x1000 else { return }
    bytes.withUnsafeBytes { (memory.ram + page << 12).copyMemory(from: $0.baseAddress!, byteCount: 0x1000) }
    memory.noteWrite(UInt64(page) << 12)
  }

  /// The RAM pages that are not all zero.
  public func usedPages() -> [Int] {
    (0..<memory.pageCount).filter { !memory.isZero(page: $0) }
  }
}
