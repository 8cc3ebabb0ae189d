// RFLAGS with lazily computed status flags.
//
// Why lazy: most arithmetic results are never tested; ADD/SUB/CMP/logic/INC/DEC record their operands
// and the six status flags (SDM Vol. 1 3.4.3.1) are computed only when something reads them.

enum LazyOp: UInt8 {
  case none, add, sub, logic, inc, dec
}

struct LazyFlags {
  var op: LazyOp = .none
  var size: Int = 1
  var dst: UInt64 = 0
  var src: UInt64 = 0
  var result: UInt64 = 0
}

@inline(__always) func sizeMask(_ size: Int) -> UInt64 { size >= 8 ? ~0 : (1 << (UInt64(size) &* 8)) &- 1 }
@inline(__always) func signBit(_ size: Int) -> UInt64 { 1 << (UInt64(size) &* 8 &- 1) }
@inline(__always) func signExtend(_ v: UInt64, from size: Int) -> UInt64 {
  switch size {
  case 1: return UInt64(bitPattern: Int64(Int8(truncatingIfNeeded: v)))
  case 2: return UInt64(bitPattern: Int64(Int16(truncatingIfNeeded: v)))
  case 4: return UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: v)))
  default: return v
  }
}

/// PF: set when the low byte of the result has an even number of one bits.
@inline(__always) func parityFlag(_ v: UInt64) -> UInt64 {
  (UInt8(truncatingIfNeeded: v).nonzeroBitCount & 1) == 0 ? Flag.pf : 0
}

/// ZF, SF and PF of a result of `size` bytes.
@inline(__always) func zspFlags(_ r: UInt64, _ size: Int) -> UInt64 {
  let m = r & sizeMask(size)
  var f = parityFlag(m)
  if m == 0 { f |= Flag.zf }
  if m & signBit(size) != 0 { f |= Flag.sf }
  return f
}

extension CPU {
  /// The architectural RFLAGS value.
  public var rflags: UInt64 {
    get {
      materializeFlags()
      return flagBits
    }
    set {
      lazy.op = .none
      flagBits = (newValue & (Flag.writable | Flag.vm)) | Flag.reserved1
      interruptCheckNeeded = true
    }
  }

  @inline(__always)
  func setLazy(_ op: LazyOp, size: Int, dst: UInt64, src: UInt64, result: UInt64) {
    lazy.op = op
    lazy.size = size
    lazy.dst = dst
    lazy.src = src
    lazy.result = result
  }

  /// Replaces the six status flags with `f` (an eager computation).
  @inline(__always)
  func setArithmeticFlags(_ f: UInt64) {
    lazy.op = .none
    flagBits = (flagBits & ~Flag.arithmetic) | f
  }

  /// Folds a pending lazy computation into `flagBits`.
  @inline(__always)
  func materializeFlags() {
    if lazy.op == .none { return }
    materializeSlow()
  }

  func materializeSlow() {
    let s = lazy.size
    let m = sizeMask(s), sb = signBit(s)
    let d = lazy.dst & m, v = lazy.src & m, r = lazy.result & m
    var f = zspFlags(r, s)
    switch lazy.op {
    case .add:
      if r < d { f |= Flag.cf }
      if (d ^ r) & (v ^ r) & sb != 0 { f |= Flag.of }
      f |= (d ^ v ^ r) & Flag.af
    case .sub:
      if d < v { f |= Flag.cf }
      if (d ^ v) & (d ^ r) & sb != 0 { f |= Flag.of }
      f |= (d ^ v ^ r) & Flag.af
    case .inc:
      f |= flagBits & Flag.cf
      if r == sb { f |= Flag.of }
      f |= (d ^ 1 ^ r) & Flag.af
    case .dec:
      f |= flagBits & Flag.cf
      if d == sb { f |= Flag.of }
      f |= (d ^ 1 ^ r) & Flag.af
    case .logic, .none:
      break
    }
    lazy.op = .none
    flagBits = (flagBits & ~Flag.arithmetic) | f
  }

  @inline(__always) var carry: Bool {
    if lazy.op == .none { return flagBits & Flag.cf != 0 }
    switch lazy.op {
    case .add: return (lazy.result & sizeMask(lazy.size)) < (lazy.dst & sizeMask(lazy.size))
    case .sub: return (lazy.dst & sizeMask(lazy.size)) < (lazy.src & sizeMask(lazy.size))
    case .logic: return false
    default: return flagBits & Flag.cf != 0
    }
  }

  @inline(__always) var zero: Bool {
    if lazy.op == .none { return flagBits & Flag.zf != 0 }
    return lazy.result & sizeMask(lazy.size) == 0
  }

  @inline(__always) func flag(_ bit: UInt64) -> Bool {
    materializeFlags()
    return flagBits & bit != 0
  }

  @inline(__always) func setFlag(_ bit: UInt64, _ on: Bool) {
    materializeFlags()
    if on { flagBits |= bit } else { flagBits &= ~bit }
  }

  var interruptsEnabled: Bool { flagBits & Flag.if != 0 }
  var direction: Bool { flagBits & Flag.df != 0 }

  /// Evaluates condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc, SDM Vol. 1 appendix B).
  /// After CMP/SUB the conditions are answered from the operands themselves (unsigned and signed
  /// comparisons), without computing the flags.
  @inline(__always)
  func condition(_ cc: UInt8) -> Bool {
    let r: Bool
    switch lazy.op {
    case .sub:
      let m = sizeMask(lazy.size)
      let d = lazy.dst & m, s = lazy.src & m
      switch cc >> 1 {
      case 1: r = d < s
      case 2: r = d == s
      case 3: r = d <= s
      case 6: r = Int64(bitPattern: signExtend(d, from: lazy.size)) < Int64(bitPattern: signExtend(s, from: lazy.size))
      case 7: r = Int64(bitPattern: signExtend(d, from: lazy.size)) <= Int64(bitPattern: signExtend(s, from: lazy.size))
      default: return conditionFromFlags(cc)
      }
    case .logic, .inc, .dec, .add:
      switch cc >> 1 {
      case 2: r = lazy.result & sizeMask(lazy.size) == 0
      default: return conditionFromFlags(cc)
      }
    case .none:
      return conditionFromFlags(cc)
    }
    return cc & 1 == 0 ? r : !r
  }

  func conditionFromFlags(_ cc: UInt8) -> Bool {
    materializeFlags()
    let f = flagBits
    let r: Bool
    switch cc >> 1 {
    case 0: r = f & Flag.of != 0
    case 1: r = f & Flag.cf != 0
    case 2: r = f & Flag.zf != 0
    case 3: r = f & (Flag.cf | Flag.zf) != 0
    case 4: r = f & Flag.sf != 0
    case 5: r = f & Flag.pf != 0
    case 6: r = (f & Flag.sf != 0) != (f & Flag.of != 0)
    default: r = f & Flag.zf != 0 || (f & Flag.sf != 0) != (f & Flag.of != 0)
    }
    return cc & 1 == 0 ? r : !r
  }
}
