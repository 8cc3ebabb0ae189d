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
    XCTAssertEqual(h.cpu.register(14), 1, "vector 0x40 in service in the handler")
    XCTAssertEqual(h.cpu.register(15), 0, "EOI cleared it")
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
    XCTAssertEqual(h.cpu.register(15), 0)
    XCTAssertEqual(read(h, 0x80), 0x50, "CR8 is TPR[7:4]")
    XCTAssertEqual(read(h, 0x200 + 0x20), 1 << 0x11, "vector 0x51 requested")
    XCTAssertEqual(read(h, 0xA0), 0x50, "PPR = TPR while nothing is in service")
    h.cpu.isHalted = false
    h.run(asm("xor eax, eax; mov cr8, rax; nop"))
    XCTAssertEqual(h.cpu.register(15), 0x51)
    XCTAssertEqual(read(h, 0x100 + 0x20), 1 << 0x11, "in service")
    XCTAssertEqual(read(h, 0xA0), 0x50, "PPR = the class in service")
  }

  func testSelfNMIAndIllegalVectorError() {
    let h = makeHarness()
    h.setGate64(2, handler: handler)
    h.memory.write(asm("mov r15, 2; hlt"), at: handler)
    write(h, 0xF0, 0x1FF)
    h.run(asm("mov dword ptr [rbx + 0x300], 0x40402; nop"))
    XCTAssertEqual(h.cpu.register(15), 2, "NMI delivered through vector 2")
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
    XCTAssertGreaterThan(h.cpu.register(15), 10, "NMIs keep coming, one per IRET")
    XCTAssertEqual(h.cpu.register(14), Harness.stackTop - 40, "never nested")
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
    XCTAssertEqual(h.cpu.register(15), 0x30)
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
    XCTAssertEqual(h.cpu.register(15), 0x31)
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
    XCTAssertEqual(h.cpu.register(15), 13)
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
    XCTAssertEqual(h.cpu.register(15), 0x20)
  }
}

final class ModelSpecificRegisterTests: XCTestCase {
  let handler = Harness.code + 0x800

  func wrmsr(_ h: Harness, _ index: UInt32, _ value: UInt64) -> Bool {
    h.setGate64(13, handler: handler)
    h.memory.write(asm("mov r15, 13; hlt"), at: handler)
    h.cpu.setRegister(15, 0)
    h.cpu.rcx = UInt64(index)
    h.cpu.rax = value & 0xFFFF_FFFF
    h.cpu.rdx = value >> 32
    h.run(asm("wrmsr"))
    return h.cpu.register(15) != 13
  }

  func rdmsr(_ h: Harness, _ index: UInt32) -> UInt64 {
    h.cpu.rcx = UInt64(index)
    h.run(asm("rdmsr"))
    return h.cpu.rdx << 32 | h.cpu.rax
  }

  func testSysenterMSRsHoldCanonicalAddresses() {
    let h = Harness()
    XCTAssertTrue(wrmsr(h, 0x175, 0x1234_5678_9ABC))
    XCTAssertEqual(rdmsr(h, 0x175), 0x1234_5678_9ABC)
    XCTAssertFalse(wrmsr(h, 0x176, 0xAAAA_AAAA_AAAA_AAAA), "non-canonical: #GP")
    XCTAssertTrue(wrmsr(h, 0x174, 0x1234))
    XCTAssertEqual(rdmsr(h, 0x174), 0x1234)
    XCTAssertFalse(wrmsr(h, 0xC000_0083, 0xFFAA_AAAA_AAAA_AAAA), "CSTAR is checked too")
  }

  func testPATAcceptsOnlyMemoryTypes() {
    let h = Harness()
    XCTAssertEqual(rdmsr(h, 0x277), 0x0007_0406_0007_0406)
    XCTAssertTrue(wrmsr(h, 0x277, 0x0707_0707))
    XCTAssertEqual(rdmsr(h, 0x277), 0x0707_0707)
    XCTAssertFalse(wrmsr(h, 0x277, 0x02), "type 2 is reserved")
    XCTAssertFalse(wrmsr(h, 0x277, 0x08 << 8), "type 8 is reserved")
  }

  func testMiscEnableKeepsReadOnlyBitsAndRejectsReserved() {
    let h = Harness()
    XCTAssertTrue(wrmsr(h, 0x1A0, 0x4_00C5_0009))
    XCTAssertEqual(rdmsr(h, 0x1A0), 0x4_00C5_0009 | 0x1800)
    XCTAssertFalse(wrmsr(h, 0x1A0, 1 << 1))
  }

