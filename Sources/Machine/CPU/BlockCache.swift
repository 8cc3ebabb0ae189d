// Decoded basic blocks, cached by physical address.
//
// Why blocks: decoding is the most expensive part of interpreting x86, and the bookkeeping around each
// instruction (finding its decoded form, counting it, checking for interrupts and the slice end) cost
// more than most instructions themselves. A block is a run of decoded instructions that ends at a
// control transfer, at an instruction that changes how the following ones execute (mode, paging,
// interrupt flag), at the end of its page or after `capacity` instructions. It goes on past a Jcc
// not taken, and follows a direct JMP or CALL whose target is on the same page. It is found with one
// lookup and run in a tight loop (CPU/Run.swift); its instructions and cycles are counted once.
//
// Validity: a block is keyed by its RIP, the physical address it was decoded from and the CPU mode
// (which changes how bytes decode). It never crosses a page, and it remembers the generation of its
// RAM page: a store to a page holding decoded code bumps the generation (PhysicalMemory.noteWrite),
// which drops every block from that page at once. Such pages are found without a lookup per store:
// the TLB withholds its fast write tag from them (Memory/TLB.swift), so only the slow store path
// needs to check `codePages`.

/// Where an instruction may sit in a block (Instruction.role, from the opcode table's shape bits).
enum BlockRole: UInt8 {
  /// Anywhere.
  case inBlock
  /// Last: it transfers control or changes how the next instructions execute (Shape.endsBlock).
  case endsBlock
  /// Alone: it reads the cycle counter or lets a device do so (port I/O, RDTSC, MSRs, REP strings,
  /// HLT), so it starts its block, where the counter is exact, and ends it (Shape.readsTime).
  case alone
}

struct BlockHeader {
  /// RIP of the first instruction; relative operands and branch targets are resolved for it.
  var rip: UInt64 = ~0
  /// Physical address of the first byte | the mode tag; ~0 for a block that is not cached.
  var key: UInt64 = ~0
  /// The generation of the RAM page when the block was decoded.
  var generation: UInt32 = 0
  var count: UInt32 = 0
  /// The cost of all instructions but the last (Clock/CycleModel.swift): whether a block fits the
  /// slice is one compare.
  var cyclesBeforeLast: UInt32 = 0
  /// Where its instructions start in the cache's arena.
  var first: UInt32 = 0
}

final class BlockCache {
  /// Direct-mapped slots.
  static let count = 4096
  /// Instructions per block at most.
  static let capacity = 32
  /// Instruction slots in the arena: room for every slot's block at its longest.
  static let arenaSize = count * capacity

  let headers: UnsafeMutablePointer<BlockHeader>
  /// The instructions of every cached block, each block's packed after the one decoded before it, so
  /// that booting touches a page of host memory per 64 instructions decoded rather than one per block
  /// (a page fault each; a tenth of the launch to the shell prompt). Allocated, not initialized, on
  /// 64-byte lines: an instruction is one line. A block that replaces another in its slot leaves the
  /// old one's instructions unused until the arena fills and every block is dropped (as QEMU flushes
  /// its whole translation buffer when full).
  let instructions: UnsafeMutablePointer<Instruction>
  /// The first unused arena slot.
  var arenaUsed = 0
  /// One block for code that cannot be cached (device memory, an instruction crossing a page).
  let scratchHeader: UnsafeMutablePointer<BlockHeader>
  let scratch: UnsafeMutablePointer<Instruction>

  init() {
    headers = .allocate(capacity: BlockCache.count)
    headers.initialize(repeating: BlockHeader(), count: BlockCache.count)
    instructions = UnsafeMutableRawPointer.allocate(
      byteCount: BlockCache.arenaSize * MemoryLayout<Instruction>.stride, alignment: 64
    ).bindMemory(to: Instruction.self, capacity: BlockCache.arenaSize)
    scratchHeader = .allocate(capacity: 1)
    scratchHeader.initialize(to: BlockHeader())
    scratch = .allocate(capacity: BlockCache.capacity)
  }

  /// Forgets every block (the set of breakpoints changed, so blocks must be cut differently).
  func flush() {
    for i in 0..<BlockCache.count { headers[i] = BlockHeader() }
    scratchHeader.pointee = BlockHeader()
    arenaUsed = 0
  }

  /// Where the next block's instructions go: room for `capacity` of them, after dropping every block
  /// when the arena has less left.
  func arenaSpace() -> Int {
    if arenaUsed + BlockCache.capacity > BlockCache.arenaSize { flush() }
    return arenaUsed
  }

  deinit {
    headers.deallocate()
    UnsafeMutableRawPointer(instructions).deallocate()
    scratchHeader.deallocate()
    scratch.deallocate()
  }

  /// `mode` as it enters block keys, above any physical address.
  @inline(always)
  static func tag(_ mode: CPUMode) -> UInt64 { UInt64(mode.rawValue) << 56 }
  /// Added to a 64-bit mode's tag under 5-level paging, where branches decode differently (CPU.decode).
  static let wideAddressTag: UInt64 = 1 << 61

  @inline(always)
  static func slot(_ phys: UInt64) -> Int {
    Int(truncatingIfNeeded: (phys ^ (phys >> 12)) & UInt64(count - 1))
  }
}

extension CPU {
  /// The block at RIP, decoded if the cache has no valid one. Nil when strict mode stopped the machine
  /// at an opcode this core does not implement, or RIP is at a debugger breakpoint.
  @inline(always)
  func currentBlock() throws(Fault) -> (UnsafeMutablePointer<BlockHeader>, UnsafeMutablePointer<Instruction>)? {
    let linearRIP = linear(Seg.cs.rawValue, rip)
    let phys: UInt64
    if linearRIP >> 12 == fetchLinearPage {
      phys = fetchPhysicalPage | (linearRIP & 0xFFF)
    } else {
      let e = try translate(linearRIP, .execute, user: cpl == 3)
      fetchLinearPage = linearRIP >> 12
      fetchPhysicalPage = e.pointee.phys
      phys = e.pointee.phys | (linearRIP & 0xFFF)
    }
    if let block = cachedBlock(phys: phys) { return block }
    return try decodeBlock(slot: BlockCache.slot(phys), linear: linearRIP, phys: phys)
  }

