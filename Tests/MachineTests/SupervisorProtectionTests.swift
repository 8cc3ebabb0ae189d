// SMEP and SMAP (SDM Vol. 3A 4.6).

import XCTest

@testable import Machine

final class SupervisorProtectionTests: XCTestCase {
  let handler = Harness.code + 0x800

  /// The first 2 MiB (code, tables, stack) made supervisor-only; 2-4 MiB stays a user page.
  func makeHarness() -> Harness {
    let h = Harness()
    h.memory.write(Harness.pd, size: 8, value: 0x83)
    h.cpu.flushTLB()
    h.setGate64(14, handler: handler)
    h.memory.write(asm("mov r15, [rsp]; hlt"), at: handler)  // the error code
    h.cpu.cr4 |= ControlBit.smap | ControlBit.smep
    h.cpu.rax = 0x20_0000
    h.memory.write(0x20_0000, size: 8, value: 0x55)
    return h
  }

  func testSMAPAllowsUserPagesOnlyWithAC() {
    // SDM Vol. 3A 4.6: supervisor data accesses to user pages need RFLAGS.AC (STAC/CLAC) under SMAP.
    let h = makeHarness()
    h.cpu.rcx = 0x77
    h.run(asm("stac; mov rbx, [rax]; clac; mov rcx, [rax]"))
    XCTAssertEqual(h.cpu.rbx, 0x55, "AC=1: allowed")
    XCTAssertEqual(h.cpu.rcx, 0x77, "AC=0: the load faulted")
    XCTAssertEqual(h.cpu.register(.r15), 1, "#PF: present, supervisor read")
  }

  func testSMEPForbidsExecutingUserPages() {
    let h = makeHarness()
    h.memory.write([0x90, 0xF4], at: 0x20_0000)
    h.run(asm("jmp rax"))
    XCTAssertEqual(h.cpu.register(.r15), 0x11, "#PF: present, instruction fetch")
    XCTAssertEqual(h.cpu.cr2, 0x20_0000)
  }

  func testSTACIsUndefinedOutsideRing0() {
    let h = Harness()
    h.setGate64(6, handler: handler)
    h.memory.write(asm("mov r15, 6; hlt"), at: handler)
    // IRETQ to CPL 3 at 0x30000, where STAC waits; the #UD handler runs on the TSS's RSP0.
    h.memory.write(Harness.tssBase + 4, size: 8, value: 0x70000)
    h.memory.write(asm("stac"), at: 0x30000)
    h.run(asm("push 0x2b; push 0x38000; push 0x2; push 0x23; push 0x30000; iretq"))
    XCTAssertEqual(h.cpu.register(.r15), 6)
  }
}
