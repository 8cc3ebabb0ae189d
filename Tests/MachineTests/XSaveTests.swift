// XSAVE, XRSTOR, XGETBV and XSETBV over the x87 and SSE components in the standard format (SDM Vol. 1
// chapter 13; Vol. 2C XSAVE, XRSTOR, XGETBV, XSETBV).

import XCTest

@testable import Machine

final class XSaveTests: XCTestCase {
  let handler = Harness.code + 0x800
  let area = Harness.data + 0x400  // 64-byte aligned

  func machine(osxsave: Bool = true) -> Harness {
    let h = Harness()
    h.cpu.cr4 |= ControlBit.osfxsr | (osxsave ? ControlBit.osxsave : 0)
    h.recordVectors([6, 7, 13], handlers: handler)
    return h
  }

  func testCPUIDDescribesXSAVEAndOSXSAVEFollowsCR4() {
    for osxsave in [false, true] {
      let h = machine(osxsave: osxsave)
      h.run(asm("mov eax, 1; cpuid; mov r8, rcx; mov eax, 0xd; xor ecx, ecx; cpuid"))
      XCTAssertEqual(h.cpu.register(.r8) & (1 << 26), 1 << 26, "XSAVE")
      XCTAssertEqual(h.cpu.register(.r8) & (1 << 27) != 0, osxsave, "OSXSAVE = CR4.OSXSAVE")
      XCTAssertEqual(h.cpu.rax, 3, "x87 and SSE")
      XCTAssertEqual(h.cpu.rcx, 576, "legacy region and header")
    }
  }

  func testXCR0Rules() {
    let none = machine(osxsave: false)
    none.run(asm("xor ecx, ecx; xgetbv"))
    XCTAssertEqual(none.cpu.register(.r15), 6, "without CR4.OSXSAVE: #UD")
    for (value, rcx, vector) in [(UInt64(3), UInt64(0), 0), (0, 0, 13), (2, 0, 13), (7, 0, 13), (1, 1, 13)] {
      let h = machine()
      h.cpu.rax = value
      h.cpu.rdx = 0
      h.cpu.rcx = rcx
      h.run(asm("xsetbv; xor ecx, ecx; xgetbv"))
      XCTAssertEqual(h.cpu.register(.r15), UInt64(vector), "XSETBV(\(rcx), \(value))")
      if vector == 0 { XCTAssertEqual(h.cpu.rax, value) }
    }
  }

  func testXSAVEWritesTheRequestedComponentsAndXSTATE_BV() {
    let h = machine()
    for k in 0..<32 { h.cpu.fpu.xmm[k] = 0x3000 + UInt64(k) }
    for k in 0..<72 { h.memory.write(area + UInt64(8 * k), size: 8, value: 0xEEEE) }
    h.memory.write(area + 512, size: 8, value: 1)  // XSTATE_BV: x87 from before
    h.memory.write(area + 520, size: 8, value: 0)
    h.cpu.rdi = area
    h.run(asm("mov eax, 3; xor edx, edx; xor ecx, ecx; xsetbv; mov eax, 2; xsave [rdi]"))
    XCTAssertEqual(h.cpu.register(.r15), 0)
    XCTAssertEqual(h.read(area + 160), 0x3000, "XMM0")
    XCTAssertEqual(h.read(area + 24, size: 4), 0x1F80, "MXCSR with SSE")
    XCTAssertEqual(h.read(area), 0xEEEE, "x87 not requested: not written")
    XCTAssertEqual(h.read(area + 512), 3, "XSTATE_BV: SSE added, x87 kept")
    h.cpu.rdi = area + 16
    h.run(asm("xsave [rdi]"))
    XCTAssertEqual(h.cpu.register(.r15), 13, "a 16-byte aligned area is #GP(0)")
  }

  func testXRSTORInitializesComponentsAbsentFromXSTATE_BVAndChecksTheHeader() {
    let h = machine()
    for k in 0..<72 { h.memory.write(area + UInt64(8 * k), size: 8, value: 0) }
    h.memory.write(area + 24, size: 4, value: 0x1F00)  // MXCSR
    for k in 0..<32 { h.cpu.fpu.xmm[k] = 0x55 }
    h.cpu.fpu.control = 0x0123
    h.cpu.rdi = area
    h.run(asm("mov eax, 3; xor edx, edx; xor ecx, ecx; xsetbv; xrstor [rdi]"))
    XCTAssertEqual(h.cpu.register(.r15), 0)
    XCTAssertEqual(h.cpu.fpu.xmm[31], 0, "SSE absent from XSTATE_BV: initial state")
    XCTAssertEqual(h.cpu.fpu.control, 0x037F, "x87 initial state")
    XCTAssertEqual(h.cpu.fpu.mxcsr, 0x1F00, "MXCSR still comes from memory")
    h.memory.write(area + 520, size: 8, value: 1)  // XCOMP_BV of the compacted format
    h.run(asm("xrstor [rdi]"))
    XCTAssertEqual(h.cpu.register(.r15), 13, "only the standard format")
  }
}
