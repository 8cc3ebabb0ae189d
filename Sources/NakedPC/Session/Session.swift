// Session.swift: one emulator run of a kernel, across guest resets.
//
// A reset (the i8042's reset line, or a triple fault with --reboot) builds a fresh PC and loads the
// kernel again, as a real PC's firmware would boot it again; serial output and pending host input
// carry on. Time is the CPU's cycle counter, so the whole run is deterministic: the same kernel
// and the same input give the same screen at the same cycle.
//
// History: every input the guest receives is kept with the session cycle it arrived at
// (GuestInput.swift). `restart` boots the kernel again and replays that history, so the session can
// return to any earlier position (reverse execution) and a recording can be replayed. Positions
// before the furthest one reached (`frontier`) are the past: there, inputs come only from the
// history, output already written is not written again, and slices end where inputs arrived.

import Devices
import HostFiles
import Machine

/// Everything a run needs that does not change across resets.
package struct SessionOptions {
  package var kernelPath: String
  /// The name the guest sees (the start of the Multiboot command line); the path when nil.
  package var kernelName: String?
  package var commandLine = ""
  /// Multiboot modules as QEMU's `-initrd` takes them: each entry "FILE [ARGS]", in order.
  package var initrd: [String] = []
  /// The strings the guest sees for the modules (a replay's recorded ones); the entries when nil.
  package var moduleNames: [String]?
  package var configuration = BoardConfiguration()
  package var maxCycles: UInt64?
  package var rebootOnTripleFault = false
  package var keys: [KeyStroke] = []
  package var serialInput: [UInt8] = []
  package var exitWhenIdle = false
  package var verbose = false
  /// Live input from the terminal (`--serial-in -`), read as the user types.
  package var terminal: TerminalInput?

  package init(kernelPath: String) {
    self.kernelPath = kernelPath
  }
}

/// How a run of the guest ended or stopped.
public enum SessionResult: Equatable, Sendable {
  /// The guest wrote the value to isa-debug-exit (port 0xF4).
  case debugExit(UInt32)
  /// The guest powered off through ACPI (port 0x604).
  case powerOff
  /// The CPU halted with interrupts disabled: nothing can wake it.
  case halted
  /// All typed and serial input was consumed and the guest waits (emu's `--exit-when-idle`).
  case inputConsumed
  /// The CPU halted with interrupts enabled and no device that could ever interrupt it.
  case idleForever
  /// A triple fault (the text is the diagnostic: the exceptions and the registers).
  case tripleFault(String)
  /// An opcode the CPU does not implement, in strict mode (the text names the bytes and RIP).
  case unimplementedOpcode(String)
  /// The cycle budget (the count) was reached first; the guest can go on.
  case cycleLimit(UInt64)
  /// The user quit from the terminal (Ctrl-A x).
  case quit
  /// A debugger breakpoint stopped the guest (--gdb); it can go on.
  case breakpoint
  /// A debugger watchpoint stopped the guest after the access; it can go on.
  case watchpoint(WatchpointHit)

  /// The exit status emu gives this ending (ExitStatus.swift).
  public var status: Int32 {
    switch self {
    case .debugExit(let value): return ExitStatus.debugExit(value)
    case .powerOff, .halted, .inputConsumed, .quit, .breakpoint, .watchpoint: return ExitStatus.normal
    case .idleForever: return ExitStatus.idleForever
    case .tripleFault: return ExitStatus.tripleFault
    case .unimplementedOpcode: return ExitStatus.unimplementedOpcode
    case .cycleLimit: return ExitStatus.cycleLimit
    }
  }

  /// True when the machine is gone (powered off or exited), not merely stopped.
  public var endsTheMachine: Bool {
    switch self {
    case .debugExit, .powerOff, .quit: return true
    default: return false
    }
  }

