import Devices
import XCTest

final class VGATextDeviceTests: XCTestCase {
  private func setCRTC(_ vga: VGATextDevice, _ index: UInt8, _ value: UInt8) {
    vga.write(port: 0x3D4, size: 1, value: UInt32(index))
    vga.write(port: 0x3D5, size: 1, value: UInt32(value))
  }

  private func crtc(_ vga: VGATextDevice, _ index: UInt8) -> UInt32 {
    vga.write(port: 0x3D4, size: 1, value: UInt32(index))
    return vga.read(port: 0x3D5, size: 1)
  }

  func testPowerOnScreenIsBlankMode3() {
    let vga = VGATextDevice()
    let screen = vga.screen()
    XCTAssertEqual(screen.cells.count, 4000)
    XCTAssertEqual(screen.cells[0], 0x20)
    XCTAssertEqual(screen.cells[1], 0x07)
    XCTAssertEqual(
      screen.cursor, VGACursor(location: 0, row: 0, column: 0, isVisible: true, startScanline: 13, endScanline: 14))
    XCTAssertTrue(screen.blinkEnabled)
    XCTAssertTrue(screen.lineGraphicsEnabled)
  }

  func testTextMemoryThroughMMIOAndRawPointer() {
    let vga = VGATextDevice()
    vga.write(offset: 0, size: 2, value: 0x1F41)
    XCTAssertEqual(vga.memory.load(fromByteOffset: 0, as: UInt8.self), 0x41)
    XCTAssertEqual(vga.memory.load(fromByteOffset: 1, as: UInt8.self), 0x1F)
    vga.memory.storeBytes(of: 0x42, toByteOffset: 160, as: UInt8.self)
    XCTAssertEqual(vga.read(offset: 160, size: 1), 0x42)
    vga.write(offset: 4, size: 8, value: 0x0102_0304_0506_0708)
    XCTAssertEqual(vga.read(offset: 4, size: 4), 0x0506_0708)
    XCTAssertEqual(vga.read(offset: 0x8000, size: 1), 0xFF, "outside the window")
    vga.write(offset: 0x7FFF, size: 2, value: 0xAABB)
    XCTAssertEqual(vga.read(offset: 0x7FFF, size: 1), 0xBB)
    let screen = vga.screen()
    XCTAssertEqual(Array(screen.cells[0..<2]), [0x41, 0x1F])
    XCTAssertEqual(screen.cells[160], 0x42)
  }

  func testCRTCIndexAndRegisterReadBack() {
    let vga = VGATextDevice()
    for index: UInt8 in [0x08, 0x09, 0x13, 0x14, 0x18] {
      setCRTC(vga, index, index &* 3)
      XCTAssertEqual(crtc(vga, index), UInt32(index &* 3))
    }
    XCTAssertEqual(vga.read(port: 0x3D4, size: 1), 0x18)
    XCTAssertEqual(crtc(vga, 0x01), 0x4F, "mode 3 horizontal display end")
    XCTAssertEqual(crtc(vga, 0x40), 0xFF, "no such register")
  }

  func testCursorLocationWithWordWrites() {
    let vga = VGATextDevice()
    let position = 3 * 80 + 7
    // outw(0x3D4, index | value << 8), as many kernels do.
    vga.write(port: 0x3D4, size: 2, value: 0x0E | UInt32(position >> 8) << 8)
    vga.write(port: 0x3D4, size: 2, value: 0x0F | UInt32(position & 0xFF) << 8)
    let cursor = vga.screen().cursor
    XCTAssertEqual(cursor.location, position)
    XCTAssertEqual(cursor.row, 3)
    XCTAssertEqual(cursor.column, 7)
    XCTAssertTrue(cursor.isVisible)
    XCTAssertEqual(crtc(vga, 0x0F), UInt32(position & 0xFF))
  }

  func testCursorShapeAndDisableBit() {
    let vga = VGATextDevice()
    setCRTC(vga, 0x0A, 0x00)
    setCRTC(vga, 0x0B, 0x0F)
    var cursor = vga.cursor
    XCTAssertEqual(cursor.startScanline, 0)
    XCTAssertEqual(cursor.endScanline, 15)
    XCTAssertTrue(cursor.isVisible)
    setCRTC(vga, 0x0A, 0x20)
    cursor = vga.cursor
    XCTAssertFalse(cursor.isVisible, "bit 5 disables the cursor")
    XCTAssertEqual(crtc(vga, 0x0A), 0x20)
    setCRTC(vga, 0x0A, 0x0E)
    setCRTC(vga, 0x0B, 0x0D)
    XCTAssertFalse(vga.cursor.isVisible, "start after end draws nothing")
  }

