// The handler of a decoded instruction, chosen once at decode time (SDM-level semantics stay in the
// family files of this folder; a handler is a form of one of them with its operand size, register or
// memory operand and operation fixed, as Bochs' ADD_GdEdR / ADD_GdEdM or Blink's kAlu[op][size]).
//
// Why an enum and one dense switch (Dispatch.swift) rather than function pointers: a block of
// decoded instructions runs through the switch in a tight loop, and each case is the specialized
// code inlined, with no call. Measured on the 2-core development machine, a dense switch ran
// pre-specialized register operations at about 500 M/s against 320 M/s through a table of
// @convention(c) functions.
//
// Forms without a handler of their own (16-bit operands, AH..BH byte registers, cold instructions)
// use `generic`, which runs the family function for the operation.
//
// Adding a handler: a case here, its choice in `select`, its line in Dispatch.swift.

enum Handler: UInt8, Comparable {
  /// Runs the family function for `op` (Execute.swift); it sets RIP itself.
  case generic

  // Straight-line handlers: they neither read nor set RIP (the block loop sets it after the last).
  // MOV and friends; the number is the operand size in bytes.
  case movRR8, movRR4, movLoad8, movLoad4, movLoad1, movStore8, movStore4, movStore1
  case movRI8, movRI4, movMI8, movMI4, movMI1
  /// MOVZX into a 32- or 64-bit register (both zero the whole register) from a byte or word.
  case movzxLoad1, movzxLoad2, movzxReg1, movzxReg2
  case movsxdLoad, movsxdReg
  case lea8, lea4
  case push8, pop8, pushI8
  // ALU: operation x form (RR reg op= reg, RM reg op= mem, MR mem op= reg, RI reg op= imm,
  // MI mem op= imm) x size; the raw values follow that order (select computes them).
  case addRR8, addRR4, addRR1
  case addRM8, addRM4, addRM1
  case addMR8, addMR4, addMR1
  case addRI8, addRI4, addRI1
  case addMI8, addMI4, addMI1
  case orRR8, orRR4, orRR1
  case orRM8, orRM4, orRM1
  case orMR8, orMR4, orMR1
  case orRI8, orRI4, orRI1
  case orMI8, orMI4, orMI1
  case andRR8, andRR4, andRR1
  case andRM8, andRM4, andRM1
  case andMR8, andMR4, andMR1
  case andRI8, andRI4, andRI1
  case andMI8, andMI4, andMI1
  case subRR8, subRR4, subRR1
  case subRM8, subRM4, subRM1
  case subMR8, subMR4, subMR1
  case subRI8, subRI4, subRI1
  case subMI8, subMI4, subMI1
  case xorRR8, xorRR4, xorRR1
  case xorRM8, xorRM4, xorRM1
  case xorMR8, xorMR4, xorMR1
  case xorRI8, xorRI4, xorRI1
  case xorMI8, xorMI4, xorMI1
  case cmpRR8, cmpRR4, cmpRR1
  case cmpRM8, cmpRM4, cmpRM1
  case cmpMR8, cmpMR4, cmpMR1
  case cmpRI8, cmpRI4, cmpRI1
  case cmpMI8, cmpMI4, cmpMI1
  case testRR8, testRR4, testRR1, testMR8, testMR4, testMR1
  case testRI8, testRI4, testRI1, testMI8, testMI4, testMI1
  case incR8, incR4, decR8, decR4
  /// Shifts and rotates of a register by a non-zero immediate count (D1 /n is count 1).
  case shlRI8, shlRI4, shrRI8, shrRI4, sarRI8, sarRI4, rolRI8, rolRI4, rorRI8, rorRI4
  case imulRR8, imulRR4, imulRM8, imulRM4, imulRRI8, imulRRI4, imulRMI8, imulRMI4
  case setccR, cmovRR8, cmovRR4, cmovRM8, cmovRM4
  case nop

  // Control transfers: they set RIP. Jcc by condition (the low nibble of the opcode, SDM Vol. 1
  // appendix B), so that each case computes only the flags its condition reads; a taken Jcc leaves
  // its block, a Jcc not taken goes on within it.
  case jo, jno, jb, jae, je, jne, jbe, ja, js, jns, jp, jnp, jl, jge, jle, jg
  case jmp, call8, ret8, jmpR8, jmpM8, callR8, callM8

  /// The near indirect branches and returns (their targets are checked for canonical form).
  var isIndirectBranch: Bool { self == .ret8 || self == .jmpR8 || self == .jmpM8 || self == .callR8 || self == .callM8 }

  /// A Jcc with its own handler leaves its block only when taken (`leaveBlock()`).
  var continuesBlock: Bool { self >= .jo && self <= .jg }

  /// True for handlers that leave RIP to the block loop.
  var isStraightLine: Bool { self != .generic && rawValue < Handler.jo.rawValue }

  static func < (a: Handler, b: Handler) -> Bool { a.rawValue < b.rawValue }

  private static let aluKinds: [UInt8: UInt8] = [0: 0, 1: 1, 4: 2, 5: 3, 6: 4, 7: 5]

  /// The size index of the specialized forms: 8, 4 and 1 bytes.
  private static func sizeIndex(_ size: UInt8) -> UInt8? {
    switch size {
    case 8: return 0
    case 4: return 1
    case 1: return 2
    default: return nil
    }
  }

  /// One of the ALU handlers: `kind` is the group-1 operation (ModRM.reg numbering), `form` 0-4 as above.
  private static func alu(_ kind: UInt8, form: UInt8, size: UInt8) -> Handler {
    guard let k = aluKinds[kind], let s = sizeIndex(size) else { return .generic }
    return Handler(rawValue: Handler.addRR8.rawValue + k * 15 + form * 3 + s)!
  }