  /// The ending in words, as emu prints it.
  public var message: String {
    switch self {
    case .debugExit(let value): return "the guest wrote 0x\(String(value, radix: 16)) to isa-debug-exit"
    case .powerOff: return "the guest powered off"
    case .halted: return "the CPU halted with interrupts disabled"
    case .inputConsumed: return "all input consumed; the guest is idle"
    case .idleForever: return "the CPU halted with interrupts enabled and no device can wake it"
    case .tripleFault(let diagnostic): return diagnostic
    case .unimplementedOpcode(let text): return text
    case .cycleLimit(let cycles): return "cycle limit of \(cycles) reached"
    case .quit: return "quit from the terminal (Ctrl-A x)"
    case .breakpoint: return "breakpoint"
    case .watchpoint(let hit): return "watchpoint at 0x\(String(hit.address, radix: 16))"
    }
  }
}

/// Input the front end scripted before the run (`--keys`, `--serial-in FILE`, the library's
/// `type`): given to the guest once it waits for input, a key at a time. Serial bytes wait for
/// that too, so the kernel's UART initialisation (which clears the FIFOs) cannot swallow them.
package struct ScriptedInput {
  package var keys: ArraySlice<KeyStroke> = []
  package var serial: [UInt8] = []

  package var isEmpty: Bool { keys.isEmpty && serial.isEmpty }
}

