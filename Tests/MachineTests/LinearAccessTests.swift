// Linear accesses of every width through the TLB's host pointers: unaligned accesses inside a page, and
// accesses that cross a page boundary, which take a separate byte-by-byte path (LinearAccess.swift).
// A write crossing into a page that faults must leave the first page untouched (SDM Vol. 3A 6.6).

import XCTest

@testable import Machine

final class LinearAccessTests: XCTestCase {
  func testUnalignedAccessesOfEveryWidthInsideAPage() throws {
    let h = PagingTests.makePagedHarness()
    let base = PagingTests.base + 0x5000 + 0x123  // RW supervisor page, odd offset
    for size in [1, 2, 4, 8] {
      let value: UInt64 = 0x8877_6655_4433_2211 & sizeMask(size)
      for offset: UInt64 in 0..<8 {
        let a = base + offset * 16
        try h.cpu.writeLinear(a, size: size, user: false, value)
        XCTAssertEqual(try h.cpu.readLinear(a, size: size, user: false), value, "size \(size) offset \(offset)")
        XCTAssertEqual(
          h.memory.bytes(at: a, count: size), (0..<size).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) })
      }
    }
  }

  func testAccessesCrossingAPageBoundary() throws {
    let h = PagingTests.makePagedHarness()
    let boundary = PagingTests.base + 0x6000  // pages +5 and +6 are both RW supervisor
    for size in [2, 4, 8] {
      for before in 1..<size {
        let a = boundary - UInt64(before)
        let value: UInt64 = 0xF1E2_D3C4_B5A6_9788 & sizeMask(size)
        try h.cpu.writeLinear(a, size: size, user: false, value)
        XCTAssertEqual(try h.cpu.readLinear(a, size: size, user: false), value, "size \(size) at -\(before)")
        XCTAssertEqual(h.memory.read(a, size: size), value)
      }
    }
  }

  func testWriteIntoAFaultingPageLeavesTheFirstPageUntouched() {
    let h = PagingTests.makePagedHarness()
    let a = PagingTests.base + 0x1000 - 4  // page +0 is mapped, page +1 is not present
    h.memory.write(a, size: 4, value: 0xAABB_CCDD)
    XCTAssertThrowsError(try h.cpu.writeLinear(a, size: 8, user: false, 0x1122_3344_5566_7788)) { error in
      XCTAssertEqual((error as? Fault)?.vector, 14)
    }
    XCTAssertEqual(h.memory.read(a, size: 4), 0xAABB_CCDD)
    XCTAssertThrowsError(try h.cpu.readLinear(a, size: 8, user: false)) { error in
      XCTAssertEqual((error as? Fault)?.vector, 14)
    }
  }
}
