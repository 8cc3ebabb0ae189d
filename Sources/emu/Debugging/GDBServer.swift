// GDBServer.swift: `emu --gdb PORT`: runs the session under the control of a gdb connection.
//
// The machine is held before its first instruction until gdb continues (QEMU's `-s -S`). While the
// guest runs, the socket is looked at between short runs of virtual time, so Ctrl-C stops it within
// a few milliseconds. A guest that halts for good (HLT with IF=0, or idle with no device event)
// stays "running" from gdb's point of view until Ctrl-C, as in QEMU. When the guest ends the run
// (isa-debug-exit, power-off), gdb gets the exit status; a triple fault stops with SIGSEGV so the
// state can be looked at, and ends the run on the next resume.
//
// The same server drives the window: `service` never blocks there, and the window runs the guest
// only while `isRunning`.

import Foundation
import GDBRemote
import Machine

final class GDBServer {
  let session: Session
  let connection: GDBConnection
  let target: MachineDebugTarget
  let stub: GDBStub

  private enum State {
    /// Waiting for gdb's next command.
    case stopped
    case running
    /// The guest cannot make progress (halted for good): only Ctrl-C does anything.
    case stuck
    /// gdb detached or the connection was lost: the guest runs on without a debugger.
    case free
  }
  private var state = State.stopped
  /// Set once the run is over; the caller returns it.
  private(set) var finished: SessionResult?
  /// A stop that ends the run on the next resume (a triple fault, strict mode's unknown opcode).
  private var fatal: SessionResult?

  /// One look at the socket per this many cycles of guest time (10 ms at the default clock).
  private var runChunk: UInt64 { session.sliceCycles * 10 }

  init(session: Session, port: UInt16) throws {
    self.session = session
    connection = try GDBConnection(port: port)
    target = MachineDebugTarget(session: session)
    stub = GDBStub(target: target)
    session.afterReset = { [unowned self] in self.target.apply() }
    FileHandle.standardError.write("emu: waiting for gdb on 127.0.0.1:\(connection.port)\n".data(using: .utf8)!)
  }

  var isRunning: Bool { state == .running || state == .free }

  /// Headless: serves gdb until the run ends.
  func runHeadless() throws -> SessionResult {
    while finished == nil {
      switch state {
      case .stopped, .stuck:
        if !connection.isConnected {
          _ = connection.accept(timeout: -1)
          continue
        }
        try service(timeout: -1)
      case .running:
        if let result = try session.run(until: session.totalCycles + runChunk) { try guestStopped(result) }
        if state == .running { try service(timeout: 0) }
      case .free:
        finished = try session.run() ?? .cycleLimit(session.totalCycles)
      }
    }
    return finished!
  }

  /// Reads what gdb sent within `timeout` milliseconds (0: only what is there) and acts on it.
  func service(timeout: Int32) throws {
    if !connection.isConnected {
      guard state != .free, connection.accept(timeout: timeout == -1 ? -1 : 0) else { return }
    }
    guard let bytes = connection.read(timeout: timeout) else {
      // gdb went away without detaching: the guest goes on by itself, as after `detach`.
      detach()
      return
    }
    if bytes.isEmpty { return }
    let response = stub.receive(bytes)
    connection.write(response.output)
    if response.interrupt && (state == .running || state == .stuck) {
      report(.signal(2))
    }
    if let action = response.action { try perform(action) }
  }

  /// The session returned while the guest ran under gdb.
  func guestStopped(_ result: SessionResult) throws {
    switch result {
    case .breakpoint:
      report(.breakpoint(.software))
    case .watchpoint(let hit):
      let kind: BreakpointKind =
        switch hit.watchpoint.kind {
        case .write: .write
        case .read: .read
        case .access: .access
        }
      report(.watchpoint(kind, address: hit.address))
    case .halted, .idleForever, .inputConsumed:
      // Nothing will happen until gdb interrupts (QEMU: the vCPU just sits in HLT).
      state = .stuck
    case .tripleFault(let text), .unimplementedOpcode(let text):
      connection.write(stub.consoleOutput("emu: \(text)\n"))
      fatal = result
      report(.signal(result == .tripleFault(text) ? 11 : 4))
    case .debugExit, .powerOff, .cycleLimit, .quit:
      end(result)
    }
  }

  private func perform(_ action: ResumeAction) throws {
    if let fatal, action != .detach {
      end(fatal, signal: fatal.status == ExitStatus.tripleFault ? 11 : 4)
      return
    }
    switch action {
    case .continue:
      target.cpu.resumeOverBreakpoint()
      state = .running
    case .step:
      if let result = try session.step() {
        try guestStopped(result)
        if state == .stuck { report(.signal(5)) }
      } else {
        report(.signal(5))
      }
    case .reverseStep, .reverseContinue:
      // Not advertised in qSupported yet; an error tells gdb the target cannot do it.
      connection.write(Packet.frame("E01"))
    case .kill:
      finished = .quit
      connection.disconnect()
    case .detach:
      detach()
    }
  }

  private func detach() {
    target.clearAll()
    connection.disconnect()
    if let fatal {
      finished = fatal
    } else {
      state = .free
    }
  }

  private func report(_ event: StopEvent) {
    state = .stopped
    target.stopEvent = event
    connection.write(stub.stopped(event))
  }

  /// The guest ended the run: tell gdb how (exit status, or the signal for a fatal stop).
  private func end(_ result: SessionResult, signal: UInt8? = nil) {
    let event: StopEvent = signal.map { .terminated($0) } ?? .exited(UInt8(truncatingIfNeeded: result.status))
    connection.write(stub.stopped(event))
    connection.disconnect()
    finished = result
  }
}
