// The decoded instruction: a plain value built once per code address and kept in a decoded block
// (CPU/BlockCache.swift). Everything that does not depend on run-time state is settled here: the
// handler that executes it (Execute/Handler.swift), RIP-relative addresses and branch targets as
// absolute values, and the registers of the address computation (a missing base or index names the
// zero register, so the address is computed without a branch).

/// Operations, grouped by the family file that implements them (Execute/*.swift); an operation's
/// place in this list is its family (`family`). Which opcode bytes map here, and what each costs,
/// is in OpcodeTable.swift.
enum Op: UInt8 {
  case invalid
  // DataMove.swift
  case movEG, movGE, movEI, movRI, movAO, movOA, movES, movSE, lea, xchgEG, xchgAR, movzx, movsx, movsxd, movbe
  case cbw, cwd, xlat, lahf, sahf, salc, lfp
  case pushR, popR, pushI, pushE, popE, pushSeg, popSeg, pusha, popa, enter, leave
  // Arithmetic.swift
  case aluEG, aluGE, aluAI, aluEI, testEG, testAI, testEI, incR, decR, incE, decE, notE, negE
  case xadd, cmpxchg, cmpxchgWide
  // DecimalAdjust.swift (part of the arithmetic family)
  case daa, das, aaa, aas, aam, aad
  // MulDiv.swift
  case mul, imul1, imul2, imul3, div, idiv
  // Shifts.swift
  case shiftImm, shift1, shiftCL, shldImm, shldCL, shrdImm, shrdCL
  // BitOps.swift
  case btReg, btImm, bsf, bsr, bswap, setcc, cmov
  // Strings.swift
  case movs, cmps, stos, lods, scas, ins, outs
  // ControlFlow.swift
  case jcc, jmpRel, callRel, jmpE, callE, ret, retImm, jmpFarPtr, callFarPtr, jmpFarM, callFarM, retf, retfImm
  case loop, jcxz, int3, intN, into, int1, iret
  // System.swift
  case clc, stc, cmc, cld, std, cli, sti, hlt, nop, pushf, popf
  case inAI, inAD, outIA, outDA
  case cpuid, rdtsc, rdmsr, wrmsr, movFromCR, movToCR, movFromDR, movToDR
  case lgdt, lidt, sgdt, sidt, lldt, sldt, ltr, str, smsw, lmsw, invlpg, swapgs, clts, verr, verw
  case syscall, sysret, sysenter, sysexit, ud2, rdtscp, rdpid, clflush, stac, clac, rdpkru, wrpkru
  case xgetbv, xsetbv, xsave, xrstor, invpcid
  case xbegin, xend, xabort, xtest
  // X87Control.swift
  case fwait, fninit, fnclex, fldcw, fnstcw, fnstsw, fnop, fxsave, fxrstor, fpuEscape
  // SIMD.swift
  case sseMoveLoad, sseMoveStore, sseScalarLoad, sseScalarStore, movqToXMM, movqFromXMM, movdToXMM, movdFromXMM
  case sseLogic, movdToMMX, movdFromMMX, movqToMMX, movqFromMMX, mmxLogic, emms, ldmxcsr, stmxcsr
  // PackedInteger.swift, PackedFloat.swift, FloatConversion.swift, SIMDShuffle.swift
  case mmxPacked, ssePacked, mmxShiftImmediate, sseShiftImmediate
  case sseArithmetic, sseCompare, sseOrderedCompare, sseConvert
  case sseShuffle, sseMoveHalf, mmxMoveMask, sseMoveMask, pextrw, pinsrw, maskMove, movnti, movq2dq, movdq2q

  /// The family file an operation belongs to.
  enum Family { case invalid, dataMove, arithmetic, mulDiv, shift, bitOps, string, controlFlow, system, x87, simd }

