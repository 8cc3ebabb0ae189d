import Devices
import XCTest

final class PIC8259Tests: XCTestCase {
  /// The usual PC remap: master vectors 0x20-0x27, slave 0x28-0x2F, slave on IR2, 8086 mode.
  private func makeInitializedPair(master: UInt8 = 0x20, slave: UInt8 = 0x28, icw4: UInt8 = 0x01) -> PIC8259Pair {
    let pic = PIC8259Pair()
    pic.write(port: 0x20, size: 1, value: 0x11)
    pic.write(port: 0xA0, size: 1, value: 0x11)
    pic.write(port: 0x21, size: 1, value: UInt32(master))
    pic.write(port: 0xA1, size: 1, value: UInt32(slave))
    pic.write(port: 0x21, size: 1, value: 0x04)
    pic.write(port: 0xA1, size: 1, value: 0x02)
    pic.write(port: 0x21, size: 1, value: UInt32(icw4))
    pic.write(port: 0xA1, size: 1, value: UInt32(icw4))
    return pic
  }

  private func readISR(_ pic: PIC8259Pair, port: UInt16) -> UInt32 {
    pic.write(port: port, size: 1, value: 0x0B)
    return pic.read(port: port, size: 1)
  }

  private func readIRR(_ pic: PIC8259Pair, port: UInt16) -> UInt32 {
    pic.write(port: port, size: 1, value: 0x0A)
    return pic.read(port: port, size: 1)
  }

  func testInitializationSetsVectorBasesAndClearsMask() {
    let pic = PIC8259Pair()
    pic.write(port: 0x21, size: 1, value: 0xFF)
    XCTAssertEqual(pic.read(port: 0x21, size: 1), 0xFF)
    let initialized = makeInitializedPair(master: 0x30, slave: 0x78)
    XCTAssertEqual(initialized.master.vectorBase, 0x30)
    XCTAssertEqual(initialized.slave.vectorBase, 0x78)
    XCTAssertEqual(initialized.master.cascadeConfiguration, 0x04)
    XCTAssertEqual(initialized.slave.cascadeConfiguration, 0x02)
    XCTAssertFalse(initialized.master.isInitializing)
    XCTAssertEqual(initialized.read(port: 0x21, size: 1), 0x00, "ICW1 clears the IMR")
  }

  func testMaskReadBack() {
    let pic = makeInitializedPair()
    pic.write(port: 0x21, size: 1, value: 0xB8)
    pic.write(port: 0xA1, size: 1, value: 0x5A)
    XCTAssertEqual(pic.read(port: 0x21, size: 1), 0xB8)
    XCTAssertEqual(pic.read(port: 0xA1, size: 1), 0x5A)
    XCTAssertEqual(pic.read(port: 0x60, size: 1), 0xFF, "undecoded port")
  }

  func testRequestAcknowledgeAndNonSpecificEOI() {
    let pic = makeInitializedPair()
    XCTAssertFalse(pic.hasPendingInterrupt)
    pic.setLevel(0, true)
    XCTAssertTrue(pic.hasPendingInterrupt)
    XCTAssertEqual(readIRR(pic, port: 0x20), 0x01)
    XCTAssertEqual(pic.acknowledge(), 0x20)
    XCTAssertEqual(readIRR(pic, port: 0x20), 0x00)
    XCTAssertEqual(readISR(pic, port: 0x20), 0x01)
    XCTAssertFalse(pic.hasPendingInterrupt)
    pic.write(port: 0x20, size: 1, value: 0x20)
    XCTAssertEqual(readISR(pic, port: 0x20), 0x00)
  }

  func testMaskedRequestStaysInIRRUntilUnmasked() {
    let pic = makeInitializedPair()
    pic.write(port: 0x21, size: 1, value: 0x02)
    pic.setLevel(1, true)
    XCTAssertFalse(pic.hasPendingInterrupt)
    XCTAssertEqual(readIRR(pic, port: 0x20), 0x02)
    pic.write(port: 0x21, size: 1, value: 0x00)
    XCTAssertTrue(pic.hasPendingInterrupt)
    XCTAssertEqual(pic.acknowledge(), 0x21)
  }

