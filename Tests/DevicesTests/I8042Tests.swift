import Devices
import XCTest

final class I8042Tests: XCTestCase {
  private var irqs = InterruptRecorder()
  private var resets = 0
  private var a20: [Bool] = []

  private func makeController() -> I8042 {
    irqs = InterruptRecorder()
    resets = 0
    a20 = []
    return I8042(
      interruptLine: irqs, onReset: { [unowned self] in self.resets += 1 },
      onA20Change: { [unowned self] in self.a20.append($0) })
  }

  private func command(_ kbc: I8042, _ value: UInt8) { kbc.write(port: 0x64, size: 1, value: UInt32(value)) }
  private func data(_ kbc: I8042, _ value: UInt8) { kbc.write(port: 0x60, size: 1, value: UInt32(value)) }
  private func status(_ kbc: I8042) -> UInt8 { UInt8(kbc.read(port: 0x64, size: 1)) }

  /// Reads every byte the controller has for the guest, the way a polling driver does.
  private func drain(_ kbc: I8042) -> [UInt8] {
    var bytes: [UInt8] = []
    while status(kbc) & 0x01 != 0 { bytes.append(UInt8(kbc.read(port: 0x60, size: 1))) }
    return bytes
  }

  func testStatusAfterPowerOn() {
    let kbc = makeController()
    XCTAssertEqual(status(kbc), 0x1C, "not inhibited, system flag, last write was a command")
    data(kbc, 0xF4)
    XCTAssertEqual(status(kbc) & 0x08, 0, "A2 clear after a data write")
    XCTAssertEqual(status(kbc) & 0x01, 1)
  }

  func testSelfTestAndInterfaceTest() {
    let kbc = makeController()
    command(kbc, 0xAA)
    XCTAssertEqual(status(kbc) & 0x01, 1)
    XCTAssertEqual(kbc.read(port: 0x60, size: 1), 0x55)
    XCTAssertEqual(status(kbc) & 0x01, 0)
    command(kbc, 0xAB)
    XCTAssertEqual(drain(kbc), [0x00])
  }

  func testConfigurationByteReadAndWrite() {
    let kbc = makeController()
    command(kbc, 0x20)
    XCTAssertEqual(drain(kbc), [0x65])
    command(kbc, 0x60)
    data(kbc, 0x24)
    XCTAssertEqual(kbc.configuration, 0x24)
    command(kbc, 0x20)
    XCTAssertEqual(drain(kbc), [0x24])
    XCTAssertTrue(kbc.pendingKeyboardBytes == 0, "the configuration byte did not go to the keyboard")
  }

  func testKeysRaiseIRQ1OneByteAtATime() {
    let kbc = makeController()
    kbc.enqueueScancodes([0x1E, 0x9E])
    XCTAssertTrue(irqs.level(1))
    XCTAssertEqual(kbc.read(port: 0x60, size: 1), 0x1E)
    XCTAssertTrue(irqs.level(1), "the next byte raised IRQ 1 again")
    XCTAssertEqual(irqs.risingEdges(1), 2)
    XCTAssertEqual(kbc.read(port: 0x60, size: 1), 0x9E)
    XCTAssertFalse(irqs.level(1))
    XCTAssertEqual(status(kbc) & 0x01, 0)
    XCTAssertEqual(kbc.read(port: 0x60, size: 1), 0x9E, "an empty buffer reads its last byte again")
  }

  func testKeyHelperMakesSet1Codes() {
    let kbc = makeController()
    kbc.enqueueKey(0x48, extended: true)
    kbc.enqueueKey(0x48, extended: true, released: true)
    kbc.enqueueKey(0x1C)
    XCTAssertEqual(drain(kbc), [0xE0, 0x48, 0xE0, 0xC8, 0x1C])
  }

  func testInterruptDisabledInConfiguration() {
    let kbc = makeController()
    command(kbc, 0x60)
    data(kbc, 0x64)
    kbc.enqueueScancodes([0x10])
    XCTAssertEqual(status(kbc) & 0x01, 1)
    XCTAssertFalse(irqs.level(1))
    command(kbc, 0x60)
    data(kbc, 0x65)
    XCTAssertTrue(irqs.level(1), "enabling the interrupt with a byte waiting raises IRQ 1")
  }

