import KernelCore
import XCTest

final class ByteRingTests: XCTestCase {
  func testFirstInFirstOut() {
    var ring = ByteRing()
    XCTAssertNil(ring.pop())
    for byte in [UInt8](arrayLiteral: 1, 2, 3) { ring.push(byte) }
    XCTAssertEqual(ring.pop(), 1)
    ring.push(4)
    XCTAssertEqual([ring.pop(), ring.pop(), ring.pop(), ring.pop()], [2, 3, 4, nil])
  }

  func testFullRingDropsTheNewestAndCountsIt() {
    var ring = ByteRing()
    for index in 0..<ByteRing.capacity { XCTAssertTrue(ring.push(UInt8(truncatingIfNeeded: index))) }
    XCTAssertTrue(ring.isFull)
    XCTAssertFalse(ring.push(0xEE))
    XCTAssertEqual(ring.droppedCount, 1)
    XCTAssertEqual(ring.pop(), 0, "the oldest byte survived")
  }

  func testWrapsAroundManyTimesWithoutLosingOrDoubling() {
    var ring = ByteRing()
    var expected: UInt8 = 0
    var next: UInt8 = 0
    for round in 0..<5000 {
      for _ in 0..<(round % 7 + 1) where !ring.isFull {
        ring.push(next)
        next &+= 1
      }
      for _ in 0..<(round % 5 + 1) {
        guard let byte = ring.pop() else { break }
        XCTAssertEqual(byte, expected)
        expected &+= 1
      }
    }
    while let byte = ring.pop() {
      XCTAssertEqual(byte, expected)
      expected &+= 1
    }
    XCTAssertEqual(expected, next)
    XCTAssertEqual(ring.droppedCount, 0)
  }
}
