import Devices
import XCTest

/// The port sequences the project's kernel drivers perform (Sources/Kernel/Drivers), replayed against the
/// device models wired as on a PC: each device's interrupt reaches the CPU as the right vector.
final class PCSequenceTests: XCTestCase {
  private let hz: UInt64 = 1_000_000_000

  private func remap(_ pic: PIC8259Pair) {
    for (port, value) in [
      (0x20, 0x11), (0xA0, 0x11), (0x21, 0x20), (0xA1, 0x28), (0x21, 0x04), (0xA1, 0x02),
      (0x21, 0x01), (0xA1, 0x01), (0x21, 0xFF), (0xA1, 0xFF),
    ] {
      pic.write(port: UInt16(port), size: 1, value: UInt32(value))
    }
  }

  private func unmask(_ pic: PIC8259Pair, _ irq: Int) {
    let port: UInt16 = irq < 8 ? 0x21 : 0xA1
    let mask = pic.read(port: port, size: 1) & ~(UInt32(1) << UInt32(irq & 7))
    pic.write(port: port, size: 1, value: mask)
    if irq >= 8 { unmask(pic, 2) }
  }

  func testTimerAt100HzDeliversVector0x20() {
    let pic = PIC8259Pair()
    let pit = PIT8254(cyclesPerSecond: hz, interruptLine: pic)
    remap(pic)
    pit.write(port: 0x43, size: 1, value: 0x34)
    pit.write(port: 0x40, size: 1, value: UInt32(11932 & 0xFF))
    pit.write(port: 0x40, size: 1, value: UInt32(11932 >> 8))
    unmask(pic, 0)
    var deliveries = 0
    while pit.nextEventCycle <= hz {  // one virtual second of HLT-and-skip
      pit.advance(to: pit.nextEventCycle)
      XCTAssertTrue(pic.hasPendingInterrupt)
      XCTAssertEqual(pic.acknowledge(), 0x20)
      pic.write(port: 0x20, size: 1, value: 0x20)
      deliveries += 1
    }
    XCTAssertEqual(deliveries, 99, "11932 ticks at 1193182 Hz: the 100th tick lands after 1 s")
    XCTAssertFalse(pic.hasPendingInterrupt)
  }

  func testKeyboardInitializationAndKeyOnVector0x21() {
    let pic = PIC8259Pair()
    let kbc = I8042(interruptLine: pic)
    remap(pic)
    kbc.write(port: 0x64, size: 1, value: 0xAD)
    kbc.write(port: 0x64, size: 1, value: 0xA7)
    while kbc.read(port: 0x64, size: 1) & 0x01 != 0 { _ = kbc.read(port: 0x60, size: 1) }
    kbc.write(port: 0x64, size: 1, value: 0x20)
    XCTAssertEqual(kbc.read(port: 0x64, size: 1) & 0x01, 1)
    var configuration = UInt8(kbc.read(port: 0x60, size: 1))
    configuration |= 0x41
    configuration &= ~UInt8(0x12)
    kbc.write(port: 0x64, size: 1, value: 0x60)
    kbc.write(port: 0x60, size: 1, value: UInt32(configuration))
    kbc.write(port: 0x64, size: 1, value: 0xAE)
    XCTAssertEqual(kbc.configuration, 0x65)
    unmask(pic, 1)
    kbc.enqueueKey(0x1E)
    kbc.enqueueKey(0x1E, released: true)
    var codes: [UInt32] = []
    while pic.hasPendingInterrupt {
      XCTAssertEqual(pic.acknowledge(), 0x21)
      codes.append(kbc.read(port: 0x60, size: 1))
      pic.write(port: 0x20, size: 1, value: 0x20)
    }
    XCTAssertEqual(codes, [0x1E, 0x9E], "one interrupt per byte")
  }

  func testSerialReceiveInterruptOnVector0x24() {
    let pic = PIC8259Pair()
    var transmitted: [UInt8] = []
    let com1 = UART16550(interruptLine: pic, output: { transmitted.append($0) })
    remap(pic)
    for (offset, value) in [(1, 0x00), (3, 0x80), (0, 0x01), (1, 0x00), (3, 0x03), (2, 0xC7), (4, 0x0B)] {
      com1.write(port: 0x3F8 + UInt16(offset), size: 1, value: UInt32(value))
    }
    XCTAssertEqual(com1.baudRate, 115_200)
    com1.write(port: 0x3F9, size: 1, value: 0x01)
    unmask(pic, 4)
    for byte in Array("ok".utf8) {
      while com1.read(port: 0x3FD, size: 1) & 0x20 == 0 {}
      com1.write(port: 0x3F8, size: 1, value: UInt32(byte))
    }
    XCTAssertEqual(transmitted, Array("ok".utf8))
    XCTAssertFalse(pic.hasPendingInterrupt)
    com1.enqueueInput(Array("ls\r".utf8))
    XCTAssertEqual(pic.acknowledge(), 0x24)
    var received: [UInt8] = []
    while com1.read(port: 0x3FD, size: 1) & 0x01 != 0 { received.append(UInt8(com1.read(port: 0x3F8, size: 1))) }
    pic.write(port: 0x20, size: 1, value: 0x20)
    XCTAssertEqual(received, Array("ls\r".utf8))
    XCTAssertFalse(pic.hasPendingInterrupt)
  }

  func testRTCPeriodicInterruptThroughTheSlave() {
    let pic = PIC8259Pair()
    let rtc = CMOS(cyclesPerSecond: hz, interruptLine: pic)
    remap(pic)
    unmask(pic, 8)
    rtc.write(port: 0x70, size: 1, value: 0x8B)
    let b = rtc.read(port: 0x71, size: 1)
    rtc.write(port: 0x70, size: 1, value: 0x8B)
    rtc.write(port: 0x71, size: 1, value: b | 0x40)
    rtc.advance(to: rtc.nextEventCycle)
    XCTAssertEqual(pic.acknowledge(), 0x28)
    rtc.write(port: 0x70, size: 1, value: 0x0C)
    XCTAssertEqual(rtc.read(port: 0x71, size: 1) & 0xC0, 0xC0)
    pic.write(port: 0xA0, size: 1, value: 0x20)
    pic.write(port: 0x20, size: 1, value: 0x20)
    rtc.advance(to: rtc.nextEventCycle)
    XCTAssertEqual(pic.acknowledge(), 0x28, "the next period interrupts again once C was read")
  }
}
