// Single-stepping across SYSCALL and SYSRET: the trap follows the RFLAGS the instruction leaves, not
// those it found (a TF that SFMASK clears does not trap in the kernel; a TF that SYSRET loads from R11
// traps right after it). Xen XSA-204 and KVM's emulator behave so; kvm-unit-tests syscall checks it.

import XCTest

@testable import Machine

final class SystemCallSingleStepTests: XCTestCase {
  let target = Harness.code + 0x800
  let debugHandler = Harness.code + 0x900

  func machine() -> Harness {
    let h = Harness()
    h.cpu.lstar = target
    h.cpu.star = (0x10 << 48) | (0x08 << 32)
    h.setGate64(1, handler: debugHandler)
    // The #DB handler keeps the frame's RIP in R14 and CS in R13.
    h.memory.write(asm("mov r14, [rsp]; mov r13, [rsp + 8]; hlt"), at: debugHandler)
    h.memory.write(asm("mov r15, 1; hlt"), at: target)
    h.memory.write(Harness.tssBase + 4, size: 8, value: Harness.stackTop - 0x1000)  // RSP0
    return h
  }

  func testSyscallThatMasksTFDoesNotTrap() {
    let h = machine()
    h.cpu.sfmask = Flag.tf
    h.run(asm("pushfq; or qword ptr [rsp], 0x100; popfq; syscall"))
    XCTAssertEqual(h.cpu.register(.r15), 1, "the kernel ran")
    XCTAssertEqual(h.cpu.register(.r14), 0, "no #DB")
  }

  func testSyscallThatKeepsTFTrapsAtTheTarget() {
    let h = machine()
    h.cpu.sfmask = 0
    h.run(asm("pushfq; or qword ptr [rsp], 0x100; popfq; syscall"))
    XCTAssertEqual(h.cpu.register(.r14), target, "#DB before the target's first instruction")
  }

  func testSysretThatLoadsTFTrapsRightAfterIt() {
    let h = machine()
    let user = Harness.code + 0x400
    h.memory.write([0x90, 0x90, 0xF4], at: user)
    h.cpu.rcx = user
    h.cpu.setRegister(.r11, Flag.reserved1 | Flag.tf)
    h.run(asm("sysretq"))
    XCTAssertEqual(h.cpu.register(.r14), user, "#DB before the first user instruction")
    XCTAssertEqual(h.cpu.register(.r13), 0x23, "in user code")
  }
}
