// Recording.swift: the `--record` / `--replay` file: a run as its kernel, the options that change
// what the guest does, and its inputs at the cycles they arrived (GuestInput.swift).
//
// Format, version 1: UTF-8 text, one item per line, fields separated by one space, byte strings
// and texts in lower-case hex ("-" for an empty one):
//
//   emu-recording 1
//   kernel <size> <crc32 of the file, 8 hex digits> <name: the path given, hex>
//   options memory-mib <n> cycles-per-second <n> rtc-epoch <seconds since 1970> strict <0|1>
//           reboot <0|1> append <hex>                                       (one line)
//   input <cycle> keyboard <scancodes hex>
//   input <cycle> serial <bytes hex>
//   input <cycle> step
//   input <cycle> register <gdb register number> <value hex, little-endian>
//   input <cycle> memory <guest-virtual address, hex> <bytes hex>
//   end <cycle> <instructions> <result> [<detail hex>]
//   checksum <crc32 of every byte before this line, 8 hex digits>
//
// Cycles are session cycles (across guest resets); inputs are in the order they were given. The
// kernel's name matters because the Multiboot command line starts with it. The checksum makes a
// damaged or truncated file an error instead of a silent divergence.

import SystemZlib
import Foundation
import GDBRemote

package struct Recording: Equatable {
  package static let magic = "emu-recording"
  package static let version = 1

  package var kernelSize: Int
  package var kernelCRC: UInt32
  package var kernelName: String
  package var memoryMiB: Int
  package var cyclesPerSecond: UInt64
  package var rtcEpoch: Int64
  package var strict: Bool
  package var reboot: Bool
  package var commandLine: String
  package var inputs: [TimedInput]
  package var endCycle: UInt64
  package var endInstructions: UInt64
  package var result: SessionResult

  package struct FormatError: Error, CustomStringConvertible {
    package var line: Int
    package var reason: String
    package var description: String { line > 0 ? "line \(line): \(reason)" : reason }
  }

  // MARK: Writing

  package func encoded() -> [UInt8] {
    var text = "\(Self.magic) \(Self.version)\n"
    text += "kernel \(kernelSize) \(Self.hex32(kernelCRC)) \(Self.hex(Array(kernelName.utf8)))\n"
    text += "options memory-mib \(memoryMiB) cycles-per-second \(cyclesPerSecond) rtc-epoch \(rtcEpoch)"
    text += " strict \(strict ? 1 : 0) reboot \(reboot ? 1 : 0) append \(Self.hex(Array(commandLine.utf8)))\n"
    for entry in inputs {
      text += "input \(entry.cycle) "
      switch entry.input {
      case .keyboard(let bytes): text += "keyboard \(Self.hex(bytes))"
      case .serial(let bytes): text += "serial \(Self.hex(bytes))"
      case .step: text += "step"
      case .registerWrite(let number, let bytes): text += "register \(number) \(Self.hex(bytes))"
      case .memoryWrite(let address, let bytes): text += "memory \(String(address, radix: 16)) \(Self.hex(bytes))"
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
    guard header[1] == String(version) else {
      throw reader.error("recording format version \(header[1]); this emu reads version \(version)")
    }
    let kernel = try reader.fields(4, named: "kernel")
    let options = try reader.fields(13, named: "options")
    let keys = ["memory-mib", "cycles-per-second", "rtc-epoch", "strict", "reboot", "append"]
    for (k, key) in keys.enumerated() where options[1 + 2 * k] != key {
      throw reader.error("expected option \(key), found \(options[1 + 2 * k])")
    }
    var recording = Recording(
      kernelSize: try reader.int(kernel[1]), kernelCRC: try reader.hex32(kernel[2]),
      kernelName: String(decoding: try reader.bytes(kernel[3]), as: UTF8.self),
      memoryMiB: try reader.int(options[2]), cyclesPerSecond: UInt64(try reader.int(options[4])),
      rtcEpoch: Int64(try reader.signed(options[6])), strict: try reader.flag(options[8]),
      reboot: try reader.flag(options[10]),
      commandLine: String(decoding: try reader.bytes(options[12]), as: UTF8.self),
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
