// What the host-CPU oracle cannot show: unmasked SIMD floating-point exceptions (#XM, or #UD without
// CR4.OSXMMEXCPT) and what they leave behind, the alignment and control-register rules of the MMX,
// SSE and SSE2 arithmetic forms, their undefined encodings, and what CPUID reports (SDM Vol. 1 11.5,
// Vol. 2A 2.4 exception classes 1-4, Vol. 3A 13.1.4).

import XCTest

@testable import Machine

final class SIMDFloatExceptionTests: XCTestCase {
  let handler = Harness.code + 0x800
  let data = Harness.data

  /// A 64-bit machine with OSFXSR and OSXMMEXCPT on, handlers for #UD, #NM, #GP, #PF and #XM that put
  /// the vector in R15 and stop, and RSI at 32 bytes of data.
  func machine(osxmmexcpt: Bool = true) -> Harness {
    let h = Harness()
    h.cpu.cr4 |= ControlBit.osfxsr | (osxmmexcpt ? ControlBit.osxmmexcpt : 0)
    h.recordVectors([6, 7, 13, 14, 19], handlers: handler)
    h.cpu.rsi = data
    return h
  }

  func setXMM(_ h: Harness, _ n: Int, _ lo: UInt64, _ hi: UInt64 = 0) {
    (h.cpu.fpu.xmm[2 * n], h.cpu.fpu.xmm[2 * n + 1]) = (lo, hi)
  }

  func xmm(_ h: Harness, _ n: Int) -> (UInt64, UInt64) { (h.cpu.fpu.xmm[2 * n], h.cpu.fpu.xmm[2 * n + 1]) }

  static let one: UInt64 = 0x3F80_0000, two: UInt64 = 0x4000_0000, infinity: UInt64 = 0x7F80_0000

  func testAnUnmaskedExceptionRaisesXMAndLeavesTheDestination() {
    for osxmmexcpt in [true, false] {
      let h = machine(osxmmexcpt: osxmmexcpt)
      h.cpu.fpu.mxcsr = 0x1F80 & ~(FloatException.divideByZero << 7)
      // Element 1 divides by zero; element 0 is 1/2, elements 2 and 3 are 1/1.
      setXMM(h, 0, Self.one | Self.one << 32, Self.one | Self.one << 32)
      setXMM(h, 1, Self.two, Self.one | Self.one << 32)
      h.run(asm("divps xmm0, xmm1"))
      let vector: UInt64 = osxmmexcpt ? 19 : 6
      XCTAssertEqual(h.cpu.register(.r15), vector, "#XM with OSXMMEXCPT, else #UD")
      XCTAssertEqual(xmm(h, 0).0, Self.one | Self.one << 32, "no element is written")
      XCTAssertEqual(h.cpu.fpu.mxcsr & FloatException.all, FloatException.divideByZero)
      XCTAssertEqual(h.cpu.rip, handler + vector * 16 + 7, "the fault was delivered (the handler ran)")
    }
    // Masked, the same division writes infinity and 0.5 and sets ZE.
    let h = machine()
    setXMM(h, 0, Self.one | Self.one << 32, Self.one | Self.one << 32)
    setXMM(h, 1, Self.two, Self.one | Self.one << 32)
    h.run(asm("divps xmm0, xmm1"))
    XCTAssertEqual(h.cpu.register(.r15), 0)
    XCTAssertEqual(xmm(h, 0).0, 0x3F00_0000 | Self.infinity << 32)
    XCTAssertEqual(h.cpu.fpu.mxcsr & FloatException.all, FloatException.divideByZero)
  }

  func testAnUnmaskedPreComputationExceptionHidesTheLaterFlags() {
    // Element 0: inf + -inf (invalid); element 1: 1 + 2^-30 (inexact).
    let tiny: UInt64 = 0x3080_0000
    for (mask, flags, vector) in [
      (UInt32(0x1F80), FloatException.invalid | FloatException.precision, UInt64(0)),
      (UInt32(0x1F80) & ~(FloatException.invalid << 7), FloatException.invalid, 19),
      (UInt32(0x1F80) & ~(FloatException.precision << 7), FloatException.invalid | FloatException.precision, 19),
    ] {
      let h = machine()
      h.cpu.fpu.mxcsr = mask
      setXMM(h, 0, Self.infinity | Self.one << 32)
      setXMM(h, 1, (Self.infinity | 1 << 31) | tiny << 32)
      h.run(asm("addps xmm0, xmm1"))
      XCTAssertEqual(h.cpu.register(.r15), vector, "MXCSR \(String(mask, radix: 16))")
      XCTAssertEqual(h.cpu.fpu.mxcsr & FloatException.all, flags, "MXCSR \(String(mask, radix: 16))")
    }
  }

