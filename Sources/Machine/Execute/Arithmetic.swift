// ADD OR ADC SBB AND SUB XOR CMP, INC DEC NEG, XADD, CMPXCHG (SDM Vol. 2A/2B per instruction;
// flag definitions in Vol. 1 appendix A table A-2).

extension CPU {
  /// Performs ALU operation `kind` (the ModRM.reg numbering of group 1) and sets the flags.
  @inline(always)
  func alu(_ kind: UInt8, _ d: UInt64, _ s: UInt64, size: Int) -> UInt64 {
    switch kind {
    case 0:
      let r = (d &+ s) & sizeMask(size)
      setLazy(.add, size: size, dst: d, src: s, result: r)
      return r
    case 1:
      let r = d | s
      setLazy(.logic, size: size, dst: d, src: s, result: r)
      return r
    case 2: return addWithCarry(d, s, carry ? 1 : 0, size: size)
    case 3: return subtractWithBorrow(d, s, carry ? 1 : 0, size: size)
    case 4:
      let r = d & s
      setLazy(.logic, size: size, dst: d, src: s, result: r)
      return r
    case 6:
      let r = (d ^ s) & sizeMask(size)
      setLazy(.logic, size: size, dst: d, src: s, result: r)
      return r
    default:  // 5 SUB, 7 CMP
      let r = (d &- s) & sizeMask(size)
      setLazy(.sub, size: size, dst: d, src: s, result: r)
      return r
    }
  }

  /// ADC: with a carry of 0 in it is ADD, so the lazy record says which (Flags.swift).
  func addWithCarry(_ d: UInt64, _ s: UInt64, _ c: UInt64, size: Int) -> UInt64 {
    let m = sizeMask(size)
    let r = (d &+ s &+ c) & m
    setLazy(c == 0 ? .add : .adc, size: size, dst: d & m, src: s & m, result: r)
    return r
  }

  /// SBB: with a borrow of 0 in it is SUB.
  func subtractWithBorrow(_ d: UInt64, _ s: UInt64, _ c: UInt64, size: Int) -> UInt64 {
    let m = sizeMask(size)
    let r = (d &- s &- c) & m
    setLazy(c == 0 ? .sub : .sbb, size: size, dst: d & m, src: s & m, result: r)
    return r
  }

  /// The arithmetic forms without a handler of their own (Handler.swift): 16-bit operands, AH..BH,
  /// ADC/SBB, and memory forms of INC DEC NOT NEG XADD CMPXCHG.
  func executeArithmetic(_ i: Instruction) throws(Fault) {
    let size = Int(i.opSize)
    switch i.op {
    case .aluEG:
      let d = try readRM(i, size: size)
      let r = alu(i.sub, d, readG(i, size: size), size: size)
      if i.sub != 7 { try writeRM(i, size: size, r) }
    case .aluGE:
      let r = alu(i.sub, readG(i, size: size), try readRM(i, size: size), size: size)
      if i.sub != 7 { writeG(i, size: size, r) }
    case .aluAI:
      let r = alu(i.sub, readReg(0, size: size, rex: false), i.immediate & sizeMask(size), size: size)
      if i.sub != 7 { writeReg(0, size: size, rex: false, r) }
    case .aluEI:
      let d = try readRM(i, size: size)
      let r = alu(i.sub, d, i.immediate & sizeMask(size), size: size)
      if i.sub != 7 { try writeRM(i, size: size, r) }
    case .testEG:
      setLazy(.logic, size: size, dst: 0, src: 0, result: try readRM(i, size: size) & readG(i, size: size))
    case .testAI:
      let a = readReg(0, size: size, rex: false)
      setLazy(.logic, size: size, dst: 0, src: 0, result: a & i.immediate & sizeMask(size))
    case .testEI:
      setLazy(.logic, size: size, dst: 0, src: 0, result: try readRM(i, size: size) & i.immediate & sizeMask(size))
    case .incR, .decR:
      let d = readReg(Int(i.reg), size: size, rex: false)
      writeReg(Int(i.reg), size: size, rex: false, incDec(d, up: i.op == .incR, size: size))
    case .incE, .decE:
      try writeRM(i, size: size, incDec(try readRM(i, size: size), up: i.op == .incE, size: size))
    case .notE:
      try writeRM(i, size: size, ~(try readRM(i, size: size)) & sizeMask(size))
    case .negE:
      // NEG: CF set unless the operand was 0; other flags as 0 - operand (SDM Vol. 2B NEG).
      try writeRM(i, size: size, alu(5, 0, try readRM(i, size: size), size: size))
    case .xadd:
      let ea = i.hasMemory ? effectiveAddress(i) : 0
      let d = i.hasMemory ? try read(Int(i.segment), ea, size: size) : readReg(Int(i.rm), size: size, rex: i.rex)
      let s = readG(i, size: size)
      let r = alu(0, d, s, size: size)
      if i.hasMemory {
        try write(Int(i.segment), ea, size: size, r)
        writeG(i, size: size, d)
      } else {
        writeG(i, size: size, d)
        writeReg(Int(i.rm), size: size, rex: i.rex, r)
      }
    case .cmpxchg:
      // Flags as CMP accumulator, destination; the destination is written in both cases
      // (SDM Vol. 2A CMPXCHG: "the processor never produces a locked read without a locked write").
      let ea = i.hasMemory ? effectiveAddress(i) : 0
      let d = i.hasMemory ? try read(Int(i.segment), ea, size: size) : readReg(Int(i.rm), size: size, rex: i.rex)
      let acc = readReg(0, size: size, rex: false)
      _ = alu(5, acc, d, size: size)
      if acc == d {
        let s = readG(i, size: size)
        if i.hasMemory {
          try write(Int(i.segment), ea, size: size, s)
        } else {
          writeReg(Int(i.rm), size: size, rex: i.rex, s)
        }
      } else {
        if i.hasMemory { try write(Int(i.segment), ea, size: size, d) }
        writeReg(0, size: size, rex: false, d)
      }
    case .cmpxchgWide:
      try compareExchangeWide(i)
    case .daa, .das, .aaa, .aas, .aam, .aad:
      try executeDecimalAdjust(i)
    default:
      throw Fault.invalidOpcode
    }
  }

