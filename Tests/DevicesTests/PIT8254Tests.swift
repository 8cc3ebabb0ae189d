import Devices
import XCTest

final class PIT8254Tests: XCTestCase {
  /// Three CPU cycles per PIT tick: tick k happens at cycle 3k.
  private let rate = PIT8254.frequency * 3
  private var irqs = InterruptRecorder()

  private func makePIT() -> PIT8254 {
    irqs = InterruptRecorder()
    return PIT8254(cyclesPerSecond: rate, interruptLine: irqs)
  }

  private func program(_ pit: PIT8254, channel: UInt16 = 0, mode: UInt8, count: UInt16, bcd: Bool = false) {
    pit.write(port: 0x43, size: 1, value: UInt32(UInt8(channel) << 6 | 0x30 | mode << 1 | (bcd ? 1 : 0)))
    pit.write(port: 0x40 + channel, size: 1, value: UInt32(count & 0xFF))
    pit.write(port: 0x40 + channel, size: 1, value: UInt32(count >> 8))
  }

  private func readCount(_ pit: PIT8254, channel: UInt16 = 0) -> UInt32 {
    let low = pit.read(port: 0x40 + channel, size: 1)
    let high = pit.read(port: 0x40 + channel, size: 1)
    return high << 8 | low
  }

  func testUnprogrammedTimerSchedulesNothing() {
    let pit = makePIT()
    XCTAssertEqual(pit.nextEventCycle, UInt64.max)
    pit.advance(to: 1_000_000)
    XCTAssertEqual(irqs.risingEdges(0), 0)
    XCTAssertEqual(pit.read(port: 0x43, size: 1), 0xFF, "the control port is write-only")
  }

  func testMode2RateGeneratorFiresEveryPeriod() {
    let pit = makePIT()
    program(pit, mode: 2, count: 1000)
    XCTAssertEqual(pit.nextEventCycle, 3000)
    pit.advance(to: 2999)
    XCTAssertEqual(irqs.risingEdges(0), 0)
    XCTAssertEqual(readCount(pit), 1000 - 999)
    pit.advance(to: 3000)
    XCTAssertEqual(irqs.risingEdges(0), 1)
    XCTAssertEqual(pit.nextEventCycle, 6000)
    for _ in 0..<9 { pit.advance(to: pit.nextEventCycle) }
    XCTAssertEqual(irqs.risingEdges(0), 10)
    XCTAssertEqual(pit.currentTick, 10_000)
    XCTAssertEqual(readCount(pit), 1000, "reloaded at the period boundary")
  }

  func testMode2CountAndOutput() {
    let pit = makePIT()
    program(pit, mode: 2, count: 10)
    pit.advance(to: 3 * 4)
    XCTAssertEqual(pit.count(channel: 0), 6)
    XCTAssertTrue(pit.output(channel: 0))
    pit.advance(to: 3 * 9)
    XCTAssertEqual(pit.count(channel: 0), 1)
    XCTAssertFalse(pit.output(channel: 0), "OUT is low while the count is 1")
    pit.advance(to: 3 * 10)
    XCTAssertTrue(pit.output(channel: 0))
    XCTAssertTrue(irqs.level(0))
  }

  func testMode0InterruptsOnceOnTerminalCount() {
    let pit = makePIT()
    program(pit, mode: 0, count: 100)
    XCTAssertFalse(pit.output(channel: 0))
    XCTAssertEqual(pit.nextEventCycle, 300)
    pit.advance(to: 3 * 40)
    XCTAssertEqual(readCount(pit), 60)
    pit.advance(to: 3 * 100)
    XCTAssertEqual(irqs.risingEdges(0), 1)
    XCTAssertTrue(pit.output(channel: 0))
    XCTAssertEqual(pit.nextEventCycle, UInt64.max)
    pit.advance(to: 3 * 102)
    XCTAssertEqual(readCount(pit), 0xFFFE, "the counter wraps and keeps counting")
    XCTAssertTrue(pit.output(channel: 0), "OUT stays high until reprogrammed")
    XCTAssertEqual(irqs.risingEdges(0), 1)
  }

