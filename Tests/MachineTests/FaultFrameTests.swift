// What fault delivery pushes (RFLAGS.RF) and base-register canonical checks (SDM Vol. 3A 6.12, 18.3.1.1).

import XCTest

@testable import Machine

final class FaultFrameTests: XCTestCase {
  let handler = Harness.code + 0x800

  func testFaultsPushRFLAGSWithResumeFlag() {
    // SDM Vol. 3A 18.3.1.1: a fault's saved RFLAGS has RF set; a trap's (INT3) does not.
    let h = Harness()
    h.setGate64(6, handler: handler)
    h.setGate64(3, handler: handler)
    h.memory.write(asm("mov r15, [rsp + 16]; hlt"), at: handler)
    h.run(asm("ud2"))
    XCTAssertEqual(h.cpu.register(.r15) & Flag.rf, Flag.rf)
    let t = Harness()
    t.setGate64(3, handler: handler)
    t.memory.write(asm("mov r15, [rsp + 16]; hlt"), at: handler)
    t.run(asm("int3"))
    XCTAssertEqual(t.cpu.register(.r15) & Flag.rf, 0)
  }

  func testLGDTWithANonCanonicalBaseIsGP() {
    let h = Harness()
    h.setGate64(13, handler: handler)
    h.memory.write(asm("mov r15, 13; hlt"), at: handler)
    h.memory.write(Harness.data, size: 2, value: 0xFFFF)
    h.memory.write(Harness.data + 2, size: 8, value: 0xAAAA_AAAA_AAAA_AAAA)
    h.run(asm("lgdt [0x20000]"))
    XCTAssertEqual(h.cpu.register(.r15), 13)
    XCTAssertEqual(h.cpu.gdtr.base, Harness.gdtBase, "GDTR unchanged")
  }
}
