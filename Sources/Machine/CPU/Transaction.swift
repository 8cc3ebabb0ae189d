// Restricted transactional memory (SDM Vol. 1 16.3): how a transaction runs, commits and is undone.
// The instructions are in Execute/Transactions.swift.
//
// A transaction runs to its end as one step of the run loop: XBEGIN ends its block, and before the
// run loop sees the CPU again the instructions up to the outermost XEND (or an abort) execute one at
// a time, each decoded afresh and checked against what may run transactionally. So no snapshot, no
// device callback and no debugger stop ever meets a transaction half done, and a replay meets the
// same transactions at the same cycles as the recording. An abort is what real processors do at any
// event this loop does not model inside a transaction (SDM Vol. 1 16.3.8: an implementation may abort
// for any reason): the next device event coming due (an interrupt could follow it), a pending
// interrupt, a fault, an operation outside the list below, too many pages or instructions.
//
// Undo: register state is the checkpoint taken at the outermost XBEGIN (the general registers,
// RFLAGS and CR2, the only state the allowed operations change); memory is undone by page: XBEGIN
// flushes the TLBs, and a page is copied the first time the TLB maps it writable inside the
// transaction, before any store can reach it. An abort copies the pages back.

/// What the outermost XBEGIN saved, and the pages the transaction may have written since.
struct Transaction {
  /// RTM_NEST_COUNT: how many XBEGINs are open; 0 outside a transaction.
  var depth = 0
  /// Where an abort resumes: the outermost XBEGIN's fallback address.
  var fallback: UInt64 = 0
  var registers: [UInt64] = []
  var flags: UInt64 = 0
  var cr2: UInt64 = 0
  /// Physical page address -> its bytes before the transaction could write it.
  var savedPages: [UInt64: [UInt8]] = [:]
  /// Nothing stops inside a transaction (it may be undone): its first read that a debugger
  /// watchpoint covers waits here, and the bytes it changed in watched ranges are found by
  /// comparison; both are reported after a commit and forgotten by an abort. (The debugger cannot
  /// change its watchpoints meanwhile: a transaction runs to its end in one step of the run loop.)
  var watchedRead: WatchpointHit?
  /// A page more than `maximumPages` was to be mapped writable: the fault that stopped the
  /// instruction is a capacity abort.
  var overflowed = false

  /// RTM_NEST_COUNT's limit (MAX_RTM_NEST_COUNT; XBEGIN past it aborts).
  static let maximumDepth = 7
  /// More pages than this (1 MiB) is a capacity abort, as a full write set is on hardware.
  static let maximumPages = 256
  /// A transaction still running after this many instructions aborts (it could otherwise spin
  /// forever with no device event due to end it).
  static let maximumInstructions = 1 << 20
}

/// EAX after an abort (SDM Vol. 1 16.3.5 table 16-1).
enum AbortStatus {
  /// XABORT caused it; bits 31:24 hold its operand.
  static let explicit: UInt32 = 1 << 0
  /// The transaction may succeed if retried.
  static let retry: UInt32 = 1 << 1
  /// The transaction touched more memory than can be tracked.
  static let capacity: UInt32 = 1 << 3
  /// A debug or breakpoint exception inside the transaction.
  static let debug: UInt32 = 1 << 4
  /// The abort happened inside a nested transaction.
  static let nested: UInt32 = 1 << 5
}

/// IA32_TSX_CTRL bits (Intel's TSX Asynchronous Abort guidance; MSR 122h).
enum TSXControl {
  /// RTM_DISABLE: every XBEGIN aborts.
  static let rtmDisable: UInt64 = 1 << 0
  /// TSX_CPUID_CLEAR: CPUID no longer reports RTM (or HLE).
  static let cpuidClear: UInt64 = 1 << 1
}

extension CPU {
  /// RTM exists on the Intel model only (AMD processors never had it).
  var hasRTM: Bool { vendor == .intel }

  /// Takes the checkpoint at the outermost XBEGIN; RIP is already at the first instruction inside.
  func startTransaction(fallback: UInt64) {
    let flags = rflags
    transaction = Transaction(
      depth: 1, fallback: fallback, registers: (0..<16).map { regs[$0] }, flags: flags, cr2: cr2)
    // Guest data breakpoints never get here (XBEGIN aborts while any is enabled).
    flushTLB()
  }

  /// Runs the open transaction to its commit or abort (from CPU/Run.swift, after XBEGIN's block).
  func runTransaction() {
    let savedLimit = sliceLimit
    sliceLimit = deviceDeadline
    defer { sliceLimit = savedLimit }
    var executed = 0
    while transaction.depth != 0 {
      if cycles >= deviceDeadline || (nmiPending && !nmiBlocked) || (interruptsEnabled && maskableInterruptPending) {
        return abortTransaction(status: AbortStatus.retry)
      }
      if executed == Transaction.maximumInstructions { return abortTransaction(status: 0) }
      executed += 1
      do throws(Fault) {
        try stepInTransaction()
      } catch {
        // Strict mode never stops in here: the one instruction it stops at, x87 arithmetic, aborts
        // the transaction before it runs (abortStatusBefore), so no transaction is left open.
        cycles &+= 1
        let isDebug = error.vector == 1 || error.vector == 3
        abortTransaction(status: transaction.overflowed ? AbortStatus.capacity : isDebug ? AbortStatus.debug : 0)
      }
    }
  }

