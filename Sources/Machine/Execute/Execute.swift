// Dispatch from a decoded operation to its family (one file per family in this folder).
//
// Why one case per operation: the hottest forms (register ALU, ALU on memory, MOV, Jcc, PUSH/POP, CALL,
// RET...) are written out in their case, so they cost one indirect jump and no call; the others call
// their family function, which is out of line (see CPU/Step.swift) and switches again.

extension CPU {
  @inline(always)
  func execute(_ e: UnsafeMutablePointer<DecodeCacheEntry>) throws(Fault) {
    // Each case reads the fields it needs from the cache entry: one copy of the whole instruction shared by
    // all cases would cost a 40-byte copy per instruction, and only the cold families need one.
    switch e.pointee.inst.op {
    case .movEG:
      let i = e.pointee.inst
      let size = Int(i.opSize)
      try writeRM(i, size: size, readG(i, size: size))
    case .movGE:
      let i = e.pointee.inst
      let size = Int(i.opSize)
      writeG(i, size: size, try readRM(i, size: size))
    case .movEI:
      let i = e.pointee.inst
      try writeRM(i, size: Int(i.opSize), i.immediate & sizeMask(Int(i.opSize)))
    case .movRI:
      let i = e.pointee.inst
      writeReg(Int(i.reg), size: Int(i.opSize), rex: i.rex, i.immediate)
    case .movAO: try executeDataMove(e.pointee.inst)
    case .movOA: try executeDataMove(e.pointee.inst)
    case .movES: try executeDataMove(e.pointee.inst)
    case .movSE: try executeDataMove(e.pointee.inst)
    case .lea:
      let i = e.pointee.inst
      writeG(i, size: Int(i.opSize), effectiveAddress(i) & sizeMask(Int(i.opSize)))
    case .xchgEG: try executeDataMove(e.pointee.inst)
    case .xchgAR: try executeDataMove(e.pointee.inst)
    case .movzx: try executeDataMove(e.pointee.inst)
    case .movsx: try executeDataMove(e.pointee.inst)
    case .movsxd: try executeDataMove(e.pointee.inst)
    case .cbw: try executeDataMove(e.pointee.inst)
    case .cwd: try executeDataMove(e.pointee.inst)
    case .xlat: try executeDataMove(e.pointee.inst)
    case .lahf: try executeDataMove(e.pointee.inst)
    case .sahf: try executeDataMove(e.pointee.inst)
    case .lfp: try executeDataMove(e.pointee.inst)
    case .pushR:
      let i = e.pointee.inst
      try push(readReg(Int(i.reg), size: Int(i.opSize), rex: false), size: Int(i.opSize))
    case .popR:
      let i = e.pointee.inst
      let v = try pop(size: Int(i.opSize))
      writeReg(Int(i.reg), size: Int(i.opSize), rex: false, v)
    case .pushI: try executeDataMove(e.pointee.inst)
    case .pushE: try executeDataMove(e.pointee.inst)
    case .popE: try executeDataMove(e.pointee.inst)
    case .pushSeg: try executeDataMove(e.pointee.inst)
    case .popSeg: try executeDataMove(e.pointee.inst)
    case .pusha: try executeDataMove(e.pointee.inst)
    case .popa: try executeDataMove(e.pointee.inst)
    case .enter: try executeDataMove(e.pointee.inst)
    case .leave: try executeDataMove(e.pointee.inst)
    case .aluEG:
      let i = e.pointee.inst
      let size = Int(i.opSize)
      if i.hasMemory {
        let ea = effectiveAddress(i)
        let r = alu(i.sub, try read(Int(i.segment), ea, size: size), readG(i, size: size), size: size)
        if i.sub != 7 { try write(Int(i.segment), ea, size: size, r) }
        return
      }
      let r = alu(i.sub, readReg(Int(i.rm), size: size, rex: i.rex), readG(i, size: size), size: size)
      if i.sub != 7 { writeReg(Int(i.rm), size: size, rex: i.rex, r) }
    case .aluGE:
      let i = e.pointee.inst
      let size = Int(i.opSize)
      let r = alu(i.sub, readG(i, size: size), try readRM(i, size: size), size: size)
      if i.sub != 7 { writeG(i, size: size, r) }
    case .aluAI:
      let i = e.pointee.inst
      let size = Int(i.opSize)
      let r = alu(i.sub, readReg(0, size: size, rex: false), i.immediate & sizeMask(size), size: size)
      if i.sub != 7 { writeReg(0, size: size, rex: false, r) }
    case .aluEI:
      let i = e.pointee.inst
      let size = Int(i.opSize)
      if i.hasMemory {
        // Read-modify-write of memory (CMP, sub 7, only reads it).
        let ea = effectiveAddress(i)
        let r = alu(i.sub, try read(Int(i.segment), ea, size: size), i.immediate & sizeMask(size), size: size)
        if i.sub != 7 { try write(Int(i.segment), ea, size: size, r) }
        return
      }
      let r = alu(i.sub, readReg(Int(i.rm), size: size, rex: i.rex), i.immediate & sizeMask(size), size: size)
      if i.sub != 7 { writeReg(Int(i.rm), size: size, rex: i.rex, r) }
    case .testEG:
      let i = e.pointee.inst
      let size = Int(i.opSize)
      setLazy(.logic, size: size, dst: 0, src: 0, result: try readRM(i, size: size) & readG(i, size: size))
    case .testAI:
      let i = e.pointee.inst
      let size = Int(i.opSize)
      setLazy(
        .logic, size: size, dst: 0, src: 0, result: readReg(0, size: size, rex: false) & i.immediate & sizeMask(size))
    case .testEI:
      let i = e.pointee.inst
      let size = Int(i.opSize)
      setLazy(.logic, size: size, dst: 0, src: 0, result: try readRM(i, size: size) & i.immediate & sizeMask(size))
    case .incR: try executeArithmetic(e.pointee.inst)
    case .decR: try executeArithmetic(e.pointee.inst)
    case .incE:
      if e.pointee.inst.hasMemory { return try executeArithmetic(e.pointee.inst) }
      let i = e.pointee.inst
      let size = Int(i.opSize)
      writeReg(
        Int(i.rm), size: size, rex: i.rex, incDec(readReg(Int(i.rm), size: size, rex: i.rex), up: true, size: size))
    case .decE:
      if e.pointee.inst.hasMemory { return try executeArithmetic(e.pointee.inst) }
      let i = e.pointee.inst
      let size = Int(i.opSize)
      writeReg(
        Int(i.rm), size: size, rex: i.rex, incDec(readReg(Int(i.rm), size: size, rex: i.rex), up: false, size: size))
    case .notE: try executeArithmetic(e.pointee.inst)
    case .negE: try executeArithmetic(e.pointee.inst)
    case .xadd: try executeArithmetic(e.pointee.inst)
    case .cmpxchg: try executeArithmetic(e.pointee.inst)
    case .cmpxchgWide: try executeArithmetic(e.pointee.inst)
    case .jcc:
      let i = e.pointee.inst
      // The hottest operations are written out here so they cost no call.
      if condition(i.sub) { nextRIP = branchTarget(nextRIP &+ i.immediate, size: i.opSize) }
    case .jmpRel:
      let i = e.pointee.inst
      nextRIP = branchTarget(nextRIP &+ i.immediate, size: i.opSize)
    case .callRel:
      let i = e.pointee.inst
      try push(nextRIP, size: Int(i.opSize))
      nextRIP = branchTarget(nextRIP &+ i.immediate, size: i.opSize)
    case .jmpE: try executeControlFlow(e.pointee.inst)
    case .callE: try executeControlFlow(e.pointee.inst)
    case .ret:
      let i = e.pointee.inst
      nextRIP = branchTarget(try pop(size: Int(i.opSize)), size: i.opSize)
    case .retImm: try executeControlFlow(e.pointee.inst)
    case .jmpFarPtr: try executeControlFlow(e.pointee.inst)
    case .callFarPtr: try executeControlFlow(e.pointee.inst)
    case .jmpFarM: try executeControlFlow(e.pointee.inst)
    case .callFarM: try executeControlFlow(e.pointee.inst)
    case .retf: try executeControlFlow(e.pointee.inst)
    case .retfImm: try executeControlFlow(e.pointee.inst)
    case .loop: try executeControlFlow(e.pointee.inst)
    case .jcxz: try executeControlFlow(e.pointee.inst)
    case .int3: try executeControlFlow(e.pointee.inst)
    case .intN: try executeControlFlow(e.pointee.inst)
    case .into: try executeControlFlow(e.pointee.inst)
    case .int1: try executeControlFlow(e.pointee.inst)
    case .iret: try executeControlFlow(e.pointee.inst)
    case .shiftImm:
      let i = e.pointee.inst
      let size = Int(i.opSize)
      let count = i.immediate & (size == 8 ? 0x3F : 0x1F)
      if i.hasMemory || count == 0 { return try executeShift(e.pointee.inst) }
      writeReg(
        Int(i.rm), size: size, rex: i.rex,
        shift(i.sub, readReg(Int(i.rm), size: size, rex: i.rex), count: count, size: size))
    case .shift1: try executeShift(e.pointee.inst)
    case .shiftCL: try executeShift(e.pointee.inst)
    case .shldImm: try executeDoubleShift(e.pointee.inst)
    case .shldCL: try executeDoubleShift(e.pointee.inst)
    case .shrdImm: try executeDoubleShift(e.pointee.inst)
    case .shrdCL: try executeDoubleShift(e.pointee.inst)
    case .mul: try executeMulDiv(e.pointee.inst)
    case .imul1: try executeMulDiv(e.pointee.inst)
    case .imul2: try executeMulDiv(e.pointee.inst)
    case .imul3: try executeMulDiv(e.pointee.inst)
    case .div: try executeMulDiv(e.pointee.inst)
    case .idiv: try executeMulDiv(e.pointee.inst)
    case .btReg: try executeBitOps(e.pointee.inst)
    case .btImm: try executeBitOps(e.pointee.inst)
    case .bsf: try executeBitOps(e.pointee.inst)
    case .bsr: try executeBitOps(e.pointee.inst)
    case .bswap: try executeBitOps(e.pointee.inst)
    case .setcc: try executeBitOps(e.pointee.inst)
    case .cmov: try executeBitOps(e.pointee.inst)
    case .movs: try executeString(e.pointee.inst)
    case .cmps: try executeString(e.pointee.inst)
    case .stos: try executeString(e.pointee.inst)
    case .lods: try executeString(e.pointee.inst)
    case .scas: try executeString(e.pointee.inst)
    case .ins: try executeString(e.pointee.inst)
    case .outs: try executeString(e.pointee.inst)
    case .invalid: throw Fault.invalidOpcode
    default: try executeSystem(e.pointee.inst)
    }
  }
}
