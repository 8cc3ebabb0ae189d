// The debugger's view of the machine (Debug/): breakpoints stop before their instruction, exactly,
// wherever it sits in a decoded block; watchpoints stop after the accessing instruction; a step runs
// one instruction; the debugger's own reads change nothing.

import XCTest

@testable import Machine

final class DebugTests: XCTestCase {
  private func load(_ h: Harness, _ code: [UInt8]) {
    h.memory.write(code + [0xF4], at: Harness.code)
    h.cpu.rip = Harness.code
  }

  func testBreakpointInTheMiddleOfABlockStopsBeforeItsInstruction() {
    let h = Harness()
    let code = asm("mov eax, 1; mov ebx, 2; mov ecx, 3; mov edx, 4")
    load(h, code)
    // Decode the block once without the breakpoint, so the breakpoint must cut a cached block.
    XCTAssertEqual(h.machine.run(until: 2), .cycleLimit)
    h.cpu.rip = Harness.code
    h.cpu.rax = 0
    h.cpu.rbx = 0
    let before = h.machine.stats.instructionsRetired
    h.cpu.setBreakpoint(at: Harness.code + 10, true)  // mov ecx, 3
    XCTAssertEqual(h.machine.run(), .breakpoint)
    XCTAssertEqual(h.cpu.rip, Harness.code + 10)
    XCTAssertEqual(h.cpu.rbx, 2)
    XCTAssertEqual(h.cpu.rcx, 0, "the instruction at the breakpoint has not run")
    XCTAssertEqual(h.machine.stats.instructionsRetired - before, 2)
    XCTAssertEqual(Array(h.memory.bytes(at: Harness.code, count: code.count)), code, "guest memory is not patched")
    h.cpu.resumeOverBreakpoint()
    XCTAssertEqual(h.machine.run(), .halted)
    XCTAssertEqual(h.cpu.rdx, 4)
  }

  func testBreakpointInALoopStopsOnEveryIteration() {
    let h = Harness()
    load(h, asm("mov ecx, 5; top: inc eax; dec ecx; jnz top"))
    h.cpu.setBreakpoint(at: Harness.code + 5, true)  // inc eax, the loop's first instruction
    var hits = 0
    while h.machine.run() == .breakpoint {
      hits += 1
      XCTAssertEqual(h.cpu.rax, UInt64(hits - 1))
      h.cpu.resumeOverBreakpoint()
    }
    XCTAssertEqual(hits, 5)
    XCTAssertEqual(h.cpu.rax, 5)
  }

  func testClearedBreakpointNoLongerStops() {
    let h = Harness()
    load(h, asm("mov eax, 1; mov ebx, 2"))
    h.cpu.setBreakpoint(at: Harness.code + 5, true)
    h.cpu.setBreakpoint(at: Harness.code + 5, false)
    XCTAssertEqual(h.machine.run(), .halted)
    XCTAssertEqual(h.cpu.rbx, 2)
  }

  func testWriteWatchpointStopsAfterTheStore() {
    let h = Harness()
    load(h, asm("mov eax, 0x1234; mov word ptr [0x20002], ax; mov ebx, 2"))
    h.cpu.setWatchpoint(Watchpoint(kind: .write, address: 0x20003, length: 1), true)
    let reason = h.machine.run()
    XCTAssertEqual(
      reason,
      .watchpoint(WatchpointHit(watchpoint: Watchpoint(kind: .write, address: 0x20003, length: 1), address: 0x20003)))
    XCTAssertEqual(h.memory.read(0x20002, size: 2), 0x1234, "the store completed")
    XCTAssertEqual(h.cpu.rbx, 0, "the next instruction has not run")
    XCTAssertEqual(h.cpu.rip, Harness.code + 13)
    XCTAssertEqual(h.machine.run(), .halted)
    XCTAssertEqual(h.cpu.rbx, 2)
  }

  func testReadWatchpointIgnoresWritesAndAccessWatchpointSeesBoth() {
    let h = Harness()
    load(h, asm("mov dword ptr [0x20000], 7; mov eax, dword ptr [0x20000]; mov ebx, 1"))
    h.cpu.setWatchpoint(Watchpoint(kind: .read, address: 0x20000, length: 4), true)
    guard case .watchpoint = h.machine.run() else { return XCTFail("no stop") }
    XCTAssertEqual(h.cpu.rax, 7, "stopped after the load, not after the store")
    XCTAssertEqual(h.cpu.rbx, 0)

    let a = Harness()
    load(a, asm("mov dword ptr [0x20000], 7; mov eax, dword ptr [0x20000]; mov ebx, 1"))
    a.cpu.setWatchpoint(Watchpoint(kind: .access, address: 0x20000, length: 4), true)
    guard case .watchpoint = a.machine.run() else { return XCTFail("no stop") }
    XCTAssertEqual(a.cpu.rax, 0, "stopped after the store")
    guard case .watchpoint = a.machine.run() else { return XCTFail("no second stop") }
    XCTAssertEqual(a.cpu.rax, 7)
  }

