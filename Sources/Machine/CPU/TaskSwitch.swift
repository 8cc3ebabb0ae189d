// Hardware task switching in 32-bit protected mode (SDM Vol. 3A 8.3, "Task Switching", and the
// JMP/CALL/IRET/INT pseudocode of Vol. 2): a JMP or CALL to a TSS descriptor or a task gate, an
// interrupt or exception through a task gate in the IDT, and an IRET with RFLAGS.NT set, which returns
// to the task named by the current TSS's previous-task link. IA-32e mode has no task switching
// (a task gate there is #GP, and IRET with NT is #GP).
//
// Only 32-bit TSSs (type 9/B) are switched to; a 16-bit TSS is #TS. A task whose EFLAGS.VM is set
// runs in virtual-8086 mode, its segment registers loaded as paragraphs (SDM Vol. 3A 20.2.5).

/// Why a task switch happens; it decides the busy bits, NT and the previous-task link (SDM Vol. 3A
/// table 8-2).
enum TaskSwitchReason {
  case jump, call, interrupt, iret
}

/// The 32-bit TSS fields (SDM Vol. 3A figure 8-2).
enum TSS32 {
  static let link: UInt64 = 0x00
  static let cr3: UInt64 = 0x1C
  static let eip: UInt64 = 0x20
  static let eflags: UInt64 = 0x24
  static let eax: UInt64 = 0x28  // then ECX EDX EBX ESP EBP ESI EDI, 4 bytes apart
  static let es: UInt64 = 0x48  // then CS SS DS FS GS, 4 bytes apart
  static let ldt: UInt64 = 0x60
  /// Bit 0: T, the debug trap flag (SDM Vol. 3A figure 8-2).
  static let debugTrap: UInt64 = 0x64
  static let minimumLimit: UInt32 = 0x67
}

