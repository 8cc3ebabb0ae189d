// Guest memory as the CPU sees it: segment:offset -> linear (SDM Vol. 3A 3.4) -> physical through the TLB.

#if canImport(Glibc)
  import Glibc
#endif

extension CPU {
  @inline(always)
  func requiredPerm(_ access: Access, user: Bool) -> UInt8 {
    switch access {
    case .read: return user ? TLBPerm.readUser : TLBPerm.readSupervisor
    case .write: return user ? (TLBPerm.writeUser | TLBPerm.dirty) : (TLBPerm.writeSupervisor | TLBPerm.dirty)
    case .execute: return user ? TLBPerm.execUser : TLBPerm.execSupervisor
    }
  }

  /// Returns the TLB entry for `linear`, walking the page tables on a miss or a permission upgrade.
  @inline(always)
  func translate(_ linear: UInt64, _ access: Access, user: Bool) throws(Fault) -> UnsafeMutablePointer<TLBEntry> {
    let e = tlb(user: user).entries + Int(truncatingIfNeeded: (linear >> 12) & UInt64(TLB.count - 1))
    let need = requiredPerm(access, user: user)
    if e.pointee.tag == linear >> 12 && e.pointee.perms & need == need { return e }
    return try fill(e, linear, access, user: user)
  }

  func fill(_ e: UnsafeMutablePointer<TLBEntry>, _ linear: UInt64, _ access: Access, user: Bool) throws(Fault)
    -> UnsafeMutablePointer<TLBEntry>
  {
    try checkCanonical(linear)
    let (phys, perms) = try walk(linear, access, user: user)
    let host = memory.hostPage(phys)
    if transaction.depth != 0 { try prepareTransactionalMapping(phys: phys, perms: perms, host: host) }
    e.pointee.tag = linear >> 12
    e.pointee.phys = phys
    e.pointee.perms = perms
    e.pointee.host = host
    tlb(user: user).arm(e, codePage: withholdsWriteTag(phys))
    if hasWatchpoints { withholdWatchedTags(e) }
    return e
  }

  /// The TLB of user (CPL 3) or supervisor accesses.
  @inline(always)
  func tlb(user: Bool) -> TLB { user ? userTLB : supervisorTLB }

  /// A non-canonical address is #GP(0), or #SS(0) when the access goes through SS (SDM Vol. 3A 6.15).
  @inline(always)
  func segmentFault(_ error: Fault, _ segment: Int) -> Fault {
    segment == Seg.ss.rawValue && error == Fault.gp(0) ? Fault.ss(0) : error
  }

  /// True when stores to the page of `phys` must take the slow path: it holds decoded code, or it
  /// is clean while dirty pages are tracked.
  @inline(always)
  func withholdsWriteTag(_ phys: UInt64) -> Bool {
    let page = Int(truncatingIfNeeded: phys >> 12)
    guard page < ramPages else { return false }
    return codePages[page] != 0 || (memory.tracksDirtyPages && dirtyPages[page] == 0)
  }

  /// True when decoded blocks hold code from the RAM page of `phys`.
  @inline(always)
  func isCodePage(_ phys: UInt64) -> Bool {
    let page = Int(truncatingIfNeeded: phys >> 12)
    return page < ramPages && codePages[page] != 0
  }

  // MARK: The fast path of data accesses

  /// A load of T at `linear` through the current privilege's TLB: on a hit, one compare and one host
  /// load. `segment` names the architectural segment for the fault (#SS for the stack).
  @inline(always)
  func loadLinear<T: Width>(_ linear: UInt64, segment: UInt8, _: T.Type) throws(Fault) -> T {
    let e = dataTLB + Int(truncatingIfNeeded: (linear >> 12) & UInt64(TLB.count - 1))
    if (linear &+ UInt64(MemoryLayout<T>.size &- 1)) >> 12 == e.pointee.readTag {
      var v: T = 0
      let host = UnsafeRawPointer(bitPattern: e.pointee.addend &+ UInt(truncatingIfNeeded: linear)).unsafelyUnwrapped
      memcpy(&v, host, MemoryLayout<T>.size)
      return v
    }
    return T(truncatingIfNeeded: try loadSlow(linear, segment: Int(segment), size: MemoryLayout<T>.size))
  }

  /// A store of T at `linear`; pages holding decoded code never hit (TLB.swift).
  @inline(always)
  func storeLinear<T: Width>(_ linear: UInt64, segment: UInt8, _ value: T) throws(Fault) {
    let e = dataTLB + Int(truncatingIfNeeded: (linear >> 12) & UInt64(TLB.count - 1))
    if (linear &+ UInt64(MemoryLayout<T>.size &- 1)) >> 12 == e.pointee.writeTag {
      var v = value
      let host = UnsafeMutableRawPointer(bitPattern: e.pointee.addend &+ UInt(truncatingIfNeeded: linear))
      memcpy(host.unsafelyUnwrapped, &v, MemoryLayout<T>.size)
      return
    }
    try storeSlow(linear, segment: Int(segment), size: MemoryLayout<T>.size, UInt64(value))
  }

  @inline(never)
  func loadSlow(_ linear: UInt64, segment: Int, size: Int) throws(Fault) -> UInt64 {
    do throws(Fault) {
      return try readLinear(linear, size: size, user: cpl == 3)
    } catch {
      throw segmentFault(error, segment)
    }
  }

