// The gdb remote protocol's server side over a DebugTarget: packets in, replies and resume actions
// out. It holds no socket and no machine, so every packet can be tested byte for byte.
//
// Supported (gdb manual appendix E): qSupported, ?, g/G, p/P, m/M/X, c/s/C/S, vCont (c, s),
// k, D, Ctrl-C, Z0-Z4/z0-z4, bs/bc (reverse step and continue), qRcmd (monitor), qXfer:features:read
// (target XML), QStartNoAckMode and the single-thread queries. Anything else gets the empty reply,
// which tells gdb the packet is not supported. Malformed packets get an error reply, never a crash.

public final class GDBStub {
  public static let packetSize = 0x4000

  public let target: DebugTarget
  private var reader = PacketReader(maximumLength: GDBStub.packetSize)
  private var lastReply: [UInt8] = []
  private var acknowledging = true

  /// The result of feeding bytes: what to send back, and what the driver must do.
  public struct Response: Equatable {
    public var output: [UInt8] = []
    /// A resume action; the stop reply follows later, from `stopped`.
    public var action: ResumeAction?
    /// Ctrl-C: the driver stops the running target and reports `StopEvent.signal(2)`.
    public var interrupt = false
  }

  public init(target: DebugTarget) {
    self.target = target
  }

  public func receive<S: Sequence>(_ bytes: S) -> Response where S.Element == UInt8 {
    var response = Response()
    for event in reader.feed(bytes) {
      switch event {
      case .interrupt:
        response.interrupt = true
      case .ack:
        break
      case .nack:
        if acknowledging { response.output += lastReply }
      case .badChecksum:
        if acknowledging { response.output.append(UInt8(ascii: "-")) }
      case .oversized:
        ack(&response)
        reply("E01", into: &response)
      case .packet(let data):
        ack(&response)
        let (text, action) = handle(data)
        if let text { reply(text, into: &response) }
        if let action { response.action = action }
      }
    }
    return response
  }

  /// The stop reply to send when the target stops after a resume action.
  public func stopped(_ event: StopEvent) -> [UInt8] {
    let packet = Packet.frame(Self.stopReply(event))
    lastReply = packet
    return packet
  }

  /// Console output for gdb to print while the target runs (an `O` packet).
  public func consoleOutput(_ text: String) -> [UInt8] {
    Packet.frame("O" + Hex.encode(text))
  }

  static func stopReply(_ event: StopEvent) -> String {
    switch event {
    case .signal(let s): return "S" + hex2(s)
    case .breakpoint(let kind): return "T05" + (kind == .hardware ? "hwbreak:;" : "swbreak:;")
    case .watchpoint(let kind, let address):
      let name = kind == .read ? "rwatch" : kind == .access ? "awatch" : "watch"
      return "T05\(name):\(String(address, radix: 16));"
    case .historyBegin: return "T05replaylog:begin;"
    case .exited(let code): return "W" + hex2(code)
    case .terminated(let signal): return "X" + hex2(signal)
    }
  }

  private static func hex2(_ v: UInt8) -> String { Hex.encode([v]) }

  private func ack(_ response: inout Response) {
    if acknowledging { response.output.append(UInt8(ascii: "+")) }
  }

  private func reply(_ text: String, into response: inout Response) {
    reply(Array(text.utf8), into: &response)
  }

  private func reply(_ payload: [UInt8], into response: inout Response) {
    let packet = Packet.frame(payload)
    lastReply = packet
    response.output += packet
  }

  // MARK: Packets

