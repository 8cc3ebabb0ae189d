// MOV forms, MOVZX/MOVSX/MOVSXD, LEA, XCHG, CBW family, XLAT, LAHF/SAHF, PUSH/POP, ENTER/LEAVE,
// segment register moves and far-pointer loads (SDM Vol. 2A/2B per instruction).

extension CPU {
  func executeDataMove(_ i: Instruction) throws(Fault) {
    let size = Int(i.opSize)
    switch i.op {
    case .movEG: try writeRM(i, size: size, readG(i, size: size))
    case .movGE: writeG(i, size: size, try readRM(i, size: size))
    case .movEI: try writeRM(i, size: size, i.immediate & sizeMask(size))
    case .movRI: writeReg(Int(i.reg), size: size, rex: i.rex, i.immediate)
    case .movAO:
      writeReg(0, size: size, rex: false, try read(Int(i.segment), i.immediate, size: size))
    case .movOA:
      try write(Int(i.segment), i.immediate, size: size, readReg(0, size: size, rex: false))
    case .lea:
      writeG(i, size: size, effectiveAddress(i) & sizeMask(size))
    case .movzx:
      writeG(i, size: size, try readRM(i, size: Int(i.sub)))
    case .movsx:
      writeG(i, size: size, signExtend(try readRM(i, size: Int(i.sub)), from: Int(i.sub)) & sizeMask(size))
    case .movsxd:
      writeG(i, size: size, signExtend(try readRM(i, size: 4), from: 4) & sizeMask(size))
    case .movbe:
      // MOVBE (SDM Vol. 2B): memory operands only; F2 0F 38 F0/F1 is CRC32, which is not implemented.
      guard i.hasMemory && i.rep == 0 else { throw Fault.invalidOpcode }
      if i.sub == 0 {
        writeG(i, size: size, byteSwapped(try readRM(i, size: size), size: size))
      } else {
        try writeRM(i, size: size, byteSwapped(readG(i, size: size), size: size))
      }
    case .xchgEG:
      let g = readG(i, size: size)
      if i.hasMemory {
        let ea = effectiveAddress(i)
        let m = try read(Int(i.segment), ea, size: size)
        try write(Int(i.segment), ea, size: size, g)
        writeG(i, size: size, m)
      } else {
        let m = readReg(Int(i.rm), size: size, rex: i.rex)
        writeReg(Int(i.rm), size: size, rex: i.rex, g)
        writeG(i, size: size, m)
      }
    case .xchgAR:
      // 90 is NOP (no zero-extension of EAX in 64-bit mode) unless REX.B selects R8; F3 90 is PAUSE.
      if i.reg == 0 { return }
      let a = readReg(0, size: size, rex: false)
      writeReg(0, size: size, rex: false, readReg(Int(i.reg), size: size, rex: false))
      writeReg(Int(i.reg), size: size, rex: false, a)
    case .salc:
      // D6, undocumented in the SDM's tables but present on every Intel processor outside 64-bit mode
      // (its opcode map lists D6 as reserved; AMD documents SALC): AL = CF ? FF : 00, flags unchanged.
      regs[Reg.rax] = (regs[Reg.rax] & ~0xFF) | (carry ? 0xFF : 0)
    case .cbw:
      let half = size / 2
      writeReg(0, size: size, rex: false, signExtend(readReg(0, size: half, rex: false), from: half) & sizeMask(size))
    case .cwd:
      let negative = readReg(0, size: size, rex: false) & signBit(size) != 0
      writeReg(Reg.rdx.rawValue, size: size, rex: false, negative ? sizeMask(size) : 0)
    case .xlat:
      var a = regs[Reg.rbx] &+ (regs[Reg.rax] & 0xFF)
      if i.addrSize == 4 { a &= 0xFFFF_FFFF } else if i.addrSize == 2 { a &= 0xFFFF }
      writeReg(0, size: 1, rex: false, try read(Int(i.segment), a, size: 1))
    case .lahf:
      materializeFlags()
      writeReg(4, size: 1, rex: false, flagBits & 0xD7 | 2)
    case .sahf:
      let ah = (regs[Reg.rax] >> 8) & 0xD5
      materializeFlags()
      flagBits = (flagBits & ~0xD5) | ah
    case .pushR:
      try push(readReg(Int(i.reg), size: size, rex: false), size: size)
    case .popR:
      let v = try pop(size: size)
      writeReg(Int(i.reg), size: size, rex: false, v)
    case .pushI:
      try push(i.immediate & sizeMask(size), size: size)
    case .pushE:
      try push(try readRM(i, size: size), size: size)
    case .popE:
      // POP r/m computes a stack-relative address after incrementing RSP (SDM Vol. 2B POP).
      let mask = stackMask
      let sp = regs[Reg.rsp] & mask
      let v = try read(Seg.ss.rawValue, sp, size: size)
      let old = regs[Reg.rsp]
      regs[Reg.rsp] = (old & ~mask) | ((sp &+ UInt64(size)) & mask)
      do throws(Fault) {
        try writeRM(i, size: size, v)
      } catch {
        regs[Reg.rsp] = old
        throw error
      }
    case .pushSeg:
      let v = UInt64(segments[Int(i.sub)].selector)
      if size == 2 { try push(v, size: 2) } else { try push(v, size: size) }
    case .popSeg:
      let v = try peekStack(0, size: size)
      try loadSegment(Int(i.sub), UInt16(truncatingIfNeeded: v))
      _ = try pop(size: size)
      if Int(i.sub) == Seg.ss.rawValue { blockInterruptsForOneInstruction(debugTraps: true) }
    case .pusha:
      let sp = readReg(Reg.rsp.rawValue, size: size, rex: false)
      for r in 0..<8 { try push(r == Reg.rsp.rawValue ? sp : readReg(r, size: size, rex: false), size: size) }
    case .popa:
      for r in (0..<8).reversed() {
        let v = try pop(size: size)
        if r != Reg.rsp.rawValue { writeReg(r, size: size, rex: false, v) }
      }
    case .enter:
      try enter(i)
    case .leave:
      let mask = stackMask
      regs[Reg.rsp] = (regs[Reg.rsp] & ~mask) | (regs[Reg.rbp] & mask)
      let v = try pop(size: size)
      writeReg(Reg.rbp.rawValue, size: size, rex: false, v)
    case .movES:
      // Sreg 6 and 7 do not exist (SDM Vol. 2A MOV: #UD); check before reading the array.
      if i.reg & 7 > 5 { throw Fault.invalidOpcode }
      let v = UInt64(segments[Int(i.reg & 7)].selector)
      try writeRM(i, size: i.hasMemory ? 2 : size, v)
    case .movSE:
      let s = Int(i.reg & 7)
      if s == Seg.cs.rawValue || s > 5 { throw Fault.invalidOpcode }
      try loadSegment(s, UInt16(truncatingIfNeeded: try readRM(i, size: 2)))
      if s == Seg.ss.rawValue { blockInterruptsForOneInstruction(debugTraps: true) }
    case .lfp:
      guard i.hasMemory else { throw Fault.invalidOpcode }
      let ea = effectiveAddress(i)
      let offset = try read(Int(i.segment), ea, size: size)
      let sel = try read(Int(i.segment), ea &+ UInt64(size), size: 2)
      try loadSegment(Int(i.sub), UInt16(sel))
      writeG(i, size: size, offset)
    default:
      throw Fault.invalidOpcode
    }
  }

