// Operand access shared by all families: effective addresses (SDM Vol. 1 3.7.5), ModRM register or
// memory operands, and the stack (SDM Vol. 1 6.2).

extension CPU {
  /// The effective address (segment offset) of a memory operand, wrapped to the address size. A missing
  /// base or index is the zero register, so there is no branch (Instruction.noRegister).
  @inline(always)
  func effectiveAddress(_ i: Instruction) -> UInt64 {
    (i.displacement &+ regs[Int(i.base)] &+ (regs[Int(i.index)] &<< UInt64(i.scale))) & i.addressMask
  }

  /// The same, read in place from a decoded block (no copy of the instruction).
  @inline(always)
  func effectiveAddress(_ e: UnsafeMutablePointer<Instruction>) -> UInt64 {
    (e.pointee.displacement &+ regs[Int(e.pointee.base)] &+ (regs[Int(e.pointee.index)] &<< UInt64(e.pointee.scale)))
      & e.pointee.addressMask
  }

  /// Translates the pages a `length`-byte access at `offset` reaches, before any of it is done: a
  /// store wider than the 8-byte accesses it is made of, or a state image, writes nothing when its
  /// second page faults (SDM Vol. 3A 6.6). That fault reports the second page's first byte in CR2,
  /// as `writeLinearCrossing` does.
  func checkOperandPages(_ i: Instruction, offset: UInt64, length: UInt64, access: Access) throws(Fault) {
    let seg = Int(i.segment)
    let start = linear(seg, offset)
    let secondPage = 0x1000 - (start & 0xFFF)
    do throws(Fault) {
      _ = try translate(start, access, user: cpl == 3)
      if length > secondPage {
        _ = try translate(linear(seg, (offset &+ secondPage) & i.addressMask), access, user: cpl == 3)
      }
    } catch {
      throw segmentFault(error, seg)
    }
  }

  @inline(always)
  func readRM(_ i: Instruction, size: Int) throws(Fault) -> UInt64 {
    if !i.hasMemory { return readReg(Int(i.rm), size: size, rex: i.rex) }
    return try read(Int(i.segment), effectiveAddress(i), size: size)
  }

  @inline(always)
  func writeRM(_ i: Instruction, size: Int, _ v: UInt64) throws(Fault) {
    if !i.hasMemory {
      writeReg(Int(i.rm), size: size, rex: i.rex, v)
      return
    }
    try write(Int(i.segment), effectiveAddress(i), size: size, v)
  }

  @inline(always)
  func readG(_ i: Instruction, size: Int) -> UInt64 { readReg(Int(i.reg), size: size, rex: i.rex) }

  @inline(always)
  func writeG(_ i: Instruction, size: Int, _ v: UInt64) { writeReg(Int(i.reg), size: size, rex: i.rex, v) }

  // MARK: Stack

  /// The stack pointer width: 64 in 64-bit mode, else SS.B selects ESP or SP (SDM Vol. 3A 3.4.5).
  @inline(always)
  var stackMask: UInt64 {
    if mode == .long64 { return ~0 }
    return segments[Seg.ss].isDefault32 ? 0xFFFF_FFFF : 0xFFFF
  }

  @inline(always)
  func push(_ v: UInt64, size: Int) throws(Fault) {
    let mask = stackMask
    let sp = (regs[Reg.rsp] &- UInt64(size)) & mask
    try write(Seg.ss.rawValue, sp, size: size, v)
    regs[Reg.rsp] = (regs[Reg.rsp] & ~mask) | sp
  }

  @inline(always)
  func pop(size: Int) throws(Fault) -> UInt64 {
    let mask = stackMask
    let sp = regs[Reg.rsp] & mask
    let v = try read(Seg.ss.rawValue, sp, size: size)
    regs[Reg.rsp] = (regs[Reg.rsp] & ~mask) | ((sp &+ UInt64(size)) & mask)
    return v
  }

  /// Reads the stack `offset` bytes above the stack pointer without popping.
  func peekStack(_ offset: UInt64, size: Int) throws(Fault) -> UInt64 {
    let mask = stackMask
    return try read(Seg.ss.rawValue, (regs[Reg.rsp] &+ offset) & mask, size: size)
  }

  /// Bits 63 to `bits` - 1 all equal (SDM Vol. 3A 3.3.7.1). The canonical tests below are the only
  /// callers.
  @inline(always)
  func isCanonical(_ a: UInt64, bits: UInt64) -> Bool {
    let top = Int64(bitPattern: a) >> (bits - 1)
    return top == 0 || top == -1
  }

  /// Canonical for 4-level paging (48 bits): canonical for every paging mode, the fast first test.
  @inline(always)
  func isCanonical(_ a: UInt64) -> Bool { isCanonical(a, bits: 48) }

  /// The width of linear addresses now: 57 bits with 5-level paging (CR4.LA57, which can change
  /// only outside IA-32e mode), 48 otherwise.
  var linearAddressBits: UInt64 { cr4 & ControlBit.la57 != 0 ? 57 : 48 }

  /// Canonical for the current paging mode: memory accesses, branch targets, SYSRET's and
  /// SYSEXIT's return addresses.
  func isCanonicalLinear(_ a: UInt64) -> Bool { isCanonical(a, bits: linearAddressBits) }

  /// Canonical for the widest linear address this processor supports (57 bits): what an address
  /// loaded into a register is checked against whatever the paging mode (MSRs, descriptor-table and
  /// segment bases, INVPCID's address; Intel's 5-level paging white paper, 2.5), so that software
  /// can set them up before it turns 5-level paging on.
  func isCanonicalAddressRegister(_ a: UInt64) -> Bool { isCanonical(a, bits: 57) }

  /// A near indirect branch or return to a non-canonical address is #GP(0) at the branch, before the
  /// stack changes (SDM Vol. 2A JMP, CALL, RET: 64-bit mode exceptions). Only 64-bit operands can be
  /// non-canonical. This is the specialized handlers' check, for 48 bits only: under 5-level paging
  /// their instructions take the generic path (`CPU.decode`), which checks the current width.
  @inline(always)
  func requireCanonicalTarget(_ t: UInt64) throws(Fault) {
    if _slowPath(!isCanonical(t)) { try noncanonicalTarget() }
  }

  /// Out of line and marked unlikely: the dispatch switch that inlines the check above keeps its
  /// code for the common case (measured: the register-loop benchmark lost a third of its speed with
  /// the fault built inline, and 4-10% when this call took the target as an argument).
  @inline(never)
  func noncanonicalTarget() throws(Fault) { throw Fault.gp(0) }

  /// The generic path's check of a near branch target, for the current linear-address width.
  func requireCanonicalLinearTarget(_ t: UInt64) throws(Fault) {
    if !isCanonicalLinear(t) { throw Fault.gp(0) }
  }

  /// Masks a branch target to the operand size (SDM Vol. 2A JMP: EIP/IP truncation).
  @inline(always)
  func branchTarget(_ t: UInt64, size: UInt8) -> UInt64 {
    switch size {
    case 2: return t & 0xFFFF
    case 4: return t & 0xFFFF_FFFF
    default: return t
    }
  }
}
