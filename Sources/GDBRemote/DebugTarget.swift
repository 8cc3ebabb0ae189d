// What the stub needs from the machine it debugs. The stub (GDBStub.swift) only speaks the protocol;
// everything about the machine is behind this protocol, so it is tested with a fake target and an
// emulator adapts its own machine to it.

/// The breakpoint and watchpoint types of `Z`/`z` packets (gdb manual E.4).
public enum BreakpointKind: Int, Sendable {
  case software = 0, hardware = 1, write = 2, read = 3, access = 4
}

/// Why the target stopped, as the stop reply reports it (gdb manual E.3 "Stop Reply Packets").
public enum StopEvent: Equatable, Sendable {
  /// Stopped with a signal: 5 (SIGTRAP) after a step or on attach, 2 (SIGINT) after Ctrl-C.
  case signal(UInt8)
  case breakpoint(BreakpointKind)
  /// A watchpoint of `kind` at the data address `address`.
  case watchpoint(BreakpointKind, address: UInt64)
  /// Reverse execution reached the start of the recorded history (`replaylog:begin`).
  case historyBegin
  /// The program exited with a status; the session is over.
  case exited(UInt8)
  /// The program was terminated by a signal; the session is over.
  case terminated(UInt8)
}

/// What the stub asks the driver to do after a packet.
public enum ResumeAction: Equatable, Sendable {
  case `continue`, step, reverseStep, reverseContinue
  /// `k`: end the run.
  case kill
  /// `D`: go on without the debugger.
  case detach
}

public protocol DebugTarget: AnyObject {
  /// The register numbered as in X86Registers.all, little-endian, of the register's size.
  func readRegister(_ number: Int) -> [UInt8]
  /// False when the value cannot be written (the stub replies with an error).
  func writeRegister(_ number: Int, _ bytes: [UInt8]) -> Bool
  /// Guest-virtual memory through the current page tables; nil when any byte is unmapped.
  func readMemory(at address: UInt64, count: Int) -> [UInt8]?
  func writeMemory(at address: UInt64, _ bytes: [UInt8]) -> Bool
  /// Inserts or removes a breakpoint or watchpoint; false if it cannot be.
  func setBreakpoint(_ kind: BreakpointKind, at address: UInt64, length: UInt64, _ enabled: Bool) -> Bool
  /// A `monitor` command's output text.
  func monitor(_ command: String) -> String
  /// The reply to `?`: why the target is stopped now.
  var stopEvent: StopEvent { get }
}
