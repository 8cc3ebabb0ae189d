// SSE and SSE2 floating-point arithmetic and comparisons: ADD MUL SUB MIN DIV MAX SQRT RCP RSQRT in
// their PS, PD, SS and SD forms, CMPccPS/PD/SS/SD, COMISS/COMISD and UCOMISS/UCOMISD (SDM Vol. 2 per
// instruction; the numbers themselves in CPU/SoftFloat.swift). The mandatory prefix chooses the
// format, as `Instruction.sub & 3`: 0 packed single, 1 packed double, 2 scalar single, 3 scalar
// double. A scalar form works on the low element and keeps the rest of the destination; its memory
// operand is the element alone, unaligned. A packed memory operand is 16 aligned bytes.
//
// Exceptions (SDM Vol. 1 11.5): every element is computed and the flags of all of them are gathered;
// when one of them is unmasked the destination is left as it was and the instruction raises #XM, or
// #UD without CR4.OSXMMEXCPT, with the flags set in MXCSR.

/// The arithmetic operations, `Instruction.sub >> 2`.
enum FloatOperation: UInt8 {
  case add, multiply, subtract, minimum, divide, maximum, squareRoot, reciprocal, reciprocalSquareRoot
}

extension CPU {
  /// The format and element size of an SSE floating-point form.
  func floatFormat(_ i: Instruction) -> (FloatFormat, Int, scalar: Bool) {
    let double = i.sub & 1 != 0
    return (double ? .double : .single, double ? 8 : 4, i.sub & 2 != 0)
  }

  /// The second operand of an SSE floating-point form: a register, a scalar element or 16 aligned
  /// bytes.
  func floatSource(_ i: Instruction, size: Int, scalar: Bool) throws(Fault) -> Vector {
    if scalar && i.hasMemory { return Vector(try read(Int(i.segment), effectiveAddress(i), size: size)) }
    return try simdSource(i)
  }

  func executeFloatArithmetic(_ i: Instruction) throws(Fault) {
    try requireSSE()
    guard let operation = FloatOperation(rawValue: i.sub >> 2) else { throw Fault.invalidOpcode }
    try forEachFloatElement(i) { env, x, y, f in
      switch operation {
      case .add: return env.add(x, y, f)
      case .subtract: return env.add(x, y, f, subtract: true)
      case .multiply: return env.multiply(x, y, f)
      case .divide: return env.divide(x, y, f)
      case .minimum: return env.minimum(x, y, f, maximum: false)
      case .maximum: return env.minimum(x, y, f, maximum: true)
      case .squareRoot: return env.squareRoot(y, f)
      case .reciprocal: return approximateReciprocal(y, squareRoot: false)
      case .reciprocalSquareRoot: return approximateReciprocal(y, squareRoot: true)
      }
    }
  }

  /// The element loop of the arithmetic and compare forms: `element` gets each pair (destination,
  /// source; only the low one for a scalar form) and returns the result, which is written once no
  /// unmasked exception was raised.
  func forEachFloatElement(
    _ i: Instruction, _ element: (inout FloatEnvironment, UInt64, UInt64, FloatFormat) -> UInt64
  ) throws(Fault) {
    let (f, size, scalar) = floatFormat(i)
    let n = Int(i.reg)
    let a = fpu.vector(n)
    let b = try floatSource(i, size: size, scalar: scalar)
    var env = FloatEnvironment(mxcsr: fpu.mxcsr)
    var r = a
    for k in 0..<(scalar ? 1 : 16 / size) {
      r[k, size: size] = element(&env, a[k, size: size], b[k, size: size], f)
    }
    try raiseFloatExceptions(env)
    fpu.setVector(n, r)
  }

