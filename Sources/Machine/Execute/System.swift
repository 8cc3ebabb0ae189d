// Flag instructions, HLT, port I/O, CPUID, RDTSC, MSRs, control registers, descriptor tables, SWAPGS,
// SYSCALL/SYSRET (SDM Vol. 2 per instruction; Vol. 3A 2.5 control registers, Vol. 4 MSRs).

extension CPU {
  func requirePrivilege() throws(Fault) {
    if cpl != 0 { throw Fault.gp(0) }
  }

  /// PUSHF, POPF, INT n and IRET are IOPL-sensitive in virtual-8086 mode: #GP(0) below IOPL 3 (SDM
  /// Vol. 3A 20.2.7; no VME). CLI and STI are too, through `checkIOPrivilege` (CPL is 3 there).
  func checkVirtual8086IOPL() throws(Fault) {
    if mode == .virtual8086 && (flagBits >> 12) & 3 != 3 { throw Fault.gp(0) }
  }

  /// CR4.UMIP: the instructions that store system registers are for CPL 0 only (SDM Vol. 3A 2.5;
  /// Vol. 2B SGDT, SIDT, SLDT, SMSW, STR: the #GP comes after their #UD checks).
  func checkUserModeInstructionPrevention() throws(Fault) {
    if cr4 & ControlBit.umip != 0 && cpl > 0 { throw Fault.gp(0) }
  }

  /// CLI/STI need CPL <= IOPL (SDM Vol. 2A CLI).
  func checkIOPrivilege() throws(Fault) {
    if mode != .real && cpl > Int((flagBits >> 12) & 3) { throw Fault.gp(0) }
  }

  /// Before IN/OUT/INS/OUTS (each iteration of a REP string) touches `size` ports from `port`: the
  /// permission check, then the guest's I/O breakpoints, which the access hits once it is allowed.
  func checkPortAccess(_ port: UInt16, size: Int) throws(Fault) {
    try checkIOPermission(port, size: size)
    if !ioBreakpoints.isEmpty { checkIOBreakpoints(port, size: size) }
  }

  /// Allowed when CPL <= IOPL, otherwise only if every bit for the accessed ports is clear in the
  /// TSS I/O permission bitmap (SDM Vol. 1 19.5.2); a bitmap outside the TSS limit is #GP(0).
  func checkIOPermission(_ port: UInt16, size: Int) throws(Fault) {
    // Virtual-8086 mode always consults the bitmap: IOPL does not grant I/O there (SDM Vol. 1 19.5.2).
    if mode == .real || (mode != .virtual8086 && cpl <= Int((flagBits >> 12) & 3)) { return }
    guard tr.limit >= 0x67 else { throw Fault.gp(0) }
    let base = try readSystem(tr.base &+ 0x66, size: 2)
    let byte = base + UInt64(port >> 3)
    if byte + 1 > UInt64(tr.limit) { throw Fault.gp(0) }
    let bits = try readSystem(tr.base &+ byte, size: 2)
    let mask = ((UInt64(1) << UInt64(size)) - 1) << UInt64(port & 7)
    if bits & mask != 0 { throw Fault.gp(0) }
  }

