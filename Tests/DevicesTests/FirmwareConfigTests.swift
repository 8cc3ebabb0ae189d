// fw_cfg through its selector and data ports, as QEMU's traditional interface behaves
// (docs/specs/fw_cfg.rst) and as kvm-unit-tests reads it (lib/x86/fwcfg.c: OUTW to 0x510, INB from 0x511).

import Devices
import StateCoding
import XCTest

final class FirmwareConfigTests: XCTestCase {
  func read(_ device: FirmwareConfig, key: UInt16, bytes: Int) -> UInt64 {
    device.write(port: 0x510, size: 2, value: UInt32(key))
    var value: UInt64 = 0
    for k in 0..<bytes { value |= UInt64(device.read(port: 0x511, size: 1)) << (8 * UInt64(k)) }
    return value
  }

  func testItemsAPCGuestReads() {
    let device = FirmwareConfig(ramSize: 128 << 20)
    XCTAssertEqual(read(device, key: 0x00, bytes: 4), 0x554D_4551, "\"QEMU\"")
    XCTAssertEqual(read(device, key: 0x01, bytes: 4), 1, "traditional interface, no DMA")
    XCTAssertEqual(read(device, key: 0x03, bytes: 8), 128 << 20, "RAM size")
    XCTAssertEqual(read(device, key: 0x05, bytes: 2), 1, "one CPU")
    XCTAssertEqual(read(device, key: 0x0F, bytes: 2), 1)
    XCTAssertEqual(read(device, key: 0x19, bytes: 4), 0, "an empty file directory")
    XCTAssertEqual(read(device, key: 0x11, bytes: 8), 0, "an item that does not exist reads as zeros")
  }

  func testSelectingRewindsAndReadsPastTheEndAreZero() {
    let device = FirmwareConfig(ramSize: 64 << 20)
    device.write(port: 0x510, size: 2, value: 0)
    XCTAssertEqual(device.read(port: 0x511, size: 2), 0x4551, "a wide read takes that many bytes")
    XCTAssertEqual(device.read(port: 0x511, size: 2), 0x554D)
    XCTAssertEqual(device.read(port: 0x511, size: 1), 0, "past the end")
    device.write(port: 0x511, size: 1, value: 0xFF)  // ignored
    device.write(port: 0x510, size: 2, value: 0)
    XCTAssertEqual(device.read(port: 0x511, size: 1), 0x51, "selecting again starts at the first byte")
  }

  func testSnapshotKeepsTheReadPosition() {
    let device = FirmwareConfig(ramSize: 64 << 20)
    device.write(port: 0x510, size: 2, value: 0)
    _ = device.read(port: 0x511, size: 1)
    var saving = StateCoder.saving()
    device.code(&saving)
    let copy = FirmwareConfig(ramSize: 64 << 20)
    var restoring = StateCoder.restoring(saving.bytes)
    copy.code(&restoring)
    XCTAssertEqual(copy.read(port: 0x511, size: 1), 0x45, "the second byte of the signature")
  }
}
