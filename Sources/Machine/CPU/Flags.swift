// RFLAGS with lazily computed status flags.
//
// Why lazy: most arithmetic results are never tested. Every family that sets the status flags records
// its operands and result, and the six flags (SDM Vol. 1 3.4.3.1) are computed only when something
// reads them, by the formulas in `materializeSlow`, the one place they are written.

enum LazyOp: UInt8 {
  case none, add, sub, logic, inc, dec
  /// ADC/SBB with a carry (borrow) of 1 in; with 0 in they are ADD/SUB.
  case adc, sbb
  /// Shifts by a non-zero masked count (`src`); ROL/ROR keep SF ZF AF PF, which `flagBits` then holds.
  case shl, shr, sar, rol, ror
  /// Multiplication: `src` is 1 when the product did not fit (CF=OF=1); SF ZF PF from the low half.
  case mul
}

/// The pending computation. Operands and result are stored shifted left so that the operation's sign
/// bit is bit 63 (QEMU keeps its condition codes the same way): CF, ZF, SF and OF then follow from
/// 64-bit compares with no mask by size, and the shift drops whatever lay above the operand.
///
/// Each operation stores only what its flags need (`setLazy`): ADD and SUB (CMP) their operands, INC
/// and DEC the operand, logic the result; `result(_:)` recomputes the others' results.
struct LazyFlags {
  /// The operation in the low byte, the operand size in bytes above it: one store sets both.
  var tag: UInt16 = 0x100
  var dst: UInt64 = 0
  var src: UInt64 = 0
  var result: UInt64 = 0

  var op: LazyOp {
    // The cases are numbered as their raw values, so the low byte is the enum's representation.
    @inline(always) get { unsafeBitCast(UInt8(truncatingIfNeeded: tag), to: LazyOp.self) }
    @inline(always) set { tag = (tag & 0xFF00) | UInt16(unsafeBitCast(newValue, to: UInt8.self)) }
  }
  var size: Int { @inline(always) get { Int(tag >> 8) } }

  /// The result, shifted like the operands.
  var shiftedResult: UInt64 {
    @inline(always) get {
      switch op {
      case .add: return dst &+ src
      case .sub: return dst &- src
      case .inc: return dst &+ (1 &<< lazyShift(size))
      case .dec: return dst &- (1 &<< lazyShift(size))
      default: return result
      }
    }
  }
}

/// How far a `size`-byte value is shifted into the lazy record.
@inline(always) func lazyShift(_ size: Int) -> UInt64 { UInt64(truncatingIfNeeded: 64 &- size &* 8) }

// Masking shifts (&>>, &<<) compile to a single shift: sizes are 1, 2, 4 or 8, so the shift counts
// (56, 48, 32, 0 and 7, 15, 31, 63) are always in range and no branch is needed.
@inline(always) func sizeMask(_ size: Int) -> UInt64 { UInt64.max &>> UInt64(truncatingIfNeeded: 64 &- size &* 8) }
@inline(always) func signBit(_ size: Int) -> UInt64 { 1 &<< UInt64(truncatingIfNeeded: size &* 8 &- 1) }
@inline(always) func signExtend(_ v: UInt64, from size: Int) -> UInt64 {
  switch size {
  case 1: return UInt64(bitPattern: Int64(Int8(truncatingIfNeeded: v)))
  case 2: return UInt64(bitPattern: Int64(Int16(truncatingIfNeeded: v)))
  case 4: return UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: v)))
  default: return v
  }
}

/// PF: set when the low byte of the result has an even number of one bits.
@inline(always) func parityFlag(_ v: UInt64) -> UInt64 {
  (UInt8(truncatingIfNeeded: v).nonzeroBitCount & 1) == 0 ? Flag.pf : 0
}

