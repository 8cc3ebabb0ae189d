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

import GDBRemote
import HostFiles
import Machine

package final class GDBServer {
  package let session: Session
  package let connection: GDBConnection
  package let target: MachineDebugTarget
  package let stub: GDBStub

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
  package private(set) var finished: SessionResult?
  /// A stop that ends the run on the next resume (a triple fault, strict mode's unknown opcode).
  private var fatal: SessionResult?

  /// One look at the socket per this many cycles of guest time (10 ms at the default clock).
  private var runChunk: UInt64 { session.sliceCycles * 10 }

  package init(session: Session, port: UInt16) throws {
    self.session = session
    connection = try GDBConnection(port: port)
    target = MachineDebugTarget(session: session)
    stub = GDBStub(target: target)
    putMarksBackAfterResets()
    session.keepsCheckpoints = true
    OutputFile.standardError.write("emu: waiting for gdb on 127.0.0.1:\(connection.port)\n")
  }

  package var isRunning: Bool { state == .running || state == .free }

  /// Headless: serves gdb until the run ends.
  package func runHeadless() throws -> SessionResult {
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
  package func service(timeout: Int32) throws {
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
  package func guestStopped(_ result: SessionResult) throws {
    if let event = Self.debugStop(result) { return report(event) }
    switch result {
    case .breakpoint, .watchpoint:
      break  // reported above
    case .halted, .idleForever, .inputConsumed:
      // Nothing will happen until gdb interrupts (QEMU: the vCPU just sits in HLT).
      state = .stuck
    case .tripleFault(let text), .unimplementedOpcode(let text):
      connection.write(stub.consoleOutput("emu: \(text)\n"))
      fatal = result
      report(.signal(Self.signal(for: result)))
    case .cycleLimit where session.replayEnd != nil:
      // The end of a replayed recording: gdb hears how the recorded run ended.
      end(session.replayEnd!)
    case .debugExit, .powerOff, .cycleLimit, .quit:
      end(result)
    }
  }

  private func perform(_ action: ResumeAction) throws {
    if let fatal, action != .detach {
      end(fatal, signal: Self.signal(for: fatal))
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
    case .reverseStep:
      try reverseStep()
    case .reverseContinue:
      try reverseContinue()
    case .kill:
      finished = .quit
      connection.disconnect()
    case .detach:
      detach()
    }
  }

  // MARK: Reverse execution
  //
  // The session's history (Session.swift) makes every earlier position reachable: boot again and
  // replay to it. Positions are session cycles at instruction boundaries; the one before the
  // current position is found by replaying to a little before it and stepping forward through
  // the positions the history went through.

  private func reverseStep() throws {
    let now = session.totalCycles
    // The search steps forward over positions where gdb's breakpoints sit (a `next` leaves one at
    // the line it stepped from): with them in, a step there would stop instead of moving on.
    let previous = try withoutMarks { () -> UInt64 in
      var margin: UInt64 = 4096
      while true {
        let from = now > margin ? now - margin : 0
        try replay(to: from)
        var previous: UInt64? = session.totalCycles < now ? session.totalCycles : nil
        while session.totalCycles < now {
          let before = session.totalCycles
          _ = try session.step()
          if session.totalCycles <= before { break }  // the guest cannot move on (halted for good)
          if session.totalCycles < now { previous = session.totalCycles }
        }
        if let previous {
          try replay(to: previous)
          return previous
        }
        if from == 0 {
          try replay(to: 0)
          return 0
        }
        margin *= 16
      }
    }
    report(previous == 0 ? .historyBegin : .signal(5))
  }

  private func reverseContinue() throws {
    let now = session.totalCycles
    // Run the history again with the breakpoints and watchpoints in, noting every stop before now:
    // from the latest checkpoint first, then from the one before it, and so on back to the start.
    var end = now
    let starts = [0] + session.checkpoints.map(\.cycle).filter { $0 > 0 && $0 < now }
    for start in starts.reversed() {
      try session.restart(toward: start)
      var last: (cycle: UInt64, event: StopEvent)?
      while session.totalCycles < end {
        guard let result = try session.run(until: end), let event = Self.debugStop(result) else { break }
        let here = session.totalCycles
        if here < end { last = (here, event) }
        if case .breakpoint = result { target.cpu.resumeOverBreakpoint() }
      }
      if let last {
        try withoutMarks { try replay(to: last.cycle) }
        report(last.event)
        return
      }
      end = start
    }
    try withoutMarks { try replay(to: 0) }
    report(.historyBegin)
  }

  /// Runs `body` with no breakpoint or watchpoint in the PCs it builds, and puts them back in the
  /// PC it leaves.
  private func withoutMarks<Result>(_ body: () throws -> Result) rethrows -> Result {
    session.afterReset = nil
    defer {
      putMarksBackAfterResets()
      target.apply()
    }
    return try body()
  }

  /// Boots again (or restores a checkpoint) and replays the history to `position`; inside
  /// `withoutMarks`, nothing stops it on the way.
  private func replay(to position: UInt64) throws {
    try session.restart(toward: position)
    if position > session.totalCycles { _ = try session.run(until: position) }
  }

  /// Each PC the session builds (a guest reset, a restart) gets the debugger's breakpoints and
  /// watchpoints.
  private func putMarksBackAfterResets() {
    session.afterReset = { [unowned self] in self.target.apply() }
  }

  /// The stop reply for a breakpoint or watchpoint stop; nil for any other result.
  private static func debugStop(_ result: SessionResult) -> StopEvent? {
    switch result {
    case .breakpoint:
      return .breakpoint(.software)
    case .watchpoint(let hit):
      let kind: BreakpointKind
      switch hit.watchpoint.kind {
      case .write: kind = .write
      case .read: kind = .read
      case .access: kind = .access
      }
      return .watchpoint(kind, address: hit.address)
    default:
      return nil
    }
  }

  /// The signal gdb hears for a stop the run cannot go on from: SIGSEGV for a triple fault,
  /// SIGILL for strict mode's unimplemented opcode.
  private static func signal(for fatal: SessionResult) -> UInt8 {
    if case .tripleFault = fatal { return 11 }
    return 4
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
