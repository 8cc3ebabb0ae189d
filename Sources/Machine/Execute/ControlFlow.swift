// Jcc JMP CALL RET (near and far), LOOP/JCXZ, INT n/INT3/INTO/INT1, IRET (SDM Vol. 2A/2B; far
// transfers and IRET privilege rules in Vol. 3A 5.8 and 6.14.3).

extension CPU {
  /// Relative targets are absolute in `i.immediate` (the decoder adds and masks them).
  func executeControlFlow(_ i: Instruction) throws(Fault) {
    let size = Int(i.opSize)
    switch i.op {
    case .jcc:
      if condition(i.sub) { nextRIP = i.immediate }
    case .jmpRel:
      nextRIP = i.immediate
    case .callRel:
      try push(nextRIP, size: size)
      nextRIP = i.immediate
    case .jmpE:
      let target = try readRM(i, size: size)
      if size == 8 { try requireCanonicalLinearTarget(target) }
      nextRIP = branchTarget(target, size: i.opSize)
    case .callE:
      let target = try readRM(i, size: size)
      if size == 8 { try requireCanonicalLinearTarget(target) }
      try push(nextRIP, size: size)
      nextRIP = branchTarget(target, size: i.opSize)
    case .ret, .retImm:
      let target = try peekStack(0, size: size)
      if size == 8 { try requireCanonicalLinearTarget(target) }
      nextRIP = branchTarget(target, size: i.opSize)
      let release = UInt64(size) &+ (i.op == .retImm ? i.immediate : 0)
      let mask = stackMask
      regs[Reg.rsp] = (regs[Reg.rsp] & ~mask) | ((regs[Reg.rsp] &+ release) & mask)
    case .loop:
      let mask = sizeMask(Int(i.addrSize))
      let count = (regs[Reg.rcx] &- 1) & mask
      writeReg(Reg.rcx.rawValue, size: Int(i.addrSize), rex: false, count)
      var taken = count != 0
      if i.sub == 0 { taken = taken && !zero }  // LOOPNE
      if i.sub == 1 { taken = taken && zero }  // LOOPE
      if taken { nextRIP = i.immediate }
    case .jcxz:
      if regs[Reg.rcx] & sizeMask(Int(i.addrSize)) == 0 { nextRIP = i.immediate }
    case .jmpFarPtr:
      try farJump(i.immediate2, i.immediate)
    case .callFarPtr:
      try farCall(i.immediate2, i.immediate, size: size)
    case .jmpFarM, .callFarM:
      guard i.hasMemory else { throw Fault.invalidOpcode }
      let ea = effectiveAddress(i)
      let offset = try read(Int(i.segment), ea, size: size)
      let selector = UInt16(try read(Int(i.segment), ea &+ UInt64(size), size: 2))
      if i.op == .jmpFarM {
        try farJump(selector, offset)
      } else {
        try farCall(selector, offset, size: size)
      }
    case .retf, .retfImm:
      try farReturn(size: size, release: i.op == .retfImm ? i.immediate & 0xFFFF : 0)
    case .int3:
      try softwareInterrupt(3)
    case .intN:
      try checkVirtual8086IOPL()  // INT3 and INTO are not IOPL-sensitive
      try softwareInterrupt(UInt8(truncatingIfNeeded: i.immediate))
    case .into:
      if flag(Flag.of) { try softwareInterrupt(4) }
    case .int1:
      // ICEBP: a trap-like #DB with no status bit of its own; data breakpoints pending from a MOV SS
      // before it are reported with it, in one #DB (kvm-unit-tests debug).
      reportDebug(pendingDebugTrap)
      pendingDebugTrap = 0
      singleStepFollowsResult = true
      try deliver(1, errorCode: nil, source: .exception, returnRIP: nextRIP)
      nextRIP = rip
    case .iret:
      try interruptReturn(size: size)
    default:
      throw Fault.invalidOpcode
    }
  }

  func softwareInterrupt(_ vector: UInt8) throws(Fault) {
    // No single-step trap after INT n, INT3, INTO: the delivery clears TF (SDM Vol. 3B 18.3.1.4).
    singleStepFollowsResult = true
    try deliver(vector, errorCode: nil, source: .software, returnRIP: nextRIP)
    nextRIP = rip
  }

