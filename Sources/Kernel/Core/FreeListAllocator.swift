// FreeListAllocator.swift: the kernel heap.
//
// A first-fit allocator over an address-ordered list of free blocks, the design of classic
// K&R malloc and of blog_os's linked-list allocator, with two additions a C-style free() needs:
//
// * C's free() gets only a pointer, not a size, so every allocation is preceded by a 16-byte
//   header holding where its block starts and how long it is (tagged, so a double free or a
//   stray pointer is caught instead of corrupting the list).
// * Freed blocks are merged with free neighbours on both sides (coalescing), so the heap does not
//   crumble into fragments after a long churn; the list is kept in address order for that.
//
// Free blocks store their own list node {size, next} in their first 16 bytes, so the allocator
// needs no memory of its own. Blocks are multiples of 16 bytes and 16-byte aligned; larger
// alignments are met by starting the payload further in, and the gap in front is returned to the
// free list when it is big enough to hold a block. The same code runs in the kernel over the
// memory the Multiboot map reports and in host tests over a malloc'ed arena.

public struct FreeListAllocator {
  static let granule: UInt = 16
  static let headerSize: UInt = 16
  static let minimumBlock: UInt = 32
  /// Marks a header as a live allocation; sizes are multiples of 16, so the low bits are free.
  static let allocatedTag: UInt = 0xA

  /// The address of the first free block, 0 for none.
  private var firstFree: UInt = 0
  public private(set) var totalBytes: UInt = 0
  public private(set) var usedBytes: UInt = 0
  public private(set) var allocationCount = 0
  public private(set) var liveAllocations = 0
  /// Frees of pointers that were not live allocations (ignored, not fatal).
  public private(set) var invalidFreeCount = 0

  public init() {}

  /// Adds [start, end) to the heap. The range must not overlap memory already added.
  public mutating func addRegion(start: UInt, end: UInt) {
    let alignedStart = Self.roundUp(start, Self.granule)
    let alignedEnd = end & ~(Self.granule - 1)
    guard alignedEnd > alignedStart, alignedEnd - alignedStart >= Self.minimumBlock else { return }
    totalBytes += alignedEnd - alignedStart
    insertFree(start: alignedStart, size: alignedEnd - alignedStart)
  }

  public var freeBytes: UInt { totalBytes - usedBytes }

  /// Returns a block of at least `size` bytes aligned to `alignment` (a power of two), or nil.
  public mutating func allocate(size: UInt, alignment: UInt) -> UInt? {
    guard alignment != 0, alignment & (alignment - 1) == 0, size <= UInt.max / 2 else { return nil }
    let align = max(alignment, Self.granule)
    let payloadSize = max(Self.roundUp(max(size, 1), Self.granule), Self.granule)

    var previous: UInt = 0
    var current = firstFree
    while current != 0 {
      let blockSize = Self.load(current)
      let blockEnd = current + blockSize
      let next = Self.load(current + 8)
      var payload = Self.roundUp(current + Self.headerSize, align)
      // A gap in front smaller than a block cannot be returned: move the payload further.
      while payload - Self.headerSize > current
        && payload - Self.headerSize - current < Self.minimumBlock
      {
        payload += align
      }
      let usedEnd = payload + payloadSize
      if usedEnd <= blockEnd {
        // Unlink the block, then give back the gap in front and the tail behind.
        if previous == 0 { firstFree = next } else { Self.store(previous + 8, next) }
        var start = current
        if payload - Self.headerSize > current {
          start = payload - Self.headerSize
          insertFree(start: current, size: start - current)
        }
        var end = usedEnd
        if blockEnd - usedEnd >= Self.minimumBlock {
          insertFree(start: usedEnd, size: blockEnd - usedEnd)
        } else {
          end = blockEnd
        }
        Self.store(payload - Self.headerSize, start)
        Self.store(payload - 8, (end - start) | Self.allocatedTag)
        usedBytes += end - start
        allocationCount += 1
        liveAllocations += 1
        return payload
      }
      previous = current
      current = next
    }
    return nil
  }

  /// Returns the block at `payload` to the heap. Unknown pointers are counted and ignored.
  public mutating func free(_ payload: UInt) {
    guard payload != 0 else { return }
    guard payload % Self.granule == 0 else {
      invalidFreeCount += 1
      return
    }
    let start = Self.load(payload - Self.headerSize)
    let taggedSize = Self.load(payload - 8)
    let size = taggedSize & ~(Self.granule - 1)
    guard taggedSize & (Self.granule - 1) == Self.allocatedTag, size >= Self.minimumBlock,
      start <= payload - Self.headerSize, payload - start < size
    else {
      invalidFreeCount += 1
      return
    }
    Self.store(payload - 8, 0)  // untag: a second free of the same pointer is caught
    usedBytes -= size
    liveAllocations -= 1
    insertFree(start: start, size: size)
  }

  /// The free list, in address order, for reports and tests.
  public func forEachFreeBlock(_ body: (_ start: UInt, _ size: UInt) -> Void) {
    var current = firstFree
    while current != 0 {
      body(current, Self.load(current))
      current = Self.load(current + 8)
    }
  }

  public var freeBlockCount: Int {
    var count = 0
    forEachFreeBlock { _, _ in count += 1 }
    return count
  }

  public var largestFreeBlock: UInt {
    var largest: UInt = 0
    forEachFreeBlock { _, size in largest = max(largest, size) }
    return largest
  }

  /// Links [start, start + size) into the address-ordered list, merging with its neighbours.
  private mutating func insertFree(start: UInt, size: UInt) {
    var previous: UInt = 0
    var current = firstFree
    while current != 0 && current < start {
      previous = current
      current = Self.load(current + 8)
    }
    var blockStart = start
    var blockSize = size
    var next = current
    // Merge with the following block when they touch.
    if next != 0 && blockStart + blockSize == next {
      blockSize += Self.load(next)
      next = Self.load(next + 8)
    }
    // Merge into the preceding block when they touch.
    if previous != 0 && previous + Self.load(previous) == blockStart {
      blockStart = previous
      blockSize += Self.load(previous)
      Self.store(blockStart, blockSize)
      Self.store(blockStart + 8, next)
      return
    }
    Self.store(blockStart, blockSize)
    Self.store(blockStart + 8, next)
    if previous == 0 { firstFree = blockStart } else { Self.store(previous + 8, blockStart) }
  }

  @inline(__always)
  static func roundUp(_ value: UInt, _ alignment: UInt) -> UInt {
    (value + alignment - 1) & ~(alignment - 1)
  }

  @inline(__always)
  private static func load(_ address: UInt) -> UInt {
    UnsafeRawPointer(bitPattern: address)!.load(as: UInt.self)
  }

  @inline(__always)
  private static func store(_ address: UInt, _ value: UInt) {
    UnsafeMutableRawPointer(bitPattern: address)!.storeBytes(of: value, as: UInt.self)
  }
}
