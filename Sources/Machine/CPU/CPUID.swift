// CPUID (SDM Vol. 2A CPUID; AMD APM Vol. 3 appendix E): the features this core implements, under its
// own brand string. The vendor is Intel unless the machine is configured as AMD (QEMU's
// `-cpu ...,vendor=AuthenticAMD`): software such as Linux and kvm-unit-tests picks vendor behaviour by
// the string, and the core follows the vendor where the two differ (CPUVendor).

/// Whose rules the CPU follows where Intel and AMD processors differ: SYSCALL outside 64-bit mode,
/// SYSENTER/SYSEXIT in IA-32e mode, the performance-counter MSRs, and what CPUID reports.
public enum CPUVendor: UInt8, Sendable, CaseIterable {
  case intel, amd

  /// CPUID leaf 0's string: "GenuineIntel" or "AuthenticAMD".
  public var identification: String { self == .intel ? "GenuineIntel" : "AuthenticAMD" }

  /// The string in EBX, EDX, ECX order.
  var registers: [UInt32] {
    let bytes = Array(identification.utf8)
    return (0..<3).map { w in
      (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[w * 4 + $1]) << (8 * UInt32($1)) }
    }
  }
}

extension CPU {
  static let vendorRegisters = CPUVendor.allCases.map(\.registers)

  static let brand: [UInt32] = {
    var bytes = Array("Naked x86_64 Machine (Swift interpreter)".utf8)
    bytes += [UInt8](repeating: 0, count: 48 - bytes.count)
    return (0..<12).map { w in (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[w * 4 + $1]) << (8 * UInt32($1)) } }
  }()

  /// MAXPHYADDR (CPUID 80000008h EAX[7:0]): paging-structure bits above it are reserved.
  static let physicalAddressBits = 40

  func cpuid(leaf: UInt32, subleaf: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
    let name = CPU.vendorRegisters[Int(vendor.rawValue)]
    // Family 6 model 1 as Intel; as AMD family 15 model 6 stepping 1, QEMU's Opteron_G1.
    let signature: UInt32 = vendor == .intel ? 0x0000_0610 : 0x0000_0F61
    switch leaf {
    case 0:
      return (0xD, name[0], name[2], name[1])
    case 1:
      // Family 6 model 1 stepping 0. EDX: PSE(3) TSC(4) MSR(5) PAE(6) CX8(8) APIC(9, while
      // IA32_APIC_BASE enables it, SDM Vol. 3A 11.4.3) PGE(13) CMOV(15) CLFSH(19) MMX(23) FXSR(24)
      // SSE(25) SSE2(26). No FPU: this core has the x87 registers and control instructions but no
      // x87 arithmetic (CPU/FPU.swift). ECX: CX16(13), TSC-deadline timer(24). EBX: one logical
      // processor, APIC ID 0; a 64-byte CLFLUSH line (EBX[15:8] = 8 quadwords).
      var edx: UInt32 =
        (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 13) | (1 << 15) | (1 << 19) | (1 << 23)
        | (1 << 24) | (1 << 25) | (1 << 26)
      if apic.isGloballyEnabled { edx |= 1 << 9 }
      // ECX: XSAVE(26), and OSXSAVE(27) while CR4.OSXSAVE is set.
      let osxsave: UInt32 = cr4 & ControlBit.osxsave != 0 ? 1 << 27 : 0
      // PCID(17), MOVBE(22).
      let ecx: UInt32 = (1 << 13) | (1 << 17) | (1 << 22) | (1 << 24) | (1 << 26) | osxsave
      return (signature, 0x0001_0800 | (apic.id & 0xFF00_0000), ecx, edx)
    case 7 where subleaf == 0:
      // Structured extended features, subleaf 0: EBX IA32_TSC_ADJUST(1) SMEP(7) INVPCID(10) SMAP(20)
      // CLFLUSHOPT(23) CLWB(24); ECX UMIP(2) PKU(3) OSPKE(4, = CR4.PKE) LA57(16) RDPID(22) PKS(31). Leaves 2-6 and 8-0Ch read
      // as zero (no cache or power-management descriptors). As Intel: EBX RTM(11) unless
      // TSX_CTRL.TSX_CPUID_CLEAR hides it (HLE, bit 4, is never reported, as on current microcode);
      // EDX IA32_ARCH_CAPABILITIES(29).
      let ospke: UInt32 = cr4 & ControlBit.pke != 0 ? 1 << 4 : 0
      let ecx: UInt32 = (1 << 2) | (1 << 3) | ospke | (1 << 16) | (1 << 22) | (1 << 31)
      var ebx: UInt32 = (1 << 1) | (1 << 7) | (1 << 10) | (1 << 20) | (1 << 23) | (1 << 24)
      var edx: UInt32 = 0
      if hasRTM {
        if tsxControl & TSXControl.cpuidClear == 0 { ebx |= 1 << 11 }
        edx |= 1 << 29
      }
      return (0, ebx, ecx, edx)
    case 0xD where subleaf == 0:
      // XSAVE: the components XCR0 may enable (x87, SSE) and the standard-format area's size for them
      // (legacy region and header; SDM Vol. 1 13.2). Subleaf 1 (XSAVEOPT, XSAVEC...) reads as zero.
      return (UInt32(CPU.supportedXCR0), CPU.xsaveAreaSize, CPU.xsaveAreaSize, 0)
    case 0x8000_0000:
      return (0x8000_0008, name[0], name[2], name[1])
    case 0x8000_0001:
      // EDX: SYSCALL(11) NX(20) 1-GiB pages(26) RDTSCP(27) LM(29). ECX: LAHF/SAHF in 64-bit mode(0).
      // AMD processors also repeat leaf 1's EDX bits 0-9, 12-17, 23 and 24 here (APM Vol. 3 E.4.2),
      // and the signature.
      var edx: UInt32 = (1 << 11) | (1 << 20) | (1 << 26) | (1 << 27) | (1 << 29)
      if vendor == .amd { edx |= cpuid(leaf: 1, subleaf: 0).3 & 0x0183_F3FF }
      return (vendor == .amd ? signature : 0, 0, 1, edx)
    case 0x8000_0002...0x8000_0004:
      let base = Int(leaf - 0x8000_0002) * 4
      return (CPU.brand[base], CPU.brand[base + 1], CPU.brand[base + 2], CPU.brand[base + 3])
    case 0x8000_0008:
      // Physical and linear address bits (57: 5-level paging).
      return (UInt32(CPU.physicalAddressBits) | 57 << 8, 0, 0, 0)
    default:
      return (0, 0, 0, 0)
    }
  }
}