  func executeSystem(_ i: Instruction) throws(Fault) {
    let size = Int(i.opSize)
    switch i.op {
    case .nop: break
    case .clc: setFlag(Flag.cf, false)
    case .stc: setFlag(Flag.cf, true)
    case .cmc: setFlag(Flag.cf, !carry)
    case .cld: flagBits &= ~Flag.df
    case .std: flagBits |= Flag.df
    case .cli:
      try checkIOPrivilege()
      flagBits &= ~Flag.if
    case .sti:
      try checkIOPrivilege()
      if flagBits & Flag.if == 0 {
        flagBits |= Flag.if
        blockInterruptsForOneInstruction()
      }
    case .pushf:
      try checkVirtual8086IOPL()
      materializeFlags()
      try push(flagBits & ~(Flag.rf | Flag.vm) & sizeMask(size), size: size)
    case .popf:
      try checkVirtual8086IOPL()
      writeFlags(try pop(size: size), size: size)
    case .hlt:
      try requirePrivilege()
      if flagBits & Flag.if == 0 && !nmiPending {
        stop(.halted)
      } else {
        isHalted = true
        endSlice()
      }
    case .inAI, .inAD:
      let port = i.op == .inAI ? UInt16(i.immediate & 0xFF) : UInt16(truncatingIfNeeded: regs[Reg.rdx])
      try checkPortAccess(port, size: size)
      writeReg(0, size: size, rex: false, UInt64(ports.read(port: port, size: size, at: cycles)))
    case .outIA, .outDA:
      let port = i.op == .outIA ? UInt16(i.immediate & 0xFF) : UInt16(truncatingIfNeeded: regs[Reg.rdx])
      try checkPortAccess(port, size: size)
      ports.write(port: port, size: size, value: UInt32(truncatingIfNeeded: regs[Reg.rax]), at: cycles)
    case .cpuid:
      let (a, b, c, d) = cpuid(
        leaf: UInt32(truncatingIfNeeded: regs[Reg.rax]), subleaf: UInt32(truncatingIfNeeded: regs[Reg.rcx]))
      regs[Reg.rax] = UInt64(a)
      regs[Reg.rbx] = UInt64(b)
      regs[Reg.rcx] = UInt64(c)
      regs[Reg.rdx] = UInt64(d)
    case .rdtsc:
      if cr4 & 4 != 0 && cpl != 0 { throw Fault.gp(0) }  // CR4.TSD
      let t = cycles &+ tscOffset
      regs[Reg.rax] = t & 0xFFFF_FFFF
      regs[Reg.rdx] = t >> 32
    case .rdtscp:
      if cr4 & 4 != 0 && cpl != 0 { throw Fault.gp(0) }  // CR4.TSD
      let t = cycles &+ tscOffset
      regs[Reg.rax] = t & 0xFFFF_FFFF
      regs[Reg.rdx] = t >> 32
      regs[Reg.rcx] = tscAux
    case .rdpkru, .wrpkru:
      // SDM Vol. 2B RDPKRU/WRPKRU: #UD without CR4.PKE, #GP unless ECX (and EDX for WRPKRU) is 0.
      if cr4 & ControlBit.pke == 0 { throw Fault.invalidOpcode }
      if regs[Reg.rcx] & 0xFFFF_FFFF != 0 { throw Fault.gp(0) }
      if i.op == .rdpkru {
        regs[Reg.rax] = pkru
        regs[Reg.rdx] = 0
      } else {
        if regs[Reg.rdx] & 0xFFFF_FFFF != 0 { throw Fault.gp(0) }
        pkru = regs[Reg.rax] & 0xFFFF_FFFF
        flushTLB()  // cached access rights assumed the old PKRU
      }
    case .stac, .clac:
      // SDM Vol. 2B STAC/CLAC: #UD outside CPL 0 (and where SMAP is not reported, which it is).
      if cpl != 0 { throw Fault.invalidOpcode }
      flagBits = i.op == .stac ? flagBits | Flag.ac : flagBits & ~Flag.ac
    case .clflush:
      // CLFLUSH, CLFLUSHOPT, CLWB: no cache to write back, but the address must translate: a page
      // fault is raised as for a byte read (SDM Vol. 2A CLFLUSH), and nothing is read from a device.
      _ = try translate(linear(Int(i.segment), effectiveAddress(i)), .read, user: cpl == 3)
    case .rdpid:
      // The register is 64 bits wide in 64-bit mode, 32 otherwise; no operand-size prefix applies.
      writeReg(Int(i.rm), size: mode == .long64 ? 8 : 4, rex: true, tscAux)
    case .rdmsr:
      try requirePrivilege()
      let v = try readMSR(UInt32(truncatingIfNeeded: regs[Reg.rcx]))
      regs[Reg.rax] = v & 0xFFFF_FFFF
      regs[Reg.rdx] = v >> 32
    case .wrmsr:
      try requirePrivilege()
      let v = (regs[Reg.rdx] & 0xFFFF_FFFF) << 32 | (regs[Reg.rax] & 0xFFFF_FFFF)
      try writeMSR(UInt32(truncatingIfNeeded: regs[Reg.rcx]), v)
    case .movFromCR:
      try requirePrivilege()
      let v: UInt64
      switch i.reg {
      case 0: v = cr0
      case 2: v = cr2
      case 3: v = cr3
      case 4: v = cr4
      case 8: v = cr8
      default: throw Fault.invalidOpcode
      }
      writeReg(Int(i.rm), size: size, rex: true, v)
    case .movToCR:
      try requirePrivilege()
      try writeControlRegister(Int(i.reg), readReg(Int(i.rm), size: size, rex: true))
    case .movFromDR:
      try requirePrivilege()
      let n = Int(i.reg & 7)
      // DR4 and DR5 alias DR6 and DR7 unless CR4.DE makes them reserved (SDM Vol. 3B 18.2.2).
      if (n == 4 || n == 5) && cr4 & ControlBit.de != 0 { throw Fault.invalidOpcode }
      writeReg(Int(i.rm), size: size, rex: true, try readDebugRegister(n == 4 ? 6 : (n == 5 ? 7 : n)))
    case .movToDR:
      try requirePrivilege()
      let n = Int(i.reg & 7)
      if (n == 4 || n == 5) && cr4 & ControlBit.de != 0 { throw Fault.invalidOpcode }
      try writeDebugRegister(n == 4 ? 6 : (n == 5 ? 7 : n), readReg(Int(i.rm), size: size, rex: true))
    case .lgdt, .lidt:
      try requirePrivilege()
      guard i.hasMemory else { throw Fault.invalidOpcode }
      let ea = effectiveAddress(i)
      let limit = UInt16(try read(Int(i.segment), ea, size: 2))
      var base = try read(Int(i.segment), ea &+ 2, size: mode == .long64 ? 8 : 4)
      if mode != .long64 && size == 2 { base &= 0xFF_FFFF }
      if mode == .long64 && !isCanonicalAddressRegister(base) { throw Fault.gp(0) }  // SDM Vol. 2A LGDT/LIDT
      if i.op == .lgdt {
        gdtr = TableRegister(base: base, limit: limit)
      } else {
        idtr = TableRegister(base: base, limit: limit)
      }
    case .sgdt, .sidt:
      guard i.hasMemory else { throw Fault.invalidOpcode }
      try checkUserModeInstructionPrevention()
      let t = i.op == .sgdt ? gdtr : idtr
      let ea = effectiveAddress(i)
      try write(Int(i.segment), ea, size: 2, UInt64(t.limit))
      try write(Int(i.segment), ea &+ 2, size: mode == .long64 ? 8 : 4, t.base)
    case .sldt, .str:
      // Not recognized in real or virtual-8086 mode (SDM Vol. 2B SLDT, STR, LLDT, LTR, VERR).
      if segmentsAreParagraphs { throw Fault.invalidOpcode }
      try checkUserModeInstructionPrevention()
      let v = UInt64(i.op == .sldt ? ldtr.selector : tr.selector)
      try writeRM(i, size: i.hasMemory ? 2 : size, v)
    case .lldt, .ltr:
      if segmentsAreParagraphs { throw Fault.invalidOpcode }
      try requirePrivilege()
      try loadSystemSegment(UInt16(truncatingIfNeeded: try readRM(i, size: 2)), taskRegister: i.op == .ltr)
    case .verr, .verw:
      if segmentsAreParagraphs { throw Fault.invalidOpcode }
      let sel = UInt16(truncatingIfNeeded: try readRM(i, size: 2))
      var ok = false
      if sel & 0xFFFC != 0, let d = try? readDescriptor(sel), !d.isSystem {
        let privileged = d.isConforming || d.dpl >= max(cpl, Int(sel & 3))
        let usable = i.op == .verr ? !d.isCode || d.isReadableOrWritable : !d.isCode && d.isReadableOrWritable
        ok = privileged && usable
      }
      setFlag(Flag.zf, ok)
    case .smsw:
      try checkUserModeInstructionPrevention()
      try writeRM(i, size: i.hasMemory ? 2 : size, cr0 & sizeMask(i.hasMemory ? 2 : size))
    case .lmsw:
      try requirePrivilege()
      // LMSW changes PE, MP, EM, TS only and cannot clear PE (SDM Vol. 2A LMSW).
      let v = try readRM(i, size: 2) & 0xF
      try writeControlRegister(0, (cr0 & ~0xE) | v | (cr0 & 1))
    case .invlpg:
      try requirePrivilege()
      guard i.hasMemory else { throw Fault.invalidOpcode }
      // The direct-mapped TLB holds 4 KiB slices of large pages in many slots: flush it all.
      flushTLB()
    case .clts:
      try requirePrivilege()
      cr0 &= ~ControlBit.ts
    case .swapgs:
      try requirePrivilege()
      let t = segments[Seg.gs].base
      segments[Seg.gs].base = kernelGSBase
      kernelGSBase = t
    case .syscall:
      try systemCall()
    case .sysret:
      try systemReturn(size: size)
    case .sysenter:
      try systemEnter()
    case .sysexit:
      try systemExit(size: size)
    case .xgetbv, .xsetbv, .xsave, .xrstor:
      try executeStateSave(i)
    case .invpcid:
      try invalidateProcessContext(i)
    case .xbegin, .xend, .xabort, .xtest:
      try executeTransactional(i)
    case .ud2:
      throw Fault.invalidOpcode
    default:
      throw Fault.invalidOpcode
    }
  }

