// MMX and SSE/SSE2 data moves and bitwise logic, EMMS, LDMXCSR and STMXCSR (SDM Vol. 2 per
// instruction; the exception conditions of Vol. 2A 2.4 "exception classes" and Vol. 3A 2.5 table
// 2-2 for CR0.EM/TS and CR4.OSFXSR), and the dispatch to the rest of the family: packed integers
// (PackedInteger.swift), floating-point arithmetic and compares (PackedFloat.swift), conversions
// (FloatConversion.swift) and data arrangement (SIMDShuffle.swift).
//
// Operands: `reg` is an XMM register (REX.R applied) or an MMX register (REX.R ignored: there are
// eight, SDM Vol. 2A 2.2.1.3); `rm` is an XMM, MMX or general register by the form.

extension CPU {
  func executeSIMD(_ i: Instruction) throws(Fault) {
    let v = fpu.xmm
    let dst = 2 * Int(i.reg), src = 2 * Int(i.rm)
    switch i.op {
    case .sseMoveLoad:
      try requireSSE()
      if i.hasMemory {
        (v[dst], v[dst + 1]) = try loadVector(i, aligned: i.sub & 1 != 0)
      } else {
        (v[dst], v[dst + 1]) = (v[src], v[src + 1])
      }
    case .sseMoveStore:
      try requireSSE()
      if i.hasMemory {
        try storeVector(i, aligned: i.sub & 1 != 0, v[dst], v[dst + 1])
      } else {
        guard i.sub & 2 == 0 else { throw Fault.invalidOpcode }  // non-temporal stores have no register form
        (v[src], v[src + 1]) = (v[dst], v[dst + 1])
      }
    case .sseScalarLoad:
      // MOVSS/MOVSD xmm, xmm/m: from memory the rest of the register is zeroed, from a register it
      // is kept (SDM Vol. 2B MOVSS, MOVSD).
      try requireSSE()
      let size = Int(i.sub)
      if i.hasMemory {
        v[dst] = try read(Int(i.segment), effectiveAddress(i), size: size)
        v[dst + 1] = 0
      } else {
        v[dst] = mergeLow(v[dst], v[src], size: size)
      }
    case .sseScalarStore:
      try requireSSE()
      let size = Int(i.sub)
      if i.hasMemory {
        try write(Int(i.segment), effectiveAddress(i), size: size, v[dst] & sizeMask(size))
      } else {
        v[src] = mergeLow(v[src], v[dst], size: size)
      }
    case .movqToXMM:
      // F3 0F 7E: MOVQ xmm, xmm/m64 zeroes bits 127:64.
      try requireSSE()
      v[dst] = i.hasMemory ? try read(Int(i.segment), effectiveAddress(i), size: 8) : v[src]
      v[dst + 1] = 0
    case .movqFromXMM:
      // 66 0F D6: MOVQ xmm/m64, xmm; a register destination has bits 127:64 zeroed.
      try requireSSE()
      if i.hasMemory {
        try write(Int(i.segment), effectiveAddress(i), size: 8, v[dst])
      } else {
        (v[src], v[src + 1]) = (v[dst], 0)
      }
    case .movdToXMM:
      // 66 0F 6E: MOVD/MOVQ xmm, r/m32 or r/m64, zero-extended to 128 bits.
      try requireSSE()
      v[dst] = try readRM(i, size: Int(i.opSize))
      v[dst + 1] = 0
    case .movdFromXMM:
      try requireSSE()
      try writeRM(i, size: Int(i.opSize), v[dst] & sizeMask(Int(i.opSize)))
    case .sseLogic:
      try requireSSE()
      let (lo, hi) = i.hasMemory ? try loadVector(i, aligned: true) : (v[src], v[src + 1])
      v[dst] = logic(i.sub, v[dst], lo)
      v[dst + 1] = logic(i.sub, v[dst + 1], hi)
    case .movdToMMX:
      try requireMMX()
      fpu.setMMX(Int(i.reg & 7), try readRM(i, size: Int(i.opSize)))
    case .movdFromMMX:
      try requireMMX()
      try writeRM(i, size: Int(i.opSize), fpu.mmx(Int(i.reg & 7)) & sizeMask(Int(i.opSize)))
    case .movqToMMX:
      try requireMMX()
      let value = try mmxSource(i)
      fpu.setMMX(Int(i.reg & 7), value)
    case .movqFromMMX:
      try requireMMX()
      if i.hasMemory {
        try write(Int(i.segment), effectiveAddress(i), size: 8, fpu.mmx(Int(i.reg & 7)))
      } else {
        guard i.sub & 2 == 0 else { throw Fault.invalidOpcode }  // MOVNTQ has no register form
        fpu.setMMX(Int(i.rm & 7), fpu.mmx(Int(i.reg & 7)))
      }
    case .mmxLogic:
      try requireMMX()
      let operand = try mmxSource(i)
      fpu.setMMX(Int(i.reg & 7), logic(i.sub, fpu.mmx(Int(i.reg & 7)), operand))
    case .emms:
      // EMMS: every register empty (SDM Vol. 2A EMMS); the MMX checks apply.
      if cr0 & ControlBit.em != 0 { throw Fault.invalidOpcode }
      if cr0 & ControlBit.ts != 0 { throw Fault.deviceNotAvailable }
      try checkPendingX87Exception()
      fpu.tags = 0
    case .ldmxcsr:
      try requireSSE()
      guard i.hasMemory else { throw Fault.invalidOpcode }
      let value = UInt32(try read(Int(i.segment), effectiveAddress(i), size: 4))
      if value & ~FPU.mxcsrMask != 0 { throw Fault.gp(0) }
      fpu.mxcsr = value
    case .stmxcsr:
      try requireSSE()
      guard i.hasMemory else { throw Fault.invalidOpcode }
      try write(Int(i.segment), effectiveAddress(i), size: 4, UInt64(fpu.mxcsr))
    case .mmxPacked, .ssePacked, .mmxShiftImmediate, .sseShiftImmediate: try executePackedInteger(i)
    case .sseArithmetic: try executeFloatArithmetic(i)
    case .sseCompare: try executeFloatCompare(i)
    case .sseOrderedCompare: try executeOrderedCompare(i)
    case .sseConvert: try executeFloatConversion(i)
    case .sseShuffle: try executeSIMDShuffle(i)
    case .sseMoveHalf: try executeSIMDHalfMove(i)
    case .mmxMoveMask, .sseMoveMask: try executeMoveMask(i)
    case .pextrw, .pinsrw: try executeWordInsertExtract(i)
    case .maskMove: try executeMaskMove(i)
    case .movnti: try executeMoveNonTemporal(i)
    case .movq2dq, .movdq2q: try executeMMXTransfer(i)
    default:
      throw Fault.invalidOpcode
    }
  }

