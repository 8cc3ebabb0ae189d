// The fetch-decode-execute loop for one slice of time.
//
// Why @inline(always) (guaranteed inlining) rather than @inline(__always) on this path and its helpers
// (operands, flags, linear accesses): the loop with the dispatch switch is larger than the optimizer's
// caller-size limit, past which @inline(__always) is only a hint, and the helpers stayed calls.
// Family functions for colder operations (Execute/*.swift) remain out of line on purpose.

extension CPU {
  /// Executes instructions until `cycles` reaches `limit`, the CPU halts, or something stops it.
  func runSlice(until limit: UInt64) {
    if stopRequested { return }
    sliceLimit = limit
    while cycles < limit {
      if interruptCheckNeeded {
        checkInterrupts()
        if exitPending || isHalted { return }
      }
      step()
      if endSlice { return }
    }
  }

  /// Executes one instruction (or delivers the exception it raises).
  @inline(always)
  func step() {
    let linearRIP = mode == .long64 ? rip : (segments[Seg.cs].base &+ rip) & 0xFFFF_FFFF
    do throws(Fault) {
      let phys: UInt64
      if linearRIP >> 12 == fetchLinearPage {
        phys = fetchPhysicalPage | (linearRIP & 0xFFF)
      } else {
        let e = try translate(linearRIP, .execute, user: cpl == 3)
        fetchLinearPage = linearRIP >> 12
        fetchPhysicalPage = e.pointee.phys
        phys = e.pointee.phys | (linearRIP & 0xFFF)
      }
      let slot = decodeEntries + Int(truncatingIfNeeded: (phys ^ (phys >> 13)) & UInt64(DecodeCache.count - 1))
      let page = Int(truncatingIfNeeded: phys >> 12)
      let tag = phys | modeTag
      // A matching tag implies a RAM page (`decode` tags nothing else), so `page` indexes pageGeneration.
      if slot.pointee.tag != tag || slot.pointee.generation != pageGeneration[page] {
        try decode(into: slot, linear: linearRIP, phys: phys, tag: tag)
        if exitPending { return }
      }
      let length = UInt64(slot.pointee.inst.length)
      nextRIP = rip &+ length
      let cost = slot.pointee.inst.cycles
      let singleStep = flagBits & Flag.tf != 0
      try execute(slot)
      rip = mode == .long64 ? nextRIP : nextRIP & 0xFFFF_FFFF
      cycles &+= UInt64(cost)
      instructionsRetired &+= 1
      if singleStep { try singleStepTrap() }
    } catch {
      cycles &+= 1
      raise(error)
    }
  }

  /// RFLAGS.TF set before an instruction raises a #DB trap after it (SDM Vol. 3A 17.3.1.4), with DR6.BS.
  func singleStepTrap() throws(Fault) {
    debugRegs[6] |= 0x4000
    try deliver(1, errorCode: nil, source: .exception, returnRIP: rip)
  }

  /// Decodes the instruction at `linear` into a cache slot. Instructions from non-RAM pages or crossing
  /// a page boundary are decoded into the slot without a valid tag (used once, decoded again next time).
  func decode(into slot: UnsafeMutablePointer<DecodeCacheEntry>, linear: UInt64, phys: UInt64, tag: UInt64)
    throws(Fault)
  {
    var bytes = LinearInstructionBytes(cpu: self, address: linear, user: cpl == 3, keep: strict)
    let inst: Instruction
    do throws(Fault) {
      inst = try Decoder.decode(&bytes, mode: mode)
    } catch {
      if strict && error.vector == 6 {
        exit = .unimplemented(bytes.fetched, rip)
        exitPending = true
        endSlice = true
        slot.pointee.tag = ~0
        return
      }
      throw error
    }
    slot.pointee.inst = inst
    let page = Int(truncatingIfNeeded: phys >> 12)
    let crosses = (phys & 0xFFF) + UInt64(inst.length) > 0x1000
    if page < memory.pageCount && !crosses && memory.isPlainRAM(phys) {
      slot.pointee.tag = tag
      slot.pointee.generation = memory.pageGeneration[page]
      memory.codePages[page] = 1
    } else {
      slot.pointee.tag = ~0
    }
  }

  /// Decodes the instruction at the current RIP without executing it (tests, disassembly cross-checks).
  func decodeCurrent() throws(Fault) -> Instruction {
    let linearRIP = mode == .long64 ? rip : (segments[Seg.cs].base &+ rip) & 0xFFFF_FFFF
    var bytes = LinearInstructionBytes(cpu: self, address: linearRIP, user: cpl == 3, keep: false)
    return try Decoder.decode(&bytes, mode: mode)
  }

  /// The length in bytes of the instruction at RIP, or nil if it does not decode (#UD) or is unmapped.
  public func instructionLength() -> Int? {
    (try? decodeCurrent()).map { Int($0.length) }
  }
}
