// DAA DAS AAA AAS AAM AAD: the BCD adjustments of AL (and AH), invalid in 64-bit mode (SDM Vol. 2A
// per instruction; the pseudo-code is followed step by step, including DAS keeping CF from its first
// step where DAA clears it). Flags the SDM leaves undefined are those of the 8-bit result as a logic
// operation (OF=0), except AAD's, which are its addition's, as Intel processors produce them.

extension CPU {
  func executeDecimalAdjust(_ i: Instruction) throws(Fault) {
    let al = regs[Reg.rax] & 0xFF
    let auxiliary = flag(Flag.af)
    switch i.op {
    case .daa, .das:
      let oldCarry = carry
      var result = al
      var carryOut = false
      var adjusted = false
      if al & 0xF > 9 || auxiliary {
        let low = i.op == .daa ? al &+ 6 : al &- 6
        carryOut = oldCarry || low > 0xFF
        result = low & 0xFF
        adjusted = true
      }
      if al > 0x99 || oldCarry {
        result = (i.op == .daa ? result &+ 0x60 : result &- 0x60) & 0xFF
        carryOut = true
      } else if i.op == .daa {
        carryOut = false
      }
      setAL(result)
      setLazy(.logic, size: 1, dst: result, src: 0, result: result)
      setFlag(Flag.cf, carryOut)
      setFlag(Flag.af, adjusted)
    case .aaa, .aas:
      var ax = regs[Reg.rax] & 0xFFFF
      let adjust = al & 0xF > 9 || auxiliary
      if adjust {
        // SDM: AAA is AX + 106H and AAS is AX - 6 then AH - 1, so a carry or borrow out of AL reaches
        // AH as well (QEMU 7.2 adjusts AL and AH separately and differs when AL < 6 in AAS).
        if i.op == .aaa {
          ax = (ax &+ 0x106) & 0xFFFF
        } else {
          ax = (ax &- 6) & 0xFFFF
          ax = (ax & 0xFF) | ((((ax >> 8) &- 1) & 0xFF) << 8)
        }
      }
      ax = (ax & 0xFF00) | (ax & 0x0F)
      regs[Reg.rax] = (regs[Reg.rax] & ~0xFFFF) | (ax & 0xFFFF)
      setLazy(.logic, size: 1, dst: ax & 0xFF, src: 0, result: ax & 0xFF)
      setFlag(Flag.cf, adjust)
      setFlag(Flag.af, adjust)
    case .aam:
      let base = i.immediate & 0xFF
      if base == 0 { throw Fault.divide }
      let low = al % base
      regs[Reg.rax] = (regs[Reg.rax] & ~0xFFFF) | ((al / base) << 8) | low
      setLazy(.logic, size: 1, dst: low, src: 0, result: low)
    case .aad:
      let ah = (regs[Reg.rax] >> 8) & 0xFF
      let product = (ah &* (i.immediate & 0xFF)) & 0xFF
      let result = (al &+ product) & 0xFF
      regs[Reg.rax] = (regs[Reg.rax] & ~0xFFFF) | result
      setLazy(.add, size: 1, dst: al, src: product, result: result)
    default:
      throw Fault.invalidOpcode
    }
  }

  private func setAL(_ v: UInt64) { regs[Reg.rax] = (regs[Reg.rax] & ~0xFF) | (v & 0xFF) }
}
