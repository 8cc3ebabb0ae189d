// MMX and SSE data moves and bitwise logic: results, the CR0.EM/TS and CR4.OSFXSR rules, alignment,
// and stores that cross into a page that faults (SDM Vol. 2A 2.4, Vol. 3A 13.1.3 table 2-2).

import XCTest

@testable import Machine

final class SIMDMoveTests: XCTestCase {
  let handler = Harness.code + 0x800
  let source = Harness.data
  let target = Harness.data + 0x100

  /// A 64-bit machine with OSFXSR on, and handlers for #UD, #NM, #MF, #GP and #PF that put the vector
  /// in R15 and stop.
  func machine() -> Harness {
    let h = Harness()
    h.cpu.cr4 |= ControlBit.osfxsr
    h.recordVectors([6, 7, 13, 14, 16], handlers: handler)
    for k in 0..<16 { h.memory.write(source + UInt64(k), size: 1, value: UInt64(0xA0 + k)) }
    return h
  }

  func xmm(_ h: Harness, _ n: Int) -> (UInt64, UInt64) { (h.cpu.fpu.xmm[2 * n], h.cpu.fpu.xmm[2 * n + 1]) }

  let pattern: (UInt64, UInt64) = (0xA7A6_A5A4_A3A2_A1A0, 0xAFAE_ADAC_ABAA_A9A8)

  func testVectorMovesCopy128Bits() {
    for (text, code) in [
      ("movups xmm0, [rsi]; movups [rdi], xmm0", asm("movups xmm0, [rsi]; movups [rdi], xmm0")),
      ("movaps xmm0, [rsi]; movaps [rdi], xmm0", asm("movaps xmm0, [rsi]; movaps [rdi], xmm0")),
      ("movupd xmm0, [rsi]; movupd [rdi], xmm0", asm("movupd xmm0, [rsi]; movupd [rdi], xmm0")),
      ("movapd xmm0, [rsi]; movapd [rdi], xmm0", asm("movapd xmm0, [rsi]; movapd [rdi], xmm0")),
      ("movdqu xmm0, [rsi]; movdqu [rdi], xmm0", asm("movdqu xmm0, [rsi]; movdqu [rdi], xmm0")),
      ("movdqa xmm0, [rsi]; movdqa [rdi], xmm0", asm("movdqa xmm0, [rsi]; movdqa [rdi], xmm0")),
      (
        "movaps xmm9, [rsi]; movaps xmm0, xmm9; movntdq [rdi], xmm0",
        asm("movaps xmm9, [rsi]; movaps xmm0, xmm9; movntdq [rdi], xmm0")
      ),
      (
        "movdqu xmm15, [rsi]; movdqa xmm3, xmm15; movntps [rdi], xmm3",
        asm("movdqu xmm15, [rsi]; movdqa xmm3, xmm15; movntps [rdi], xmm3")
      ),
    ] {
      let h = machine()
      h.cpu.rsi = source
      h.cpu.rdi = target
      h.run(code)
      XCTAssertEqual(h.cpu.register(.r15), 0, text)
      XCTAssertEqual(h.read(target), pattern.0, text)
      XCTAssertEqual(h.read(target + 8), pattern.1, text)
    }
  }

  func testAlignedFormsRaiseGPOnAMisalignedOperand() {
    for (text, code, vector) in [
      ("movaps", asm("movaps xmm0, [rsi + 8]"), 13), ("movdqa", asm("movdqa [rsi + 4], xmm0"), 13),
      ("pxor", asm("pxor xmm0, [rsi + 1]"), 13), ("movups", asm("movups xmm0, [rsi + 8]"), 0),
      ("movdqu", asm("movdqu [rsi + 4], xmm0"), 0),
    ] {
      let h = machine()
      h.cpu.rsi = source
      h.run(code)
      XCTAssertEqual(h.cpu.register(.r15), UInt64(vector), text)
    }
  }

  func testStoreIntoAFaultingSecondPageWritesNothing() {
    let h = machine()
    h.memory.write(Harness.pd + 8, size: 8, value: 0)  // 0x200000-0x3FFFFF not present
    h.cpu.flushTLB()
    h.memory.write(0x1F_FFF8, size: 8, value: 0x1111)
    h.cpu.rsi = source
    h.cpu.rdi = 0x1F_FFF8
    h.run(asm("movups xmm0, [rsi]; movups [rdi], xmm0"))
    XCTAssertEqual(h.cpu.register(.r15), 14)
    XCTAssertEqual(h.cpu.cr2, 0x20_0000)
    XCTAssertEqual(h.read(0x1F_FFF8), 0x1111, "the first half was not written")
  }

