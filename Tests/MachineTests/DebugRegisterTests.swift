// The guest's debug registers: DR6/DR7 fixed bits, instruction breakpoints (faults, RF), data and
// I/O breakpoints (traps), general detect, and #DB traps around MOV SS and ICEBP (SDM Vol. 3B 18.2, 18.3).

import XCTest

@testable import Machine

final class DebugRegisterTests: XCTestCase {
  let handler = Harness.code + 0x800
  let gpHandler = Harness.code + 0x900

  /// A machine whose #DB handler counts deliveries in R12, keeps the frame's RIP in R14 and DR6 in
  /// R13, and sets RF in the frame (so an instruction breakpoint lets the instruction run on return).
  func machine() -> Harness {
    let h = Harness()
    h.setGate64(1, handler: handler)
    h.memory.write(
      asm("inc r12; mov r14, [rsp]; mov r13, dr6; or qword ptr [rsp + 16], 0x10000; iretq"), at: handler)
    h.setGate64(13, handler: gpHandler)
    h.memory.write(asm("mov r15, 13; hlt"), at: gpHandler)
    return h
  }

  func testDR6AndDR7FixedBitsAndReservedUpperHalves() {
    let h = machine()
    h.cpu.rax = 0
    h.run(asm("mov dr6, rax; mov rbx, dr6; mov dr7, rax; mov rcx, dr7"))
    XCTAssertEqual(h.cpu.rbx, 0xFFFE_0FF0, "bit 16 (RTM) is writable where RTM exists")
    XCTAssertEqual(h.cpu.rcx, 0x400)
    let amd = machine()
    amd.cpu.vendor = .amd
    amd.cpu.rax = 0
    amd.run(asm("mov dr6, rax; mov rbx, dr6"))
    XCTAssertEqual(amd.cpu.rbx, 0xFFFF_0FF0, "without RTM bit 16 reads as 1")
    h.cpu.rax = 1 << 32
    h.run(asm("mov dr7, rax"))
    XCTAssertEqual(h.cpu.register(.r15), 13, "bits 63:32 of DR7 are #GP(0)")
  }

  func testInstructionBreakpointFaultsBeforeTheInstructionAndRFLetsItRun() {
    let h = machine()
    let target = Harness.code + 0x20
    h.memory.write(asm("mov rbx, 7; hlt"), at: target)
    h.cpu.rax = target
    h.cpu.rdx = 0x402  // G0, execute, length 1
    h.run(asm("mov dr0, rax; mov dr7, rdx; jmp rax"))
    XCTAssertEqual(h.cpu.register(.r12), 1, "one #DB")
    XCTAssertEqual(h.cpu.register(.r14), target, "a fault: RIP of the instruction")
    XCTAssertEqual(h.cpu.register(.r13), 0xFFFF_0FF1, "B0")
    XCTAssertEqual(h.cpu.rbx, 7, "with RF set the instruction ran")
    XCTAssertEqual(h.cpu.rflags & Flag.rf, 0, "and RF was cleared after it")
  }

  func testDataBreakpointTrapsAfterTheWrite() {
    let h = machine()
    h.cpu.rax = Harness.data + 8
    h.cpu.rdx = 0x00D0_0408  // G1, write, 4 bytes
    h.cpu.rsi = Harness.data + 8
    h.run(asm("mov dr1, rax; mov dr7, rdx; mov eax, [rsi]; mov dword ptr [rsi], 1; nop; hlt"))
    XCTAssertEqual(h.cpu.register(.r12), 1, "the read does not hit a write breakpoint")
    XCTAssertEqual(h.cpu.register(.r13), 0xFFFF_0FF2, "B1")
    let write = Harness.code + UInt64(asm("mov dr1, rax; mov dr7, rdx; mov eax, [rsi]; mov dword ptr [rsi], 1").count)
    XCTAssertEqual(h.cpu.register(.r14), write, "a trap: RIP after the store")
  }

  func testDataBreakpointInAREPStringTrapsAfterEachIterationThatHitsIt() {
    // DR1 watches the 4 bytes at data + 4 for writes; REP STOSB writes data..data + 7: the four
    // iterations that store into the range each end with a #DB, RIP still on the string until the
    // last one (SDM Vol. 3B 18.3.1.2).
    let h = machine()
    (h.cpu.rax, h.cpu.rdx, h.cpu.rdi) = (Harness.data + 4, 0x00D0_0008, Harness.data)
    h.run(asm("mov dr1, rax; mov dr7, rdx; mov ecx, 8; rep stosb; nop; hlt"))
    XCTAssertEqual(h.cpu.register(.r12), 4)
    XCTAssertEqual(h.cpu.rdi, Harness.data + 8)
    XCTAssertEqual(
      h.cpu.register(.r14), Harness.code + UInt64(asm("mov dr1, rax; mov dr7, rdx; mov ecx, 8; rep stosb").count))
  }