  /// The cached block for RIP decoded from `phys` in the current mode, if it is still valid.
  @inline(always)
  func cachedBlock(phys: UInt64) -> (UnsafeMutablePointer<BlockHeader>, UnsafeMutablePointer<Instruction>)? {
    let slot = BlockCache.slot(phys)
    let header = blocks.headers + slot
    // A matching key implies a RAM page (only those are cached), so the page indexes pageGeneration.
    guard
      header.pointee.key == phys | modeTag && header.pointee.rip == rip
        && header.pointee.generation == pageGeneration[Int(truncatingIfNeeded: phys >> 12)]
    else { return nil }
    return (header, blocks.instructions + Int(header.pointee.first))
  }

  /// Decodes the block at RIP into `slot`, or into the scratch block when it cannot be cached.
  @inline(never)
  func decodeBlock(slot: Int, linear: UInt64, phys: UInt64) throws(Fault)
    -> (UnsafeMutablePointer<BlockHeader>, UnsafeMutablePointer<Instruction>)?
  {
    // An instruction at a breakpoint is never cached (Debug/Breakpoints.swift): each arrival there
    // comes through this miss path, which stops before it.
    let atBreakpoint = hasBreakpoints && breakpoints.contains(linear)
    if atBreakpoint && stopsAtBreakpoint() { return nil }
    // The guest's own instruction breakpoints (DR0-DR3) work the same way.
    let atInstructionBreakpoint = !instructionBreakpoints.isEmpty && instructionBreakpoints[linear] != nil
    if atInstructionBreakpoint, let fault = instructionBreakpointFault(at: linear) { throw fault }
    var cacheable = memory.isPlainRAM(phys) && !atBreakpoint && !atInstructionBreakpoint
    var header = cacheable ? blocks.headers + slot : blocks.scratchHeader
    let first = cacheable ? blocks.arenaSpace() : 0
    var ops = cacheable ? blocks.instructions + first : blocks.scratch
    var count = 0
    var cycles: UInt32 = 0
    var address = linear
    var next = rip
    while count < BlockCache.capacity {
      // A breakpoint address starts a block of its own, so that only block starts need checking.
      if count > 0 && hasBreakpoints && breakpoints.contains(address) { break }
      if count > 0 && !instructionBreakpoints.isEmpty && instructionBreakpoints[address] != nil { break }
      var bytes = LinearInstructionBytes(cpu: self, address: address, user: cpl == 3, keep: strict && count == 0)
      let inst: Instruction
      do throws(Fault) {
        inst = try decode(&bytes, rip: next)
      } catch {
        // A later instruction that does not decode (or whose bytes fault) starts the next block, where
        // its exception is raised with exact state.
        if count > 0 { break }
        if strict && error.vector == 6 {
          stop(.unimplementedOpcode(bytes: bytes.fetched, rip: rip))
          return nil
        }
        throw error
      }
      let role = inst.role
      if role == .alone && count > 0 { break }
      if (address & 0xFFF) + UInt64(inst.length) > 0x1000 {
        // An instruction crossing a page: alone and uncached (a store to its second page would not
        // invalidate it).
        if count > 0 { break }
        cacheable = false
        header = blocks.scratchHeader
        ops = blocks.scratch
      }
      var placed = inst
      placed.cyclesBefore = UInt16(cycles)
      (ops + count).initialize(to: placed)
      count += 1
      cycles &+= UInt32(inst.cycles)
      // Code outside plain RAM is decoded again each time, one instruction at a time, as a store to
      // device memory does not invalidate it.
      if !cacheable { break }
      if role != .inBlock {
        // A direct JMP or CALL (their handlers set RIP and go on) to the same page: the block follows
        // it, so a call to a small function or a jump back over a loop costs no lookup. Every
        // instruction of the block is still on its page, which its generation covers.
        guard inst.handler == .jmp || inst.handler == .call8 else { break }
        let target = self.linear(Seg.cs.rawValue, inst.immediate)
        if target >> 12 != linear >> 12 { break }
        address = target
        next = inst.immediate
        continue
      }
      address = mode == .long64 ? address &+ UInt64(inst.length) : (address &+ UInt64(inst.length)) & 0xFFFF_FFFF
      // The block stops at its page's end, and where EIP wraps.
      if address >> 12 != linear >> 12 || inst.nextRIP < next { break }
      next = inst.nextRIP
    }
    // The run loop re-runs a block whose end jumps to its own start without a lookup; a block at a
    // breakpoint must be looked up (and stopped at) every time.
    header.pointee.rip = atBreakpoint ? ~0 : rip
    header.pointee.count = UInt32(count)
    header.pointee.cyclesBeforeLast = cycles &- UInt32(ops[count - 1].cycles)
    if cacheable {
      let page = Int(truncatingIfNeeded: phys >> 12)
      header.pointee.key = phys | modeTag
      header.pointee.generation = pageGeneration[page]
      header.pointee.first = UInt32(first)
      blocks.arenaUsed = first + count
      if codePages[page] == 0 {
        codePages[page] = 1
        supervisorTLB.protect(physicalPage: UInt64(page))
        userTLB.protect(physicalPage: UInt64(page))
      }
    } else {
      header.pointee.key = ~0
    }
    return (header, ops)
  }
}