  func testScalarMovesZeroFromMemoryAndMergeBetweenRegisters() {
    let h = machine()
    h.cpu.rsi = source
    h.cpu.rdi = target
    h.run(asm("movdqu xmm1, [rsi]; movdqu xmm2, [rsi]; movss xmm1, [rsi + 8]; movsd xmm2, [rsi + 4]"))
    XCTAssertEqual(xmm(h, 1).0, 0xABAA_A9A8, "MOVSS from memory zeroes bits 127:32")
    XCTAssertEqual(xmm(h, 1).1, 0)
    XCTAssertEqual(xmm(h, 2).0, 0xABAA_A9A8_A7A6_A5A4)
    XCTAssertEqual(xmm(h, 2).1, 0)
    h.run(asm("movdqu xmm3, [rsi]; pxor xmm4, xmm4; movss xmm3, xmm4; movss [rdi], xmm3; movsd [rdi + 8], xmm3"))
    XCTAssertEqual(xmm(h, 3).0, 0xA7A6_A5A4_0000_0000, "MOVSS between registers keeps bits 127:32")
    XCTAssertEqual(xmm(h, 3).1, pattern.1)
    XCTAssertEqual(h.read(h.cpu.rdi, size: 4), 0)
    XCTAssertEqual(h.read(h.cpu.rdi + 8), 0xA7A6_A5A4_0000_0000)
  }

  func testMOVDAndMOVQBetweenGeneralAndXMMRegisters() {
    let h = machine()
    h.cpu.rax = 0x8899_AABB_CCDD_EEFF
    h.cpu.rsi = source
    h.cpu.rdi = target
    h.run(asm("movdqu xmm0, [rsi]; movdqu xmm1, [rsi]; movq xmm0, rax; movd xmm1, eax; movq rbx, xmm0; movd ecx, xmm1"))
    XCTAssertEqual(xmm(h, 0).0, 0x8899_AABB_CCDD_EEFF)
    XCTAssertEqual(xmm(h, 0).1, 0, "MOVQ xmm, r64 zero-extends")
    XCTAssertEqual(xmm(h, 1).0, 0xCCDD_EEFF)
    XCTAssertEqual(h.cpu.rbx, 0x8899_AABB_CCDD_EEFF)
    XCTAssertEqual(h.cpu.rcx, 0xCCDD_EEFF)
    h.run(asm("movdqu xmm2, [rsi]; movq xmm3, [rsi + 8]; movq [rdi], xmm2; movdqu xmm4, [rsi]; movq xmm4, xmm3"))
    XCTAssertEqual(xmm(h, 3).0, pattern.1)
    XCTAssertEqual(xmm(h, 3).1, 0, "MOVQ xmm, m64 zeroes bits 127:64")
    XCTAssertEqual(h.read(target), pattern.0)
    XCTAssertEqual(xmm(h, 4).1, 0)
  }

  func testBitwiseLogic() {
    let h = machine()
    h.memory.write(target, size: 8, value: 0xFF00_FF00_F0F0_0000)
    h.memory.write(target + 8, size: 8, value: 0x0000_FFFF_1234_5678)
    h.cpu.rsi = source
    h.cpu.rdi = target
    let a = pattern, b: (UInt64, UInt64) = (0xFF00_FF00_F0F0_0000, 0x0000_FFFF_1234_5678)
    for (text, code, expected) in [
      ("movdqu xmm0, [rsi]; pand xmm0, [rdi]", asm("movdqu xmm0, [rsi]; pand xmm0, [rdi]"), (a.0 & b.0, a.1 & b.1)),
      (
        "movdqu xmm0, [rsi]; andnps xmm0, [rdi]", asm("movdqu xmm0, [rsi]; andnps xmm0, [rdi]"),
        (~a.0 & b.0, ~a.1 & b.1)
      ),
      (
        "movdqu xmm0, [rsi]; movdqu xmm5, [rdi]; orpd xmm0, xmm5",
        asm("movdqu xmm0, [rsi]; movdqu xmm5, [rdi]; orpd xmm0, xmm5"), (a.0 | b.0, a.1 | b.1)
      ),
      (
        "movdqu xmm0, [rsi]; movdqu xmm5, [rdi]; xorps xmm0, xmm5",
        asm("movdqu xmm0, [rsi]; movdqu xmm5, [rdi]; xorps xmm0, xmm5"), (a.0 ^ b.0, a.1 ^ b.1)
      ),
      ("movdqu xmm0, [rsi]; pxor xmm0, xmm0", asm("movdqu xmm0, [rsi]; pxor xmm0, xmm0"), (UInt64(0), UInt64(0))),
    ] {
      h.run(code)
      XCTAssertEqual(h.cpu.register(.r15), 0, text)
      XCTAssertEqual(xmm(h, 0).0, expected.0, text)
      XCTAssertEqual(xmm(h, 0).1, expected.1, text)
    }
  }