  /// Picks `i`'s handler, normalizing its fields for it (the register a handler writes is `rm`, the
  /// one it reads is `reg`; a shift-by-one's count is its immediate).
  static func select(_ i: inout Instruction) {
    i.handler = choose(&i)
    i.straightLine = i.handler.isStraightLine
  }

  private static func choose(_ i: inout Instruction) -> Handler {
    let size = i.opSize
    let mem = i.hasMemory
    // Byte registers 4-7 without REX are AH..BH: only the generic path knows them. `reg` names a
    // register only in the two-operand forms; in group forms it selects the operation.
    let highByte = size == 1 && !i.rex
    let regIsHigh = highByte && (i.reg & 0xC) == 4
    let rmIsHigh = highByte && !mem && (i.rm & 0xC) == 4
    if rmIsHigh { return .generic }
    switch i.op {
    case .movEG, .movGE, .aluEG, .aluGE, .testEG: if regIsHigh { return .generic }
    default: break
    }
    let wide = size == 8 || size == 4
    func sized(_ h8: Handler, _ h4: Handler) -> Handler { size == 8 ? h8 : (size == 4 ? h4 : .generic) }
    func sized(_ h8: Handler, _ h4: Handler, _ h1: Handler) -> Handler {
      size == 8 ? h8 : (size == 4 ? h4 : (size == 1 ? h1 : .generic))
    }
    func swapRegisters() { (i.reg, i.rm) = (i.rm, i.reg) }

    switch i.op {
    case .movEG:
      return mem ? sized(.movStore8, .movStore4, .movStore1) : sized(.movRR8, .movRR4)
    case .movGE:
      if mem { return sized(.movLoad8, .movLoad4, .movLoad1) }
      guard wide else { return .generic }
      swapRegisters()
      return sized(.movRR8, .movRR4)
    case .movRI:
      guard wide else { return .generic }
      i.rm = i.reg
      return sized(.movRI8, .movRI4)
    case .movEI:
      if mem { return sized(.movMI8, .movMI4, .movMI1) }
      guard wide else { return .generic }
      return sized(.movRI8, .movRI4)
    case .movzx where wide:
      if mem { return i.sub == 1 ? .movzxLoad1 : .movzxLoad2 }
      if i.sub == 1 && !i.rex && (i.rm & 0xC) == 4 { return .generic }
      return i.sub == 1 ? .movzxReg1 : .movzxReg2
    case .movsxd where size == 8:
      return mem ? .movsxdLoad : .movsxdReg
    case .lea where mem:
      return sized(.lea8, .lea4)
    case .pushR where size == 8:
      return .push8
    case .popR where size == 8:
      return .pop8
    case .pushI where size == 8:
      return .pushI8
    case .aluEG:
      return alu(i.sub, form: mem ? 2 : 0, size: size)
    case .aluGE:
      if mem { return alu(i.sub, form: 1, size: size) }
      let h = alu(i.sub, form: 0, size: size)
      if h != .generic { swapRegisters() }
      return h
    case .aluAI:
      let h = alu(i.sub, form: 3, size: size)
      if h != .generic { i.rm = 0 }
      return h
    case .aluEI:
      return alu(i.sub, form: mem ? 4 : 3, size: size)
    case .testEG:
      return mem ? sized(.testMR8, .testMR4, .testMR1) : sized(.testRR8, .testRR4, .testRR1)
    case .testAI:
      i.rm = 0
      return sized(.testRI8, .testRI4, .testRI1)
    case .testEI:
      return mem ? sized(.testMI8, .testMI4, .testMI1) : sized(.testRI8, .testRI4, .testRI1)
    case .incE where !mem, .decE where !mem:
      return i.op == .incE ? sized(.incR8, .incR4) : sized(.decR8, .decR4)
    case .incR, .decR:
      guard wide else { return .generic }
      i.rm = i.reg
      return i.op == .incR ? sized(.incR8, .incR4) : sized(.decR8, .decR4)
    case .shiftImm where !mem && wide, .shift1 where !mem && wide:
      // A masked count of 0 changes nothing (not even flags): the generic path handles it.
      let count = (i.op == .shift1 ? 1 : i.immediate) & (size == 8 ? 0x3F : 0x1F)
      if count == 0 { return .generic }
      i.immediate = count
      switch i.sub {
      case 0: return sized(.rolRI8, .rolRI4)
      case 1: return sized(.rorRI8, .rorRI4)
      case 4, 6: return sized(.shlRI8, .shlRI4)
      case 5: return sized(.shrRI8, .shrRI4)
      case 7: return sized(.sarRI8, .sarRI4)
      default: return .generic
      }
    case .imul2:
      return mem ? sized(.imulRM8, .imulRM4) : sized(.imulRR8, .imulRR4)
    case .imul3:
      return mem ? sized(.imulRMI8, .imulRMI4) : sized(.imulRRI8, .imulRRI4)
    case .setcc where !mem:
      return .setccR
    case .cmov:
      return mem ? sized(.cmovRM8, .cmovRM4) : sized(.cmovRR8, .cmovRR4)
    case .nop where i.rep == 0:
      return .nop
    case .jcc:
      return Handler(rawValue: Handler.jo.rawValue + i.sub)!
    case .jmpRel:
      return .jmp
    case .callRel where size == 8:
      return .call8
    case .ret where size == 8:
      return .ret8
    case .jmpE where size == 8:
      return mem ? .jmpM8 : .jmpR8
    case .callE where size == 8:
      return mem ? .callM8 : .callR8
    default:
      return .generic
    }
  }
}
