// RDMSR/WRMSR on the MSRs beyond the SYSCALL and segment-base ones, and RDTSCP/RDPID (SDM Vol. 4).

import XCTest

@testable import Machine

final class ModelSpecificRegisterTests: XCTestCase {
  let handler = Harness.code + 0x800

  func wrmsr(_ h: Harness, _ index: UInt32, _ value: UInt64) -> Bool {
    h.setGate64(13, handler: handler)
    h.memory.write(asm("mov r15, 13; hlt"), at: handler)
    h.cpu.setRegister(.r15, 0)
    h.cpu.rcx = UInt64(index)
    h.cpu.rax = value & 0xFFFF_FFFF
    h.cpu.rdx = value >> 32
    h.run(asm("wrmsr"))
    return h.cpu.register(.r15) != 13
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
    XCTAssertFalse(wrmsr(h, 0xC000_0083, 0xF0AA_AAAA_AAAA_AAAA), "CSTAR is checked too (for 57 bits)")
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
