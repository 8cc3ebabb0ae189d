// CR4.PCIDE, CR3's PCID and no-flush bit, INVPCID (SDM Vol. 3A 4.10.1, 4.10.4; Vol. 2A INVPCID).

import XCTest

@testable import Machine

final class ProcessContextTests: XCTestCase {
  let handler = Harness.code + 0x800

  func machine() -> Harness {
    let h = Harness()
    h.recordVectors([6, 13], handlers: handler)
    return h
  }

  func testPCIDERulesAndTheNoFlushBit() {
    let h = machine()
    h.cpu.rax = h.cpu.cr4 | ControlBit.pcide
    h.cpu.rbx = Harness.pml4 | 5 | 1 << 63  // PCID 5, no-flush
    h.run(asm("mov cr4, rax; mov cr3, rbx; mov rcx, cr3"))
    XCTAssertEqual(h.cpu.register(.r15), 0)
    XCTAssertEqual(h.cpu.rcx, Harness.pml4 | 5, "bit 63 is not stored")
    h.cpu.rax = h.cpu.cr0 & ~ControlBit.pg
    h.run(asm("mov cr0, rax"))
    XCTAssertEqual(h.cpu.register(.r15), 13, "paging cannot be turned off with PCIDE")
    let p = machine()
    p.cpu.cr3 = Harness.pml4 | 1
    p.cpu.rax = p.cpu.cr4 | ControlBit.pcide
    p.run(asm("mov cr4, rax"))
    XCTAssertEqual(p.cpu.register(.r15), 13, "PCIDE needs PCID 0 in CR3")
  }

  func testINVPCIDChecksItsOperands() {
    for (type, pcid, address, vector) in [
      (UInt64(2), UInt64(0), UInt64(0), 0), (3, 0, 0, 0), (4, 0, 0, 13),
      (0, 0, 0x0200_0000_0000_0000, 13),  // type 0 needs an address canonical for 57 bits
      (0, 0, 0x8000_0000_0000, 0),  // which 2^47 is, even with 4-level paging
      (1, 7, 0, 13),  // a non-zero PCID with PCIDE clear
      (2, 0x1000, 0, 13),  // reserved descriptor bits
    ] {
      let h = machine()
      h.memory.write(Harness.data, size: 8, value: pcid)
      h.memory.write(Harness.data + 8, size: 8, value: address)
      h.cpu.rax = type
      h.cpu.rsi = Harness.data
      h.run(asm("invpcid rax, [rsi]"))
      XCTAssertEqual(h.cpu.register(.r15), UInt64(vector), "type \(type) PCID \(pcid)")
    }
  }

  func testMOVBELoadsAndStoresByteSwappedAndHasNoRegisterForm() {
    let h = machine()
    h.memory.write(Harness.data, size: 8, value: 0x1122_3344_5566_7788)
    h.cpu.rsi = Harness.data
    h.cpu.rbx = 0xFFFF_FFFF_FFFF_FFFF
    h.run(asm("movbe rax, [rsi]; movbe ecx, [rsi]; movbe bx, [rsi]; movbe [rsi + 8], eax"))
    XCTAssertEqual(h.cpu.rax, 0x8877_6655_4433_2211)
    XCTAssertEqual(h.cpu.rcx, 0x8877_6655)
    XCTAssertEqual(h.cpu.rbx, 0xFFFF_FFFF_FFFF_8877, "a 16-bit load keeps the rest")
    XCTAssertEqual(h.read(Harness.data + 8, size: 4), 0x1122_3344)
    h.run([0x0F, 0x38, 0xF0, 0xC0])  // MOVBE with a register operand
    XCTAssertEqual(h.cpu.register(.r15), 6)
  }
}
