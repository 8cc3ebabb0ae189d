// Debugger breakpoints: execution stops before the instruction at a linear address runs.
//
// Why this costs nothing while no breakpoint is set, and only the breakpoint's own instruction while
// some are: breakpoints are decided when a block is decoded, never per instruction. A block never
// holds a breakpoint address past its first instruction (decodeBlock ends the block before one), and
// the instruction at a breakpoint is never cached, so every arrival there misses the block cache, and
// the miss path stops (CPU/BlockCache.swift, decodeBlock).
// Guest memory is never written: the guest cannot see or overwrite a breakpoint, and it survives the
// kernel being loaded or rewriting its own code (unlike INT3 patching; see blog_os #683, #876).

extension CPU {
  /// Sets or clears the breakpoint at a linear address. Decoded blocks are dropped so that blocks are
  /// cut at the new set of addresses.
  public func setBreakpoint(at linear: UInt64, _ enabled: Bool) {
    if enabled { breakpoints.insert(linear) } else { breakpoints.remove(linear) }
    hasBreakpoints = !breakpoints.isEmpty
    blocks.flush()
  }

  /// The linear addresses with a breakpoint.
  public var breakpointAddresses: Set<UInt64> { breakpoints }

  /// The next instruction runs even if it sits at a breakpoint: resuming from a breakpoint stop must
  /// not stop at the same place again.
  public func resumeOverBreakpoint() {
    breakpointResume = (instructionsRetired, linear(Seg.cs.rawValue, rip))
  }

  /// True when RIP is at a breakpoint that the next instruction would stop at.
  public var isAtBreakpoint: Bool {
    let here = linear(Seg.cs.rawValue, rip)
    if let resume = breakpointResume, resume.instructions == instructionsRetired, resume.linear == here {
      return false
    }
    return hasBreakpoints && breakpoints.contains(here)
  }

  /// The block lookup arrived at a breakpoint: stop, unless this is the instruction the
  /// debugger resumed from.
  func stopsAtBreakpoint() -> Bool {
    guard isAtBreakpoint else { return false }
    stop(.breakpoint)
    return true
  }
}
