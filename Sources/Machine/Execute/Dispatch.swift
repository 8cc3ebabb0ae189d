// The block loop's dispatch: one dense switch over `Handler`, each case a specialized form inlined.
// The helpers below are generic over the operand width and take the ALU operation or condition as a
// constant, so each case compiles to straight-line code with no run-time switch on size or operation.
//
// Why @inline(always) (guaranteed inlining) rather than @inline(__always): the dispatch function is
// larger than the optimizer's caller-size limit, past which @inline(__always) is only a hint.

/// An unsigned integer type that is an operand width: UInt8, UInt16, UInt32 or UInt64.
typealias Width = FixedWidthInteger & UnsignedInteger

extension CPU {
  /// Executes the instruction at `e`. Straight-line handlers leave RIP alone; control transfers and
  /// `generic` set it.
  @inline(always)
  func execute(_ e: UnsafeMutablePointer<Instruction>) throws(Fault) {
    switch e.pointee.handler {
    case .generic:
      rip = e.pointee.rip
      nextRIP = e.pointee.nextRIP
      try executeGeneric(e.pointee)
      rip = mode == .long64 ? nextRIP : nextRIP & 0xFFFF_FFFF

    case .movRR8: regs[Int(e.pointee.rm)] = regs[Int(e.pointee.reg)]
    case .movRR4: regs[Int(e.pointee.rm)] = regs[Int(e.pointee.reg)] & 0xFFFF_FFFF
    case .movLoad8: set(e.pointee.reg, try load(e, UInt64.self))
    case .movLoad4: set(e.pointee.reg, try load(e, UInt32.self))
    case .movLoad1: set(e.pointee.reg, try load(e, UInt8.self))
    case .movStore8: try store(e, get(e.pointee.reg, UInt64.self))
    case .movStore4: try store(e, get(e.pointee.reg, UInt32.self))
    case .movStore1: try store(e, get(e.pointee.reg, UInt8.self))
    case .movRI8: regs[Int(e.pointee.rm)] = e.pointee.immediate
    case .movRI4: regs[Int(e.pointee.rm)] = e.pointee.immediate & 0xFFFF_FFFF
    case .movMI8: try store(e, e.pointee.immediate)
    case .movMI4: try store(e, UInt32(truncatingIfNeeded: e.pointee.immediate))
    case .movMI1: try store(e, UInt8(truncatingIfNeeded: e.pointee.immediate))
    case .movzxLoad1: regs[Int(e.pointee.reg)] = UInt64(try load(e, UInt8.self))
    case .movzxLoad2: regs[Int(e.pointee.reg)] = UInt64(try load(e, UInt16.self))
    case .movzxReg1: regs[Int(e.pointee.reg)] = regs[Int(e.pointee.rm)] & 0xFF
    case .movzxReg2: regs[Int(e.pointee.reg)] = regs[Int(e.pointee.rm)] & 0xFFFF
    case .movsxdLoad: regs[Int(e.pointee.reg)] = signExtend(UInt64(try load(e, UInt32.self)), from: 4)
    case .movsxdReg: regs[Int(e.pointee.reg)] = signExtend(regs[Int(e.pointee.rm)], from: 4)
    case .lea8: regs[Int(e.pointee.reg)] = effectiveAddress(e)
    case .lea4: regs[Int(e.pointee.reg)] = effectiveAddress(e) & 0xFFFF_FFFF
    case .push8: try push64(regs[Int(e.pointee.reg)])
    case .pop8:
      let v = try stackLoad(regs[Reg.rsp])
      regs[Reg.rsp] &+= 8
      regs[Int(e.pointee.reg)] = v
    case .pushI8: try push64(e.pointee.immediate)

    case .addRR8: aluRR(e, UInt64.self, 0)
    case .addRR4: aluRR(e, UInt32.self, 0)
    case .addRR1: aluRR(e, UInt8.self, 0)
    case .addRM8: try aluRM(e, UInt64.self, 0)
    case .addRM4: try aluRM(e, UInt32.self, 0)
    case .addRM1: try aluRM(e, UInt8.self, 0)
    case .addMR8: try aluMR(e, UInt64.self, 0)
    case .addMR4: try aluMR(e, UInt32.self, 0)
    case .addMR1: try aluMR(e, UInt8.self, 0)
    case .addRI8: aluRI(e, UInt64.self, 0)
    case .addRI4: aluRI(e, UInt32.self, 0)
    case .addRI1: aluRI(e, UInt8.self, 0)
    case .addMI8: try aluMI(e, UInt64.self, 0)
    case .addMI4: try aluMI(e, UInt32.self, 0)
    case .addMI1: try aluMI(e, UInt8.self, 0)
    case .orRR8: aluRR(e, UInt64.self, 1)
    case .orRR4: aluRR(e, UInt32.self, 1)
    case .orRR1: aluRR(e, UInt8.self, 1)
    case .orRM8: try aluRM(e, UInt64.self, 1)
    case .orRM4: try aluRM(e, UInt32.self, 1)
    case .orRM1: try aluRM(e, UInt8.self, 1)
    case .orMR8: try aluMR(e, UInt64.self, 1)
    case .orMR4: try aluMR(e, UInt32.self, 1)
    case .orMR1: try aluMR(e, UInt8.self, 1)
    case .orRI8: aluRI(e, UInt64.self, 1)
    case .orRI4: aluRI(e, UInt32.self, 1)
    case .orRI1: aluRI(e, UInt8.self, 1)
    case .orMI8: try aluMI(e, UInt64.self, 1)
    case .orMI4: try aluMI(e, UInt32.self, 1)
    case .orMI1: try aluMI(e, UInt8.self, 1)
    case .andRR8: aluRR(e, UInt64.self, 4)
    case .andRR4: aluRR(e, UInt32.self, 4)
    case .andRR1: aluRR(e, UInt8.self, 4)
    case .andRM8: try aluRM(e, UInt64.self, 4)
    case .andRM4: try aluRM(e, UInt32.self, 4)
    case .andRM1: try aluRM(e, UInt8.self, 4)
    case .andMR8: try aluMR(e, UInt64.self, 4)
    case .andMR4: try aluMR(e, UInt32.self, 4)
    case .andMR1: try aluMR(e, UInt8.self, 4)
    case .andRI8: aluRI(e, UInt64.self, 4)
    case .andRI4: aluRI(e, UInt32.self, 4)
    case .andRI1: aluRI(e, UInt8.self, 4)
    case .andMI8: try aluMI(e, UInt64.self, 4)
    case .andMI4: try aluMI(e, UInt32.self, 4)
    case .andMI1: try aluMI(e, UInt8.self, 4)
    case .subRR8: aluRR(e, UInt64.self, 5)
    case .subRR4: aluRR(e, UInt32.self, 5)
    case .subRR1: aluRR(e, UInt8.self, 5)
    case .subRM8: try aluRM(e, UInt64.self, 5)
    case .subRM4: try aluRM(e, UInt32.self, 5)
    case .subRM1: try aluRM(e, UInt8.self, 5)
    case .subMR8: try aluMR(e, UInt64.self, 5)
    case .subMR4: try aluMR(e, UInt32.self, 5)
    case .subMR1: try aluMR(e, UInt8.self, 5)
    case .subRI8: aluRI(e, UInt64.self, 5)
    case .subRI4: aluRI(e, UInt32.self, 5)
    case .subRI1: aluRI(e, UInt8.self, 5)
    case .subMI8: try aluMI(e, UInt64.self, 5)
    case .subMI4: try aluMI(e, UInt32.self, 5)
    case .subMI1: try aluMI(e, UInt8.self, 5)
    case .xorRR8: aluRR(e, UInt64.self, 6)
    case .xorRR4: aluRR(e, UInt32.self, 6)
    case .xorRR1: aluRR(e, UInt8.self, 6)
    case .xorRM8: try aluRM(e, UInt64.self, 6)
    case .xorRM4: try aluRM(e, UInt32.self, 6)
    case .xorRM1: try aluRM(e, UInt8.self, 6)
    case .xorMR8: try aluMR(e, UInt64.self, 6)
    case .xorMR4: try aluMR(e, UInt32.self, 6)
    case .xorMR1: try aluMR(e, UInt8.self, 6)
    case .xorRI8: aluRI(e, UInt64.self, 6)
    case .xorRI4: aluRI(e, UInt32.self, 6)
    case .xorRI1: aluRI(e, UInt8.self, 6)
    case .xorMI8: try aluMI(e, UInt64.self, 6)
    case .xorMI4: try aluMI(e, UInt32.self, 6)
    case .xorMI1: try aluMI(e, UInt8.self, 6)
    case .cmpRR8: aluRR(e, UInt64.self, 7)
    case .cmpRR4: aluRR(e, UInt32.self, 7)
    case .cmpRR1: aluRR(e, UInt8.self, 7)
    case .cmpRM8: try aluRM(e, UInt64.self, 7)
    case .cmpRM4: try aluRM(e, UInt32.self, 7)
    case .cmpRM1: try aluRM(e, UInt8.self, 7)
    case .cmpMR8: try aluMR(e, UInt64.self, 7)
    case .cmpMR4: try aluMR(e, UInt32.self, 7)
    case .cmpMR1: try aluMR(e, UInt8.self, 7)
    case .cmpRI8: aluRI(e, UInt64.self, 7)
    case .cmpRI4: aluRI(e, UInt32.self, 7)
    case .cmpRI1: aluRI(e, UInt8.self, 7)
    case .cmpMI8: try aluMI(e, UInt64.self, 7)
    case .cmpMI4: try aluMI(e, UInt32.self, 7)
    case .cmpMI1: try aluMI(e, UInt8.self, 7)
    case .testRR8: test(UInt64(get(e.pointee.rm, UInt64.self)), UInt64(get(e.pointee.reg, UInt64.self)), size: 8)
    case .testRR4: test(UInt64(get(e.pointee.rm, UInt32.self)), UInt64(get(e.pointee.reg, UInt32.self)), size: 4)
    case .testRR1: test(UInt64(get(e.pointee.rm, UInt8.self)), UInt64(get(e.pointee.reg, UInt8.self)), size: 1)
    case .testMR8: test(UInt64(try load(e, UInt64.self)), UInt64(get(e.pointee.reg, UInt64.self)), size: 8)
    case .testMR4: test(UInt64(try load(e, UInt32.self)), UInt64(get(e.pointee.reg, UInt32.self)), size: 4)
    case .testMR1: test(UInt64(try load(e, UInt8.self)), UInt64(get(e.pointee.reg, UInt8.self)), size: 1)
    case .testRI8: test(UInt64(get(e.pointee.rm, UInt64.self)), e.pointee.immediate, size: 8)
    case .testRI4: test(UInt64(get(e.pointee.rm, UInt32.self)), e.pointee.immediate & 0xFFFF_FFFF, size: 4)
    case .testRI1: test(UInt64(get(e.pointee.rm, UInt8.self)), e.pointee.immediate & 0xFF, size: 1)
    case .testMI8: test(UInt64(try load(e, UInt64.self)), e.pointee.immediate, size: 8)
    case .testMI4: test(UInt64(try load(e, UInt32.self)), e.pointee.immediate & 0xFFFF_FFFF, size: 4)
    case .testMI1: test(UInt64(try load(e, UInt8.self)), e.pointee.immediate & 0xFF, size: 1)
    case .incR8: regs[Int(e.pointee.rm)] = incDec(regs[Int(e.pointee.rm)], up: true, size: 8)
    case .incR4: regs[Int(e.pointee.rm)] = incDec(regs[Int(e.pointee.rm)] & 0xFFFF_FFFF, up: true, size: 4)
    case .decR8: regs[Int(e.pointee.rm)] = incDec(regs[Int(e.pointee.rm)], up: false, size: 8)
    case .decR4: regs[Int(e.pointee.rm)] = incDec(regs[Int(e.pointee.rm)] & 0xFFFF_FFFF, up: false, size: 4)
    case .shlRI8: shiftRegister(e, UInt64.self, 4)
    case .shlRI4: shiftRegister(e, UInt32.self, 4)
    case .shrRI8: shiftRegister(e, UInt64.self, 5)
    case .shrRI4: shiftRegister(e, UInt32.self, 5)
    case .sarRI8: shiftRegister(e, UInt64.self, 7)
    case .sarRI4: shiftRegister(e, UInt32.self, 7)
    case .rolRI8: shiftRegister(e, UInt64.self, 0)
    case .rolRI4: shiftRegister(e, UInt32.self, 0)
    case .rorRI8: shiftRegister(e, UInt64.self, 1)
    case .rorRI4: shiftRegister(e, UInt32.self, 1)
    case .imulRR8: set(e.pointee.reg, UInt64(imul(regs[Int(e.pointee.rm)], regs[Int(e.pointee.reg)], size: 8)))
    case .imulRR4:
      set(e.pointee.reg, UInt32(truncatingIfNeeded: imul(regs[Int(e.pointee.rm)], regs[Int(e.pointee.reg)], size: 4)))
    case .imulRM8: set(e.pointee.reg, imul(UInt64(try load(e, UInt64.self)), regs[Int(e.pointee.reg)], size: 8))
    case .imulRM4:
      set(
        e.pointee.reg,
        UInt32(truncatingIfNeeded: imul(UInt64(try load(e, UInt32.self)), regs[Int(e.pointee.reg)], size: 4)))
    case .imulRRI8: set(e.pointee.reg, imul(regs[Int(e.pointee.rm)], e.pointee.immediate, size: 8))
    case .imulRRI4:
      set(e.pointee.reg, UInt32(truncatingIfNeeded: imul(regs[Int(e.pointee.rm)], e.pointee.immediate, size: 4)))
    case .imulRMI8: set(e.pointee.reg, imul(try load(e, UInt64.self), e.pointee.immediate, size: 8))
    case .imulRMI4:
      set(
        e.pointee.reg,
        UInt32(truncatingIfNeeded: imul(UInt64(try load(e, UInt32.self)), e.pointee.immediate, size: 4)))
    case .setccR: set(e.pointee.rm, UInt8(condition(e.pointee.sub) ? 1 : 0))
    case .cmovRR8:
      if condition(e.pointee.sub) { regs[Int(e.pointee.reg)] = regs[Int(e.pointee.rm)] }
    case .cmovRR4:
      // A 32-bit CMOV zero-extends its destination whether or not it moves (SDM Vol. 2A CMOVcc).
      let r = Int(e.pointee.reg)
      regs[r] = (condition(e.pointee.sub) ? regs[Int(e.pointee.rm)] : regs[r]) & 0xFFFF_FFFF
    case .cmovRM8:
      // The source is read, and may fault, even when the condition is false.
      let v = try load(e, UInt64.self)
      if condition(e.pointee.sub) { regs[Int(e.pointee.reg)] = v }
    case .cmovRM4:
      let v = UInt64(try load(e, UInt32.self))
      let r = Int(e.pointee.reg)
      regs[r] = condition(e.pointee.sub) ? v : regs[r] & 0xFFFF_FFFF
    case .nop: break

    case .jo: branch(e, 0)
    case .jno: branch(e, 1)
    case .jb: branch(e, 2)
    case .jae: branch(e, 3)
    case .je: branch(e, 4)
    case .jne: branch(e, 5)
    case .jbe: branch(e, 6)
    case .ja: branch(e, 7)
    case .js: branch(e, 8)
    case .jns: branch(e, 9)
    case .jp: branch(e, 10)
    case .jnp: branch(e, 11)
    case .jl: branch(e, 12)
    case .jge: branch(e, 13)
    case .jle: branch(e, 14)
    case .jg: branch(e, 15)
    case .jmp: rip = e.pointee.immediate
    case .call8:
      try push64(e.pointee.nextRIP)
      rip = e.pointee.immediate
    case .ret8:
      // A fault leaves RIP on the faulting instruction (CPU/Run.swift), so RIP may be set first.
      rip = try stackLoad(regs[Reg.rsp])
      try requireCanonicalTarget(rip)
      regs[Reg.rsp] &+= 8
    case .jmpR8:
      rip = regs[Int(e.pointee.rm)]
      try requireCanonicalTarget(rip)
    case .jmpM8:
      rip = try load(e, UInt64.self)
      try requireCanonicalTarget(rip)
    case .callR8:
      let target = regs[Int(e.pointee.rm)]
      try requireCanonicalTarget(target)
      try push64(e.pointee.nextRIP)
      rip = target
    case .callM8:
      let target = try load(e, UInt64.self)
      try requireCanonicalTarget(target)
      try push64(e.pointee.nextRIP)
      rip = target
    }
  }

