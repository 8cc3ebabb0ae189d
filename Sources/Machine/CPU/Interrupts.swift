// Exception and interrupt delivery (SDM Vol. 3A chapter 6): real-mode IVT, 32-bit protected-mode IDT
// and the long-mode IDT with IST stacks; double and triple faults (6.15, interrupt 8).

enum InterruptSource {
  /// A fault or trap raised by the processor (error code may be pushed).
  case exception
  /// INT n, INT3, INTO: the gate's DPL must allow the current CPL.
  case software
  /// Maskable interrupt from the interrupt controller, or NMI.
  case external
}

extension CPU {
  /// Handles an exception raised by the current instruction, escalating to #DF and triple fault.
  func raise(_ first: Fault) {
    if strict && first.isUnimplemented {
      // Strict mode stops where the instruction would have raised #UD, after its #NM checks.
      let length = instructionLength() ?? 1
      stop(
        .unimplementedOpcode(
          bytes: (0..<length).map { UInt8(peek(linear: linear(Seg.cs.rawValue, rip &+ UInt64($0)), size: 1) ?? 0) },
          rip: rip))
      return
    }
    do throws(Fault) {
      try deliver(
        first.vector, errorCode: first.errorCode, source: .exception, returnRIP: rip,
        resumeFlag: first.isFaultClass)
    } catch let second {
      if first.vector == 8 {
        tripleFault([first, second])
        return
      }
      let contributoryPair = first.isContributory && second.isContributory
      let pageFaultPair = first.isPageFault && (second.isContributory || second.isPageFault)
      if contributoryPair || pageFaultPair {
        do throws(Fault) {
          try deliver(8, errorCode: 0, source: .exception, returnRIP: rip)
        } catch let third {
          tripleFault([first, second, third])
        }
      } else {
        raise(second)
      }
    }
  }

  /// Stops the machine (SDM Vol. 3A 6.15 interrupt 8: a fault while delivering #DF is a triple fault,
  /// which on a PC resets the processor; we stop and report instead).
  func tripleFault(_ faults: [Fault]) {
    func name(_ f: Fault) -> String { f.errorCode.map { "\(f.name)(0x\(String($0, radix: 16)))" } ?? f.name }
    var steps = [name(faults[0])]
    for (n, f) in faults.dropFirst().enumerated() {
      let context = n == 0 ? faults[0].name : "#DF"
      if n == 1 || (n == 0 && faults[0].vector == 8) {
        steps.append("\(name(f)) while delivering #DF")
      } else {
        steps.append("\(name(f)) while delivering \(context)")
        if faults.count > 2 { steps.append("#DF") }
      }
    }
    let text =
      "triple fault at RIP=0x\(String(rip, radix: 16)) CS=0x\(String(segments[Seg.cs].selector, radix: 16)): \(steps.joined(separator: " -> ")) (CR2=0x\(String(cr2, radix: 16)))"
    stop(.tripleFault(text))
  }

  /// Pushes a value on the stack described by `ss`/`sp` in the new context (delivery helper).
  @inline(__always)
  func pushSystem(_ sp: inout UInt64, _ value: UInt64, size: Int, stackBase: UInt64, mask: UInt64) throws(Fault) {
    sp = (sp &- UInt64(size)) & mask
    let address = stackBase &+ sp
    try writeSystem(isLongModeActive ? address : address & 0xFFFF_FFFF, size: size, value)
  }