  /// MOV to CR0/CR2/CR3/CR4/CR8 with the mode checks of SDM Vol. 3A 2.5 and 9.8.5 (IA-32e activation).
  func writeControlRegister(_ n: Int, _ v: UInt64) throws(Fault) {
    switch n {
    case 0:
      if v >> 32 != 0 { throw Fault.gp(0) }
      if v & ControlBit.pg != 0 && v & ControlBit.pe == 0 { throw Fault.gp(0) }
      let enablingPaging = v & ControlBit.pg != 0 && cr0 & ControlBit.pg == 0
      if enablingPaging && efer & ControlBit.lme != 0 && cr4 & ControlBit.pae == 0 { throw Fault.gp(0) }
      if cr0 & ControlBit.pg != 0 && v & ControlBit.pg == 0 && mode == .long64 { throw Fault.gp(0) }
      if v & ControlBit.pg == 0 && cr4 & ControlBit.pcide != 0 { throw Fault.gp(0) }
      // Into PAE paging, or changing CD, NW or PG within it: the PDPTEs are loaded from CR3, and
      // a bad one makes the MOV #GP(0) (SDM Vol. 3A 4.4.1).
      let paeAfter = v & ControlBit.pg != 0 && cr4 & ControlBit.pae != 0 && efer & ControlBit.lme == 0
      let changed = (v ^ cr0) & (ControlBit.cd | ControlBit.nw | ControlBit.pg) != 0
      let entries = paeAfter && changed ? try readPDPTEs(cr3) : nil
      cr0 = v | ControlBit.et
      loadPDPTERegisters(entries)
      if cr0 & ControlBit.pg != 0 && efer & ControlBit.lme != 0 {
        efer |= ControlBit.lma
      } else {
        efer &= ~ControlBit.lma
      }
      flushTLB()
      updateMode()
    case 2: cr2 = v
    case 3:
      // With CR4.PCIDE, bit 63 asks to keep the PCID's translations; it is not stored (SDM Vol. 3A
      // 4.10.4.1). Keeping none is allowed, so every load flushes.
      let entries = usesPAEPaging ? try readPDPTEs(v) : nil
      cr3 = cr4 & ControlBit.pcide != 0 ? v & ~(1 << 63) : v
      loadPDPTERegisters(entries)
      flushTLB()
    case 4:
      // The bits this core implements: TSD DE PSE PAE PGE PCE OSFXSR OSXMMEXCPT UMIP LA57 PCIDE OSXSAVE
      // SMEP SMAP PKE PKS. Any other (VME and PVI among them) is #GP(0).
      let supported: UInt64 =
        0x4 | ControlBit.de | ControlBit.pse | ControlBit.pae | ControlBit.pge | 0x100 | 0x200 | 0x400 | ControlBit.smep
        | ControlBit.smap | ControlBit.pke | ControlBit.pks | ControlBit.osxsave | ControlBit.pcide | ControlBit.umip
        | ControlBit.la57
      if v & ~supported != 0 { throw Fault.gp(0) }
      // 5-level paging is chosen before IA-32e mode is entered (SDM Vol. 2B MOV to CR4).
      if isLongModeActive && (v ^ cr4) & ControlBit.la57 != 0 { throw Fault.gp(0) }
      // PCIDE can be set only in IA-32e mode with PCID 0 in CR3 (SDM Vol. 3A 2.5, MOV to CR4).
      if v & ControlBit.pcide != 0 && cr4 & ControlBit.pcide == 0 && (!isLongModeActive || cr3 & 0xFFF != 0) {
        throw Fault.gp(0)
      }
      if isLongModeActive && v & ControlBit.pae == 0 { throw Fault.gp(0) }
      let debugExtensionsChanged = (v ^ cr4) & ControlBit.de != 0
      let paeAfter = pagingEnabled && v & ControlBit.pae != 0 && !isLongModeActive
      let changed = (v ^ cr4) & (ControlBit.pae | ControlBit.pge | ControlBit.pse | ControlBit.smep) != 0
      let entries = paeAfter && changed ? try readPDPTEs(cr3) : nil
      cr4 = v
      loadPDPTERegisters(entries)
      if debugExtensionsChanged { updateBreakpointsFromDebugRegisters() }  // DR7's I/O breakpoints
      updateModeTag()
      flushTLB()
    case 8:
      if v >> 4 != 0 { throw Fault.gp(0) }  // SDM Vol. 3A 2.5: CR8 bits 63:4 are reserved
      cr8 = v
    default: throw Fault.invalidOpcode
    }
  }

