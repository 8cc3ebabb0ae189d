// Where Intel and AMD processors differ, and the machine follows the configured vendor: CPUID,
// SYSCALL in compatibility mode, SYSENTER in IA-32e mode, the legacy performance-counter MSRs (SDM
// Vol. 2B SYSCALL, SYSENTER; AMD APM Vol. 3 SYSCALL, SYSENTER, Vol. 2 13.2).

import XCTest

@testable import Machine

final class CPUVendorTests: XCTestCase {
  let handler = Harness.code + 0x800
  let undefined = Harness.code + 0x900

  func machine(_ vendor: CPUVendor) -> Harness {
    let h = Harness()
    h.cpu.vendor = vendor
    h.setGate64(6, handler: undefined)
    h.memory.write(asm("mov r15, 6; hlt"), at: undefined)
    return h
  }

  func testCPUIDNamesTheVendor() {
    for (vendor, ebx, family) in [(CPUVendor.intel, UInt64(0x756E_6547), UInt64(6)), (.amd, 0x6874_7541, 15)] {
      let h = machine(vendor)
      h.run(asm("xor eax, eax; cpuid; mov r8, rbx; mov eax, 1; cpuid; mov r9, rax"))
      XCTAssertEqual(h.cpu.register(.r8), ebx, "\(vendor): Genu / Auth")
      XCTAssertEqual((h.cpu.register(.r9) >> 8) & 0xF, family)
    }
    let h = machine(.amd)
    h.run(asm("mov eax, 0x80000001; cpuid"))
    XCTAssertEqual(h.cpu.rdx & (1 << 24 | 1 << 11), 1 << 24 | 1 << 11, "AMD repeats FXSR in the extended leaf")
  }

  /// SYSCALL from compatibility mode (CS 0x18 is 32-bit code in the harness's GDT).
  func runCompatibilitySyscall(_ vendor: CPUVendor) -> Harness {
    let h = machine(vendor)
    h.cpu.cstar = handler
    h.cpu.lstar = handler + 0x40
    h.cpu.star = 0x08 << 32
    h.memory.write(asm("mov r15, 1; hlt"), at: handler)
    h.memory.write(asm32("syscall") + [0xF4], at: Harness.code)
    h.cpu.setSegment(Seg.cs, SegmentRegister(selector: 0x18, base: 0, limit: 0xFFFF_FFFF, attributes: 0xC09B))
    h.cpu.rip = Harness.code
    _ = h.machine.run(until: h.cpu.cycles + 1000)
    return h
  }

  func testAMDHasSyscallInCompatibilityModeIntelDoesNot() {
    let amd = runCompatibilitySyscall(.amd)
    XCTAssertEqual(amd.cpu.register(.r15), 1, "AMD: enters 64-bit code at CSTAR")
    XCTAssertEqual(amd.cpu.rcx, Harness.code + 2)
    XCTAssertEqual(amd.cpu.mode, .long64)
    XCTAssertEqual(runCompatibilitySyscall(.intel).cpu.register(.r15), 6, "Intel: #UD")
  }

  func testAMDHasNoSysenterInLongMode() {
    for (vendor, expected) in [(CPUVendor.intel, UInt64(0x70000)), (.amd, 6)] {
      let h = machine(vendor)
      h.cpu.sysenterCS = 0x08
      h.cpu.sysenterEIP = handler
      h.cpu.sysenterESP = 0x70000
      h.memory.write(asm("mov r15, rsp; hlt"), at: handler)
      h.run(asm("sysenter"))
      XCTAssertEqual(h.cpu.register(.r15), expected, "\(vendor)")
    }
  }

  func testLegacyPerformanceCounterMSRsExistOnAMDOnly() {
    let gp = Harness.code + 0xA00
    for vendor in CPUVendor.allCases {
      let h = machine(vendor)
      h.setGate64(13, handler: gp)
      h.memory.write(asm("mov r15, 13; hlt"), at: gp)
      h.cpu.rax = 0x1234_5678
      h.cpu.rdx = 0xFFFF_FFFF
      h.run(asm("mov ecx, 0xC0010004; wrmsr; xor eax, eax; xor edx, edx; rdmsr"))
      if vendor == .amd {
        XCTAssertEqual(h.cpu.register(.r15), 0)
        XCTAssertEqual(h.cpu.rdx << 32 | h.cpu.rax, 0xFFFF_1234_5678, "PerfCtr0 is 48 bits")
      } else {
        XCTAssertEqual(h.cpu.register(.r15), 13, "Intel: no such MSR")
      }
    }
  }
}