  func testWatchpointInARepeatedStoreStopsAfterThatElement() {
    // A data breakpoint in a REP string stops between iterations, RIP still on the instruction and
    // RCX counting what is left (SDM Vol. 3A 17.3.1.2).
    let h = Harness()
    load(h, asm("mov rdi, 0x20000; mov ecx, 100; mov al, 0xAA; rep stosb; mov ebx, 1"))
    h.cpu.setWatchpoint(Watchpoint(kind: .write, address: 0x20010, length: 1), true)
    guard case .watchpoint(let hit) = h.machine.run() else { return XCTFail("no stop") }
    XCTAssertEqual(hit.address, 0x20010)
    XCTAssertEqual(h.cpu.register(Reg.rcx), 100 - 17)
    XCTAssertEqual(h.cpu.register(Reg.rdi), 0x20011)
    XCTAssertEqual(h.memory.read(0x20011, size: 1), 0, "the next element is not written yet")
    XCTAssertEqual(h.machine.run(), .halted)
    XCTAssertEqual(h.cpu.register(Reg.rcx), 0)
    XCTAssertEqual(h.memory.read(0x20063, size: 1), 0xAA)
  }

  func testStepRunsExactlyOneInstructionEvenAtABreakpoint() {
    let h = Harness()
    load(h, asm("mov eax, 1; mov ebx, 2; mov ecx, 3"))
    h.cpu.setBreakpoint(at: Harness.code, true)
    XCTAssertEqual(h.machine.step(), .stepped)
    XCTAssertEqual(h.cpu.rax, 1)
    XCTAssertEqual(h.cpu.rbx, 0)
    XCTAssertEqual(h.machine.step(), .stepped)
    XCTAssertEqual(h.cpu.rbx, 2)
    XCTAssertEqual(h.cpu.rip, Harness.code + 10)
    XCTAssertEqual(h.machine.stats.instructionsRetired, 2)
  }

  func testDebugReadsFollowPagingAndChangeNothing() {
    let h = Harness()
    h.memory.write([1, 2, 3, 4], at: 0x20000)
    let pde = h.memory.read(Harness.pd, size: 8) & ~0x20  // clear the accessed bit
    h.memory.write(Harness.pd, size: 8, value: pde)
    XCTAssertEqual(h.cpu.debugRead(linear: 0x20000, count: 4), [1, 2, 3, 4])
    XCTAssertEqual(h.memory.read(Harness.pd, size: 8), pde, "no accessed bit set by the debugger")
    XCTAssertNil(h.cpu.debugRead(linear: 0x4000_0000, count: 1), "beyond the mapped 1 GiB")
    XCTAssertNil(h.cpu.debugRead(linear: 0x8000_0000_0000, count: 1), "non-canonical")
    XCTAssertEqual(h.cpu.cr2, 0)
    h.memory.write(Harness.pd + 8, size: 8, value: 0)  // unmap 2-4 MiB
    h.cpu.flushTLB()
    XCTAssertFalse(h.cpu.debugWrite(linear: 0x1F_FFFF, [9, 9]), "a write that runs off the mapping writes nothing")
    XCTAssertEqual(h.memory.read(0x1F_FFFF, size: 1), 0)
  }

  func testDebugWriteIntoCachedCodeIsSeen() {
    let h = Harness()
    load(h, asm("mov eax, 1; mov ebx, 2"))
    XCTAssertEqual(h.machine.run(), .halted)
    XCTAssertTrue(h.cpu.debugWrite(linear: Harness.code + 1, [5]))
    h.cpu.rip = Harness.code
    XCTAssertEqual(h.machine.run(), .halted)
    XCTAssertEqual(h.cpu.rax, 5)
  }

  func testMappingsListTheIdentityMap() {
    let h = Harness()
    let maps = h.cpu.mappings()
    XCTAssertEqual(maps.count, 1)
    XCTAssertEqual(maps.first?.linear, 0)
    XCTAssertEqual(maps.first?.size, 1 << 30)
    XCTAssertEqual(maps.first?.rights, Mapping.Rights(writable: true, user: true, executable: true))
    // A read-only, supervisor 2 MiB page splits the range in three.
    h.memory.write(Harness.pd + 8, size: 8, value: (1 << 21) | 0x81)
    let split = h.cpu.mappings()
    XCTAssertEqual(split.map(\.linear), [0, 1 << 21, 2 << 21])
    XCTAssertEqual(split[1].rights, Mapping.Rights(writable: false, user: false, executable: true))
  }
}
