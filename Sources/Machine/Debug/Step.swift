// Single-stepping for a debugger: exactly one instruction, as gdb's `stepi` expects.
//
// Like QEMU's default (SSTEP_NOIRQ), a step does not enter a pending interrupt's handler: the
// interrupt stays pending and is taken on the next continue. Device time still advances with the
// instruction's cycles, so a stepped run stays on the same timeline as a free one. Stepping a HLT
// with interrupts enabled waits, in virtual time, for the next device event that raises an interrupt
// and then stops after the HLT (the interrupt still pending).

extension Machine {
  /// Runs one instruction (even if it sits at a breakpoint) and returns `.stepped`, or why it could
  /// not: a watchpoint hit by the instruction, a halt, a triple fault, a stop request.
  public func step() -> StopReason {
    if cpu.stopRequested {
      cpu.stopRequested = false
      return .stopRequested
    }
    if cpu.isHalted { return waitForInterrupt() }
    cpu.resumeOverBreakpoint()
    cpu.endsSlice = false
    cpu.sliceLimit = .max
    cpu.deviceDeadline = nextEventCycle
    cpu.singleStepFollowsResult = false
    cpu.runBlock(until: .max, single: true, singleStep: cpu.rflags & Flag.tf != 0)
    let reason = takeExit()
    advanceDevices()
    return reason ?? .stepped
  }

  /// An NMI or an interrupt request is waiting to be taken (whether IF allows it or not).
  public var interruptPending: Bool { (cpu.nmiPending && !cpu.nmiBlocked) || cpu.maskableInterruptPending }

  /// HLT with IF=1 under a step: time moves to device events until one makes an interrupt pending.
  private func waitForInterrupt() -> StopReason {
    var next = nextEventCycle
    while true {
      if interruptPending {
        cpu.isHalted = false
        return .stepped
      }
      if next == .max { return .idle }
      cpu.cycles = max(cpu.cycles, next)
      next = advanceDevices()
    }
  }
}
