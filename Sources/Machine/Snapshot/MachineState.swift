// The machine's part of a snapshot: the CPU with its hidden state (segment caches, lazy flags,
// the interrupt shadow, a pending NMI, the cycle and instruction counters) and guest RAM.
//
// Derived state is not saved: decoded blocks and TLB entries are dropped on restore and rebuilt
// as the guest runs, and the mode and CPL are recomputed from CR0, EFER and CS. Debugger
// breakpoints and watchpoints belong to the debugger, not the machine, and stay as they are.
// RAM is saved as its pages that are not all zero, so a 128 MiB guest using 3 MiB saves 3 MiB.

#if canImport(Glibc)
  import Glibc
#endif
import StateCoding

extension CPU: StateCodable {
  /// Every register, the hidden segment parts, the control and MSR state and the pending events
  /// (the decoded blocks and TLBs are rebuilt, not saved).
  public func code(_ coder: inout StateCoder) {
    // Section 2: the A20 gate joined the CPU state (state file version 2).
    coder.section(0xC0DE_0002)
    for r in 0..<16 { coder.code(&regs[r]) }
    coder.code(&rip)
    coder.code(&flagBits)
    for flags in [\CPU.lazy, \CPU.rotated] {
      coder.code(&self[keyPath: flags].tag)
      coder.code(&self[keyPath: flags].dst)
      coder.code(&self[keyPath: flags].src)
      coder.code(&self[keyPath: flags].result)
    }
    for s in 0..<6 { Self.code(&segments[s], &coder) }
    Self.code(&ldtr, &coder)
    Self.code(&tr, &coder)
    coder.code(&gdtr.base)
    coder.code(&gdtr.limit)
    coder.code(&idtr.base)
    coder.code(&idtr.limit)
    coder.code(&cr0)
    coder.code(&cr2)
    coder.code(&cr3)
    coder.code(&cr4)
    coder.code(&cr8)
    coder.code(&efer)
    coder.code(&kernelGSBase)
    coder.code(&star)
    coder.code(&lstar)
    coder.code(&cstar)
    coder.code(&sfmask)
    for k in 0..<8 { coder.code(&debugRegs[k]) }
    coder.code(&cycles)
    coder.code(&instructionsRetired)
    coder.code(&blocksRun)
    coder.code(&tscOffset)
    coder.code(&isHalted)
    coder.code(&interruptShadow)
    coder.code(&nmiPending)
    coder.code(&nmiBlocked)
    var gate = a20Enabled
    coder.code(&gate)
    coder.code(&sysenterCS)
    coder.code(&sysenterESP)
    coder.code(&sysenterEIP)
    coder.code(&miscEnable)
    coder.code(&pat)
    coder.code(&tscAux)
    coder.code(&pkru)
    coder.code(&pkrs)
    coder.code(&tscAdjust)
    apic.code(&coder)
    fpu.code(&coder)
    coder.code(&pendingDebugTrap)
    coder.code(&xcr0)
    coder.code(&debugShadowEnd)
    var vendorNumber = vendor.rawValue
    coder.code(&vendorNumber)
    for k in 0..<8 { coder.code(&performanceMSRs[k]) }
    // State file version 5: IA32_TSX_CTRL. (A transaction never spans a snapshot: it runs to its end
    // before the run loop returns, CPU/Transaction.swift.)
    coder.code(&tsxControl)
    // State file version 6: PAE paging's PDPTE registers, which can differ from the table in memory.
    for i in 0..<4 { coder.code(&pdptes[i]) }
    var loaded = pdptesCR3 != nil
    var loadedFrom = pdptesCR3 ?? 0
    coder.code(&loaded)
    coder.code(&loadedFrom)
    if coder.direction == .restore {
      transaction = Transaction()
      vendor = CPUVendor(rawValue: vendorNumber) ?? .intel
      debugShadowPending = false
      updateBreakpointsFromDebugRegisters()
      a20Enabled = gate
      pdptesCR3 = loaded ? loadedFrom : nil
      exit = nil
      exitPending = false
      endsSlice = false
      stopRequested = false
      breakpointResume = nil
      interruptCheckNeeded = true
      mapAPICPage()
      blocks.flush()
      flushTLB()
      updateMode()
    }
  }

