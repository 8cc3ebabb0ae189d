// Hardware task switches in 32-bit protected mode (SDM Vol. 3A 8.3).

import XCTest

@testable import Machine

final class TaskSwitchTests: XCTestCase {
  let taskTSS: UInt64 = 0x7000
  let taskCode: UInt64 = 0x11000

  /// A 32-bit harness with a second TSS (selector 0x38) whose task runs `code` at `taskCode`.
  func makeHarness(taskRuns code: [UInt8]) -> Harness {
    let h = Harness(.protected32)
    // The running task's TSS descriptor is busy, as LTR leaves it.
    let running = h.read(Harness.gdtBase + 0x30 + 5, size: 1)
    h.memory.write(Harness.gdtBase + 0x30 + 5, size: 1, value: running | 2)
    // Available 32-bit TSS at taskTSS, limit 0x67 (SDM Vol. 3A figure 8-3).
    h.memory.write(Harness.gdtBase + 0x38, size: 8, value: 0x0000_8900_0000_0067 | (taskTSS << 16))
    h.memory.write(taskTSS + 0x20, size: 4, value: taskCode)  // EIP
    h.memory.write(taskTSS + 0x24, size: 4, value: 0x2)  // EFLAGS
    h.memory.write(taskTSS + 0x38, size: 4, value: 0x60000)  // ESP
    for (offset, selector) in [(0x48, 0x10), (0x4C, 0x18), (0x50, 0x10), (0x54, 0x10), (0x58, 0x10), (0x5C, 0x10)] {
      h.memory.write(taskTSS + UInt64(offset), size: 4, value: UInt64(selector))
    }
    h.memory.write(code, at: taskCode)
    return h
  }

  func testCallToATSSRunsTheTaskAndIRETReturns() {
    // The task stores a mark and returns with IRET (NT is set, the link names the caller).
    let h = makeHarness(taskRuns: asm32("mov dword ptr [0x20000], 0x1234; mov edi, 7; iretd"))
    h.cpu.rdi = 0x55
    h.run([0x9A, 0, 0, 0, 0, 0x38, 0] + asm32("mov esi, 1"))
    XCTAssertEqual(h.read(0x20000, size: 4), 0x1234, "the task ran")
    XCTAssertEqual(h.cpu.rsi, 1, "and returned to the instruction after the CALL")
    XCTAssertEqual(h.cpu.rdi, 0x55, "the caller's registers came back from its TSS")
    XCTAssertEqual(h.read(taskTSS, size: 2), 0x30, "previous-task link")
    XCTAssertEqual(h.read(taskTSS + 0x3C + 8, size: 4), 7, "the task's EDI saved in its TSS")
    XCTAssertEqual(h.cpu.cr0 & 8, 8, "CR0.TS set by the switch")
    XCTAssertEqual(h.cpu.tr.selector, 0x30)
    XCTAssertEqual(h.read(Harness.gdtBase + 0x38 + 5, size: 1) & 2, 0, "the returned-from task is free again")
  }

  func testAnInterruptThroughATaskGate() {
    let h = makeHarness(taskRuns: asm32("mov dword ptr [0x20000], 0x40; iretd"))
    // IDT[0x40]: a task gate (type 5, DPL 0) for selector 0x38.
    h.memory.write(Harness.idtBase + 0x40 * 8, size: 8, value: 0x0000_8500_0038_0000)
    h.run(asm32("int 0x40; mov esi, 2"))
    XCTAssertEqual(h.read(0x20000, size: 4), 0x40)
    XCTAssertEqual(h.cpu.rsi, 2)
  }

  func testTheTSSTrapFlagRaisesADebugTrapBeforeTheTasksFirstInstruction() {
    // The #DB handler notes DR6 and the EIP it interrupted, then halts (SDM Vol. 3B 18.3.1.5).
    let h = makeHarness(taskRuns: asm32("mov esi, 5; iretd"))
    h.memory.write(taskTSS + 0x64, size: 2, value: 1)
    h.setGate32(1, handler: Harness.code + 0x800)
    h.memory.write(asm32("mov ebx, dr6; mov ecx, [esp]; hlt"), at: Harness.code + 0x800)
    h.run([0x9A, 0, 0, 0, 0, 0x38, 0])
    XCTAssertEqual(h.cpu.rbx & 0xE00F, 0x8000, "DR6.BT alone")
    XCTAssertEqual(h.cpu.rcx, taskCode, "before the task's first instruction")
    XCTAssertEqual(h.cpu.rsi, 0, "which has not run")
    XCTAssertEqual(h.cpu.tr.selector, 0x38, "in the new task")
  }

  func testABusyTaskCannotBeCalled() {
    let h = makeHarness(taskRuns: [0xF4])
    h.setGate32(13, handler: Harness.code + 0x800)
    h.memory.write(asm32("mov esi, 13; hlt"), at: Harness.code + 0x800)
    h.memory.write(Harness.gdtBase + 0x38, size: 8, value: 0x0000_8B00_0000_0067 | (taskTSS << 16))
    h.run([0x9A, 0, 0, 0, 0, 0x38, 0])
    XCTAssertEqual(h.cpu.rsi, 13, "#GP")
  }
}
