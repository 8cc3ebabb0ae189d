// Model-specific registers a kernel touches (SDM Vol. 4 table 2-2). Unknown MSRs raise #GP(0).

public enum MSR {
  public static let tsc: UInt32 = 0x10
  public static let apicBase: UInt32 = 0x1B
  public static let efer: UInt32 = 0xC000_0080
  public static let star: UInt32 = 0xC000_0081
  public static let lstar: UInt32 = 0xC000_0082
  public static let cstar: UInt32 = 0xC000_0083
  public static let sfmask: UInt32 = 0xC000_0084
  public static let fsBase: UInt32 = 0xC000_0100
  public static let gsBase: UInt32 = 0xC000_0101
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