  /// INC/DEC leave CF unchanged (SDM Vol. 2A INC).
  @inline(always)
  func incDec(_ d: UInt64, up: Bool, size: Int) -> UInt64 {
    // Only CF survives, so only CF of a pending computation is needed: no full materialization.
    if lazy.op != .none && lazy.op != .inc && lazy.op != .dec {
      if carry { flagBits |= Flag.cf } else { flagBits &= ~Flag.cf }
    }
    let r = (up ? d &+ 1 : d &- 1) & sizeMask(size)
    setLazy(up ? .inc : .dec, size: size, dst: d & sizeMask(size), src: 1, result: r)
    return r
  }

  /// CMPXCHG8B / CMPXCHG16B: only ZF is affected (SDM Vol. 2A CMPXCHG8B/CMPXCHG16B).
  func compareExchangeWide(_ i: Instruction) throws(Fault) {
    guard i.hasMemory else { throw Fault.invalidOpcode }
    let ea = effectiveAddress(i)
    let seg = Int(i.segment)
    if i.opSize == 8 {
      if linear(seg, ea) & 0xF != 0 { throw Fault.gp(0) }
      let lo = try read(seg, ea, size: 8)
      let hi = try read(seg, ea &+ 8, size: 8)
      let equal = lo == regs[Reg.rax] && hi == regs[Reg.rdx]
      if equal {
        try write(seg, ea, size: 8, regs[Reg.rbx])
        try write(seg, ea &+ 8, size: 8, regs[Reg.rcx])
      } else {
        try write(seg, ea, size: 8, lo)
        try write(seg, ea &+ 8, size: 8, hi)
        regs[Reg.rax] = lo
        regs[Reg.rdx] = hi
      }
      setFlag(Flag.zf, equal)
    } else {
      let m = try read(seg, ea, size: 8)
      let expected = (regs[Reg.rdx] & 0xFFFF_FFFF) << 32 | (regs[Reg.rax] & 0xFFFF_FFFF)
      let equal = m == expected
      if equal {
        try write(seg, ea, size: 8, (regs[Reg.rcx] & 0xFFFF_FFFF) << 32 | (regs[Reg.rbx] & 0xFFFF_FFFF))
      } else {
        try write(seg, ea, size: 8, m)
        regs[Reg.rax] = m & 0xFFFF_FFFF
        regs[Reg.rdx] = m >> 32
      }
      setFlag(Flag.zf, equal)
    }
  }
}
