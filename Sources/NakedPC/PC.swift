// PC.swift: the standard PC with a kernel in it, as a kernel's own test drives it.
//
// This is the library's front door: `emu` runs the same Session, Board and devices, so a test
// that passes here passes in emu at the same cycle, and the other way round. Everything is
// deterministic: the same kernel and the same calls give the same screen, serial output and
// cycle count on every machine.

import Devices
import Display
import Machine

/// A PC (QEMU's `pc` machine as a kernel sees it) running one kernel, in process.
///
/// Build it from a Multiboot (or PVH) ELF, run it until the guest shows what you wait for, type at
/// it, and look at its screen and serial output:
///
/// ```swift
/// let pc = try PC(kernelPath: ".build/kernel/kernel.elf")
/// try pc.run(untilSerialContains: "> ", maxCycles: 2_000_000_000)
/// pc.type("echo hi\n")
/// try pc.run(untilSerialContains: "hi\r\n> ", maxCycles: 2_000_000_000)
/// XCTAssertEqual(pc.screenRows[1], "> echo hi")
/// ```
///
/// Time is virtual: it advances by the cycles the guest runs (100 million a second), never with
/// the host's clock, so a test sees the same thing at the same cycle however loaded its machine
/// is. A guest reset (the i8042 reset line) boots the kernel again, as a PC's firmware would;
/// serial output carries on.
public final class PC {
  private let session: Session
  private let serial: SerialSink
  /// How the guest stopped, once it did; it runs no further.
  public private(set) var stop: SessionResult?
  /// An error from `type` (an unknown key), thrown by the next run so it is not lost.
  private var deferredError: PCError?

  /// Loads `kernelPath` into a fresh PC, ready to run from its first instruction.
  ///
  /// - Parameters:
  ///   - kernelPath: an ELF64 or ELF32 kernel with a Multiboot v1 header or a PVH note.
  ///   - memoryMiB: guest RAM, 2 to 3072 MiB (QEMU's `-m`).
  ///   - commandLine: the Multiboot command line after the kernel's name (QEMU's `-append`).
  ///   - kernelName: the name the guest sees at the start of its command line; `kernelPath` when nil.
  ///   - initrdPaths: Multiboot modules, in order, as QEMU's `-initrd` entries: "FILE [ARGS]", the
  ///     whole entry being the module's string.
  /// - Throws: ``PCError/load(_:)`` when a file cannot be read or is not a kernel this PC boots.
  public init(
    kernelPath: String, memoryMiB: Int = 128, commandLine: String = "", kernelName: String? = nil,
    initrdPaths: [String] = []
  ) throws(PCError) {
    guard (2...3072).contains(memoryMiB) else {
      throw .load("memoryMiB must be between 2 and 3072, not \(memoryMiB)")
    }
    var options = SessionOptions(kernelPath: kernelPath)
    options.configuration.memoryMiB = memoryMiB
    options.commandLine = commandLine
    options.kernelName = kernelName
    options.initrd = initrdPaths
    do {
      serial = try SerialSink(path: nil, keepsOutput: true)
      session = try Session(options: options, serial: serial)
    } catch {
      throw .load("\(error)")
    }
  }

  // MARK: Running

  /// Runs until COM1 has sent `text` (anywhere in its output so far).
  ///
  /// - Parameters:
  ///   - text: what to wait for, as UTF-8 bytes (the kernel's serial console sends CR LF).
  ///   - maxCycles: the most cycles to run in this call.
  /// - Throws: ``PCError/guestStopped(_:_:)`` when the guest stops first (exit, power-off, triple
  ///   fault, halt), ``PCError/timedOut(_:_:)`` when `maxCycles` pass first.
  public func run(untilSerialContains text: String, maxCycles: UInt64) throws(PCError) {
    let needle = Array(text.utf8)
    var searchedUpTo = 0
    try run(until: "serial output containing \(String(reflecting: text))", maxCycles: maxCycles) { pc in
      let output = pc.serial.kept
      // Only the new output (and the needle's length before it) needs looking at.
      let start = max(0, searchedUpTo - needle.count + 1)
      searchedUpTo = output.count
      return output[start...].firstRange(of: needle) != nil
    }
  }

