// Model-specific registers a kernel touches (SDM Vol. 4 table 2-2). Unknown MSRs raise #GP(0).

/// Numbers of the model-specific registers RDMSR and WRMSR reach (SDM Vol. 4 Table 2-2).
public enum MSR {
  /// IA32_TIME_STAMP_COUNTER: the cycle counter RDTSC reads; writing it moves the counter.
  public static let tsc: UInt32 = 0x10
  /// IA32_APIC_BASE: reads as the xAPIC's default base with the BSP flag, globally disabled.
  public static let apicBase: UInt32 = 0x1B
  /// IA32_EFER: SCE, LME, LMA, NXE.
  public static let efer: UInt32 = 0xC000_0080
  /// IA32_STAR: the SYSCALL and SYSRET selectors (and the legacy SYSCALL target).
  public static let star: UInt32 = 0xC000_0081
  /// IA32_LSTAR: the 64-bit SYSCALL target.
  public static let lstar: UInt32 = 0xC000_0082
  /// IA32_CSTAR: the compatibility-mode SYSCALL target (unused by Intel CPUs).
  public static let cstar: UInt32 = 0xC000_0083
  /// IA32_FMASK: the RFLAGS bits SYSCALL clears.
  public static let sfmask: UInt32 = 0xC000_0084
  /// IA32_FS_BASE: the FS base in 64-bit mode.
  public static let fsBase: UInt32 = 0xC000_0100
  /// IA32_GS_BASE: the GS base in 64-bit mode.
  public static let gsBase: UInt32 = 0xC000_0101
  /// IA32_KERNEL_GS_BASE: the value SWAPGS exchanges with the GS base.
  public static let kernelGSBase: UInt32 = 0xC000_0102
}

extension CPU {
  func readMSR(_ index: UInt32) throws(Fault) -> UInt64 {
    switch index {
    case MSR.tsc: return cycles &+ tscOffset
    case MSR.apicBase: return 0xFEE0_0000 | (1 << 8)  // BSP flag; the APIC itself is absent (global enable clear)
    case MSR.efer: return efer
    case MSR.star: return star
    case MSR.lstar: return lstar
    case MSR.cstar: return cstar
    case MSR.sfmask: return sfmask
    case MSR.fsBase: return segments[Seg.fs].base
    case MSR.gsBase: return segments[Seg.gs].base
    case MSR.kernelGSBase: return kernelGSBase
    default: throw Fault.gp(0)
    }
  }

  func writeMSR(_ index: UInt32, _ v: UInt64) throws(Fault) {
    switch index {
    case MSR.tsc: tscOffset = v &- cycles
    case MSR.efer:
      // SCE, LME, NXE are writable; LMA is status. Changing LME with paging on is #GP (SDM Vol. 3A 9.8.5).
      let writable = ControlBit.sce | ControlBit.lme | ControlBit.nxe
      if v & ~(writable | ControlBit.lma) != 0 { throw Fault.gp(0) }
      if pagingEnabled && (v ^ efer) & ControlBit.lme != 0 { throw Fault.gp(0) }
      efer = (efer & ControlBit.lma) | (v & writable)
      flushTLB()
    case MSR.star: star = v
    case MSR.lstar:
      if !isCanonical(v) { throw Fault.gp(0) }
      lstar = v
    case MSR.cstar: cstar = v
    case MSR.sfmask: sfmask = v & 0xFFFF_FFFF
    case MSR.fsBase:
      if !isCanonical(v) { throw Fault.gp(0) }
      segments[Seg.fs].base = v
    case MSR.gsBase:
      if !isCanonical(v) { throw Fault.gp(0) }
      segments[Seg.gs].base = v
    case MSR.kernelGSBase:
      if !isCanonical(v) { throw Fault.gp(0) }
      kernelGSBase = v
    default: throw Fault.gp(0)
    }
  }
}
