// MUL, IMUL (one, two and three operands), DIV, IDIV (SDM Vol. 2A/2B). CF=OF report a product that does
// not fit the destination; SF ZF AF PF are undefined after multiplication (we set SF/ZF/PF from the low
// half and clear AF) and all six are undefined after division (left unchanged).

extension CPU {
  func executeMulDiv(_ i: Instruction) throws(Fault) {
    let size = Int(i.opSize)
    switch i.op {
    case .mul:
      let s = try readRM(i, size: size)
      let a = readReg(0, size: size, rex: false)
      let (hi, lo) = a.multipliedFullWidth(by: s)
      let overflow: Bool
      switch size {
      case 1:
        let p = a * s
        writeReg(0, size: 2, rex: false, p)
        overflow = p >> 8 != 0
        setMulFlags(p & 0xFF, size: 1, overflow: overflow)
      case 8:
        regs[Reg.rax] = lo
        regs[Reg.rdx] = hi
        setMulFlags(lo, size: 8, overflow: hi != 0)
      default:
        let bits = UInt64(size * 8)
        let p = lo
        writeReg(0, size: size, rex: false, p & sizeMask(size))
        writeReg(Reg.rdx.rawValue, size: size, rex: false, p >> bits)
        setMulFlags(p & sizeMask(size), size: size, overflow: p >> bits != 0)
      }
    case .imul1:
      let s = signExtend(try readRM(i, size: size), from: size)
      let a = signExtend(readReg(0, size: size, rex: false), from: size)
      let (hi, lo) = Int64(bitPattern: a).multipliedFullWidth(by: Int64(bitPattern: s))
      if size == 8 {
        regs[Reg.rax] = lo
        regs[Reg.rdx] = UInt64(bitPattern: hi)
        let fits = (hi == 0 && lo >> 63 == 0) || (hi == -1 && lo >> 63 == 1)
        setMulFlags(lo, size: 8, overflow: !fits)
      } else {
        let p = lo  // the product fits in 64 bits for operands up to 32 bits
        let bits = UInt64(size * 8)
        if size == 1 {
          writeReg(0, size: 2, rex: false, p & 0xFFFF)
        } else {
          writeReg(0, size: size, rex: false, p & sizeMask(size))
          writeReg(Reg.rdx.rawValue, size: size, rex: false, (p >> bits) & sizeMask(size))
        }
        setMulFlags(p & sizeMask(size), size: size, overflow: signExtend(p, from: size) != p)
      }
    case .imul2, .imul3:
      let b = i.op == .imul2 ? readG(i, size: size) : i.immediate
      writeG(i, size: size, imul(try readRM(i, size: size), b, size: size))
    case .div:
      let s = try readRM(i, size: size)
      if s == 0 { throw Fault.divide }
      switch size {
      case 1:
        let n = regs[Reg.rax] & 0xFFFF
        let q = n / s
        if q > 0xFF { throw Fault.divide }
        writeReg(0, size: 2, rex: false, ((n % s) << 8) | q)
      case 8:
        let hi = regs[Reg.rdx], lo = regs[Reg.rax]
        if hi >= s { throw Fault.divide }
        // RDX is usually zero (compilers clear it before an unsigned DIV): then a 64-bit division gives
        // the same quotient and remainder without the 128-bit library routine.
        if hi == 0 {
          regs[Reg.rax] = lo / s
          regs[Reg.rdx] = lo % s
        } else {
          let (q, r) = s.dividingFullWidth((hi, lo))
          regs[Reg.rax] = q
          regs[Reg.rdx] = r
        }
      default:
        let bits = UInt64(size * 8)
        let n = (readReg(Reg.rdx.rawValue, size: size, rex: false) << bits) | readReg(0, size: size, rex: false)
        let q = n / s
        if q > sizeMask(size) { throw Fault.divide }
        writeReg(0, size: size, rex: false, q)
        writeReg(Reg.rdx.rawValue, size: size, rex: false, n % s)
      }
    case .idiv:
      let s = Int64(bitPattern: signExtend(try readRM(i, size: size), from: size))
      if s == 0 { throw Fault.divide }
      switch size {
      case 8:
        let (q, r) = try signedDivide128(hi: regs[Reg.rdx], lo: regs[Reg.rax], by: s)
        regs[Reg.rax] = UInt64(bitPattern: q)
        regs[Reg.rdx] = UInt64(bitPattern: r)
      default:
        let bits = UInt64(size * 8)
        let n: Int64
        if size == 1 {
          n = Int64(Int16(truncatingIfNeeded: regs[Reg.rax]))
        } else {
          let raw = (readReg(Reg.rdx.rawValue, size: size, rex: false) << bits) | readReg(0, size: size, rex: false)
          n = Int64(bitPattern: signExtend(raw, from: size * 2))
        }
        if n == Int64.min && s == -1 { throw Fault.divide }
        let q = n / s, r = n % s
        let limit = Int64(1) << (bits - 1)
        if q >= limit || q < -limit { throw Fault.divide }
        if size == 1 {
          writeReg(0, size: 2, rex: false, ((UInt64(bitPattern: r) & 0xFF) << 8) | (UInt64(bitPattern: q) & 0xFF))
        } else {
          writeReg(0, size: size, rex: false, UInt64(bitPattern: q) & sizeMask(size))
          writeReg(Reg.rdx.rawValue, size: size, rex: false, UInt64(bitPattern: r) & sizeMask(size))
        }
      }
    default:
      throw Fault.invalidOpcode
    }
  }

