// BumpAllocator.swift: the simplest heap.
//
// A bump allocator hands out memory by advancing a pointer through a fixed region and never
// reuses what is freed. It is enough for the first boot screen, where a few strings are built
// and thrown away; the kernel's real allocator (with free lists) replaces it. It works on plain
// addresses so it is tested on the host without touching memory.

/// Carves aligned blocks out of [start, end) in order.
public struct BumpAllocator {
  public let start: UInt
  public let end: UInt
  public private(set) var next: UInt
  public private(set) var allocationCount = 0

  public init(start: UInt, end: UInt) {
    self.start = start
    self.end = end
    self.next = start
  }

  /// Bytes handed out so far, alignment padding included.
  public var usedBytes: UInt { next - start }

  /// Returns the address of a new block of `size` bytes aligned to `alignment` (a power of two),
  /// or nil when the region is exhausted or the request is malformed.
  public mutating func allocate(size: UInt, alignment: UInt) -> UInt? {
    guard alignment != 0, alignment & (alignment - 1) == 0 else { return nil }
    let (padded, overflow1) = next.addingReportingOverflow(alignment - 1)
    if overflow1 { return nil }
    let address = padded & ~(alignment - 1)
    let (blockEnd, overflow2) = address.addingReportingOverflow(max(size, 1))
    if overflow2 || blockEnd > end { return nil }
    next = blockEnd
    allocationCount += 1
    return address
  }
}