  /// INVPCID (SDM Vol. 2A): the type in the register operand (64 bits in 64-bit mode), a 16-byte
  /// descriptor in memory (PCID, then a linear address). Every valid request flushes the whole TLB,
  /// which is more than any type asks for and therefore correct.
  func invalidateProcessContext(_ i: Instruction) throws(Fault) {
    guard i.hasMemory else { throw Fault.invalidOpcode }
    try requirePrivilege()
    let type = readReg(Int(i.reg), size: mode == .long64 ? 8 : 4, rex: true)
    let ea = effectiveAddress(i)
    let pcid = try read(Int(i.segment), ea, size: 8)
    let address = try read(Int(i.segment), (ea &+ 8) & i.addressMask, size: 8)
    if type > 3 || pcid > 0xFFF { throw Fault.gp(0) }
    if type == 0 && !isCanonicalAddressRegister(address) { throw Fault.gp(0) }
    if type <= 1 && pcid != 0 && cr4 & ControlBit.pcide == 0 { throw Fault.gp(0) }
    flushTLB()
  }

  /// LLDT / LTR from a GDT system descriptor (16 bytes in long mode; SDM Vol. 3A 7.2.3, 3.5).
  func loadSystemSegment(_ selector: UInt16, taskRegister: Bool) throws(Fault) {
    let code = UInt32(selector & 0xFFFC)
    if selector & 0xFFFC == 0 {
      if taskRegister { throw Fault.gp(0) }
      ldtr = SegmentRegister(selector: selector, base: 0, limit: 0, attributes: 0)
      return
    }
    if selector & 4 != 0 { throw Fault.gp(code) }
    let long = isLongModeActive
    let address = try descriptorAddress(selector, size: long ? 16 : 8)
    let d = Descriptor(try readSystem(address, size: 8))
    if taskRegister {
      // An available 32/64-bit (or 16-bit) TSS.
      if d.systemType != 0x09 && d.systemType != 0x01 { throw Fault.gp(code) }
    } else if d.systemType != 0x02 {
      throw Fault.gp(code)
    }
    if !d.isPresent { throw Fault.np(code) }
    var seg = segment(from: d, selector: selector)
    if long {
      seg.base |= (try readSystem(address + 8, size: 8) & 0xFFFF_FFFF) << 32
      // SDM Vol. 2A LLDT/LTR: a non-canonical base in a 16-byte descriptor is #GP(selector).
      if !isCanonicalAddressRegister(seg.base) { throw Fault.gp(code) }
    }
    if taskRegister {
      try writeSystem(address + 5, size: 1, d.accessByte | 2)  // mark busy
      seg.attributes |= 2
      tr = seg
    } else {
      ldtr = seg
    }
  }

