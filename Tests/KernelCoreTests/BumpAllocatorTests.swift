import KernelCore
import XCTest

final class BumpAllocatorTests: XCTestCase {
  func testAlignsAndAdvances() {
    var heap = BumpAllocator(start: 0x1001, end: 0x2000)
    XCTAssertEqual(heap.allocate(size: 10, alignment: 16), 0x1010)
    XCTAssertEqual(heap.allocate(size: 1, alignment: 1), 0x101A)
    XCTAssertEqual(heap.allocate(size: 8, alignment: 8), 0x1020)
    XCTAssertEqual(heap.usedBytes, 0x1028 - 0x1001)
    XCTAssertEqual(heap.allocationCount, 3)
  }

  func testRefusesWhatDoesNotFit() {
    var heap = BumpAllocator(start: 0x1000, end: 0x1100)
    XCTAssertEqual(heap.allocate(size: 0x100, alignment: 16), 0x1000)
    XCTAssertNil(heap.allocate(size: 1, alignment: 1))
    XCTAssertEqual(heap.allocationCount, 1, "a refused request changes nothing")
  }

  func testRejectsBadAlignmentAndOverflow() {
    var heap = BumpAllocator(start: 0x1000, end: 0x2000)
    XCTAssertNil(heap.allocate(size: 8, alignment: 0))
    XCTAssertNil(heap.allocate(size: 8, alignment: 24))
    XCTAssertNil(heap.allocate(size: UInt.max, alignment: 8))
    XCTAssertEqual(heap.usedBytes, 0)
  }

  func testZeroSizedRequestsGetDistinctAddresses() {
    var heap = BumpAllocator(start: 0x1000, end: 0x2000)
    let first = heap.allocate(size: 0, alignment: 1)
    let second = heap.allocate(size: 0, alignment: 1)
    XCTAssertNotEqual(first, second)
  }
}
