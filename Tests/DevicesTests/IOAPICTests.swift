// The I/O APIC through its two windows and its input pins.

import Devices
import XCTest

final class IOAPICTests: XCTestCase {
  func select(_ ioapic: IOAPIC, _ register: UInt32, write value: UInt32? = nil) -> UInt32 {
    ioapic.write(offset: 0x00, size: 4, value: UInt64(register))
    if let value { ioapic.write(offset: 0x10, size: 4, value: UInt64(value)) }
    return UInt32(ioapic.read(offset: 0x10, size: 4))
  }

  func testVersionAndResetState() {
    let ioapic = IOAPIC()
    XCTAssertEqual(select(ioapic, 0x01), 0x0017_0020, "version 0x20, 24 entries")
    for pin in 0..<24 { XCTAssertEqual(select(ioapic, 0x10 + 2 * UInt32(pin)), 0x1_0000, "pin \(pin) masked") }
    XCTAssertEqual(select(ioapic, 0x00, write: 0x0500_0000), 0x0500_0000, "ID bits 27:24")
  }

  func testAnEdgeEntrySendsOnEachRisingEdge() {
    let ioapic = IOAPIC()
    var sent: [IOAPICMessage] = []
    ioapic.deliver = { sent.append($0) }
    _ = select(ioapic, 0x10 + 2 * 4, write: 0x31)  // pin 4: vector 0x31, fixed, edge, unmasked
    _ = select(ioapic, 0x11 + 2 * 4, write: 0x0300_0000)  // destination APIC 3
    ioapic.setLevel(4, true)
    ioapic.setLevel(4, true)
    ioapic.setLevel(4, false)
    ioapic.setLevel(4, true)
    XCTAssertEqual(sent.count, 2)
    XCTAssertEqual(
      sent.first,
      IOAPICMessage(vector: 0x31, deliveryMode: 0, destination: 3, logicalDestination: false, levelTriggered: false))
  }

  func testALevelEntryWaitsForTheEOI() {
    let ioapic = IOAPIC()
    var sent = 0
    ioapic.deliver = { _ in sent += 1 }
    _ = select(ioapic, 0x10 + 2 * 9, write: 0x8041)  // pin 9: vector 0x41, level-triggered
    ioapic.setLevel(9, true)
    XCTAssertEqual(sent, 1)
    XCTAssertEqual(select(ioapic, 0x10 + 2 * 9) & (1 << 14), 1 << 14, "remote IRR")
    ioapic.setLevel(9, true)
    XCTAssertEqual(sent, 1, "nothing more until the EOI")
    ioapic.endOfInterrupt(vector: 0x41)
    XCTAssertEqual(sent, 2, "still asserted: sent again")
    ioapic.setLevel(9, false)
    ioapic.endOfInterrupt(vector: 0x41)
    XCTAssertEqual(sent, 2)
    XCTAssertEqual(select(ioapic, 0x10 + 2 * 9) & (1 << 14), 0)
  }

  func testAMaskedEntrySendsNothingAndActiveLowInverts() {
    let ioapic = IOAPIC()
    var sent = 0
    ioapic.deliver = { _ in sent += 1 }
    ioapic.setLevel(1, true)
    XCTAssertEqual(sent, 0, "masked at reset")
    _ = select(ioapic, 0x10 + 2 * 5, write: 0xA042)  // pin 5: level, active low
    XCTAssertEqual(sent, 1, "a low input is asserted for an active-low entry")
  }
}