  func testIOBreakpointTrapsAfterThePortAccessOnlyWithCR4DE() {
    // DR0 = port 0x80, DR7 = L0 with R/W0 = 10b (I/O), LEN0 = 1 byte (SDM Vol. 3B 18.2.4).
    let h = machine()
    h.cpu.cr4 |= ControlBit.de
    (h.cpu.rax, h.cpu.rdx) = (0x80, 0x0002_0001)
    h.run(asm("mov dr0, rax; mov dr7, rdx; out 0x81, al; in al, 0x80; nop; hlt"))
    XCTAssertEqual(h.cpu.register(.r12), 1, "OUT to 0x81 is not the breakpoint's port; IN from 0x80 is")
    XCTAssertEqual(h.cpu.register(.r13), 0xFFFF_0FF1, "B0")
    let after = Harness.code + UInt64(asm("mov dr0, rax; mov dr7, rdx; out 0x81, al; in al, 0x80").count)
    XCTAssertEqual(h.cpu.register(.r14), after, "a trap: RIP after the IN")
    // A word access at 0x7F covers 0x80 too.
    let word = machine()
    word.cpu.cr4 |= ControlBit.de
    (word.cpu.rax, word.cpu.rdx) = (0x80, 0x0002_0001)
    word.run(asm("mov dr0, rax; mov dr7, rdx; mov dx, 0x7f; out dx, ax; nop; hlt"))
    XCTAssertEqual(word.cpu.register(.r12), 1)
    // REP OUTSB traps after each iteration (SDM Vol. 3B 18.3.1.2), RIP still on the REP string.
    let rep = machine()
    rep.cpu.cr4 |= ControlBit.de
    (rep.cpu.rax, rep.cpu.rdx, rep.cpu.rsi) = (0x80, 0x0002_0001, Harness.data)
    rep.run(asm("mov dr0, rax; mov dr7, rdx; mov dx, 0x80; mov ecx, 3; rep outsb; nop; hlt"))
    XCTAssertEqual(rep.cpu.register(.r12), 3, "one #DB per iteration")
    XCTAssertEqual(rep.cpu.rcx, 0)
    XCTAssertEqual(
      rep.cpu.register(.r14),
      Harness.code + UInt64(asm("mov dr0, rax; mov dr7, rdx; mov dx, 0x80; mov ecx, 3; rep outsb").count),
      "the last iteration's trap is after the string")
    // Without CR4.DE the encoding is undefined and breaks on nothing.
    let off = machine()
    (off.cpu.rax, off.cpu.rdx) = (0x80, 0x0002_0001)
    off.run(asm("mov dr0, rax; mov dr7, rdx; out 0x81, al; in al, 0x80; nop; hlt"))
    XCTAssertEqual(off.cpu.register(.r12), 0)
  }

  func testGeneralDetectFaultsTheNextDebugRegisterAccessAndClearsGD() {
    let h = machine()
    h.cpu.rax = 0x2400  // GD
    h.run(asm("mov dr7, rax; mov rbx, dr6; nop"))
    XCTAssertEqual(h.cpu.register(.r12), 1)
    XCTAssertEqual(h.cpu.register(.r13) & 0xE00F, 0x2000, "BD")
    XCTAssertEqual(h.cpu.register(.r14), Harness.code + 3, "a fault on the MOV from DR6")
  }

  func testSingleStepSkipsTheBoundaryAfterMOVSSAndICEBPHasNoStatusBit() {
    let h = machine()
    // TF on, then: mov ax, ss (#DB) | mov ss, ax (no #DB at the boundary after it) | nop (#DB) |
    // pushfq (#DB) | and (#DB) | popfq clearing TF (#DB: TF was set when it started).
    let code = asm(
      "pushfq; or qword ptr [rsp], 0x100; popfq; mov ax, ss; mov ss, ax; nop; pushfq; and qword ptr [rsp], -257; popfq")
    h.run(code)
    XCTAssertEqual(h.cpu.register(.r12), 5, "six instructions single-stepped, five #DBs")
    XCTAssertEqual(h.cpu.register(.r14), Harness.code + UInt64(code.count), "the last after POPF")
    XCTAssertEqual(h.cpu.register(.r13) & 0xE00F, 0x4000, "BS")
    let i = machine()
    i.cpu.rax = 0
    i.run(asm("mov dr6, rax") + [0xF1, 0xF4])  // ICEBP
    XCTAssertEqual(i.cpu.register(.r12), 1)
    XCTAssertEqual(i.cpu.register(.r13), 0xFFFF_0FF0, "ICEBP sets no DR6 bit")
    XCTAssertEqual(i.cpu.register(.r14), Harness.code + 4, "a trap: after the ICEBP")
  }
}