  func testUnderflowIsReportedForAnExactTinyResultOnlyWhenUnmasked() {
    // 2^-100 x 2^-30 = 2^-130: a denormal single, exact (SDM Vol. 1 4.9.1.5).
    for (masked, vector, flags) in [(true, UInt64(0), UInt32(0)), (false, 19, FloatException.underflow)] {
      let h = machine()
      h.cpu.fpu.mxcsr = masked ? 0x1F80 : 0x1F80 & ~(FloatException.underflow << 7)
      setXMM(h, 0, 0x0D80_0000)
      setXMM(h, 1, 0x3080_0000)
      h.run(asm("mulss xmm0, xmm1"))
      XCTAssertEqual(h.cpu.register(.r15), vector)
      XCTAssertEqual(h.cpu.fpu.mxcsr & FloatException.all, flags)
      XCTAssertEqual(xmm(h, 0).0, masked ? 0x0008_0000 : 0x0D80_0000)
    }
  }

  func testPackedMemoryOperandsMustBeAlignedAndScalarOnesNeedNot() {
    for (text, code, vector) in [
      ("addps xmm0, [rsi + 4]", asm("addps xmm0, [rsi + 4]"), 13),
      ("paddb xmm0, [rsi + 8]", asm("paddb xmm0, [rsi + 8]"), 13),
      ("cvtdq2ps xmm0, [rsi + 1]", asm("cvtdq2ps xmm0, [rsi + 1]"), 13),
      ("pshufd xmm0, [rsi + 2], 0", asm("pshufd xmm0, [rsi + 2], 0"), 13),
      ("addss xmm0, [rsi + 1]", asm("addss xmm0, [rsi + 1]"), 0),
      ("comisd xmm0, [rsi + 3]", asm("comisd xmm0, [rsi + 3]"), 0),
      ("paddb mm0, [rsi + 1]", asm("paddb mm0, [rsi + 1]"), 0),
      ("cvtps2pd xmm0, [rsi + 4]", asm("cvtps2pd xmm0, [rsi + 4]"), 0),
      ("movhps xmm0, [rsi + 4]", asm("movhps xmm0, [rsi + 4]"), 0),
      ("addps xmm0, [rsi + 16]", asm("addps xmm0, [rsi + 16]"), 0),
    ] {
      let h = machine()
      h.run(code)
      XCTAssertEqual(h.cpu.register(.r15), UInt64(vector), text)
    }
  }

  func testControlRegistersAndUndefinedEncodings() {
    for (text, code, cr0, osfxsr, vector) in [
      ("addps", asm("addps xmm0, xmm1"), UInt64(0), false, 6),  // no OSFXSR: #UD
      ("addps", asm("addps xmm0, xmm1"), ControlBit.ts, true, 7),
      ("paddb xmm", asm("paddb xmm0, xmm1"), ControlBit.em, true, 6),
      ("paddb mm", asm("paddb mm0, mm1"), ControlBit.em, true, 6),
      ("paddb mm", asm("paddb mm0, mm1"), ControlBit.ts, true, 7),
      ("paddb mm", asm("paddb mm0, mm1"), 0, false, 0),  // MMX does not need OSFXSR
      ("NP psrldq (0F 73 /3)", [0x0F, 0x73, 0xD8, 0x05], 0, true, 6),  // XMM only
      ("psrlw imm, memory form", [0x66, 0x0F, 0x71, 0x16, 0x03], 0, true, 6),
      ("66 movhlps (66 0F 12 /r, register)", [0x66, 0x0F, 0x12, 0xC1], 0, true, 6),
      ("movnti to a register", [0x0F, 0xC3, 0xC0], 0, true, 6),
      ("F2 0F 5B", [0xF2, 0x0F, 0x5B, 0xC1], 0, true, 6),
      ("pextrw from memory", [0x66, 0x0F, 0xC5, 0x06, 0x01], 0, true, 6),
      ("rcpps with 66", [0x66, 0x0F, 0x53, 0xC1], 0, true, 6),
    ] {
      assertVector(text, code, cr0: cr0, osfxsr: osfxsr, vector, on: machine())
    }
  }

  func testAnMMXRegisterOperandMakesTheMMXTransitionAndMemoryDoesNot() {
    let h = machine()
    h.run(asm("fninit"))
    XCTAssertEqual(h.cpu.fpu.tags, 0)
    h.run(asm("cvtpi2ps xmm0, [rsi]"))
    XCTAssertEqual(h.cpu.fpu.tags, 0, "a memory source leaves the x87 state")
    h.run(asm("cvtpi2ps xmm0, mm1"))
    XCTAssertEqual(h.cpu.fpu.tags, 0xFF, "an MMX register: every register valid")
  }

  func testCPUIDReportsMMXSSEAndSSE2ButNoX87() {
    let h = machine()
    h.run(asm("mov eax, 1; cpuid"))
    XCTAssertEqual(h.cpu.rdx & (1 << 23 | 1 << 24 | 1 << 25 | 1 << 26), 1 << 23 | 1 << 24 | 1 << 25 | 1 << 26)
    XCTAssertEqual(h.cpu.rdx & 1, 0, "x87 arithmetic is not implemented: no FPU")
  }
}
