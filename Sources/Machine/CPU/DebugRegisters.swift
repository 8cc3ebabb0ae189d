// The guest's debug registers (SDM Vol. 3B 18.2, 18.3): DR0-DR3 breakpoint addresses, DR6 status,
// DR7 control. Instruction breakpoints are faults taken before the instruction (unless RFLAGS.RF),
// data breakpoints are traps taken after it, general detect faults a MOV DR while DR7.GD is set.
// They reuse the debugger's machinery, so an enabled breakpoint costs nothing on the hot path:
// instruction breakpoint addresses are checked where gdb's are (a block at one is never cached,
// CPU/BlockCache.swift), data breakpoints are watched ranges (Debug/Watchpoints.swift), I/O
// breakpoints (R/W = 10b, with CR4.DE) a short list compared on port accesses only. A task switch
// into a TSS with its T flag set traps with DR6.BT (CPU/TaskSwitch.swift).
//
// Not implemented: DR7.LE/GE
// (exact breakpoints are always exact here), bus-lock detection.

extension CPU {
  /// DR6 bits that read as 1 (SDM Vol. 3B 18.2.3; RTM and BLD are active low and inactive).
  static let dr6Fixed: UInt64 = 0xFFFF_0FF0
  /// DR6 bits software can write: B0-B3, BD, BS, BT.
  static let dr6Writable: UInt64 = 0xE00F
  /// DR6.RTM: active low, and writable where RTM exists; every #DB sets it, since none comes from
  /// inside a transaction with advanced RTM debugging (not modelled, CPU/Transaction.swift).
  static let dr6RTM: UInt64 = 1 << 16

  /// The DR6 bits a MOV to DR6 keeps as written.
  var dr6WritableBits: UInt64 { hasRTM ? CPU.dr6Writable | CPU.dr6RTM : CPU.dr6Writable }

  /// DR6 as a #DB leaves it: B0-B3 replaced by `bits`, the other status bits kept.
  func reportDebug(_ bits: UInt64) {
    debugRegs[6] = (debugRegs[6] & ~0xF) | bits | CPU.dr6RTM
  }
  /// DR7 bit 10 reads as 1; bits 11, 12, 14, 15 as 0 (SDM Vol. 3B 18.2.4).
  static let dr7Fixed: UInt64 = 0x400
  static let dr7Writable: UInt64 = 0xFFFF_23FF
  /// DR7.GD: MOV to or from a debug register raises #DB first.
  static let generalDetect: UInt64 = 1 << 13
  /// DR6.BD, BS, BT: the #DB came from general detect, from single-stepping, from a task switch
  /// into a TSS with its T flag set.
  static let dr6BD: UInt64 = 1 << 13
  static let dr6BS: UInt64 = 1 << 14
  static let dr6BT: UInt64 = 1 << 15

  /// MOV from DRn (n already resolved from the DR4/DR5 aliases).
  func readDebugRegister(_ n: Int) throws(Fault) -> UInt64 {
    try checkGeneralDetect()
    return debugRegs[n]
  }

  /// MOV to DRn: DR6 and DR7 keep their fixed bits, and a 1 in bits 63:32 of either is #GP(0)
  /// (SDM Vol. 2B MOV—Move to/from Debug Registers).
  func writeDebugRegister(_ n: Int, _ value: UInt64) throws(Fault) {
    try checkGeneralDetect()
    switch n {
    case 6:
      if value >> 32 != 0 { throw Fault.gp(0) }
      debugRegs[6] = (value & dr6WritableBits) | (CPU.dr6Fixed & ~dr6WritableBits)
    case 7:
      if value >> 32 != 0 { throw Fault.gp(0) }
      debugRegs[7] = (value & CPU.dr7Writable) | CPU.dr7Fixed
    default:
      debugRegs[n] = value
    }
    updateBreakpointsFromDebugRegisters()
  }

