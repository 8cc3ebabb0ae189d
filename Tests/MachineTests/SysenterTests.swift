// SYSENTER and SYSEXIT on an Intel processor in 64-bit mode (SDM Vol. 2B).

import XCTest

@testable import Machine

final class SysenterTests: XCTestCase {
  let handler = Harness.code + 0x800

  func testSysenterEntersRing0AtTheMSRTarget() {
    let h = Harness()
    h.cpu.sysenterCS = 0x08
    h.cpu.sysenterEIP = handler
    h.cpu.sysenterESP = 0x70000
    h.memory.write(asm("mov r15, rsp; hlt"), at: handler)
    h.cpu.rflags |= Flag.if
    h.run(asm("sysenter"))
    XCTAssertEqual(h.cpu.register(.r15), 0x70000)
    XCTAssertEqual(h.cpu.segment(Seg.cs).selector, 0x08)
    XCTAssertEqual(h.cpu.segment(Seg.ss).selector, 0x10)
    XCTAssertEqual(h.cpu.rflags & Flag.if, 0, "IF cleared")
  }

  func testSysexitWithREXWReturnsTo64BitRing3() {
    let h = Harness()
    h.cpu.sysenterCS = 0x08
    h.memory.write([0xEB, 0xFE], at: 0x30000)  // jmp $
    h.cpu.rdx = 0x30000
    h.cpu.rcx = 0x38000
    h.run(asm("sysexitq"), cycles: 200)
    XCTAssertEqual(h.cpu.rip, 0x30000)
    XCTAssertEqual(h.cpu.rsp, 0x38000)
    XCTAssertEqual(h.cpu.cpl, 3)
    XCTAssertEqual(h.cpu.segment(Seg.cs).selector, 0x2B, "SYSENTER_CS + 32, RPL 3")
    XCTAssertEqual(h.cpu.segment(Seg.ss).selector, 0x33, "SYSENTER_CS + 40, RPL 3")
    XCTAssertEqual(h.cpu.mode, .long64)
  }

  func testSysenterWithoutATargetSelectorIsGP() {
    let h = Harness()
    h.setGate64(13, handler: handler)
    h.memory.write(asm("mov r15, 13; hlt"), at: handler)
    h.run(asm("sysenter"))
    XCTAssertEqual(h.cpu.register(.r15), 13)
  }
}