  func testMode3SquareWave() {
    let pit = makePIT()
    program(pit, mode: 3, count: 10)
    XCTAssertEqual(pit.count(channel: 0), 10)
    pit.advance(to: 3 * 2)
    XCTAssertEqual(pit.count(channel: 0), 6, "counts down by two")
    XCTAssertTrue(pit.output(channel: 0))
    pit.advance(to: 3 * 5)
    XCTAssertFalse(pit.output(channel: 0), "second half period low")
    XCTAssertEqual(pit.count(channel: 0), 10)
    XCTAssertEqual(pit.nextEventCycle, 30)
    pit.advance(to: 3 * 10)
    XCTAssertTrue(pit.output(channel: 0))
    XCTAssertEqual(irqs.risingEdges(0), 1)
    pit.advance(to: 3 * 20)
    XCTAssertEqual(irqs.risingEdges(0), 2)
  }

  func testMode3OddCountGivesHighHalfTheExtraClock() {
    let pit = makePIT()
    program(pit, mode: 3, count: 5)
    pit.advance(to: 3 * 2)
    XCTAssertTrue(pit.output(channel: 0))
    pit.advance(to: 3 * 3)
    XCTAssertFalse(pit.output(channel: 0))
    pit.advance(to: 3 * 5)
    XCTAssertTrue(pit.output(channel: 0))
  }

  func testMode4StrobesOneClockAfterTerminalCount() {
    let pit = makePIT()
    program(pit, mode: 4, count: 50)
    XCTAssertTrue(pit.output(channel: 0))
    pit.advance(to: 3 * 50)
    XCTAssertFalse(pit.output(channel: 0), "low for the clock at count 0")
    XCTAssertEqual(irqs.risingEdges(0), 0)
    XCTAssertEqual(pit.nextEventCycle, 3 * 51)
    pit.advance(to: 3 * 51)
    XCTAssertTrue(pit.output(channel: 0))
    XCTAssertEqual(irqs.risingEdges(0), 1)
    XCTAssertEqual(pit.nextEventCycle, UInt64.max)
  }

  func testCounterLatchFreezesTheReadValue() {
    let pit = makePIT()
    program(pit, mode: 2, count: 5000)
    pit.advance(to: 3 * 100)
    pit.write(port: 0x43, size: 1, value: 0x00)  // latch counter 0
    pit.advance(to: 3 * 300)
    XCTAssertEqual(readCount(pit), 4900)
    XCTAssertEqual(readCount(pit), 4700, "the latch is released after both bytes")
  }

  func testReadBackStatusAndCount() {
    let pit = makePIT()
    pit.write(port: 0x43, size: 1, value: 0x34)  // channel 0, lo/hi, mode 2
    pit.write(port: 0x43, size: 1, value: 0xE2)  // read back status of counter 0
    XCTAssertEqual(pit.read(port: 0x40, size: 1), 0x40 | 0x80 | 0x34, "null count, OUT high, RW 3, mode 2")
    pit.write(port: 0x40, size: 1, value: 0x00)
    pit.write(port: 0x40, size: 1, value: 0x10)
    pit.advance(to: 3 * 16)
    pit.write(port: 0x43, size: 1, value: 0xC2)  // status and count of counter 0
    XCTAssertEqual(pit.read(port: 0x40, size: 1), 0x80 | 0x34)
    XCTAssertEqual(readCount(pit), 0x1000 - 16)
  }

  func testReadBackLatchesSeveralCounters() {
    let pit = makePIT()
    program(pit, channel: 0, mode: 2, count: 1000)
    program(pit, channel: 2, mode: 0, count: 2000)
    pit.advance(to: 3 * 10)
    pit.write(port: 0x43, size: 1, value: 0xDA)  // count only, counters 0 and 2
    pit.advance(to: 3 * 20)
    XCTAssertEqual(readCount(pit, channel: 0), 990)
    XCTAssertEqual(readCount(pit, channel: 2), 1990)
  }

