// Model-specific registers a kernel touches (SDM Vol. 4 table 2-2). Unknown MSRs raise #GP(0).

/// Numbers of the model-specific registers RDMSR and WRMSR reach (SDM Vol. 4 Table 2-2).
public enum MSR {
  /// IA32_TIME_STAMP_COUNTER: the cycle counter RDTSC reads; writing it moves the counter.
  public static let tsc: UInt32 = 0x10
  /// IA32_TSC_ADJUST: how far software moved the TSC (SDM Vol. 3B 17.17.3).
  public static let tscAdjust: UInt32 = 0x3B
  /// IA32_ARCH_CAPABILITIES: what the processor is not vulnerable to, and which controls exist;
  /// read-only (CPUID.7.0:EDX[29]).
  public static let archCapabilities: UInt32 = 0x10A
  /// IA32_TSX_CTRL: RTM_DISABLE and TSX_CPUID_CLEAR (when ARCH_CAPABILITIES.TSX_CTRL_MSR).
  public static let tsxControl: UInt32 = 0x122
  /// IA32_APIC_BASE: the local APIC's page address, global enable and BSP flag.
  public static let apicBase: UInt32 = 0x1B
  /// IA32_TSC_DEADLINE: the TSC value at which the APIC timer fires in TSC-deadline mode.
  public static let tscDeadline: UInt32 = 0x6E0
  /// IA32_SYSENTER_CS, IA32_SYSENTER_ESP, IA32_SYSENTER_EIP: the SYSENTER target.
  public static let sysenterCS: UInt32 = 0x174
  public static let sysenterESP: UInt32 = 0x175
  public static let sysenterEIP: UInt32 = 0x176
  /// IA32_MCG_CAP: machine-check banks (none) and capabilities; read-only.
  public static let mcgCap: UInt32 = 0x179
  /// IA32_MCG_STATUS: machine-check status.
  public static let mcgStatus: UInt32 = 0x17A
  /// IA32_MISC_ENABLE: processor feature controls.
  public static let miscEnable: UInt32 = 0x1A0
  /// IA32_PAT: the page attribute table.
  public static let pat: UInt32 = 0x277
  /// IA32_PKRS: the protection-key rights for supervisor pages.
  public static let pkrs: UInt32 = 0x6E1
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
  /// IA32_TSC_AUX: the value RDTSCP and RDPID return (the OS's processor number).
  public static let tscAux: UInt32 = 0xC000_0103
  /// IA32_KERNEL_GS_BASE: the value SWAPGS exchanges with the GS base.
  public static let kernelGSBase: UInt32 = 0xC000_0102
  /// AMD's PerfEvtSel0-3 and PerfCtr0-3 (APM Vol. 2 13.2.1), on an AMD processor only.
  public static let amdPerformance: ClosedRange<UInt32> = 0xC001_0000...0xC001_0007
}

extension CPU {
  /// IA32_ARCH_CAPABILITIES of the Intel model: RDCL_NO(0), SSB_NO(4), MDS_NO(5), TSX_CTRL_MSR(7),
  /// TAA_NO(8). An interpreter executes nothing speculatively, so none of those leaks exists here.
  static let archCapabilities: UInt64 = (1 << 0) | (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8)

  func readMSR(_ index: UInt32) throws(Fault) -> UInt64 {
    switch index {
    case MSR.tsc: return cycles &+ tscOffset
    case MSR.tscAdjust: return tscAdjust
    case MSR.apicBase: return apic.baseMSR
    case MSR.tscDeadline: return apic.tscDeadlineMSR
    case MSR.sysenterCS: return sysenterCS
    case MSR.sysenterESP: return sysenterESP
    case MSR.sysenterEIP: return sysenterEIP
    case MSR.mcgCap, MSR.mcgStatus: return 0
    case MSR.miscEnable: return miscEnable
    case MSR.pat: return pat
    case MSR.pkrs: return pkrs
    case MSR.efer: return efer
    case MSR.star: return star
    case MSR.lstar: return lstar
    case MSR.cstar: return cstar
    case MSR.sfmask: return sfmask
    case MSR.fsBase: return segments[Seg.fs].base
    case MSR.gsBase: return segments[Seg.gs].base
    case MSR.kernelGSBase: return kernelGSBase
    case MSR.tscAux: return tscAux
    case MSR.amdPerformance where vendor == .amd: return performanceMSRs[Int(index & 7)]
    case MSR.archCapabilities where hasRTM: return CPU.archCapabilities
    case MSR.tsxControl where hasRTM: return tsxControl
    default: throw Fault.gp(0)
    }
  }