  private static func code(_ s: inout SegmentRegister, _ coder: inout StateCoder) {
    coder.code(&s.selector)
    coder.code(&s.base)
    coder.code(&s.limit)
    coder.code(&s.attributes)
  }
}

extension LocalAPIC {
  /// Every register, the three bitmaps and the timer's schedule (state file version 3).
  func code(_ coder: inout StateCoder) {
    coder.section(0xA91C_0001)
    coder.code(&baseMSR)
    coder.code(&id)
    coder.code(&taskPriority)
    coder.code(&logicalDestination)
    coder.code(&destinationFormat)
    coder.code(&spuriousVector)
    coder.code(&errorStatus)
    coder.code(&pendingErrors)
    coder.code(&commandLow)
    coder.code(&commandHigh)
    for k in 0..<LVT.count { coder.code(&lvt[k]) }
    for bitmap in [\LocalAPIC.requests, \LocalAPIC.inService, \LocalAPIC.levelTriggered] {
      for w in 0..<4 { coder.code(&self[keyPath: bitmap][word: w]) }
    }
    coder.code(&timerInitialCount)
    coder.code(&timerDivideConfiguration)
    coder.code(&timerStart)
    coder.code(&timerNextExpiry)
    coder.code(&tscDeadline)
  }
}

extension FPU {
  /// The x87, MMX and SSE registers (state file version 4).
  func code(_ coder: inout StateCoder) {
    coder.section(0xF0F0_0001)
    coder.code(&control)
    coder.code(&status)
    coder.code(&tags)
    coder.code(&lastOpcode)
    coder.code(&lastInstruction)
    coder.code(&lastData)
    coder.code(&mxcsr)
    for k in 0..<16 { coder.code(&x87[k]) }
    for k in 0..<32 { coder.code(&xmm[k]) }
  }
}

extension PhysicalMemory: StateCodable {
  /// The RAM pages in use (all-zero pages are left out); mapped device memory belongs to its device.
  public func code(_ coder: inout StateCoder) {
    coder.section(0x0AA0_0001)
    var size = ramSize
    coder.code(&size)
    if size != ramSize {
      return coder.fail("the snapshot has \(size >> 20) MiB of RAM, this machine \(ramSize >> 20) MiB")
    }
    switch coder.direction {
    case .save:
      var used: [UInt32] = []
      for page in 0..<pageCount where !isZero(page: page) { used.append(UInt32(page)) }
      var count = UInt32(used.count)
      coder.code(&count)
      for var page in used {
        coder.code(&page)
        coder.code(raw: ram + Int(page) << 12, count: 0x1000)
      }
    case .restore:
      // Dropping the pages gives zero-filled ones on the next touch, as a fresh machine has.
      madvise(ram, Int(ramSize), MADV_DONTNEED)
      var count: UInt32 = 0
      coder.code(&count)
      for _ in 0..<count {
        var page: UInt32 = 0
        coder.code(&page)
        guard Int(page) < pageCount else { return coder.fail("a RAM page beyond the RAM size") }
        coder.code(raw: ram + Int(page) << 12, count: 0x1000)
      }
      for page in 0..<pageCount where codePages[page] != 0 {
        codePages[page] = 0
        pageGeneration[page] &+= 1
      }
    }
  }

  func isZero(page: Int) -> Bool {
    let words = (ram + page << 12).assumingMemoryBound(to: UInt64.self)
    for k in 0..<512 where words[k] != 0 { return false }
    return true
  }
}

extension Machine: StateCodable {
  /// The CPU and RAM; the owner of the devices codes them after this.
  public func code(_ coder: inout StateCoder) {
    cpu.code(&coder)
    memory.code(&coder)
  }
}
