// XBEGIN, XEND, XABORT, XTEST (SDM Vol. 2C; restricted transactional memory, Vol. 1 16.3). How a
// transaction runs and is undone: CPU/Transaction.swift.

extension CPU {
  func executeTransactional(_ i: Instruction) throws(Fault) {
    // #UD where CPUID has no RTM; TSX_CTRL's CPUID_CLEAR only hides the bit, RTM_DISABLE makes
    // XBEGIN abort instead.
    guard hasRTM else { throw Fault.invalidOpcode }
    switch i.op {
    case .xbegin:
      if transaction.depth != 0 {
        if transaction.depth == Transaction.maximumDepth { return abortTransaction(status: 0) }
        transaction.depth += 1
        return
      }
      // The offset is added at full width even with a 16-bit operand size, unlike a near jump's.
      var fallback = nextRIP &+ i.immediate
      if mode == .long64 {
        if !isCanonicalLinear(fallback) { throw Fault.gp(0) }
      } else {
        fallback &= 0xFFFF_FFFF
        if fallback > UInt64(segments[Seg.cs].limit) { throw Fault.gp(0) }
      }
      startTransaction(fallback: fallback)
      if tsxControl & TSXControl.rtmDisable != 0 {
        abortTransaction(status: 0)
      } else if flagBits & Flag.tf != 0 {
        // The single-step #DB after XBEGIN is inside the transaction: a debug abort, and the #DB is
        // not delivered (SDM Vol. 1 16.3.7; advanced RTM debugging, DR7.RTM, is not modelled).
        abortTransaction(status: AbortStatus.debug)
      } else if !instructionBreakpoints.isEmpty || !guestWatched.isEmpty {
        // Enabled guest breakpoints are not tracked inside transactions: an abort for a reason of
        // the implementation's own.
        abortTransaction(status: 0)
      }
    case .xend:
      if transaction.depth == 0 { throw Fault.gp(0) }
      transaction.depth -= 1
      if transaction.depth == 0 { commitTransaction() }
    case .xabort:
      // Outside a transaction XABORT is a NOP.
      if transaction.depth != 0 {
        abortTransaction(status: UInt32(i.immediate & 0xFF) << 24 | AbortStatus.explicit)
      }
    case .xtest:
      // ZF clear inside a transaction; CF OF SF PF AF cleared.
      materializeFlags()
      flagBits &= ~Flag.arithmetic
      if transaction.depth == 0 { flagBits |= Flag.zf }
    default:
      throw Fault.invalidOpcode
    }
  }
}
