// IEEE 754 binary32 and binary64 arithmetic as SSE and SSE2 do it, in integer arithmetic so that the
// result and the MXCSR flags are the same on every host (SDM Vol. 1 4.8 "Real numbers and
// floating-point formats", 4.9 "Overview of floating-point exceptions", 10.2.3 "MXCSR", 11.5 "SSE,
// SSE2 and SSE3 exceptions"). The rules that are x86's and not IEEE's:
// - tininess is detected after rounding (Vol. 1 4.9.1.5); a masked underflow is reported only
//   when the tiny result is also inexact, an unmasked one whenever the result is tiny;
// - a NaN result is the first source's NaN if it has one, else the second's, made quiet; an
//   invalid operation on numbers gives the default NaN, negative with only the quiet bit (Vol. 1
//   4.8.3.5 table 4-7, 4.8.3.7);
// - DAZ reads a denormal source as a zero of its sign, without the denormal flag; FTZ returns a
//   tiny result as a zero of its sign, with the underflow and precision flags, when underflow is
//   masked (Vol. 1 10.2.3.3, 10.2.3.4).
// Values travel as raw bits in a UInt64 (a single in the low 32 bits).

/// MXCSR's exception flags and masks, by bit (SDM Vol. 1 10.2.3 figure 10-3): flags in 5:0, the
/// masks in 12:7 in the same order.
enum FloatException {
  static let invalid: UInt32 = 1 << 0
  static let denormal: UInt32 = 1 << 1
  static let divideByZero: UInt32 = 1 << 2
  static let overflow: UInt32 = 1 << 3
  static let underflow: UInt32 = 1 << 4
  static let precision: UInt32 = 1 << 5
  static let all: UInt32 = 0x3F
  /// Raised before the computation (invalid, denormal, divide by zero): when one of them is unmasked
  /// the others, found after it, are not reported (SDM Vol. 1 11.5.2.1).
  static let preComputation: UInt32 = invalid | denormal | divideByZero
}

/// binary32 or binary64: where the fields lie.
struct FloatFormat {
  let fractionBits: Int
  let exponentBits: Int

  static let single = FloatFormat(fractionBits: 23, exponentBits: 8)
  static let double = FloatFormat(fractionBits: 52, exponentBits: 11)

  var bias: Int { (1 << (exponentBits - 1)) - 1 }
  var minExponent: Int { 1 - bias }
  var signBit: UInt64 { 1 << UInt64(fractionBits + exponentBits) }
  var fractionMask: UInt64 { (1 << UInt64(fractionBits)) - 1 }
  var exponentField: UInt64 { ((1 << UInt64(exponentBits)) - 1) << UInt64(fractionBits) }
  var quietBit: UInt64 { 1 << UInt64(fractionBits - 1) }
  /// The default NaN ("QNaN floating-point indefinite", SDM Vol. 1 table 4-3).
  var defaultNaN: UInt64 { signBit | exponentField | quietBit }
  var infinity: UInt64 { exponentField }
  var largest: UInt64 { exponentField - 1 }
  var bits: Int { fractionBits + exponentBits + 1 }
  var mask: UInt64 { bits == 64 ? ~0 : (1 << UInt64(bits)) - 1 }

  func isNaN(_ v: UInt64) -> Bool { v & exponentField == exponentField && v & fractionMask != 0 }
  func isSignalingNaN(_ v: UInt64) -> Bool { isNaN(v) && v & quietBit == 0 }
  func isInfinity(_ v: UInt64) -> Bool { v & ~signBit & mask == exponentField }
  func isZero(_ v: UInt64) -> Bool { v & ~signBit & mask == 0 }
  func isDenormal(_ v: UInt64) -> Bool { v & exponentField == 0 && v & fractionMask != 0 }
  func isNegative(_ v: UInt64) -> Bool { v & signBit != 0 }
}

/// A finite nonzero value as significand x 2^exponent (the implicit bit made explicit).
struct Unpacked {
  var negative: Bool
  var exponent: Int
  var significand: UInt64
}

/// The state one SSE operation runs in, from MXCSR, and the exception flags it raised.
struct FloatEnvironment {
  /// MXCSR.RC: 0 to nearest (even), 1 down, 2 up, 3 toward zero.
  let rounding: UInt32
  let denormalsAreZero: Bool
  let flushToZero: Bool
  let underflowMasked: Bool
  var flags: UInt32 = 0

