// The processor state and the per-instruction step. Execution semantics live in Execute/, delivery of
// exceptions in CPU/Interrupts.swift, address translation in Memory/.

/// Something that can interrupt the CPU (the PIC). Polled between instructions while RFLAGS.IF=1.
public protocol InterruptController: AnyObject {
  /// Whether an unmasked interrupt request waits (the INTR line is high).
  var hasPendingInterrupt: Bool { get }
  /// Accepts the highest-priority pending interrupt and returns its vector (the INTA cycle).
  func acknowledge() -> UInt8
}

/// Processor operating modes that change decoding (SDM Vol. 3A 2.2).
public enum CPUMode: UInt8, Sendable {
  /// Real mode: 16-bit code, segments as paragraphs (after reset, CR0.PE=0).
  case real = 0
  /// Protected mode with a 16-bit code segment (CS.D=0).
  case protected16 = 1
  /// Protected mode with a 32-bit code segment (CS.D=1).
  case protected32 = 2
  /// IA-32e compatibility mode with a 16-bit code segment (EFER.LMA=1, CS.L=0, CS.D=0).
  case compatibility16 = 3
  /// IA-32e compatibility mode with a 32-bit code segment (EFER.LMA=1, CS.L=0, CS.D=1).
  case compatibility32 = 4
  /// 64-bit mode (EFER.LMA=1, CS.L=1).
  case long64 = 5
  /// Virtual-8086 mode (CR0.PE=1, EFLAGS.VM=1, outside IA-32e mode): 16-bit code at CPL 3 with
  /// segments as paragraphs, under paging and the protected-mode IDT (SDM Vol. 3A chapter 20).
  case virtual8086 = 6
}

/// One x86_64 processor: registers, control state, the decoded-block cache and the TLBs. It
/// reaches memory and ports only through the buses it is given, and knows no device.
public final class CPU {
  /// The physical address space the CPU reads and writes (RAM, mapped memory, MMIO).
  public let memory: PhysicalMemory
  /// The I/O port space of IN, OUT and the string port instructions.
  public let ports: PortBus
  /// Where external interrupts come from; nil means the INTR line is never raised.
  public var interruptController: InterruptController?

  /// RAX..R15, indexed by `Reg`, then the zero register (Instruction.noRegister), which stays 0.
  let regs: UnsafeMutablePointer<UInt64>
  /// The instruction pointer: the address of the next instruction to run.
  public var rip: UInt64 = 0
  /// Address of the next instruction while one executes; control transfers write it.
  var nextRIP: UInt64 = 0

  // RFLAGS: `flagBits` holds every bit except the arithmetic ones while `lazy` is pending (Flags.swift).
  var flagBits: UInt64 = Flag.reserved1
  var lazy = LazyFlags()
  /// The computation a pending ROL/ROR was recorded over (Flags.swift, `recordRotate`).
  var rotated = LazyFlags()

  /// ES CS SS DS FS GS, indexed by `Seg`, then `Seg.none` whose base stays 0.
  var segments: UnsafeMutablePointer<SegmentRegister>
  /// GDTR, loaded by LGDT (SDM Vol. 3A 2.4.1).
  public var gdtr = TableRegister()
  /// IDTR, loaded by LIDT; at reset it covers the real-mode vector table at 0.
  public var idtr = TableRegister(base: 0, limit: 0x3FF)
  /// LDTR with its cached descriptor, loaded by LLDT.
  public var ldtr = SegmentRegister(attributes: 0x0082)
  /// TR, the task register with its cached TSS descriptor, loaded by LTR.
  public var tr = SegmentRegister(attributes: 0x008B)