  func testRDTSCPAndRDPIDReturnTSCAux() {
    let h = Harness()
    XCTAssertTrue(wrmsr(h, 0xC000_0103, 0x1234))
    XCTAssertFalse(wrmsr(h, 0xC000_0103, 1 << 32), "bits 63:32 reserved")
    h.cpu.rcx = 0
    h.run(asm("rdtscp"))
    XCTAssertEqual(h.cpu.rcx, 0x1234)
    XCTAssertEqual(h.cpu.rdx << 32 | h.cpu.rax, h.cpu.cycles - 2, "the TSC before RDTSCP and the HLT, a cycle each")
    h.run(asm("rdpid rax"))
    XCTAssertEqual(h.cpu.rax, 0x1234)
    h.run(asm("mov eax, 0x80000001; cpuid"))
    XCTAssertEqual(h.cpu.rdx & (1 << 27), 1 << 27, "RDTSCP reported")
    h.run(asm("mov eax, 7; xor ecx, ecx; cpuid"))
    XCTAssertEqual(h.cpu.rcx & (1 << 22), 1 << 22, "RDPID reported")
  }

  func testTSCAdjustFollowsWritesToTheTSC() {
    // SDM Vol. 3B 17.17.3: writing TSC_ADJUST moves the TSC by the change; writing the TSC moves
    // TSC_ADJUST by the same amount.
    let h = Harness()
    XCTAssertEqual(rdmsr(h, 0x3B), 0)
    let before = rdmsr(h, 0x10)
    XCTAssertTrue(wrmsr(h, 0x3B, 1_000_000))
    XCTAssertGreaterThanOrEqual(rdmsr(h, 0x10) - before, 1_000_000)
    XCTAssertTrue(wrmsr(h, 0x3B, 0))
    let tsc = rdmsr(h, 0x10)
    XCTAssertTrue(wrmsr(h, 0x10, tsc + 5_000_000))
    let adjust = rdmsr(h, 0x3B)
    XCTAssertGreaterThan(adjust, 4_900_000)
    XCTAssertLessThan(adjust, 5_000_000, "the cycles between the two reads are not part of the change")
  }

  func testMachineCheckBanksAbsent() {
    let h = Harness()
    XCTAssertEqual(rdmsr(h, 0x179), 0, "no banks")
    XCTAssertFalse(wrmsr(h, 0x400, 0), "MC0_CTL does not exist")
  }
}

final class FaultFrameTests: XCTestCase {
  let handler = Harness.code + 0x800

  func testFaultsPushRFLAGSWithResumeFlag() {
    // SDM Vol. 3A 18.3.1.1: a fault's saved RFLAGS has RF set; a trap's (INT3) does not.
    let h = Harness()
    h.setGate64(6, handler: handler)
    h.setGate64(3, handler: handler)
    h.memory.write(asm("mov r15, [rsp + 16]; hlt"), at: handler)
    h.run(asm("ud2"))
    XCTAssertEqual(h.cpu.register(15) & Flag.rf, Flag.rf)
    let t = Harness()
    t.setGate64(3, handler: handler)
    t.memory.write(asm("mov r15, [rsp + 16]; hlt"), at: handler)
    t.run(asm("int3"))
    XCTAssertEqual(t.cpu.register(15) & Flag.rf, 0)
  }

  func testLGDTWithANonCanonicalBaseIsGP() {
    let h = Harness()
    h.setGate64(13, handler: handler)
    h.memory.write(asm("mov r15, 13; hlt"), at: handler)
    h.memory.write(Harness.data, size: 2, value: 0xFFFF)
    h.memory.write(Harness.data + 2, size: 8, value: 0xAAAA_AAAA_AAAA_AAAA)
    h.run(asm("lgdt [0x20000]"))
    XCTAssertEqual(h.cpu.register(15), 13)
    XCTAssertEqual(h.cpu.gdtr.base, Harness.gdtBase, "GDTR unchanged")
  }
}

final class DecimalAdjustTests: XCTestCase {
  /// Runs one 32-bit BCD instruction on AL (and AH) with CF and AF preset; returns AX and the flags.
  func run(_ code: [UInt8], ax: UInt64, cf: Bool = false, af: Bool = false) -> (ax: UInt64, flags: UInt64) {
    let h = Harness(.protected32)
    h.cpu.rax = ax
    h.cpu.rflags = 0x2 | (cf ? Flag.cf : 0) | (af ? Flag.af : 0)
    h.run(code)
    return (h.cpu.rax & 0xFFFF, h.cpu.rflags)
  }