/// ZF, SF and PF of a result of `size` bytes.
@inline(always) func zspFlags(_ r: UInt64, _ size: Int) -> UInt64 {
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

  @inline(always)
  func setLazy(_ op: LazyOp, size: Int, dst: UInt64, src: UInt64, result: UInt64) {
    let k = lazyShift(size)
    lazy.tag = UInt16(unsafeBitCast(op, to: UInt8.self)) | UInt16(truncatingIfNeeded: size) << 8
    switch op {
    case .add, .sub:
      lazy.dst = dst &<< k
      lazy.src = src &<< k
    case .inc, .dec:
      lazy.dst = dst &<< k
    case .logic:
      lazy.result = result &<< k
    default:
      lazy.dst = dst &<< k
      lazy.src = src &<< k
      lazy.result = result &<< k
    }
  }

  /// Replaces the six status flags with `f` (an eager computation).
  @inline(always)
  func setArithmeticFlags(_ f: UInt64) {
    lazy.op = .none
    flagBits = (flagBits & ~Flag.arithmetic) | f
  }

  /// Folds a pending lazy computation into `flagBits`.
  @inline(always)
  func materializeFlags() {
    if lazy.op == .none { return }
    materializeSlow()
  }

  func materializeSlow() {
    if lazy.op == .rol || lazy.op == .ror { return materializeRotate() }
    let s = lazy.size
    let sb = signBit(s)
    let k = lazyShift(s)
    let logic = lazy.op == .logic
    let d = logic ? 0 : lazy.dst &>> k, v = logic ? 0 : lazy.src &>> k, r = lazy.shiftedResult &>> k
    var f = zspFlags(r, s)
    switch lazy.op {
    case .add, .adc:
      if lazy.op == .add ? r < d : r <= d { f |= Flag.cf }
      if (d ^ r) & (v ^ r) & sb != 0 { f |= Flag.of }
      f |= (d ^ v ^ r) & Flag.af
    case .sub, .sbb:
      if lazy.op == .sub ? d < v : d <= v { f |= Flag.cf }
      if (d ^ v) & (d ^ r) & sb != 0 { f |= Flag.of }
      f |= (d ^ v ^ r) & Flag.af
    case .shl:
      // CF is the last bit shifted out; OF = MSB(result) XOR CF (SDM Vol. 2B SAL/SAR/SHL/SHR).
      let bits = UInt64(s * 8)
      let cf = v > bits ? 0 : (d >> (bits &- v)) & 1
      f |= cf
      if ((r & sb) != 0) != (cf != 0) { f |= Flag.of }
    case .shr:
      f |= (d >> (v &- 1)) & 1
      if d & sb != 0 && v == 1 { f |= Flag.of }
    case .sar:
      let sd = Int64(bitPattern: signExtend(d, from: s))
      f |= UInt64(bitPattern: sd >> Int64(min(v &- 1, 63))) & 1
    case .rol, .ror:
      break  // materializeRotate
    case .mul:
      if v != 0 { f |= Flag.cf | Flag.of }
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

  /// ROL/ROR change only CF and OF (SDM Vol. 2B RCL/RCR/ROL/ROR); SF ZF AF PF are those of the
  /// computation before, kept in `rotated` (see `recordRotate`).
  func materializeRotate() {
    let rotate = lazy
    lazy = rotated
    rotated.op = .none
    materializeFlags()
    let sb = signBit(Int(rotate.size))
    let r = rotate.result &>> lazyShift(Int(rotate.size))
    var f = flagBits & Flag.arithmetic & ~(Flag.cf | Flag.of)
    let cf = rotate.op == .rol ? r & 1 != 0 : r & sb != 0
    let next = rotate.op == .rol ? r & 1 != 0 : r & (sb >> 1) != 0
    if cf { f |= Flag.cf }
    if ((r & sb) != 0) != next { f |= Flag.of }
    lazy.op = .none
    flagBits = (flagBits & ~Flag.arithmetic) | f
  }

  /// Records a rotate lazily: the pending computation moves to `rotated` (it still owns SF ZF AF PF).
  /// A rotate after a rotate folds the first one, so `rotated` is never itself a rotate.
  @inline(always)
  func recordRotate(left: Bool, size: Int, result: UInt64) {
    if lazy.op == .rol || lazy.op == .ror { materializeSlow() }
    rotated = lazy
    setLazy(left ? .rol : .ror, size: size, dst: 0, src: 0, result: result)
  }

  @inline(always) var carry: Bool {
    switch lazy.op {
    case .none, .inc, .dec: return flagBits & Flag.cf != 0
    case .add: return lazy.dst &+ lazy.src < lazy.dst
    case .sub: return lazy.dst < lazy.src
    case .logic: return false
    case .mul: return lazy.src != 0
    default:
      materializeSlow()
      return flagBits & Flag.cf != 0
    }
  }

  @inline(always) var zero: Bool {
    switch lazy.op {
    case .none, .rol, .ror: return flag(Flag.zf)
    default: return lazy.shiftedResult == 0
    }
  }

  @inline(always) func flag(_ bit: UInt64) -> Bool {
    materializeFlags()
    return flagBits & bit != 0
  }

  @inline(always) func setFlag(_ bit: UInt64, _ on: Bool) {
    materializeFlags()
    if on { flagBits |= bit } else { flagBits &= ~bit }
  }

  var interruptsEnabled: Bool { flagBits & Flag.if != 0 }
  var direction: Bool { flagBits & Flag.df != 0 }

  /// Evaluates condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc, SDM Vol. 1 appendix B).
  /// While flags are pending, the condition is answered from the operands without folding them into
  /// RFLAGS: after CMP/SUB by comparing them (their sign bits are at bit 63, so a signed compare of
  /// the record's values is a signed compare of the operands), after logic from the result. With a
  /// constant `cc` (the Jcc handlers) only that condition's formula remains.
  @inline(always)
  func condition(_ cc: UInt8) -> Bool {
    let d = lazy.dst, v = lazy.src
    let holds: Bool
    switch lazy.op {
    case .sub:
      switch cc >> 1 {
      case 0: holds = ((d ^ v) & (d ^ (d &- v))) >> 63 != 0
      case 1: holds = d < v
      case 2: holds = d == v
      case 3: holds = d <= v
      case 4: holds = (d &- v) >> 63 != 0
      case 5: return conditionFromFlags(cc)
      case 6: holds = Int64(bitPattern: d) < Int64(bitPattern: v)
      default: holds = Int64(bitPattern: d) <= Int64(bitPattern: v)
      }
    case .logic:
      // CF = OF = 0.
      let r = lazy.result
      switch cc >> 1 {
      case 0, 1: holds = false
      case 2, 3: holds = r == 0
      case 4, 6: holds = r >> 63 != 0
      case 5: return conditionFromFlags(cc)
      default: holds = Int64(bitPattern: r) <= 0
      }
    case .add, .inc, .dec:
      if cc & 0xE == 0xA { return conditionFromFlags(cc) }
      let r = lazy.shiftedResult
      let sb: UInt64 = 1 << 63
      var cf = false, of = false
      if lazy.op == .add {
        cf = r < d
        of = (d ^ r) & (v ^ r) & sb != 0
      } else {
        cf = flagBits & Flag.cf != 0
        of = lazy.op == .inc ? r == sb : d == sb
      }
      let zf = r == 0, sf = r & sb != 0
      let lt = sf != of
      switch cc >> 1 {
      case 0: holds = of
      case 1: holds = cf
      case 2: holds = zf
      case 3: holds = cf || zf
      case 4: holds = sf
      case 6: holds = lt
      default: holds = zf || lt
      }
    default:
      return conditionFromFlags(cc)
    }
    return cc & 1 == 0 ? holds : !holds
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