  func farCall(_ selector: UInt16, _ offset: UInt64, size: Int) throws(Fault) {
    if segmentsAreParagraphs {
      try push(UInt64(segments[Seg.cs].selector), size: size)
      try push(nextRIP, size: size)
      try farJump(selector, offset)
      return
    }
    if try farTransferToTask(selector, reason: .call) { return }
    let d = try codeDescriptorForFarTransfer(selector)
    let savedRSP = regs[Reg.rsp]
    do throws(Fault) {
      try push(UInt64(segments[Seg.cs].selector), size: size)
      try push(nextRIP, size: size)
    } catch {
      regs[Reg.rsp] = savedRSP
      throw error
    }
    setCodeSegment(selector, descriptor: d, cpl: cpl)
    nextRIP = mode == .long64 ? offset : offset & 0xFFFF_FFFF
  }

  /// RETF: same privilege, or to an outer level popping SS:RSP too (SDM Vol. 2B RET far pseudocode).
  func farReturn(size: Int, release: UInt64) throws(Fault) {
    let offset = try peekStack(0, size: size)
    let selector = UInt16(truncatingIfNeeded: try peekStack(UInt64(size), size: size))
    if segmentsAreParagraphs {
      _ = try pop(size: size)
      _ = try pop(size: size)
      try farJump(selector, offset)
      let mask = stackMask
      regs[Reg.rsp] = (regs[Reg.rsp] & ~mask) | ((regs[Reg.rsp] &+ release) & mask)
      return
    }
    let (d, rpl) = try returnCodeSegment(selector)
    if rpl > cpl {
      let newRSP = try peekStack(UInt64(2 * size) &+ release, size: size)
      let newSS = UInt16(truncatingIfNeeded: try peekStack(UInt64(3 * size) &+ release, size: size))
      setCodeSegment(selector, descriptor: d, cpl: rpl)
      try loadStackForReturn(newSS, rpl: rpl)
      regs[Reg.rsp] = newRSP &+ release
    } else {
      let mask = stackMask
      regs[Reg.rsp] = (regs[Reg.rsp] & ~mask) | ((regs[Reg.rsp] &+ UInt64(2 * size) &+ release) & mask)
      setCodeSegment(selector, descriptor: d, cpl: cpl)
    }
    nextRIP = mode == .long64 ? offset : offset & 0xFFFF_FFFF
  }

  /// The code segment RETF or IRET returns to (SDM Vol. 2B RET and Vol. 2A IRET, the protected-mode
  /// return checks): not null, code, RPL not more privileged than CPL, DPL equal to RPL (at most RPL
  /// when conforming), present; and its RPL, the privilege level returned to.
  private func returnCodeSegment(_ selector: UInt16) throws(Fault) -> (Descriptor, rpl: Int) {
    if selector & 0xFFFC == 0 { throw Fault.gp(0) }
    let d = try readDescriptor(selector)
    let code = UInt32(selector & 0xFFFC)
    let rpl = Int(selector & 3)
    if !d.isCode || rpl < cpl { throw Fault.gp(code) }
    if d.isConforming ? d.dpl > rpl : d.dpl != rpl { throw Fault.gp(code) }
    if !d.isPresent { throw Fault.np(code) }
    return (d, rpl)
  }

  /// Loads SS when returning to an outer privilege level (null allowed in 64-bit mode below CPL 3).
  func loadStackForReturn(_ selector: UInt16, rpl: Int) throws(Fault) {
    if selector & 0xFFFC == 0 && mode == .long64 && rpl != 3 {
      segments[Seg.ss] = SegmentRegister(selector: selector, base: 0, limit: 0, attributes: 0)
      return
    }
    try loadSegment(Seg.ss.rawValue, selector)
  }