  func writeMSR(_ index: UInt32, _ v: UInt64) throws(Fault) {
    switch index {
    case MSR.tsc:
      // Writing the TSC moves IA32_TSC_ADJUST by the same amount (SDM Vol. 3B 17.17.3).
      let delta = v &- (cycles &+ tscOffset)
      tscOffset &+= delta
      tscAdjust &+= delta
      endSlice()  // a TSC deadline moved in cycles
    case MSR.tscAdjust:
      tscOffset &+= v &- tscAdjust
      tscAdjust = v
      endSlice()
    case MSR.apicBase:
      // SDM Vol. 3A 11.4.4: bits 0-7 and 9 reserved, 10 (x2APIC) unsupported here, the base below
      // MAXPHYADDR (40); the BSP flag is read-only.
      if v & ~(UInt64(0xFF_FFFF_F000) | (1 << 11) | (1 << 8)) != 0 { throw Fault.gp(0) }
      apic.writeBaseMSR((v & ~(1 << 8)) | (apic.baseMSR & (1 << 8)))
      mapAPICPage()
    case MSR.tscDeadline: apic.tscDeadlineMSR = v
    case MSR.sysenterCS: sysenterCS = v & 0xFFFF_FFFF
    case MSR.sysenterESP, MSR.sysenterEIP:
      // 64-bit addresses on an Intel 64 processor, canonical (SDM Vol. 4 table 2-2, Vol. 2B WRMSR).
      if !isCanonicalAddressRegister(v) { throw Fault.gp(0) }
      if index == MSR.sysenterESP { sysenterESP = v } else { sysenterEIP = v }
    case MSR.mcgStatus:
      if v != 0 { throw Fault.gp(0) }  // no machine check ever happened; only 0 is writable
    case MSR.miscEnable:
      // SDM Vol. 4 table 2-2: bits 7, 11, 12 read-only (no performance monitoring, no BTS, no PEBS);
      // the writable controls are stored and change nothing in this core.
      let reserved: UInt64 = ~UInt64(0x4_00C5_0809 | 0x1880 | (1 << 16))
      if v & reserved != 0 { throw Fault.gp(0) }
      miscEnable = (v & ~0x1880) | (miscEnable & 0x1880)
    case MSR.pkrs:
      if v >> 32 != 0 { throw Fault.gp(0) }  // 16 keys of two bits
      pkrs = v
      flushTLB()  // cached access rights assumed the old value
    case MSR.pat:
      // Each of the eight entries must name a memory type: 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC- (11.12.2).
      for k in 0..<8 where [2, 3].contains((v >> (8 * UInt64(k))) & 0xFF) || (v >> (8 * UInt64(k))) & 0xF8 != 0 {
        throw Fault.gp(0)
      }
      pat = v
    case MSR.efer:
      // SCE, LME, NXE are writable; LMA is status. Changing LME with paging on is #GP (SDM Vol. 3A 9.8.5).
      let writable = ControlBit.sce | ControlBit.lme | ControlBit.nxe
      if v & ~(writable | ControlBit.lma) != 0 { throw Fault.gp(0) }
      if pagingEnabled && (v ^ efer) & ControlBit.lme != 0 { throw Fault.gp(0) }
      efer = (efer & ControlBit.lma) | (v & writable)
      flushTLB()
    case MSR.star: star = v
    case MSR.lstar:
      if !isCanonicalAddressRegister(v) { throw Fault.gp(0) }
      lstar = v
    case MSR.cstar:
      if !isCanonicalAddressRegister(v) { throw Fault.gp(0) }  // Intel checks it though it never uses it
      cstar = v
    case MSR.sfmask: sfmask = v & 0xFFFF_FFFF
    case MSR.fsBase:
      if !isCanonicalAddressRegister(v) { throw Fault.gp(0) }
      segments[Seg.fs].base = v
    case MSR.gsBase:
      if !isCanonicalAddressRegister(v) { throw Fault.gp(0) }
      segments[Seg.gs].base = v
    case MSR.kernelGSBase:
      if !isCanonicalAddressRegister(v) { throw Fault.gp(0) }
      kernelGSBase = v
    case MSR.tscAux:
      if v >> 32 != 0 { throw Fault.gp(0) }  // bits 63:32 reserved (SDM Vol. 4 table 2-2)
      tscAux = v
    case MSR.amdPerformance where vendor == .amd:
      // Event selects are 32 bits here (the upper half is reserved, APM Vol. 2 13.2.1.1), the
      // counters 48 bits wide; nothing is counted.
      if index < 0xC001_0004 && v >> 32 != 0 { throw Fault.gp(0) }
      performanceMSRs[Int(index & 7)] = index < 0xC001_0004 ? v : v & 0xFFFF_FFFF_FFFF
    case MSR.tsxControl where hasRTM:
      if v & ~(TSXControl.rtmDisable | TSXControl.cpuidClear) != 0 { throw Fault.gp(0) }
      tsxControl = v
    default: throw Fault.gp(0)
    }
  }
}
