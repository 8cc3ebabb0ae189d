// CLFLUSH, CLFLUSHOPT, CLWB: no cache, but the address translates.

import XCTest

@testable import Machine

final class CacheLineFlushTests: XCTestCase {
  let handler = Harness.code + 0x800

  func testFlushesTranslateTheirAddressAndTouchNothing() {
    let h = Harness()
    h.setGate64(14, handler: handler)
    h.memory.write(asm("mov r15, 14; hlt"), at: handler)
    h.memory.write(Harness.data, size: 8, value: 0x1122_3344)
    h.cpu.rax = Harness.data
    h.run(asm("clflush [rax]; clflushopt [rax]; clwb [rax]"))
    XCTAssertEqual(h.cpu.register(.r15), 0, "mapped: no fault")
    XCTAssertEqual(h.read(Harness.data), 0x1122_3344)
    h.cpu.rax = 0x4000_0000  // beyond the 1 GiB identity map
    h.run(asm("clflush [rax]"))
    XCTAssertEqual(h.cpu.register(.r15), 14, "an unmapped line faults like a read")
    XCTAssertEqual(h.cpu.cr2, 0x4000_0000)
  }

  func testCPUIDReportsTheFlushes() {
    let h = Harness()
    h.run(asm("mov eax, 1; cpuid"))
    XCTAssertEqual(h.cpu.rdx & (1 << 19), 1 << 19, "CLFSH")
    XCTAssertEqual((h.cpu.rbx >> 8) & 0xFF, 8, "64-byte lines")
    h.run(asm("mov eax, 7; xor ecx, ecx; cpuid"))
    XCTAssertEqual(h.cpu.rbx & (3 << 23), 3 << 23, "CLFLUSHOPT and CLWB")
  }
}
