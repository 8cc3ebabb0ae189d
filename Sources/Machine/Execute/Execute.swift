// The generic path: forms without a handler of their own (Handler.swift) run the family function of
// their operation, one file per family in this folder. It is out of line: the hot forms never come
// here, and keeping it apart keeps the block loop's dispatch small.

extension CPU {
  /// Executes `i` by its operation. `rip` is the instruction's address and `nextRIP` the next one's;
  /// control transfers write `nextRIP`.
  @inline(never)
  func executeGeneric(_ i: Instruction) throws(Fault) {
    switch i.op {
    case .movEG, .movGE, .movEI, .movRI, .movAO, .movOA, .movES, .movSE, .lea, .xchgEG, .xchgAR, .movzx,
      .movsx, .movsxd, .cbw, .cwd, .xlat, .lahf, .sahf, .lfp, .pushR, .popR, .pushI, .pushE, .popE, .pushSeg,
      .popSeg, .pusha, .popa, .enter, .leave:
      try executeDataMove(i)
    case .aluEG, .aluGE, .aluAI, .aluEI, .testEG, .testAI, .testEI, .incR, .decR, .incE, .decE, .notE, .negE,
      .xadd, .cmpxchg, .cmpxchgWide:
      try executeArithmetic(i)
    case .jcc, .jmpRel, .callRel, .jmpE, .callE, .ret, .retImm, .jmpFarPtr, .callFarPtr, .jmpFarM, .callFarM,
      .retf, .retfImm, .loop, .jcxz, .int3, .intN, .into, .int1, .iret:
      try executeControlFlow(i)
    case .shiftImm, .shift1, .shiftCL:
      try executeShift(i)
    case .shldImm, .shldCL, .shrdImm, .shrdCL:
      try executeDoubleShift(i)
    case .mul, .imul1, .imul2, .imul3, .div, .idiv:
      try executeMulDiv(i)
    case .btReg, .btImm, .bsf, .bsr, .bswap, .setcc, .cmov:
      try executeBitOps(i)
    case .movs, .cmps, .stos, .lods, .scas, .ins, .outs:
      try executeString(i)
    case .invalid:
      throw Fault.invalidOpcode
    default:
      try executeSystem(i)
    }
  }
}
