// The opcode map (SDM Vol. 2D appendix A): one row per opcode form. Everything the decoder knows about
// an opcode's shape (ModRM, immediates, operand size rules, mode validity) is written here and only here.

/// Shape bits of an opcode form.
struct Shape: OptionSet {
  let rawValue: UInt32
  static let modrm = Shape(rawValue: 1 << 0)
  /// Operates on bytes regardless of prefixes.
  static let byteOp = Shape(rawValue: 1 << 1)
  static let imm8 = Shape(rawValue: 1 << 2)
  static let imm16 = Shape(rawValue: 1 << 3)
  /// 16 or 32 bits by operand size; sign-extended for 64-bit operands.
  static let immZ = Shape(rawValue: 1 << 4)
  /// Full operand size, including 64 bits (MOV r64, imm64).
  static let immV = Shape(rawValue: 1 << 5)
  /// An offset of address size (MOV moffs).
  static let immAddr = Shape(rawValue: 1 << 6)
  /// In 64-bit mode the operand size is 64 unless 66h (PUSH, POP, near indirect branches).
  static let default64 = Shape(rawValue: 1 << 7)
  /// In 64-bit mode the operand size is always 64 (near relative branches).
  static let force64 = Shape(rawValue: 1 << 8)
  /// Invalid in 64-bit mode (#UD).
  static let no64 = Shape(rawValue: 1 << 9)
  /// The register is in the opcode's low three bits.
  static let regInOpcode = Shape(rawValue: 1 << 10)
  /// The operation is chosen by ModRM.reg from `groups`.
  static let group = Shape(rawValue: 1 << 11)
  /// A far pointer immediate: offset (immZ) then a 16-bit selector.
  static let farPointer = Shape(rawValue: 1 << 12)
  /// The low nibble of the opcode is a condition code.
  static let condition = Shape(rawValue: 1 << 13)
  /// Operand size is fixed at 32 bits outside 64-bit mode, 64 within (MOV CRn, DRn).
  static let controlSize = Shape(rawValue: 1 << 14)
  /// The immediate is a displacement from the next instruction: the decoder stores the absolute target.
  static let relative = Shape(rawValue: 1 << 15)
  /// LOCK is allowed when the destination is memory (SDM Vol. 2A LOCK: read-modify-write forms).
  static let lockable = Shape(rawValue: 1 << 16)
  /// ENTER's imm16 then imm8.
  static let enterImmediates = Shape(rawValue: 1 << 17)
  /// The operand size is at most 32 bits: REX.W is ignored (IN, OUT, INS, OUTS: SDM Vol. 2A/2B).
  static let max32 = Shape(rawValue: 1 << 18)
  /// Ends its decoded block: it transfers control, or changes how the next instructions execute
  /// (mode, paging, privilege, the interrupt flag or shadow). A Jcc with a handler of its own goes on
  /// within its block when not taken.
  static let endsBlock = Shape(rawValue: 1 << 19)
  /// Reads the cycle counter or lets a device read it: alone in its block (CPU/BlockCache.swift).
  static let readsTime = Shape(rawValue: 1 << 20)
  /// A string instruction: with a REP prefix it counts cycles per iteration, so it is alone too.
  static let string = Shape(rawValue: 1 << 21)
  /// The mandatory prefix (none, 66h, F3h, F2h) selects the operation from a row of
  /// `OpcodeTable.prefixed` (SDM Vol. 2A 2.1.2: SSE encodings); the prefix is consumed.
  static let prefixed = Shape(rawValue: 1 << 22)
  /// Valid in 64-bit mode only (#UD elsewhere).
  static let only64 = Shape(rawValue: 1 << 23)
  /// The operand is 32 bits, or 64 with REX.W in 64-bit mode, whatever 66h and the mode say (MOVD/MOVQ).
  static let dwordOrQword = Shape(rawValue: 1 << 24)
}

struct OpcodeForm {
  var op: Op = .invalid
  var shape: Shape = []
  /// For `.group` forms the row of `OpcodeTable.groups`; for `.prefixed` forms the row of
  /// `OpcodeTable.prefixed`.
  var row: UInt8 = 0
  /// For ALU/shift forms with a fixed sub-operation.
  var sub: UInt8 = 0
  /// What the instruction costs (Clock/CycleModel.swift); a group entry's own cost replaces it.
  var cycles: UInt8 = 1
}

/// A group entry (ModRM.reg, or the whole ModRM of a register form, selects it) or a prefixed entry
/// (the mandatory prefix selects it): the operation, shape bits added to the form's, the
/// sub-operation and the cost. A group entry may itself be `.prefixed`, with its row in `row`.
struct GroupEntry {
  var op: Op = .invalid
  var shape: Shape = []
  var sub: UInt8 = 0
  var cycles: UInt8 = 1
  var row: UInt8 = 0
}

enum OpcodeTable {
  /// 768 forms: one-byte opcodes at 0x000-0x0FF, two-byte (0F xx) at 0x100-0x1FF, three-byte (0F 38 xx)
  /// at 0x200-0x2FF.
  static let forms: [OpcodeForm] = build()

  /// Group rows, eight entries each (ModRM.reg selects).
  static let groups: [[GroupEntry]] = buildGroups()

  /// For the groups whose register forms (ModRM.mod = 3) are instructions of their own (0F 01, 0F AE,
  /// 0F C7, the x87 escapes: SDM Vol. 2D tables ): 64 entries by ModRM bits 5:0.
  static let registerForms: [[GroupEntry]?] = buildRegisterForms()

  /// Rows of four entries selected by the mandatory prefix: none, 66h, F3h, F2h.
  static let prefixed: [[GroupEntry]] = buildPrefixed()