  /// IRET/IRETD/IRETQ (SDM Vol. 2A IRET pseudocode; Vol. 3A 6.14.3 for 64-bit mode).
  func interruptReturn(size: Int) throws(Fault) {
    // SDM Vol. 3A 6.7.1: the next IRET after an NMI's delivery ends its blocking of NMIs (QEMU
    // unblocks before the IRET's own checks too); one that waited is taken after it.
    if nmiBlocked {
      nmiBlocked = false
      interruptCheckNeeded = true
    }
    if segmentsAreParagraphs {
      // In virtual-8086 mode IRET cannot change IOPL or leave the mode (writeFlags at CPL 3 keeps
      // IOPL, VM is never writable).
      try checkVirtual8086IOPL()
      let ip = try pop(size: size)
      let cs = UInt16(truncatingIfNeeded: try pop(size: size))
      let fl = try pop(size: size)
      segments[Seg.cs].selector = cs
      segments[Seg.cs].base = UInt64(cs) << 4
      nextRIP = ip
      writeFlags(fl, size: size)
      return
    }
    if !isLongModeActive && flag(Flag.nt) {
      // Return to the task that called or was interrupted by this one (SDM Vol. 3A 8.4).
      let link = UInt16(try readSystem(tr.base &+ TSS32.link, size: 2))
      try switchTask(to: link, reason: .iret, returnEIP: nextRIP)
      return
    }
    let newRIP = try peekStack(0, size: size)
    let selector = UInt16(truncatingIfNeeded: try peekStack(UInt64(size), size: size))
    let newFlags = try peekStack(UInt64(2 * size), size: size)
    if !isLongModeActive && size == 4 && cpl == 0 && newFlags & Flag.vm != 0 {
      try returnToVirtual8086(eip: newRIP, cs: selector, flags: newFlags)
      return
    }
    let (d, rpl) = try returnCodeSegment(selector)
    let popsStack = mode == .long64 || rpl > cpl
    let oldCPL = cpl
    if popsStack {
      let newRSP = try peekStack(UInt64(3 * size), size: size)
      let newSS = UInt16(truncatingIfNeeded: try peekStack(UInt64(4 * size), size: size))
      writeFlags(newFlags, size: size, asCPL: oldCPL)
      setCodeSegment(selector, descriptor: d, cpl: rpl)
      try loadStackForReturn(newSS, rpl: rpl)
      regs[Reg.rsp] = size == 4 && mode != .long64 ? newRSP & 0xFFFF_FFFF : newRSP
      if size == 2 { regs[Reg.rsp] = newRSP & 0xFFFF }
    } else {
      let mask = stackMask
      regs[Reg.rsp] = (regs[Reg.rsp] & ~mask) | ((regs[Reg.rsp] &+ UInt64(3 * size)) & mask)
      writeFlags(newFlags, size: size, asCPL: oldCPL)
      setCodeSegment(selector, descriptor: d, cpl: rpl)
    }
    nextRIP = mode == .long64 ? newRIP : newRIP & 0xFFFF_FFFF
  }

  /// IRET at CPL 0 to a frame whose EFLAGS has VM: the frame goes on with ESP, SS, ES, DS, FS and GS,
  /// all loaded as paragraphs (SDM Vol. 2A IRET, RETURN-TO-VIRTUAL-8086-MODE).
  func returnToVirtual8086(eip: UInt64, cs: UInt16, flags: UInt64) throws(Fault) {
    var slots = [UInt64](repeating: 0, count: 6)  // ESP SS ES DS FS GS
    for k in 0..<6 { slots[k] = try peekStack(UInt64(12 + 4 * k), size: 4) }
    materializeFlags()
    flagBits = (flags & (Flag.writable | Flag.vm)) | Flag.reserved1
    lazy.op = .none
    interruptCheckNeeded = true
    segments[Seg.cs] = virtual8086Segment(cs, code: true)
    updateMode()
    segments[Seg.ss] = virtual8086Segment(UInt16(truncatingIfNeeded: slots[1]), code: false)
    for (k, s) in [Seg.es, Seg.ds, Seg.fs, Seg.gs].enumerated() {
      segments[s] = virtual8086Segment(UInt16(truncatingIfNeeded: slots[2 + k]), code: false)
    }
    regs[Reg.rsp] = slots[0] & 0xFFFF_FFFF
    nextRIP = eip & 0xFFFF
  }

  /// Writes RFLAGS from POPF/IRET: IOPL only at CPL 0, IF only when CPL <= IOPL (SDM Vol. 2B POPF).
  func writeFlags(_ value: UInt64, size: Int, asCPL level: Int? = nil) {
    let level = level ?? cpl
    materializeFlags()
    var writable = Flag.writable
    let iopl = Int((flagBits >> 12) & 3)
    if mode != .real {
      if level > 0 { writable &= ~Flag.iopl }
      if level > iopl { writable &= ~Flag.if }
    }
    if size == 2 { writable &= 0xFFFF }
    if size == 4 { writable &= 0xFFFF_FFFF }
    flagBits = (flagBits & ~writable) | (value & writable) | Flag.reserved1
    interruptCheckNeeded = true
  }
}