  /// DR7.GD makes any debug-register access a #DB fault with DR6.BD, and clears GD so that the
  /// handler can use the registers (SDM Vol. 3B 18.2.4, 18.3.1.2).
  func checkGeneralDetect() throws(Fault) {
    guard debugRegs[7] & CPU.generalDetect != 0 else { return }
    debugRegs[7] &= ~CPU.generalDetect
    reportDebug(CPU.dr6BD)
    updateBreakpointsFromDebugRegisters()
    throw Fault(1)
  }

  /// Recomputes the instruction breakpoints and watched ranges DR0-DR3 and DR7 describe.
  func updateBreakpointsFromDebugRegisters() {
    var code: [UInt64: UInt64] = [:]
    var data: [(Watchpoint, UInt64)] = []
    var io: [(ports: Range<UInt32>, bit: UInt64)] = []
    let dr7 = debugRegs[7]
    for k in 0..<4 where (dr7 >> UInt64(2 * k)) & 3 != 0 {
      let control = dr7 >> UInt64(16 + 4 * k)
      let length: UInt64 = [1, 2, 8, 4][Int((control >> 2) & 3)]
      let address = debugRegs[k]
      switch control & 3 {
      case 0: code[address, default: 0] |= 1 << UInt64(k)
      case 1: data.append((Watchpoint(kind: .write, address: address & ~(length - 1), length: length), 1 << UInt64(k)))
      case 3: data.append((Watchpoint(kind: .access, address: address & ~(length - 1), length: length), 1 << UInt64(k)))
      default:
        // Without CR4.DE, R/W = 10b is undefined (SDM Vol. 3B 18.2.4); it breaks on nothing here.
        guard cr4 & ControlBit.de != 0 else { break }
        let start = UInt32(truncatingIfNeeded: address & 0xFFFF & ~(length - 1))
        io.append((start..<start + UInt32(length), 1 << UInt64(k)))
      }
    }
    ioBreakpoints = io
    if code != instructionBreakpoints {
      instructionBreakpoints = code
      blocks.flush()  // blocks were built without stopping at the new addresses
    }
    if data.map(\.0) != guestWatched.map(\.0) || data.map(\.1) != guestWatched.map(\.1) {
      guestWatched = data
      rebuildWatchedPages()
    }
  }

  /// An I/O breakpoint is a trap, like a data breakpoint: its DR6 bit waits in `pendingDebugTrap`
  /// for the end of the instruction (of the iteration, for a REP string).
  func checkIOBreakpoints(_ port: UInt16, size: Int) {
    let accessed = UInt32(port)..<UInt32(port) + UInt32(size)
    for (ports, bit) in ioBreakpoints where ports.overlaps(accessed) {
      pendingDebugTrap |= bit
      interruptCheckNeeded = true
      endSlice()
    }
  }

  /// True at the instruction boundary right after MOV SS or POP SS: #DB traps wait one more
  /// instruction, and (on Intel processors) instruction breakpoints do not fire (SDM Vol. 3A 6.8.3).
  var inDebugShadow: Bool { instructionsRetired == debugShadowEnd }

  /// The instruction breakpoint #DB for the instruction at `linear`, if one is enabled there and
  /// neither RFLAGS.RF nor the MOV SS shadow suppresses it (SDM Vol. 3B 18.3.1.1).
  func instructionBreakpointFault(at linear: UInt64) -> Fault? {
    guard let bits = instructionBreakpoints[linear], flagBits & Flag.rf == 0 else { return nil }
    if inDebugShadow && vendor == .intel { return nil }
    reportDebug(bits)
    return Fault(1)
  }

  /// Delivers the #DB trap in `pendingDebugTrap`: B0-B3 report the data breakpoints the last
  /// instruction hit, BS a single step (RFLAGS.TF, SDM Vol. 3B 18.3.1.4); DR6's other bits stay.
  func debugTrap() throws(Fault) {
    reportDebug(pendingDebugTrap)
    pendingDebugTrap = 0
    try deliver(1, errorCode: nil, source: .exception, returnRIP: rip)
  }
}
