import GDBRemote
import XCTest

final class GDBStubTests: XCTestCase {
  private func exchange(_ stub: GDBStub, _ text: String) -> (String?, GDBStub.Response) {
    let response = stub.receive(packet(text))
    XCTAssertEqual(response.output.first, UInt8(ascii: "+"), "every good packet is acknowledged")
    return (replies(response.output).first, response)
  }

  func testSupportedFeatures() {
    let stub = GDBStub(target: FakeTarget())
    let (reply, _) = exchange(stub, "qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386")
    let features = Set((reply ?? "").split(separator: ";").map(String.init))
    XCTAssertTrue(features.contains("PacketSize=4000"))
    XCTAssertTrue(features.contains("qXfer:features:read+"))
    XCTAssertTrue(features.contains("swbreak+"))
  }

  func testTargetXMLIsServedInWindowsAndDescribesTheGPacket() throws {
    let stub = GDBStub(target: FakeTarget())
    var xml = ""
    var offset = 0
    while true {
      let (reply, _) = exchange(stub, "qXfer:features:read:target.xml:\(String(offset, radix: 16)),100")
      let text = try XCTUnwrap(reply)
      xml += text.dropFirst()
      offset += text.count - 1
      if text.first == "l" { break }
      XCTAssertEqual(text.first, "m")
    }
    XCTAssertEqual(xml, X86Registers.targetXML)
    XCTAssertTrue(xml.contains("<architecture>i386:x86-64</architecture>"))
    // The XML names every register of the g packet, in order, with its size.
    let names = xml.components(separatedBy: "<reg name=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
    XCTAssertEqual(names.map(String.init), X86Registers.all.map(\.name))
    XCTAssertEqual(exchange(stub, "qXfer:features:read:other.xml:0,100").0, "E00")
  }

  func testRegistersReadAndWriteInLayoutOrder() throws {
    let target = FakeTarget()
    let stub = GDBStub(target: target)
    let rip = try XCTUnwrap(X86Registers.number(of: "rip"))
    target.registers[rip] = [0x10, 0x20, 0, 0, 0, 0, 0, 0]
    let (g, _) = exchange(stub, "g")
    let total = X86Registers.all.reduce(0) { $0 + $1.bytes }
    XCTAssertEqual(g?.count, total * 2)
    XCTAssertEqual(exchange(stub, "p\(String(rip, radix: 16))").0, "1020000000000000")
    XCTAssertEqual(exchange(stub, "P0=efbeadde00000000").0, "OK")
    XCTAssertEqual(target.registers[0], [0xEF, 0xBE, 0xAD, 0xDE, 0, 0, 0, 0])
    // G writes only what changed, so a G of the registers just read writes nothing.
    target.readOnly = [18]
    XCTAssertEqual(exchange(stub, "G" + exchange(stub, "g").0!).0, "OK")
    XCTAssertEqual(exchange(stub, "P12=08000000").0, "E01", "a read-only register refuses the write")
    XCTAssertEqual(exchange(stub, "Pff=00").0, "E01")
    XCTAssertEqual(exchange(stub, "P0=1234").0, "E01", "wrong size")
    XCTAssertEqual(exchange(stub, "G1234").0, "E01")
  }

  func testMemoryReadWriteAndFaults() {
    let target = FakeTarget()
    let stub = GDBStub(target: target)
    XCTAssertEqual(exchange(stub, "M1000,4:01020304").0, "OK")
    XCTAssertEqual(exchange(stub, "m1000,4").0, "01020304")
    // X carries binary with } escapes: 0x7d 0x5d is 0x7d.
    let x = Array("X1004,2:".utf8) + [0x7D, 0x5D, 0x41]
    XCTAssertEqual(replies(stub.receive(rawPacket(x)).output).first, "OK")
    XCTAssertEqual(target.memory[4], 0x7D)
    XCTAssertEqual(target.memory[5], 0x41)
    XCTAssertEqual(exchange(stub, "m0,4").0, "E14", "unmapped memory is an error reply")
    XCTAssertEqual(exchange(stub, "M0,1:00").0, "E14")
    XCTAssertEqual(exchange(stub, "m1000").0, "E01")
    XCTAssertEqual(exchange(stub, "M1000,2:00").0, "E01", "length and data disagree")
    XCTAssertEqual(exchange(stub, "mzz,4").0, "E01")
  }

  func testBreakpointsAndWatchpoints() {
    let target = FakeTarget()
    let stub = GDBStub(target: target)
    XCTAssertEqual(exchange(stub, "Z0,100000,1").0, "OK")
    XCTAssertEqual(exchange(stub, "Z2,b8000,2").0, "OK")
    XCTAssertEqual(exchange(stub, "z4,b8000,8").0, "OK")
    XCTAssertEqual(target.breakpoints.count, 3)
    XCTAssertEqual(target.breakpoints[1].0, .write)
    XCTAssertEqual(target.breakpoints[1].1, 0xB8000)
    XCTAssertEqual(target.breakpoints[2].3, false)
    XCTAssertEqual(exchange(stub, "Z9,0,1").0, "", "unknown types are unsupported")
    XCTAssertEqual(exchange(stub, "Z0,zz,1").0, "E01")
  }

  func testResumeActionsAndStopReplies() {
    let stub = GDBStub(target: FakeTarget())
    XCTAssertEqual(exchange(stub, "c").1.action, .continue)
    XCTAssertEqual(exchange(stub, "s").1.action, .step)
    XCTAssertEqual(exchange(stub, "vCont;s:1;c").1.action, .step)
    XCTAssertEqual(exchange(stub, "vCont;c").1.action, .continue)
    XCTAssertEqual(exchange(stub, "vCont?").0, "vCont;c;C;s;S")
    XCTAssertEqual(exchange(stub, "bs").1.action, .reverseStep)
    XCTAssertEqual(exchange(stub, "D").1.action, .detach)
    XCTAssertTrue(stub.receive([0x03]).interrupt)
    XCTAssertEqual(replies(stub.stopped(.watchpoint(.write, address: 0xB8000))), ["T05watch:b8000;"])
    XCTAssertEqual(replies(stub.stopped(.breakpoint(.software))), ["T05swbreak:;"])
    XCTAssertEqual(replies(stub.stopped(.exited(3))), ["W03"])
    XCTAssertEqual(replies(stub.stopped(.signal(2))), ["S02"])
    XCTAssertEqual(exchange(stub, "?").0, "S05")
  }

  func testMonitorCommandsAreHexInAndOut() {
    let target = FakeTarget()
    let stub = GDBStub(target: target)
    let (reply, _) = exchange(stub, "qRcmd," + Hex.encode("info mem"))
    XCTAssertEqual(target.monitorCommands, ["info mem"])
    XCTAssertEqual(
      reply.flatMap { Hex.decode(Array($0.utf8)) }.map { String(decoding: $0, as: UTF8.self) }, "ran info mem\n")
    XCTAssertEqual(exchange(stub, "qRcmd,zz").0, "E01")
  }

  func testNackResendsAndBadChecksumAsksAgain() {
    let stub = GDBStub(target: FakeTarget())
    let first = stub.receive(packet("qC")).output
    XCTAssertEqual(stub.receive([UInt8(ascii: "-")]).output, Array(first.dropFirst()))
    XCTAssertEqual(stub.receive(Array("$qC#00".utf8)).output, [UInt8(ascii: "-")])
  }

  func testNoAckMode() {
    let stub = GDBStub(target: FakeTarget())
    _ = stub.receive(packet("QStartNoAckMode"))
    XCTAssertEqual(stub.receive(packet("qC")).output, Packet.frame("QC1"))
  }

  func testUnknownAndEmptyPacketsGetTheEmptyReply() {
    let stub = GDBStub(target: FakeTarget())
    XCTAssertEqual(exchange(stub, "vMustReplyEmpty").0, "")
    XCTAssertEqual(exchange(stub, "qTStatus").0, "")
    XCTAssertEqual(replies(stub.receive(Packet.frame("")).output), [""])
  }

  func testGarbagePacketsNeverCrash() {
    let stub = GDBStub(target: FakeTarget())
    var generator = SystemRandomNumberGenerator()
    let letters = Array("gGpPmMXcsCSZzbvqQHTDk?,:;=#$}0123456789abcdefxyz".utf8)
    for _ in 0..<3000 {
      let body = (0..<Int.random(in: 0..<40, using: &generator)).map { _ in letters.randomElement(using: &generator)! }
      if body.first == UInt8(ascii: "k") || body.first == UInt8(ascii: "D") { continue }
      _ = stub.receive(Packet.frame(body))
    }
    XCTAssertEqual(exchange(stub, "qC").0, "QC1")
  }
}