  /// The two- and three-operand IMUL: the product truncated to `size` bytes, CF=OF when it did not fit.
  @inline(always)
  func imul(_ x: UInt64, _ y: UInt64, size: Int) -> UInt64 {
    let a = signExtend(x, from: size), b = signExtend(y, from: size)
    // The truncated product and signed overflow are all these forms need; unlike multipliedFullWidth,
    // this compiles to one IMUL instead of a call into the standard library.
    let (product, wide) = Int64(bitPattern: a).multipliedReportingOverflow(by: Int64(bitPattern: b))
    let lo = UInt64(bitPattern: product)
    let r = lo & sizeMask(size)
    // Operands up to 32 bits cannot overflow 64 bits, so their product is exact in `lo`.
    let overflow = size == 8 ? wide : signExtend(lo, from: size) != lo
    setMulFlags(r, size: size, overflow: overflow)
    return r
  }

  @inline(always)
  func setMulFlags(_ low: UInt64, size: Int, overflow: Bool) {
    setLazy(.mul, size: size, dst: 0, src: overflow ? 1 : 0, result: low)
  }

  /// RDX:RAX / divisor with #DE when the quotient does not fit in 64 signed bits.
  func signedDivide128(hi: UInt64, lo: UInt64, by divisor: Int64) throws(Fault) -> (Int64, Int64) {
    let negative = hi >> 63 == 1
    var mhi = hi, mlo = lo
    if negative {  // two's complement negate the 128-bit dividend
      mlo = ~lo &+ 1
      mhi = ~hi &+ (mlo == 0 ? 1 : 0)
    }
    let mdiv = divisor.magnitude
    if mhi >= mdiv { throw Fault.divide }
    let (q, r) = mdiv.dividingFullWidth((mhi, mlo))
    let quotientNegative = negative != (divisor < 0)
    if quotientNegative {
      if q > UInt64(1) << 63 { throw Fault.divide }
    } else if q >= UInt64(1) << 63 {
      throw Fault.divide
    }
    let sq = quotientNegative ? Int64(bitPattern: 0 &- q) : Int64(bitPattern: q)
    let sr = negative ? Int64(bitPattern: 0 &- r) : Int64(bitPattern: r)
    return (sq, sr)
  }
}