  var family: Family {
    let r = unsafeBitCast(self, to: UInt8.self)
    if r < Op.movEG.order { return .invalid }
    if r < Op.aluEG.order { return .dataMove }
    if r < Op.mul.order { return .arithmetic }
    if r < Op.shiftImm.order { return .mulDiv }
    if r < Op.btReg.order { return .shift }
    if r < Op.movs.order { return .bitOps }
    if r < Op.jcc.order { return .string }
    if r < Op.clc.order { return .controlFlow }
    if r < Op.fwait.order { return .system }
    if r < Op.sseMoveLoad.order { return .x87 }
    return .simd
  }

  /// The case's position in the list (its representation; the raw values are the same numbers).
  private var order: UInt8 { unsafeBitCast(self, to: UInt8.self) }
}

/// One decoded instruction. Registers are numbered 0-15 with REX already applied.
struct Instruction {
  /// What executes it, chosen once at decode time (Handler.select).
  var handler: Handler = .generic
  /// The handler leaves RIP to the block loop (Handler.isStraightLine, kept here so the loop need not
  /// compute it).
  var straightLine = false
  var op: Op = .invalid
  var length: UInt8 = 0
  /// Operand size in bytes (1, 2, 4, 8).
  var opSize: UInt8 = 4
  /// Address size in bytes (2, 4, 8).
  var addrSize: UInt8 = 4
  /// Family detail: ALU operation, condition code, shift kind or group ModRM.reg.
  var sub: UInt8 = 0
  /// ModRM.reg (or the register in the opcode's low bits) with REX.R/REX.B applied.
  var reg: UInt8 = 0
  /// ModRM.rm register when `hasMemory` is false.
  var rm: UInt8 = 0
  var hasMemory = false
  /// A REX prefix is present: byte registers 4-7 are SPL..DIL instead of AH..BH.
  var rex = false
  /// Repeat prefix: 0 none, 1 REP/REPE (F3), 2 REPNE (F2).
  var rep: UInt8 = 0
  var lock = false
  /// Memory operand: base register, index register (either may be `noRegister`, the zero register),
  /// scale shift. RIP-relative operands have no base: the decoder folds the next RIP into
  /// `displacement`.
  var base: UInt8 = Instruction.noRegister
  var index: UInt8 = Instruction.noRegister
  var scale: UInt8 = 0
  var segment: UInt8 = UInt8(Seg.ds.rawValue)
  /// The segment whose base is added to the effective address: `segment`, or `Seg.none` in 64-bit mode
  /// where only FS and GS have a base (SDM Vol. 3A 3.2.4).
  var baseSegment: UInt8 = UInt8(Seg.ds.rawValue)
  /// Where it may sit in a decoded block, from its opcode table row.
  var role: BlockRole = .inBlock
  /// Cycles this instruction costs (its opcode table row, Clock/CycleModel.swift).
  var cycles: UInt8 = 1
  /// Cycles of the instructions before this one in its block, so a block left early is counted at once.
  var cyclesBefore: UInt16 = 0
  /// Branch targets (Jcc, JMP, CALL, LOOP, JCXZ rel) are absolute, already masked to the operand size.
  var displacement: UInt64 = 0
  /// The effective address wraps at the address size: 0xFFFF, 0xFFFF_FFFF or all ones.
  var addressMask: UInt64 = 0xFFFF_FFFF
  var immediate: UInt64 = 0
  /// The address of the next instruction (RIP after this one, wrapped as the mode wraps it).
  var nextRIP: UInt64 = 0
  /// Second immediate: the selector of a far pointer, ENTER's nesting level.
  var immediate2: UInt16 = 0

  /// The address of this instruction.
  var rip: UInt64 { nextRIP &- UInt64(length) }

  /// The zero register: `regs[noRegister]` always reads 0 (CPU.regs has one slot past R15).
  static let noRegister: UInt8 = 16
  /// The decoder's marker for RIP-relative addressing, resolved before the instruction is returned.
  static let ripBase: UInt8 = 17
}
