// The local APIC through what a guest does with it: MMIO stores and loads, WRMSR, CR8, and the
// interrupts it delivers (SDM Vol. 3A chapter 11).

import XCTest

@testable import Machine

final class LocalAPICTests: XCTestCase {
  let apic: UInt64 = 0xFEE0_0000
  let handler = Harness.code + 0x800

  /// A harness with the APIC page mapped by the identity map (1 GiB of 2 MiB pages does not reach
  /// 0xFEE00000, so map the APIC's 2 MiB page too) and the APIC software-enabled.
  func makeHarness() -> Harness {
    let h = Harness()
    // PDPT[3] -> a PD whose entry 0x1F7 maps 0xFEE00000 as a 2 MiB page (cache-disabled).
    let pd3: UInt64 = 0x7000
    h.memory.write(Harness.pdpt + 3 * 8, size: 8, value: pd3 | 3)
    h.memory.write(pd3 + 0x1F7 * 8, size: 8, value: 0xFEE0_0000 | 0x9B)
    h.cpu.rbx = 0xFEE0_0000  // the snippets address the registers from RBX
    return h
  }

  func write(_ h: Harness, _ register: UInt64, _ value: UInt32) {
    h.memory.write(apic + register, size: 4, value: UInt64(value))
  }

  func read(_ h: Harness, _ register: UInt64) -> UInt32 {
    UInt32(h.memory.read(apic + register, size: 4))
  }

  func testResetStateMatchesTheSDMAndPCFirmware() {
    let h = makeHarness()
    XCTAssertEqual(read(h, 0x30), 0x0005_0014, "version 0x14, six LVT entries")
    XCTAssertEqual(read(h, 0xF0), 0xFF, "software-disabled, spurious vector 0xFF")
    XCTAssertEqual(read(h, 0xE0), 0xFFFF_FFFF)
    XCTAssertEqual(read(h, 0x320), 0x1_0000, "timer masked")
    XCTAssertEqual(read(h, 0x350), 0x700, "LINT0 ExtINT: the 8259 is wired there")
    XCTAssertEqual(read(h, 0x360), 0x400, "LINT1 NMI")
    h.cpu.rcx = 0x1B
    h.run(asm("rdmsr"))
    XCTAssertEqual(h.cpu.rax, 0xFEE0_0900, "default base, enabled, BSP")
  }

  func testSelfIPIIsDeliveredAndEndOfInterruptRetiresIt() {
    let h = makeHarness()
    h.setGate64(0x40, handler: handler)
    // The handler reads ISR word 2 (vectors 0x40-0x5F) before and after the EOI.
    h.memory.write(
      asm(
        "mov eax, [rbx + 0x120]; mov r14, rax; mov dword ptr [rbx + 0xB0], 0; mov eax, [rbx + 0x120]; mov r15, rax; hlt"
      ),
      at: handler)
    write(h, 0xF0, 0x1FF)
    h.cpu.rflags |= Flag.if
    // ICR: fixed, vector 0x40, shorthand self.
    h.run(asm("mov dword ptr [rbx + 0x300], 0x40040; nop; nop"))
    XCTAssertEqual(h.cpu.register(.r14), 1, "vector 0x40 in service in the handler")
    XCTAssertEqual(h.cpu.register(.r15), 0, "EOI cleared it")
    XCTAssertEqual(read(h, 0x200 + 0x20), 0, "nothing left requested")
  }

  func testTaskPriorityHoldsBackLowerClassesUntilLowered() {
    let h = makeHarness()
    h.setGate64(0x51, handler: handler)
    h.memory.write(asm("mov r15, 0x51; hlt"), at: handler)
    write(h, 0xF0, 0x1FF)
    h.cpu.rflags |= Flag.if
    // CR8 = 5 blocks class 5; the request waits in IRR.
    h.run(asm("mov rax, 5; mov cr8, rax; mov dword ptr [rbx + 0x300], 0x40051; nop; hlt"))
    XCTAssertEqual(h.cpu.register(.r15), 0)
    XCTAssertEqual(read(h, 0x80), 0x50, "CR8 is TPR[7:4]")
    XCTAssertEqual(read(h, 0x200 + 0x20), 1 << 0x11, "vector 0x51 requested")
    XCTAssertEqual(read(h, 0xA0), 0x50, "PPR = TPR while nothing is in service")
    h.cpu.isHalted = false
    h.run(asm("xor eax, eax; mov cr8, rax; nop"))
    XCTAssertEqual(h.cpu.register(.r15), 0x51)
    XCTAssertEqual(read(h, 0x100 + 0x20), 1 << 0x11, "in service")
    XCTAssertEqual(read(h, 0xA0), 0x50, "PPR = the class in service")
  }

  func testSelfNMIAndIllegalVectorError() {
    let h = makeHarness()
    h.setGate64(2, handler: handler)
    h.memory.write(asm("mov r15, 2; hlt"), at: handler)
    write(h, 0xF0, 0x1FF)
    h.run(asm("mov dword ptr [rbx + 0x300], 0x40402; nop"))
    XCTAssertEqual(h.cpu.register(.r15), 2, "NMI delivered through vector 2")
    write(h, 0x300, 0x4_0005)  // fixed, vector 5: illegal
    write(h, 0x280, 0)
    XCTAssertEqual(read(h, 0x280), 0x60, "send and receive illegal vector")
    write(h, 0x280, 0)
    XCTAssertEqual(read(h, 0x280), 0, "errors are moved to ESR once")
  }

