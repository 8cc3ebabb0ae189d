// ROL ROR RCL RCR SHL SHR SAR, SHLD SHRD (SDM Vol. 2B "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR", SHLD, SHRD).
// A masked count of 0 changes nothing, not even the flags. OF is architecturally defined only for
// 1-bit shifts; for larger counts we compute it with the same formula (tests mask it as undefined).
// The shift handlers (Dispatch.swift) run `shift` inlined; this file's `executeShift` is the
// generic path (memory operands, CL counts, 8- and 16-bit operands).

extension CPU {
  func executeShift(_ i: Instruction) throws(Fault) {
    let size = Int(i.opSize)
    let raw: UInt64
    switch i.op {
    case .shift1: raw = 1
    case .shiftCL: raw = regs[Reg.rcx] & 0xFF
    default: raw = i.immediate & 0xFF
    }
    let count = raw & (size == 8 ? 0x3F : 0x1F)
    if count == 0 {
      // Nothing changes, except that a 32-bit register destination is still written (zero-extended).
      if size == 4 && !i.hasMemory { writeReg(Int(i.rm), size: 4, rex: i.rex, readReg(Int(i.rm), size: 4, rex: i.rex)) }
      return
    }
    let ea = i.hasMemory ? effectiveAddress(i) : 0
    let d = i.hasMemory ? try read(Int(i.segment), ea, size: size) : readReg(Int(i.rm), size: size, rex: i.rex)
    let r = shift(i.sub, d, count: count, size: size)
    if i.hasMemory {
      try write(Int(i.segment), ea, size: size, r)
    } else {
      writeReg(Int(i.rm), size: size, rex: i.rex, r)
    }
  }

  /// Shift/rotate `d` by a non-zero masked `count` and record the flags; `kind` is group 2's ModRM.reg.
  /// Inlined with a constant `kind` into the shift handlers (Dispatch.swift).
  @inline(always)
  func shift(_ kind: UInt8, _ d: UInt64, count: UInt64, size: Int) -> UInt64 {
    let bits = UInt64(truncatingIfNeeded: size &* 8)
    let m = sizeMask(size)
    let v = d & m
    switch kind {
    case 0, 1:  // ROL, ROR: only CF and OF change
      let c = count % bits
      let r: UInt64
      if c == 0 {
        r = v
      } else if kind == 0 {
        r = ((v &<< c) | (v &>> (bits &- c))) & m
      } else {
        r = ((v &>> c) | (v &<< (bits &- c))) & m
      }
      recordRotate(left: kind == 0, size: size, result: r)
      return r
    case 2, 3:
      return rotateThroughCarry(right: kind == 3, v, count: count, size: size)
    case 5:  // SHR (count < 64 after masking)
      let r = v &>> count
      setLazy(.shr, size: size, dst: v, src: count, result: r)
      return r
    case 7:  // SAR
      let r = UInt64(bitPattern: Int64(bitPattern: signExtend(v, from: size)) &>> Int64(count)) & m
      setLazy(.sar, size: size, dst: v, src: count, result: r)
      return r
    default:  // 4 SHL, 6 SAL
      let r = (v &<< count) & m
      setLazy(.shl, size: size, dst: v, src: count, result: r)
      return r
    }
  }

  /// RCL, RCR: rotate through CF, the count taken modulo width+1; only CF and OF change.
  func rotateThroughCarry(right: Bool, _ v: UInt64, count: UInt64, size: Int) -> UInt64 {
    let m = sizeMask(size), sb = signBit(size)
    materializeFlags()
    var f = flagBits & Flag.arithmetic
    var c = count
    if size == 1 { c %= 9 } else if size == 2 { c %= 17 }
    var cf: UInt64 = f & Flag.cf
    var r = v
    if !right {
      for _ in 0..<c {
        let out = (r & sb) != 0 ? UInt64(1) : 0
        r = ((r << 1) | cf) & m
        cf = out
      }
      f = (f & ~(Flag.cf | Flag.of)) | cf
      if ((r & sb) != 0) != (cf != 0) { f |= Flag.of }
    } else {
      // OF for RCR is MSB(dest) XOR CF before the rotation (count 1).
      let of = ((v & sb) != 0) != (cf != 0)
      for _ in 0..<c {
        let out = r & 1
        r = (r >> 1) | (cf != 0 ? sb : 0)
        cf = out
      }
      f = (f & ~(Flag.cf | Flag.of)) | cf
      if c == 1 ? of : ((r & sb) != 0) != ((r & (sb >> 1)) != 0) { f |= Flag.of }
    }
    if c == 0 { return v }
    setArithmeticFlags(f)
    return r
  }

  func executeDoubleShift(_ i: Instruction) throws(Fault) {
    let size = Int(i.opSize)
    let raw = (i.op == .shldCL || i.op == .shrdCL) ? regs[Reg.rcx] : i.immediate
    let count = raw & (size == 8 ? 0x3F : 0x1F)
    if count == 0 {
      if size == 4 && !i.hasMemory { writeReg(Int(i.rm), size: 4, rex: i.rex, readReg(Int(i.rm), size: 4, rex: i.rex)) }
      return
    }
    let m = sizeMask(size), sb = signBit(size)
    let ea = i.hasMemory ? effectiveAddress(i) : 0
    let d = (i.hasMemory ? try read(Int(i.segment), ea, size: size) : readReg(Int(i.rm), size: size, rex: i.rex)) & m
    let s = readG(i, size: size) & m
    var r: UInt64 = 0
    var cf: UInt64 = 0
    let left = i.op == .shldImm || i.op == .shldCL
    // Treat dest:src (SHLD) or src:dest (SHRD) as one 2*width value; counts above the width on 16-bit
    // operands are undefined by the SDM and here keep shifting through the concatenation.
    if left {
      var hi = d, lo = s
      for _ in 0..<count {
        cf = (hi & sb) != 0 ? 1 : 0
        hi = ((hi << 1) | ((lo & sb) != 0 ? 1 : 0)) & m
        lo = ((lo << 1) | cf) & m
      }
      r = hi
    } else {
      var lo = d, hi = s
      for _ in 0..<count {
        cf = lo & 1
        lo = (lo >> 1) | ((hi & 1) != 0 ? sb : 0)
        hi = (hi >> 1) | (cf != 0 ? sb : 0)
      }
      r = lo
    }
    var f = zspFlags(r, size) | cf
    if ((r ^ d) & sb) != 0 { f |= Flag.of }
    setArithmeticFlags(f)
    if i.hasMemory {
      try write(Int(i.segment), ea, size: size, r)
    } else {
      writeReg(Int(i.rm), size: size, rex: i.rex, r)
    }
  }
}