  @inline(never)
  func storeSlow(_ linear: UInt64, segment: Int, size: Int, _ value: UInt64) throws(Fault) {
    do throws(Fault) {
      try writeLinear(linear, size: size, user: cpl == 3, value)
    } catch {
      throw segmentFault(error, segment)
    }
  }

  /// In 64-bit mode a non-canonical address raises #GP(0) (SDM Vol. 3A 3.3.7.1).
  @inline(always)
  func checkCanonical(_ linear: UInt64) throws(Fault) {
    if isLongModeActive && !isCanonicalLinear(linear) { throw Fault.gp(0) }
  }

  // MARK: Linear accesses

  @inline(always)
  func readLinear(_ linear: UInt64, size: Int, user: Bool) throws(Fault) -> UInt64 {
    if hasWatchpoints { checkWatchpoints(linear, size: size, isWrite: false) }
    let offset = Int(linear & 0xFFF)
    if offset + size <= 0x1000 {
      let e = try translate(linear, .read, user: user)
      if let h = e.pointee.host { return memory.loadHost(h + offset, size: size) }
      return memory.read(e.pointee.phys | UInt64(offset), size: size)
    }
    return try readLinearCrossing(linear, size: size, user: user)
  }

  /// A read that crosses a page boundary, byte by byte. Kept out of line so the inlined fast path above is
  /// not recursive (a recursive function cannot be inlined into the interpreter loop).
  @inline(never)
  func readLinearCrossing(_ linear: UInt64, size: Int, user: Bool) throws(Fault) -> UInt64 {
    var v: UInt64 = 0
    for i in 0..<size {
      v |= try readLinear(linear &+ UInt64(i), size: 1, user: user) << (8 * UInt64(i))
    }
    return v
  }

  @inline(always)
  func writeLinear(_ linear: UInt64, size: Int, user: Bool, _ value: UInt64) throws(Fault) {
    if hasWatchpoints { checkWatchpoints(linear, size: size, isWrite: true) }
    let offset = Int(linear & 0xFFF)
    if offset + size <= 0x1000 {
      let e = try translate(linear, .write, user: user)
      if withholdsWriteTag(e.pointee.phys) {
        // The store may change code a decoded block holds, maybe the running one: drop the page's
        // blocks and end the slice after this instruction, then let writes to the page run fast.
        // (A clean page under dirty tracking only needs marking.)
        if isCodePage(e.pointee.phys) { endSlice() }
        memory.noteWrite(e.pointee.phys)
        tlb(user: user).arm(e, codePage: false)
        if hasWatchpoints { withholdWatchedTags(e) }
      }
      if let h = e.pointee.host {
        memory.storeHost(h + offset, size: size, value: value)
      } else {
        // A device may raise an interrupt: poll after this instruction. It ends the slice itself
        // when the write moved its schedule (PhysicalMemory.scheduleMoved).
        memory.write(e.pointee.phys | UInt64(offset), size: size, value: value)
        interruptCheckNeeded = true
        leaveBlock()
      }
      return
    }
    try writeLinearCrossing(linear, size: size, user: user, value)
  }

  /// A write that crosses a page boundary (out of line for the same reason as `readLinearCrossing`).
  @inline(never)
  func writeLinearCrossing(_ linear: UInt64, size: Int, user: Bool, _ value: UInt64) throws(Fault) {
    // A write crossing a page must not be partly done if the second page faults (SDM Vol. 3A 6.6).
    // A fault on the second page reports that page's first byte in CR2, as QEMU does.
    _ = try translate(linear, .write, user: user)
    _ = try translate((linear | 0xFFF) &+ 1, .write, user: user)
    for i in 0..<size {
      try writeLinear(linear &+ UInt64(i), size: 1, user: user, value >> (8 * UInt64(i)))
    }
  }

  // MARK: Segmented accesses

  /// The linear address of `offset` in segment `seg`. In 64-bit mode only FS and GS have a base
  /// (SDM Vol. 3A 3.2.4); outside it linear addresses wrap at 4 GiB.
  @inline(always)
  func linear(_ seg: Int, _ offset: UInt64) -> UInt64 {
    if mode == .long64 {
      return seg >= Seg.fs.rawValue ? segments[seg].base &+ offset : offset
    }
    return (segments[seg].base &+ offset) & 0xFFFF_FFFF
  }

  @inline(always)
  func read(_ seg: Int, _ offset: UInt64, size: Int) throws(Fault) -> UInt64 {
    do throws(Fault) {
      return try readLinear(linear(seg, offset), size: size, user: cpl == 3)
    } catch {
      throw segmentFault(error, seg)
    }
  }

  @inline(always)
  func write(_ seg: Int, _ offset: UInt64, size: Int, _ value: UInt64) throws(Fault) {
    do throws(Fault) {
      try writeLinear(linear(seg, offset), size: size, user: cpl == 3, value)
    } catch {
      throw segmentFault(error, seg)
    }
  }

  /// Reads a system structure (GDT, IDT, TSS): always a supervisor access (SDM Vol. 3A 4.6.1).
  func readSystem(_ linear: UInt64, size: Int) throws(Fault) -> UInt64 {
    try readLinear(linear, size: size, user: false)
  }

  func writeSystem(_ linear: UInt64, size: Int, _ value: UInt64) throws(Fault) {
    try writeLinear(linear, size: size, user: false, value)
  }

  // MARK: Public helpers for tests and front ends

  /// Reads guest memory at a linear address as the CPU would at CPL 0 (nil if not mapped).
  public func peek(linear: UInt64, size: Int) -> UInt64? {
    try? readLinear(linear, size: size, user: false)
  }
}