  /// SYSCALL (SDM Vol. 2B): fast call to CPL 0 through STAR/LSTAR/SFMASK; only in 64-bit mode here.
  func systemCall() throws(Fault) {
    // Intel processors have SYSCALL in 64-bit mode only; AMD's also in compatibility mode, where it
    // enters 64-bit code at CSTAR (APM Vol. 3 SYSCALL). Legacy-mode SYSCALL is not implemented.
    let fromCompatibility = mode == .compatibility32 && vendor == .amd
    if efer & ControlBit.sce == 0 || (mode != .long64 && !fromCompatibility) { throw Fault.invalidOpcode }
    materializeFlags()
    regs[Reg.rcx] = nextRIP
    regs[Reg.r11] = flagBits & ~Flag.rf
    flagBits = (flagBits & ~sfmask & ~Flag.rf) | Flag.reserved1
    interruptCheckNeeded = true  // TF may survive SFMASK (CPU/Run.swift tests TF on this path)
    // The single-step trap follows RFLAGS after the mask, not before (a TF the kernel masks must not
    // trap in the kernel: Xen XSA-204, KVM's emulator; CPU/Run.swift).
    singleStepFollowsResult = true
    let sel = UInt16((star >> 32) & 0xFFFC)
    segments[Seg.cs] = SegmentRegister(selector: sel, base: 0, limit: 0xFFFF_FFFF, attributes: 0xA09B)
    segments[Seg.ss] = SegmentRegister(selector: sel &+ 8, base: 0, limit: 0xFFFF_FFFF, attributes: 0xC093)
    updateMode()
    cpl = 0
    nextRIP = fromCompatibility ? cstar : lstar
  }

