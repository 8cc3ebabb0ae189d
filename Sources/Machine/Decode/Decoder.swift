// Instruction decoding: prefixes, REX, opcode, ModRM/SIB, displacement, immediates
// (SDM Vol. 2A chapter 2). The opcode's shape comes from OpcodeTable, including group register forms
// and mandatory prefixes; nothing here is opcode-specific.

/// Where instruction bytes come from; it raises #PF for the page the instruction actually reaches.
protocol InstructionBytes {
  mutating func next() throws(Fault) -> UInt8
}

enum Decoder {
  /// Decodes one instruction at `rip` for `mode`. Throws #UD for undefined encodings and #GP for >15 bytes.
  static func decode<B: InstructionBytes>(_ bytes: inout B, mode: CPUMode, rip: UInt64 = 0) throws(Fault)
    -> Instruction
  {
    var inst = Instruction()
    let is64 = mode == .long64
    let default32 = mode == .protected32 || mode == .compatibility32 || is64
    var opsizeOverride = false, addrOverride = false
    var rexByte: UInt8 = 0
    var segmentOverride: UInt8 = 0xFF
    var length = 0

    func fetch() throws(Fault) -> UInt8 {
      length += 1
      if length > 15 { throw Fault.gp(0) }
      return try bytes.next()
    }

    var b = try fetch()
    // Legacy prefixes in any order, then at most one REX which must come last: a legacy prefix after a
    // REX makes the REX ignored (SDM Vol. 2A 2.2.1).
    prefixes: while true {
      switch b {
      case 0x66: opsizeOverride = true
      case 0x67: addrOverride = true
      case 0xF0: inst.lock = true
      case 0xF2: inst.rep = 2
      case 0xF3: inst.rep = 1
      case 0x26: segmentOverride = UInt8(Seg.es.rawValue)
      case 0x2E: segmentOverride = UInt8(Seg.cs.rawValue)
      case 0x36: segmentOverride = UInt8(Seg.ss.rawValue)
      case 0x3E: segmentOverride = UInt8(Seg.ds.rawValue)
      case 0x64: segmentOverride = UInt8(Seg.fs.rawValue)
      case 0x65: segmentOverride = UInt8(Seg.gs.rawValue)
      default:
        if is64 && b & 0xF0 == 0x40 {
          rexByte = b
          b = try fetch()
          continue prefixes
        }
        break prefixes
      }
      rexByte = 0
      b = try fetch()
    }
    let rexW = rexByte & 8 != 0, rexR = rexByte & 4 != 0, rexX = rexByte & 2 != 0, rexB = rexByte & 1 != 0
    inst.rex = rexByte != 0

    var index = Int(b)
    if b == 0x0F {
      let b2 = try fetch()
      if b2 == 0x3A { throw Fault.invalidOpcode }
      index = b2 == 0x38 ? 0x200 | Int(try fetch()) : 0x100 | Int(b2)
    }
    let form = OpcodeTable.forms[index]
    var shape = form.shape
    inst.op = form.op
    inst.sub = form.sub
    inst.cycles = form.cycles
    if form.op == .invalid && shape.isDisjoint(with: [.prefixed, .group]) { throw Fault.invalidOpcode }
    if is64 && shape.contains(.no64) { throw Fault.invalidOpcode }
    if shape.contains(.condition) { inst.sub = UInt8(index & 0xF) }

    // Address size (SDM Vol. 2A 2.2.1.3 table 2-4 and 3.6).
    if is64 {
      inst.addrSize = addrOverride ? 4 : 8
    } else {
      let a32 = mode == .protected32 || mode == .compatibility32
      inst.addrSize = (a32 != addrOverride) ? 4 : 2
    }
    inst.addressMask = sizeMask(Int(inst.addrSize))

    // ModRM first, since groups decide the final operation and may add an immediate.
    var mod: UInt8 = 0, regField: UInt8 = 0, rmField: UInt8 = 0, modrm: UInt8 = 0
    var row = form.row
    if shape.contains(.modrm) {
      modrm = try fetch()
      mod = modrm >> 6
      regField = (modrm >> 3) & 7
      rmField = modrm & 7
      inst.reg = regField | (rexR ? 8 : 0)
      if shape.contains(.group) {
        // A register form of its own (0F 01 F8 SWAPGS, DB E3 FNINIT...) or the ModRM.reg entry.
        var entry = OpcodeTable.groups[Int(form.row)][Int(regField)]
        if mod == 3, let registerRow = OpcodeTable.registerForms[Int(form.row)] {
          entry = registerRow[Int(modrm & 0x3F)]
        }
        if entry.op == .invalid && !entry.shape.contains(.prefixed) { throw Fault.invalidOpcode }
        inst.op = entry.op
        inst.sub = entry.sub
        inst.cycles = entry.cycles
        row = entry.row
        shape.formUnion(entry.shape)
      }
      if shape.contains(.controlSize) {
        // MOV CR/DR always use the register form whatever mod says (SDM Vol. 2B MOV—Move to/from CR).
        mod = 3
      }
      if mod == 3 {
        inst.rm = rmField | (rexB ? 8 : 0)
      } else {
        inst.hasMemory = true
        if inst.addrSize == 2 {
          try decode16(&inst, mod: mod, rm: rmField, fetch: fetch)
        } else {
          try decode32(&inst, mod: mod, rm: rmField, rexB: rexB, rexX: rexX, is64: is64, fetch: fetch)
        }
      }
    } else if shape.contains(.regInOpcode) {
      inst.reg = UInt8(index & 7) | (rexB ? 8 : 0)
    }

    if shape.contains(.prefixed) {
      // The mandatory prefix: F3 or F2 (the last one given) before 66 (SDM Vol. 2A 2.1.2). It selects
      // the operation and no longer acts as a repeat or operand-size prefix.
      let column = inst.rep == 1 ? 2 : (inst.rep == 2 ? 3 : (opsizeOverride ? 1 : 0))
      let entry = OpcodeTable.prefixed[Int(row)][column]
      inst.op = entry.op
      inst.sub = entry.sub
      inst.cycles = entry.cycles
      shape.formUnion(entry.shape)
      inst.rep = 0
      opsizeOverride = false
    }
    if inst.op == .invalid { throw Fault.invalidOpcode }
    if !is64 && shape.contains(.only64) { throw Fault.invalidOpcode }

    // Operand size (SDM Vol. 2A 2.2.1.2 table 2-4; 64-bit defaults in 2.2.1.7).
    if shape.contains(.dwordOrQword) {
      inst.opSize = is64 && rexW ? 8 : 4
    } else if shape.contains(.byteOp) {
      inst.opSize = 1
    } else if shape.contains(.controlSize) {
      inst.opSize = is64 ? 8 : 4
    } else if is64 && rexW {
      inst.opSize = 8
    } else if is64 && shape.contains(.force64) {
      inst.opSize = 8
    } else if is64 && shape.contains(.default64) {
      inst.opSize = opsizeOverride ? 2 : 8
    } else {
      inst.opSize = (default32 != opsizeOverride) ? 4 : 2
    }
    if inst.opSize == 8 && shape.contains(.max32) { inst.opSize = 4 }

    // Immediates.
    if shape.contains(.farPointer) {
      let n = inst.opSize == 2 ? 2 : 4
      inst.immediate = try readImmediate(n, fetch)
      inst.immediate2 = UInt16(try readImmediate(2, fetch))
    } else if shape.contains(.enterImmediates) {
      inst.immediate = try readImmediate(2, fetch)
      inst.immediate2 = UInt16(try readImmediate(1, fetch))
    } else if shape.contains(.imm8) {
      inst.immediate = signExtend(try readImmediate(1, fetch), from: 1)
    } else if shape.contains(.imm16) {
      inst.immediate = try readImmediate(2, fetch)
    } else if shape.contains(.immZ) {
      // Byte forms (TEST r/m8, imm8 of group 3) take an 8-bit immediate.
      let n = inst.opSize == 1 ? 1 : (inst.opSize == 2 ? 2 : 4)
      inst.immediate = signExtend(try readImmediate(n, fetch), from: n)
    } else if shape.contains(.immV) {
      inst.immediate = try readImmediate(Int(inst.opSize), fetch)
    } else if shape.contains(.immAddr) {
      inst.immediate = try readImmediate(Int(inst.addrSize), fetch)
    }
    // Unsigned immediates: port numbers and imm8 shift/bit counts use the low byte only.

    if segmentOverride != 0xFF { inst.segment = segmentOverride }
    inst.baseSegment = is64 && inst.segment < UInt8(Seg.fs.rawValue) ? UInt8(Seg.none) : inst.segment
    if inst.lock && !(inst.hasMemory && shape.contains(.lockable)) { throw Fault.invalidOpcode }
    inst.length = UInt8(length)

    // Everything that depends on the instruction's own address is settled now: EIP wraps at 4 GiB
    // outside 64-bit mode; RIP-relative operands and relative branch targets become absolute.
    inst.nextRIP = is64 ? rip &+ UInt64(length) : (rip &+ UInt64(length)) & 0xFFFF_FFFF
    if inst.base == Instruction.ripBase {
      inst.displacement &+= inst.nextRIP
      inst.base = Instruction.noRegister
    }
    if shape.contains(.relative) {
      let target = inst.nextRIP &+ inst.immediate
      inst.immediate = inst.opSize == 2 ? target & 0xFFFF : (inst.opSize == 4 ? target & 0xFFFF_FFFF : target)
    }
    Handler.select(&inst)
    if shape.contains(.readsTime) || (shape.contains(.string) && inst.rep != 0) {
      inst.role = .alone
    } else if shape.contains(.endsBlock) && !inst.handler.continuesBlock {
      inst.role = .endsBlock
    }
    return inst
  }

