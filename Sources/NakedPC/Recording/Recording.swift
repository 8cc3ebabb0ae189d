// Recording.swift: the `--record` / `--replay` file: a run as the files it read (kernel, modules,
// the state it started from), the options that change what the guest does, and its inputs at the
// cycles they arrived (GuestInput.swift).
//
// Format, version 2: UTF-8 text, one item per line, fields separated by one space, byte strings
// and texts in lower-case hex ("-" for an empty one):
//
//   emu-recording 2
//   kernel <size> <crc32 of the file, 8 hex digits> <name: the path given, hex>
//   module <size> <crc32> <the module's string: the --initrd entry given, hex>   (one per module)
//   start-state <size> <crc32>                       (only when the run began from --load-state)
//   options memory-mib <n> cycles-per-second <n> rtc-epoch <seconds since 1970> strict <0|1>
//           reboot <0|1> cpu-vendor <intel|amd> append <hex>                     (one line)
//   input <cycle> keyboard <scancodes hex>
//   input <cycle> serial <bytes hex>
//   input <cycle> step
//   input <cycle> register <gdb register number> <value hex, little-endian>
//   input <cycle> memory <guest-virtual address, hex> <bytes hex>
//   input <cycle> reset
//   end <cycle> <instructions> <result> [<detail hex>]
//   checksum <crc32 of every byte before this line, 8 hex digits>
//
// Version 1 (still read) had no module or start-state lines and no cpu-vendor option (Intel).
// Cycles are session cycles (across guest resets); inputs are in the order they were given. The
// kernel's and the modules' names matter because the guest reads them (the Multiboot command
// line starts with the kernel's). The checksum makes a damaged or truncated file an error instead
// of a silent divergence.

import SystemZlib
import GDBRemote
import Machine