  init(mxcsr: UInt32) {
    rounding = mxcsr >> 13 & 3
    denormalsAreZero = mxcsr & (1 << 6) != 0
    flushToZero = mxcsr & (1 << 15) != 0
    underflowMasked = mxcsr & (FloatException.underflow << 7) != 0
  }

  static let nearest: UInt32 = 0, down: UInt32 = 1, up: UInt32 = 2, towardZero: UInt32 = 3

  /// The NaN result when `a` or `b` is a NaN (SDM Vol. 1 table 4-7, the SSE column), flagging
  /// invalid for a signaling one; nil when neither is.
  mutating func propagateNaN(_ a: UInt64, _ b: UInt64, _ f: FloatFormat) -> UInt64? {
    let aNaN = f.isNaN(a), bNaN = f.isNaN(b)
    guard aNaN || bNaN else { return nil }
    if f.isSignalingNaN(a) || f.isSignalingNaN(b) { flags |= FloatException.invalid }
    return (aNaN ? a : b) | f.quietBit
  }

  /// An invalid operation on numbers: the default NaN. A denormal source of the same element is not
  /// reported besides (invalid and divide by zero come first, SDM Vol. 1 4.9.2).
  mutating func invalidResult(_ before: UInt32, _ f: FloatFormat) -> UInt64 {
    flags = before | FloatException.invalid
    return f.defaultNaN
  }

  /// A source as the operation sees it: a denormal reads as zero under DAZ, else flags denormal.
  mutating func source(_ v: UInt64, _ f: FloatFormat) -> UInt64 {
    guard f.isDenormal(v) else { return v }
    if denormalsAreZero { return v & f.signBit }
    flags |= FloatException.denormal
    return v
  }

  /// `v` with DAZ applied and no flag: what MIN/MAX return for a NaN pair and what conversions to
  /// integers read (they report no denormal exception, SDM Vol. 2A CVTSS2SI).
  func zeroedIfDenormal(_ v: UInt64, _ f: FloatFormat) -> UInt64 {
    denormalsAreZero && f.isDenormal(v) ? v & f.signBit : v
  }

  func unpack(_ v: UInt64, _ f: FloatFormat) -> Unpacked {
    let field = Int((v & f.exponentField) >> UInt64(f.fractionBits))
    let fraction = v & f.fractionMask
    if field == 0 {
      return Unpacked(negative: f.isNegative(v), exponent: f.minExponent - f.fractionBits, significand: fraction)
    }
    return Unpacked(
      negative: f.isNegative(v), exponent: field - f.bias - f.fractionBits,
      significand: fraction | (1 << UInt64(f.fractionBits)))
  }

  /// Drops the low `count` bits of `m` (count >= 1), rounding by RC; `sticky` says nonzero bits were
  /// already dropped below `m`. Returns the rounded value and whether anything was lost.
  func shiftRounding(_ m: UInt64, _ count: Int, sticky: Bool, negative: Bool, truncate: Bool = false)
    -> (UInt64, Bool)
  {
    var kept: UInt64 = 0, round = false, rest = sticky
    if count > 64 {
      rest = rest || m != 0
    } else if count == 64 {
      round = m >> 63 != 0
      rest = rest || m << 1 != 0
    } else {
      kept = m >> UInt64(count)
      round = (m >> UInt64(count - 1)) & 1 != 0
      rest = rest || m & ((1 << UInt64(count - 1)) - 1) != 0
    }
    let inexact = round || rest
    let up: Bool
    switch truncate ? FloatEnvironment.towardZero : rounding {
    case FloatEnvironment.nearest: up = round && (rest || kept & 1 != 0)
    case FloatEnvironment.down: up = negative && inexact
    case FloatEnvironment.up: up = !negative && inexact
    default: up = false
    }
    return (kept &+ (up ? 1 : 0), inexact)
  }

