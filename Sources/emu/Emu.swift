// Emu.swift: the `emu` command line.
//
//   emu [--headless] [--dump-vga FILE|-] [--serial FILE|-] [--max-cycles N] [--memory MIB]
//       [--append CMDLINE] [--initrd FILE[,FILE...]]... [--stats] [--strict] [--keys STRING] [--serial-in FILE|-]
//       [--cpu-vendor intel|amd]
//       [--screenshot FILE.png] [--font FILE] [--realtime] [--reboot] [--rtc virtual|host]
//       [--gdb PORT] [--record FILE | --replay FILE] [KERNEL.elf]
//
// With no kernel it boots the package's own (.build/kernel/kernel.elf, built by `make kernel`).
// Exit statuses are listed in ExitStatus.swift and the README.

import ArgumentParser
import Devices
import Display
import Glibc
import HostFiles
import Machine
import NakedPC

@main
struct Emu: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "emu",
    abstract: "An x86_64 PC emulator that boots Multiboot (and PVH) kernels.",
    discussion: """
      Exit status: (v << 1) | 1 when the guest writes v to isa-debug-exit (port 0xF4), as QEMU;
      0 when it powers off or halts with interrupts disabled; 2 load error; 3 triple fault;
      4 unimplemented opcode under --strict; 5 halted forever with interrupts enabled;
      6 front-end error; 124 --max-cycles reached.
      --keys notation: text as typed on a US keyboard; \\n Enter, \\t Tab, \\b Backspace,
      \\e Escape, \\\\ backslash, \\{name} a named key (up down left right home end pgup pgdn
      ins del f1-f12).
      """)

  @ArgumentParser.Flag(help: "Run without a window (serial output goes to standard output).")
  var headless = false

  @Option(
    name: .customLong("dump-vga"),
    help: "Write the 4000 text-screen bytes to FILE when the run stops; '-' prints the 25 rows.")
  var dumpVGA: String?

  @Option(help: "Where COM1 output goes: FILE or '-' (standard output; the default when headless).")
  var serial: String?

  @Option(name: .customLong("max-cycles"), help: "Stop after this many virtual CPU cycles (exit status 124).")
  var maxCycles: UInt64?

  @Option(help: "Guest RAM in MiB.")
  var memory: Int = 128

  @Option(help: "The kernel command line (Multiboot cmdline after the kernel's name).")
  var append: String = ""

  @Option(
    help: ArgumentHelp(
      "A Multiboot module, as QEMU's -initrd: \"FILE [ARGS]\", or several separated by commas (,, is a comma).",
      discussion: "Repeatable; modules load in order after the kernel, each with its entry as its string."))
  var initrd: [String] = []

  @ArgumentParser.Flag(help: "Print instructions, cycles, wall time and MIPS to standard error at the end.")
  var stats = false

  @ArgumentParser.Flag(help: "Stop with a report on an unimplemented opcode instead of raising #UD in the guest.")
  var strict = false

  @Option(
    help: ArgumentHelp(
      "Whose rules the CPU follows where Intel and AMD differ: intel (default) or amd.",
      discussion:
        "As QEMU's -cpu ...,vendor=AuthenticAMD: the CPUID vendor and signature, SYSCALL in compatibility mode, no SYSENTER in long mode, the legacy performance-counter MSRs."
    ))
  var cpuVendor: String = "intel"

  @ArgumentParser.Flag(help: "Report accesses to I/O ports no device decodes.")
  var verbose = false

  @Option(help: "Type these keys once the guest waits for input (see the notation below).")
  var keys: String?

  @Option(
    name: .customLong("serial-in"),
    help: "Feed COM1's receiver from FILE, or '-' for the terminal as you type (Ctrl-A x quits).")
  var serialIn: String?

  @ArgumentParser.Flag(
    name: .customLong("exit-when-idle"),
    help: "Stop (status 0) once all --keys and --serial-in input is consumed and the guest waits in HLT.")
  var exitWhenIdle = false

  @ArgumentParser.Flag(help: "On a triple fault, reset and boot the kernel again instead of stopping.")
  var reboot = false

  @Option(help: "RTC time source: 'virtual' (deterministic, from 2000-01-01) or 'host'.")
  var rtc: String = "virtual"

  @Option(help: "Write the screen as the window shows it to FILE.png when the run stops.")
  var screenshot: String?

  @Option(help: "A Linux console font (PSF1/PSF2, gzipped or not, 8x16). Default: \(ConsoleFont.defaultPath).")
  var font: String?

  @ArgumentParser.Flag(help: "Headless: pace virtual time to the host's clock, as the window does.")
  var realtime = false

  @Option(
    help: "Wait for gdb on 127.0.0.1:PORT before the first instruction (QEMU's -s -S); 0 picks a free port.")
  var gdb: UInt16?

  @Option(name: .customLong("save-state"), help: "Write a snapshot of the whole machine to FILE when the run stops.")
  var saveState: String?

  @Option(
    name: .customLong("load-state"), help: "Start from a snapshot written by --save-state (same kernel and --memory).")
  var loadState: String?

  @Option(help: "Write every input the run receives, with the cycle it arrived at, to FILE when it ends.")
  var record: String?

  @Option(help: "Repeat the run recorded in FILE exactly (its options and inputs; see the README).")
  var replay: String?

  @Argument(help: "The kernel (an ELF with a Multiboot header or a PVH note).")
  var kernel: String?

  func validate() throws {
    guard memory >= 2 && memory <= 3072 else {
      throw ValidationError("--memory must be between 2 and 3072 MiB")
    }
    guard rtc == "virtual" || rtc == "host" else {
      throw ValidationError("--rtc takes 'virtual' or 'host'")
    }
    guard cpuVendor == "intel" || cpuVendor == "amd" else {
      throw ValidationError("--cpu-vendor takes 'intel' or 'amd'")
    }
    if replay != nil {
      guard keys == nil, serialIn == nil, record == nil else {
        throw ValidationError("--replay takes its input from the recording: no --keys, --serial-in or --record")
      }
    }
  }

  func run() {
    let status = execute()
    // Straight to exit(3), which flushes standard output: thrown as ExitCode, the status went
    // through ArgumentParser's error reporting, whose reflection over the command cost a tenth of
    // the launch to the shell prompt; and the machine's memory is the host kernel's to unmap.
    Glibc.exit(status)
  }

  private func execute() -> Int32 {
    do {
      var options = SessionOptions(kernelPath: kernel ?? Self.defaultKernelPath)
      options.commandLine = append
      options.initrd = initrd.flatMap(Self.splitModules)
      options.configuration.memoryMiB = memory
      options.configuration.strict = strict
      options.configuration.cpuVendor = cpuVendor == "amd" ? .amd : .intel
      options.configuration.rtcSource = rtc == "host" ? .host : .deterministic
      if rtc == "host" && (record != nil || gdb != nil) {
        // The host's clock, read once: a recording (and reverse execution) must see the same time again.
        options.configuration.rtcSource = .virtual(epoch: Int64(time(nil)))
      }
      options.maxCycles = maxCycles
      options.rebootOnTripleFault = reboot
      options.exitWhenIdle = exitWhenIdle
      options.verbose = verbose
      if let keys {
        do {
          options.keys = try USKeyboardLayout.parseKeys(keys)
        } catch {
          throw EmuError.frontEnd("--keys: \(error)")
        }
      }
      if serialIn == "-" {
        options.terminal = TerminalInput()
      } else if let serialIn {
        guard let bytes = InputFile.bytes(atPath: serialIn) else {
          throw EmuError.frontEnd("cannot read --serial-in file \(serialIn)")
        }
        options.serialInput = bytes
      }
      // The font is read up front so a missing font is reported before anything runs.
      let displayFont = headless && screenshot == nil ? nil : try loadFont()
      let recording = try replay.map { try RecordReplay.load($0, into: &options) }
      let sink = try SerialSink(path: serial ?? "-")
      // Every output path is opened before the guest runs: a bad one is an error up front.
      let screenFile = try dumpVGA.flatMap { $0 == "-" ? nil : try OutputFile(path: $0, what: "--dump-vga file") }
      let screenshotFile = try screenshot.map { try OutputFile(path: $0, what: "screenshot") }
      let recordFile = try record.map { try OutputFile(path: $0, what: "recording") }
      let stateFile = try saveState.map { try OutputFile(path: $0, what: "state file") }
      let session = try Session(
        options: options, serial: sink, history: recording?.inputs ?? [], frontier: recording?.endCycle ?? 0)
      session.replayEnd = recording?.result
      let startState = try loadState.map { path in
        guard let bytes = InputFile.bytes(atPath: path) else {
          throw EmuError.load("cannot read the state file \(path)")
        }
        return bytes
      }
      if let recording, let replay {
        try RecordReplay.checkFiles(
          of: recording, path: replay, session: session, loaded: startState, loadedPath: loadState)
      }
      if let startState, let loadState { try session.loadStateFile(startState, path: loadState) }
      let debugger = try gdb.map { try GDBServer(session: session, port: $0) }
      let started = monotonicSeconds()
      var result: SessionResult
      if headless {
        result = try debugger?.runHeadless() ?? runHeadless(session)
      } else {
        result = try WindowRunner(session: session, font: displayFont!, debugger: debugger).run()
      }
      let elapsed = monotonicSeconds() - started
      sink.flush()
      if let recording { result = try RecordReplay.check(result, of: session, against: recording) }
      if let recordFile { try recordFile.write(RecordReplay.recording(of: session, result: result).encoded()) }
      if let stateFile { try stateFile.write(session.stateFile()) }
      try finish(session, font: displayFont, screenFile: screenFile, screenshotFile: screenshotFile)
      if result.status != ExitStatus.normal && !result.endsTheMachine {
        OutputFile.standardError.write("emu: \(result.message)\n")
      }
      if stats { printStats(session, seconds: elapsed) }
      return result.status
    } catch EmuError.load(let message) {
      OutputFile.standardError.write("emu: \(message)\n")
      return ExitStatus.loadError
    } catch {
      OutputFile.standardError.write("emu: \(error)\n")
      return ExitStatus.frontEndError
    }
  }

  /// Runs without a window: as fast as possible, or paced to the host clock with --realtime.
  private func runHeadless(_ session: Session) throws -> SessionResult {
    guard realtime else {
      // Without a pause point, run() returns only when the guest or the cycle budget stops it.
      return try session.run() ?? .cycleLimit(session.totalCycles)
    }
    let started = monotonicSeconds()
    let cyclesPerSecond = Double(session.options.configuration.cyclesPerSecond)
    while true {
      let target = UInt64((monotonicSeconds() - started) * cyclesPerSecond) + session.sliceCycles
      if let result = try session.run(until: target) { return result }
      usleep(1000)
    }
  }

  private func loadFont() throws -> VGAFont {
    do {
      return try VGAFont.load(path: font)
    } catch {
      throw EmuError.frontEnd("font: \(error)")
    }
  }

  /// The outputs written when the run stops.
  private func finish(_ session: Session, font: VGAFont?, screenFile: OutputFile?, screenshotFile: OutputFile?) throws {
    let screen = session.board.vga.screen()
    if dumpVGA == "-" {
      print(ScreenText.rows(screen.cells).joined(separator: "\n"))
    } else if let screenFile {
      try screenFile.write(screen.cells)
    }
    if let screenshotFile, let font {
      try Screenshot.write(screen, renderer: TextModeRenderer(font: font), to: screenshotFile)
    }
  }

  private func printStats(_ session: Session, seconds: Double) {
    let instructions = session.totalInstructions
    let mips = seconds > 0 ? Double(instructions) / seconds / 1e6 : 0
    let perBlock =
      Double(session.board.machine.stats.instructionsRetired) / Double(max(1, session.board.machine.stats.blocksRun))
    let resets = session.resets > 0 ? ", \(session.resets) resets" : ""
    let text =
      "emu: \(instructions) instructions, \(session.totalCycles) cycles, \(fixed(seconds, digits: 3)) s, "
      + "\(fixed(mips, digits: 1)) MIPS, \(fixed(perBlock, digits: 1)) instructions per block\(resets)\n"
    OutputFile.standardError.write(text)
  }

  /// One -initrd argument as QEMU splits it (get_opt_value): entries at single commas, ",," a comma.
  static func splitModules(_ argument: String) -> [String] {
    var entries: [String] = []
    var current = ""
    var characters = Array(argument)[...]
    while let character = characters.popFirst() {
      if character == "," {
        if characters.first == "," {
          characters.removeFirst()
          current.append(",")
        } else {
          entries.append(current)
          current = ""
        }
      } else {
        current.append(character)
      }
    }
    entries.append(current)
    return entries
  }

  /// The package's own kernel, found from this source file's location.
  static var defaultKernelPath: String {
    // Sources/emu/Emu.swift, three levels below the package root.
    var root = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    root.removeLast(3)
    return root.joined(separator: "/") + "/.build/kernel/kernel.elf"
  }
}