  /// Runs until the text screen shows `text` on one of its rows.
  ///
  /// - Parameters:
  ///   - text: what to wait for, within one row (as in ``screenRows``).
  ///   - maxCycles: the most cycles to run in this call.
  /// - Throws: as ``run(untilSerialContains:maxCycles:)``.
  public func run(untilScreenContains text: String, maxCycles: UInt64) throws(PCError) {
    try run(until: "the screen showing \(String(reflecting: text))", maxCycles: maxCycles) { pc in
      pc.screenRows.contains { $0.contains(text) }
    }
  }

  /// Runs until `condition` holds; it is asked about every millisecond of virtual time.
  ///
  /// - Parameters:
  ///   - description: what is waited for, for the error message.
  ///   - maxCycles: the most cycles to run in this call.
  ///   - condition: asked with this PC; the run ends when it returns true.
  /// - Throws: as ``run(untilSerialContains:maxCycles:)``.
  public func run(
    until description: String, maxCycles: UInt64, where condition: (PC) -> Bool
  ) throws(PCError) {
    if let stop { throw .guestStopped(stop, report(waitingFor: description)) }
    try throwDeferredError()
    let limit = cycleLimit(after: maxCycles)
    while !condition(self) {
      guard session.totalCycles < limit else {
        throw .timedOut(maxCycles, report(waitingFor: description))
      }
      let result: SessionResult?
      do {
        result = try session.run(until: min(limit, session.totalCycles + session.sliceCycles))
      } catch {
        throw .load("\(error)")
      }
      if let result {
        stop = result
        // What the guest did before it stopped counts: its last words may be what was awaited.
        if condition(self) { return }
        throw .guestStopped(result, report(waitingFor: description))
      }
    }
  }

  /// Runs until the guest stops (writes to isa-debug-exit, powers off, halts for good, triple
  /// faults) or `maxCycles` pass, and says which.
  ///
  /// - Returns: how the guest stopped, or ``SessionResult/cycleLimit(_:)`` with the cycle count
  ///   reached; the guest can run on after a cycle limit, not after a stop.
  @discardableResult
  public func run(maxCycles: UInt64) throws(PCError) -> SessionResult {
    if let stop { return stop }
    try throwDeferredError()
    let result: SessionResult?
    do {
      result = try session.run(until: cycleLimit(after: maxCycles))
    } catch {
      throw .load("\(error)")
    }
    guard let result else { return .cycleLimit(session.totalCycles) }
    stop = result
    return result
  }

  /// The session cycle `maxCycles` from now, saturating.
  private func cycleLimit(after maxCycles: UInt64) -> UInt64 {
    let end = session.totalCycles.addingReportingOverflow(maxCycles)
    return end.overflow ? .max : end.partialValue
  }

  private func throwDeferredError() throws(PCError) {
    if let deferredError {
      self.deferredError = nil
      throw deferredError
    }
  }

  /// What a failed wait reports: what was awaited, and where the guest was.
  private func report(waitingFor description: String) -> String {
    let screen = screenRows.enumerated().filter { !$0.element.isEmpty }.map { "  \($0.offset): \($0.element)" }
    let tail = String(decoding: serialOutput.suffix(400), as: UTF8.self)
    return "waiting for \(description) at cycle \(cycles); screen:\n\(screen.joined(separator: "\n"))\n"
      + "serial (last 400 bytes): \(String(reflecting: tail))"
  }

  // MARK: Input

  /// Types `keys` on the PS/2 keyboard, one key each time the guest waits for input (halts), as
  /// `emu --keys` does: text as typed on a US keyboard, a newline is Enter, and the `--keys`
  /// escapes (`\\n`, `\\t`, `\\b`, `\\e`, `\\{name}` for up, down, f1 ... f12 and the others).
  ///
  /// A key the layout has no key for is an error the next `run` throws; nothing is typed then.
  public func type(_ keys: String) {
    do {
      session.enqueueKeys(try USKeyboardLayout.parseKeys(keys))
    } catch {
      if deferredError == nil { deferredError = .invalidKeys("\(String(reflecting: keys)): \(error)") }
    }
  }