  /// The reply (nil for none) and the action of one packet.
  func handle(_ data: [UInt8]) -> (String?, ResumeAction?) {
    guard let first = data.first else { return ("", nil) }
    let body = data.dropFirst()
    let text = String(decoding: data, as: UTF8.self)
    switch first {
    case UInt8(ascii: "?"): return (Self.stopReply(target.stopEvent), nil)
    case UInt8(ascii: "g"): return (readAllRegisters(), nil)
    case UInt8(ascii: "G"): return (writeAllRegisters(body), nil)
    case UInt8(ascii: "p"): return (readRegister(body), nil)
    case UInt8(ascii: "P"): return (writeRegister(body), nil)
    case UInt8(ascii: "m"): return (readMemory(body), nil)
    case UInt8(ascii: "M"): return (writeMemory(body, binary: false), nil)
    case UInt8(ascii: "X"): return (writeMemory(body, binary: true), nil)
    case UInt8(ascii: "c"), UInt8(ascii: "s"):
      if !body.isEmpty {
        guard let address = Hex.number(body), setPC(address) else { return ("E01", nil) }
      }
      return (nil, first == UInt8(ascii: "c") ? .continue : .step)
    case UInt8(ascii: "C"), UInt8(ascii: "S"):
      // The signal is dropped: a bare-metal target has no signals to deliver.
      return (nil, first == UInt8(ascii: "C") ? .continue : .step)
    case UInt8(ascii: "k"): return (nil, .kill)
    case UInt8(ascii: "D"): return ("OK", .detach)
    case UInt8(ascii: "Z"), UInt8(ascii: "z"): return (breakpoint(body, insert: first == UInt8(ascii: "Z")), nil)
    case UInt8(ascii: "b"):
      if text == "bs" { return (nil, .reverseStep) }
      if text == "bc" { return (nil, .reverseContinue) }
      return ("", nil)
    case UInt8(ascii: "H"), UInt8(ascii: "T"): return ("OK", nil)
    case UInt8(ascii: "v"): return vPacket(text)
    case UInt8(ascii: "q"), UInt8(ascii: "Q"): return (query(text), nil)
    default: return ("", nil)
    }
  }

  private func vPacket(_ text: String) -> (String?, ResumeAction?) {
    if text == "vCont?" { return ("vCont;c;C;s;S", nil) }
    if text.hasPrefix("vCont;") {
      // One thread: the first action is the one that applies to it.
      let action = text.dropFirst(6).prefix { $0 != ";" && $0 != ":" }
      switch action.first {
      case "c", "C": return (nil, .continue)
      case "s", "S": return (nil, .step)
      default: return ("E01", nil)
      }
    }
    return ("", nil)
  }

  private func query(_ text: String) -> String {
    if text.hasPrefix("qSupported") {
      return "PacketSize=\(String(Self.packetSize, radix: 16));qXfer:features:read+;vContSupported+;"
        + "ReverseStep+;ReverseContinue+;swbreak+;hwbreak+;QStartNoAckMode+"
    }
    if text == "QStartNoAckMode" {
      acknowledging = false
      return "OK"
    }
    if text == "qAttached" { return "1" }
    if text == "qC" { return "QC1" }
    if text == "qfThreadInfo" { return "m1" }
    if text == "qsThreadInfo" { return "l" }
    if text.hasPrefix("qSymbol") { return "OK" }
    if text.hasPrefix("qXfer:features:read:") { return features(text.dropFirst("qXfer:features:read:".count)) }
    if text.hasPrefix("qRcmd,") {
      guard let command = Hex.decode(Array(text.utf8.dropFirst(6))) else { return "E01" }
      let output = target.monitor(String(decoding: command, as: UTF8.self))
      return output.isEmpty ? "OK" : Hex.encode(output)
    }
    return ""
  }

  /// `annex:offset,length`: a window of the target description, `m` (more follows) or `l` (last).
  private func features(_ request: Substring) -> String {
    let parts = request.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, parts[0] == "target.xml" else { return "E00" }
    guard let (offset, length) = Self.pair(Array(parts[1].utf8), separator: UInt8(ascii: ",")) else { return "E01" }
    let xml = Array(X86Registers.targetXML.utf8)
    guard offset <= UInt64(xml.count) else { return "E01" }
    let start = Int(offset)
    let end = min(xml.count, start + Int(min(length, UInt64(Self.packetSize / 2))))
    let chunk = String(decoding: xml[start..<end], as: UTF8.self)
    return (end < xml.count ? "m" : "l") + chunk
  }

  // MARK: Registers

  private func readAllRegisters() -> String {
    var bytes: [UInt8] = []
    for n in X86Registers.all.indices { bytes += target.readRegister(n) }
    return Hex.encode(bytes)
  }

