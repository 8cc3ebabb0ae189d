// DR4/DR5 aliasing and CR4.DE (SDM Vol. 3B 18.2.2).

import XCTest

@testable import Machine

final class DebugRegisterAliasTests: XCTestCase {
  func testDR4AliasesDR6OnlyWithoutCR4DE() {
    let handler = Harness.code + 0x800
    let h = Harness()
    h.setGate64(6, handler: handler)
    h.memory.write(asm("mov r15, 6; hlt"), at: handler)
    h.cpu.rax = 0x5555
    h.run(asm("mov dr6, rax; mov rbx, dr4"))
    XCTAssertEqual(
      h.cpu.rbx, 0xFFFE_4FF5, "CR4.DE=0: DR4 is DR6 (B0, B2, BS and RTM written; fixed bits read as 1)")
    XCTAssertEqual(h.cpu.register(.r15), 0)
    h.cpu.cr4 |= 0x8
    h.run(asm("mov rbx, dr4"))
    XCTAssertEqual(h.cpu.register(.r15), 6, "CR4.DE=1: #UD")
  }
}