  /// Decodes and runs the instruction at RIP alone, or aborts the transaction before it runs when it
  /// may not run in one. Decoded afresh and never cached: the debugger's breakpoints do not stop a
  /// transaction halfway (see the top of this file).
  ///
  /// It runs as a block of one in the scratch block, through the block loop: a second copy of the
  /// dispatch here would change what LLVM inlines into the block loop (measured: REP-heavy code at
  /// half speed).
  private func stepInTransaction() throws(Fault) {
    let e = blocks.scratch
    e.pointee = try decodeCurrent()
    if let status = abortStatusBefore(e.pointee) { return abortTransaction(status: status) }
    let header = blocks.scratchHeader
    header.pointee = BlockHeader(rip: rip, count: 1)
    try runBlocks(from: header, e, until: .max, single: true)
  }

  /// Nil when `i` may run inside a transaction, else the abort it causes. What always aborts (SDM
  /// Vol. 1 16.3.8.1): XABORT (handled by its own instruction), CPUID, PAUSE; what may, and here does:
  /// x87, MMX and SSE instructions, anything that changes segment, control or debug registers, the
  /// non-status flags (CLI, STI, POPF), privilege (SYSCALL, INT n, far transfers, IRET), I/O, HLT,
  /// TLB and cache control, state saving. INT3 and INT1 raise #BP and #DB, which abort with the
  /// debug status (16.3.7).
  func abortStatusBefore(_ i: Instruction) -> UInt32? {
    let allowed: Bool
    switch i.op.family {
    case .arithmetic, .mulDiv, .shift, .bitOps: allowed = true
    case .dataMove:
      // F3 90 is PAUSE.
      allowed = i.op != .movSE && i.op != .lfp && i.op != .popSeg && !(i.op == .xchgAR && i.reg == 0 && i.rep == 1)
    case .string: allowed = i.op != .ins && i.op != .outs
    case .controlFlow:
      switch i.op {
      case .jcc, .jmpRel, .callRel, .jmpE, .callE, .ret, .retImm, .loop, .jcxz: allowed = true
      case .int3, .int1: return AbortStatus.debug
      default: allowed = false
      }
    case .system:
      switch i.op {
      case .clc, .stc, .cmc, .cld, .std, .nop, .pushf, .rdtsc, .rdtscp, .rdpid, .xbegin, .xend, .xabort, .xtest:
        allowed = true
      default: allowed = false
      }
    case .x87, .simd, .invalid: allowed = false
    }
    return allowed ? nil : 0
  }

  /// XEND closing the outermost transaction: its stores stay, the checkpoint goes.
  func commitTransaction() {
    let t = transaction
    endTransaction()
    if let hit = t.watchedRead { return stop(.watchpoint(hit)) }
    reportWatchedChanges(t)
  }

  /// After a commit, a write (or access) watchpoint whose bytes the transaction changed stops the
  /// machine after XEND, as gdb's `watch` would have stopped at the store; a store of an unchanged
  /// value is not reported.
  private func reportWatchedChanges(_ t: Transaction) {
    for w in watched where w.kind != .read {
      for k in 0..<min(w.length, 0x1000) {
        let linear = w.address &+ k
        guard let page = try? walk(linear, .read, user: false, probe: true).phys,
          let saved = t.savedPages[page], let host = memory.hostPage(page)
        else { continue }
        let offset = Int(linear & 0xFFF)
        if saved[offset] != host.load(fromByteOffset: offset, as: UInt8.self) {
          return stop(.watchpoint(WatchpointHit(watchpoint: w, address: linear)))
        }
      }
    }
  }

  /// Undoes the transaction (SDM Vol. 2C XABORT, RTM_ABORT_PROCESSING): registers and memory as at
  /// the outermost XBEGIN, EAX the abort status, RIP the fallback address.
  func abortTransaction(status: UInt32) {
    let t = transaction
    for (r, v) in t.registers.enumerated() { regs[r] = v }
    regs[Reg.rax] = UInt64(status | (t.depth > 1 ? AbortStatus.nested : 0))
    rflags = t.flags
    cr2 = t.cr2
    for (page, bytes) in t.savedPages {
      guard let host = memory.hostPage(page) else { continue }
      bytes.withUnsafeBytes { host.copyMemory(from: $0.baseAddress!, byteCount: 0x1000) }
      // A write like any other: dirty-page tracking and the decoded blocks hear of it.
      memory.noteWrite(page)
    }
    // Inside XBEGIN or XABORT the generic path sets RIP from nextRIP.
    rip = t.fallback
    nextRIP = t.fallback
    endTransaction()
  }

  private func endTransaction() {
    transaction = Transaction()
    interruptCheckNeeded = true
  }

  /// The TLB is about to map the page at `phys` inside a transaction: a page it may write is saved
  /// first; device memory is not for transactions (an abort).
  func prepareTransactionalMapping(phys: UInt64, perms: UInt8, host: UnsafeMutableRawPointer?) throws(Fault) {
    guard let host else { throw Fault.gp(0) }
    let page = phys & ~0xFFF
    let writable = TLBPerm.writeSupervisor | TLBPerm.writeUser
    guard perms & writable != 0, transaction.savedPages[page] == nil else { return }
    if transaction.savedPages.count == Transaction.maximumPages {
      transaction.overflowed = true
      throw Fault.gp(0)
    }
    transaction.savedPages[page] = [UInt8](UnsafeRawBufferPointer(start: host, count: 0x1000))
  }
}