  static let g1 = UInt8(1), g2 = UInt8(2), g3 = UInt8(3), g4 = UInt8(4), g5 = UInt8(5), g6 = UInt8(6)
  static let g7 = UInt8(7), g8 = UInt8(8), g9 = UInt8(9), g11 = UInt8(10), g1a = UInt8(11), g15 = UInt8(12)
  /// Group 11's byte form (C6): its register form C6 F8 is XABORT where C7 F8 is XBEGIN.
  static let g11byte = UInt8(23)
  /// Groups 12-14 (0F 71-73): the MMX and SSE2 shifts by an immediate count.
  static let g12 = UInt8(24), g13 = UInt8(25), g14 = UInt8(26)
  /// Group 2 comes in three forms (count 1, CL, imm8): one row each, the operation differing.
  static let g2imm = UInt8(13), g2cl = UInt8(14)
  /// The x87 escapes D8-DF, in opcode order.
  static let x87 = UInt8(15)
  static let groupCount = 27

  // Rows of `prefixed`.
  static let pMovUps = UInt8(0), pMovUpsStore = UInt8(1), pMovAps = UInt8(2), pMovApsStore = UInt8(3)
  static let pMovNtps = UInt8(4), pMovD = UInt8(5), pMovQ = UInt8(6), pMovDFrom = UInt8(7)
  static let pMovQStore = UInt8(8), pMovQFromXMM = UInt8(9), pMovNtq = UInt8(10), pRDPID = UInt8(11)
  static let pCLWB = UInt8(12), pCLFlush = UInt8(13)
  static let pINVPCID = UInt8(22)
  /// ANDPS ANDNPS ORPS XORPS (0F 54-57) and PAND PANDN POR PXOR (0F DB DF EB EF), by operation.
  static let pLogicPS = UInt8(14), pLogicP = UInt8(18)
  /// Where `simdRows` start in `prefixed`.
  static let pSIMD = UInt8(23)

  /// The immediate shifts of groups 12-14 by ModRM.reg (SDM Vol. 2D table A-6); PSRLDQ and PSLLDQ
  /// exist for XMM registers only. They are the first of `simdRows`, in this order.
  static let shiftImmediates: [(group: UInt8, reg: Int, op: PackedIntegerOp)] = [
    (g12, 2, .shiftRightLogical16), (g12, 4, .shiftRightArithmetic16), (g12, 6, .shiftLeft16),
    (g13, 2, .shiftRightLogical32), (g13, 4, .shiftRightArithmetic32), (g13, 6, .shiftLeft32),
    (g14, 2, .shiftRightLogical64), (g14, 3, .shiftRightBytes), (g14, 6, .shiftLeft64), (g14, 7, .shiftLeftBytes),
  ]

  /// The MMX, SSE and SSE2 arithmetic, conversion and arrangement forms: a two-byte opcode (nil for
  /// the group rows) and its entries for no prefix, 66h, F3h and F2h (SDM Vol. 2D table A-3).
  static let simdRows: [(opcode: Int?, entries: [GroupEntry])] = buildSIMDRows()

