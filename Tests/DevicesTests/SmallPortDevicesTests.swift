import Devices
import XCTest

final class SmallPortDevicesTests: XCTestCase {
  func testDebugExitPassesTheValue() {
    var values: [UInt32] = []
    let device = DebugExit(onExit: { values.append($0) })
    device.write(port: 0xF4, size: 1, value: 0x10)
    device.write(port: 0xF4, size: 4, value: 0x1234_5678)
    device.write(port: 0xF8, size: 1, value: 0x01)
    XCTAssertEqual(values, [0x10, 0x1234_5678])
    XCTAssertEqual(device.lastValue, 0x1234_5678)
    XCTAssertEqual(DebugExit.exitStatus(for: 0x10), 0x21)
    XCTAssertEqual(DebugExit.exitStatus(for: 0), 1)
    XCTAssertEqual(device.read(port: 0xF4, size: 2), 0xFFFF)
  }

  func testDebugExitMasksToTheAccessSize() {
    var values: [UInt32] = []
    let device = DebugExit(onExit: { values.append($0) })
    device.write(port: 0xF5, size: 1, value: 0x1FF)
    XCTAssertEqual(values, [0xFF])
  }

  func testPostCodePortRecordsTheLastValue() {
    let post = PostCodePort()
    XCTAssertNil(post.lastValue)
    post.write(port: 0x80, size: 1, value: 0x12)
    post.write(port: 0x80, size: 1, value: 0x34)
    post.write(port: 0x81, size: 1, value: 0x56)
    XCTAssertEqual(post.lastValue, 0x34)
    XCTAssertEqual(post.writeCount, 2)
    XCTAssertEqual(post.read(port: 0x80, size: 1), 0xFF)
  }

  func testACPIPowerOff() {
    var powerOffs = 0
    let pm = ACPIPowerOff(onPowerOff: { powerOffs += 1 })
    pm.write(port: 0x604, size: 1, value: 0x00)
    pm.write(port: 0x604, size: 2, value: 0x1400)  // SLP_TYP 5 without SLP_EN
    XCTAssertEqual(powerOffs, 0)
    XCTAssertEqual(pm.read(port: 0x604, size: 2), 0x1400)
    pm.write(port: 0x604, size: 2, value: 0x3400)  // SLP_EN with SLP_TYP 5: not S5 on this machine
    XCTAssertEqual(powerOffs, 0)
    pm.write(port: 0x600, size: 2, value: 0x2000)
    XCTAssertEqual(powerOffs, 0)
    pm.write(port: 0x604, size: 2, value: 0x2000)
    XCTAssertEqual(powerOffs, 1)
    XCTAssertEqual(pm.read(port: 0x604, size: 2), 0x0000, "SLP_EN reads as 0")
  }
}