  /// Jcc with a constant condition: taken, it sets RIP and leaves the block; not taken, the block goes
  /// on (RIP is set anyway, for a Jcc that ends its block).
  @inline(always)
  func branch(_ e: UnsafeMutablePointer<Instruction>, _ cc: UInt8) {
    if condition(cc) {
      rip = e.pointee.immediate
      leaveBlock()
    } else {
      rip = e.pointee.nextRIP
    }
  }

  // MARK: Registers by width

  @inline(always)
  func get<T: Width>(_ r: UInt8, _: T.Type) -> T { T(truncatingIfNeeded: regs[Int(r)]) }

  /// Writes a register at width T: 32-bit writes zero the upper half (SDM Vol. 1 3.4.1.1), 8- and
  /// 16-bit writes keep the rest.
  @inline(always)
  func set<T: Width>(_ r: UInt8, _ v: T) {
    if T.bitWidth >= 32 {
      regs[Int(r)] = UInt64(v)
    } else {
      let keep = ~UInt64(T.max)
      regs[Int(r)] = (regs[Int(r)] & keep) | UInt64(v)
    }
  }

  // MARK: Memory operands

  /// The linear address of `e`'s memory operand.
  @inline(always)
  func operandAddress(_ e: UnsafeMutablePointer<Instruction>) -> UInt64 {
    (segments[Int(e.pointee.baseSegment)].base &+ effectiveAddress(e)) & linearMask
  }