package struct Recording: Equatable {
  package static let magic = "emu-recording"
  package static let version = 2

  package var kernel: FileIdentity
  package var kernelName: String
  /// The `--initrd` modules, in order.
  package var modules: [Module] = []
  /// The state file the run started from (`--load-state`); nil for a run from the boot.
  package var startState: FileIdentity?
  package var memoryMiB: Int
  package var cyclesPerSecond: UInt64
  package var rtcEpoch: Int64
  package var strict: Bool
  package var reboot: Bool
  package var cpuVendor: CPUVendor = .intel
  package var commandLine: String
  package var inputs: [TimedInput]
  package var endCycle: UInt64
  package var endInstructions: UInt64
  package var result: SessionResult

  /// A module file and the string the guest saw for it.
  package struct Module: Equatable {
    package var file: FileIdentity
    package var name: String
  }

  package struct FormatError: Error, CustomStringConvertible {
    package var line: Int
    package var reason: String
    package var description: String { line > 0 ? "line \(line): \(reason)" : reason }
  }

  // MARK: Writing

  package func encoded() -> [UInt8] {
    var text = "\(Self.magic) \(Self.version)\n"
    text += "kernel \(kernel.size) \(Self.hex32(kernel.crc)) \(Self.hex(Array(kernelName.utf8)))\n"
    for module in modules {
      text += "module \(module.file.size) \(Self.hex32(module.file.crc)) \(Self.hex(Array(module.name.utf8)))\n"
    }
    if let startState { text += "start-state \(startState.size) \(Self.hex32(startState.crc))\n" }
    text += "options memory-mib \(memoryMiB) cycles-per-second \(cyclesPerSecond) rtc-epoch \(rtcEpoch)"
    text += " strict \(strict ? 1 : 0) reboot \(reboot ? 1 : 0) cpu-vendor \(cpuVendor)"
    text += " append \(Self.hex(Array(commandLine.utf8)))\n"
    for entry in inputs {
      text += "input \(entry.cycle) "
      switch entry.input {
      case .keyboard(let bytes): text += "keyboard \(Self.hex(bytes))"
      case .serial(let bytes): text += "serial \(Self.hex(bytes))"
      case .step: text += "step"
      case .registerWrite(let number, let bytes): text += "register \(number) \(Self.hex(bytes))"
      case .memoryWrite(let address, let bytes): text += "memory \(String(address, radix: 16)) \(Self.hex(bytes))"
      case .reset: text += "reset"
      }
      text += "\n"
    }
    let (name, detail) = Self.name(of: result)
    text += "end \(endCycle) \(endInstructions) \(name)" + (detail.map { " " + Self.hex(Array($0.utf8)) } ?? "") + "\n"
    var bytes = Array(text.utf8)
    bytes += Array("checksum \(Self.hex32(CRC32.checksum(bytes)))\n".utf8)
    return bytes
  }

  private static func name(of result: SessionResult) -> (String, String?) {
    switch result {
    case .debugExit(let value): return ("debug-exit", String(value))
    case .powerOff: return ("power-off", nil)
    case .halted: return ("halted", nil)
    case .inputConsumed: return ("input-consumed", nil)
    case .idleForever: return ("idle-forever", nil)
    case .tripleFault(let text): return ("triple-fault", text)
    case .unimplementedOpcode(let text): return ("unimplemented-opcode", text)
    case .cycleLimit(let cycles): return ("cycle-limit", String(cycles))
    case .quit, .breakpoint, .watchpoint: return ("quit", nil)
    }
  }

  // MARK: Reading

  package static func decode(_ bytes: [UInt8]) throws -> Recording {
    // The checksum line is the last; everything before it is covered.
    guard let end = bytes.lastIndex(of: UInt8(ascii: "\n")), end == bytes.count - 1 else {
      throw FormatError(line: 0, reason: "the file is truncated (it does not end with a line)")
    }
    let lastStart = (bytes[..<end].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
    let last = String(decoding: bytes[lastStart..<end], as: UTF8.self)
    guard last.hasPrefix("checksum "), let stored = UInt32(last.dropFirst(9), radix: 16) else {
      throw FormatError(line: 0, reason: "the file is truncated (no checksum line at its end)")
    }
    guard CRC32.checksum(bytes[..<lastStart]) == stored else {
      throw FormatError(line: 0, reason: "the file is damaged (its checksum does not match)")
    }
    let lines = String(decoding: bytes[..<lastStart], as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false
    )
    .dropLast()
    var reader = LineReader(lines: Array(lines))
    let header = try reader.fields(2)
    guard header[0] == magic else { throw reader.error("not an emu recording") }
    guard let format = Int(header[1]), (1...version).contains(format) else {
      throw reader.error("recording format version \(header[1]); this emu reads versions 1 to \(version)")
    }
    let kernel = try reader.fields(4, named: "kernel")
    var modules: [Module] = []
    var startState: FileIdentity?
    var line = try reader.fields(named: "options")
    while format >= 2 && line.first == "module" {
      guard line.count == 4 else { throw reader.error("a module takes a size, a checksum and a name") }
      modules.append(
        Module(
          file: FileIdentity(size: try reader.int(line[1]), crc: try reader.hex32(line[2])),
          name: String(decoding: try reader.bytes(line[3]), as: UTF8.self)))
      line = try reader.fields(named: "options")
    }
    if format >= 2 && line.first == "start-state" {
      guard line.count == 3 else { throw reader.error("start-state takes a size and a checksum") }
      startState = FileIdentity(size: try reader.int(line[1]), crc: try reader.hex32(line[2]))
      line = try reader.fields(named: "options")
    }
    guard line.first == "options" else { throw reader.error("expected 'options', found '\(line.first ?? "")'") }
    // Name-value pairs after the word; version 1 had no cpu-vendor.
    let keys =
      ["memory-mib", "cycles-per-second", "rtc-epoch", "strict", "reboot"] + (format >= 2 ? ["cpu-vendor"] : [])
    guard line.count == 1 + 2 * (keys.count + 1) else {
      throw reader.error("expected \(1 + 2 * (keys.count + 1)) fields, found \(line.count)")
    }
    for (k, key) in (keys + ["append"]).enumerated() where line[1 + 2 * k] != key {
      throw reader.error("expected option \(key), found \(line[1 + 2 * k])")
    }
    let value = { (key: String) in line[2 + 2 * (keys.firstIndex(of: key) ?? keys.count)] }
    var vendor = CPUVendor.intel
    if format >= 2 {
      guard let named = CPUVendor.allCases.first(where: { "\($0)" == value("cpu-vendor") }) else {
        throw reader.error("unknown cpu-vendor '\(value("cpu-vendor"))'")
      }
      vendor = named
    }
    var recording = Recording(
      kernel: FileIdentity(size: try reader.int(kernel[1]), crc: try reader.hex32(kernel[2])),
      kernelName: String(decoding: try reader.bytes(kernel[3]), as: UTF8.self), modules: modules,
      startState: startState, memoryMiB: try reader.int(value("memory-mib")),
      cyclesPerSecond: UInt64(try reader.int(value("cycles-per-second"))),
      rtcEpoch: Int64(try reader.signed(value("rtc-epoch"))), strict: try reader.flag(value("strict")),
      reboot: try reader.flag(value("reboot")), cpuVendor: vendor,
      commandLine: String(decoding: try reader.bytes(value("append")), as: UTF8.self),
      inputs: [], endCycle: 0, endInstructions: 0, result: .quit)
    while let fields = reader.next(), fields.first == "input" {
      guard fields.count >= 3 else { throw reader.error("an input needs a cycle and a kind") }
      let cycle = UInt64(try reader.int(fields[1]))
      if let previous = recording.inputs.last, previous.cycle > cycle {
        throw reader.error("inputs go back in time (cycle \(cycle) after \(previous.cycle))")
      }
      let input: GuestInput
      switch (fields[2], fields.count) {
      case ("keyboard", 4): input = .keyboard(try reader.bytes(fields[3]))
      case ("serial", 4): input = .serial(try reader.bytes(fields[3]))
      case ("step", 3): input = .step
      case ("reset", 3): input = .reset
      case ("register", 5):
        input = .registerWrite(number: try reader.int(fields[3]), bytes: try reader.bytes(fields[4]))
      case ("memory", 5):
        guard let address = UInt64(fields[3], radix: 16) else { throw reader.error("bad address \(fields[3])") }
        input = .memoryWrite(address: address, bytes: try reader.bytes(fields[4]))
      default: throw reader.error("unknown input '\(fields[2...].joined(separator: " "))'")
      }
      recording.inputs.append(TimedInput(cycle: cycle, input: input))
    }
    let endFields = try reader.current(named: "end")
    guard endFields.count == 4 || endFields.count == 5 else {
      throw reader.error("end takes a cycle, a count and a result")
    }
    recording.endCycle = UInt64(try reader.int(endFields[1]))
    recording.endInstructions = UInt64(try reader.int(endFields[2]))
    let detail = endFields.count == 5 ? String(decoding: try reader.bytes(endFields[4]), as: UTF8.self) : nil
    switch (endFields[3], detail) {
    case ("debug-exit", let d?): recording.result = .debugExit(UInt32(d) ?? 0)
    case ("power-off", nil): recording.result = .powerOff
    case ("halted", nil): recording.result = .halted
    case ("input-consumed", nil): recording.result = .inputConsumed
    case ("idle-forever", nil): recording.result = .idleForever
    case ("triple-fault", let d?): recording.result = .tripleFault(d)
    case ("unimplemented-opcode", let d?): recording.result = .unimplementedOpcode(d)
    case ("cycle-limit", let d?): recording.result = .cycleLimit(UInt64(d) ?? 0)
    case ("quit", nil): recording.result = .quit
    default: throw reader.error("unknown end result \(endFields[3])")
    }
    if let last = recording.inputs.last, last.cycle > recording.endCycle {
      throw reader.error("an input after the end")
    }
    if reader.next() != nil { throw reader.error("lines after the end") }
    return recording
  }

  private struct LineReader {
    package let lines: [Substring]
    package var index = -1

    package mutating func next() -> [String]? {
      index += 1
      guard index < lines.count else { return nil }
      return lines[index].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    }

    package func current(named name: String) throws -> [String] {
      guard index < lines.count else { throw error("the file ends before its '\(name)' line") }
      let fields = lines[index].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
      guard fields.first == name else { throw error("expected '\(name)', found '\(fields.first ?? "")'") }
      return fields
    }

    /// The next line, which must not be missing; `named` says what the file lacks if it is.
    package mutating func fields(named name: String) throws -> [String] {
      guard let fields = next() else { throw error("the file ends before its '\(name)' line") }
      return fields
    }

    package mutating func fields(_ count: Int, named name: String? = nil) throws -> [String] {
      guard let fields = next() else { throw error("the file ends early") }
      if let name, fields.first != name { throw error("expected '\(name)', found '\(fields.first ?? "")'") }
      guard fields.count == count else { throw error("expected \(count) fields, found \(fields.count)") }
      return fields
    }

    package func error(_ reason: String) -> FormatError { FormatError(line: index + 1, reason: reason) }

    package func int(_ text: String) throws -> Int {
      guard let v = Int(text), v >= 0 else { throw error("bad number '\(text)'") }
      return v
    }

    package func signed(_ text: String) throws -> Int {
      guard let v = Int(text) else { throw error("bad number '\(text)'") }
      return v
    }

    package func flag(_ text: String) throws -> Bool {
      guard text == "0" || text == "1" else { throw error("expected 0 or 1, found '\(text)'") }
      return text == "1"
    }

    package func hex32(_ text: String) throws -> UInt32 {
      guard text.count == 8, let v = UInt32(text, radix: 16) else { throw error("bad checksum '\(text)'") }
      return v
    }

    package func bytes(_ text: String) throws -> [UInt8] {
      if text == "-" { return [] }
      guard let bytes = Hex.decode(Array(text.utf8)) else { throw error("bad hex '\(text.prefix(16))'") }
      return bytes
    }
  }

  package static func hex(_ bytes: [UInt8]) -> String {
    bytes.isEmpty ? "-" : Hex.encode(bytes)
  }

  package static func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
  }
}
