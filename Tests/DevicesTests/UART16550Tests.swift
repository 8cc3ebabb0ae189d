import Devices
import XCTest

final class UART16550Tests: XCTestCase {
  private var irqs = InterruptRecorder()
  private var sent: [UInt8] = []

  private func makeUART(base: UInt16 = 0x3F8, irq: Int = 4) -> UART16550 {
    irqs = InterruptRecorder()
    sent = []
    return UART16550(base: base, irq: irq, interruptLine: irqs, output: { [unowned self] in self.sent.append($0) })
  }

  private func out(_ uart: UART16550, _ offset: UInt16, _ value: UInt8) {
    uart.write(port: uart.base + offset, size: 1, value: UInt32(value))
  }

  private func inb(_ uart: UART16550, _ offset: UInt16) -> UInt8 {
    UInt8(uart.read(port: uart.base + offset, size: 1))
  }

  func testScratchAndLineControlReadBack() {
    let uart = makeUART()
    out(uart, 7, 0x5A)
    XCTAssertEqual(inb(uart, 7), 0x5A)
    out(uart, 3, 0x1B)
    XCTAssertEqual(inb(uart, 3), 0x1B)
    out(uart, 1, 0xFF)
    XCTAssertEqual(inb(uart, 1), 0x0F, "IER has four bits")
    out(uart, 4, 0xFF)
    XCTAssertEqual(inb(uart, 4), 0x1F, "MCR has five bits")
  }

  func testDivisorLatchBehindDLAB() {
    let uart = makeUART()
    out(uart, 1, 0x05)
    out(uart, 3, 0x80)
    out(uart, 0, 0x0C)
    out(uart, 1, 0x00)
    XCTAssertEqual(inb(uart, 0), 0x0C)
    XCTAssertEqual(inb(uart, 1), 0x00)
    out(uart, 3, 0x03)
    XCTAssertEqual(uart.divisor, 12)
    XCTAssertEqual(uart.baudRate, 9600)
    XCTAssertEqual(inb(uart, 1), 0x05, "IER is back once DLAB is clear")
    XCTAssertTrue(sent.isEmpty, "divisor writes are not transmitted")
  }

  func testTransmitGoesToTheHostSink() {
    let uart = makeUART()
    for byte in Array("Hi\n".utf8) { out(uart, 0, byte) }
    XCTAssertEqual(sent, Array("Hi\n".utf8))
    XCTAssertEqual(inb(uart, 5) & 0x60, 0x60, "THRE and TEMT")
  }

  func testReceiveFromHostInOrder() {
    let uart = makeUART()
    XCTAssertEqual(inb(uart, 5) & 0x01, 0)
    uart.enqueueInput([0x41, 0x42])
    XCTAssertEqual(inb(uart, 5) & 0x01, 1)
    XCTAssertEqual(inb(uart, 0), 0x41)
    XCTAssertEqual(inb(uart, 0), 0x42)
    XCTAssertEqual(inb(uart, 5) & 0x01, 0)
  }

  func testHostBacklogNeverOverruns() {
    let uart = makeUART()
    out(uart, 2, 0x07)
    uart.enqueueInput(0..<40)
    XCTAssertEqual(uart.pendingInputCount, 24)
    var received: [UInt8] = []
    while inb(uart, 5) & 0x01 != 0 { received.append(inb(uart, 0)) }
    XCTAssertEqual(received, Array(0..<40))
    XCTAssertEqual(inb(uart, 5) & 0x02, 0)
  }

  func testFIFOOverrunKeepsTheFIFOAndLosesTheNewByte() {
    let uart = makeUART()
    out(uart, 2, 0x07)
    for i in 0..<17 { uart.receive(UInt8(i)) }
    let lsr = inb(uart, 5)
    XCTAssertEqual(lsr & 0x03, 0x03, "data ready and overrun")
    XCTAssertEqual(inb(uart, 5) & 0x02, 0, "reading LSR clears OE")
    var received: [UInt8] = []
    while inb(uart, 5) & 0x01 != 0 { received.append(inb(uart, 0)) }
    XCTAssertEqual(received, Array(0..<16))
  }

