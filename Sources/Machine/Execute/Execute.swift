// Dispatch from a decoded operation to its family (one file per family in this folder).
//
// Why one case per operation: the family functions are inlined here, and since each case knows the
// operation, the compiler drops the family's own switch: one indirect jump per instruction, not two.

extension CPU {
  @inline(__always)
  func execute(_ i: Instruction) throws(Fault) {
    switch i.op {
    case .movEG:
      let size = Int(i.opSize)
      try writeRM(i, size: size, readG(i, size: size))
    case .movGE:
      let size = Int(i.opSize)
      writeG(i, size: size, try readRM(i, size: size))
    case .movEI: try writeRM(i, size: Int(i.opSize), i.immediate & sizeMask(Int(i.opSize)))
    case .movRI: writeReg(Int(i.reg), size: Int(i.opSize), rex: i.rex, i.immediate)
    case .movAO: try executeDataMove(i)
    case .movOA: try executeDataMove(i)
    case .movES: try executeDataMove(i)
    case .movSE: try executeDataMove(i)
    case .lea: writeG(i, size: Int(i.opSize), effectiveAddress(i) & sizeMask(Int(i.opSize)))
    case .xchgEG: try executeDataMove(i)
    case .xchgAR: try executeDataMove(i)
    case .movzx: try executeDataMove(i)
    case .movsx: try executeDataMove(i)
    case .movsxd: try executeDataMove(i)
    case .cbw: try executeDataMove(i)
    case .cwd: try executeDataMove(i)
    case .xlat: try executeDataMove(i)
    case .lahf: try executeDataMove(i)
    case .sahf: try executeDataMove(i)
    case .lfp: try executeDataMove(i)
    case .pushR: try push(readReg(Int(i.reg), size: Int(i.opSize), rex: false), size: Int(i.opSize))
    case .popR:
      let v = try pop(size: Int(i.opSize))
      writeReg(Int(i.reg), size: Int(i.opSize), rex: false, v)
    case .pushI: try executeDataMove(i)
    case .pushE: try executeDataMove(i)
    case .popE: try executeDataMove(i)
    case .pushSeg: try executeDataMove(i)
    case .popSeg: try executeDataMove(i)
    case .pusha: try executeDataMove(i)
    case .popa: try executeDataMove(i)
    case .enter: try executeDataMove(i)
    case .leave: try executeDataMove(i)
    case .aluEG:
      if i.hasMemory { return try executeArithmetic(i) }
      let size = Int(i.opSize)
      let r = alu(i.sub, readReg(Int(i.rm), size: size, rex: i.rex), readG(i, size: size), size: size)
      if i.sub != 7 { writeReg(Int(i.rm), size: size, rex: i.rex, r) }
    case .aluGE:
      let size = Int(i.opSize)
      let r = alu(i.sub, readG(i, size: size), try readRM(i, size: size), size: size)
      if i.sub != 7 { writeG(i, size: size, r) }
    case .aluAI: try executeArithmetic(i)
    case .aluEI:
      if i.hasMemory { return try executeArithmetic(i) }
      let size = Int(i.opSize)
      let r = alu(i.sub, readReg(Int(i.rm), size: size, rex: i.rex), i.immediate & sizeMask(size), size: size)
      if i.sub != 7 { writeReg(Int(i.rm), size: size, rex: i.rex, r) }
    case .testEG:
      let size = Int(i.opSize)
      setLazy(.logic, size: size, dst: 0, src: 0, result: try readRM(i, size: size) & readG(i, size: size))
    case .testAI: try executeArithmetic(i)
    case .testEI: try executeArithmetic(i)
    case .incR: try executeArithmetic(i)
    case .decR: try executeArithmetic(i)
    case .incE:
      if i.hasMemory { return try executeArithmetic(i) }
      let size = Int(i.opSize)
      writeReg(Int(i.rm), size: size, rex: i.rex, incDec(readReg(Int(i.rm), size: size, rex: i.rex), up: true, size: size))
    case .decE:
      if i.hasMemory { return try executeArithmetic(i) }
      let size = Int(i.opSize)
      writeReg(Int(i.rm), size: size, rex: i.rex, incDec(readReg(Int(i.rm), size: size, rex: i.rex), up: false, size: size))
    case .notE: try executeArithmetic(i)
    case .negE: try executeArithmetic(i)
    case .xadd: try executeArithmetic(i)
    case .cmpxchg: try executeArithmetic(i)
    case .cmpxchgWide: try executeArithmetic(i)
    case .jcc:
      // The hottest operations are written out here so they cost no call.
      if condition(i.sub) { nextRIP = branchTarget(nextRIP &+ i.immediate, size: i.opSize) }
    case .jmpRel: nextRIP = branchTarget(nextRIP &+ i.immediate, size: i.opSize)
    case .callRel:
      try push(nextRIP, size: Int(i.opSize))
      nextRIP = branchTarget(nextRIP &+ i.immediate, size: i.opSize)
    case .jmpE: try executeControlFlow(i)
    case .callE: try executeControlFlow(i)
    case .ret: nextRIP = branchTarget(try pop(size: Int(i.opSize)), size: i.opSize)
    case .retImm: try executeControlFlow(i)
    case .jmpFarPtr: try executeControlFlow(i)
    case .callFarPtr: try executeControlFlow(i)
    case .jmpFarM: try executeControlFlow(i)
    case .callFarM: try executeControlFlow(i)
    case .retf: try executeControlFlow(i)
    case .retfImm: try executeControlFlow(i)
    case .loop: try executeControlFlow(i)
    case .jcxz: try executeControlFlow(i)
    case .int3: try executeControlFlow(i)
    case .intN: try executeControlFlow(i)
    case .into: try executeControlFlow(i)
    case .int1: try executeControlFlow(i)
    case .iret: try executeControlFlow(i)
    case .shiftImm:
      let size = Int(i.opSize)
      let count = i.immediate & (size == 8 ? 0x3F : 0x1F)
      if i.hasMemory || count == 0 { return try executeShift(i) }
      writeReg(Int(i.rm), size: size, rex: i.rex, shift(i.sub, readReg(Int(i.rm), size: size, rex: i.rex), count: count, size: size))
    case .shift1: try executeShift(i)
    case .shiftCL: try executeShift(i)
    case .shldImm: try executeDoubleShift(i)
    case .shldCL: try executeDoubleShift(i)
    case .shrdImm: try executeDoubleShift(i)
    case .shrdCL: try executeDoubleShift(i)
    case .mul: try executeMulDiv(i)
    case .imul1: try executeMulDiv(i)
    case .imul2: try executeMulDiv(i)
    case .imul3: try executeMulDiv(i)
    case .div: try executeMulDiv(i)
    case .idiv: try executeMulDiv(i)
    case .btReg: try executeBitOps(i)
    case .btImm: try executeBitOps(i)
    case .bsf: try executeBitOps(i)
    case .bsr: try executeBitOps(i)
    case .bswap: try executeBitOps(i)
    case .setcc: try executeBitOps(i)
    case .cmov: try executeBitOps(i)
    case .movs: try executeString(i)
    case .cmps: try executeString(i)
    case .stos: try executeString(i)
    case .lods: try executeString(i)
    case .scas: try executeString(i)
    case .ins: try executeString(i)
    case .outs: try executeString(i)
    case .invalid: throw Fault.invalidOpcode
    default: try executeSystem(i)
    }
  }
}
