// The x87 control instructions, pending-exception #MF, and FXSAVE/FXRSTOR's image (SDM Vol. 2A FINIT,
// FCLEX, FLDCW, FSTCW, FSTSW, WAIT, FXSAVE, FXRSTOR; Vol. 1 8.1 and 10.5.1).

import XCTest

@testable import Machine

final class X87ControlTests: XCTestCase {
  let handler = Harness.code + 0x800
  let area = Harness.data + 0x200

  func machine(_ mode: Harness.Mode = .long64) -> Harness {
    let h = Harness(mode)
    h.cpu.cr4 |= ControlBit.osfxsr
    h.cpu.cr0 |= ControlBit.ne
    h.recordVectors([6, 7, 13, 14, 16], handlers: handler)
    return h
  }

  func testInitializeAndControlWord() {
    let h = machine()
    XCTAssertEqual(h.cpu.fpu.control, 0x0040, "power-on FCW (SDM Vol. 3A table 9-1)")
    h.cpu.rdi = area
    h.run(
      asm("fninit; fnstcw [rdi]; fnstsw [rdi + 2]; mov word ptr [rdi + 4], 0x27F; fldcw [rdi + 4]; fnstcw [rdi + 6]"))
    XCTAssertEqual(h.cpu.register(.r15), 0)
    XCTAssertEqual(h.read(area, size: 2), 0x037F)
    XCTAssertEqual(h.read(area + 2, size: 2), 0)
    XCTAssertEqual(h.read(area + 6, size: 2), 0x027F)
    XCTAssertEqual(h.cpu.fpu.tags, 0, "FNINIT empties every register")
  }

  /// Loads FCW and FSW through an FXRSTOR image (nothing else here sets exception flags).
  func load(_ h: Harness, control: UInt16, status: UInt16) {
    for k in 0..<64 { h.memory.write(area + UInt64(8 * k), size: 8, value: 0) }
    h.memory.write(area, size: 2, value: UInt64(control))
    h.memory.write(area + 2, size: 2, value: UInt64(status))
    h.memory.write(area + 24, size: 4, value: 0x1F80)
    h.cpu.rdi = area
    h.run(asm("fxrstor [rdi]"))
    XCTAssertEqual(h.cpu.register(.r15), 0)
  }

  func testUnmaskingAPendingFlagRaisesMFAtTheNextWaitingInstruction() {
    let h = machine()
    load(h, control: 0x037F, status: 0x0001)  // IE set, masked: nothing pending
    h.cpu.rdi = area + 0x100
    h.run(asm("fwait; fnstsw ax; mov word ptr [rdi], 0x37E; fldcw [rdi]; fnstsw [rdi + 2]"))
    XCTAssertEqual(h.cpu.register(.r15), 0)
    XCTAssertEqual(h.cpu.rax & 0xFFFF, 0x0001)
    XCTAssertEqual(h.read(area + 0x102, size: 2), 0x8081, "unmasking IE sets ES and B")
    h.run(asm("fwait"))
    XCTAssertEqual(h.cpu.register(.r15), 16, "FWAIT with a pending exception is #MF")
    h.cpu.setRegister(.r15, 0)
    h.run(asm("movq mm0, mm1"))
    XCTAssertEqual(h.cpu.register(.r15), 16, "so is an MMX instruction")
    h.cpu.setRegister(.r15, 0)
    h.run(asm("fnclex; fwait; movq mm0, mm1; fnstsw ax"))
    XCTAssertEqual(h.cpu.register(.r15), 0, "FNCLEX clears it")
    XCTAssertEqual(h.cpu.rax & 0xFFFF, 0)
  }

  func testFXSAVELayoutAndRoundTrip() {
    let h = machine()
    let fpu = h.cpu.fpu
    for k in 0..<32 { fpu.xmm[k] = 0x1000 + UInt64(k) }
    h.cpu.rax = 0x5555_6666_7777_8888
    h.cpu.rdi = area
    h.memory.write(area + 0x300, size: 4, value: 0x3F80)
    h.run(asm("fninit; movq mm3, rax; ldmxcsr [rdi + 0x300]; fxsave [rdi]"))
    XCTAssertEqual(h.cpu.register(.r15), 0)
    XCTAssertEqual(h.read(area, size: 2), 0x037F, "FCW")
    XCTAssertEqual(h.read(area + 2, size: 2), 0, "FSW: TOP 0 after the MMX move")
    XCTAssertEqual(h.read(area + 4, size: 1), 0xFF, "abridged FTW")
    XCTAssertEqual(h.read(area + 24, size: 4), 0x3F80, "MXCSR")
    XCTAssertEqual(h.read(area + 28, size: 4), 0xFFFF, "MXCSR_MASK")
    XCTAssertEqual(h.read(area + 32 + 3 * 16), 0x5555_6666_7777_8888, "ST3 = MM3")
    XCTAssertEqual(h.read(area + 32 + 3 * 16 + 8, size: 2), 0xFFFF)
    XCTAssertEqual(h.read(area + 160), 0x1000, "XMM0")
    XCTAssertEqual(h.read(area + 160 + 15 * 16 + 8), 0x1000 + 31, "XMM15 in 64-bit mode")
    for k in 0..<32 { fpu.xmm[k] = 0 }
    fpu.mxcsr = 0x1F80
    h.run(asm("fxrstor [rdi]"))
    XCTAssertEqual(h.cpu.register(.r15), 0)
    XCTAssertEqual(fpu.xmm[31], 0x1000 + 31)
    XCTAssertEqual(fpu.mxcsr, 0x3F80)
    XCTAssertEqual(fpu.mmx(3), 0x5555_6666_7777_8888)
  }

  func testFXSAVEOutside64BitModeHasEightXMMRegisters() {
    let h = machine(.protected32)
    for k in 0..<32 { h.cpu.fpu.xmm[k] = 0x2000 + UInt64(k) }
    for k in 0..<64 { h.memory.write(area + UInt64(8 * k), size: 8, value: 0xEE) }
    h.cpu.rax = area
    h.run(asm32("fxsave [eax]"))
    XCTAssertEqual(h.cpu.rdi, 0, "no fault")
    XCTAssertEqual(h.read(area + 160 + 7 * 16 + 8), 0x2000 + 15, "XMM7")
    XCTAssertEqual(h.read(area + 160 + 8 * 16), 0xEE, "XMM8-XMM15 are not saved outside 64-bit mode")
  }

  func testFXSAVEAndFXRSTORFaults() {
    let h = machine()
    h.cpu.rdi = area + 8
    h.run(asm("fxsave [rdi]"))
    XCTAssertEqual(h.cpu.register(.r15), 13, "a misaligned image is #GP(0)")
    h.cpu.setRegister(.r15, 0)
    load(h, control: 0x037F, status: 0)
    h.memory.write(area + 24, size: 4, value: 0x1_0000)  // a reserved MXCSR bit
    h.memory.write(area, size: 2, value: 0x0123)
    h.cpu.rdi = area
    h.run(asm("fxrstor [rdi]"))
    XCTAssertEqual(h.cpu.register(.r15), 13)
    XCTAssertEqual(h.cpu.fpu.control, 0x037F, "a refused image changes nothing")
    h.cpu.setRegister(.r15, 0)
    h.cpu.cr0 |= ControlBit.ts
    h.run(asm("fxsave [rdi]"))
    XCTAssertEqual(h.cpu.register(.r15), 7, "CR0.TS: #NM")
  }
}
