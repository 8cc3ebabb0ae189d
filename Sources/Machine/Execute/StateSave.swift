// Saving and restoring the x87 and SSE state: FXSAVE/FXRSTOR's 512-byte image, which XSAVE/XRSTOR
// use as their legacy region followed by a 64-byte header (SDM Vol. 1 10.5.1 and 13.4-13.8), and
// XCR0 through XGETBV/XSETBV. State components: 0 x87, 1 SSE (XMM registers and MXCSR); no AVX or
// later component exists here, and only the standard (non-compacted) format: CPUID leaf 0Dh reports
// neither XSAVEOPT, XSAVEC, XGETBV with ECX = 1 nor XSAVES.

extension CPU {
  /// XCR0 bits this CPU supports: x87 and SSE.
  static let supportedXCR0: UInt64 = 3
  /// XSAVE's area in the standard format for the supported components: legacy region and header.
  static let xsaveAreaSize: UInt32 = 576

  /// The image as quadwords (SDM Vol. 2A FXSAVE tables 3-43 to 3-45): word 0 holds FCW, FSW, the
  /// abridged FTW and FOP; 1 and 2 the instruction and data pointers; 3 MXCSR and its mask; 4-19
  /// ST0-ST7 (ST(i) is physical register (TOP + i) mod 8); 20-51 the XMM registers, XMM8-XMM15 in
  /// 64-bit mode only. Words 52-63 are reserved or software's and never written.
  func isLegacyWord(_ k: Int, of components: UInt64) -> Bool {
    switch k {
    case 0..<3, 4..<20: return components & 1 != 0
    case 3: return components & 2 != 0
    default: return components & 2 != 0 && k < 20 + 2 * xmmRegisterCount
    }
  }

  /// XMM8-XMM15 exist in 64-bit mode only: the image holds 16 XMM registers there, 8 elsewhere.
  var xmmRegisterCount: Int { mode == .long64 ? 16 : 8 }

  /// The offset of the image, checked for alignment (#GP(0)) and, for `length` bytes, for its pages
  /// being there before anything is read or written.
  func stateArea(_ i: Instruction, alignment: UInt64, length: UInt64, access: Access) throws(Fault) -> UInt64 {
    let offset = effectiveAddress(i)
    if linear(Int(i.segment), offset) & (alignment - 1) != 0 { throw Fault.gp(0) }
    try checkOperandPages(i, offset: offset, length: length, access: access)
    return offset
  }

  /// Writes the legacy region's words of `components` (FXSAVE: both; XSAVE: those RFBM selects).
  func saveState(_ i: Instruction, components: UInt64, alignment: UInt64) throws(Fault) {
    let length: UInt64 = alignment == 64 ? UInt64(CPU.xsaveAreaSize) : 512
    let offset = try stateArea(i, alignment: alignment, length: length, access: .write)
    let top = Int(fpu.status >> 11) & 7
    for k in 0..<52 where isLegacyWord(k, of: components) {
      let word: UInt64
      switch k {
      case 0:
        word = UInt64(fpu.control) | UInt64(fpu.status) << 16 | UInt64(fpu.tags) << 32 | UInt64(fpu.lastOpcode) << 48
      case 1: word = fpu.lastInstruction
      case 2: word = fpu.lastData
      case 3: word = UInt64(fpu.mxcsr) | UInt64(FPU.mxcsrMask) << 32
      case 4..<20:
        let physical = (top + (k - 4) / 2) & 7
        word = k & 1 == 0 ? fpu.x87[2 * physical] : fpu.x87[2 * physical + 1] & 0xFFFF
      default: word = fpu.xmm[k - 20]
      }
      try write(Int(i.segment), (offset &+ UInt64(8 * k)) & i.addressMask, size: 8, word)
    }
  }