  func testFixedPriorityAndNesting() {
    let pic = makeInitializedPair()
    pic.setLevel(3, true)
    pic.setLevel(1, true)
    XCTAssertEqual(pic.acknowledge(), 0x21, "IRQ 1 outranks IRQ 3")
    XCTAssertFalse(pic.hasPendingInterrupt, "IRQ 3 waits while IRQ 1 is in service")
    pic.setLevel(0, true)
    XCTAssertTrue(pic.hasPendingInterrupt, "IRQ 0 nests over IRQ 1")
    XCTAssertEqual(pic.acknowledge(), 0x20)
    XCTAssertEqual(readISR(pic, port: 0x20), 0x03)
    pic.write(port: 0x20, size: 1, value: 0x20)  // ends IRQ 0, the highest in service
    XCTAssertEqual(readISR(pic, port: 0x20), 0x02)
    XCTAssertFalse(pic.hasPendingInterrupt)
    pic.write(port: 0x20, size: 1, value: 0x20)
    XCTAssertEqual(pic.acknowledge(), 0x23)
  }

  func testSpecificEOIClearsOnlyThatLevel() {
    let pic = makeInitializedPair()
    pic.setLevel(4, true)
    XCTAssertEqual(pic.acknowledge(), 0x24)
    pic.setLevel(1, true)
    XCTAssertEqual(pic.acknowledge(), 0x21)
    XCTAssertEqual(readISR(pic, port: 0x20), 0x12)
    pic.write(port: 0x20, size: 1, value: 0x64)  // specific EOI for IR4
    XCTAssertEqual(readISR(pic, port: 0x20), 0x02)
  }

  func testEdgeTriggeringNeedsANewRisingEdge() {
    let pic = makeInitializedPair()
    pic.setLevel(6, true)
    XCTAssertEqual(pic.acknowledge(), 0x26)
    pic.write(port: 0x20, size: 1, value: 0x20)
    pic.setLevel(6, true)
    XCTAssertFalse(pic.hasPendingInterrupt, "a line held high does not request again")
    pic.setLevel(6, false)
    pic.setLevel(6, true)
    XCTAssertTrue(pic.hasPendingInterrupt)
  }

  func testCascadeThroughIRQ2() {
    let pic = makeInitializedPair()
    pic.setLevel(12, true)
    XCTAssertTrue(pic.hasPendingInterrupt)
    XCTAssertEqual(readIRR(pic, port: 0x20), 0x04, "the slave requests on master IR2")
    XCTAssertEqual(pic.acknowledge(), 0x2C)
    XCTAssertEqual(readISR(pic, port: 0xA0), 0x10)
    XCTAssertEqual(readISR(pic, port: 0x20), 0x04)
    pic.write(port: 0xA0, size: 1, value: 0x20)
    pic.write(port: 0x20, size: 1, value: 0x20)
    XCTAssertEqual(readISR(pic, port: 0xA0), 0x00)
    XCTAssertEqual(readISR(pic, port: 0x20), 0x00)
  }

  func testSlaveMaskBlocksCascade() {
    let pic = makeInitializedPair()
    pic.write(port: 0xA1, size: 1, value: 0x01)
    pic.setLevel(8, true)
    XCTAssertFalse(pic.hasPendingInterrupt)
    pic.write(port: 0x21, size: 1, value: 0x04)
    pic.write(port: 0xA1, size: 1, value: 0x00)
    XCTAssertFalse(pic.hasPendingInterrupt, "master IR2 masked")
    pic.write(port: 0x21, size: 1, value: 0x00)
    XCTAssertEqual(pic.acknowledge(), 0x28)
  }

  func testSpuriousMasterInterruptGivesIRQ7WithoutISR() {
    let pic = makeInitializedPair()
    XCTAssertEqual(pic.acknowledge(), 0x27)
    XCTAssertEqual(readISR(pic, port: 0x20), 0x00)
    pic.setLevel(5, true)
    pic.write(port: 0x21, size: 1, value: 0x20)  // masked between INT and INTA
    XCTAssertEqual(pic.acknowledge(), 0x27)
    XCTAssertEqual(readISR(pic, port: 0x20), 0x00)
  }

