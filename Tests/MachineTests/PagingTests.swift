// Paging tests (SDM Vol. 3A 4.5-4.7, 4.10): 4 KiB/2 MiB/1 GiB pages, present/RW/US/NX checks, CR0.WP,
// accessed/dirty bits, #PF error codes and CR2, and TLB invalidation.

import XCTest

@testable import Machine

final class PagingTests: XCTestCase {
  static let pt: UInt64 = 0x7000
  static let base: UInt64 = 0x400000

  /// Maps 0x400000..0x5FFFFF with 4 KiB pages: +0 RW user, +1 not present, +2 read-only, +3 supervisor,
  /// +4 no-execute; the rest RW supervisor.
  func pagedHarness() -> Harness { PagingTests.makePagedHarness() }

  static func makePagedHarness() -> Harness {
    let h = Harness()
    h.memory.write(Harness.pd + 2 * 8, size: 8, value: PagingTests.pt | 7)
    for i in 0..<512 {
      var e = (PagingTests.base + UInt64(i) * 0x1000) | 3
      switch i {
      case 0: e |= 4
      case 1: e = 0
      case 2: e = (e & ~2) | 4
      case 4: e |= 1 << 63
      default: break
      }
      h.memory.write(PagingTests.pt + UInt64(i) * 8, size: 8, value: e)
    }
    h.setGate64(14, handler: Harness.code + 0x800)
    h.memory.write(asm("pop r14; mov r13, cr2; hlt"), at: Harness.code + 0x800)
    return h
  }

  func testNotPresentPageFault() {
    let h = pagedHarness()
    h.run(asm("mov rax, [0x401008]"))
    XCTAssertEqual(h.cpu.register(.r13), 0x401008)
    XCTAssertEqual(h.cpu.register(.r14), 0)  // read, supervisor, not present
    XCTAssertEqual(h.cpu.cr2, 0x401008)
    XCTAssertEqual(h.read(Harness.stackTop - 40), Harness.code)  // faulting RIP pushed
  }

  func testWriteToReadOnlyPageHonoursWP() {
    let h = pagedHarness()
    h.run(asm("mov qword ptr [0x402000], 1"))
    XCTAssertEqual(h.cpu.register(.r14), 3)  // present, write
    XCTAssertEqual(h.read(0x402000), 0)
    // With CR0.WP clear the supervisor write succeeds (SDM Vol. 3A 4.6.1).
    let h2 = pagedHarness()
    h2.cpu.cr0 &= ~ControlBit.wp
    h2.cpu.flushTLB()
    XCTAssertEqual(h2.run(asm("mov qword ptr [0x402000], 1")), .halted)
    XCTAssertEqual(h2.read(0x402000), 1)
  }

  func testNoExecutePage() {
    let h = pagedHarness()
    h.memory.write([0x90], at: 0x404000)
    h.run(asm("mov rax, 0x404000; jmp rax"))
    XCTAssertEqual(h.cpu.register(.r14), 0x11)  // present, instruction fetch
    XCTAssertEqual(h.cpu.register(.r13), 0x404000)
  }

  func testAccessedAndDirtyBits() {
    let h = pagedHarness()
    h.run(asm("mov rax, [0x405000]; mov qword ptr [0x406000], 1"))
    XCTAssertEqual(h.read(PagingTests.pt + 5 * 8) & 0x60, 0x20)
    XCTAssertEqual(h.read(PagingTests.pt + 6 * 8) & 0x60, 0x60)
    XCTAssertEqual(h.read(Harness.pd + 2 * 8) & 0x20, 0x20)
  }

  func testTLBKeepsOldTranslationUntilInvlpg() {
    let h = pagedHarness()
    h.memory.write(0x405000, size: 8, value: 111)
    h.memory.write(0x407000, size: 8, value: 222)
    // Read through the mapping, retarget the PTE to 0x407000, read again (stale), INVLPG, read (new).
    h.run(
      asm(
        "mov rax, [0x405000]; mov qword ptr [0x7028], 0x407003; mov rbx, [0x405000]; invlpg [0x405000]; mov rcx, [0x405000]"
      ))
    XCTAssertEqual(h.cpu.rax, 111)
    XCTAssertEqual(h.cpu.rbx, 111)
    XCTAssertEqual(h.cpu.rcx, 222)
  }

  func testCR3WriteFlushesTLB() {
    let h = pagedHarness()
    h.memory.write(0x405000, size: 8, value: 111)
    h.memory.write(0x407000, size: 8, value: 222)
    h.run(asm("mov rax, [0x405000]; mov qword ptr [0x7028], 0x407003; mov rdx, cr3; mov cr3, rdx; mov rcx, [0x405000]"))
    XCTAssertEqual(h.cpu.rcx, 222)
  }