  /// SSE instructions: #UD with CR0.EM set or CR4.OSFXSR clear, then #NM with CR0.TS set (SDM Vol. 3A
  /// 13.1.3 and table 2-2).
  func requireSSE() throws(Fault) {
    if cr0 & ControlBit.em != 0 || cr4 & ControlBit.osfxsr == 0 { throw Fault.invalidOpcode }
    if cr0 & ControlBit.ts != 0 { throw Fault.deviceNotAvailable }
  }

  /// MMX instructions: #UD with CR0.EM, #NM with CR0.TS, #MF for a pending x87 exception (SDM Vol. 3A
  /// 12.1 table 12-1); then the x87 unit is in MMX state.
  func requireMMX() throws(Fault) {
    if cr0 & ControlBit.em != 0 { throw Fault.invalidOpcode }
    if cr0 & ControlBit.ts != 0 { throw Fault.deviceNotAvailable }
    try checkPendingX87Exception()
    fpu.enterMMXState()
  }

  /// A pending unmasked x87 exception is #MF when CR0.NE selects native error reporting. With NE
  /// clear a PC signals it through FERR# and IRQ 13, which this machine does not model: it stays
  /// pending (SDM Vol. 3A 2.5 CR0.NE, Vol. 1 appendix D).
  func checkPendingX87Exception() throws(Fault) {
    if fpu.hasPendingException && cr0 & ControlBit.ne != 0 { throw Fault.floatingPointError }
  }

  /// The second operand of an MMX form: an MMX register, or `size` bytes of memory (8; 4 for the
  /// low unpacks).
  func mmxSource(_ i: Instruction, size: Int = 8) throws(Fault) -> UInt64 {
    i.hasMemory ? try read(Int(i.segment), effectiveAddress(i), size: size) : fpu.mmx(Int(i.rm & 7))
  }

  /// A 128-bit memory operand. The aligned forms (MOVAPS, MOVDQA, the logic forms...) are #GP(0) at an
  /// address that is not 16-byte aligned, whatever CR0.AM and EFLAGS.AC say (SDM Vol. 2A 2.4,
  /// exception class 1).
  func loadVector(_ i: Instruction, aligned: Bool) throws(Fault) -> (UInt64, UInt64) {
    let offset = try vectorOffset(i, aligned: aligned)
    let lo = try read(Int(i.segment), offset, size: 8)
    let hi = try read(Int(i.segment), (offset &+ 8) & i.addressMask, size: 8)
    return (lo, hi)
  }

  /// The operand's offset, #GP(0) when an aligned form's linear address is not a multiple of 16.
  func vectorOffset(_ i: Instruction, aligned: Bool) throws(Fault) -> UInt64 {
    let offset = effectiveAddress(i)
    if aligned && linear(Int(i.segment), offset) & 15 != 0 { throw Fault.gp(0) }
    return offset
  }

  /// A 128-bit store: both pages are checked before either half is written, so a fault on the second
  /// page leaves memory as it was (SDM Vol. 3A 6.6).
  func storeVector(_ i: Instruction, aligned: Bool, _ lo: UInt64, _ hi: UInt64) throws(Fault) {
    let offset = try vectorOffset(i, aligned: aligned)
    let seg = Int(i.segment)
    try checkOperandPages(i, offset: offset, length: 16, access: .write)
    try write(seg, offset, size: 8, lo)
    try write(seg, (offset &+ 8) & i.addressMask, size: 8, hi)
  }

  /// AND, ANDN (NOT destination, then AND), OR, XOR: the bitwise forms of ANDPS/PAND and friends.
  func logic(_ op: UInt8, _ a: UInt64, _ b: UInt64) -> UInt64 {
    switch op {
    case 0: return a & b
    case 1: return ~a & b
    case 2: return a | b
    default: return a ^ b
    }
  }

  /// The low `size` bytes from `low`, the rest from `value`.
  func mergeLow(_ value: UInt64, _ low: UInt64, size: Int) -> UInt64 {
    let mask = sizeMask(size)
    return (value & ~mask) | (low & mask)
  }
}
