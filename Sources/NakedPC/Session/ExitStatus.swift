// ExitStatus.swift: what emu's exit status means. Scripts and the test suite rely on these.

package enum ExitStatus {
  /// The guest powered off (ACPI) or halted with interrupts disabled.
  package static let normal: Int32 = 0
  /// The kernel file could not be read or loaded (the message names what is wrong).
  package static let loadError: Int32 = 2
  /// Triple fault without --reboot (the diagnostic is on stderr).
  package static let tripleFault: Int32 = 3
  /// --strict met an unimplemented opcode (bytes and RIP on stderr).
  package static let unimplementedOpcode: Int32 = 4
  /// HLT with interrupts enabled and no device that could ever wake the CPU.
  package static let idleForever: Int32 = 5
  /// A front-end error (missing font, unwritable output file, no display).
  package static let frontEndError: Int32 = 6
  /// --max-cycles was reached first.
  package static let cycleLimit: Int32 = 124

  /// isa-debug-exit: the guest wrote `value`; QEMU exits with (value << 1) | 1, and so do we.
  package static func debugExit(_ value: UInt32) -> Int32 {
    Int32(truncatingIfNeeded: (value << 1) | 1)
  }
}