  func testLowByteAndHighByteOnlyAccess() {
    let pit = makePIT()
    pit.write(port: 0x43, size: 1, value: 0x54)  // channel 1, LSB only, mode 2
    pit.write(port: 0x41, size: 1, value: 18)
    XCTAssertEqual(pit.reload(channel: 1), 18)
    pit.advance(to: 3 * 5)
    XCTAssertEqual(pit.read(port: 0x41, size: 1), 13)
    pit.write(port: 0x43, size: 1, value: 0x64)  // channel 1, MSB only, mode 2
    pit.write(port: 0x41, size: 1, value: 0x02)
    XCTAssertEqual(pit.reload(channel: 1), 0x200)
    pit.advance(to: 3 * 5 + 3 * 0x100)
    XCTAssertEqual(pit.read(port: 0x41, size: 1), 0x01)
  }

  func testZeroCountMeans65536() {
    let pit = makePIT()
    program(pit, mode: 2, count: 0)
    XCTAssertEqual(pit.reload(channel: 0), 0x10000)
    XCTAssertEqual(pit.nextEventCycle, 3 * 0x10000)
  }

  func testBCDCounting() {
    let pit = makePIT()
    program(pit, mode: 0, count: 0x1234, bcd: true)
    XCTAssertEqual(pit.reload(channel: 0), 1234)
    pit.advance(to: 3 * 34)
    XCTAssertEqual(readCount(pit), 0x1200)
  }

  func testNewMode2CountTakesEffectAtTheEndOfThePeriod() {
    let pit = makePIT()
    program(pit, mode: 2, count: 100)
    pit.advance(to: 3 * 30)
    pit.write(port: 0x40, size: 1, value: 50)
    pit.write(port: 0x40, size: 1, value: 0)
    XCTAssertEqual(pit.count(channel: 0), 70, "the old period continues")
    XCTAssertEqual(pit.nextEventCycle, 3 * 100)
    pit.advance(to: 3 * 100)
    XCTAssertEqual(irqs.risingEdges(0), 1)
    XCTAssertEqual(pit.nextEventCycle, 3 * 150)
  }

  func testChannel2GateAndOutputInPort61() {
    let pit = makePIT()
    pit.write(port: 0x61, size: 1, value: 0x00)  // gate 2 low
    program(pit, channel: 2, mode: 0, count: 10)
    pit.advance(to: 3 * 20)
    XCTAssertEqual(pit.read(port: 0x61, size: 1) & 0x21, 0x00, "gate low: counting is disabled")
    pit.write(port: 0x61, size: 1, value: 0x03)  // gate high, speaker data on
    XCTAssertTrue(pit.speakerEnabled)
    pit.advance(to: 3 * 29)
    XCTAssertEqual(pit.read(port: 0x61, size: 1) & 0x23, 0x03)
    pit.advance(to: 3 * 30)
    XCTAssertEqual(pit.read(port: 0x61, size: 1) & 0x23, 0x23, "OUT2 high at terminal count")
    XCTAssertEqual(irqs.risingEdges(0), 0, "channel 2 has no IRQ")
  }

  func testMode1IsTriggeredByTheGate() {
    let pit = makePIT()
    pit.write(port: 0x61, size: 1, value: 0x00)
    program(pit, channel: 2, mode: 1, count: 10)
    pit.advance(to: 3 * 5)
    XCTAssertTrue(pit.output(channel: 2), "waiting for the trigger")
    pit.write(port: 0x61, size: 1, value: 0x01)
    XCTAssertFalse(pit.output(channel: 2))
    pit.advance(to: 3 * 15)
    XCTAssertTrue(pit.output(channel: 2))
  }

  func testRefreshToggleFollowsVirtualTime() {
    let pit = makePIT()
    let first = pit.read(port: 0x61, size: 1) & 0x10
    pit.advance(to: 3 * 18)
    let second = pit.read(port: 0x61, size: 1) & 0x10
    XCTAssertNotEqual(first, second)
  }

