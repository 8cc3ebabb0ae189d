// SSE and SSE2 conversions between integers, singles and doubles (SDM Vol. 1 11.4.4, Vol. 2A CVT*):
// rounded by MXCSR.RC, or truncated by the CVTT forms; an integer that does not fit, or a NaN, is the
// "integer indefinite" (only the sign bit set) with the invalid flag.

/// `Instruction.sub` of `.sseConvert`: what is converted to what. The CVTT forms add `truncating`.
enum FloatConversion: UInt8 {
  /// CVTPI2PS, CVTPI2PD: two doublewords of an MMX register or m64.
  case pi2ps, pi2pd
  /// CVTSI2SS, CVTSI2SD: a general register or memory, 32 bits or 64 with REX.W.
  case si2ss, si2sd
  /// CVTPS2PI, CVTPD2PI: to an MMX register.
  case ps2pi, pd2pi
  /// CVTSS2SI, CVTSD2SI: to a general register.
  case ss2si, sd2si
  case ps2pd, pd2ps, ss2sd, sd2ss
  case dq2ps, ps2dq, dq2pd, pd2dq

  static let truncating: UInt8 = 0x80
}

extension CPU {
  func executeFloatConversion(_ i: Instruction) throws(Fault) {
    try requireSSE()
    guard let kind = FloatConversion(rawValue: i.sub & 0x7F) else { throw Fault.invalidOpcode }
    let truncate = i.sub & FloatConversion.truncating != 0
    var env = FloatEnvironment(mxcsr: fpu.mxcsr)
    let n = Int(i.reg)
    let destination = fpu.vector(n)
    let single = FloatFormat.single, double = FloatFormat.double
    func int32(_ v: UInt64) -> Int64 { Int64(Int32(truncatingIfNeeded: v)) }
    /// The source: the XMM register, or `size` bytes of memory (16 aligned ones when 16).
    func source(_ size: Int) throws(Fault) -> Vector { try floatSource(i, size: size, scalar: size != 16) }
    /// An MMX source (the x87 unit enters MMX state only for a register, SDM Vol. 2A CVTPI2PS).
    func mmxConversionSource() throws(Fault) -> UInt64 {
      if !i.hasMemory { try enterMMXForConversion() }
      return try mmxSource(i)
    }
    var r = destination
    switch kind {
    case .pi2ps:
      let v = try mmxConversionSource()
      r.lo = env.fromInteger(int32(v), single) | env.fromInteger(int32(v >> 32), single) << 32
    case .pi2pd:
      let v = try mmxConversionSource()
      r = Vector(env.fromInteger(int32(v), double), env.fromInteger(int32(v >> 32), double))
    case .si2ss, .si2sd:
      let v = try readRM(i, size: Int(i.opSize))
      let value = i.opSize == 8 ? Int64(bitPattern: v) : int32(v)
      r[0, size: kind == .si2ss ? 4 : 8] = env.fromInteger(value, kind == .si2ss ? single : double)
    case .ps2pi, .pd2pi:
      let s = kind == .ps2pi ? try source(8) : try source(16)
      let f = kind == .ps2pi ? single : double, size = kind == .ps2pi ? 4 : 8
      let low = env.toInteger(s[0, size: size], f, bits: 32, truncate: truncate)
      let high = env.toInteger(s[1, size: size], f, bits: 32, truncate: truncate)
      try raiseFloatExceptions(env)
      try enterMMXForConversion()
      fpu.setMMX(n & 7, low | high << 32)
      return
    case .ss2si, .sd2si:
      let size = kind == .ss2si ? 4 : 8
      let s = try source(size)
      let v = env.toInteger(
        s[0, size: size], kind == .ss2si ? single : double, bits: Int(i.opSize) * 8, truncate: truncate)
      try raiseFloatExceptions(env)
      writeReg(n, size: Int(i.opSize), rex: true, v)
      return
    case .ps2pd:
      let s = try source(8)
      r = Vector(
        env.convert(s[0, size: 4], from: single, to: double), env.convert(s[1, size: 4], from: single, to: double))
    case .pd2ps:
      let s = try source(16)
      r = Vector(env.convert(s.lo, from: double, to: single) | env.convert(s.hi, from: double, to: single) << 32)
    case .ss2sd:
      r.lo = env.convert(try source(4).lo & 0xFFFF_FFFF, from: single, to: double)
    case .sd2ss:
      r[0, size: 4] = env.convert(try source(8).lo, from: double, to: single)
    case .dq2ps:
      let s = try source(16)
      for k in 0..<4 { r[k, size: 4] = env.fromInteger(int32(s[k, size: 4]), single) }
    case .ps2dq:
      let s = try source(16)
      for k in 0..<4 { r[k, size: 4] = env.toInteger(s[k, size: 4], single, bits: 32, truncate: truncate) }
    case .dq2pd:
      let s = try source(8)
      r = Vector(env.fromInteger(int32(s.lo), double), env.fromInteger(int32(s.lo >> 32), double))
    case .pd2dq:
      let s = try source(16)
      r = Vector(
        env.toInteger(s.lo, double, bits: 32, truncate: truncate)
          | env.toInteger(s.hi, double, bits: 32, truncate: truncate) << 32)
    }
    try raiseFloatExceptions(env)
    fpu.setVector(n, r)
  }

  /// An SSE instruction with an MMX register operand also makes the MMX transition: a pending x87
  /// exception is #MF first (SDM Vol. 2A CVTPI2PS, "Exceptions").
  func enterMMXForConversion() throws(Fault) {
    try checkPendingX87Exception()
    fpu.enterMMXState()
  }
}