  private func writeAllRegisters(_ body: ArraySlice<UInt8>) -> String {
    guard let bytes = Hex.decode(body) else { return "E01" }
    let total = X86Registers.all.reduce(0) { $0 + $1.bytes }
    guard bytes.count == total else { return "E01" }
    var offset = 0
    var ok = true
    for (n, r) in X86Registers.all.enumerated() {
      let value = Array(bytes[offset..<offset + r.bytes])
      // Unchanged registers are not written back: gdb's G sends every register, and writing a
      // selector or a control register that did not change must not reload it.
      if value != target.readRegister(n) { ok = target.writeRegister(n, value) && ok }
      offset += r.bytes
    }
    return ok ? "OK" : "E01"
  }

  private func readRegister(_ body: ArraySlice<UInt8>) -> String {
    guard let n = Hex.number(body), n < X86Registers.all.count else { return "E01" }
    return Hex.encode(target.readRegister(Int(n)))
  }

  private func writeRegister(_ body: ArraySlice<UInt8>) -> String {
    guard let eq = body.firstIndex(of: UInt8(ascii: "=")), let n = Hex.number(body[..<eq]),
      n < X86Registers.all.count, let value = Hex.decode(body[(eq + 1)...]),
      value.count == X86Registers.all[Int(n)].bytes
    else { return "E01" }
    return target.writeRegister(Int(n), value) ? "OK" : "E01"
  }

  private func setPC(_ address: UInt64) -> Bool {
    guard let n = X86Registers.number(of: "rip") else { return false }
    return target.writeRegister(n, withUnsafeBytes(of: address.littleEndian) { Array($0) })
  }

  // MARK: Memory

  private func readMemory(_ body: ArraySlice<UInt8>) -> String {
    guard let (address, length) = Self.pair(body, separator: UInt8(ascii: ",")) else { return "E01" }
    let count = Int(min(length, UInt64(Self.packetSize / 2 - 8)))
    guard let bytes = target.readMemory(at: address, count: count) else { return "E14" }
    return Hex.encode(bytes)
  }

  private func writeMemory(_ body: ArraySlice<UInt8>, binary: Bool) -> String {
    guard let colon = body.firstIndex(of: UInt8(ascii: ":")),
      let (address, length) = Self.pair(body[..<colon], separator: UInt8(ascii: ","))
    else { return "E01" }
    let payload = body[(colon + 1)...]
    guard let bytes = binary ? Packet.unescape(payload) : Hex.decode(payload), UInt64(bytes.count) == length
    else { return "E01" }
    if bytes.isEmpty { return "OK" }  // gdb probes X support with an empty write
    return target.writeMemory(at: address, bytes) ? "OK" : "E14"
  }

  // MARK: Breakpoints

  /// `t,addr,kind` (z: remove, Z: insert); kind is the length for watchpoints.
  private func breakpoint(_ body: ArraySlice<UInt8>, insert: Bool) -> String {
    let fields = body.split(separator: UInt8(ascii: ","), maxSplits: 2, omittingEmptySubsequences: false)
    guard fields.count == 3, let t = Hex.number(fields[0]) else { return "E01" }
    guard let kind = BreakpointKind(rawValue: Int(min(t, 99))) else { return "" }
    // Conditions and commands after ';' (gdb's target-side conditions) are not supported, and not asked for.
    let lengthField = fields[2].prefix { $0 != UInt8(ascii: ";") }
    guard let address = Hex.number(fields[1]), let length = Hex.number(lengthField), length <= 1 << 20 else {
      return "E01"
    }
    return target.setBreakpoint(kind, at: address, length: length, insert) ? "OK" : "E01"
  }

  /// `a<sep>b` as two hex numbers.
  static func pair<C: Collection>(_ text: C, separator: UInt8) -> (UInt64, UInt64)? where C.Element == UInt8 {
    guard let i = text.firstIndex(of: separator), let a = Hex.number(text[..<i]),
      let b = Hex.number(text[text.index(after: i)...])
    else { return nil }
    return (a, b)
  }
}