  /// Delivers `vector`. `returnRIP` is what IRET resumes at: the faulting instruction for faults,
  /// the next instruction for traps, INT n and external interrupts.
  /// `resumeFlag`: set RFLAGS.RF in the pushed image (fault-class exceptions).
  func deliver(
    _ vector: UInt8, errorCode: UInt32?, source: InterruptSource, returnRIP: UInt64, resumeFlag: Bool = false
  ) throws(Fault) {
    cycles &+= CycleModel.delivery
    isHalted = false
    interruptCheckNeeded = true
    materializeFlags()
    let ext: UInt32 = source == .external ? 1 : 0
    let gateCode = UInt32(vector) * 8 + 2 + ext

    if mode == .real {
      let entry = idtr.base &+ UInt64(vector) * 4
      if UInt64(vector) * 4 + 3 > UInt64(idtr.limit) { throw Fault.gp(0) }
      let target = try readSystem(entry, size: 4)
      var sp = regs[Reg.rsp] & 0xFFFF
      let ssBase = segments[Seg.ss].base
      try pushSystem(&sp, flagBits, size: 2, stackBase: ssBase, mask: 0xFFFF)
      try pushSystem(&sp, UInt64(segments[Seg.cs].selector), size: 2, stackBase: ssBase, mask: 0xFFFF)
      try pushSystem(&sp, returnRIP, size: 2, stackBase: ssBase, mask: 0xFFFF)
      regs[Reg.rsp] = (regs[Reg.rsp] & ~0xFFFF) | sp
      flagBits &= ~(Flag.if | Flag.tf | Flag.ac)
      let sel = UInt16(target >> 16)
      segments[Seg.cs].selector = sel
      segments[Seg.cs].base = UInt64(sel) << 4
      rip = target & 0xFFFF
      return
    }

    let long = isLongModeActive
    let gateSize: UInt64 = long ? 16 : 8
    if UInt64(vector) * gateSize + gateSize - 1 > UInt64(idtr.limit) { throw Fault.gp(gateCode) }
    let gateAddress = idtr.base &+ UInt64(vector) * gateSize
    let gate = Descriptor(try readSystem(gateAddress, size: 8))
    let high = long ? try readSystem(gateAddress + 8, size: 8) : 0
    var offset = gate.gateOffset
    if long { offset |= (high & 0xFFFF_FFFF) << 32 }
    let selector = gate.gateSelector
    let ist = gate.ist
    if gate.systemType == 0x5 && !long {
      // A task gate: the handler is another task (SDM Vol. 3A 6.11, 8.3).
      if source == .software && gate.dpl < cpl { throw Fault.gp(gateCode) }
      if !gate.isPresent { throw Fault.np(gateCode) }
      try switchTask(to: selector, reason: .interrupt, returnEIP: returnRIP, errorCode: errorCode)
      return
    }
    // Gate types (SDM Vol. 3A 3.5 table 3-2): 0xE/0xF 32- or 64-bit interrupt/trap gates, 6/7 16-bit.
    let isInterruptGate: Bool
    let gateIs16: Bool
    switch gate.systemType {
    case 0xE: isInterruptGate = true; gateIs16 = false
    case 0xF: isInterruptGate = false; gateIs16 = false
    case 0x6 where !long: isInterruptGate = true; gateIs16 = true
    case 0x7 where !long: isInterruptGate = false; gateIs16 = true
    default: throw Fault.gp(gateCode)  // task gates and anything else
    }
    if source == .software && gate.dpl < cpl { throw Fault.gp(gateCode) }
    if !gate.isPresent { throw Fault.np(gateCode) }

    // The target code segment (SDM Vol. 3A 6.12.1.1).
    if selector & 0xFFFC == 0 { throw Fault.gp(ext) }
    let csDescriptor: Descriptor
    do throws(Fault) {
      csDescriptor = try readDescriptor(selector)
    } catch {
      throw Fault.gp(UInt32(selector & 0xFFFC) | ext)
    }
    let csCode = UInt32(selector & 0xFFFC) | ext
    if !csDescriptor.isCode { throw Fault.gp(csCode) }
    // From virtual-8086 mode only to a 32-bit gate and a non-conforming ring-0 handler (SDM Vol. 3A
    // 20.3.1.1).
    let fromVirtual8086 = mode == .virtual8086
    if fromVirtual8086 && (gateIs16 || csDescriptor.isConforming || csDescriptor.dpl != 0) { throw Fault.gp(csCode) }
    if long && !csDescriptor.isLong { throw Fault.gp(csCode) }
    if csDescriptor.dpl > cpl { throw Fault.gp(csCode) }
    if !csDescriptor.isPresent { throw Fault.np(csCode) }
    let newCPL = csDescriptor.isConforming ? cpl : csDescriptor.dpl

    let oldCS = UInt64(segments[Seg.cs].selector)
    let oldSS = UInt64(segments[Seg.ss].selector)
    let oldRSP = regs[Reg.rsp]
    let oldFlags = resumeFlag ? flagBits | Flag.rf : flagBits

    if long {
      // 64-bit delivery: pick the stack (IST, or RSPn on a privilege change), align it, push 5-6 qwords.
      var sp: UInt64
      var newSS = segments[Seg.ss]
      if ist != 0 {
        sp = try readSystem(tr.base &+ 0x24 &+ UInt64(ist - 1) * 8, size: 8)
      } else if newCPL < cpl {
        sp = try readSystem(tr.base &+ 4 &+ UInt64(newCPL) * 8, size: 8)
      } else {
        sp = oldRSP
      }
      if newCPL < cpl {
        newSS = SegmentRegister(selector: UInt16(newCPL), base: 0, limit: 0, attributes: 0)
      }
      sp &= ~0xF
      let savedCPL = cpl
      cpl = newCPL  // stack writes are supervisor accesses now
      do throws(Fault) {
        try pushSystem(&sp, oldSS, size: 8, stackBase: 0, mask: ~0)
        try pushSystem(&sp, oldRSP, size: 8, stackBase: 0, mask: ~0)
        try pushSystem(&sp, oldFlags, size: 8, stackBase: 0, mask: ~0)
        try pushSystem(&sp, oldCS, size: 8, stackBase: 0, mask: ~0)
        try pushSystem(&sp, returnRIP, size: 8, stackBase: 0, mask: ~0)
        if let e = errorCode { try pushSystem(&sp, UInt64(e), size: 8, stackBase: 0, mask: ~0) }
      } catch {
        cpl = savedCPL
        throw error
      }
      segments[Seg.ss] = newSS
      regs[Reg.rsp] = sp
      setCodeSegment(selector, descriptor: csDescriptor, cpl: newCPL)
      rip = offset
    } else {
      // 32-bit protected mode: on a privilege change load SS:ESP for the new level from the TSS.
      let size = gateIs16 ? 2 : 4
      var ssSeg = segments[Seg.ss]
      var sp = oldRSP
      if newCPL < cpl {
        let tssESP = try readSystem(tr.base &+ 4 &+ UInt64(newCPL) * 8, size: 4)
        let tssSS = UInt16(try readSystem(tr.base &+ 8 &+ UInt64(newCPL) * 8, size: 2))
        if tssSS & 0xFFFC == 0 { throw Fault.ts(ext) }
        let d = try readDescriptor(tssSS)
        ssSeg = segment(from: d, selector: tssSS)
        sp = tssESP
      }
      let mask: UInt64 = ssSeg.isDefault32 ? 0xFFFF_FFFF : 0xFFFF
      var esp = sp & mask
      let savedCPL = cpl
      cpl = newCPL
      do throws(Fault) {
        if fromVirtual8086 {
          // The handler's frame starts with the data segment registers, which it then finds null.
          for s in [Seg.gs, Seg.fs, Seg.ds, Seg.es] {
            try pushSystem(&esp, UInt64(segments[s].selector), size: 4, stackBase: ssSeg.base, mask: mask)
          }
        }
        if newCPL < savedCPL {
          try pushSystem(&esp, oldSS, size: size, stackBase: ssSeg.base, mask: mask)
          try pushSystem(&esp, oldRSP, size: size, stackBase: ssSeg.base, mask: mask)
        }
        try pushSystem(&esp, oldFlags, size: size, stackBase: ssSeg.base, mask: mask)
        try pushSystem(&esp, oldCS, size: size, stackBase: ssSeg.base, mask: mask)
        try pushSystem(&esp, returnRIP, size: size, stackBase: ssSeg.base, mask: mask)
        if let e = errorCode { try pushSystem(&esp, UInt64(e), size: size, stackBase: ssSeg.base, mask: mask) }
      } catch {
        cpl = savedCPL
        throw error
      }
      segments[Seg.ss] = ssSeg
      regs[Reg.rsp] = (sp & ~mask) | esp
      if newCPL < savedCPL { regs[Reg.rsp] = esp }
      setCodeSegment(selector, descriptor: csDescriptor, cpl: newCPL)
      rip = gateIs16 ? offset & 0xFFFF : offset & 0xFFFF_FFFF
    }
    // SDM Vol. 3A 6.12.1.3: TF, NT, RF, VM cleared; interrupt gates also clear IF.
    flagBits &= ~(Flag.tf | Flag.nt | Flag.rf | Flag.vm)
    if isInterruptGate { flagBits &= ~Flag.if }
    if fromVirtual8086 {
      for s in [Seg.es, Seg.ds, Seg.fs, Seg.gs] {
        segments[s] = SegmentRegister(selector: 0, base: 0, limit: 0, attributes: 0)
      }
      updateMode()
    }
  }