extension CPU {
  /// Switches to the task whose TSS `selector` names. `returnEIP` is what the outgoing task resumes at;
  /// `errorCode` is pushed on the new task's stack (exceptions that have one).
  func switchTask(to selector: UInt16, reason: TaskSwitchReason, returnEIP: UInt64, errorCode: UInt32? = nil)
    throws(Fault)
  {
    let code = UInt32(selector & 0xFFFC)
    // The new TSS descriptor must be in the GDT, present, a 32-bit TSS, long enough and, except for
    // IRET, not busy (SDM Vol. 3A 8.3 steps 1-3).
    if selector & 4 != 0 || selector & 0xFFFC == 0 { throw Fault.gp(code) }
    let newDescriptorAddress = try descriptorAddress(selector)
    let d = Descriptor(try readSystem(newDescriptorAddress, size: 8))
    let busy = d.systemType == 0xB
    if d.systemType != 0x9 && !busy {
      throw reason == .iret ? Fault.ts(code) : Fault.gp(code)
    }
    if reason == .iret ? !busy : busy { throw reason == .iret ? Fault.ts(code) : Fault.gp(code) }
    if !d.isPresent { throw Fault.np(code) }
    if d.limit < TSS32.minimumLimit { throw Fault.ts(code) }

    // Save the outgoing task's dynamic state in its TSS (step 8).
    materializeFlags()
    var outgoingFlags = flagBits
    if reason == .iret { outgoingFlags &= ~Flag.nt }
    let old = tr.base
    try writeSystem(old + TSS32.eip, size: 4, returnEIP & 0xFFFF_FFFF)
    try writeSystem(old + TSS32.eflags, size: 4, outgoingFlags & 0xFFFF_FFFF)
    for r in 0..<8 { try writeSystem(old + TSS32.eax + UInt64(r * 4), size: 4, regs[r] & 0xFFFF_FFFF) }
    for s in 0..<6 { try writeSystem(old + TSS32.es + UInt64(s * 4), size: 2, UInt64(segments[s].selector)) }

    // Read the incoming task's state before anything of the outgoing one changes further.
    let new = d.base
    let newCR3 = try readSystem(new + TSS32.cr3, size: 4)
    let newEIP = try readSystem(new + TSS32.eip, size: 4)
    var newFlags = try readSystem(new + TSS32.eflags, size: 4)
    var newRegs = [UInt64](repeating: 0, count: 8)
    for r in 0..<8 { newRegs[r] = try readSystem(new + TSS32.eax + UInt64(r * 4), size: 4) }
    var newSelectors = [UInt16](repeating: 0, count: 6)
    for s in 0..<6 { newSelectors[s] = UInt16(try readSystem(new + TSS32.es + UInt64(s * 4), size: 2)) }
    let newLDT = UInt16(try readSystem(new + TSS32.ldt, size: 2))
    let trapsOnEntry = try readSystem(new + TSS32.debugTrap, size: 2) & 1 != 0

    // Busy bits, the link and NT (table 8-2): JMP and IRET free the old task, CALL and interrupts
    // nest the new one under it.
    let oldSelector = tr.selector
    if reason == .jump || reason == .iret {
      let oldAddress = try descriptorAddress(oldSelector)
      let access = try readSystem(oldAddress + 5, size: 1)
      try writeSystem(oldAddress + 5, size: 1, access & ~2)
    }
    if reason == .call || reason == .interrupt {
      try writeSystem(new + TSS32.link, size: 2, UInt64(oldSelector))
      newFlags |= Flag.nt
    }
    if reason != .iret { try writeSystem(newDescriptorAddress + 5, size: 1, d.accessByte | 2) }

    // Load TR, CR0.TS and the new state (steps 9-12). Faults from here on belong to the new task.
    tr = SegmentRegister(selector: selector, base: d.base, limit: d.limit, attributes: d.attributes | 0x2)
    cr0 |= ControlBit.ts  // the x87/SSE state belongs to the old task
    if pagingEnabled && newCR3 != cr3 {
      // With PAE paging the new CR3's PDPTEs are loaded too (SDM Vol. 3A 4.4.1).
      let entries = usesPAEPaging ? try readPDPTEs(newCR3) : nil
      cr3 = newCR3
      loadPDPTERegisters(entries)
      flushTLB()
    }
    for r in 0..<8 { regs[r] = newRegs[r] }
    flagBits = (newFlags & (Flag.writable | Flag.vm)) | Flag.reserved1
    lazy.op = .none
    interruptCheckNeeded = true
    // The segment registers: first as plain selectors (so a later fault reports the new task's), then
    // loaded with their checks, CS deciding the new CPL.
    for s in 0..<6 { segments[s].selector = newSelectors[s] }
    try loadSystemSegment(newLDT, taskRegister: false)
    if newFlags & Flag.vm != 0 {
      for s in 0..<6 { segments[s] = virtual8086Segment(newSelectors[s], code: s == Seg.cs.rawValue) }
      updateMode()
    } else {
      try loadProtectedModeSegments(newSelectors)
    }
    nextRIP = newFlags & Flag.vm != 0 ? newEIP & 0xFFFF : newEIP
    rip = nextRIP
    if let errorCode {
      // The error code goes on the new task's stack (SDM Vol. 3A 6.12.2).
      var sp = regs[Reg.rsp]
      let mask: UInt64 = segments[Seg.ss].isDefault32 ? 0xFFFF_FFFF : 0xFFFF
      try pushSystem(&sp, UInt64(errorCode), size: 4, stackBase: segments[Seg.ss].base, mask: mask)
      regs[Reg.rsp] = sp
    }
    // The new TSS's T flag: a #DB trap with DR6.BT once the switch is done, before the task's first
    // instruction (SDM Vol. 3B 18.3.1.5).
    if trapsOnEntry {
      pendingDebugTrap |= CPU.dr6BT
      interruptCheckNeeded = true
    }
  }

  /// The incoming task's CS (deciding the CPL), then its data and stack segments, with their checks;
  /// a failing check is #TS with the selector.
  func loadProtectedModeSegments(_ newSelectors: [UInt16]) throws(Fault) {
    let cs = newSelectors[Seg.cs.rawValue]
    if cs & 0xFFFC == 0 { throw Fault.ts(UInt32(cs & 0xFFFC)) }
    let csDescriptor = try readDescriptor(cs)
    if !csDescriptor.isCode { throw Fault.ts(UInt32(cs & 0xFFFC)) }
    if !csDescriptor.isPresent { throw Fault.np(UInt32(cs & 0xFFFC)) }
    setCodeSegment(cs, descriptor: csDescriptor, cpl: Int(cs & 3))
    for s in [Seg.ss, Seg.es, Seg.ds, Seg.fs, Seg.gs].map(\.rawValue) {
      do throws(Fault) {
        try loadSegment(s, newSelectors[s])
      } catch {
        throw Fault.ts(UInt32(newSelectors[s] & 0xFFFC))
      }
    }
  }
}
