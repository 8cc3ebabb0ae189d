// Protection keys, PKU and PKS (SDM Vol. 3A 4.6.2).

import XCTest

@testable import Machine

final class ProtectionKeyTests: XCTestCase {
  let handler = Harness.code + 0x800

  /// 2-4 MiB mapped with protection key 2 (leaf bits 62:59), as a user page or a supervisor page.
  func makeHarness(userPage: Bool) -> Harness {
    let h = Harness()
    h.memory.write(Harness.pd + 8, size: 8, value: 0x20_0000 | (userPage ? 0x87 : 0x83) | (2 << 59))
    h.cpu.flushTLB()
    h.setGate64(14, handler: handler)
    h.memory.write(asm("mov r15, [rsp]; hlt"), at: handler)
    h.cpu.rbx = 0x20_0000
    return h
  }

  func testPKRUAccessDisableFaultsWithThePKBit() {
    let h = makeHarness(userPage: true)
    h.cpu.cr4 |= ControlBit.pke
    h.cpu.rax = 0x10  // AD for key 2
    h.cpu.rcx = 0
    h.cpu.rdx = 0
    h.run(asm("wrpkru; xor eax, eax; rdpkru; mov r14, rax; mov rsi, [rbx]"))
    XCTAssertEqual(h.cpu.register(.r14), 0x10, "RDPKRU reads it back")
    XCTAssertEqual(h.cpu.register(.r15), 0x21, "#PF: present, protection key")
    h.run(asm("mov eax, 7; xor ecx, ecx; cpuid"))
    XCTAssertEqual(h.cpu.rcx & (3 << 3), 3 << 3, "PKU and OSPKE")
  }

  func testPKRSWriteDisableStopsSupervisorWritesUnderWP() {
    let h = makeHarness(userPage: false)
    h.cpu.cr4 |= ControlBit.pks
    h.cpu.rcx = 0x6E1
    h.cpu.rax = 0x20  // WD for key 2
    h.cpu.rdx = 0
    h.run(asm("wrmsr; mov rsi, [rbx]; mov qword ptr [rbx], 1"))
    XCTAssertEqual(h.cpu.register(.r15), 0x23, "the read passed, the write faulted: present, write, key")
  }

  func testRDPKRUIsUndefinedWithoutCR4PKE() {
    let h = Harness()
    h.setGate64(6, handler: handler)
    h.memory.write(asm("mov r15, 6; hlt"), at: handler)
    h.cpu.rcx = 0
    h.run(asm("rdpkru"))
    XCTAssertEqual(h.cpu.register(.r15), 6)
  }
}