  /// Loads `components` from the legacy region where `present` has their bit, and puts those
  /// without it in their initial state (XRSTOR with XSTATE_BV clear; SDM Vol. 1 13.6). MXCSR comes
  /// from memory whenever SSE is restored, and a reserved bit in it is #GP(0) before anything changes.
  func restoreState(_ i: Instruction, components: UInt64, present: UInt64, alignment: UInt64) throws(Fault) {
    let length: UInt64 = alignment == 64 ? UInt64(CPU.xsaveAreaSize) : 512
    let offset = try stateArea(i, alignment: alignment, length: length, access: .read)
    func word(_ k: Int) throws(Fault) -> UInt64 {
      try read(Int(i.segment), (offset &+ UInt64(8 * k)) & i.addressMask, size: 8)
    }
    var mxcsr = fpu.mxcsr
    if components & 2 != 0 {
      mxcsr = UInt32(truncatingIfNeeded: try word(3))
      if mxcsr & ~FPU.mxcsrMask != 0 { throw Fault.gp(0) }
    }
    if components & 1 != 0 {
      if present & 1 != 0 {
        let header = try word(0)
        fpu.control = UInt16(truncatingIfNeeded: header)
        fpu.status = UInt16(truncatingIfNeeded: header >> 16)
        fpu.tags = UInt8(truncatingIfNeeded: header >> 32)
        fpu.lastOpcode = UInt16(truncatingIfNeeded: header >> 48) & 0x7FF
        fpu.lastInstruction = try word(1)
        fpu.lastData = try word(2)
        let top = Int(fpu.status >> 11) & 7
        for k in 4..<20 {
          let physical = (top + (k - 4) / 2) & 7
          let value = try word(k)
          if k & 1 == 0 { fpu.x87[2 * physical] = value } else { fpu.x87[2 * physical + 1] = value & 0xFFFF }
        }
      } else {
        // The x87 initial state: FNINIT's, with the registers zero (SDM Vol. 1 13.6).
        fpu.initialize()
        for k in 0..<16 { fpu.x87[k] = 0 }
      }
    }
    if components & 2 != 0 {
      fpu.mxcsr = mxcsr
      for k in 0..<2 * xmmRegisterCount { fpu.xmm[k] = present & 2 != 0 ? try word(20 + k) : 0 }
    }
  }

  func executeStateSave(_ i: Instruction) throws(Fault) {
    // XSAVE and friends: #UD without CR4.OSXSAVE (SDM Vol. 2C XSAVE, XRSTOR, XGETBV, XSETBV).
    if cr4 & ControlBit.osxsave == 0 { throw Fault.invalidOpcode }
    switch i.op {
    case .xgetbv:
      // Only XCR0 exists (ECX[63:32] ignored).
      guard regs[Reg.rcx] & 0xFFFF_FFFF == 0 else { throw Fault.gp(0) }
      regs[Reg.rax] = xcr0 & 0xFFFF_FFFF
      regs[Reg.rdx] = xcr0 >> 32
    case .xsetbv:
      try requirePrivilege()
      let value = (regs[Reg.rdx] & 0xFFFF_FFFF) << 32 | regs[Reg.rax] & 0xFFFF_FFFF
      // x87 must stay enabled and nothing unsupported may be set (SDM Vol. 1 13.3).
      guard regs[Reg.rcx] & 0xFFFF_FFFF == 0, value & ~CPU.supportedXCR0 == 0, value & 1 != 0 else {
        throw Fault.gp(0)
      }
      xcr0 = value
    case .xsave, .xrstor:
      guard i.hasMemory else { throw Fault.invalidOpcode }
      if cr0 & ControlBit.ts != 0 { throw Fault.deviceNotAvailable }
      // The requested-feature bitmap: EDX:EAX masked by XCR0.
      let rfbm = ((regs[Reg.rdx] & 0xFFFF_FFFF) << 32 | regs[Reg.rax] & 0xFFFF_FFFF) & xcr0
      let seg = Int(i.segment)
      let offset = effectiveAddress(i)
      let headerAddress = (offset &+ 512) & i.addressMask
      if i.op == .xsave {
        _ = try stateArea(i, alignment: 64, length: UInt64(CPU.xsaveAreaSize), access: .write)
        // XSTATE_BV: the saved components are reported in use (allowed even when in their initial
        // state, SDM Vol. 1 13.7); the other bits stay as they were.
        let header = try read(seg, headerAddress, size: 8)
        try saveState(i, components: rfbm, alignment: 64)
        try write(seg, headerAddress, size: 8, (header & ~rfbm) | rfbm)
      } else {
        _ = try stateArea(i, alignment: 64, length: UInt64(CPU.xsaveAreaSize), access: .read)
        // The standard format's header: XCOMP_BV and the reserved bytes 528-575 zero, XSTATE_BV
        // within XCR0 (SDM Vol. 1 13.8.1).
        let present = try read(seg, headerAddress, size: 8)
        if present & ~xcr0 != 0 { throw Fault.gp(0) }
        for k in 1..<8 where try read(seg, (headerAddress &+ UInt64(8 * k)) & i.addressMask, size: 8) != 0 {
          throw Fault.gp(0)
        }
        try restoreState(i, components: rfbm, present: present, alignment: 64)
      }
    default:
      throw Fault.invalidOpcode
    }
  }
}