  private static func build() -> [OpcodeForm] {
    var t = [OpcodeForm](repeating: OpcodeForm(), count: 768)
    func set(_ i: Int, _ op: Op, _ shape: Shape = [], row: UInt8 = 0, sub: UInt8 = 0, cycles: UInt8 = 1) {
      t[i] = OpcodeForm(op: op, shape: shape, row: row, sub: sub, cycles: cycles)
    }
    let system = CycleModel.system, io = CycleModel.portIO
    // 00-3F: the eight ALU operations in six forms each (ADD OR ADC SBB AND SUB XOR CMP).
    for alu in 0..<8 {
      let b = alu * 8, s = UInt8(alu)
      let lock: Shape = alu == 7 ? [] : .lockable
      set(b + 0, .aluEG, [.modrm, .byteOp, lock], sub: s)
      set(b + 1, .aluEG, [.modrm, lock], sub: s)
      set(b + 2, .aluGE, [.modrm, .byteOp], sub: s)
      set(b + 3, .aluGE, [.modrm], sub: s)
      set(b + 4, .aluAI, [.byteOp, .imm8], sub: s)
      set(b + 5, .aluAI, [.immZ], sub: s)
    }
    set(0x27, .daa, [.no64])
    set(0x2F, .das, [.no64])
    set(0x37, .aaa, [.no64])
    set(0x3F, .aas, [.no64])
    set(0xD4, .aam, [.no64, .imm8], cycles: CycleModel.divide)
    set(0xD5, .aad, [.no64, .imm8], cycles: CycleModel.multiply)
    set(0xD6, .salc, [.no64])
    set(0x06, .pushSeg, [.no64], sub: UInt8(Seg.es.rawValue))
    set(0x07, .popSeg, [.no64, .endsBlock], sub: UInt8(Seg.es.rawValue))
    set(0x0E, .pushSeg, [.no64], sub: UInt8(Seg.cs.rawValue))
    set(0x16, .pushSeg, [.no64], sub: UInt8(Seg.ss.rawValue))
    set(0x17, .popSeg, [.no64, .endsBlock], sub: UInt8(Seg.ss.rawValue))
    set(0x1E, .pushSeg, [.no64], sub: UInt8(Seg.ds.rawValue))
    set(0x1F, .popSeg, [.no64, .endsBlock], sub: UInt8(Seg.ds.rawValue))
    for r in 0..<8 {
      set(0x40 + r, .incR, [.regInOpcode, .no64])
      set(0x48 + r, .decR, [.regInOpcode, .no64])
      set(0x50 + r, .pushR, [.regInOpcode, .default64])
      set(0x58 + r, .popR, [.regInOpcode, .default64])
      set(0x90 + r, .xchgAR, [.regInOpcode])
      set(0xB0 + r, .movRI, [.regInOpcode, .byteOp, .imm8])
      set(0xB8 + r, .movRI, [.regInOpcode, .immV])
      set(0x1C8 + r, .bswap, [.regInOpcode])
    }
    set(0x60, .pusha, [.no64])
    set(0x61, .popa, [.no64])
    set(0x63, .movsxd, [.modrm])
    set(0x68, .pushI, [.immZ, .default64])
    set(0x69, .imul3, [.modrm, .immZ], cycles: CycleModel.multiply)
    set(0x6A, .pushI, [.imm8, .default64])
    set(0x6B, .imul3, [.modrm, .imm8], cycles: CycleModel.multiply)
    set(0x6C, .ins, [.byteOp, .readsTime], cycles: io)
    set(0x6D, .ins, [.max32, .readsTime], cycles: io)
    set(0x6E, .outs, [.byteOp, .readsTime], cycles: io)
    set(0x6F, .outs, [.max32, .readsTime], cycles: io)
    for cc in 0..<16 {
      set(0x70 + cc, .jcc, [.imm8, .force64, .condition, .relative, .endsBlock])
      set(0x140 + cc, .cmov, [.modrm, .condition])
      set(0x180 + cc, .jcc, [.immZ, .force64, .condition, .relative, .endsBlock])
      set(0x190 + cc, .setcc, [.modrm, .byteOp, .condition])
    }
    set(0x80, .aluEI, [.modrm, .byteOp, .imm8, .group], row: g1)
    set(0x81, .aluEI, [.modrm, .immZ, .group], row: g1)
    set(0x83, .aluEI, [.modrm, .imm8, .group], row: g1)
    set(0x84, .testEG, [.modrm, .byteOp])
    set(0x85, .testEG, [.modrm])
    set(0x86, .xchgEG, [.modrm, .byteOp, .lockable])
    set(0x87, .xchgEG, [.modrm, .lockable])
    set(0x88, .movEG, [.modrm, .byteOp])
    set(0x89, .movEG, [.modrm])
    set(0x8A, .movGE, [.modrm, .byteOp])
    set(0x8B, .movGE, [.modrm])
    set(0x8C, .movES, [.modrm])
    set(0x8D, .lea, [.modrm])
    set(0x8E, .movSE, [.modrm, .endsBlock])
    set(0x8F, .popE, [.modrm, .default64, .group], row: g1a)
    set(0x98, .cbw)
    set(0x99, .cwd)
    set(0x9A, .callFarPtr, [.farPointer, .no64, .endsBlock], cycles: system)
    set(0x9B, .fwait)
    for escape in 0..<8 { set(0xD8 + escape, .fpuEscape, [.modrm, .group], row: x87 + UInt8(escape)) }
    set(0x9C, .pushf, [.default64])
    set(0x9D, .popf, [.default64, .endsBlock])
    set(0x9E, .sahf)
    set(0x9F, .lahf)
    set(0xA0, .movAO, [.byteOp, .immAddr])
    set(0xA1, .movAO, [.immAddr])
    set(0xA2, .movOA, [.byteOp, .immAddr])
    set(0xA3, .movOA, [.immAddr])
    set(0xA4, .movs, [.byteOp, .string])
    set(0xA5, .movs, [.string])
    set(0xA6, .cmps, [.byteOp, .string])
    set(0xA7, .cmps, [.string])
    set(0xA8, .testAI, [.byteOp, .imm8])
    set(0xA9, .testAI, [.immZ])
    set(0xAA, .stos, [.byteOp, .string])
    set(0xAB, .stos, [.string])
    set(0xAC, .lods, [.byteOp, .string])
    set(0xAD, .lods, [.string])
    set(0xAE, .scas, [.byteOp, .string])
    set(0xAF, .scas, [.string])
    set(0xC0, .shiftImm, [.modrm, .byteOp, .imm8, .group], row: g2imm)
    set(0xC1, .shiftImm, [.modrm, .imm8, .group], row: g2imm)
    set(0xC2, .retImm, [.imm16, .force64, .endsBlock])
    set(0xC3, .ret, [.force64, .endsBlock])
    set(0xC4, .lfp, [.modrm, .no64, .endsBlock], sub: UInt8(Seg.es.rawValue))
    set(0xC5, .lfp, [.modrm, .no64, .endsBlock], sub: UInt8(Seg.ds.rawValue))
    set(0xC6, .movEI, [.modrm, .byteOp, .imm8, .group], row: g11byte)
    set(0xC7, .movEI, [.modrm, .immZ, .group], row: g11)
    set(0xC8, .enter, [.enterImmediates, .default64], cycles: CycleModel.farReturn)
    set(0xC9, .leave, [.default64])
    set(0xCA, .retfImm, [.imm16, .endsBlock], cycles: CycleModel.farReturn)
    set(0xCB, .retf, [.endsBlock], cycles: CycleModel.farReturn)
    set(0xCC, .int3, [.endsBlock], cycles: system)
    set(0xCD, .intN, [.imm8, .endsBlock], cycles: system)
    set(0xCE, .into, [.no64, .endsBlock], cycles: system)
    set(0xCF, .iret, [.endsBlock], cycles: system)
    set(0xD0, .shift1, [.modrm, .byteOp, .group], row: g2)
    set(0xD1, .shift1, [.modrm, .group], row: g2)
    set(0xD2, .shiftCL, [.modrm, .byteOp, .group], row: g2cl)
    set(0xD3, .shiftCL, [.modrm, .group], row: g2cl)
    set(0xD7, .xlat, [.byteOp])
    set(0xE0, .loop, [.imm8, .force64, .relative, .endsBlock], sub: 0)
    set(0xE1, .loop, [.imm8, .force64, .relative, .endsBlock], sub: 1)
    set(0xE2, .loop, [.imm8, .force64, .relative, .endsBlock], sub: 2)
    set(0xE3, .jcxz, [.imm8, .force64, .relative, .endsBlock])
    set(0xE4, .inAI, [.byteOp, .imm8, .readsTime], cycles: io)
    set(0xE5, .inAI, [.imm8, .max32, .readsTime], cycles: io)
    set(0xE6, .outIA, [.byteOp, .imm8, .readsTime], cycles: io)
    set(0xE7, .outIA, [.imm8, .max32, .readsTime], cycles: io)
    set(0xE8, .callRel, [.immZ, .force64, .relative, .endsBlock])
    set(0xE9, .jmpRel, [.immZ, .force64, .relative, .endsBlock])
    set(0xEA, .jmpFarPtr, [.farPointer, .no64, .endsBlock], cycles: system)
    set(0xEB, .jmpRel, [.imm8, .force64, .relative, .endsBlock])
    set(0xEC, .inAD, [.byteOp, .readsTime], cycles: io)
    set(0xED, .inAD, [.max32, .readsTime], cycles: io)
    set(0xEE, .outDA, [.byteOp, .readsTime], cycles: io)
    set(0xEF, .outDA, [.max32, .readsTime], cycles: io)
    set(0xF1, .int1, [.endsBlock], cycles: system)
    set(0xF4, .hlt, [.readsTime])
    set(0xF5, .cmc)
    set(0xF6, .testEI, [.modrm, .byteOp, .group], row: g3)
    set(0xF7, .testEI, [.modrm, .group], row: g3)
    set(0xF8, .clc)
    set(0xF9, .stc)
    set(0xFA, .cli, [.endsBlock])
    set(0xFB, .sti, [.endsBlock])
    set(0xFC, .cld)
    set(0xFD, .std)
    set(0xFE, .incE, [.modrm, .byteOp, .group], row: g4)
    set(0xFF, .incE, [.modrm, .group], row: g5)

    // Two-byte opcodes (0F xx).
    set(0x100, .sldt, [.modrm, .group], row: g6)
    set(0x101, .sgdt, [.modrm, .group], row: g7)
    set(0x105, .syscall, [.endsBlock], cycles: system)
    set(0x106, .clts, [.endsBlock])
    set(0x107, .sysret, [.endsBlock], cycles: system)
    set(0x134, .sysenter, [.endsBlock], cycles: system)
    set(0x135, .sysexit, [.endsBlock], cycles: system)
    set(0x108, .nop)  // INVD: no caches to drop
    set(0x109, .nop)  // WBINVD
    set(0x10B, .ud2, [.endsBlock])
    set(0x10D, .nop, [.modrm])  // PREFETCHW hint
    for hint in 0x118...0x11F { set(hint, .nop, [.modrm]) }  // hint NOPs incl. 0F 1F /0 (SDM NOP)
    set(0x120, .movFromCR, [.modrm, .controlSize])
    set(0x121, .movFromDR, [.modrm, .controlSize])
    set(0x122, .movToCR, [.modrm, .controlSize, .endsBlock], cycles: system)
    set(0x123, .movToDR, [.modrm, .controlSize, .endsBlock])
    set(0x130, .wrmsr, [.readsTime], cycles: system)
    set(0x131, .rdtsc, [.readsTime])
    set(0x132, .rdmsr, [.readsTime], cycles: system)
    set(0x1A0, .pushSeg, [.default64], sub: UInt8(Seg.fs.rawValue))
    set(0x1A1, .popSeg, [.default64, .endsBlock], sub: UInt8(Seg.fs.rawValue))
    set(0x1A2, .cpuid, cycles: system)
    set(0x1A3, .btReg, [.modrm], sub: 0)
    set(0x1A4, .shldImm, [.modrm, .imm8])
    set(0x1A5, .shldCL, [.modrm])
    set(0x1A8, .pushSeg, [.default64], sub: UInt8(Seg.gs.rawValue))
    set(0x1A9, .popSeg, [.default64, .endsBlock], sub: UInt8(Seg.gs.rawValue))
    set(0x1AB, .btReg, [.modrm, .lockable], sub: 1)
    set(0x1AC, .shrdImm, [.modrm, .imm8])
    set(0x1AD, .shrdCL, [.modrm])
    set(0x1AE, .nop, [.modrm, .group], row: g15)
    // MMX and SSE: moves and bitwise logic (SDM Vol. 2D table A-3), the mandatory prefix choosing.
    let simd: Shape = [.modrm, .prefixed]
    set(0x110, .invalid, simd, row: pMovUps)
    set(0x111, .invalid, simd, row: pMovUpsStore)
    set(0x128, .invalid, simd, row: pMovAps)
    set(0x129, .invalid, simd, row: pMovApsStore)
    set(0x12B, .invalid, simd, row: pMovNtps)
    for k in 0..<4 { set(0x154 + k, .invalid, simd, row: pLogicPS + UInt8(k)) }
    set(0x16E, .invalid, simd.union(.dwordOrQword), row: pMovD)
    set(0x16F, .invalid, simd, row: pMovQ)
    set(0x177, .emms)
    for (k, row) in simdRows.enumerated() {
      if let opcode = row.opcode { set(opcode, .invalid, simd, row: pSIMD + UInt8(k)) }
    }
    set(0x171, .invalid, [.modrm, .group], row: g12)
    set(0x172, .invalid, [.modrm, .group], row: g13)
    set(0x173, .invalid, [.modrm, .group], row: g14)
    // Three-byte opcodes (0F 38 xx, SDM Vol. 2D table A-4).
    set(0x282, .invalid, [.modrm, .prefixed, .endsBlock], row: pINVPCID)
    set(0x2F0, .movbe, [.modrm], sub: 0)
    set(0x2F1, .movbe, [.modrm], sub: 1)
    set(0x17E, .invalid, simd.union(.dwordOrQword), row: pMovDFrom)
    set(0x17F, .invalid, simd, row: pMovQStore)
    set(0x1D6, .invalid, simd, row: pMovQFromXMM)
    set(0x1E7, .invalid, simd, row: pMovNtq)
    for (k, opcode) in [0x1DB, 0x1DF, 0x1EB, 0x1EF].enumerated() {
      set(opcode, .invalid, simd, row: pLogicP + UInt8(k))
    }
    set(0x1AF, .imul2, [.modrm], cycles: CycleModel.multiply)
    set(0x1B0, .cmpxchg, [.modrm, .byteOp, .lockable])
    set(0x1B1, .cmpxchg, [.modrm, .lockable])
    set(0x1B2, .lfp, [.modrm, .endsBlock], sub: UInt8(Seg.ss.rawValue))
    set(0x1B3, .btReg, [.modrm, .lockable], sub: 2)
    set(0x1B4, .lfp, [.modrm, .endsBlock], sub: UInt8(Seg.fs.rawValue))
    set(0x1B5, .lfp, [.modrm, .endsBlock], sub: UInt8(Seg.gs.rawValue))
    set(0x1B6, .movzx, [.modrm], sub: 1)
    set(0x1B7, .movzx, [.modrm], sub: 2)
    set(0x1BA, .btImm, [.modrm, .imm8, .group], row: g8)
    set(0x1BB, .btReg, [.modrm, .lockable], sub: 3)
    set(0x1BC, .bsf, [.modrm])
    set(0x1BD, .bsr, [.modrm])
    set(0x1BE, .movsx, [.modrm], sub: 1)
    set(0x1BF, .movsx, [.modrm], sub: 2)
    set(0x1C0, .xadd, [.modrm, .byteOp, .lockable])
    set(0x1C1, .xadd, [.modrm, .lockable])
    set(0x1C7, .cmpxchgWide, [.modrm, .group], row: g9)
    return t
  }