package final class Session {
  package let options: SessionOptions
  package let serial: SerialSink
  private let kernel: [UInt8]
  /// The `--initrd` modules, read once and loaded again at each reset.
  package let modules: [MultibootModule]
  /// The state file the session started from (`--load-state`, or the monitor's `load-state`).
  package var startState: FileIdentity?
  package var board: Board
  /// `--keys` and `--serial-in FILE` input not given to the guest yet.
  package var scriptedInput: ScriptedInput
  /// Cycles run by PCs before the last reset, so --max-cycles counts the whole session.
  package var cyclesBeforeReset: UInt64 = 0
  package var instructionsBeforeReset: UInt64 = 0
  package var resets = 0
  /// Every input so far, in order; entries from `replayNext` on are still to be replayed.
  package var history: [TimedInput] = []
  package var replayNext = 0
  /// The furthest session cycle reached (or recorded); before it the session replays.
  package var frontier: UInt64 = 0
  /// The furthest session cycle this process has run to: the guest's output before it was written.
  package var outputWritten: UInt64 = 0
  /// States to return to without booting again: the loaded state (if any) and the debugger's
  /// periodic checkpoints, in cycle order (Snapshots.swift).
  package var checkpoints: [Checkpoint] = []
  /// The state the session was loaded from (--load-state), which stands for the boot.
  package var origin: Checkpoint?
  package var keepsCheckpoints = false
  /// The PC is new (boot, reset, a full restore): the next checkpoint must hold all of RAM.
  package var checkpointNeedsBase = true
  package var namedSnapshots: [String: Checkpoint] = [:]
  /// How the recording being replayed ended; the run reaching its end cycle ends so.
  package var replayEnd: SessionResult?
  /// Terminal input that arrived while the session was in the past, given to the guest at the frontier.
  private var heldTerminalInput: [UInt8] = []
  /// Called with the new PC after each reset (the debugger puts its breakpoints back).
  package var afterReset: (() -> Void)?

  /// One millisecond of virtual time: how often the host looks in on the guest (keys, limits).
  package var sliceCycles: UInt64 { max(1, options.configuration.cyclesPerSecond / 1000) }

  /// `history` and `frontier` come from a recording being replayed: the session is in the past
  /// until `frontier`.
  package init(options: SessionOptions, serial: SerialSink, history: [TimedInput] = [], frontier: UInt64 = 0) throws {
    self.options = options
    self.serial = serial
    self.history = history
    self.frontier = frontier
    guard let bytes = InputFile.bytes(atPath: options.kernelPath) else {
      throw EmuError.load("cannot read the kernel file \(options.kernelPath)")
    }
    kernel = bytes
    var modules = try Self.readModules(options.initrd)
    for (k, name) in (options.moduleNames ?? []).enumerated() where k < modules.count { modules[k].commandLine = name }
    self.modules = modules
    scriptedInput = ScriptedInput(keys: options.keys[...], serial: options.serialInput)
    board = try Self.boot(kernel, modules: modules, options: options, serial: serial)
  }

  /// The files of `-initrd` entries: QEMU reads the file name up to the first space and gives the
  /// module the whole entry as its string (hw/i386/multiboot.c).
  package static func readModules(_ entries: [String]) throws -> [MultibootModule] {
    try entries.map { entry in
      let path = String(entry.prefix { $0 != " " })
      guard let bytes = InputFile.bytes(atPath: path) else {
        throw EmuError.load("cannot read the module (--initrd) file \(path)")
      }
      return MultibootModule(bytes: bytes, commandLine: entry)
    }
  }

  package static func boot(
    _ kernel: [UInt8], modules: [MultibootModule], options: SessionOptions, serial: SerialSink
  ) throws -> Board {
    let board = Board(configuration: options.configuration, serialOutput: { serial.write($0) })
    // Firmware runs first, then the loader: a kernel loaded over the vector table keeps its bytes.
    board.enterFirmwareHandoffState()
    do {
      // QEMU passes the kernel's file name as it was given on its command line.
      try board.machine.loadKernel(
        kernel, name: options.kernelName ?? options.kernelPath, commandLine: options.commandLine, modules: modules)
    } catch {
      throw EmuError.load("\(options.kernelPath): \(error)")
    }
    if options.verbose {
      board.machine.ports.onUnknownPort = { port, isWrite in
        OutputFile.standardError.write(
          "emu: guest \(isWrite ? "wrote to" : "read from") unknown I/O port 0x\(String(port, radix: 16))\n"
        )
      }
    }
    return board
  }

  /// The kernel file's bytes, as loaded at each reset.
  package var kernelImage: [UInt8] { kernel }

  package var totalCycles: UInt64 { cyclesBeforeReset + board.machine.stats.cycles }
  package var totalInstructions: UInt64 { instructionsBeforeReset + board.machine.stats.instructionsRetired }

  /// Runs until the guest stops, the cycle budget is spent, or `until` (a total cycle count) is
  /// reached, in which case it returns nil so a window can redraw and call again.
  package func run(until pause: UInt64 = .max) throws -> SessionResult? {
    while true {
      try replayDueInputs()
      let limit = min(options.maxCycles ?? .max, pause)
      if totalCycles >= limit {
        if let maxCycles = options.maxCycles, totalCycles >= maxCycles {
          return .cycleLimit(maxCycles)
        }
        return nil
      }
      // A recorded step is taken only when the run goes on past its position: a run that stops at
      // that position stops where the debugger was before it stepped.
      if let result = try replayStep() { return result }
      if let terminal = options.terminal {
        let (bytes, quit) = terminal.take()
        if quit { return .quit }
        heldTerminalInput += bytes
        if isLive && !heldTerminalInput.isEmpty {
          try give(.serial(heldTerminalInput))
          heldTerminalInput = []
        }
      }
      var sliceEnd = min(limit, totalCycles + sliceCycles)
      if !isLive {
        // In the past: stop where the next recorded input arrives and at the frontier.
        if replayNext < history.count { sliceEnd = min(sliceEnd, history[replayNext].cycle) }
        if totalCycles < frontier { sliceEnd = min(sliceEnd, frontier) }
        if totalCycles < outputWritten { sliceEnd = min(sliceEnd, outputWritten) }
      }
      serial.muted = totalCycles < outputWritten
      let reason = board.machine.run(until: sliceEnd - cyclesBeforeReset)
      noteProgress()
      takeCheckpointIfDue()
      switch reason {
      case .cycleLimit:
        if let result = try lookIn() { return result }
      case .idle where !scriptedInput.isEmpty:
        if let result = try lookIn() { return result }
      default:
        if let result = try map(reason) { return result }
      }
    }
  }

  /// After the machine ran: the frontier and the output written move with it, and its serial
  /// output goes out.
  private func noteProgress() {
    frontier = max(frontier, totalCycles)
    outputWritten = max(outputWritten, totalCycles)
    serial.flush()
  }

  /// Between slices: hand over serial input and type the next key when the guest is waiting for
  /// input, and notice when it has consumed everything it was given.
  private func lookIn() throws -> SessionResult? {
    guard board.machine.cpu.isHalted, isLive else { return nil }
    if !scriptedInput.serial.isEmpty {
      try give(.serial(scriptedInput.serial))
      scriptedInput.serial = []
      return nil
    }
    guard board.keyboard.pendingKeyboardBytes == 0 else { return nil }
    if let stroke = scriptedInput.keys.popFirst() {
      try give(.keyboard(stroke.scancodes))
      return nil
    }
    if options.exitWhenIdle && board.com1.pendingInputCount == 0 {
      return .inputConsumed
    }
    return nil
  }

  /// Keys to type once the guest waits for input, after those already waiting (as `--keys`).
  package func enqueueKeys(_ strokes: [KeyStroke]) {
    scriptedInput.keys.append(contentsOf: strokes)
  }

  /// Bytes for COM1's receiver, handed over once the guest waits for input (as `--serial-in FILE`).
  package func enqueueSerialInput(_ bytes: [UInt8]) {
    scriptedInput.serial += bytes
  }

  /// A fresh PC with the kernel loaded again.
  package func reset() throws {
    cyclesBeforeReset += board.machine.stats.cycles
    instructionsBeforeReset += board.machine.stats.instructionsRetired
    resets += 1
    let pending = board.com1.pendingInput
    board = try Self.boot(kernel, modules: modules, options: options, serial: serial)
    checkpointNeedsBase = true
    board.com1.enqueueInput(pending)
    afterReset?()
  }

  // MARK: History

  /// True at the frontier with nothing left to replay: inputs come from the host again.
  package var isLive: Bool { replayNext == history.count && totalCycles >= frontier }

  /// Keeps an input the caller already gave the guest in the history.
  package func note(_ input: GuestInput) {
    history.append(TimedInput(cycle: totalCycles, input: input))
    replayNext = history.count
  }

  /// Gives an input to the guest now and keeps it in the history.
  package func give(_ input: GuestInput) throws {
    note(input)
    try apply(input)
  }

  /// Keys from the window: given now at the frontier; in the past they are dropped (the guest's
  /// keys there are the ones in the history).
  package func type(_ scancodes: [UInt8]) throws {
    if isLive { try give(.keyboard(scancodes)) }
  }

  /// The front end's reset button (the monitor's `system_reset`): in the past it starts a new
  /// future from here, as a debugger's write does.
  package func pressReset() throws {
    if !isLive { divergeHere() }
    try give(.reset)
  }

  private func apply(_ input: GuestInput) throws {
    switch input {
    case .keyboard(let bytes):
      board.keyboard.enqueueScancodes(bytes)
      board.machine.interruptStateChanged()
    case .serial(let bytes):
      board.com1.enqueueInput(bytes)
      board.machine.interruptStateChanged()
    case .step:
      _ = board.machine.step()
    case .registerWrite(let number, let bytes):
      _ = MachineDebugTarget.write(register: number, bytes, to: board.machine.cpu)
    case .memoryWrite(let address, let bytes):
      _ = board.machine.cpu.debugWrite(linear: address, bytes)
    case .reset:
      try reset()
    }
  }

  /// Applies the recorded inputs due at the current cycle, up to a recorded step.
  private func replayDueInputs() throws {
    while replayNext < history.count && history[replayNext].cycle <= totalCycles && history[replayNext].input != .step {
      try apply(history[replayNext].input)
      replayNext += 1
    }
  }

  /// Takes the recorded step due at the current cycle, if one is; it can end the run, as it did
  /// when it was recorded.
  private func replayStep() throws -> SessionResult? {
    guard recordedStepIsDue else { return nil }
    // The step was taken from a breakpoint stop: a run through here stops there first, as it did.
    if board.machine.cpu.isAtBreakpoint { return .breakpoint }
    replayNext += 1
    let result = try machineStep()
    if let result, result != .breakpoint { return result }
    return nil
  }

  /// The next input to replay is a debugger's step at (or before) the current cycle.
  private var recordedStepIsDue: Bool {
    replayNext < history.count && history[replayNext].cycle <= totalCycles && history[replayNext].input == .step
  }

  /// Machine.step, as `run` reports what stopped it.
  private func machineStep() throws -> SessionResult? {
    let reason = board.machine.step()
    noteProgress()
    return try map(reason)
  }

  /// A debugger changed the guest here (a register or memory write): what the history held after
  /// this point no longer follows, so the session's future starts now.
  package func divergeHere() {
    history.removeSubrange(replayNext...)
    frontier = totalCycles
    checkpoints.removeAll { $0.cycle > totalCycles }
  }

  /// Goes back to the start of the history (the boot, or the state the session was loaded from),
  /// or to the latest checkpoint at or before `position`, with the history after it to replay: the
  /// way back to an earlier position is `restart(toward:)` then `run(until:)` it.
  package func restart(toward position: UInt64 = 0) throws {
    if let checkpoint = checkpoints.last(where: { $0.cycle <= position }) ?? origin {
      try restore(checkpoint)
    } else {
      cyclesBeforeReset = 0
      instructionsBeforeReset = 0
      resets = 0
      replayNext = 0
      board = try Self.boot(kernel, modules: modules, options: options, serial: serial)
      checkpointNeedsBase = true
    }
    afterReset?()
  }

  /// The next cycle at which a device wants to run (UInt64.max when none will), in session cycles.
  package var nextDeviceEvent: UInt64 {
    let next = board.machine.nextEventCycle
    return next == .max ? .max : cyclesBeforeReset + next
  }

  /// Whether a debugger's step at the frontier takes a pending interrupt first, as a free run does
  /// (monitor `sstep irq on`); by default it does not (QEMU's SSTEP_NOIRQ).
  package var stepsEnterInterrupts = false

  /// Runs one instruction for a debugger. At the frontier it is Machine.step (no pending interrupt
  /// entered) and becomes part of the history, or with `stepsEnterInterrupts` the next position a
  /// free run goes through (an interrupt delivery stops at the handler's first instruction); in the
  /// past it goes to the next position the history went through. Nil when it ran; otherwise how the session ended or stopped, as `run` reports it.
  package func step() throws -> SessionResult? {
    if isLive && !stepsEnterInterrupts {
      note(.step)
      return try machineStep()
    }
    let start = totalCycles
    while totalCycles == start {
      try replayDueInputs()
      if recordedStepIsDue { return try replayStep() }
      // Halted with nothing to take: time goes to the next device event (in the past also to the
      // next recorded input, which may wake the guest, and the frontier); otherwise one
      // instruction (after the interrupt delivery the history made there, if any).
      var target = totalCycles + 1
      if board.machine.cpu.isHalted && !board.machine.interruptPending {
        target = nextDeviceEvent
        if !isLive {
          target = min(target, frontier)
          if replayNext < history.count { target = min(target, history[replayNext].cycle) }
        }
      }
      if let result = try run(until: max(target, totalCycles + 1)) { return result }
    }
    return nil
  }

  /// How the session goes on from a machine stop reason: nil to go on (after a guest reset if it
  /// asked for one), or the result to report.
  private func map(_ reason: StopReason) throws -> SessionResult? {
    switch reason {
    case .stepped, .cycleLimit:
      return nil
    case .stopRequested:
      switch board.takeEvent() {
      case .debugExit(let value)?: return .debugExit(value)
      case .powerOff?: return .powerOff
      case .resetRequested?: try reset()
      case nil: break
      }
      return nil
    case .halted: return .halted
    case .idle: return .idleForever
    case .tripleFault(let text):
      if options.rebootOnTripleFault {
        OutputFile.standardError.write("emu: \(text); rebooting\n")
        try reset()
        return nil
      }
      return .tripleFault(text)
    case .unimplementedOpcode: return .unimplementedOpcode(reason.description)
    case .breakpoint: return .breakpoint
    case .watchpoint(let hit): return .watchpoint(hit)
    }
  }
}