  func testDisableAndEnableKeyboardInterface() {
    let kbc = makeController()
    command(kbc, 0xAD)
    XCTAssertEqual(kbc.configuration & 0x10, 0x10)
    kbc.enqueueScancodes([0x02])
    XCTAssertEqual(status(kbc) & 0x01, 0, "held in the keyboard")
    command(kbc, 0xAE)
    XCTAssertEqual(drain(kbc), [0x02])
  }

  func testControllerReplyComesBeforeQueuedKeys() {
    let kbc = makeController()
    kbc.enqueueScancodes([0x02, 0x82])
    command(kbc, 0x20)
    XCTAssertEqual(drain(kbc), [0x02, 0x65, 0x82])
  }

  func testKeyboardResetAndSimpleCommands() {
    let kbc = makeController()
    kbc.enqueueScancodes([0x02])
    _ = drain(kbc)
    kbc.enqueueScancodes([0x03, 0x04])
    _ = kbc.read(port: 0x60, size: 1)
    data(kbc, 0xFF)
    XCTAssertEqual(drain(kbc), [0x04, 0xFA, 0xAA], "the byte already in the buffer, then ACK and BAT")
    data(kbc, 0xEE)
    XCTAssertEqual(drain(kbc), [0xEE])
    data(kbc, 0xF2)
    XCTAssertEqual(drain(kbc), [0xFA, 0xAB, 0x41])
    data(kbc, 0x42)
    XCTAssertEqual(drain(kbc), [0xFE], "unknown command")
  }

  func testScanningDisableDropsKeys() {
    let kbc = makeController()
    data(kbc, 0xF5)
    XCTAssertEqual(drain(kbc), [0xFA])
    XCTAssertFalse(kbc.scanningEnabled)
    kbc.enqueueScancodes([0x10])
    XCTAssertEqual(drain(kbc), [])
    data(kbc, 0xF4)
    XCTAssertEqual(drain(kbc), [0xFA])
    kbc.enqueueScancodes([0x10])
    XCTAssertEqual(drain(kbc), [0x10])
  }

  func testLEDsAndScancodeSetCommands() {
    let kbc = makeController()
    data(kbc, 0xED)
    data(kbc, 0x05)
    XCTAssertEqual(drain(kbc), [0xFA, 0xFA])
    XCTAssertEqual(kbc.ledState, 0x05)
    data(kbc, 0xF0)
    data(kbc, 0x00)
    XCTAssertEqual(drain(kbc), [0xFA, 0xFA, 0x41], "set 2 reported through translation")
    data(kbc, 0xF0)
    data(kbc, 0x01)
    XCTAssertEqual(drain(kbc), [0xFA, 0xFA])
    XCTAssertEqual(kbc.scancodeSet, 1)
    data(kbc, 0xF0)
    data(kbc, 0x00)
    XCTAssertEqual(drain(kbc), [0xFA, 0xFA, 0x43])
  }

  func testResetPulseCallsTheHost() {
    let kbc = makeController()
    command(kbc, 0xFE)
    XCTAssertEqual(resets, 1)
    command(kbc, 0xFF)
    XCTAssertEqual(resets, 1, "0xFF pulses no line")
    command(kbc, 0xD1)
    data(kbc, 0xCC)  // output port with reset (bit 0) low and A20 (bit 1) off
    XCTAssertEqual(resets, 2)
    XCTAssertEqual(a20, [false])
  }

  func testOutputPortReadAndA20() {
    let kbc = makeController()
    command(kbc, 0xD0)
    XCTAssertEqual(drain(kbc), [0xCF])
    command(kbc, 0xD1)
    data(kbc, 0xDD)
    XCTAssertEqual(a20, [false])
    XCTAssertEqual(resets, 0)
    kbc.enqueueScancodes([0x1F])
    command(kbc, 0xD0)
    XCTAssertEqual(drain(kbc), [0x1F, 0xDD], "read with the keyboard byte consumed first")
  }

  func testWriteKeyboardOutputBuffer() {
    let kbc = makeController()
    command(kbc, 0xD2)
    data(kbc, 0x39)
    XCTAssertEqual(drain(kbc), [0x39])
    XCTAssertEqual(kbc.pendingKeyboardBytes, 0)
  }

  func testCommandRepliesGoAheadOfTypedKeys() {
    let kbc = makeController()
    kbc.enqueueScancodes([0x1E, 0x9E, 0x30])
    data(kbc, 0xED)
    data(kbc, 0x02)
    XCTAssertEqual(drain(kbc), [0x1E, 0xFA, 0xFA, 0x9E, 0x30])
  }
}