  private static func buildGroups() -> [[GroupEntry]] {
    let bad = GroupEntry()
    let system = CycleModel.system
    var g = [[GroupEntry]](repeating: [GroupEntry](repeating: bad, count: 8), count: groupCount)
    for r in 0..<8 {
      g[Int(g1)][r] = GroupEntry(op: .aluEI, shape: r == 7 ? [] : .lockable, sub: UInt8(r))
      // The shift kind: ROL ROR RCL RCR SHL SHR SAL(= SHL) SAR.
      g[Int(g2)][r] = GroupEntry(op: .shift1, sub: UInt8(r))
      g[Int(g2imm)][r] = GroupEntry(op: .shiftImm, sub: UInt8(r))
      g[Int(g2cl)][r] = GroupEntry(op: .shiftCL, sub: UInt8(r))
    }
    let multiply = CycleModel.multiply, divide = CycleModel.divide
    g[Int(g3)] = [
      GroupEntry(op: .testEI, shape: .immZ), GroupEntry(op: .testEI, shape: .immZ),
      GroupEntry(op: .notE, shape: .lockable), GroupEntry(op: .negE, shape: .lockable),
      GroupEntry(op: .mul, cycles: multiply), GroupEntry(op: .imul1, cycles: multiply),
      GroupEntry(op: .div, cycles: divide), GroupEntry(op: .idiv, cycles: divide),
    ]
    g[Int(g4)][0] = GroupEntry(op: .incE, shape: .lockable)
    g[Int(g4)][1] = GroupEntry(op: .decE, shape: .lockable)
    g[Int(g5)] = [
      GroupEntry(op: .incE, shape: .lockable), GroupEntry(op: .decE, shape: .lockable),
      GroupEntry(op: .callE, shape: [.default64, .endsBlock]),
      GroupEntry(op: .callFarM, shape: .endsBlock, cycles: system),
      GroupEntry(op: .jmpE, shape: [.default64, .endsBlock]),
      GroupEntry(op: .jmpFarM, shape: .endsBlock, cycles: system),
      GroupEntry(op: .pushE, shape: .default64), bad,
    ]
    g[Int(g6)] = [
      GroupEntry(op: .sldt), GroupEntry(op: .str), GroupEntry(op: .lldt, shape: .endsBlock, cycles: system),
      GroupEntry(op: .ltr, shape: .endsBlock, cycles: system), GroupEntry(op: .verr), GroupEntry(op: .verw), bad, bad,
    ]
    g[Int(g7)] = [
      GroupEntry(op: .sgdt), GroupEntry(op: .sidt), GroupEntry(op: .lgdt, shape: .endsBlock, cycles: system),
      GroupEntry(op: .lidt, shape: .endsBlock, cycles: system), GroupEntry(op: .smsw), bad,
      GroupEntry(op: .lmsw, shape: .endsBlock), GroupEntry(op: .invlpg, shape: .endsBlock, cycles: system),
    ]
    for r in 4..<8 {
      g[Int(g8)][r] = GroupEntry(op: .btImm, shape: r == 4 ? [] : .lockable, sub: UInt8(r - 4))
    }
    g[Int(g9)][1] = GroupEntry(op: .cmpxchgWide, shape: .lockable, cycles: CycleModel.farReturn)
    g[Int(g11)][0] = GroupEntry(op: .movEI)
    g[Int(g11byte)][0] = GroupEntry(op: .movEI)
    g[Int(g1a)][0] = GroupEntry(op: .popE)
    for (k, shift) in shiftImmediates.enumerated() {
      g[Int(shift.group)][shift.reg] = GroupEntry(shape: [.prefixed, .imm8], row: pSIMD + UInt8(k))
    }
    // 0F AE memory forms. CLFLUSH (/7), CLFLUSHOPT (66 /7) and CLWB (66 /6) translate the line only;
    // XSAVEOPT (/6 without a prefix) is not implemented.
    g[Int(g15)][0] = GroupEntry(op: .fxsave, cycles: system)
    g[Int(g15)][1] = GroupEntry(op: .fxrstor, cycles: system)
    g[Int(g15)][2] = GroupEntry(op: .ldmxcsr)
    g[Int(g15)][3] = GroupEntry(op: .stmxcsr)
    g[Int(g15)][4] = GroupEntry(op: .xsave, cycles: system)
    g[Int(g15)][5] = GroupEntry(op: .xrstor, cycles: system)
    g[Int(g15)][6] = GroupEntry(shape: .prefixed, row: pCLWB)
    g[Int(g15)][7] = GroupEntry(shape: .prefixed, row: pCLFlush)
    // The x87 memory forms this core executes (SDM Vol. 2D table A-8); the rest are `fpuEscape`.
    for escape in 0..<8 {
      g[Int(x87) + escape] = [GroupEntry](repeating: GroupEntry(op: .fpuEscape), count: 8)
    }
    g[Int(x87) + 1][5] = GroupEntry(op: .fldcw)  // D9 /5
    g[Int(x87) + 1][7] = GroupEntry(op: .fnstcw)  // D9 /7
    g[Int(x87) + 5][7] = GroupEntry(op: .fnstsw)  // DD /7
    return g
  }