  func testDAAAndDASFollowTheSDMPseudocode() {
    // Cases from kvm-unit-tests' realmode DAS table (recorded on hardware): AL, flags in, AL and
    // flags out (low byte of EFLAGS).
    let das: [(UInt64, Bool, Bool, UInt64, UInt64)] = [
      (0x00, false, false, 0x00, 0x46), (0x00, true, false, 0xA0, 0x87), (0x00, false, true, 0xFA, 0x97),
      (0x00, true, true, 0x9A, 0x97), (0x06, false, true, 0x00, 0x56), (0x0A, false, false, 0x04, 0x12),
    ]
    for (al, cf, af, out, flags) in das {
      let r = run(asm32("das"), ax: al, cf: cf, af: af)
      XCTAssertEqual(r.ax & 0xFF, out, "DAS \(al) cf \(cf) af \(af)")
      XCTAssertEqual(r.flags & 0xD5, flags & 0xD5, "DAS \(al) cf \(cf) af \(af) flags")
    }
    let daa = run(asm32("daa"), ax: 0x9A)
    XCTAssertEqual(daa.ax & 0xFF, 0x00)
    XCTAssertEqual(daa.flags & (Flag.cf | Flag.af | Flag.zf), Flag.cf | Flag.af | Flag.zf)
    let plain = run(asm32("daa"), ax: 0x12, cf: false)
    XCTAssertEqual(plain.ax & 0xFF, 0x12)
    XCTAssertEqual(plain.flags & Flag.cf, 0, "DAA clears CF when no second adjustment")
  }

  func testASCIIAdjustments() {
    XCTAssertEqual(run(asm32("aaa"), ax: 0x000B).ax, 0x0101)
    XCTAssertEqual(run(asm32("aas"), ax: 0x020F).ax, 0x0109)
    // SDM Vol. 2A AAS: AX - 6 borrows from AH before AH - 1 (QEMU 7.2 gives 0x010A here).
    XCTAssertEqual(run(asm32("aas"), ax: 0x0200, af: true).ax, 0x000A)
    XCTAssertEqual(run(asm32("aam"), ax: 0x0063).ax, 0x0909)  // 99 = 9 * 10 + 9
    XCTAssertEqual(run(asm32("aad"), ax: 0x0909).ax, 0x0063)
    XCTAssertEqual(run(asm32(".byte 0xd6"), ax: 0x1234, cf: true).ax, 0x12FF, "SALC")
  }

  func testTheyAreInvalidIn64BitMode() {
    let h = Harness()
    let handler = Harness.code + 0x800
    h.setGate64(6, handler: handler)
    h.memory.write(asm("mov r15, 6; hlt"), at: handler)
    h.run([0x27])
    XCTAssertEqual(h.cpu.register(15), 6)
  }
}

final class CacheLineFlushTests: XCTestCase {
  let handler = Harness.code + 0x800

  func testFlushesTranslateTheirAddressAndTouchNothing() {
    let h = Harness()
    h.setGate64(14, handler: handler)
    h.memory.write(asm("mov r15, 14; hlt"), at: handler)
    h.memory.write(Harness.data, size: 8, value: 0x1122_3344)
    h.cpu.rax = Harness.data
    h.run(asm("clflush [rax]; clflushopt [rax]; clwb [rax]"))
    XCTAssertEqual(h.cpu.register(15), 0, "mapped: no fault")
    XCTAssertEqual(h.read(Harness.data), 0x1122_3344)
    h.cpu.rax = 0x4000_0000  // beyond the 1 GiB identity map
    h.run(asm("clflush [rax]"))
    XCTAssertEqual(h.cpu.register(15), 14, "an unmapped line faults like a read")
    XCTAssertEqual(h.cpu.cr2, 0x4000_0000)
  }

  func testCPUIDReportsTheFlushes() {
    let h = Harness()
    h.run(asm("mov eax, 1; cpuid"))
    XCTAssertEqual(h.cpu.rdx & (1 << 19), 1 << 19, "CLFSH")
    XCTAssertEqual((h.cpu.rbx >> 8) & 0xFF, 8, "64-byte lines")
    h.run(asm("mov eax, 7; xor ecx, ecx; cpuid"))
    XCTAssertEqual(h.cpu.rbx & (3 << 23), 3 << 23, "CLFLUSHOPT and CLWB")
  }
}

final class SupervisorProtectionTests: XCTestCase {
  let handler = Harness.code + 0x800

  /// The first 2 MiB (code, tables, stack) made supervisor-only; 2-4 MiB stays a user page.
  func makeHarness() -> Harness {
    let h = Harness()
    h.memory.write(Harness.pd, size: 8, value: 0x83)
    h.cpu.flushTLB()
    h.setGate64(14, handler: handler)
    h.memory.write(asm("mov r15, [rsp]; hlt"), at: handler)  // the error code
    h.cpu.cr4 |= ControlBit.smap | ControlBit.smep
    h.cpu.rax = 0x20_0000
    h.memory.write(0x20_0000, size: 8, value: 0x55)
    return h
  }

