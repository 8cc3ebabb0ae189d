// The code segment checks of RETF and IRET (SDM Vol. 2B RET, Vol. 2A IRET): a nonconforming code
// segment is returned to only at its own DPL, given by the selector's RPL.

import XCTest

@testable import Machine

final class FarReturnTests: XCTestCase {
  let handler = Harness.code + 0x800

  /// A harness whose #GP handler leaves the error code in R14 and 13 in R15.
  func makeHarness() -> Harness {
    let h = Harness()
    h.setGate64(13, handler: handler)
    h.memory.write(asm("mov r14, [rsp]; mov r15d, 13; hlt"), at: handler)
    h.memory.write(Harness.tssBase + 4, size: 8, value: 0x70000)
    return h
  }

  /// Runs `code` and expects #GP with `errorCode`, taken at CPL 0 (the return did not happen).
  func assertGeneralProtection(_ code: [UInt8], errorCode: UInt64, file: StaticString = #filePath, line: UInt = #line) {
    let h = makeHarness()
    h.run(code)
    XCTAssertEqual(h.cpu.register(.r15), 13, file: file, line: line)
    XCTAssertEqual(h.cpu.register(.r14), errorCode, "#GP(selector)", file: file, line: line)
    XCTAssertEqual(h.cpu.cpl, 0, file: file, line: line)
  }

  func testIRETToACodeSegmentWhoseDPLIsNotTheRPLFaults() {
    // 0x21: the DPL 3 code segment at 0x20 asked for at RPL 1.
    assertGeneralProtection(asm("push 0x2b; push 0x38000; push 0x2; push 0x21; push 0x30000; iretq"), errorCode: 0x20)
  }

  func testRETFToACodeSegmentWhoseDPLIsNotTheRPLFaults() {
    // 0x0B: the DPL 0 code segment at 0x08 asked for at RPL 3.
    assertGeneralProtection(asm("push 0x2b; push 0x38000; push 0x0b; push 0x30000; retfq"), errorCode: 0x08)
  }

  func testRETFToRing3WithMatchingDPLGoesThere() {
    // Ring 3 runs its first instruction; its HLT is then #GP(0), since HLT needs CPL 0.
    let h = makeHarness()
    h.memory.write(asm("mov r13d, 3; hlt"), at: 0x30000)
    h.run(asm("push 0x2b; push 0x38000; push 0x23; push 0x30000; retfq"))
    XCTAssertEqual(h.cpu.register(.r13), 3)
    XCTAssertEqual(h.cpu.register(.r15), 13)
    XCTAssertEqual(h.cpu.register(.r14), 0)
  }
}