  static func readImmediate(_ n: Int, _ fetch: () throws(Fault) -> UInt8) throws(Fault) -> UInt64 {
    var v: UInt64 = 0
    for i in 0..<n { v |= UInt64(try fetch()) << (8 * UInt64(i)) }
    return v
  }

  /// 16-bit addressing forms (SDM Vol. 2A 2.1.5 table 2-1).
  static func decode16(_ inst: inout Instruction, mod: UInt8, rm: UInt8, fetch: () throws(Fault) -> UInt8)
    throws(Fault)
  {
    let none = Instruction.noRegister
    let bases: [(UInt8, UInt8)] = [
      (3, 6), (3, 7), (5, 6), (5, 7), (6, none), (7, none), (5, none), (3, none),
    ]
    var (base, index) = bases[Int(rm)]
    if mod == 0 && rm == 6 {
      base = Instruction.noRegister
      inst.displacement = try readImmediate(2, fetch)
    } else if mod == 1 {
      inst.displacement = signExtend(try readImmediate(1, fetch), from: 1)
    } else if mod == 2 {
      inst.displacement = signExtend(try readImmediate(2, fetch), from: 2)
    }
    inst.base = base
    inst.index = index
    if base == 5 { inst.segment = UInt8(Seg.ss.rawValue) }
  }

