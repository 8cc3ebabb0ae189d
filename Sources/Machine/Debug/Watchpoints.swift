// Debugger watchpoints: a data access to a watched range stops the machine after the accessing
// instruction, as a hardware data breakpoint does (SDM Vol. 3A 17.2.4: data breakpoints are traps).
//
// Why no per-access cost: the TLB withholds its fast read or write tag from every linear page a
// watchpoint touches (the way it withholds the write tag from code pages), so only accesses to those
// pages take the slow path, and only the slow path compares against the watched ranges. Instruction
// fetches and page walks are not data accesses and never trigger; reads and writes made by the
// debugger itself go through `debugRead`/`debugWrite`, which do not look at watchpoints.

/// A watched range of linear addresses.
public struct Watchpoint: Hashable, Sendable {
  /// Which data accesses hit (gdb's Z2, Z3 and Z4).
  public enum Kind: Sendable {
    /// Stores only.
    case write
    /// Loads only.
    case read
    /// Loads and stores.
    case access
  }
  /// Which accesses hit.
  public var kind: Kind
  /// The first watched linear address.
  public var address: UInt64
  /// How many bytes are watched (at least 1).
  public var length: UInt64

  /// A watchpoint on `length` bytes (at least 1) from the linear `address`.
  public init(kind: Kind, address: UInt64, length: UInt64) {
    self.kind = kind
    self.address = address
    self.length = max(1, length)
  }

  func matches(_ linear: UInt64, size: Int, isWrite: Bool) -> Bool {
    switch kind {
    case .write: if !isWrite { return false }
    case .read: if isWrite { return false }
    case .access: break
    }
    return linear < address &+ length && address < linear &+ UInt64(size)
  }

  /// The linear pages the range touches.
  var pages: ClosedRange<UInt64> { (address >> 12)...((address &+ length &- 1) >> 12) }
}

/// The watchpoint that stopped the machine and the address of the access that hit it.
public struct WatchpointHit: Equatable, Sendable {
  /// The watchpoint that was hit.
  public var watchpoint: Watchpoint
  /// The linear address of the access (its first byte).
  public var address: UInt64
}

extension CPU {
  /// The watchpoints set, in the order they were set.
  public var watchpoints: [Watchpoint] { watched }

  /// Adds or removes a watchpoint. Every TLB entry is dropped so that the pages it covers lose their
  /// fast tags on the next fill.
  public func setWatchpoint(_ w: Watchpoint, _ enabled: Bool) {
    if enabled {
      if !watched.contains(w) { watched.append(w) }
    } else {
      watched.removeAll { $0 == w }
    }
    rebuildWatchedPages()
  }

  /// The pages of the debugger's watchpoints and the guest's data breakpoints (CPU/DebugRegisters.swift)
  /// lose their fast TLB tags.
  func rebuildWatchedPages() {
    watchedPages = [:]
    for w in watched + guestWatched.map(\.0) {
      for page in w.pages { watchedPages[page, default: 0] |= w.kind == .write ? 2 : 3 }
    }
    hasWatchpoints = !watched.isEmpty || !guestWatched.isEmpty
    flushTLB()
  }

  /// Withholds the fast tags of a freshly armed TLB entry whose page is watched: bit 0 the read tag,
  /// bit 1 the write tag.
  func withholdWatchedTags(_ e: UnsafeMutablePointer<TLBEntry>) {
    guard let bits = watchedPages[e.pointee.tag] else { return }
    if bits & 1 != 0 { e.pointee.readTag = ~0 }
    if bits & 2 != 0 { e.pointee.writeTag = ~0 }
  }

  /// Called by the slow access paths while watchpoints exist: a hit stops the machine once the
  /// current instruction completes (a REP string stops after the current iteration).
  func checkWatchpoints(_ linear: UInt64, size: Int, isWrite: Bool) {
    // A guest data breakpoint is a #DB trap after the instruction (after the iteration of a REP
    // string): its bit waits in `pendingDebugTrap` and the block ends after this instruction.
    for (w, bit) in guestWatched where w.matches(linear, size: size, isWrite: isWrite) {
      pendingDebugTrap |= bit
      interruptCheckNeeded = true
      endSlice()
    }
    // The first hit of the instruction is the one reported (nothing else sets an exit mid-instruction).
    guard !exitPending else { return }
    if transaction.depth != 0 {
      // Nothing stops inside a transaction (CPU/Transaction.swift): its first watched read is kept
      // for the commit, and what its stores changed is compared there.
      guard !isWrite && transaction.watchedRead == nil,
        let w = watched.first(where: { $0.matches(linear, size: size, isWrite: false) })
      else { return }
      transaction.watchedRead = WatchpointHit(watchpoint: w, address: max(linear, w.address))
      return
    }
    for w in watched where w.matches(linear, size: size, isWrite: isWrite) {
      return stop(.watchpoint(WatchpointHit(watchpoint: w, address: max(linear, w.address))))
    }
  }
}
