// SSE and SSE2 data arrangement: shuffles, half-register moves, sign masks, word inserts and extracts,
// byte-masked and non-temporal stores, and the moves between MMX and XMM registers (SDM Vol. 2 per
// instruction). None of them does arithmetic, so none raises a floating-point exception.

/// `Instruction.sub` of `.sseShuffle`.
enum SIMDShuffle: UInt8 {
  /// SHUFPS, SHUFPD: the low elements from the destination, the high ones from the source, by imm8.
  case shufps, shufpd
  /// PSHUFD, PSHUFHW, PSHUFLW (XMM) and PSHUFW (MMX): elements of the source by imm8.
  case pshufd, pshufhw, pshuflw, pshufw
}

/// `Instruction.sub` of `.sseMoveHalf`: bit 0 store, bit 1 the high quadword, bit 2 the register form
/// is MOVHLPS/MOVLHPS (NP 0F 12 and 0F 16) rather than #UD.
enum SIMDHalfMove {
  static let store: UInt8 = 1, high: UInt8 = 2, registerForm: UInt8 = 4
}

extension CPU {
  func executeSIMDShuffle(_ i: Instruction) throws(Fault) {
    guard let kind = SIMDShuffle(rawValue: i.sub) else { throw Fault.invalidOpcode }
    let imm = i.immediate & 0xFF
    func pick(_ k: UInt64) -> Int { Int((imm >> (2 * k)) & 3) }
    if kind == .pshufw {
      try requireMMX()
      let s = Vector(try mmxSource(i))
      var r = Vector(0)
      for k in 0..<4 { r[k, size: 2] = s[pick(UInt64(k)), size: 2] }
      fpu.setMMX(Int(i.reg & 7), r.lo)
      return
    }
    try requireSSE()
    let n = Int(i.reg)
    let a = fpu.vector(n)
    let b = try simdSource(i)
    var r = a
    switch kind {
    case .shufps:
      for k in 0..<4 { r[k, size: 4] = (k < 2 ? a : b)[pick(UInt64(k)), size: 4] }
    case .shufpd:
      r = Vector(imm & 1 == 0 ? a.lo : a.hi, imm & 2 == 0 ? b.lo : b.hi)
    case .pshufd:
      for k in 0..<4 { r[k, size: 4] = b[pick(UInt64(k)), size: 4] }
    case .pshufhw:
      r.lo = b.lo
      for k in 0..<4 { r[4 + k, size: 2] = b[4 + pick(UInt64(k)), size: 2] }
    case .pshuflw:
      r.hi = b.hi
      for k in 0..<4 { r[k, size: 2] = b[pick(UInt64(k)), size: 2] }
    case .pshufw:
      break
    }
    fpu.setVector(n, r)
  }

  /// MOVLPS MOVHPS MOVLPD MOVHPD (m64, either way) and MOVHLPS MOVLHPS (registers).
  func executeSIMDHalfMove(_ i: Instruction) throws(Fault) {
    try requireSSE()
    let n = 2 * Int(i.reg)
    let high = i.sub & SIMDHalfMove.high != 0
    if !i.hasMemory {
      guard i.sub & SIMDHalfMove.registerForm != 0 else { throw Fault.invalidOpcode }
      // MOVHLPS: the source's high quadword to the destination's low one; MOVLHPS the reverse.
      let m = 2 * Int(i.rm)
      if high { fpu.xmm[n + 1] = fpu.xmm[m] } else { fpu.xmm[n] = fpu.xmm[m + 1] }
      return
    }
    let k = n + (high ? 1 : 0)
    if i.sub & SIMDHalfMove.store != 0 {
      try write(Int(i.segment), effectiveAddress(i), size: 8, fpu.xmm[k])
    } else {
      fpu.xmm[k] = try read(Int(i.segment), effectiveAddress(i), size: 8)
    }
  }