  private static func buildRegisterForms() -> [[GroupEntry]?] {
    var forms = [[GroupEntry]?](repeating: nil, count: groupCount)
    func row(_ entries: [Int: GroupEntry]) -> [GroupEntry] {
      var r = [GroupEntry](repeating: GroupEntry(), count: 64)
      for (modrm, entry) in entries { r[modrm & 0x3F] = entry }
      return r
    }
    var system: [Int: GroupEntry] = [
      0xCA: GroupEntry(op: .clac), 0xCB: GroupEntry(op: .stac),
      0xD0: GroupEntry(op: .xgetbv), 0xD1: GroupEntry(op: .xsetbv, cycles: CycleModel.system),
      0xD5: GroupEntry(op: .xend, cycles: CycleModel.system), 0xD6: GroupEntry(op: .xtest),
      0xEE: GroupEntry(op: .rdpkru, shape: .endsBlock), 0xEF: GroupEntry(op: .wrpkru, shape: .endsBlock),
      0xF8: GroupEntry(op: .swapgs, shape: .only64), 0xF9: GroupEntry(op: .rdtscp, shape: .readsTime),
    ]
    for rm in 0..<8 {
      system[0xE0 + rm] = GroupEntry(op: .smsw)  // /4
      system[0xF0 + rm] = GroupEntry(op: .lmsw, shape: .endsBlock)  // /6
    }
    forms[Int(g7)] = row(system)
    // 0F AE /5 /6 /7: LFENCE, MFENCE, SFENCE order nothing in a single in-order core.
    var fences: [Int: GroupEntry] = [:]
    for modrm in 0xE8...0xFF { fences[modrm] = GroupEntry(op: .nop) }
    forms[Int(g15)] = row(fences)
    // C6 /0 and C7 /0 with a register are MOV; C6 F8 is XABORT, C7 F8 XBEGIN (SDM Vol. 2C), whose
    // offset is not a near branch's (no truncation to 16 bits: Execute/Transactions.swift).
    var move: [Int: GroupEntry] = [:]
    for rm in 0..<8 { move[0xC0 + rm] = GroupEntry(op: .movEI) }
    var begin = move, abort = move
    begin[0xF8] = GroupEntry(op: .xbegin, shape: .endsBlock, cycles: CycleModel.system)
    abort[0xF8] = GroupEntry(op: .xabort, cycles: CycleModel.system)
    forms[Int(g11)] = row(begin)
    forms[Int(g11byte)] = row(abort)
    // 0F C7 /7 with a register: RDPID with F3 (SDM Vol. 2B); RDRAND and RDSEED are not implemented.
    var random: [Int: GroupEntry] = [:]
    for rm in 0..<8 { random[0xF8 + rm] = GroupEntry(shape: .prefixed, row: pRDPID) }
    forms[Int(g9)] = row(random)
    // x87 register forms (SDM Vol. 2D table A-9).
    for escape in 0..<8 {
      var r = [GroupEntry](repeating: GroupEntry(op: .fpuEscape), count: 64)
      switch escape {
      case 1: r[0xD0 & 0x3F] = GroupEntry(op: .fnop)  // D9 D0
      case 3:
        r[0xE2 & 0x3F] = GroupEntry(op: .fnclex)  // DB E2
        r[0xE3 & 0x3F] = GroupEntry(op: .fninit)  // DB E3
      case 7: r[0xE0 & 0x3F] = GroupEntry(op: .fnstsw)  // DF E0: FNSTSW AX
      default: break
      }
      forms[Int(x87) + escape] = r
    }
    return forms
  }