  /// 32/64-bit addressing forms with SIB and RIP-relative (SDM Vol. 2A 2.1.5 tables 2-2, 2-3; 2.2.1.6).
  static func decode32(
    _ inst: inout Instruction, mod: UInt8, rm: UInt8, rexB: Bool, rexX: Bool, is64: Bool,
    fetch: () throws(Fault) -> UInt8
  ) throws(Fault) {
    var base = rm | (rexB ? 8 : 0)
    if rm == 4 {
      let sib = try fetch()
      let scale = sib >> 6
      let idx = ((sib >> 3) & 7) | (rexX ? 8 : 0)
      let sibBase = sib & 7
      if idx != 4 {
        inst.index = idx
        inst.scale = scale
      }
      base = sibBase | (rexB ? 8 : 0)
      if sibBase == 5 && mod == 0 {
        base = Instruction.noRegister
        inst.displacement = signExtend(try readImmediate(4, fetch), from: 4)
      }
    } else if rm == 5 && mod == 0 {
      base = is64 ? Instruction.ripBase : Instruction.noRegister
      inst.displacement = signExtend(try readImmediate(4, fetch), from: 4)
    }
    if mod == 1 {
      inst.displacement = signExtend(try readImmediate(1, fetch), from: 1)
    } else if mod == 2 {
      inst.displacement = signExtend(try readImmediate(4, fetch), from: 4)
    }
    inst.base = base
    if base == 4 || base == 5 { inst.segment = UInt8(Seg.ss.rawValue) }
  }
}
