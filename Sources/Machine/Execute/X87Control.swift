// The x87 control instructions (FNINIT, FNCLEX, FLDCW, FNSTCW, FNSTSW, FWAIT, FNOP) and the state
// save and restore pair FXSAVE/FXRSTOR (SDM Vol. 2A per instruction; Vol. 1 8.1 and 10.5.1; the
// image itself is written by Execute/StateSave.swift, shared with XSAVE). Every
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
        writeReg(Reg.rax.rawValue, size: 2, rex: false, UInt64(fpu.status))
      }
    case .fnop:
      try checkPendingX87Exception()
    case .fxsave:
      guard i.hasMemory else { throw Fault.invalidOpcode }
      try saveState(i, components: 3, alignment: 16)
    case .fxrstor:
      guard i.hasMemory else { throw Fault.invalidOpcode }
      try restoreState(i, components: 3, present: 3, alignment: 16)
    default:
      throw Fault.unimplemented
    }
  }
}
