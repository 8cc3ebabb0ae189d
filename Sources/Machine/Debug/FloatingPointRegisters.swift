// The x87 and SSE registers as a debugger shows them (gdb's i387 and SSE register sets, QEMU's `info
// registers`): read by value, so the FPU's storage stays the CPU's own. The XMM registers and MXCSR
// can be written too; the x87 ones are shown only.

extension CPU {
  /// ST(`i`): the significand and the sign and exponent of physical register TOP + i (SDM Vol. 1
  /// 8.1.2).
  public func x87Stack(_ i: Int) -> (significand: UInt64, signAndExponent: UInt16) {
    let physical = (Int(fpu.status >> 11 & 7) + i) & 7
    return (fpu.x87[2 * physical], UInt16(truncatingIfNeeded: fpu.x87[2 * physical + 1]))
  }

  /// FCW, FSW, the full tag word (two bits per physical register, SDM Vol. 1 8.1.7), made from the
  /// abridged tags and the registers' contents as FSAVE would write it, and the abridged tags
  /// themselves (FXSAVE's byte: bit i set when physical register i is not empty).
  public var x87ControlWords: (control: UInt16, status: UInt16, tags: UInt16, abridgedTags: UInt8) {
    var tags: UInt16 = 0
    for r in 0..<8 {
      let significand = fpu.x87[2 * r], exponent = fpu.x87[2 * r + 1] & 0x7FFF
      let tag: UInt16
      if fpu.tags & (1 << UInt8(r)) == 0 {
        tag = 3  // empty
      } else if exponent == 0x7FFF || (exponent == 0 && significand != 0) || (exponent != 0 && significand >> 63 == 0) {
        tag = 2  // special: NaN, infinity, denormal, unnormal
      } else if exponent == 0 {
        tag = 1  // zero
      } else {
        tag = 0  // valid
      }
      tags |= tag << UInt16(2 * r)
    }
    return (fpu.control, fpu.status, tags, fpu.tags)
  }

  /// The last x87 instruction's FCS:FIP and FDS:FDP (selector in bits 47:32) and FOP.
  public var x87LastInstruction: (instruction: UInt64, data: UInt64, opcode: UInt16) {
    (fpu.lastInstruction, fpu.lastData, fpu.lastOpcode)
  }

  /// XMM`n`, low quadword first.
  public func xmm(_ n: Int) -> (low: UInt64, high: UInt64) {
    let v = fpu.vector(n)
    return (v.lo, v.hi)
  }

  public func setXMM(_ n: Int, low: UInt64, high: UInt64) { fpu.setVector(n, Vector(low, high)) }

  /// MXCSR. A value with a reserved bit set is refused, as LDMXCSR refuses it with #GP.
  public var mxcsr: UInt32 { fpu.mxcsr }

  @discardableResult
  public func setMXCSR(_ value: UInt32) -> Bool {
    guard value & ~FPU.mxcsrMask == 0 else { return false }
    fpu.mxcsr = value
    return true
  }
}