  /// Polls the interrupt controller at an instruction boundary (SDM Vol. 3A 6.8.1, 6.8.3).
  @inline(__always)
  func checkInterrupts() {
    if interruptShadow {
      interruptShadow = false
      return  // check again after the next instruction
    }
    interruptCheckNeeded = false
    if nmiPending && !nmiBlocked {
      nmiPending = false
      nmiBlocked = true
      deliverExternal(2)
      return
    }
    guard flagBits & Flag.if != 0 else { return }
    // The local APIC's own interrupts first, then the 8259's through LINT0 (as QEMU's PC orders them).
    if let vector = apic.deliverableVector {
      apic.acknowledge(vector)
      deliverExternal(vector)
      return
    }
    guard apic.acceptsExternalInterrupts, let pic = interruptController, pic.hasPendingInterrupt else { return }
    deliverExternal(pic.acknowledge())
  }

  /// Whether a maskable interrupt waits for RFLAGS.IF (the APIC's or the 8259's).
  var maskableInterruptPending: Bool {
    if apic.deliverableVector != nil { return true }
    return apic.acceptsExternalInterrupts && interruptController?.hasPendingInterrupt == true
  }

  func deliverExternal(_ vector: UInt8) {
    do throws(Fault) {
      try deliver(vector, errorCode: nil, source: .external, returnRIP: rip)
    } catch {
      raise(error)
    }
  }

  /// Raises a non-maskable interrupt at the next instruction boundary.
  public func raiseNMI() {
    nmiPending = true
    interruptCheckNeeded = true
  }
}
