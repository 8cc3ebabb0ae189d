// GuestInput.swift: what a run did not determine itself.
//
// A run is the kernel, the options, and the inputs the guest received, each at the session cycle it
// received it. Given those, the machine is deterministic, so the same inputs at the same cycles give
// the same run, however the host happened to slice it (Session.swift) - which is what replaying a
// recording and reverse execution rely on.

/// One input to the guest.
package enum GuestInput: Equatable {
  /// PS/2 scancode bytes queued on the i8042 (a typed key from --keys or the window).
  case keyboard([UInt8])
  /// Bytes put into COM1's receiver (--serial-in, the terminal).
  case serial([UInt8])
  /// A debugger's single step: one instruction without entering a pending interrupt (Machine.step),
  /// which a free run would not do.
  case step
  /// A debugger's write to a register (gdb's numbering, X86Registers) or to guest-virtual memory.
  case registerWrite(number: Int, bytes: [UInt8])
  case memoryWrite(address: UInt64, bytes: [UInt8])
  /// The front end's reset (the monitor's `system_reset`): the PC starts again from the boot, as a
  /// guest-requested reset does.
  case reset
}

/// An input and the session cycle (Session.totalCycles) at which the guest received it.
package struct TimedInput: Equatable {
  package var cycle: UInt64
  package var input: GuestInput
}
