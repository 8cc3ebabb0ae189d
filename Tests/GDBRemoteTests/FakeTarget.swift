import GDBRemote

/// A debug target with 64 KiB of memory at address 0x1000 and a plain register file.
final class FakeTarget: DebugTarget {
  var registers: [[UInt8]] = X86Registers.all.map { [UInt8](repeating: 0, count: $0.bytes) }
  var memory = [UInt8](repeating: 0, count: 0x10000)
  var breakpoints: [(BreakpointKind, UInt64, UInt64, Bool)] = []
  var monitorCommands: [String] = []
  var stopEvent: StopEvent = .signal(5)
  /// Register numbers whose writes fail.
  var readOnly: Set<Int> = []

  func readRegister(_ number: Int) -> [UInt8] { registers[number] }

  func writeRegister(_ number: Int, _ bytes: [UInt8]) -> Bool {
    if readOnly.contains(number) { return false }
    registers[number] = bytes
    return true
  }

  func readMemory(at address: UInt64, count: Int) -> [UInt8]? {
    guard address >= 0x1000, address - 0x1000 + UInt64(count) <= UInt64(memory.count) else { return nil }
    let start = Int(address - 0x1000)
    return Array(memory[start..<start + count])
  }

  func writeMemory(at address: UInt64, _ bytes: [UInt8]) -> Bool {
    guard address >= 0x1000, address - 0x1000 + UInt64(bytes.count) <= UInt64(memory.count) else { return false }
    let start = Int(address - 0x1000)
    memory.replaceSubrange(start..<start + bytes.count, with: bytes)
    return true
  }

  func setBreakpoint(_ kind: BreakpointKind, at address: UInt64, length: UInt64, _ enabled: Bool) -> Bool {
    breakpoints.append((kind, address, length, enabled))
    return true
  }

  func monitor(_ command: String) -> String {
    monitorCommands.append(command)
    return "ran \(command)\n"
  }
}

/// Frames a packet as gdb sends it.
func packet(_ text: String) -> [UInt8] { Packet.frame(text) }

/// Frames bytes exactly as given (already escaped), as gdb sends binary data.
func rawPacket(_ data: [UInt8]) -> [UInt8] {
  let sum = data.reduce(UInt8(0)) { $0 &+ $1 }
  let digits = Array("0123456789abcdef".utf8)
  return [UInt8(ascii: "$")] + data + [UInt8(ascii: "#"), digits[Int(sum >> 4)], digits[Int(sum & 15)]]
}

/// The payloads of the packets in a reply stream (acks dropped).
func replies(_ bytes: [UInt8]) -> [String] {
  var reader = PacketReader()
  return reader.feed(bytes).compactMap {
    if case .packet(let data) = $0 { return String(decoding: data, as: UTF8.self) }
    return nil
  }
}