  private static func buildPrefixed() -> [[GroupEntry]] {
    let bad = GroupEntry()
    func e(_ op: Op, _ sub: UInt8 = 0) -> GroupEntry { GroupEntry(op: op, sub: sub) }
    // sub: for the vector moves bit 0 = aligned (#GP unless 16-byte aligned), bit 1 = non-temporal
    // (memory only); for the scalar moves the size; for the logic forms the operation.
    var rows: [[GroupEntry]] = [
      [e(.sseMoveLoad), e(.sseMoveLoad), e(.sseScalarLoad, 4), e(.sseScalarLoad, 8)],  // 0F 10
      [e(.sseMoveStore), e(.sseMoveStore), e(.sseScalarStore, 4), e(.sseScalarStore, 8)],  // 0F 11
      [e(.sseMoveLoad, 1), e(.sseMoveLoad, 1), bad, bad],  // 0F 28 MOVAPS MOVAPD
      [e(.sseMoveStore, 1), e(.sseMoveStore, 1), bad, bad],  // 0F 29
      [e(.sseMoveStore, 3), e(.sseMoveStore, 3), bad, bad],  // 0F 2B MOVNTPS MOVNTPD
      [e(.movdToMMX), e(.movdToXMM), bad, bad],  // 0F 6E
      [e(.movqToMMX), e(.sseMoveLoad, 1), e(.sseMoveLoad), bad],  // 0F 6F MOVQ MOVDQA MOVDQU
      [e(.movdFromMMX), e(.movdFromXMM), e(.movqToXMM), bad],  // 0F 7E
      [e(.movqFromMMX), e(.sseMoveStore, 1), e(.sseMoveStore), bad],  // 0F 7F
      [bad, e(.movqFromXMM), e(.movq2dq), e(.movdq2q)],  // 0F D6 MOVQ MOVQ2DQ MOVDQ2Q
      [e(.movqFromMMX, 2), e(.sseMoveStore, 3), bad, bad],  // 0F E7 MOVNTQ MOVNTDQ
      [bad, bad, e(.rdpid), bad],  // F3 0F C7 /7
      [bad, e(.clflush), bad, bad],  // 66 0F AE /6 CLWB
      [e(.clflush), e(.clflush), bad, bad],  // 0F AE /7 CLFLUSH, 66: CLFLUSHOPT
    ]
    for k in 0..<4 { rows.append([e(.sseLogic, UInt8(k)), e(.sseLogic, UInt8(k)), bad, bad]) }
    for k in 0..<4 { rows.append([e(.mmxLogic, UInt8(k)), e(.sseLogic, UInt8(k)), bad, bad]) }
    rows.append([bad, GroupEntry(op: .invpcid, cycles: CycleModel.system), bad, bad])  // 66 0F 38 82
    assert(rows.count == Int(pSIMD))
    return rows + simdRows.map(\.entries)
  }

