import GDBRemote
import XCTest

final class PacketReaderTests: XCTestCase {
  func testPacketSplitAcrossFeedsAndChecksum() {
    var reader = PacketReader()
    let framed = Packet.frame("m1000,4")
    XCTAssertEqual(String(decoding: framed, as: UTF8.self), "$m1000,4#" + checksum("m1000,4"))
    XCTAssertEqual(reader.feed(framed.prefix(3)), [])
    XCTAssertEqual(reader.feed(framed.dropFirst(3)), [.packet(Array("m1000,4".utf8))])
  }

  func testAcksInterruptAndNoise() {
    var reader = PacketReader()
    XCTAssertEqual(reader.feed(Array("+x-".utf8) + [0x03]), [.ack, .nack, .interrupt])
  }

  func testBadChecksumAndNonHexChecksum() {
    var reader = PacketReader()
    XCTAssertEqual(reader.feed(Array("$g#00".utf8)), [.badChecksum])
    XCTAssertEqual(reader.feed(Array("$g#zz".utf8)), [.badChecksum])
    XCTAssertEqual(reader.feed(Packet.frame("g")), [.packet([UInt8(ascii: "g")])], "recovers after errors")
  }

  func testOversizedPacketIsSkippedWhole() {
    var reader = PacketReader(maximumLength: 16)
    let big = Packet.frame(String(repeating: "A", count: 100))
    XCTAssertEqual(reader.feed(big), [.oversized])
    XCTAssertEqual(reader.feed(Packet.frame("?")), [.packet([UInt8(ascii: "?")])])
  }

  func testDollarRestartsACutPacket() {
    var reader = PacketReader()
    XCTAssertEqual(reader.feed(Array("$m10".utf8) + Packet.frame("g")), [.packet([UInt8(ascii: "g")])])
  }

  func testBinaryEscapingRoundTrips() {
    let payload: [UInt8] = [0x24, 0x23, 0x7D, 0x2A, 0x00, 0xFF]
    var reader = PacketReader()
    guard case .packet(let data)? = reader.feed(Packet.frame(payload)).first else {
      return XCTFail("no packet")
    }
    XCTAssertFalse(data.contains(0x24) || data.contains(0x23), "framing bytes are escaped")
    XCTAssertEqual(Packet.unescape(data), payload)
  }

  func testRandomGarbageNeverCrashesAndLeavesTheReaderUsable() {
    var generator = SystemRandomNumberGenerator()
    var reader = PacketReader(maximumLength: 256)
    for _ in 0..<200 {
      let garbage = (0..<Int.random(in: 0..<600, using: &generator)).map { _ in
        UInt8.random(in: 0...255, using: &generator)
      }
      _ = reader.feed(garbage)
      // Whatever state the garbage left, a new packet after a `$` resynchronises; a dangling checksum
      // may eat up to two bytes, which the `#xx` padding covers.
      let events = reader.feed(Array("#00".utf8) + Packet.frame("qC"))
      XCTAssertEqual(events.last, .packet(Array("qC".utf8)))
    }
  }

  func testHexNumbers() {
    XCTAssertEqual(Hex.number(Array("ffffffff81000000".utf8)), 0xFFFF_FFFF_8100_0000)
    XCTAssertNil(Hex.number(Array("10000000000000000".utf8)), "more than 64 bits")
    XCTAssertNil(Hex.number(Array("12g".utf8)))
    XCTAssertNil(Hex.number([UInt8]()))
    XCTAssertNil(Hex.decode(Array("abc".utf8)))
    XCTAssertEqual(Hex.decode(Array("00Ff".utf8)), [0, 255])
  }

  private func checksum(_ text: String) -> String {
    let sum = text.utf8.reduce(UInt8(0)) { $0 &+ $1 }
    return String(format: "%02x", sum)
  }
}