  func testReservedBitsAboveMaxPhysicalAddressAndInLargePagesFaultWithRSVD() {
    // MAXPHYADDR is 40 (CPUID 80000008h): bits 51:40 are reserved in every entry; bit 39 is an
    // address bit. A 2 MiB page's bits 20:13 are reserved (SDM Vol. 3A 4.5.4, tables 4-18 to 4-20).
    for (bit, faults) in [(51, true), (40, true), (39, false)] {
      let h = pagedHarness()
      h.memory.write(PagingTests.pt + 5 * 8, size: 8, value: (PagingTests.base + 0x5000) | 3 | 1 << UInt64(bit))
      h.run(asm("mov rax, [0x405000]"))
      XCTAssertEqual(h.cpu.register(.r14), faults ? 9 : 0, "bit \(bit): present, reserved")
      XCTAssertEqual(h.read(PagingTests.pt + 5 * 8) & 0x20, faults ? 0 : 0x20, "bit \(bit): accessed")
    }
    let h = Harness()
    h.setGate64(14, handler: Harness.code + 0x800)
    h.memory.write(asm("pop r14; hlt"), at: Harness.code + 0x800)
    h.memory.write(Harness.pd + 3 * 8, size: 8, value: 0x60_0000 | 0x83 | 1 << 13)
    h.run(asm("mov rax, [0x600000]"))
    XCTAssertEqual(h.cpu.register(.r14), 9, "2 MiB page with bit 13 set")
  }

  func testAFaultingAccessLeavesTheLeafAccessedBitClear() {
    // The entries above the leaf are used and marked; the leaf only when the access is allowed (the
    // behaviour kvm-unit-tests' access test checks, SDM Vol. 3A 4.8).
    let h = pagedHarness()
    h.memory.write(Harness.pd + 2 * 8, size: 8, value: PagingTests.pt | 7)
    h.run(asm("mov qword ptr [0x402000], 1"))
    XCTAssertEqual(h.cpu.register(.r14), 3)
    XCTAssertEqual(h.read(PagingTests.pt + 2 * 8) & 0x60, 0, "the read-only PTE: neither accessed nor dirty")
    XCTAssertEqual(h.read(Harness.pd + 2 * 8) & 0x20, 0x20, "the PDE above it: accessed")
  }

  func testOneFaultReportsTheKeyWithTheOtherViolation() {
    // A supervisor write to a read-only page (CR0.WP) whose key IA32_PKRS forbids: W and PK together.
    let h = pagedHarness()
    h.cpu.cr4 |= ControlBit.pks
    h.cpu.pkrs = 1 << 2  // AD for key 1
    h.memory.write(PagingTests.pt + 6 * 8, size: 8, value: (PagingTests.base + 0x6000) | 1 | 1 << 59)
    h.run(asm("mov qword ptr [0x406000], 1"))
    XCTAssertEqual(h.cpu.register(.r14), 0x23, "present, write, protection key")
  }

  func testSMEPReportsAnInstructionFetchWithoutNX() {
    // I/D is set for a fetch with CR4.SMEP even when EFER.NXE is clear (SDM Vol. 3A 4.7).
    let h = pagedHarness()
    h.cpu.efer &= ~ControlBit.nxe
    h.memory.write(PagingTests.pt + 4 * 8, size: 8, value: (PagingTests.base + 0x4000) | 3)
    h.memory.write(Harness.pd, size: 8, value: 0x83)  // the code, stack and IDT: a supervisor page
    h.cpu.cr4 |= ControlBit.smep
    h.cpu.flushTLB()
    h.memory.write([0x90], at: 0x400000)
    h.run(asm("mov rax, 0x400000; jmp rax"))
    XCTAssertEqual(h.cpu.register(.r14), 0x11, "present, instruction fetch")
  }

  func testOneGiBPage() {
    let h = Harness()
    h.memory.write(Harness.pdpt + 8, size: 8, value: 0x83)  // 0x40000000 -> physical 0, 1 GiB page
    h.memory.write(0x30000, size: 8, value: 0xFEED)
    h.run(asm("mov rax, [0x40030000]"))
    XCTAssertEqual(h.cpu.rax, 0xFEED)
  }

  func testNonCanonicalAddressIsGeneralProtection() {
    let h = Harness()
    h.setGate64(13, handler: Harness.code + 0x800)
    h.memory.write(asm("pop r14; mov r12, 13; hlt"), at: Harness.code + 0x800)
    h.run(asm("mov rax, 0x0000800000000000; mov rbx, [rax]"))
    XCTAssertEqual(h.cpu.register(.r12), 13)
  }

