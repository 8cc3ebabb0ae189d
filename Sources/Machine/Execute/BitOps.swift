// BT BTS BTR BTC, BSF BSR, BSWAP, SETcc, CMOVcc (SDM Vol. 2A/2B).

extension CPU {
  func executeBitOps(_ i: Instruction) throws(Fault) {
    let size = Int(i.opSize)
    switch i.op {
    case .btReg, .btImm:
      // Only CF is defined; OF SF AF PF are undefined and left unchanged, ZF unchanged (SDM Vol. 2A BT).
      let bits = UInt64(size * 8)
      var ea: UInt64 = 0
      var bit: UInt64
      if i.op == .btImm {
        bit = i.immediate & (bits - 1)
        if i.hasMemory { ea = effectiveAddress(i) }
      } else {
        let offset = readG(i, size: size)
        if i.hasMemory {
          // A register bit offset addresses memory beyond the operand (signed, SDM Vol. 1 3.7.6).
          let signed = Int64(bitPattern: signExtend(offset, from: size))
          let shift: Int64 = size == 2 ? 4 : (size == 4 ? 5 : 6)
          ea = effectiveAddress(i) &+ UInt64(bitPattern: (signed >> shift) * Int64(size))
          ea = i.addrSize == 8 ? ea : (i.addrSize == 4 ? ea & 0xFFFF_FFFF : ea & 0xFFFF)
          bit = offset & (bits - 1)
        } else {
          bit = offset & (bits - 1)
        }
      }
      let v = i.hasMemory ? try read(Int(i.segment), ea, size: size) : readReg(Int(i.rm), size: size, rex: i.rex)
      let set = (v >> bit) & 1 != 0
      var r = v
      switch i.sub {
      case 1: r = v | (1 << bit)
      case 2: r = v & ~(1 << bit)
      case 3: r = v ^ (1 << bit)
      default: break
      }
      if i.sub != 0 {
        if i.hasMemory {
          try write(Int(i.segment), ea, size: size, r)
        } else {
          writeReg(Int(i.rm), size: size, rex: i.rex, r)
        }
      }
      setFlag(Flag.cf, set)
    case .bsf, .bsr:
      // Source 0: ZF=1 and the destination is left unchanged (what Intel and AMD processors do).
      let v = try readRM(i, size: size)
      materializeFlags()
      if v == 0 {
        flagBits |= Flag.zf
      } else {
        flagBits &= ~Flag.zf
        let index = i.op == .bsf ? v.trailingZeroBitCount : 63 - v.leadingZeroBitCount
        writeG(i, size: size, UInt64(index))
      }
    case .bswap:
      let r = Int(i.reg)
      if size == 8 {
        regs[r] = regs[r].byteSwapped
      } else if size == 4 {
        regs[r] = UInt64(UInt32(truncatingIfNeeded: regs[r]).byteSwapped)
      } else {
        writeReg(r, size: 2, rex: true, 0)  // BSWAP r16 is undefined; hardware yields 0
      }
    case .setcc:
      try writeRM(i, size: 1, condition(i.sub) ? 1 : 0)
    case .cmov:
      // The source is read (and may fault) even when the condition is false; a 32-bit CMOV zero-extends
      // its destination in 64-bit mode whether or not it moves (SDM Vol. 2A CMOVcc).
      let v = try readRM(i, size: size)
      if condition(i.sub) {
        writeG(i, size: size, v)
      } else if size == 4 {
        writeG(i, size: 4, readG(i, size: 4))
      }
    default:
      throw Fault.invalidOpcode
    }
  }
}