  /// Rounds the exact value (-1)^negative x m x 2^exponent (m != 0; `sticky` for nonzero bits
  /// below m) to the format, with overflow, underflow, FTZ and the precision flag.
  mutating func round(_ negative: Bool, _ exponent: Int, _ m: UInt64, sticky: Bool = false, _ f: FloatFormat)
    -> UInt64
  {
    let shift = m.leadingZeroBitCount
    let normalized = m << UInt64(shift)
    let top = exponent - shift + 63  // the exponent of the leading bit
    let precision = f.fractionBits + 1
    let sign = negative ? f.signBit : 0
    // First as if the exponent had no bounds: that result decides overflow and tininess.
    var (significand, inexact) = shiftRounding(normalized, 64 - precision, sticky: sticky, negative: negative)
    var roundedTop = top
    if significand >> UInt64(precision) != 0 {
      significand >>= 1
      roundedTop += 1
    }
    if roundedTop > f.bias {
      flags |= FloatException.overflow | FloatException.precision
      let toInfinity =
        rounding == FloatEnvironment.nearest || (rounding == FloatEnvironment.up && !negative)
        || (rounding == FloatEnvironment.down && negative)
      return sign | (toInfinity ? f.infinity : f.largest)
    }
    if roundedTop >= f.minExponent {
      if inexact { flags |= FloatException.precision }
      return sign | UInt64(roundedTop + f.bias) << UInt64(f.fractionBits) | (significand & f.fractionMask)
    }
    // Tiny.
    if flushToZero && underflowMasked {
      flags |= FloatException.underflow | FloatException.precision
      return sign
    }
    (significand, inexact) = shiftRounding(
      normalized, 64 - precision + (f.minExponent - top), sticky: sticky, negative: negative)
    if inexact {
      flags |= FloatException.underflow | FloatException.precision
    } else if !underflowMasked {
      flags |= FloatException.underflow
    }
    // A carry into the exponent field makes the smallest normal, as the encoding does by itself.
    return sign | significand
  }

  /// An exact zero from a sum of opposite values: +0, or -0 when rounding down (IEEE 754 6.3).
  func exactZero(_ f: FloatFormat) -> UInt64 { rounding == FloatEnvironment.down ? f.signBit : 0 }

  // MARK: Arithmetic

  mutating func add(_ a0: UInt64, _ b0: UInt64, _ f: FloatFormat, subtract: Bool = false) -> UInt64 {
    if let nan = propagateNaN(a0, b0, f) { return nan }
    let a = source(a0, f)
    let b = subtract ? source(b0, f) ^ f.signBit : source(b0, f)
    if f.isInfinity(a) || f.isInfinity(b) {
      if f.isInfinity(a) && f.isInfinity(b) && (a ^ b) & f.signBit != 0 {
        flags |= FloatException.invalid
        return f.defaultNaN
      }
      return f.isInfinity(a) ? a : b
    }
    if f.isZero(a) && f.isZero(b) {
      return (a ^ b) & f.signBit == 0 ? a : exactZero(f)
    }
    var x = unpack(a, f), y = unpack(b, f)
    if f.isZero(a) { return round(y.negative, y.exponent, y.significand, f) }
    if f.isZero(b) { return round(x.negative, x.exponent, x.significand, f) }
    // Significands at bit 62 (room for a carry), the smaller shifted right with its lost bits
    // jammed into bit 0: at least nine bits below the rounding position keep the result exact enough.
    var mx = x.significand << UInt64(62 - f.fractionBits), ex = x.exponent - (62 - f.fractionBits)
    var my = y.significand << UInt64(62 - f.fractionBits), ey = y.exponent - (62 - f.fractionBits)
    // Denormals have a smaller significand at the same minimum exponent: normalize them first.
    let nx = mx.leadingZeroBitCount - 1, ny = my.leadingZeroBitCount - 1
    mx <<= UInt64(nx)
    ex -= nx
    my <<= UInt64(ny)
    ey -= ny
    if ex < ey || (ex == ey && mx < my) {
      swap(&x, &y)
      swap(&mx, &my)
      swap(&ex, &ey)
    }
    let distance = ex - ey
    if distance > 0 {
      let lost = distance >= 64 ? my != 0 : my << UInt64(64 - distance) != 0
      my = distance >= 64 ? 0 : my >> UInt64(distance)
      if lost { my |= 1 }
    }
    if x.negative == y.negative {
      return round(x.negative, ex, mx + my, f)
    }
    let difference = mx - my
    if difference == 0 { return exactZero(f) }
    return round(x.negative, ex, difference, f)
  }