  /// CR0 (SDM Vol. 3A 2.5): PE, PG, WP and the rest; written through MOV CR0, which checks it.
  public internal(set) var cr0: UInt64 = ControlBit.et
  /// CR2: the linear address of the last page fault.
  public var cr2: UInt64 = 0
  /// CR3: the physical address of the top-level page table.
  public internal(set) var cr3: UInt64 = 0
  /// CR4: PAE, PSE, PGE and the other extensions.
  public internal(set) var cr4: UInt64 = 0
  /// CR8: the local APIC's task priority class, TPR[7:4] (SDM Vol. 3A 11.8.6.1).
  public var cr8: UInt64 {
    get { UInt64(apic.taskPriority >> 4) }
    set {
      apic.taskPriority = UInt32(newValue & 0xF) << 4
      interruptCheckNeeded = true
    }
  }
  /// IA32_SYSENTER_CS/ESP/EIP.
  var sysenterCS: UInt64 = 0
  var sysenterESP: UInt64 = 0
  var sysenterEIP: UInt64 = 0
  /// IA32_TSC_AUX.
  var tscAux: UInt64 = 0
  /// PKRU: two bits per protection key, access disable and write disable (SDM Vol. 3A 4.6.2).
  var pkru: UInt64 = 0
  /// IA32_PKRS: the same for supervisor pages.
  var pkrs: UInt64 = 0
  /// IA32_TSC_ADJUST: the sum of the changes software made to the TSC.
  var tscAdjust: UInt64 = 0
  /// IA32_MISC_ENABLE: fast strings on, BTS and PEBS unavailable (SDM Vol. 4 table 2-2).
  var miscEnable: UInt64 = 0x1801
  /// IA32_PAT at reset: WB, WT, UC-, UC, twice (SDM Vol. 3A 13.12.4).
  var pat: UInt64 = 0x0007_0406_0007_0406
  /// The processor's local APIC, its register page mapped at IA32_APIC_BASE.
  public private(set) lazy var apic = LocalAPIC(cpu: self)
  /// The x87, MMX and SSE registers.
  let fpu = FPU()
  /// XCR0: the state components XSAVE manages (Execute/StateSave.swift); x87 always.
  var xcr0: UInt64 = 1
  /// Whose rules apply where Intel and AMD processors differ (CPU/CPUID.swift).
  public var vendor = CPUVendor.intel
  /// IA32_TSX_CTRL: RTM disabled, RTM hidden from CPUID (CPU/Transaction.swift).
  var tsxControl: UInt64 = 0
  /// The open RTM transaction, if `depth` is not 0 (CPU/Transaction.swift).
  var transaction = Transaction()
  /// The cycle of the next device event, as the run loop last computed it: a transaction still
  /// running then aborts (an interrupt may follow the event).
  var deviceDeadline: UInt64 = .max
  /// AMD's four legacy performance counters and their event selects (MSRs C001_0000h-C001_0007h):
  /// they hold what software writes; no event is counted.
  var performanceMSRs = [UInt64](repeating: 0, count: 8)
  /// Called with the vector when software ends a level-triggered interrupt (the EOI message the
  /// I/O APIC waits for, SDM Vol. 3A 11.8.5).
  public var onEndOfInterrupt: ((UInt8) -> Void)?
  /// IA32_EFER (MSR 0xC0000080): SCE, LME, LMA, NXE.
  public internal(set) var efer: UInt64 = 0
  /// The FS base (IA32_FS_BASE in 64-bit mode).
  public var fsBase: UInt64 {
    get { segments[Seg.fs].base }
    set { segments[Seg.fs].base = newValue }
  }
  /// The GS base (IA32_GS_BASE in 64-bit mode).
  public var gsBase: UInt64 {
    get { segments[Seg.gs].base }
    set { segments[Seg.gs].base = newValue }
  }
  /// IA32_KERNEL_GS_BASE, exchanged with the GS base by SWAPGS.
  public var kernelGSBase: UInt64 = 0
  var star: UInt64 = 0, lstar: UInt64 = 0, cstar: UInt64 = 0, sfmask: UInt64 = 0
  var debugRegs = [UInt64](repeating: 0, count: 8)