  /// Sets the flags `env` gathered in MXCSR and raises the exception when one is unmasked. An unmasked
  /// invalid, denormal or divide-by-zero exception hides the flags of the later checks (SDM Vol. 1
  /// 11.5.2.1).
  func raiseFloatExceptions(_ env: FloatEnvironment) throws(Fault) {
    var flags = env.flags
    let unmasked = flags & ~(fpu.mxcsr >> 7) & FloatException.all
    if unmasked & FloatException.preComputation != 0 { flags &= FloatException.preComputation }
    fpu.mxcsr |= flags
    if unmasked != 0 { throw cr4 & ControlBit.osxmmexcpt != 0 ? Fault.simdFloatingPoint : Fault.invalidOpcode }
  }

  /// RCPPS/RSQRTPS and the scalar forms: the SDM promises a relative error of at most 1.5 x 2^-12 and
  /// nothing more, and processors differ in the bits; this machine returns the correctly rounded
  /// value (of 1/sqrt(x) rounded twice), which is within it. MXCSR is not consulted and no flag is
  /// raised; a denormal source counts as a zero and a tiny result is a zero (SDM Vol. 2B RCPPS).
  func approximateReciprocal(_ x: UInt64, squareRoot: Bool) -> UInt64 {
    let f = FloatFormat.single
    if f.isNaN(x) { return x | f.quietBit }
    let sign = x & f.signBit
    if f.isZero(x) || f.isDenormal(x) { return sign | f.infinity }
    if squareRoot && sign != 0 { return f.defaultNaN }
    if f.isInfinity(x) { return sign }
    var env = FloatEnvironment(mxcsr: 0x9FC0)  // masked, to nearest, FTZ: tiny results are zero
    let denominator = squareRoot ? env.squareRoot(x, f) : x
    return env.divide(0x3F80_0000, denominator, f)
  }

  /// CMPccPS/PD/SS/SD: an all-ones or all-zeros element by the predicate in imm8[2:0]. Every
  /// predicate is invalid on a signaling NaN; LT, LE, NLT and NLE on a quiet one too (SDM Vol. 2A
  /// CMPPS table 3-7).
  func executeFloatCompare(_ i: Instruction) throws(Fault) {
    try requireSSE()
    let predicate = i.immediate & 7
    let signalsOnQuiet = predicate == 1 || predicate == 2 || predicate == 5 || predicate == 6
    try forEachFloatElement(i) { env, x, y, f in
      let order = env.compare(x, y, f, quietNaNIsInvalid: signalsOnQuiet)
      let truth: Bool
      switch predicate {
      case 0: truth = order == 0
      case 1: truth = order.map { $0 < 0 } ?? false
      case 2: truth = order.map { $0 <= 0 } ?? false
      case 3: truth = order == nil
      case 4: truth = order != 0
      case 5: truth = order.map { $0 >= 0 } ?? true
      case 6: truth = order.map { $0 > 0 } ?? true
      default: truth = order != nil
      }
      return truth ? f.mask : 0
    }
  }

  /// COMISS/COMISD (invalid on any NaN) and UCOMISS/UCOMISD (on a signaling one): ZF, PF and CF
  /// as an unsigned compare would leave them, all three for unordered; OF, SF and AF cleared.
  /// `sub` bit 0: double (as `floatFormat` reads it); bit 2: the unordered (quiet) form.
  func executeOrderedCompare(_ i: Instruction) throws(Fault) {
    try requireSSE()
    let (f, size, _) = floatFormat(i)
    let x = fpu.vector(Int(i.reg)).lo & f.mask
    let y = try floatSource(i, size: size, scalar: true).lo & f.mask
    var env = FloatEnvironment(mxcsr: fpu.mxcsr)
    let order = env.compare(x, y, f, quietNaNIsInvalid: i.sub & 4 == 0)
    try raiseFloatExceptions(env)
    switch order {
    case nil: setArithmeticFlags(Flag.zf | Flag.pf | Flag.cf)
    case 0: setArithmeticFlags(Flag.zf)
    case .some(let o) where o < 0: setArithmeticFlags(Flag.cf)
    default: setArithmeticFlags(0)
    }
  }
}
