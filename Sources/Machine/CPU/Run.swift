// The run loop for one slice of time: find the block at RIP, run its instructions, count them.
//
// Exactness: the result is the same as executing one instruction at a time and checking before each
// one whether the slice is over or an interrupt is due. A block runs whole only when its last
// instruction starts before the slice limit; otherwise only the instructions that start before it
// run. Interrupts are polled between blocks: every instruction that can make one deliverable (STI,
// POPF, IRET, port I/O, ...) ends its block, and while a poll is still wanted after polling (an
// interrupt shadow, or a delivery that just happened) exactly one instruction runs before the next
// poll. A fault in the middle of a block counts the instructions before it and leaves RIP on the
// faulting one. RFLAGS.TF runs one instruction and then the #DB trap (SDM Vol. 3A 17.3.1.4).

extension CPU {
  /// Executes instructions until `cycles` reaches `limit`, the CPU halts, or something stops it.
  func runSlice(until limit: UInt64) {
    if stopRequested { return }
    sliceLimit = limit
    while cycles < limit {
      var single = false
      if interruptCheckNeeded {
        if pendingDebugTrap != 0 && !inDebugShadow {
          // Traps of the previous instruction come before interrupts (SDM Vol. 3A 6.9); after MOV SS
          // they wait one more instruction.
          do throws(Fault) { try debugTrap() } catch { raise(error) }
          if endsSlice { return }
          continue
        }
        checkInterrupts()
        if exitPending || isHalted { return }
        single = interruptCheckNeeded
        // RFLAGS.TF: one instruction, then #DB. RFLAGS.RF: one instruction without instruction
        // breakpoints, then RF is cleared (SDM Vol. 3B 18.3.1.1). Setting either (POPF, IRET) asks
        // for this check, and TF asks again while it stays set, so the common path tests neither.
        if flagBits & (Flag.tf | Flag.rf) != 0 {
          interruptCheckNeeded = true
          singleStepFollowsResult = false
          runBlock(until: limit, single: true, singleStep: flagBits & Flag.tf != 0)
          flagBits &= ~Flag.rf
          if endsSlice { return }
          continue
        }
      }
      runBlock(until: limit, single: single, singleStep: false)
      if endsSlice { return }
    }
  }

  @inline(always)
  func runBlock(until limit: UInt64, single: Bool, singleStep: Bool) {
    let block: (UnsafeMutablePointer<BlockHeader>, UnsafeMutablePointer<Instruction>)
    do throws(Fault) {
      guard let found = try currentBlock() else { return }
      block = found
    } catch {
      cycles &+= 1
      raise(error)
      return
    }
    do throws(Fault) {
      try runBlocks(from: block.0, block.1, until: limit, single: single)
    } catch {
      instructionsRetired &+= UInt64(faulting - faultingBlock)
      cycles &+= UInt64(faulting.pointee.cyclesBefore) &+ 1
      rip = faulting.pointee.rip
      debugShadowPending = false
      raise(error)
      return
    }
    // XBEGIN ended the block: the transaction runs to its end before anything else sees the CPU.
    if transaction.depth != 0 { runTransaction() }
    if debugShadowPending {
      // MOV SS / POP SS ended the block: the boundary after it is now.
      debugShadowPending = false
      debugShadowEnd = instructionsRetired
    }
    // TF at the start of the instruction decides, except after SYSCALL, SYSRET and software
    // interrupts, where the RFLAGS they leave do (Xen XSA-204; kvm-unit-tests syscall). No #DB is
    // delivered right after MOV SS: the single step of the next instruction reports it.
    if singleStep && !inDebugShadow && (!singleStepFollowsResult || flagBits & Flag.tf != 0) {
      pendingDebugTrap |= CPU.dr6BS
      do throws(Fault) {
        try debugTrap()
      } catch {
        cycles &+= 1
        raise(error)
      }
    }
  }

  /// Runs the block `ops` and, while nothing between blocks needs doing, the blocks after it: the
  /// last instruction was a specialized one (none changes mode, paging, privilege or the interrupt
  /// flag), the slice goes on, and the next block is cached on the page being fetched from. A fault
  /// leaves the faulting instruction in `faulting` and its block in `faultingBlock`.
  ///
  /// Out of line, so that the dispatch's register allocation is not shared with the lookup's.
  @inline(never)
  func runBlocks(
    from first: UnsafeMutablePointer<BlockHeader>, _ firstOps: UnsafeMutablePointer<Instruction>,
    until limit: UInt64, single: Bool
  ) throws(Fault) {
    var header = first
    var ops = firstOps
    while true {
      blocksRun &+= 1
      var count = Int(header.pointee.count)
      if single {
        count = 1
      } else if cycles &+ UInt64(header.pointee.cyclesBeforeLast) >= limit {
        count = instructionsStarting(before: limit, ops, count)
      }
      blockEnd = ops + count
      var e = ops
      do throws(Fault) {
        repeat {
          try execute(e)
          e += 1
        } while e < blockEnd
      } catch {
        faulting = e
        faultingBlock = ops
        throw error
      }
      let last = e - 1
      if last.pointee.straightLine { rip = last.pointee.nextRIP }
      instructionsRetired &+= UInt64(e - ops)
      cycles &+= UInt64(last.pointee.cyclesBefore) &+ UInt64(last.pointee.cycles)
      if single || endsSlice || interruptCheckNeeded || cycles >= limit || last.pointee.handler == .generic {
        return
      }
      // A loop back to this block's start: it is still valid (a store into its page ends the slice).
      if rip == header.pointee.rip { continue }
      guard let next = cachedBlock() else { return }
      (header, ops) = next
    }
  }

  /// The cached block at RIP when RIP is on the page of the last fetch (the lookup's fast path).
  @inline(always)
  func cachedBlock() -> (UnsafeMutablePointer<BlockHeader>, UnsafeMutablePointer<Instruction>)? {
    let linearRIP = linear(Seg.cs.rawValue, rip)
    guard linearRIP >> 12 == fetchLinearPage else { return nil }
    return cachedBlock(phys: fetchPhysicalPage | (linearRIP & 0xFFF))
  }

  /// How many of the first `count` instructions start before the cycle `limit` (at least one).
  func instructionsStarting(before limit: UInt64, _ ops: UnsafeMutablePointer<Instruction>, _ count: Int) -> Int {
    var k = 1
    while k < count && cycles &+ UInt64(ops[k].cyclesBefore) < limit { k += 1 }
    return k
  }

  /// Decodes the instruction at the current RIP without executing it (tests, disassembly cross-checks).
  func decodeCurrent() throws(Fault) -> Instruction {
    var bytes = LinearInstructionBytes(cpu: self, address: linear(Seg.cs.rawValue, rip), user: cpl == 3, keep: false)
    return try decode(&bytes, rip: rip)
  }

  /// Decodes an instruction for this CPU's mode. Under 5-level paging the near indirect branches and
  /// returns get the generic path: the specialized handlers check targets for 48 bits only, so that
  /// the common case keeps its code (Execute/Operands.swift).
  @inline(never)
  func decode(_ bytes: inout LinearInstructionBytes, rip: UInt64) throws(Fault) -> Instruction {
    var inst = try Decoder.decode(&bytes, mode: mode, rip: rip)
    if modeTag & BlockCache.wideAddressTag != 0 && inst.handler.isIndirectBranch {
      inst.handler = .generic
      inst.straightLine = false
    }
    return inst
  }

  /// The length in bytes of the instruction at RIP, or nil if it does not decode (#UD) or is unmapped.
  public func instructionLength() -> Int? {
    (try? decodeCurrent()).map { Int($0.length) }
  }
}