  func testAnNMIWaitsForTheIRETOfTheNMIHandler() {
    // SDM Vol. 3A 6.7.1: each handler sends itself another NMI; it must arrive only after the IRET,
    // so every handler runs on the same stack depth instead of nesting.
    let h = makeHarness()
    h.setGate64(2, handler: handler)
    h.memory.write(asm("inc r15; mov r14, rsp; mov dword ptr [rbx + 0x300], 0x40400; nop; iretq"), at: handler)
    write(h, 0xF0, 0x1FF)
    h.run(asm("mov dword ptr [rbx + 0x300], 0x40400; nop"), cycles: 3000)
    XCTAssertGreaterThan(h.cpu.register(.r15), 10, "NMIs keep coming, one per IRET")
    XCTAssertEqual(h.cpu.register(.r14), Harness.stackTop - 40, "never nested")
  }

  func testOneShotTimerCountsDownAndInterrupts() {
    let h = makeHarness()
    h.setGate64(0x30, handler: handler)
    h.memory.write(asm("mov r15, 0x30; hlt"), at: handler)
    write(h, 0xF0, 0x1FF)
    write(h, 0x3E0, 0xB)  // divide by 1
    write(h, 0x320, 0x30)  // one-shot, vector 0x30
    let start = h.cpu.cycles
    write(h, 0x380, 1000)
    XCTAssertEqual(read(h, 0x390), 1000)
    h.cpu.rflags |= Flag.if
    h.run(asm("sti; hlt"), cycles: 100_000)
    XCTAssertEqual(h.cpu.register(.r15), 0x30)
    let elapsed = h.cpu.cycles - start
    XCTAssertGreaterThanOrEqual(elapsed, 1000)
    XCTAssertLessThan(elapsed, 1100, "the HLT waited for the expiry, not longer")
    XCTAssertEqual(read(h, 0x390), 0, "a one-shot count stays at zero")
  }

  func testPeriodicTimerReloadsAndDividerScalesTheCount() {
    let h = makeHarness()
    write(h, 0xF0, 0x1FF)
    write(h, 0x3E0, 0x3)  // divide by 16
    write(h, 0x320, 0x1_0000 | (1 << 17) | 0x30)  // masked, periodic
    write(h, 0x380, 100)
    h.cpu.cycles += 16 * 250
    XCTAssertEqual(read(h, 0x390), 50, "250 counts of a 100 period: 50 left")
  }

  func testTSCDeadlineFiresAtTheDeadline() {
    let h = makeHarness()
    h.setGate64(0x31, handler: handler)
    h.memory.write(asm("mov r15, 0x31; hlt"), at: handler)
    write(h, 0xF0, 0x1FF)
    write(h, 0x320, (2 << 17) | 0x31)
    let deadline = h.cpu.cycles + 5000
    h.cpu.rcx = 0x6E0
    h.cpu.rax = deadline & 0xFFFF_FFFF
    h.cpu.rdx = deadline >> 32
    h.cpu.rflags |= Flag.if
    h.run(asm("wrmsr; sti; hlt"), cycles: 100_000)
    XCTAssertEqual(h.cpu.register(.r15), 0x31)
    XCTAssertGreaterThanOrEqual(h.cpu.cycles, deadline)
    XCTAssertLessThan(h.cpu.cycles, deadline + 100)
  }

  func testGloballyDisablingTheAPICHidesItsPageAndCPUIDBit() {
    let h = makeHarness()
    h.cpu.rcx = 0x1B
    h.cpu.rax = 0xFEE0_0000
    h.cpu.rdx = 0
    h.run(asm("wrmsr"))
    XCTAssertEqual(read(h, 0x30), 0xFFFF_FFFF, "no register page while disabled")
    h.run(asm("mov eax, 1; cpuid"))
    XCTAssertEqual(h.cpu.rdx & (1 << 9), 0)
    // Reserved bits of IA32_APIC_BASE (x2APIC mode here) are #GP.
    h.setGate64(13, handler: handler)
    h.memory.write(asm("mov r15, 13; hlt"), at: handler)
    h.cpu.rcx = 0x1B
    h.cpu.rax = 0xFEE0_0C00
    h.run(asm("wrmsr"))
    XCTAssertEqual(h.cpu.register(.r15), 13)
  }

  func testTheEightBitPICStillInterruptsThroughLINT0() {
    let h = makeHarness()
    final class OneInterrupt: InterruptController {
      var pending = true
      var hasPendingInterrupt: Bool { pending }
      func acknowledge() -> UInt8 {
        pending = false
        return 0x20
      }
    }
    let pic = OneInterrupt()
    h.machine.interruptController = pic
    h.setGate64(0x20, handler: handler)
    h.memory.write(asm("mov r15, 0x20; hlt"), at: handler)
    h.run(asm("sti; nop; nop"))
    XCTAssertEqual(h.cpu.register(.r15), 0x20)
  }
}