  /// The operating mode, derived from CR0.PE, EFER.LMA and CS.L/D at each change.
  public internal(set) var mode: CPUMode = .real {
    didSet {
      updateModeTag()
      linearMask = mode == .long64 ? ~0 : 0xFFFF_FFFF
    }
  }
  /// `mode` as it enters block tags (BlockCache.tag), so the lookup need not convert it; with
  /// `wideAddressTag` in 64-bit mode under 5-level paging (CR4.LA57 changes only outside it, so
  /// every change of `mode` and MOV to CR4 keep it up to date).
  var modeTag: UInt64 = 0

  @inline(never)
  func updateModeTag() {
    let wide = mode == .long64 && cr4 & ControlBit.la57 != 0
    modeTag = BlockCache.tag(mode) | (wide ? BlockCache.wideAddressTag : 0)
  }
  /// Linear addresses wrap at 4 GiB outside 64-bit mode (SDM Vol. 3A 3.4).
  var linearMask: UInt64 = 0xFFFF_FFFF
  /// Current privilege level (CS.RPL after a load, SDM Vol. 3A 5.5).
  public internal(set) var cpl: Int = 0 {
    didSet { dataTLB = cpl == 3 ? userTLB.entries : supervisorTLB.entries }
  }

  /// Cycle counter: advanced by each instruction's documented cost (Clock/CycleModel.swift). RDTSC reads it.
  public var cycles: UInt64 = 0
  /// The cycle the current slice ends at. A REP string instruction that reaches it stops between
  /// iterations with RIP still on itself, so a guest cannot hold the host for billions of iterations
  /// and interrupts are taken mid-string, as on hardware (SDM Vol. 2B, REP: "interrupted ... between
  /// iterations ... the instruction pointer points to the string instruction").
  var sliceLimit: UInt64 = .max
  /// Instructions completed since the CPU was made (an instruction that faults is not counted).
  public internal(set) var instructionsRetired: UInt64 = 0
  /// Blocks looked up and run: instructions / blocks is the mean run between two lookups.
  public internal(set) var blocksRun: UInt64 = 0
  /// Offset added to `cycles` for RDTSC and the TSC MSR (WRMSR to IA32_TSC sets it).
  var tscOffset: UInt64 = 0

  /// The A20 gate (the i8042's output port bit 1 on a PC, or port 0x92): closed, physical address
  /// bit 20 reads as 0, so real-mode addresses wrap at 1 MiB as on the 8086 (SDM Vol. 3A 8.7.13.4).
  /// Open after reset here, as the firmware leaves it before a boot loader runs.
  public var a20Enabled = true {
    didSet {
      guard a20Enabled != oldValue else { return }
      a20Mask = a20Enabled ? ~0 : ~(1 << 20)
      // Cached translations carry physical addresses; decoded blocks are keyed by physical address
      // and stay valid.
      flushTLB()
    }
  }
  /// ANDed into every physical address translation forms (Paging.swift).
  var a20Mask: UInt64 = ~0
  /// PAE paging's four PDPTE registers (SDM Vol. 3A 4.4.1), and the CR3 they were loaded from (nil
  /// until they are): a CR3 set directly rather than by MOV (a test, a loader) differs from it, and
  /// the next walk loads them (Memory/Paging.swift).
  var pdptes = SIMD4<UInt64>()
  var pdptesCR3: UInt64?

  /// When true, an opcode this core does not implement stops the machine instead of raising #UD.
  public var strict = false