  /// ENTER with nesting levels (SDM Vol. 2A ENTER pseudocode).
  func enter(_ i: Instruction) throws(Fault) {
    let size = Int(i.opSize)
    let allocation = i.immediate & 0xFFFF
    let level = UInt64(i.immediate2 & 0x1F)
    let mask = stackMask
    try push(readReg(Reg.rbp.rawValue, size: size, rex: false), size: size)
    let frame = regs[Reg.rsp] & mask
    if level > 0 {
      var bp = regs[Reg.rbp]
      if level > 1 {
        for _ in 1..<level {
          bp = (bp &- UInt64(size)) & mask
          try push(try read(Seg.ss.rawValue, bp, size: size), size: size)
        }
      }
      try push(frame, size: size)
    }
    writeReg(Reg.rbp.rawValue, size: size, rex: false, frame)
    regs[Reg.rsp] = (regs[Reg.rsp] & ~mask) | ((regs[Reg.rsp] &- allocation) & mask)
  }

  /// MOV SS, POP SS and STI delay interrupts until after the next instruction (SDM Vol. 3A 6.8.3);
  /// MOV SS and POP SS delay #DB traps too (`debugTraps`; STI does not, kvm-unit-tests debug).
  func blockInterruptsForOneInstruction(debugTraps: Bool = false) {
    interruptShadow = true
    interruptCheckNeeded = true
    if debugTraps { debugShadowPending = true }
  }

  /// The low `size` bytes of `v` in the opposite order.
  func byteSwapped(_ v: UInt64, size: Int) -> UInt64 {
    v.byteSwapped >> UInt64(64 - 8 * size)
  }
}