  func testSMAPAllowsUserPagesOnlyWithAC() {
    // SDM Vol. 3A 4.6: supervisor data accesses to user pages need RFLAGS.AC (STAC/CLAC) under SMAP.
    let h = makeHarness()
    h.cpu.rcx = 0x77
    h.run(asm("stac; mov rbx, [rax]; clac; mov rcx, [rax]"))
    XCTAssertEqual(h.cpu.rbx, 0x55, "AC=1: allowed")
    XCTAssertEqual(h.cpu.rcx, 0x77, "AC=0: the load faulted")
    XCTAssertEqual(h.cpu.register(15), 1, "#PF: present, supervisor read")
  }

  func testSMEPForbidsExecutingUserPages() {
    let h = makeHarness()
    h.memory.write([0x90, 0xF4], at: 0x20_0000)
    h.run(asm("jmp rax"))
    XCTAssertEqual(h.cpu.register(15), 0x11, "#PF: present, instruction fetch")
    XCTAssertEqual(h.cpu.cr2, 0x20_0000)
  }

  func testSTACIsUndefinedOutsideRing0() {
    let h = Harness()
    h.setGate64(6, handler: handler)
    h.memory.write(asm("mov r15, 6; hlt"), at: handler)
    // IRETQ to CPL 3 at 0x30000, where STAC waits; the #UD handler runs on the TSS's RSP0.
    h.memory.write(Harness.tssBase + 4, size: 8, value: 0x70000)
    h.memory.write(asm("stac"), at: 0x30000)
    h.run(asm("push 0x2b; push 0x38000; push 0x2; push 0x23; push 0x30000; iretq"))
    XCTAssertEqual(h.cpu.register(15), 6)
  }
}

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

  func testABusyTaskCannotBeCalled() {
    let h = makeHarness(taskRuns: [0xF4])
    h.setGate32(13, handler: Harness.code + 0x800)
    h.memory.write(asm32("mov esi, 13; hlt"), at: Harness.code + 0x800)
    h.memory.write(Harness.gdtBase + 0x38, size: 8, value: 0x0000_8B00_0000_0067 | (taskTSS << 16))
    h.run([0x9A, 0, 0, 0, 0, 0x38, 0])
    XCTAssertEqual(h.cpu.rsi, 13, "#GP")
  }
}

final class ProtectionKeyTests: XCTestCase {
  let handler = Harness.code + 0x800

  /// 2-4 MiB mapped with protection key 2 (leaf bits 62:59), as a user page or a supervisor page.
  func makeHarness(userPage: Bool) -> Harness {
    let h = Harness()
    h.memory.write(Harness.pd + 8, size: 8, value: 0x20_0000 | (userPage ? 0x87 : 0x83) | (2 << 59))
    h.cpu.flushTLB()
    h.setGate64(14, handler: handler)
    h.memory.write(asm("mov r15, [rsp]; hlt"), at: handler)
    h.cpu.rbx = 0x20_0000
    return h
  }

  func testPKRUAccessDisableFaultsWithThePKBit() {
    let h = makeHarness(userPage: true)
    h.cpu.cr4 |= ControlBit.pke
    h.cpu.rax = 0x10  // AD for key 2
    h.cpu.rcx = 0
    h.cpu.rdx = 0
    h.run(asm("wrpkru; xor eax, eax; rdpkru; mov r14, rax; mov rsi, [rbx]"))
    XCTAssertEqual(h.cpu.register(14), 0x10, "RDPKRU reads it back")
    XCTAssertEqual(h.cpu.register(15), 0x21, "#PF: present, protection key")
    h.run(asm("mov eax, 7; xor ecx, ecx; cpuid"))
    XCTAssertEqual(h.cpu.rcx & (3 << 3), 3 << 3, "PKU and OSPKE")
  }

  func testPKRSWriteDisableStopsSupervisorWritesUnderWP() {
    let h = makeHarness(userPage: false)
    h.cpu.cr4 |= ControlBit.pks
    h.cpu.rcx = 0x6E1
    h.cpu.rax = 0x20  // WD for key 2
    h.cpu.rdx = 0
    h.run(asm("wrmsr; mov rsi, [rbx]; mov qword ptr [rbx], 1"))
    XCTAssertEqual(h.cpu.register(15), 0x23, "the read passed, the write faulted: present, write, key")
  }

  func testRDPKRUIsUndefinedWithoutCR4PKE() {
    let h = Harness()
    h.setGate64(6, handler: handler)
    h.memory.write(asm("mov r15, 6; hlt"), at: handler)
    h.cpu.rcx = 0
    h.run(asm("rdpkru"))
    XCTAssertEqual(h.cpu.register(15), 6)
  }
}