  private static func buildSIMDRows() -> [(opcode: Int?, entries: [GroupEntry])] {
    let bad = GroupEntry()
    func e(_ op: Op, _ sub: UInt8 = 0, _ shape: Shape = []) -> GroupEntry { GroupEntry(op: op, shape: shape, sub: sub) }
    var rows: [(opcode: Int?, entries: [GroupEntry])] = []
    for shift in shiftImmediates {
      let bytes = shift.op == .shiftRightBytes || shift.op == .shiftLeftBytes
      let sub = shift.op.rawValue
      rows.append((nil, [bytes ? bad : e(.mmxShiftImmediate, sub), e(.sseShiftImmediate, sub), bad, bad]))
    }
    // Packed integers: MMX without a prefix, XMM with 66h (PUNPCKLQDQ and PUNPCKHQDQ: XMM only).
    let integer: [(Int, PackedIntegerOp)] = [
      (0x60, .unpackLow8), (0x61, .unpackLow16), (0x62, .unpackLow32), (0x63, .packSigned16),
      (0x64, .greater8), (0x65, .greater16), (0x66, .greater32), (0x67, .packUnsigned16),
      (0x68, .unpackHigh8), (0x69, .unpackHigh16), (0x6A, .unpackHigh32), (0x6B, .packSigned32),
      (0x6C, .unpackLow64), (0x6D, .unpackHigh64), (0x74, .equal8), (0x75, .equal16), (0x76, .equal32),
      (0xD1, .shiftRightLogical16), (0xD2, .shiftRightLogical32), (0xD3, .shiftRightLogical64), (0xD4, .add64),
      (0xD5, .multiplyLow16), (0xD8, .subUnsigned8), (0xD9, .subUnsigned16), (0xDA, .minUnsigned8),
      (0xDC, .addUnsigned8), (0xDD, .addUnsigned16), (0xDE, .maxUnsigned8), (0xE0, .average8),
      (0xE1, .shiftRightArithmetic16), (0xE2, .shiftRightArithmetic32), (0xE3, .average16),
      (0xE4, .multiplyHighUnsigned16), (0xE5, .multiplyHigh16), (0xE8, .subSigned8), (0xE9, .subSigned16),
      (0xEA, .minSigned16), (0xEC, .addSigned8), (0xED, .addSigned16), (0xEE, .maxSigned16),
      (0xF1, .shiftLeft16), (0xF2, .shiftLeft32), (0xF3, .shiftLeft64), (0xF4, .multiplyUnsigned32),
      (0xF5, .multiplyAdd16), (0xF6, .sumAbsoluteDifferences8), (0xF8, .sub8), (0xF9, .sub16), (0xFA, .sub32),
      (0xFB, .sub64), (0xFC, .add8), (0xFD, .add16), (0xFE, .add32),
    ]
    for (opcode, op) in integer {
      let xmmOnly = op == .unpackLow64 || op == .unpackHigh64
      rows.append((0x100 | opcode, [xmmOnly ? bad : e(.mmxPacked, op.rawValue), e(.ssePacked, op.rawValue), bad, bad]))
    }
    // UNPCKLPS/PD and UNPCKHPS/PD interleave as PUNPCKLDQ/QDQ and PUNPCKHDQ/QDQ do.
    rows.append(
      (
        0x114,
        [
          e(.ssePacked, PackedIntegerOp.unpackLow32.rawValue), e(.ssePacked, PackedIntegerOp.unpackLow64.rawValue), bad,
          bad,
        ]
      ))
    rows.append(
      (
        0x115,
        [
          e(.ssePacked, PackedIntegerOp.unpackHigh32.rawValue), e(.ssePacked, PackedIntegerOp.unpackHigh64.rawValue),
          bad, bad,
        ]
      ))
    // Floating-point arithmetic: sub = operation << 2 | format (PS, PD, SS, SD: the prefix's column).
    let arithmetic: [(Int, FloatOperation)] = [
      (0x51, .squareRoot), (0x58, .add), (0x59, .multiply), (0x5C, .subtract), (0x5D, .minimum), (0x5E, .divide),
      (0x5F, .maximum),
    ]
    for (opcode, operation) in arithmetic {
      rows.append((0x100 | opcode, (0..<4).map { e(.sseArithmetic, operation.rawValue << 2 | UInt8($0)) }))
    }
    for (opcode, operation) in [(0x152, FloatOperation.reciprocalSquareRoot), (0x153, .reciprocal)] {
      rows.append(
        (
          opcode,
          [e(.sseArithmetic, operation.rawValue << 2), bad, e(.sseArithmetic, operation.rawValue << 2 | 2), bad]
        ))
    }
    rows.append((0x1C2, (0..<4).map { e(.sseCompare, UInt8($0), .imm8) }))
    rows.append((0x12E, [e(.sseOrderedCompare, 4), e(.sseOrderedCompare, 5), bad, bad]))  // UCOMISS UCOMISD
    rows.append((0x12F, [e(.sseOrderedCompare, 0), e(.sseOrderedCompare, 1), bad, bad]))  // COMISS COMISD
    // Conversions.
    func cvt(_ c: FloatConversion, truncating: Bool = false, _ shape: Shape = []) -> GroupEntry {
      e(.sseConvert, c.rawValue | (truncating ? FloatConversion.truncating : 0), shape)
    }
    let gpr = Shape.dwordOrQword
    rows.append((0x12A, [cvt(.pi2ps), cvt(.pi2pd), cvt(.si2ss, gpr), cvt(.si2sd, gpr)]))
    for (opcode, t) in [(0x12C, true), (0x12D, false)] {
      rows.append(
        (
          opcode,
          [
            cvt(.ps2pi, truncating: t), cvt(.pd2pi, truncating: t), cvt(.ss2si, truncating: t, gpr),
            cvt(.sd2si, truncating: t, gpr),
          ]
        ))
    }
    rows.append((0x15A, [cvt(.ps2pd), cvt(.pd2ps), cvt(.ss2sd), cvt(.sd2ss)]))
    rows.append((0x15B, [cvt(.dq2ps), cvt(.ps2dq), cvt(.ps2dq, truncating: true), bad]))
    rows.append((0x1E6, [bad, cvt(.pd2dq, truncating: true), cvt(.dq2pd), cvt(.pd2dq)]))
    // Arrangement.
    func shuffle(_ s: SIMDShuffle) -> GroupEntry { e(.sseShuffle, s.rawValue, .imm8) }
    rows.append((0x1C6, [shuffle(.shufps), shuffle(.shufpd), bad, bad]))
    rows.append((0x170, [shuffle(.pshufw), shuffle(.pshufd), shuffle(.pshufhw), shuffle(.pshuflw)]))
    let store = SIMDHalfMove.store, high = SIMDHalfMove.high, register = SIMDHalfMove.registerForm
    rows.append((0x112, [e(.sseMoveHalf, register), e(.sseMoveHalf), bad, bad]))  // MOVLPS/MOVHLPS MOVLPD
    rows.append((0x113, [e(.sseMoveHalf, store), e(.sseMoveHalf, store), bad, bad]))
    rows.append((0x116, [e(.sseMoveHalf, high | register), e(.sseMoveHalf, high), bad, bad]))  // MOVHPS/MOVLHPS
    rows.append((0x117, [e(.sseMoveHalf, high | store), e(.sseMoveHalf, high | store), bad, bad]))
    rows.append((0x150, [e(.sseMoveMask, 4), e(.sseMoveMask, 8), bad, bad]))  // MOVMSKPS MOVMSKPD
    rows.append((0x1D7, [e(.mmxMoveMask, 1), e(.sseMoveMask, 1), bad, bad]))  // PMOVMSKB
    rows.append((0x1C4, [e(.pinsrw, 0, .imm8), e(.pinsrw, 1, .imm8), bad, bad]))
    rows.append((0x1C5, [e(.pextrw, 0, .imm8), e(.pextrw, 1, .imm8), bad, bad]))
    rows.append((0x1F7, [e(.maskMove, 0), e(.maskMove, 1), bad, bad]))  // MASKMOVQ MASKMOVDQU
    rows.append((0x1C3, [e(.movnti, 0, gpr), bad, bad, bad]))
    return rows
  }
}
