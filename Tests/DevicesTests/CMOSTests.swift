import Devices
import XCTest

final class CMOSTests: XCTestCase {
  private let hz: UInt64 = 1_000_000
  private var irqs = InterruptRecorder()

  private func makeRTC(_ source: RTCTimeSource = .deterministic) -> CMOS {
    irqs = InterruptRecorder()
    return CMOS(cyclesPerSecond: hz, timeSource: source, interruptLine: irqs)
  }

  private func get(_ rtc: CMOS, _ index: UInt8) -> UInt8 {
    rtc.write(port: 0x70, size: 1, value: UInt32(index))
    return UInt8(rtc.read(port: 0x71, size: 1))
  }

  private func set(_ rtc: CMOS, _ index: UInt8, _ value: UInt8) {
    rtc.write(port: 0x70, size: 1, value: UInt32(index))
    rtc.write(port: 0x71, size: 1, value: UInt32(value))
  }

  private func clock(_ rtc: CMOS) -> [UInt8] {
    [0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32].map { get(rtc, $0) }
  }

  func testDeterministicEpochInBCD() {
    let rtc = makeRTC()
    // 2000-01-01 00:00:00 was a Saturday (day 7).
    XCTAssertEqual(clock(rtc), [0x00, 0x00, 0x00, 0x07, 0x01, 0x01, 0x00, 0x20])
    rtc.advance(to: hz * (86_400 * 31 + 13 * 3600 + 59 * 60 + 48))
    XCTAssertEqual(clock(rtc), [0x48, 0x59, 0x13, 0x03, 0x01, 0x02, 0x00, 0x20], "Tuesday 2000-02-01 13:59:48")
  }

  func testBinaryAnd12HourModes() {
    let rtc = makeRTC()
    rtc.advance(to: hz * (13 * 3600 + 45 * 60 + 30))
    set(rtc, 0x0B, 0x06)  // binary, 24 h
    XCTAssertEqual(get(rtc, 0x00), 30)
    XCTAssertEqual(get(rtc, 0x02), 45)
    XCTAssertEqual(get(rtc, 0x04), 13)
    XCTAssertEqual(get(rtc, 0x32), 20)
    set(rtc, 0x0B, 0x00)  // BCD, 12 h
    XCTAssertEqual(get(rtc, 0x04), 0x81, "1 PM")
    set(rtc, 0x0B, 0x04)  // binary, 12 h
    XCTAssertEqual(get(rtc, 0x04), 0x81)
  }

  func testNMIMaskBitAndIndex() {
    let rtc = makeRTC()
    rtc.write(port: 0x70, size: 1, value: 0x8A)
    XCTAssertTrue(rtc.nmiMasked)
    XCTAssertEqual(rtc.index, 0x0A)
    XCTAssertEqual(rtc.read(port: 0x71, size: 1), 0x26, "register A with NMI masked")
    rtc.write(port: 0x70, size: 1, value: 0x0D)
    XCTAssertFalse(rtc.nmiMasked)
    XCTAssertEqual(rtc.read(port: 0x71, size: 1), 0x80, "register D: valid RAM and time")
    XCTAssertEqual(rtc.read(port: 0x70, size: 1), 0xFF)
  }

  func testCMOSRAMReadBack() {
    let rtc = makeRTC()
    set(rtc, 0x10, 0x44)
    set(rtc, 0x7F, 0x99)
    XCTAssertEqual(get(rtc, 0x10), 0x44)
    XCTAssertEqual(get(rtc, 0x7F), 0x99)
    set(rtc, 0x0D, 0x00)
    XCTAssertEqual(get(rtc, 0x0D), 0x80, "register D is read-only")
  }