  /// HLT with IF=1: wait for an interrupt.
  public internal(set) var isHalted = false
  /// The next block boundary must ask the interrupt controller (set by I/O, STI, POPF, IRET, the clock,
  /// delivery, and while RFLAGS.TF is set); while it stays set after a poll, one instruction runs at
  /// a time.
  var interruptCheckNeeded = true
  /// STI and MOV/POP SS block interrupts until after the next instruction (SDM Vol. 3A 6.8.3).
  var interruptShadow = false
  var nmiPending = false
  /// An NMI handler runs: further NMIs wait for the next IRET (SDM Vol. 3A 6.7.1).
  var nmiBlocked = false
  /// Set by SYSCALL and SYSRET: the single-step trap after them follows the RFLAGS they leave
  /// (CPU/Run.swift).
  var singleStepFollowsResult = false
  /// The DR6 bits of a #DB trap due before the next instruction and not yet reported: B0-B3 for
  /// data breakpoints the current or last instruction hit, BS when SYSRET loaded TF.
  var pendingDebugTrap: UInt64 = 0
  /// MOV SS or POP SS ran in the current block: the debug shadow starts when it retires.
  var debugShadowPending = false
  /// `instructionsRetired` at the boundary right after the last MOV SS / POP SS (CPU/DebugRegisters.swift).
  var debugShadowEnd: UInt64 = .max
  /// Enabled DR0-DR3 instruction breakpoints: linear address to their DR6.B bits.
  var instructionBreakpoints: [UInt64: UInt64] = [:]
  /// Enabled DR0-DR3 data breakpoints with their DR6.B bits.
  var guestWatched: [(Watchpoint, UInt64)] = []
  /// The guest's I/O breakpoints (DR7 R/W = 10b with CR4.DE): ports, and the DR6 bit each sets.
  var ioBreakpoints: [(ports: Range<UInt32>, bit: UInt64)] = []
  /// Why the CPU left its slice early, as Machine.run will report it (halted, triple fault, strict
  /// mode's opcode, a debugger's breakpoint or watchpoint); set by `stop(_:)`.
  var exit: StopReason?
  /// Fast check for `exit != nil` in the inner loop.
  var exitPending = false
  /// Return to the run loop after this instruction (and its block): an access moved a clocked
  /// device's next event (PortBus, PhysicalMemory), a store hit decoded code, the CPU halted or
  /// stopped, or a stop was requested. Set with `endSlice()`, which also leaves the block.
  var endsSlice = false
  /// Where the running block's loop stops (CPU/Run.swift): its end, or `CPU.leaveNow` once an
  /// instruction asks to leave (the slice ends, a branch inside the block was taken). One compare
  /// per instruction tests both.
  var blockEnd = CPU.leaveNow
  static let leaveNow = UnsafeMutablePointer<Instruction>(bitPattern: MemoryLayout<Instruction>.stride)!

  /// Leaves the running block after the current instruction.
  @inline(always)
  func leaveBlock() { blockEnd = CPU.leaveNow }
  /// Set by `requestStop` from outside (a device callback); the inner loop checks it each instruction.
  var stopRequested = false

  let supervisorTLB = TLB(user: false)
  let userTLB = TLB(user: true)
  /// The TLB of the current privilege level, whose fast tags data accesses test.
  var dataTLB: UnsafeMutablePointer<TLBEntry>
  let blocks = BlockCache()
  /// The instruction that raised the fault being handled, and the first of its block (CPU/Run.swift).
  var faulting: UnsafeMutablePointer<Instruction>
  var faultingBlock: UnsafeMutablePointer<Instruction>
  /// Raw views of memory's page arrays, so the hot paths do not chase object references.
  let pageGeneration: UnsafeMutablePointer<UInt32>
  let codePages: UnsafeMutablePointer<UInt8>
  let dirtyPages: UnsafeMutablePointer<UInt8>
  let ramPages: Int
  /// The linear page RIP was last fetched from and its physical page: consecutive instructions on one
  /// page skip the TLB. Cleared whenever translations or privilege change (`invalidateFetchPage`).
  var fetchLinearPage: UInt64 = ~0
  var fetchPhysicalPage: UInt64 = 0

  // Debugger state (Debug/): consulted only where blocks are decoded and on the slow access paths.
  /// Linear addresses execution stops before.
  var breakpoints: Set<UInt64> = []
  var hasBreakpoints = false
  /// The stop the debugger resumed from: its instruction count and linear RIP.
  var breakpointResume: (instructions: UInt64, linear: UInt64)?
  var watched: [Watchpoint] = []
  /// Linear page number -> which fast tags its TLB entries must not have (bit 0 read, bit 1 write).
  var watchedPages: [UInt64: UInt8] = [:]
  var hasWatchpoints = false