  func testMMXMovesSetTheX87RegisterAndMMXState() {
    let h = machine()
    h.cpu.rax = 0x0102_0304_0506_0708
    h.cpu.rsi = source
    h.cpu.rdi = target
    h.run(asm("fninit; movq mm0, rax; movq mm1, mm0; movq [rdi], mm1; movq mm2, [rsi]; pxor mm2, mm0; movd ebx, mm2"))
    XCTAssertEqual(h.cpu.register(.r15), 0)
    XCTAssertEqual(h.read(target), 0x0102_0304_0506_0708)
    XCTAssertEqual(h.cpu.rbx, (pattern.0 ^ 0x0102_0304_0506_0708) & 0xFFFF_FFFF)
    XCTAssertEqual(h.cpu.fpu.x87[3], 0xFFFF, "an MMX write sets the exponent bits to all ones")
    XCTAssertEqual(h.cpu.fpu.tags, 0xFF, "MMX state: every register valid")
    h.run(asm("emms"))
    XCTAssertEqual(h.cpu.fpu.tags, 0, "EMMS empties every register")
  }

  func testControlRegisterChecks() {
    for (text, code, cr0, osfxsr, vector) in [
      ("movups xmm0, xmm1", asm("movups xmm0, xmm1"), UInt64(0), false, 6),  // no OSFXSR: #UD
      ("movups xmm0, xmm1", asm("movups xmm0, xmm1"), ControlBit.em, true, 6),  // EM: #UD
      ("movups xmm0, xmm1", asm("movups xmm0, xmm1"), ControlBit.ts, true, 7),  // TS: #NM
      ("movq mm0, mm1", asm("movq mm0, mm1"), ControlBit.em, true, 6),
      ("movq mm0, mm1", asm("movq mm0, mm1"), ControlBit.ts, true, 7),
      ("movq mm0, mm1", asm("movq mm0, mm1"), 0, false, 0),  // MMX does not need OSFXSR
      ("fninit", asm("fninit"), ControlBit.em, true, 7),  // x87: EM is #NM
      ("fninit", asm("fninit"), ControlBit.ts, true, 7),
      ("fwait", asm("fwait"), ControlBit.ts, true, 0),  // WAIT: #NM only with MP and TS
      ("fwait", asm("fwait"), ControlBit.ts | ControlBit.mp, true, 7),
      ("fld1", asm("fld1"), 0, true, 6),  // x87 arithmetic is not implemented
      ("fld1", asm("fld1"), ControlBit.ts, true, 7),
    ] {
      assertVector(text, code, cr0: cr0, osfxsr: osfxsr, vector, on: machine())
    }
  }

  func testMXCSRLoadsAndStores() {
    let h = machine()
    h.memory.write(target, size: 4, value: 0x7F80)
    h.cpu.rdi = target
    h.run(asm("ldmxcsr [rdi]; stmxcsr [rdi + 4]"))
    XCTAssertEqual(h.read(target + 4, size: 4), 0x7F80)
    h.memory.write(target, size: 4, value: 0x1_1F80)
    h.run(asm("ldmxcsr [rdi]"))
    XCTAssertEqual(h.cpu.register(.r15), 13, "a reserved MXCSR bit is #GP(0)")
    XCTAssertEqual(h.cpu.fpu.mxcsr, 0x7F80)
  }
}

/// Runs `code` on `h` with CR0 bits `cr0` set and CR4.OSFXSR cleared unless `osfxsr`; the handler
/// records the vector in R15 (0: none was raised).
func assertVector(
  _ text: String, _ code: [UInt8], cr0: UInt64, osfxsr: Bool, _ vector: Int, on h: Harness,
  file: StaticString = #filePath, line: UInt = #line
) {
  if !osfxsr { h.cpu.cr4 &= ~ControlBit.osfxsr }
  h.cpu.cr0 |= cr0
  h.run(code)
  XCTAssertEqual(h.cpu.register(.r15), UInt64(vector), "\(text) with CR0 bits \(cr0)", file: file, line: line)
}
