// Interrupts.swift: bringing up interrupt handling, and the one entry point for all vectors.
//
// Order matters: the GDT with its TSS first (gates refer to its code segment and IST stacks), then
// the IDT, then the PICs are remapped so that hardware IRQs no longer collide with exception
// vectors, and only then may RFLAGS.IF be set.

enum Interrupts {
  /// Installs the GDT, TSS and IDT. Interrupts stay disabled.
  static func initialize() {
    GDT.install()
    IDT.install()
  }

  /// Runs `body` with interrupts disabled, restoring the previous state after.
  @inline(__always)
  static func withoutInterrupts<Result>(_ body: () -> Result) -> Result {
    let enabled = hw_read_flags() & (1 << 9) != 0
    hw_disable_interrupts()
    let result = body()
    if enabled { hw_enable_interrupts() }
    return result
  }
}

/// Called by Arch/interrupts.S for every vector with the saved machine state.
@_cdecl("interrupt_dispatch")
public func interruptDispatch(_ rawFrame: UnsafeMutableRawPointer) {
  let frame = rawFrame.assumingMemoryBound(to: InterruptFrame.self)
  let vector = Int(frame.pointee.vector)
  if vector < 32 {
    Exception.handle(frame)
  } else {
    HardwareInterrupts.handle(irq: vector - 32)
  }
}