  mutating func multiply(_ a0: UInt64, _ b0: UInt64, _ f: FloatFormat) -> UInt64 {
    if let nan = propagateNaN(a0, b0, f) { return nan }
    let before = flags
    let a = source(a0, f), b = source(b0, f)
    let sign = (a ^ b) & f.signBit
    if f.isInfinity(a) || f.isInfinity(b) {
      if f.isZero(a) || f.isZero(b) { return invalidResult(before, f) }
      return sign | f.infinity
    }
    if f.isZero(a) || f.isZero(b) { return sign }
    let x = unpack(a, f), y = unpack(b, f)
    let (high, low) = x.significand.multipliedFullWidth(by: y.significand)
    let exponent = x.exponent + y.exponent
    if high == 0 { return round(sign != 0, exponent, low, f) }
    let width = 64 - high.leadingZeroBitCount
    let m = high << UInt64(64 - width) | low >> UInt64(width)
    return round(sign != 0, exponent + width, m, sticky: low << UInt64(64 - width) != 0, f)
  }

  mutating func divide(_ a0: UInt64, _ b0: UInt64, _ f: FloatFormat) -> UInt64 {
    if let nan = propagateNaN(a0, b0, f) { return nan }
    let before = flags
    let a = source(a0, f), b = source(b0, f)
    let sign = (a ^ b) & f.signBit
    if f.isInfinity(a) {
      if f.isInfinity(b) { return invalidResult(before, f) }
      return sign | f.infinity
    }
    if f.isInfinity(b) { return sign }
    if f.isZero(b) {
      if f.isZero(a) { return invalidResult(before, f) }
      flags = before | FloatException.divideByZero
      return sign | f.infinity
    }
    if f.isZero(a) { return sign }
    let x = unpack(a, f), y = unpack(b, f)
    // The dividend's significand at bit 62, the divisor's at bit 63: the 128-by-64 quotient fits.
    let sx = x.significand.leadingZeroBitCount - 1, sy = y.significand.leadingZeroBitCount
    let dividend = x.significand << UInt64(sx), divisor = y.significand << UInt64(sy)
    let (quotient, remainder) = divisor.dividingFullWidth((dividend, 0))
    let exponent = (x.exponent - sx) - (y.exponent - sy) - 64
    return round(sign != 0, exponent, quotient, sticky: remainder != 0, f)
  }

  mutating func squareRoot(_ a0: UInt64, _ f: FloatFormat) -> UInt64 {
    if f.isNaN(a0) {
      if f.isSignalingNaN(a0) { flags |= FloatException.invalid }
      return a0 | f.quietBit
    }
    let before = flags
    let a = source(a0, f)
    if f.isZero(a) { return a }
    if f.isNegative(a) { return invalidResult(before, f) }
    if f.isInfinity(a) { return a }
    let x = unpack(a, f)
    // The radicand as a 128-bit integer in [2^124, 2^126) with an even exponent; its root has 63 bits.
    var shift = x.significand.leadingZeroBitCount + 60  // leading bit to bit 124 of the 128
    if (x.exponent - shift) & 1 != 0 { shift += 1 }
    let high = shift >= 64 ? x.significand << UInt64(shift - 64) : x.significand >> UInt64(64 - shift)
    let low = shift >= 64 ? 0 : x.significand << UInt64(shift)
    var root = UInt64((Double(high) * 0x1p64 + Double(low)).squareRoot())
    // One Newton step from the 53-bit estimate, then exact: root = floor(sqrt(radicand)).
    if root >> 63 != 0 { root = (1 << 63) - 1 }
    let (q, _) = root.dividingFullWidth((high, low))
    root = (root >> 1) + (q >> 1) + (root & q & 1)
    func square(_ r: UInt64) -> (UInt64, UInt64) { r.multipliedFullWidth(by: r) }
    func greater(_ p: (UInt64, UInt64), _ h: UInt64, _ l: UInt64) -> Bool { p.0 > h || (p.0 == h && p.1 > l) }
    while greater(square(root), high, low) { root -= 1 }
    while !greater(square(root + 1), high, low) { root += 1 }
    let s = square(root)
    return round(false, (x.exponent - shift) / 2, root, sticky: s.0 != high || s.1 != low, f)
  }

  // MARK: Comparisons