  func testGuestSetsTheTimeAndItKeepsRunning() {
    let rtc = makeRTC()
    set(rtc, 0x0B, 0x82)  // SET
    set(rtc, 0x09, 0x26)
    set(rtc, 0x08, 0x11)
    set(rtc, 0x07, 0x25)
    set(rtc, 0x04, 0x14)
    set(rtc, 0x02, 0x20)
    set(rtc, 0x00, 0x00)
    rtc.advance(to: hz * 5)
    XCTAssertEqual(get(rtc, 0x00), 0x00, "frozen while SET")
    set(rtc, 0x0B, 0x02)
    rtc.advance(to: hz * 7)
    XCTAssertEqual(clock(rtc), [0x02, 0x20, 0x14, 0x04, 0x25, 0x11, 0x26, 0x20], "Wednesday 2026-11-25 14:20:02")
  }

  func testUpdateInProgressIsAPureFunctionOfVirtualTime() {
    let rtc = makeRTC()
    XCTAssertEqual(get(rtc, 0x0A) & 0x80, 0)
    rtc.advance(to: hz - 244)
    XCTAssertEqual(get(rtc, 0x0A) & 0x80, 0x80)
    rtc.advance(to: hz)
    XCTAssertEqual(get(rtc, 0x0A) & 0x80, 0)
    set(rtc, 0x0A, 0xA6)
    XCTAssertEqual(get(rtc, 0x0A), 0x26, "UIP is read-only")
  }

  func testPeriodicInterrupt() {
    let rtc = makeRTC()
    XCTAssertEqual(rtc.nextEventCycle, UInt64.max)
    set(rtc, 0x0B, 0x42)  // PIE
    XCTAssertEqual(rtc.nextEventCycle, 977, "1024 Hz at 1 MHz: ceil(1e6 / 1024)")
    rtc.advance(to: rtc.nextEventCycle)
    XCTAssertTrue(irqs.level(8))
    XCTAssertEqual(get(rtc, 0x0C), 0xC0)
    XCTAssertFalse(irqs.level(8), "reading C acknowledges")
    XCTAssertEqual(get(rtc, 0x0C), 0x00)
    rtc.advance(to: rtc.nextEventCycle)
    XCTAssertEqual(irqs.risingEdges(8), 2)
  }

  func testUpdateEndedInterruptOncePerSecond() {
    let rtc = makeRTC()
    set(rtc, 0x0A, 0x20)  // periodic rate 0, so only UF can be flagged
    set(rtc, 0x0B, 0x12)  // UIE
    XCTAssertEqual(rtc.nextEventCycle, hz)
    rtc.advance(to: hz - 1)
    XCTAssertFalse(irqs.level(8))
    rtc.advance(to: hz)
    XCTAssertTrue(irqs.level(8))
    XCTAssertEqual(get(rtc, 0x0C), 0x90)
    XCTAssertEqual(rtc.nextEventCycle, 2 * hz)
  }

  func testAlarmInterrupt() {
    let rtc = makeRTC()
    set(rtc, 0x01, 0x03)  // alarm at hh:mm:03 with don't-care hours and minutes
    set(rtc, 0x03, 0xC0)
    set(rtc, 0x05, 0xC0)
    set(rtc, 0x0B, 0x22)  // AIE
    for second in 1...3 { rtc.advance(to: hz * UInt64(second)) }
    XCTAssertTrue(irqs.level(8))
    XCTAssertEqual(get(rtc, 0x0C) & 0xA0, 0xA0)
  }

  func testFlagsAreSetWithoutInterruptEnables() {
    let rtc = makeRTC()
    rtc.advance(to: hz + 1)
    XCTAssertFalse(irqs.level(8))
    XCTAssertEqual(get(rtc, 0x0C), 0x50, "PF and UF without IRQF")
  }

  func testHostClockSource() {
    let rtc = makeRTC(.host)
    set(rtc, 0x0B, 0x06)
    XCTAssertEqual(get(rtc, 0x32), 20)
    XCTAssertGreaterThanOrEqual(get(rtc, 0x09), 24)
    XCTAssertGreaterThan(rtc.currentTime, 1_700_000_000)
  }
}
