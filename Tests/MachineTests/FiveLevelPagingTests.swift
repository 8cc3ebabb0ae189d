// 5-level paging (CR4.LA57, SDM Vol. 3A 4.5) and the canonical checks that follow the linear-address
// width: memory and branches by the paging mode, addresses loaded into registers by the widest
// width supported (57 bits; Intel's 5-level paging white paper, 2.5).

import XCTest

@testable import Machine

final class FiveLevelPagingTests: XCTestCase {
  static let pml5: UInt64 = 0x7000
  /// PML5 index 1: linear addresses from 2^48, canonical only with 5-level paging.
  static let high: UInt64 = 1 << 48
  let handler = Harness.code + 0x800

  /// The harness's 4-level tables below a PML5 whose entries 0 and 1 both point at them, so that
  /// `high + x` and `x` are the same physical byte; `la57` says whether CR4.LA57 is set.
  func machine(la57: Bool) -> Harness {
    let h = Harness()
    h.memory.write(FiveLevelPagingTests.pml5, size: 8, value: Harness.pml4 | 7)
    h.memory.write(FiveLevelPagingTests.pml5 + 8, size: 8, value: Harness.pml4 | 7)
    if la57 {
      h.cpu.cr4 |= ControlBit.la57
      h.cpu.updateModeTag()  // as MOV to CR4 does
      h.cpu.cr3 = FiveLevelPagingTests.pml5
      h.cpu.flushTLB()
    }
    h.recordVectors([13, 14], handlers: handler)
    return h
  }

  func testAccessesAndBranchesPast48BitsNeedFiveLevelPaging() {
    let target = FiveLevelPagingTests.high + Harness.code + 0x400
    for la57 in [true, false] {
      let h = machine(la57: la57)
      h.memory.write(Harness.data, size: 8, value: 0x1234)
      h.memory.write(asm("mov ecx, 7; hlt"), at: Harness.code + 0x400)
      h.cpu.rbx = FiveLevelPagingTests.high + Harness.data
      h.cpu.rdx = target
      h.run(asm("mov rax, qword ptr [rbx]; jmp rdx"))
      if la57 {
        XCTAssertEqual(h.cpu.rax, 0x1234, "the PML5 entry 1 maps the same page")
        XCTAssertEqual(h.cpu.rcx, 7)
        XCTAssertEqual(h.cpu.rip, target + 6, "ran at the 57-bit address")
      } else {
        XCTAssertEqual(h.cpu.register(.r15), 13, "not canonical with 4-level paging")
      }
    }
    let h = machine(la57: true)
    h.cpu.rbx = 1 << 57
    h.run(asm("mov rax, qword ptr [rbx]"))
    XCTAssertEqual(h.cpu.register(.r15), 13, "past 57 bits")
  }

  func testAMissingPML5EntryIsAPageFault() {
    let h = machine(la57: true)
    h.cpu.rbx = 2 << 48
    h.run(asm("mov rax, qword ptr [rbx]"))
    XCTAssertEqual(h.cpu.register(.r15), 14)
    XCTAssertEqual(h.cpu.cr2, 2 << 48)
    XCTAssertEqual(h.cpu.mappings().map(\.linear), [0, FiveLevelPagingTests.high])
    // PML5 entry 256 starts the upper half, sign-extended from bit 56.
    h.memory.write(FiveLevelPagingTests.pml5 + 256 * 8, size: 8, value: Harness.pml4 | 7)
    XCTAssertEqual(h.cpu.mappings().last?.linear, 0xFF00_0000_0000_0000)
  }

  func testRegistersTakeFiftySevenBitAddressesInEitherMode() {
    for la57 in [false, true] {
      let h = machine(la57: la57)
      h.cpu.rcx = UInt64(MSR.fsBase)
      h.cpu.rax = 0
      h.cpu.rdx = UInt64(0x0001_0000)  // FS base 2^48
      h.memory.write(Harness.data, size: 2, value: 0xFFF)
      h.memory.write(Harness.data + 2, size: 8, value: FiveLevelPagingTests.high)
      h.cpu.rsi = Harness.data
      h.run(asm("wrmsr; lidt [rsi]; sidt [rsi + 16]"))
      XCTAssertEqual(h.cpu.register(.r15), 0, "la57 \(la57)")
      XCTAssertEqual(h.cpu.segments[Seg.fs].base, FiveLevelPagingTests.high)
      XCTAssertEqual(h.read(Harness.data + 18), FiveLevelPagingTests.high)
      let past = machine(la57: la57)
      past.cpu.rcx = UInt64(MSR.lstar)
      past.cpu.rax = 0
      past.cpu.rdx = 0x0200_0000  // 2^57
      past.run(asm("wrmsr"))
      XCTAssertEqual(past.cpu.register(.r15), 13)
    }
  }

  func testLA57ChangesOnlyOutsideLongMode() {
    let h = machine(la57: false)
    h.cpu.rax = h.cpu.cr4 | ControlBit.la57
    h.run(asm("mov cr4, rax"))
    XCTAssertEqual(h.cpu.register(.r15), 13)
    let p = Harness(.protected32)
    p.cpu.rax = p.cpu.cr4 | ControlBit.la57
    p.run(asm32("mov cr4, eax; mov ebx, cr4"))
    XCTAssertEqual(p.cpu.rbx & ControlBit.la57, ControlBit.la57)
    XCTAssertNotEqual(p.cpu.cpuid(leaf: 7, subleaf: 0).2 & (1 << 16), 0)
    XCTAssertEqual((p.cpu.cpuid(leaf: 0x8000_0008, subleaf: 0).0 >> 8) & 0xFF, 57)
  }
}