  func testNonFIFOOverrunOverwritesRBR() {
    let uart = makeUART()
    uart.receive(1)
    uart.receive(2)
    XCTAssertEqual(inb(uart, 5) & 0x03, 0x03)
    XCTAssertEqual(inb(uart, 0), 2)
    XCTAssertEqual(inb(uart, 5) & 0x01, 0)
  }

  func testFIFOControlClearsReceiver() {
    let uart = makeUART()
    out(uart, 2, 0x01)
    for i in 0..<5 { uart.receive(UInt8(i)) }
    out(uart, 2, 0x03)
    XCTAssertEqual(inb(uart, 5) & 0x01, 0)
    XCTAssertEqual(inb(uart, 2) & 0xC0, 0xC0, "IIR shows the FIFOs enabled")
    out(uart, 2, 0x00)
    XCTAssertEqual(inb(uart, 2) & 0xC0, 0x00)
  }

  func testLoopbackFeedsTransmitterToReceiverAndModemLines() {
    let uart = makeUART()
    out(uart, 4, 0x10)
    _ = inb(uart, 6)  // clear deltas
    out(uart, 0, 0x99)
    XCTAssertTrue(sent.isEmpty, "nothing leaves in loop mode")
    XCTAssertEqual(inb(uart, 0), 0x99)
    out(uart, 4, 0x10 | 0x01 | 0x02)  // DTR, RTS
    XCTAssertEqual(inb(uart, 6), 0x30 | 0x03, "CTS and DSR follow RTS and DTR, with deltas")
    XCTAssertEqual(inb(uart, 6), 0x30, "deltas clear on read")
    out(uart, 4, 0x10 | 0x04 | 0x08)  // OUT1, OUT2
    XCTAssertEqual(inb(uart, 6) & 0xF0, 0xC0, "RI and DCD follow OUT1 and OUT2")
    out(uart, 4, 0x10 | 0x08)
    XCTAssertEqual(inb(uart, 6) & 0x04, 0x04, "trailing edge of RI")
  }

  func testInterruptIdentificationPriorities() {
    let uart = makeUART()
    out(uart, 4, 0x08)  // OUT2
    out(uart, 1, 0x0F)
    uart.receive(1)
    uart.receive(2)  // overrun in 16450 mode
    uart.setModemInputs(cts: false, dsr: true, ringIndicator: false, dcd: true)
    XCTAssertEqual(inb(uart, 2), 0x06, "line status first")
    _ = inb(uart, 5)
    XCTAssertEqual(inb(uart, 2), 0x04, "then received data")
    _ = inb(uart, 0)
    XCTAssertEqual(inb(uart, 2), 0x02, "then THR empty")
    XCTAssertEqual(inb(uart, 2), 0x00, "reading IIR cleared THRE; modem status is last")
    XCTAssertEqual(inb(uart, 6), 0xA1)
    XCTAssertEqual(inb(uart, 2), 0x01, "no interrupt")
    XCTAssertFalse(irqs.level(4))
  }

  func testCharacterTimeoutBelowTriggerLevel() {
    let uart = makeUART()
    out(uart, 2, 0xC1)  // FIFO, trigger 14
    XCTAssertEqual(uart.triggerLevel, 14)
    out(uart, 1, 0x01)
    for i in 0..<3 { uart.receive(UInt8(i)) }
    XCTAssertEqual(inb(uart, 2), 0xCC, "timeout with data below the trigger level")
    for i in 3..<14 { uart.receive(UInt8(i)) }
    XCTAssertEqual(inb(uart, 2), 0xC4, "trigger level reached")
  }

