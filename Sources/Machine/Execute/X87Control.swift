// The x87 control instructions (FNINIT, FNCLEX, FLDCW, FNSTCW, FNSTSW, FWAIT, FNOP) and the state
// save and restore pair FXSAVE/FXRSTOR (SDM Vol. 2A per instruction; Vol. 1 8.1 and 10.5.1). Every
// other x87 instruction is decoded as `fpuEscape`: the CR0.EM/TS checks, then #UD, since this core
// does no floating-point arithmetic.

extension CPU {
  func executeX87(_ i: Instruction) throws(Fault) {
    if i.op == .fwait {
      // WAIT/FWAIT: #NM only when both MP and TS are set (SDM Vol. 3A 2.5 table 2-2).
      if cr0 & ControlBit.mp != 0 && cr0 & ControlBit.ts != 0 { throw Fault.deviceNotAvailable }
      try checkPendingX87Exception()
      return
    }
    // Every x87 instruction, waiting or not, is #NM with CR0.EM or CR0.TS set.
    if cr0 & (ControlBit.em | ControlBit.ts) != 0 { throw Fault.deviceNotAvailable }
    switch i.op {
    case .fninit:
      fpu.initialize()
    case .fnclex:
      fpu.status &= ~0x80FF  // the exception flags, SF, ES and B (SDM Vol. 2A FCLEX/FNCLEX)
    case .fldcw:
      try checkPendingX87Exception()
      fpu.control = UInt16(try read(Int(i.segment), effectiveAddress(i), size: 2))
      fpu.updateErrorSummary()
    case .fnstcw:
      try write(Int(i.segment), effectiveAddress(i), size: 2, UInt64(fpu.control))
    case .fnstsw:
      if i.hasMemory {
        try write(Int(i.segment), effectiveAddress(i), size: 2, UInt64(fpu.status))
      } else {
        writeReg(Reg.rax, size: 2, rex: false, UInt64(fpu.status))
      }
    case .fnop:
      try checkPendingX87Exception()
    case .fxsave, .fxrstor:
      guard i.hasMemory else { throw Fault.invalidOpcode }
      if i.op == .fxsave { try saveFPUState(i) } else { try restoreFPUState(i) }
    default:
      throw Fault.unimplemented
    }
  }

  /// FXSAVE's 512-byte image as 64 quadwords (SDM Vol. 2A FXSAVE tables 3-43 to 3-45): word 0 holds
  /// FCW, FSW, the abridged FTW and FOP; 1 and 2 the instruction and data pointers; 3 MXCSR and its
  /// mask; 4-19 ST0-ST7 (ST(i) is physical register (TOP + i) mod 8); 20-51 the XMM registers.
  /// XMM8-XMM15 exist in 64-bit mode only; words 52-63 are reserved or software's and not written.
  func fxsaveWordCount() -> Int { mode == .long64 ? 52 : 36 }

  func saveFPUState(_ i: Instruction) throws(Fault) {
    let seg = Int(i.segment)
    let offset = effectiveAddress(i)
    let start = linear(seg, offset)
    if start & 15 != 0 { throw Fault.gp(0) }
    do throws(Fault) {
      // The image spans at most two pages: both are checked before anything is written.
      _ = try translate(start, .write, user: cpl == 3)
      _ = try translate(linear(seg, (offset &+ 511) & i.addressMask), .write, user: cpl == 3)
    } catch {
      throw segmentFault(error, seg)
    }
    let top = Int(fpu.status >> 11) & 7
    for k in 0..<fxsaveWordCount() {
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
      try write(seg, (offset &+ UInt64(8 * k)) & i.addressMask, size: 8, word)
    }
  }

  func restoreFPUState(_ i: Instruction) throws(Fault) {
    let seg = Int(i.segment)
    let offset = effectiveAddress(i)
    let start = linear(seg, offset)
    if start & 15 != 0 { throw Fault.gp(0) }
    do throws(Fault) {
      // Both pages are checked first, and MXCSR before any register changes: a fault or a reserved
      // MXCSR bit (#GP(0)) leaves the state as it was.
      _ = try translate(start, .read, user: cpl == 3)
      _ = try translate(linear(seg, (offset &+ 511) & i.addressMask), .read, user: cpl == 3)
    } catch {
      throw segmentFault(error, seg)
    }
    func word(_ k: Int) throws(Fault) -> UInt64 {
      try read(seg, (offset &+ UInt64(8 * k)) & i.addressMask, size: 8)
    }
    let mxcsr = UInt32(truncatingIfNeeded: try word(3))
    if mxcsr & ~FPU.mxcsrMask != 0 { throw Fault.gp(0) }
    let header = try word(0)
    fpu.control = UInt16(truncatingIfNeeded: header)
    fpu.status = UInt16(truncatingIfNeeded: header >> 16)
    fpu.tags = UInt8(truncatingIfNeeded: header >> 32)
    fpu.lastOpcode = UInt16(truncatingIfNeeded: header >> 48) & 0x7FF
    fpu.lastInstruction = try word(1)
    fpu.lastData = try word(2)
    fpu.mxcsr = mxcsr
    let top = Int(fpu.status >> 11) & 7
    for k in 4..<fxsaveWordCount() {
      let value = try word(k)
      if k < 20 {
        let physical = (top + (k - 4) / 2) & 7
        if k & 1 == 0 { fpu.x87[2 * physical] = value } else { fpu.x87[2 * physical + 1] = value & 0xFFFF }
      } else {
        fpu.xmm[k - 20] = value
      }
    }
  }
}