  func testStartAddressScrollsTheScreen() {
    let vga = VGATextDevice()
    vga.write(offset: 160, size: 2, value: 0x0758)  // row 1, column 0
    setCRTC(vga, 0x0C, 0x00)
    setCRTC(vga, 0x0D, 80)
    XCTAssertEqual(vga.startAddress, 80)
    let screen = vga.screen()
    XCTAssertEqual(screen.cells[0], 0x58)
    setCRTC(vga, 0x0E, 0)
    setCRTC(vga, 0x0F, 80 + 81)
    XCTAssertEqual(vga.cursor.row, 1)
    XCTAssertEqual(vga.cursor.column, 1)
    setCRTC(vga, 0x0F, 10)
    XCTAssertNil(vga.cursor.row, "above the visible window")
    XCTAssertFalse(vga.cursor.isVisible)
  }

  func testScreenWrapsAtTheEndOfTextMemory() {
    let vga = VGATextDevice()
    vga.write(offset: 0, size: 1, value: 0x5A)
    let start = 0x4000 - 40  // cells: 40 cells before the end of the 32 KiB window
    setCRTC(vga, 0x0C, UInt8(start >> 8))
    setCRTC(vga, 0x0D, UInt8(start & 0xFF))
    XCTAssertEqual(vga.screen().cells[80], 0x5A)
  }

  func testInputStatusTogglesRetraceDeterministically() {
    let vga = VGATextDevice()
    let first = vga.read(port: 0x3DA, size: 1)
    let second = vga.read(port: 0x3DA, size: 1)
    XCTAssertEqual(first ^ second, 0x09)
    XCTAssertEqual(vga.read(port: 0x3DA, size: 1), first)
    XCTAssertEqual(VGATextDevice().read(port: 0x3DA, size: 1), first, "same sequence every run")
  }

  func testAttributeControllerFlipFlopAndBlinkBit() {
    let vga = VGATextDevice()
    _ = vga.read(port: 0x3DA, size: 1)  // reset the flip-flop to "index"
    vga.write(port: 0x3C0, size: 1, value: 0x30)  // index 0x10, PAS set
    vga.write(port: 0x3C0, size: 1, value: 0x04)  // mode control: no blink, line graphics
    XCTAssertFalse(vga.screen().blinkEnabled)
    XCTAssertEqual(vga.read(port: 0x3C0, size: 1), 0x30)
    XCTAssertEqual(vga.read(port: 0x3C1, size: 1), 0x04)
    vga.write(port: 0x3C0, size: 1, value: 0x31)  // flip-flop is back at index
    _ = vga.read(port: 0x3DA, size: 1)
    vga.write(port: 0x3C0, size: 1, value: 0x30)
    vga.write(port: 0x3C0, size: 1, value: 0x08)
    XCTAssertTrue(vga.screen().blinkEnabled)
    XCTAssertFalse(vga.screen().lineGraphicsEnabled)
  }

  func testCRTCProtectBit() {
    let vga = VGATextDevice()
    setCRTC(vga, 0x11, 0x8E)
    setCRTC(vga, 0x01, 0x27)
    XCTAssertEqual(crtc(vga, 0x01), 0x4F, "protected")
    setCRTC(vga, 0x11, 0x0E)
    setCRTC(vga, 0x01, 0x27)
    XCTAssertEqual(crtc(vga, 0x01), 0x27)
  }

  func testMonochromeAliasesAndUndecodedPorts() {
    let vga = VGATextDevice()
    vga.write(port: 0x3B4, size: 1, value: 0x0F)
    vga.write(port: 0x3B5, size: 1, value: 0x21)
    XCTAssertEqual(vga.cursor.location, 0x21)
    XCTAssertEqual(vga.read(port: 0x3D4, size: 1), 0x0F, "one CRTC behind both addresses")
    XCTAssertEqual(vga.read(port: 0x3C8, size: 1), 0xFF)
    XCTAssertEqual(vga.read(port: 0x3D4, size: 2), 0x210F)
    vga.write(port: 0x3C2, size: 1, value: 0x63)
    XCTAssertEqual(vga.read(port: 0x3CC, size: 1), 0x63)
  }
}
