// CR4.UMIP (SDM Vol. 3A 2.5; Vol. 2B SGDT, SIDT, SLDT, SMSW, STR): the stores of system registers
// are #GP(0) above CPL 0, and only there.

import XCTest

@testable import Machine

final class UserModeInstructionPreventionTests: XCTestCase {
  let handler = Harness.code + 0x800

  /// The vector that ended `user` run at CPL 3 (0x80: it ran to its INT 0x80), with or without UMIP.
  func vector(running user: [UInt8], umip: Bool) -> UInt64 {
    let h = Harness()
    if umip { h.cpu.cr4 |= ControlBit.umip }
    h.memory.write(Harness.tssBase + 4, size: 8, value: 0x70000)
    h.recordVectors([6, 13, 14], handlers: handler)
    h.setGate64(0x80, handler: handler + 0x400, dpl: 3)
    h.memory.write(asm("mov r15, 0x80; hlt"), at: handler + 0x400)
    h.memory.write(user + asm("int 0x80"), at: 0x30000)
    h.run(asm("push 0x2b; push 0x38000; push 0x2; push 0x23; push 0x30000; iretq"))
    return h.cpu.register(.r15)
  }

  func testTheFiveStoresFaultAtCPL3OnlyWithUMIP() {
    for (name, code) in [
      ("SGDT", asm("sgdt [0x37000]")), ("SIDT", asm("sidt [0x37000]")), ("SLDT", asm("sldt ax")),
      ("STR", asm("str ax")), ("SMSW", asm("smsw eax")),
    ] {
      XCTAssertEqual(vector(running: code, umip: false), 0x80, name)
      XCTAssertEqual(vector(running: code, umip: true), 13, name)
    }
  }

  func testCPL0IsNotAffectedAndCPUIDReportsUMIP() {
    let h = Harness()
    h.cpu.rax = h.cpu.cr4 | ControlBit.umip
    h.run(asm("mov cr4, rax; sgdt [0x37000]; smsw ebx"))
    XCTAssertEqual(h.read(0x37002), Harness.gdtBase)
    XCTAssertEqual(h.cpu.rbx & 1, 1)
    XCTAssertNotEqual(h.cpu.cpuid(leaf: 7, subleaf: 0).2 & (1 << 2), 0)
  }
}