  /// Presses the PC's reset button: the kernel boots again from its file, with the same options,
  /// as after a guest-requested reset (``resets`` counts it). A guest that stopped can run again.
  public func pressReset() throws(PCError) {
    do {
      try session.pressReset()
    } catch {
      throw .load("\(error)")
    }
    stop = nil
  }

  /// Sends `bytes` to COM1's receiver, handed over once the guest waits for input (as
  /// `emu --serial-in FILE`, so a kernel's UART set-up cannot discard them).
  public func sendSerial(_ bytes: [UInt8]) {
    session.enqueueSerialInput(bytes)
  }

  /// Sends `text` as UTF-8 to COM1's receiver (see ``sendSerial(_:)-([UInt8])``).
  public func sendSerial(_ text: String) {
    sendSerial(Array(text.utf8))
  }

  // MARK: What the guest shows

  /// The 25 rows of the text screen as Unicode text (code page 437), trailing blanks removed.
  public var screenRows: [String] { ScreenText.rows(screenBytes) }

  /// The 4000 bytes of the text screen: character and attribute for each of 80 x 25 cells.
  public var screenBytes: [UInt8] { session.board.vga.screen().cells }

  /// Everything COM1 has sent so far, across guest resets.
  public var serialOutput: [UInt8] { serial.kept }

  /// ``serialOutput`` as UTF-8 text.
  public var serialText: String { String(decoding: serial.kept, as: UTF8.self) }

  /// The screen as a 720 x 400 PNG, exactly as emu's window draws it (cursor and blinking text
  /// in their visible phase), in the console font at `fontPath` (the system's 8x16 font when nil).
  ///
  /// - Throws: ``PCError/font(_:)`` when the font cannot be read.
  public func screenshotPNG(fontPath: String? = nil) throws(PCError) -> [UInt8] {
    let font: VGAFont
    do {
      font = try VGAFont.load(path: fontPath)
    } catch {
      throw .font("\(error)")
    }
    return Screenshot.png(session.board.vga.screen(), renderer: TextModeRenderer(font: font))
  }

  // MARK: Counters

  /// Virtual CPU cycles since the first boot (100 million make a second of guest time).
  public var cycles: UInt64 { session.totalCycles }

  /// Instructions retired since the first boot.
  public var instructions: UInt64 { session.totalInstructions }

  /// How many times the guest reset and booted again.
  public var resets: Int { session.resets }

  /// The exit status `emu` gives the way the guest stopped (`(v << 1) | 1` for isa-debug-exit
  /// value `v`, 0 for power-off, 3 for a triple fault); nil while it has not stopped.
  public var exitStatus: Int32? { stop?.status }
}

/// Why a ``PC`` could not be built or did not get where a test wanted it.
public enum PCError: Error, CustomStringConvertible, Equatable {
  /// The kernel file cannot be read or loaded, or the configuration is out of range.
  case load(String)
  /// The guest stopped (the result) before the awaited condition; the text tells where it was.
  case guestStopped(SessionResult, String)
  /// The cycle budget (the count) ran out before the awaited condition.
  case timedOut(UInt64, String)
  /// `type` was given a key the US layout does not have, or a malformed escape.
  case invalidKeys(String)
  /// A console font could not be read.
  case font(String)

  /// The error in words, with the report of where the guest was.
  public var description: String {
    switch self {
    case .load(let text): return "cannot load the kernel: \(text)"
    case .guestStopped(let result, let report): return "the guest stopped (\(result.message)) \(report)"
    case .timedOut(let cycles, let report): return "\(cycles) cycles passed \(report)"
    case .invalidKeys(let text): return "cannot type \(text)"
    case .font(let text): return "font: \(text)"
    }
  }
}