  /// SYSRET (SDM Vol. 2B): back to CPL 3, 64-bit with REX.W else compatibility mode.
  func systemReturn(size: Int) throws(Fault) {
    if efer & ControlBit.sce == 0 || mode != .long64 { throw Fault.invalidOpcode }
    try requirePrivilege()
    let base = UInt16((star >> 48) & 0xFFFF)
    if size == 8 {
      if !isCanonicalLinear(regs[Reg.rcx]) { throw Fault.gp(0) }
      segments[Seg.cs] = SegmentRegister(selector: (base &+ 16) | 3, base: 0, limit: 0xFFFF_FFFF, attributes: 0xA0FB)
      nextRIP = regs[Reg.rcx]
    } else {
      segments[Seg.cs] = SegmentRegister(selector: base | 3, base: 0, limit: 0xFFFF_FFFF, attributes: 0xC0FB)
      nextRIP = regs[Reg.rcx] & 0xFFFF_FFFF
    }
    segments[Seg.ss] = SegmentRegister(selector: (base &+ 8) | 3, base: 0, limit: 0xFFFF_FFFF, attributes: 0xC0F3)
    flagBits = (regs[Reg.r11] & Flag.writable & ~Flag.rf) | Flag.reserved1
    lazy.op = .none
    updateMode()
    cpl = 3
    interruptCheckNeeded = true
    // Like SYSCALL, the trap follows the RFLAGS SYSRET loads: a TF from R11 traps right after it.
    singleStepFollowsResult = true
    if flagBits & Flag.tf != 0 { pendingDebugTrap |= CPU.dr6BS }
  }