  /// Orders two sources for MIN and MAX, CMPccPS and COMISS: nil when either is a NaN, else -1, 0, 1
  /// (after DAZ and the denormal flag). A signaling NaN is invalid, and a quiet one too when
  /// `quietNaNIsInvalid` (MIN, MAX, COMIS and the ordered predicates).
  mutating func compare(_ a0: UInt64, _ b0: UInt64, _ f: FloatFormat, quietNaNIsInvalid: Bool) -> Int? {
    if f.isNaN(a0) || f.isNaN(b0) {
      if quietNaNIsInvalid || f.isSignalingNaN(a0) || f.isSignalingNaN(b0) { flags |= FloatException.invalid }
      return nil
    }
    let a = source(a0, f), b = source(b0, f)
    if f.isZero(a) && f.isZero(b) { return 0 }
    if a == b { return 0 }
    let aNegative = f.isNegative(a), bNegative = f.isNegative(b)
    if aNegative != bNegative { return aNegative ? -1 : 1 }
    let magnitude = (a & ~f.signBit) < (b & ~f.signBit) ? -1 : 1
    return aNegative ? -magnitude : magnitude
  }

  /// MINPS/MAXPS and their scalar forms: the second source when either is a NaN (invalid) or both
  /// are zeros, which is what `a < b ? a : b` does in C (SDM Vol. 2B MINPS, MAXPS).
  mutating func minimum(_ a: UInt64, _ b: UInt64, _ f: FloatFormat, maximum: Bool) -> UInt64 {
    guard let order = compare(a, b, f, quietNaNIsInvalid: true) else { return zeroedIfDenormal(b, f) }
    let pickA = maximum ? order > 0 : order < 0
    return source(pickA ? a : b, f)
  }

  // MARK: Conversions

  /// A signed integer to the format, rounded by RC (CVTSI2SS, CVTDQ2PS, ...).
  mutating func fromInteger(_ v: Int64, _ f: FloatFormat) -> UInt64 {
    if v == 0 { return 0 }
    return round(v < 0, 0, v.magnitude, f)
  }

  /// To a signed integer of `bits` bits, rounded by RC or truncated: a NaN or a value out of range is
  /// invalid and gives the "integer indefinite", only the sign bit set (SDM Vol. 1 4.8.3.7).
  mutating func toInteger(_ a0: UInt64, _ f: FloatFormat, bits: Int, truncate: Bool) -> UInt64 {
    let indefinite: UInt64 = 1 << UInt64(bits - 1)
    if f.isNaN(a0) || f.isInfinity(a0) {
      flags |= FloatException.invalid
      return indefinite
    }
    let a = zeroedIfDenormal(a0, f)
    if f.isZero(a) { return 0 }
    let x = unpack(a, f)
    var magnitude: UInt64
    var inexact: Bool
    if x.exponent >= 0 {
      // The value is an integer; too large unless it fits below 2^63 with room.
      if x.exponent + (64 - x.significand.leadingZeroBitCount) > bits {
        flags |= FloatException.invalid
        return indefinite
      }
      magnitude = x.significand << UInt64(x.exponent)
      inexact = false
    } else {
      (magnitude, inexact) = shiftRounding(
        x.significand, -x.exponent, sticky: false, negative: x.negative, truncate: truncate)
    }
    let limit: UInt64 = x.negative ? indefinite : indefinite - 1
    if magnitude > limit {
      flags |= FloatException.invalid
      return indefinite
    }
    if inexact { flags |= FloatException.precision }
    let value = x.negative ? 0 &- magnitude : magnitude
    return bits == 64 ? value : value & 0xFFFF_FFFF
  }

  /// Between single and double (CVTSS2SD, CVTPD2PS...): a NaN keeps its sign and the top of its
  /// payload, made quiet; a number is rounded to the target.
  mutating func convert(_ a0: UInt64, from: FloatFormat, to: FloatFormat) -> UInt64 {
    let sign: UInt64 = from.isNegative(a0) ? to.signBit : 0
    if from.isNaN(a0) {
      if from.isSignalingNaN(a0) { flags |= FloatException.invalid }
      let payload = a0 & from.fractionMask
      let moved =
        to.fractionBits > from.fractionBits
        ? payload << UInt64(to.fractionBits - from.fractionBits)
        : payload >> UInt64(from.fractionBits - to.fractionBits)
      return sign | to.exponentField | to.quietBit | moved
    }
    let a = source(a0, from)
    if from.isInfinity(a) { return sign | to.infinity }
    if from.isZero(a) { return sign }
    let x = unpack(a, from)
    return round(x.negative, x.exponent, x.significand, to)
  }
}