  func testInterruptNeedsOUT2() {
    let uart = makeUART()
    out(uart, 1, 0x01)
    uart.enqueueInput([7])
    XCTAssertEqual(inb(uart, 2), 0x04)
    XCTAssertFalse(irqs.level(4), "OUT2 clear: the PC's interrupt gate is closed")
    out(uart, 4, 0x08)
    XCTAssertTrue(irqs.level(4))
    _ = inb(uart, 0)
    XCTAssertFalse(irqs.level(4))
    XCTAssertEqual(irqs.risingEdges(4), 1)
  }

  func testTHREmptyInterruptOnEnableAndAfterEachWrite() {
    let uart = makeUART()
    out(uart, 4, 0x08)
    out(uart, 1, 0x02)
    XCTAssertTrue(irqs.level(4), "enabling ETBEI with THR empty interrupts at once")
    XCTAssertEqual(inb(uart, 2), 0x02)
    XCTAssertFalse(irqs.level(4), "reading IIR acknowledged it")
    out(uart, 0, 0x41)
    XCTAssertTrue(irqs.level(4))
    XCTAssertEqual(irqs.risingEdges(4), 2)
    out(uart, 0, 0x42)
    XCTAssertEqual(irqs.risingEdges(4), 3, "each write produces a new edge")
    out(uart, 1, 0x00)
    XCTAssertFalse(irqs.level(4))
  }

  func testModemStatusInterruptFromHostLines() {
    let uart = makeUART()
    out(uart, 4, 0x08)
    out(uart, 1, 0x08)
    XCTAssertFalse(irqs.level(4))
    uart.setModemInputs(cts: true, dsr: true, ringIndicator: false, dcd: false)
    XCTAssertTrue(irqs.level(4))
    XCTAssertEqual(inb(uart, 6), 0x30 | 0x08)
    XCTAssertFalse(irqs.level(4))
  }

  func testCOM2DecodesOnlyItsOwnPorts() {
    let uart = makeUART(base: UART16550.com2Base, irq: UART16550.com2IRQ)
    out(uart, 4, 0x08)
    out(uart, 1, 0x01)
    uart.receive(0x33)
    XCTAssertTrue(irqs.level(3))
    XCTAssertEqual(uart.read(port: 0x3F8, size: 1), 0xFF)
    XCTAssertEqual(uart.read(port: 0x2F8, size: 1), 0x33)
    uart.write(port: 0x3FF, size: 1, value: 0x77)
    XCTAssertNotEqual(uart.read(port: 0x2FF, size: 1), 0x77)
  }

  func testWordAccessSpansTwoRegisters() {
    let uart = makeUART()
    uart.write(port: 0x3FB, size: 2, value: 0x0B_03)  // LCR = 0x03, MCR = 0x0B
    XCTAssertEqual(uart.lineControl, 0x03)
    XCTAssertEqual(uart.modemControl, 0x0B)
    XCTAssertEqual(uart.read(port: 0x3FB, size: 2), 0x0B03)
    XCTAssertEqual(uart.read(port: 0x3FF, size: 2) >> 8, 0xFF, "the byte past the UART is undecoded")
  }

  func testLoopbackOverrunWhenTheGuestOutrunsItself() {
    let uart = makeUART()
    out(uart, 4, 0x10)
    out(uart, 0, 1)
    out(uart, 0, 2)
    XCTAssertEqual(inb(uart, 5) & 0x03, 0x03)
    XCTAssertEqual(inb(uart, 0), 2)
  }

  func testLoopModeKeepsTheInterruptOffTheBus() {
    let uart = makeUART()
    out(uart, 1, 0x01)
    out(uart, 4, 0x18)  // loop + OUT2: the OUT2 pin itself is forced inactive
    out(uart, 0, 0xAE)
    XCTAssertEqual(inb(uart, 2), 0x04, "the UART sees its interrupt")
    XCTAssertFalse(irqs.level(4), "but the PC's gate is closed")
    out(uart, 4, 0x08)
    XCTAssertTrue(irqs.level(4))
    XCTAssertEqual(inb(uart, 0), 0xAE)
  }
}