  /// SYSENTER (SDM Vol. 2B): to CPL 0 at IA32_SYSENTER_EIP with flat CS and SS from IA32_SYSENTER_CS,
  /// 64-bit code when IA-32e mode is active (Intel processors allow it there).
  func systemEnter() throws(Fault) {
    // AMD processors have no SYSENTER/SYSEXIT in IA-32e mode (APM Vol. 3 SYSENTER).
    if vendor == .amd && isLongModeActive { throw Fault.invalidOpcode }
    if mode == .real || sysenterCS & 0xFFFC == 0 { throw Fault.gp(0) }
    materializeFlags()
    flagBits &= ~(Flag.vm | Flag.if | Flag.rf)
    interruptCheckNeeded = true
    let long = isLongModeActive
    let sel = UInt16(sysenterCS & 0xFFFC)
    segments[Seg.cs] = SegmentRegister(
      selector: sel, base: 0, limit: 0xFFFF_FFFF, attributes: long ? 0xA09B : 0xC09B)
    segments[Seg.ss] = SegmentRegister(selector: sel &+ 8, base: 0, limit: 0xFFFF_FFFF, attributes: 0xC093)
    updateMode()
    cpl = 0
    regs[Reg.rsp] = long ? sysenterESP : sysenterESP & 0xFFFF_FFFF
    nextRIP = long ? sysenterEIP : sysenterEIP & 0xFFFF_FFFF
  }

  /// SYSEXIT (SDM Vol. 2B): back to CPL 3 at RDX with the stack at RCX; REX.W returns to 64-bit code.
  func systemExit(size: Int) throws(Fault) {
    if vendor == .amd && isLongModeActive { throw Fault.invalidOpcode }
    if mode == .real || sysenterCS & 0xFFFC == 0 || cpl != 0 { throw Fault.gp(0) }
    let base = UInt16(sysenterCS & 0xFFFC)
    if size == 8 {
      if !isCanonicalLinear(regs[Reg.rdx]) || !isCanonicalLinear(regs[Reg.rcx]) { throw Fault.gp(0) }
      segments[Seg.cs] = SegmentRegister(
        selector: (base &+ 32) | 3, base: 0, limit: 0xFFFF_FFFF, attributes: 0xA0FB)
      segments[Seg.ss] = SegmentRegister(
        selector: (base &+ 40) | 3, base: 0, limit: 0xFFFF_FFFF, attributes: 0xC0F3)
      regs[Reg.rsp] = regs[Reg.rcx]
      nextRIP = regs[Reg.rdx]
    } else {
      segments[Seg.cs] = SegmentRegister(
        selector: (base &+ 16) | 3, base: 0, limit: 0xFFFF_FFFF, attributes: 0xC0FB)
      segments[Seg.ss] = SegmentRegister(
        selector: (base &+ 24) | 3, base: 0, limit: 0xFFFF_FFFF, attributes: 0xC0F3)
      regs[Reg.rsp] = regs[Reg.rcx] & 0xFFFF_FFFF
      nextRIP = regs[Reg.rdx] & 0xFFFF_FFFF
    }
    updateMode()
    cpl = 3
    interruptCheckNeeded = true
  }
}