  @inline(always)
  func load<T: Width>(_ e: UnsafeMutablePointer<Instruction>, _: T.Type) throws(Fault) -> T {
    try loadLinear(operandAddress(e), segment: e.pointee.segment, T.self)
  }

  @inline(always)
  func store<T: Width>(_ e: UnsafeMutablePointer<Instruction>, _ v: T) throws(Fault) {
    try storeLinear(operandAddress(e), segment: e.pointee.segment, v)
  }

  // MARK: 64-bit stack (64-bit mode: no SS base, RSP as a whole)

  @inline(always)
  func push64(_ v: UInt64) throws(Fault) {
    let sp = regs[Reg.rsp] &- 8
    try storeLinear(sp, segment: UInt8(Seg.ss.rawValue), v)
    regs[Reg.rsp] = sp
  }

  @inline(always)
  func stackLoad(_ sp: UInt64) throws(Fault) -> UInt64 {
    try loadLinear(sp, segment: UInt8(Seg.ss.rawValue), UInt64.self)
  }

  // MARK: ALU forms (`kind` is the group-1 operation: 0 ADD, 1 OR, 4 AND, 5 SUB, 6 XOR, 7 CMP)

  @inline(always)
  func aluRR<T: Width>(_ e: UnsafeMutablePointer<Instruction>, _: T.Type, _ kind: UInt8) {
    let r = alu(kind, UInt64(get(e.pointee.rm, T.self)), UInt64(get(e.pointee.reg, T.self)), size: T.bitWidth / 8)
    if kind != 7 { set(e.pointee.rm, T(truncatingIfNeeded: r)) }
  }

