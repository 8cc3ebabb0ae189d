// Near indirect branches and returns to a non-canonical address: #GP(0) reported at the branch, with
// the stack as it was (SDM Vol. 2A JMP, CALL, RET, "64-Bit Mode Exceptions").

import XCTest

@testable import Machine

final class NoncanonicalBranchTests: XCTestCase {
  let handler = Harness.code + 0x800
  let noncanonical: UInt64 = 0xAAAA_AAAA_AAAA_AAAA

  func testIndirectBranchesAndReturnsFaultAtTheBranch() {
    // Each snippet starts with a 7-byte instruction (mov rbx, imm32), so the branch is at code + 7.
    for (text, code) in [
      ("mov rbx, 1; jmp rax", asm("mov rbx, 1; jmp rax")),
      ("mov rbx, 1; call rax", asm("mov rbx, 1; call rax")),
      ("mov rbx, 1; jmp qword ptr [rsi]", asm("mov rbx, 1; jmp qword ptr [rsi]")),
      ("mov rbx, 1; call qword ptr [rsi]", asm("mov rbx, 1; call qword ptr [rsi]")),
      ("mov rbx, 1; push rax; ret", asm("mov rbx, 1; push rax; ret")),
      ("mov rbx, 1; push rax; ret 8", asm("mov rbx, 1; push rax; ret 8")),
    ] {
      let h = Harness()
      h.setGate64(13, handler: handler)
      // The handler pops the error code and keeps the frame's RIP in R14 and its RSP in R13.
      h.memory.write(asm("pop r12; mov r14, [rsp]; mov r13, [rsp + 24]; hlt"), at: handler)
      h.memory.write(Harness.data, size: 8, value: noncanonical)
      h.cpu.rax = noncanonical
      h.cpu.rsi = Harness.data
      h.run(code)
      let pushes: UInt64 = text.contains("push") ? 8 : 0
      XCTAssertEqual(h.cpu.register(.r14), Harness.code + 7 + (pushes == 8 ? 1 : 0), text)
      XCTAssertEqual(h.cpu.register(.r13), Harness.stackTop - pushes, "\(text): the stack is unchanged")
      XCTAssertEqual(h.cpu.register(.r12), 0, "error code 0")
    }
  }
}