  func testNonCanonicalStackIsStackFault() {
    let h = Harness()
    h.setGate64(12, handler: Harness.code + 0x800, ist: 1)
    h.memory.write(Harness.tssBase + 0x24, size: 8, value: 0x60000)
    h.memory.write(asm("pop r14; mov r12, 12; hlt"), at: Harness.code + 0x800)
    h.run(asm("mov rsp, 0x0000800000000008; push rax"))
    XCTAssertEqual(h.cpu.register(.r12), 12)
    XCTAssertEqual(h.cpu.register(.r14), 0)
  }

  func testUserModeFaultOnSupervisorPage() {
    let h = pagedHarness()
    // TSS.RSP0 for the privilege change back to ring 0.
    h.memory.write(Harness.tssBase + 4, size: 8, value: 0x70000)
    // User code at 0x400000 (a user page) reads the supervisor page 0x403000.
    h.memory.write(asm("mov rax, [0x403000]"), at: 0x400000)
    h.run(asm("push 0x2b; push 0x400800; push 0x202; push 0x23; push 0x400000; iretq"))
    XCTAssertEqual(h.cpu.register(.r14), 5)  // present, read, user
    XCTAssertEqual(h.cpu.register(.r13), 0x403000)
    XCTAssertEqual(h.cpu.cpl, 0)
    // The ring-0 frame on the RSP0 stack: RIP CS RFLAGS RSP SS (error code already popped).
    XCTAssertEqual(h.cpu.rsp, 0x70000 - 40)
    XCTAssertEqual(h.read(0x70000 - 40), 0x400000)
    XCTAssertEqual(h.read(0x70000 - 32), 0x23)
    XCTAssertEqual(h.read(0x70000 - 16), 0x400800)
    XCTAssertEqual(h.read(0x70000 - 8), 0x2B)
  }

  func testThirtyTwoBitPagingWithLargePages() {
    let h = Harness(.protected32)
    // Page directory at 0x8000: 4 MiB identity page for 0..4 MiB, and 0x400000 -> 0x000000 as well.
    h.memory.write(0x8000, size: 4, value: 0x83)
    h.memory.write(0x8004, size: 4, value: 0x83)
    h.memory.write(0x30000, size: 4, value: 0xABCD)
    h.run(
      asm32(
        "mov eax, 0x8000; mov cr3, eax; mov eax, cr4; or eax, 0x10; mov cr4, eax; mov eax, cr0; or eax, 0x80000000; mov cr0, eax; mov ebx, [0x430000]"
      ))
    XCTAssertEqual(h.cpu.rbx, 0xABCD)
  }
}

/// The A20 gate: closed, physical address bit 20 is forced to 0 for every access, paged or not.
final class A20GateTests: XCTestCase {
  // mov dword [0x100000], 0x12345678 (disp32 in 32-bit mode; in 64-bit mode the same bytes with a
  // SIB form would be needed, so the paged test uses a register).
  private let store32: [UInt8] = [0xC7, 0x05, 0x00, 0x00, 0x10, 0x00, 0x78, 0x56, 0x34, 0x12]

  func testAClosedGateWrapsPhysicalAddressesAtOneMegabyte() {
    let h = Harness(.protected32)
    h.cpu.a20Enabled = false
    h.run(store32)
    XCTAssertEqual(h.read(0x0, size: 4), 0x1234_5678, "the store wrapped to 0")
    XCTAssertEqual(h.read(0x10_0000, size: 4), 0)
    h.cpu.a20Enabled = true
    h.memory.write(0, size: 4, value: 0)
    h.run(store32)
    XCTAssertEqual(h.read(0x10_0000, size: 4), 0x1234_5678, "open again: the store reached 1 MiB")
    XCTAssertEqual(h.read(0x0, size: 4), 0)
  }

  func testAClosedGateMasksPagedTranslationsToo() {
    let h = Harness(.long64)
    // A load through the TLB first, so the closed gate must drop the cached translation.
    h.memory.write(0x10_0000, size: 4, value: 0xAAAA_AAAA)
    h.memory.write(0x0, size: 4, value: 0x5555_5555)
    // mov eax, [rbx]; hlt
    h.cpu.rbx = 0x10_0000
    h.run([0x8B, 0x03])
    XCTAssertEqual(h.cpu.rax & 0xFFFF_FFFF, 0xAAAA_AAAA)
    h.cpu.a20Enabled = false
    h.run([0x8B, 0x03])
    XCTAssertEqual(h.cpu.rax & 0xFFFF_FFFF, 0x5555_5555, "the 2 MiB page at 0 maps 1 MiB onto 0 with A20 closed")
  }
}
