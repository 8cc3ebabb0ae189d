// pc-testdev through its ports and memory window, as kvm-unit-tests uses it.

import Devices
import XCTest

final class PCTestDeviceTests: XCTestCase {
  func testTheLatchKeepsByteLanes() {
    let device = PCTestDevice(interruptLine: InterruptRecorder())
    device.write(port: 0xE0, size: 4, value: 0x1122_3344)
    XCTAssertEqual(device.read(port: 0xE0, size: 4), 0x1122_3344)
    device.write(port: 0xE1, size: 1, value: 0xAB)
    XCTAssertEqual(device.read(port: 0xE0, size: 4), 0x1122_AB44, "a byte write changes one lane")
    XCTAssertEqual(device.read(port: 0xE2, size: 2), 0x1122)
    device.write(port: 0xE0, size: 2, value: 0xBEEF)
    XCTAssertEqual(device.read(port: 0xE0, size: 1), 0xEF)
    XCTAssertEqual(device.read(port: 0xE0, size: 4), 0x1122_BEEF)
  }

  func testIRQPortsDriveTheISALines() {
    let lines = InterruptRecorder()
    let device = PCTestDevice(interruptLine: lines)
    device.write(port: 0x200B, size: 1, value: 1)
    XCTAssertTrue(lines.level(11))
    device.write(port: 0x200B, size: 1, value: 0)
    XCTAssertFalse(lines.level(11))
    XCTAssertEqual(lines.risingEdges(11), 1)
    device.write(port: 0x2014, size: 1, value: 1)
    XCTAssertTrue(device.lineLevels[20])
    XCTAssertTrue(lines.level(20), "an I/O APIC-only line is driven too")
  }

  func testTheFlushPortChangesNothingAndTheMemoryWindowHoldsData() {
    let device = PCTestDevice(interruptLine: InterruptRecorder())
    device.memory.storeBytes(of: 0xDEAD_BEEF as UInt32, toByteOffset: 0x100, as: UInt32.self)
    device.write(port: 0xE4, size: 4, value: 0x1000)
    XCTAssertEqual(device.memory.load(fromByteOffset: 0x100, as: UInt32.self), 0xDEAD_BEEF)
    XCTAssertEqual(device.read(port: 0xE4, size: 4), 0xFFFF_FFFF, "write-only")
  }
}
