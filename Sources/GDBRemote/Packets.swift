// The framing of the gdb remote serial protocol ("Overview" and "Packets" in the gdb manual,
// appendix E): `$data#cc` where cc is the modulo-256 sum of the data in two hex digits, `+`/`-`
// acknowledgements, and a bare 0x03 byte for "stop now" (Ctrl-C).
//
// The reader is a byte-at-a-time state machine, so input can arrive in any pieces; nothing a peer
// sends can make it crash or grow without bound: garbage outside a packet is skipped, a packet longer
// than `maximumLength` is dropped whole, and a bad checksum is reported so the stub can ask again.

/// What the byte stream from gdb contained.
public enum PacketEvent: Equatable, Sendable {
  case packet([UInt8])
  /// Ctrl-C outside a packet.
  case interrupt
  case ack
  /// gdb asks for the last reply again.
  case nack
  /// A complete packet whose checksum did not match (or was not hex).
  case badChecksum
  /// A packet longer than the stub accepts; it was skipped up to its end.
  case oversized
}

public struct PacketReader: Sendable {
  public let maximumLength: Int
  private enum State {
    case idle, data, checksumHigh, checksumLow
  }
  private var state = State.idle
  private var data: [UInt8] = []
  private var overflowed = false
  private var sum: UInt8 = 0
  private var high: UInt8 = 0

  public init(maximumLength: Int = 0x4000) {
    self.maximumLength = maximumLength
  }

  /// Feeds bytes and returns the events they complete, in order.
  public mutating func feed<S: Sequence>(_ bytes: S) -> [PacketEvent] where S.Element == UInt8 {
    var events: [PacketEvent] = []
    for byte in bytes {
      if let event = feed(byte) { events.append(event) }
    }
    return events
  }

  public mutating func feed(_ byte: UInt8) -> PacketEvent? {
    switch state {
    case .idle:
      switch byte {
      case UInt8(ascii: "$"): begin()
      case 0x03: return .interrupt
      case UInt8(ascii: "+"): return .ack
      case UInt8(ascii: "-"): return .nack
      default: break  // noise between packets
      }
    case .data:
      switch byte {
      case UInt8(ascii: "#"): state = .checksumHigh
      case UInt8(ascii: "$"): begin()  // a new packet start resynchronises (the old one was cut)
      default:
        sum &+= byte
        if data.count < maximumLength {
          data.append(byte)
        } else {
          overflowed = true
        }
      }
    case .checksumHigh:
      high = byte
      state = .checksumLow
    case .checksumLow:
      state = .idle
      if overflowed {
        data = []
        return .oversized
      }
      guard let h = Hex.digit(high), let l = Hex.digit(byte), h << 4 | l == sum else {
        data = []
        return .badChecksum
      }
      defer { data = [] }
      return .packet(data)
    }
    return nil
  }

  private mutating func begin() {
    state = .data
    data = []
    data.reserveCapacity(64)
    overflowed = false
    sum = 0
  }
}

public enum Packet {
  /// `$payload#cc`. Bytes that would end or escape the packet are escaped (`}` then byte ^ 0x20),
  /// as binary replies (qXfer, memory) require.
  public static func frame(_ payload: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [UInt8(ascii: "$")]
    out.reserveCapacity(payload.count + 4)
    var sum: UInt8 = 0
    for byte in payload {
      if byte == UInt8(ascii: "$") || byte == UInt8(ascii: "#") || byte == UInt8(ascii: "}")
        || byte == UInt8(ascii: "*")
      {
        out.append(UInt8(ascii: "}"))
        out.append(byte ^ 0x20)
        sum &+= UInt8(ascii: "}") &+ (byte ^ 0x20)
      } else {
        out.append(byte)
        sum &+= byte
      }
    }
    out.append(UInt8(ascii: "#"))
    out.append(contentsOf: Hex.byte(sum))
    return out
  }

  public static func frame(_ payload: String) -> [UInt8] { frame(Array(payload.utf8)) }

  /// Undoes the `}` escaping of binary packet data (X packets).
  public static func unescape<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var escaped = false
    for byte in bytes {
      if escaped {
        out.append(byte ^ 0x20)
        escaped = false
      } else if byte == UInt8(ascii: "}") {
        escaped = true
      } else {
        out.append(byte)
      }
    }
    return out
  }
}

/// Hexadecimal as the protocol writes it: lower-case digits, memory and registers in target byte order.
public enum Hex {
  static let digits = Array("0123456789abcdef".utf8)

  static func digit(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
  }

  static func byte(_ b: UInt8) -> [UInt8] { [digits[Int(b >> 4)], digits[Int(b & 15)]] }

  public static func encode<C: Sequence>(_ bytes: C) -> String where C.Element == UInt8 {
    var out: [UInt8] = []
    for b in bytes { out.append(contentsOf: byte(b)) }
    return String(decoding: out, as: UTF8.self)
  }

  public static func encode(_ text: String) -> String { encode(Array(text.utf8)) }

  /// Pairs of hex digits to bytes; nil on an odd count or a non-digit.
  public static func decode<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
    guard text.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(text.count / 2)
    var i = text.startIndex
    while i != text.endIndex {
      let j = text.index(after: i)
      guard let h = digit(text[i]), let l = digit(text[j]) else { return nil }
      out.append(h << 4 | l)
      i = text.index(after: j)
    }
    return out
  }

  /// A big-endian hex number as addresses and lengths are written; nil if empty, not hex or over 64 bits.
  public static func number<C: Collection>(_ text: C) -> UInt64? where C.Element == UInt8 {
    guard !text.isEmpty, text.count <= 16 else { return nil }
    var v: UInt64 = 0
    for c in text {
      guard let d = digit(c) else { return nil }
      v = v << 4 | UInt64(d)
    }
    return v
  }
}
