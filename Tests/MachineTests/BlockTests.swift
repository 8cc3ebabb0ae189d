// The decoded-block loop (CPU/BlockCache.swift, CPU/Run.swift) must give the same result as running
// one instruction at a time: a store into the running block, a fault in its middle, the slice
// limit inside a block or a loop, and a page-crossing block end.

import XCTest

@testable import Machine

final class BlockTests: XCTestCase {
  func testStoreIntoTheRunningBlockChangesTheNextInstruction() {
    // The store patches the immediate of the very next instruction, in the same block: the new
    // bytes must run (SDM Vol. 3A 11.6, self-modifying code).
    let h = Harness()
    h.run(asm("mov byte ptr [rip + next + 1], 2; next: mov eax, 1; inc ebx"))
    XCTAssertEqual(h.cpu.rax, 2)
    XCTAssertEqual(h.cpu.rbx, 1)
  }

  func testFaultInTheMiddleOfABlockLeavesExactState() {
    // No IDT entry for #PF: delivery fails and the machine stops where the fault was raised, with
    // the instructions before it retired and none after it.
    let h = Harness()
    h.cpu.idtr = TableRegister(base: Harness.idtBase, limit: 0)
    h.cpu.rdx = 7
    let reason = h.run(asm("mov eax, 1; mov ebx, 2; mov rcx, qword ptr [0x40000000]; mov edx, 3"))
    guard case .tripleFault(let text) = reason else { return XCTFail("\(reason)") }
    XCTAssertTrue(text.contains("RIP=0x\(String(Harness.code + 10, radix: 16))"), text)
    XCTAssertEqual(h.cpu.rax, 1)
    XCTAssertEqual(h.cpu.rbx, 2)
    XCTAssertEqual(h.cpu.rdx, 7, "the instruction after the fault must not run")
    XCTAssertEqual(h.cpu.cr2, 0x4000_0000)
    XCTAssertEqual(h.machine.stats.instructionsRetired, 2)
  }

  func testSliceLimitInsideABlockStopsAtTheInstructionBoundary() {
    // Every instruction costs one cycle: those starting before the limit run, no more.
    let h = Harness()
    let reason = h.run(asm("inc eax; inc eax; inc eax; inc eax; inc eax; inc eax; inc eax; inc eax"), cycles: 5)
    XCTAssertEqual(reason, .cycleLimit)
    XCTAssertEqual(h.cpu.rax, 5)
    XCTAssertEqual(h.machine.stats.instructionsRetired, 5)
    XCTAssertEqual(h.cpu.rip, Harness.code + 10)
    // The rest of the block runs in the next slice.
    XCTAssertEqual(h.machine.run(until: 1_000), .halted)
    XCTAssertEqual(h.cpu.rax, 8)
  }

  func testSelfLoopStopsExactlyAtTheLimit() {
    // Instruction k starts at cycle k: 1001 instructions start before cycle 1001, 501 of them INC.
    let h = Harness()
    XCTAssertEqual(h.run(asm("1: inc eax; jmp 1b"), cycles: 1001), .cycleLimit)
    XCTAssertEqual(h.cpu.rax, 501)
    XCTAssertEqual(h.machine.stats.instructionsRetired, 1001)
    XCTAssertEqual(h.machine.stats.cycles, 1001)
  }

  func testTakenAndNotTakenBranchesInsideABlock() {
    // A Jcc not taken goes on within its block, a taken one leaves it; both land where they should.
    let h = Harness()
    h.run(asm("xor eax, eax; cmp eax, 1; je 1f; add eax, 2; cmp eax, 2; je 2f; 1: add eax, 100; 2: add eax, 4"))
    XCTAssertEqual(h.cpu.rax, 6)
  }

  func testCallAndReturnThroughAFollowedCall() {
    // The block follows the direct CALL into the function; RET returns to the caller's next line.
    let h = Harness()
    h.run(asm("mov ecx, 3; 1: call fn; dec ecx; jnz 1b; jmp 2f; fn: add eax, 5; ret; 2: nop"))
    XCTAssertEqual(h.cpu.rax, 15)
    XCTAssertEqual(h.cpu.rsp, Harness.stackTop)
  }

  func testCodeLargerThanTheArenaRunsAfterEveryBlockIsDropped() {
    // More straight-line code than the block arena holds, run twice: decoding fills the arena, a
    // full arena drops every block and starts again, and the second pass decodes what was dropped.
    let h = Harness()
    let count = BlockCache.arenaSize + 8 * BlockCache.capacity
    // inc eax (FF C0) `count` times; dec ecx; jnz back to the start (and the harness's HLT).
    var code = [UInt8](repeating: 0, count: 2 * count)
    for k in 0..<count { (code[2 * k], code[2 * k + 1]) = (0xFF, 0xC0) }
    let back = -(code.count + 2 + 6)
    code += [0xFF, 0xC9, 0x0F, 0x85] + withUnsafeBytes(of: Int32(back).littleEndian, Array.init)
    h.cpu.rcx = 2
    XCTAssertEqual(h.run(code, cycles: 100_000_000), .halted)
    XCTAssertEqual(h.cpu.rax, UInt64(2 * count))
    XCTAssertEqual(h.machine.stats.instructionsRetired, UInt64(2 * count + 5), "INCs, two DECs and JNZs, HLT")
    XCTAssertLessThan(h.cpu.blocks.arenaUsed, count, "the arena was never full")
  }
}
