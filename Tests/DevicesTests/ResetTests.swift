import Devices
import XCTest

/// `reset()` must bring a device back to what a new instance shows through its ports.
final class ResetTests: XCTestCase {
  /// Reads every port in `ranges` twice (reads have side effects; both devices get the same sequence).
  private func sweep(_ ranges: [ClosedRange<UInt16>], _ read: (UInt16, Int) -> UInt32) -> [UInt32] {
    var values: [UInt32] = []
    for _ in 0..<2 {
      for range in ranges { for port in range { values.append(read(port, 1)) } }
    }
    return values
  }

  func testPICPair() {
    let pic = PIC8259Pair()
    for (port, value) in [(0x20, 0x11), (0x21, 0x30), (0x21, 0x04), (0x21, 0x03), (0x21, 0x5A), (0x20, 0x0B)] {
      pic.write(port: UInt16(port), size: 1, value: UInt32(value))
    }
    pic.setLevel(3, true)
    pic.setLevel(12, true)
    pic.reset()
    let fresh = PIC8259Pair()
    XCTAssertEqual(sweep(pic.portRanges, pic.read), sweep(fresh.portRanges, fresh.read))
    XCTAssertFalse(pic.hasPendingInterrupt)
    XCTAssertEqual(pic.master.vectorBase, 0)
  }

  func testPIT() {
    let irqs = InterruptRecorder()
    let pit = PIT8254(cyclesPerSecond: PIT8254.frequency, interruptLine: irqs)
    pit.write(port: 0x43, size: 1, value: 0x30)
    pit.write(port: 0x40, size: 1, value: 0x10)
    pit.write(port: 0x40, size: 1, value: 0x00)
    pit.write(port: 0x43, size: 1, value: 0xC2)
    pit.write(port: 0x61, size: 1, value: 0x03)
    pit.reset()
    let fresh = PIT8254(cyclesPerSecond: PIT8254.frequency)
    XCTAssertEqual(sweep(pit.portRanges, pit.read), sweep(fresh.portRanges, fresh.read))
    XCTAssertEqual(pit.nextEventCycle, UInt64.max)
  }

  func testUART() {
    let irqs = InterruptRecorder()
    let uart = UART16550(interruptLine: irqs)
    for (offset, value) in [(3, 0x83), (0, 0x01), (3, 0x03), (2, 0xC7), (4, 0x0B), (1, 0x0F), (7, 0x55)] {
      uart.write(port: 0x3F8 + UInt16(offset), size: 1, value: UInt32(value))
    }
    uart.receive(0x41)
    XCTAssertTrue(irqs.level(4))
    uart.reset()
    XCTAssertFalse(irqs.level(4), "reset lowers the line")
    let fresh = UART16550()
    XCTAssertEqual(sweep(uart.portRanges, uart.read), sweep(fresh.portRanges, fresh.read))
  }

  func testI8042() {
    let irqs = InterruptRecorder()
    let kbc = I8042(interruptLine: irqs)
    kbc.write(port: 0x64, size: 1, value: 0x60)
    kbc.write(port: 0x60, size: 1, value: 0x01)
    kbc.write(port: 0x60, size: 1, value: 0xF5)
    kbc.enqueueScancodes([1, 2, 3])
    kbc.write(port: 0x64, size: 1, value: 0xD1)
    XCTAssertTrue(irqs.level(1))
    kbc.reset()
    XCTAssertFalse(irqs.level(1))
    let fresh = I8042()
    XCTAssertEqual(sweep(kbc.portRanges, kbc.read), sweep(fresh.portRanges, fresh.read))
    kbc.write(port: 0x64, size: 1, value: 0x20)
    XCTAssertEqual(kbc.read(port: 0x60, size: 1), 0x65)
    XCTAssertTrue(kbc.scanningEnabled)
  }

  func testVGA() {
    let vga = VGATextDevice()
    vga.write(offset: 10, size: 4, value: 0xDEAD_BEEF)
    vga.write(port: 0x3D4, size: 2, value: 0x200A)
    vga.write(port: 0x3C0, size: 1, value: 0x30)
    _ = vga.read(port: 0x3DA, size: 1)
    vga.reset()
    let fresh = VGATextDevice()
    XCTAssertEqual(vga.screen(), fresh.screen())
    XCTAssertEqual(sweep(vga.portRanges, vga.read), sweep(fresh.portRanges, fresh.read))
  }

  func testCMOSKeepsTimeAndRAMButClearsInterrupts() {
    let irqs = InterruptRecorder()
    let rtc = CMOS(cyclesPerSecond: 1000, interruptLine: irqs)
    rtc.write(port: 0x70, size: 1, value: 0x20)
    rtc.write(port: 0x71, size: 1, value: 0x77)
    rtc.write(port: 0x70, size: 1, value: 0x0B)
    rtc.write(port: 0x71, size: 1, value: 0x46)  // PIE, binary, 24 h
    rtc.advance(to: 5000)
    XCTAssertTrue(irqs.level(8))
    rtc.reset()
    XCTAssertFalse(irqs.level(8))
    XCTAssertEqual(rtc.nextEventCycle, UInt64.max)
    rtc.write(port: 0x70, size: 1, value: 0x0B)
    XCTAssertEqual(rtc.read(port: 0x71, size: 1), 0x06)
    rtc.write(port: 0x70, size: 1, value: 0x20)
    XCTAssertEqual(rtc.read(port: 0x71, size: 1), 0x77)
    rtc.write(port: 0x70, size: 1, value: 0x00)
    XCTAssertEqual(rtc.read(port: 0x71, size: 1), 5, "the clock kept running")
  }

  func testSmallDevices() {
    let exit = DebugExit()
    exit.write(port: 0xF4, size: 1, value: 3)
    exit.reset()
    XCTAssertNil(exit.lastValue)
    let post = PostCodePort()
    post.write(port: 0x80, size: 1, value: 3)
    post.reset()
    XCTAssertNil(post.lastValue)
    XCTAssertEqual(post.writeCount, 0)
    let pm = ACPIPowerOff()
    pm.write(port: 0x604, size: 2, value: 0x0400)
    pm.reset()
    XCTAssertEqual(pm.read(port: 0x604, size: 2), 0)
  }
}