  /// A CPU in its reset state (real mode) on the given buses.
  public init(memory: PhysicalMemory, ports: PortBus) {
    self.memory = memory
    self.ports = ports
    regs = .allocate(capacity: 17)
    regs.initialize(repeating: 0, count: 17)
    segments = .allocate(capacity: 7)
    segments.initialize(repeating: SegmentRegister(), count: 7)
    dataTLB = supervisorTLB.entries
    faulting = blocks.scratch
    faultingBlock = blocks.scratch
    pageGeneration = memory.pageGeneration
    codePages = memory.codePages
    dirtyPages = memory.dirtyPages
    ramPages = memory.pageCount
    memory.mapChanged = { [unowned self] in self.flushTLB() }
    memory.scheduleMoved = { [unowned self] in self.endSlice() }
    ports.accessed = { [unowned self] rescheduled in
      self.interruptCheckNeeded = true
      if rescheduled { self.endSlice() }
    }
    reset()
  }

  /// Maps the APIC's register page where IA32_APIC_BASE puts it, or nowhere while it is disabled.
  func mapAPICPage() {
    memory.unmap(apic)
    if apic.isGloballyEnabled { memory.map(apic, at: apic.pageBase, length: 0x1000) }
  }

  deinit {
    regs.deallocate()
    segments.deallocate()
  }

  /// Power-on state per SDM Vol. 3A 9.1.1 table 9-1 (real mode; the loader then switches to protected mode).
  public func reset() {
    for i in 0..<16 { regs[i] = 0 }
    regs[Reg.rdx] = 0x600
    for s in 0..<6 { segments[s] = SegmentRegister() }
    segments[Seg.cs] = SegmentRegister(selector: 0xF000, base: 0xFFFF0000, limit: 0xFFFF, attributes: 0x009B)
    rip = 0xFFF0
    flagBits = Flag.reserved1
    lazy = LazyFlags()
    rotated = LazyFlags()
    cr0 = ControlBit.et
    cr2 = 0
    cr3 = 0
    cr4 = 0
    pdptesCR3 = nil
    efer = 0
    gdtr = TableRegister()
    idtr = TableRegister(base: 0, limit: 0x3FF)
    isHalted = false
    nmiPending = false
    nmiBlocked = false
    exit = nil
    exitPending = false
    sysenterCS = 0
    tscAux = 0
    pkru = 0
    pkrs = 0
    tscAdjust = 0
    sysenterESP = 0
    sysenterEIP = 0
    miscEnable = 0x1801
    pat = 0x0007_0406_0007_0406
    fpu.reset()
    xcr0 = 1
    for k in 0..<8 { performanceMSRs[k] = 0 }
    tsxControl = 0
    transaction = Transaction()
    // DR6 and DR7 power up as FFFF0FF0h and 400h (SDM Vol. 3A table 9-1).
    for k in 0..<4 { debugRegs[k] = 0 }
    debugRegs[6] = CPU.dr6Fixed
    debugRegs[7] = CPU.dr7Fixed
    pendingDebugTrap = 0
    debugShadowEnd = .max
    updateBreakpointsFromDebugRegisters()
    apic.reset()
    mapAPICPage()
    flushTLB()
    updateMode()
  }

  // MARK: Register access

  /// Reads a general register (64 bits).
  public func register(_ r: Reg) -> UInt64 { regs[r] }
  /// Writes a general register (64 bits).
  public func setRegister(_ r: Reg, _ value: UInt64) { regs[r] = value }

  /// RAX.
  public var rax: UInt64 {
    get { regs[0] }
    set { regs[0] = newValue }
  }
  /// RCX.
  public var rcx: UInt64 {
    get { regs[1] }
    set { regs[1] = newValue }
  }
  /// RDX.
  public var rdx: UInt64 {
    get { regs[2] }
    set { regs[2] = newValue }
  }
  /// RBX.
  public var rbx: UInt64 {
    get { regs[3] }
    set { regs[3] = newValue }
  }
  /// RSP, the stack pointer.
  public var rsp: UInt64 {
    get { regs[4] }
    set { regs[4] = newValue }
  }
  /// RBP.
  public var rbp: UInt64 {
    get { regs[5] }
    set { regs[5] = newValue }
  }
  /// RSI.
  public var rsi: UInt64 {
    get { regs[6] }
    set { regs[6] = newValue }
  }
  /// RDI.
  public var rdi: UInt64 {
    get { regs[7] }
    set { regs[7] = newValue }
  }