  func testSpuriousSlaveInterruptGivesIRQ15AndMarksCascadeInService() {
    let pic = makeInitializedPair()
    pic.setLevel(10, true)
    XCTAssertTrue(pic.hasPendingInterrupt)
    pic.write(port: 0xA1, size: 1, value: 0x04)  // the slave's request disappears
    XCTAssertTrue(pic.hasPendingInterrupt, "the master latched the cascade edge")
    XCTAssertEqual(pic.acknowledge(), 0x2F)
    XCTAssertEqual(readISR(pic, port: 0xA0), 0x00)
    XCTAssertEqual(readISR(pic, port: 0x20), 0x04)
  }

  func testAutoEOILeavesISRClear() {
    let pic = makeInitializedPair(icw4: 0x03)
    XCTAssertTrue(pic.master.autoEOI)
    pic.setLevel(1, true)
    XCTAssertEqual(pic.acknowledge(), 0x21)
    XCTAssertEqual(readISR(pic, port: 0x20), 0x00)
    pic.setLevel(3, true)
    XCTAssertTrue(pic.hasPendingInterrupt)
  }

  func testPollCommand() {
    let pic = makeInitializedPair()
    pic.setLevel(5, true)
    pic.write(port: 0x20, size: 1, value: 0x0C)
    XCTAssertEqual(pic.read(port: 0x20, size: 1), 0x85)
    XCTAssertEqual(readISR(pic, port: 0x20), 0x20)
    pic.write(port: 0x20, size: 1, value: 0x0C)
    XCTAssertEqual(pic.read(port: 0x20, size: 1), 0x00, "no request")
  }

  func testSetPriorityRotatesOrder() {
    let pic = makeInitializedPair()
    pic.write(port: 0x20, size: 1, value: 0xC4)  // IR4 lowest, so IR5 highest
    pic.setLevel(1, true)
    pic.setLevel(6, true)
    XCTAssertEqual(pic.acknowledge(), 0x26)
  }

  func testLevelTriggeredMode() {
    let pic = PIC8259Pair()
    pic.write(port: 0x20, size: 1, value: 0x19)  // LTIM
    pic.write(port: 0x21, size: 1, value: 0x40)
    pic.write(port: 0x21, size: 1, value: 0x04)
    pic.write(port: 0x21, size: 1, value: 0x01)
    pic.setLevel(3, true)
    XCTAssertEqual(pic.acknowledge(), 0x43)
    pic.write(port: 0x20, size: 1, value: 0x20)
    XCTAssertTrue(pic.hasPendingInterrupt, "a level request stays while the line is high")
    pic.setLevel(3, false)
    XCTAssertFalse(pic.hasPendingInterrupt)
  }

  func testPICPairAsInterruptLine() {
    let pic = makeInitializedPair()
    let line: InterruptLine = pic
    line.setLevel(15, true)
    XCTAssertEqual(pic.acknowledge(), 0x2F)
    XCTAssertEqual(readISR(pic, port: 0xA0), 0x80, "a real IRQ 15 is in service, unlike a spurious one")
  }

  func testSpecialFullyNestedModeLetsTheSlaveNest() {
    for sfnm in [false, true] {
      let pic = makeInitializedPair()
      if sfnm {  // re-initialize the master with ICW4 SFNM
        pic.write(port: 0x20, size: 1, value: 0x11)
        pic.write(port: 0x21, size: 1, value: 0x20)
        pic.write(port: 0x21, size: 1, value: 0x04)
        pic.write(port: 0x21, size: 1, value: 0x11)
      }
      pic.setLevel(12, true)
      XCTAssertEqual(pic.acknowledge(), 0x2C)
      pic.setLevel(9, true)
      XCTAssertEqual(pic.hasPendingInterrupt, sfnm, "IRQ 9 nests over IRQ 12 only in SFNM")
      if sfnm {
        XCTAssertEqual(pic.acknowledge(), 0x29)
        XCTAssertEqual(readISR(pic, port: 0xA0), 0x12)
      }
    }
  }

  func testPortRanges() {
    XCTAssertEqual(PIC8259Pair().portRanges, [0x20...0x21, 0xA0...0xA1])
  }
}