  @inline(always)
  func aluRM<T: Width>(_ e: UnsafeMutablePointer<Instruction>, _: T.Type, _ kind: UInt8) throws(Fault) {
    let s = try load(e, T.self)
    let r = alu(kind, UInt64(get(e.pointee.reg, T.self)), UInt64(s), size: T.bitWidth / 8)
    if kind != 7 { set(e.pointee.reg, T(truncatingIfNeeded: r)) }
  }

  @inline(always)
  func aluMR<T: Width>(_ e: UnsafeMutablePointer<Instruction>, _: T.Type, _ kind: UInt8) throws(Fault) {
    let address = operandAddress(e)
    let d = try loadLinear(address, segment: e.pointee.segment, T.self)
    let r = alu(kind, UInt64(d), UInt64(get(e.pointee.reg, T.self)), size: T.bitWidth / 8)
    if kind != 7 { try storeLinear(address, segment: e.pointee.segment, T(truncatingIfNeeded: r)) }
  }

  @inline(always)
  func aluRI<T: Width>(_ e: UnsafeMutablePointer<Instruction>, _: T.Type, _ kind: UInt8) {
    let s = UInt64(T(truncatingIfNeeded: e.pointee.immediate))
    let r = alu(kind, UInt64(get(e.pointee.rm, T.self)), s, size: T.bitWidth / 8)
    if kind != 7 { set(e.pointee.rm, T(truncatingIfNeeded: r)) }
  }

  @inline(always)
  func aluMI<T: Width>(_ e: UnsafeMutablePointer<Instruction>, _: T.Type, _ kind: UInt8) throws(Fault) {
    let address = operandAddress(e)
    let d = try loadLinear(address, segment: e.pointee.segment, T.self)
    let r = alu(kind, UInt64(d), UInt64(T(truncatingIfNeeded: e.pointee.immediate)), size: T.bitWidth / 8)
    if kind != 7 { try storeLinear(address, segment: e.pointee.segment, T(truncatingIfNeeded: r)) }
  }

  /// TEST: AND for the flags only.
  @inline(always)
  func test(_ d: UInt64, _ s: UInt64, size: Int) {
    setLazy(.logic, size: size, dst: 0, src: 0, result: d & s)
  }

  @inline(always)
  func shiftRegister<T: Width>(_ e: UnsafeMutablePointer<Instruction>, _: T.Type, _ kind: UInt8) {
    let r = shift(kind, UInt64(get(e.pointee.rm, T.self)), count: e.pointee.immediate, size: T.bitWidth / 8)
    set(e.pointee.rm, T(truncatingIfNeeded: r))
  }
}
