import KernelCore
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

final class FreeListAllocatorTests: XCTestCase {
  /// A real arena of host memory: the allocator writes its list nodes and headers into it.
  private final class Arena {
    let base: UnsafeMutableRawPointer
    let size: Int
    init(size: Int) {
      self.size = size
      var pointer: UnsafeMutableRawPointer?
      precondition(posix_memalign(&pointer, 4096, size) == 0)
      base = pointer!
    }
    deinit { Glibc.free(base) }
    var start: UInt { UInt(bitPattern: base) }
    var end: UInt { start + UInt(size) }
  }

  func testAllocationsAreAlignedDisjointAndInsideTheRegion() {
    let arena = Arena(size: 64 * 1024)
    var heap = FreeListAllocator()
    heap.addRegion(start: arena.start, end: arena.end)
    var blocks: [(UInt, UInt)] = []
    for (size, alignment) in [(1, 1), (24, 8), (100, 64), (4000, 4096), (16, 16), (300, 256)] {
      guard let address = heap.allocate(size: UInt(size), alignment: UInt(alignment)) else {
        return XCTFail("allocation of \(size) failed")
      }
      XCTAssertEqual(address % UInt(max(alignment, 16)), 0)
      XCTAssertGreaterThanOrEqual(address, arena.start)
      XCTAssertLessThanOrEqual(address + UInt(size), arena.end)
      for (other, otherSize) in blocks {
        XCTAssertTrue(address + UInt(size) <= other || other + otherSize <= address, "overlap")
      }
      blocks.append((address, UInt(size)))
    }
    XCTAssertEqual(heap.liveAllocations, 6)
  }

  func testFreeingEverythingMergesBackIntoOneBlock() {
    let arena = Arena(size: 64 * 1024)
    var heap = FreeListAllocator()
    heap.addRegion(start: arena.start, end: arena.end)
    let total = heap.freeBytes
    let addresses = (0..<20).compactMap { heap.allocate(size: UInt(50 + $0 * 37), alignment: 16) }
    XCTAssertEqual(addresses.count, 20)
    // Free in an interleaved order so merges happen on both sides.
    for index in stride(from: 0, to: 20, by: 2) { heap.free(addresses[index]) }
    XCTAssertGreaterThan(heap.freeBlockCount, 1)
    for index in stride(from: 1, to: 20, by: 2) { heap.free(addresses[index]) }
    XCTAssertEqual(heap.freeBytes, total)
    XCTAssertEqual(heap.freeBlockCount, 1)
    XCTAssertEqual(heap.largestFreeBlock, total)
    XCTAssertEqual(heap.usedBytes, 0)
  }

  func testExhaustionAndReuse() {
    let arena = Arena(size: 4096)
    var heap = FreeListAllocator()
    heap.addRegion(start: arena.start, end: arena.end)
    let big = heap.allocate(size: 4000, alignment: 16)
    XCTAssertNotNil(big)
    XCTAssertNil(heap.allocate(size: 200, alignment: 16), "no room left")
    heap.free(big!)
    XCTAssertEqual(heap.allocate(size: 4000, alignment: 16), big, "the space is reused")
  }

  func testDoubleAndForeignFreesAreCaughtAndIgnored() {
    let arena = Arena(size: 8192)
    var heap = FreeListAllocator()
    heap.addRegion(start: arena.start, end: arena.end)
    let block = heap.allocate(size: 64, alignment: 16)!
    heap.free(block)
    let freeAfterFirst = heap.freeBytes
    heap.free(block)
    XCTAssertEqual(heap.invalidFreeCount, 1)
    XCTAssertEqual(heap.freeBytes, freeAfterFirst)
    heap.free(arena.start + 8)  // misaligned
    XCTAssertEqual(heap.invalidFreeCount, 2)
  }

  func testSeveralRegions() {
    let first = Arena(size: 4096)
    let second = Arena(size: 16384)
    var heap = FreeListAllocator()
    heap.addRegion(start: first.start, end: first.end)
    heap.addRegion(start: second.start, end: second.end)
    XCTAssertEqual(heap.totalBytes, 4096 + 16384)
    let large = heap.allocate(size: 10000, alignment: 16)!
    XCTAssertTrue((second.start..<second.end).contains(large), "first fit skips the small region")
  }

  func testRandomChurnAgainstAShadowModel() {
    let arena = Arena(size: 1 << 20)
    var heap = FreeListAllocator()
    heap.addRegion(start: arena.start, end: arena.end)
    let total = heap.freeBytes
    var random = SystemRandomNumberGenerator()
    var live: [(address: UInt, size: UInt, tag: UInt8)] = []
    for step in 0..<20_000 {
      if live.isEmpty || (live.count < 300 && Bool.random(using: &random)) {
        let size = UInt.random(in: 1...3000, using: &random)
        let alignment = UInt(1) << UInt.random(in: 0...12, using: &random)
        guard let address = heap.allocate(size: size, alignment: alignment) else { continue }
        XCTAssertEqual(address % alignment, 0)
        let tag = UInt8(truncatingIfNeeded: step)
        UnsafeMutableRawPointer(bitPattern: address)!.initializeMemory(as: UInt8.self, repeating: tag, count: Int(size))
        live.append((address, size, tag))
      } else {
        let victim = live.remove(at: Int.random(in: 0..<live.count, using: &random))
        let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: victim.address), count: Int(victim.size))
        XCTAssertTrue(bytes.allSatisfy { $0 == victim.tag }, "block contents changed")
        heap.free(victim.address)
      }
    }
    for block in live { heap.free(block.address) }
    XCTAssertEqual(heap.freeBytes, total)
    XCTAssertEqual(heap.freeBlockCount, 1)
  }
}