  /// A segment register with its hidden descriptor cache.
  public func segment(_ s: Seg) -> SegmentRegister { segments[s] }
  /// Replaces a segment register including its hidden part (loader and tests; guests use MOV/far jumps).
  public func setSegment(_ s: Seg, _ value: SegmentRegister) {
    segments[s] = value
    if s == .cs { updateMode() }
  }

  /// Reads `size` bytes of register `r`; byte registers 4..7 mean AH..BH unless a REX prefix is present
  /// (SDM Vol. 2A 3.7.2.1 table 3-1).
  @inline(always)
  func readReg(_ r: Int, size: Int, rex: Bool) -> UInt64 {
    switch size {
    case 1:
      if !rex && r >= 4 && r < 8 { return (regs[r - 4] >> 8) & 0xFF }
      return regs[r] & 0xFF
    case 2: return regs[r] & 0xFFFF
    case 4: return regs[r] & 0xFFFF_FFFF
    default: return regs[r]
    }
  }

  /// Writes `size` bytes of register `r`. 32-bit writes zero the upper half (SDM Vol. 1 3.4.1.1).
  @inline(always)
  func writeReg(_ r: Int, size: Int, rex: Bool, _ v: UInt64) {
    switch size {
    case 1:
      if !rex && r >= 4 && r < 8 {
        regs[r - 4] = (regs[r - 4] & ~0xFF00) | ((v & 0xFF) << 8)
      } else {
        regs[r] = (regs[r] & ~0xFF) | (v & 0xFF)
      }
    case 2: regs[r] = (regs[r] & ~0xFFFF) | (v & 0xFFFF)
    case 4: regs[r] = v & 0xFFFF_FFFF
    default: regs[r] = v
    }
  }

  // MARK: Modes

  /// EFER.LMA: IA-32e mode is active (64-bit or compatibility mode).
  public var isLongModeActive: Bool { efer & ControlBit.lma != 0 }
  var is64: Bool { mode == .long64 }

  /// Recomputes the decoding mode from CR0.PE, EFER.LMA and the CS descriptor (SDM Vol. 3A 2.2, 5.2.1).
  func updateMode() {
    fetchLinearPage = ~0
    let cs = segments[Seg.cs]
    if cr0 & ControlBit.pe == 0 {
      mode = .real
    } else if isLongModeActive {
      mode = cs.isLong ? .long64 : (cs.isDefault32 ? .compatibility32 : .compatibility16)
    } else if flagBits & Flag.vm != 0 {
      mode = .virtual8086
    } else {
      mode = cs.isDefault32 ? .protected32 : .protected16
    }
    cpl = mode == .real ? 0 : Int(cs.selector & 3)
    if cr0 & ControlBit.pe != 0 && cs.attributes & 0x80 != 0 {
      cpl = Int(cs.selector & 3)
    }
    if mode == .virtual8086 { cpl = 3 }
  }

  /// Segment registers hold paragraphs, not selectors: real and virtual-8086 mode.
  var segmentsAreParagraphs: Bool { mode == .real || mode == .virtual8086 }

  /// Stops the run loop at the next instruction boundary (for example, a debug-exit device was written).
  public func requestStop() {
    stopRequested = true
    endSlice()
  }

  /// Ends the slice after the current instruction (and its block).
  @inline(always)
  func endSlice() {
    endsSlice = true
    leaveBlock()
  }

  /// Ends the slice, and `Machine.run` with `reason`: the one place `exit` and its fast flag are set.
  func stop(_ reason: StopReason) {
    exit = reason
    exitPending = true
    endSlice()
  }
}