  /// MOVMSKPS, MOVMSKPD (`sub` 4, 8: the element size) and PMOVMSKB (`sub` 1; MMX without a prefix):
  /// the elements' sign bits into a general register, the rest of it cleared.
  func executeMoveMask(_ i: Instruction) throws(Fault) {
    guard !i.hasMemory else { throw Fault.invalidOpcode }
    let size = Int(i.sub)
    let source: Vector
    var width = 16
    if i.op == .mmxMoveMask {
      try requireMMX()
      source = Vector(fpu.mmx(Int(i.rm & 7)))
      width = 8
    } else {
      try requireSSE()
      source = fpu.vector(Int(i.rm))
    }
    var mask: UInt64 = 0
    for k in 0..<(width / size) { mask |= (source[k, size: size] >> UInt64(size * 8 - 1)) << UInt64(k) }
    regs[Int(i.reg)] = mask
  }

  /// PEXTRW (register source only) and PINSRW (a general register or m16), the word chosen by imm8;
  /// `sub` bit 0: XMM (66h), else MMX.
  func executeWordInsertExtract(_ i: Instruction) throws(Fault) {
    let wide = i.sub & 1 != 0
    if wide { try requireSSE() } else { try requireMMX() }
    let k = Int(i.immediate & (wide ? 7 : 3))
    if i.op == .pextrw {
      guard !i.hasMemory else { throw Fault.invalidOpcode }
      let m = Int(i.rm)
      let v = wide ? fpu.vector(m) : Vector(fpu.mmx(m & 7))
      regs[Int(i.reg)] = v[k, size: 2]
      return
    }
    let word = try readRM(i, size: 2)
    let n = Int(i.reg)
    if wide {
      var v = fpu.vector(n)
      v[k, size: 2] = word
      fpu.setVector(n, v)
    } else {
      var v = Vector(fpu.mmx(n & 7))
      v[k, size: 2] = word
      fpu.setMMX(n & 7, v.lo)
    }
  }

  /// MASKMOVQ and MASKMOVDQU: the bytes of the first register whose mask byte (second register) has
  /// its top bit set, stored at DS:rDI (a segment override applies). Only those bytes are written.
  func executeMaskMove(_ i: Instruction) throws(Fault) {
    guard !i.hasMemory else { throw Fault.invalidOpcode }
    let wide = i.sub & 1 != 0
    if wide { try requireSSE() } else { try requireMMX() }
    let n = Int(i.reg), m = Int(i.rm)
    let data = wide ? fpu.vector(n) : Vector(fpu.mmx(n & 7))
    let mask = wide ? fpu.vector(m) : Vector(fpu.mmx(m & 7))
    let base = regs[Reg.rdi] & i.addressMask
    for k in 0..<(wide ? 16 : 8) where mask[k, size: 1] & 0x80 != 0 {
      try write(Int(i.segment), (base &+ UInt64(k)) & i.addressMask, size: 1, data[k, size: 1])
    }
  }

  /// MOVNTI m32/m64, r (SSE2): a plain store here, with no cache to bypass.
  func executeMoveNonTemporal(_ i: Instruction) throws(Fault) {
    guard i.hasMemory else { throw Fault.invalidOpcode }
    try write(
      Int(i.segment), effectiveAddress(i), size: Int(i.opSize), readReg(Int(i.reg), size: Int(i.opSize), rex: true))
  }

  /// MOVQ2DQ xmm, mm (F3 0F D6) and MOVDQ2Q mm, xmm (F2 0F D6): register forms only.
  func executeMMXTransfer(_ i: Instruction) throws(Fault) {
    guard !i.hasMemory else { throw Fault.invalidOpcode }
    try requireSSE()
    try enterMMXForConversion()
    if i.op == .movq2dq {
      fpu.setVector(Int(i.reg), Vector(fpu.mmx(Int(i.rm & 7))))
    } else {
      fpu.setMMX(Int(i.reg & 7), fpu.xmm[2 * Int(i.rm)])
    }
  }
}