  func testOneGigahertzClockDoesNotDrift() {
    irqs = InterruptRecorder()
    let pit = PIT8254(cyclesPerSecond: 1_000_000_000, interruptLine: irqs)
    program(pit, mode: 2, count: 11932)  // ~100 Hz
    var last: UInt64 = 0
    for _ in 0..<100 {
      last = pit.nextEventCycle
      pit.advance(to: last)
    }
    XCTAssertEqual(irqs.risingEdges(0), 100)
    // Tick 1_193_200 happens at ceil(1_193_200 * 1e9 / 1_193_182) cycles.
    XCTAssertEqual(last, 1_000_015_086)
    XCTAssertEqual(pit.currentTick, 1_193_200)
  }

  func testSkippingSeveralPeriodsRaisesOneEdge() {
    let pit = makePIT()
    program(pit, mode: 2, count: 100)
    pit.advance(to: 3 * 1050)
    XCTAssertEqual(irqs.risingEdges(0), 1, "an edge-triggered PIC latches one request however many were missed")
    XCTAssertEqual(pit.nextEventCycle, 3 * 1100)
    XCTAssertEqual(pit.count(channel: 0), 50)
  }

  func testTimeNeverRunsBackwards() {
    let pit = makePIT()
    program(pit, mode: 2, count: 100)
    pit.advance(to: 3 * 50)
    pit.advance(to: 3 * 10)
    XCTAssertEqual(pit.currentTick, 50)
  }

  func testMode2GateLowForcesOutputHighAndRisingGateRestarts() {
    let pit = makePIT()
    program(pit, channel: 2, mode: 2, count: 10)
    pit.advance(to: 3 * 9)
    XCTAssertFalse(pit.output(channel: 2))
    pit.write(port: 0x61, size: 1, value: 0x00)
    XCTAssertTrue(pit.output(channel: 2), "a low gate forces OUT high in mode 2")
    pit.advance(to: 3 * 30)
    XCTAssertEqual(pit.count(channel: 2), 1, "counting stopped")
    pit.write(port: 0x61, size: 1, value: 0x01)
    XCTAssertEqual(pit.count(channel: 2), 10, "the rising gate reloads the count")
    pit.advance(to: 3 * 33)
    XCTAssertEqual(pit.count(channel: 2), 7)
  }

  func testMode5StrobesAfterGateTrigger() {
    let pit = makePIT()
    pit.write(port: 0x61, size: 1, value: 0x00)
    program(pit, channel: 2, mode: 5, count: 4)
    pit.advance(to: 3 * 10)
    XCTAssertTrue(pit.output(channel: 2))
    XCTAssertEqual(pit.count(channel: 2), 4, "waiting for the trigger")
    pit.write(port: 0x61, size: 1, value: 0x01)
    pit.advance(to: 3 * 14)
    XCTAssertFalse(pit.output(channel: 2))
    pit.advance(to: 3 * 15)
    XCTAssertTrue(pit.output(channel: 2))
  }

  func testControlWordModesSixAndSevenAreTwoAndThree() {
    let pit = makePIT()
    pit.write(port: 0x43, size: 1, value: 0x3C)  // mode 6
    XCTAssertEqual(pit.mode(channel: 0), 2)
    pit.write(port: 0x43, size: 1, value: 0x3E)  // mode 7
    XCTAssertEqual(pit.mode(channel: 0), 3)
  }

  func testMode0FirstByteStopsCountingUntilSecond() {
    let pit = makePIT()
    program(pit, mode: 0, count: 100)
    pit.advance(to: 3 * 10)
    pit.write(port: 0x40, size: 1, value: 50)
    pit.advance(to: 3 * 20)
    XCTAssertEqual(pit.count(channel: 0), 90, "frozen after the first byte")
    pit.write(port: 0x40, size: 1, value: 0)
    XCTAssertEqual(pit.count(channel: 0), 50)
    XCTAssertEqual(pit.nextEventCycle, 3 * 70)
  }
}
