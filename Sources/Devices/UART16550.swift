// National Semiconductor PC16550D UART (COM1 at 0x3F8 on IRQ 4, COM2 at 0x2F8 on IRQ 3).
//
// Reference: PC16550D datasheet (TI SNLS378C), section 8 "Registers": Table 2 register summary, 8.1 LCR,
// 8.2 divisor latches, 8.4 LSR, 8.5 FCR, 8.6 IIR (Table 4 interrupt priorities), 8.7 IER, 8.8 MCR (loop
// mode), 8.9 MSR, 8.10 SCR. PC wiring (IBM PC/AT Technical Reference, serial adapter): the interrupt pin
// reaches the ISA bus only while the OUT2 pin is active (MCR bit 3 set and not in loop mode).
//
// Model: transmission is instantaneous (a THR write leaves through `output` at once, so THRE and TEMT are
// always set and the transmit FIFO is always empty); reception is fed by the host. The RX character
// timeout (IIR 0x0C) is reported as soon as the FIFO holds data below its trigger level, since the host
// never has a byte "still on the wire" when the guest looks.

/// A 16550 UART with 16-byte FIFOs, divisor latch, loopback and the PC's OUT2 interrupt gate.
import StateCoding

public final class UART16550 {
  /// Standard PC base ports and IRQs.
  public static let com1Base: UInt16 = 0x3F8
  public static let com1IRQ = 4
  public static let com2Base: UInt16 = 0x2F8
  public static let com2IRQ = 3
  /// Depth of the receive FIFO (datasheet 8.5).
  public static let fifoDepth = 16

  // Register offsets from the base (datasheet Table 2).
  static let rbrTHRDLL: UInt16 = 0, ierDLM: UInt16 = 1, iirFCR: UInt16 = 2, lcr: UInt16 = 3
  static let mcr: UInt16 = 4, lsr: UInt16 = 5, msr: UInt16 = 6, scr: UInt16 = 7

  // LSR bits (datasheet 8.4).
  public static let lsrDataReady: UInt8 = 0x01
  public static let lsrOverrunError: UInt8 = 0x02
  public static let lsrParityError: UInt8 = 0x04
  public static let lsrFramingError: UInt8 = 0x08
  public static let lsrBreakInterrupt: UInt8 = 0x10
  public static let lsrTHREmpty: UInt8 = 0x20
  public static let lsrTransmitterEmpty: UInt8 = 0x40

  // IER bits (datasheet 8.7).
  public static let ierReceivedData: UInt8 = 0x01
  public static let ierTHREmpty: UInt8 = 0x02
  public static let ierLineStatus: UInt8 = 0x04
  public static let ierModemStatus: UInt8 = 0x08

  // IIR interrupt identifications, highest priority first (datasheet Table 4).
  public static let iirNoInterrupt: UInt8 = 0x01
  public static let iirLineStatus: UInt8 = 0x06
  public static let iirReceivedData: UInt8 = 0x04
  public static let iirCharacterTimeout: UInt8 = 0x0C
  public static let iirTHREmpty: UInt8 = 0x02
  public static let iirModemStatus: UInt8 = 0x00
  /// IIR bits 7-6: set while the FIFOs are enabled.
  public static let iirFIFOsEnabled: UInt8 = 0xC0

  // MCR bits (datasheet 8.8).
  public static let mcrDTR: UInt8 = 0x01
  public static let mcrRTS: UInt8 = 0x02
  public static let mcrOUT1: UInt8 = 0x04
  public static let mcrOUT2: UInt8 = 0x08
  public static let mcrLoop: UInt8 = 0x10

  // MSR bits (datasheet 8.9): deltas in 3-0, line states in 7-4.
  public static let msrDeltaCTS: UInt8 = 0x01
  public static let msrDeltaDSR: UInt8 = 0x02
  public static let msrTrailingEdgeRI: UInt8 = 0x04
  public static let msrDeltaDCD: UInt8 = 0x08
  public static let msrCTS: UInt8 = 0x10
  public static let msrDSR: UInt8 = 0x20
  public static let msrRI: UInt8 = 0x40
  public static let msrDCD: UInt8 = 0x80

  /// The first of the eight ports this UART decodes.
  public let base: UInt16
  /// The ISA IRQ it drives (through MCR OUT2).
  public let irq: Int
  /// The ports the UART decodes: `base`...`base + 7`.
  public var portRanges: [ClosedRange<UInt16>] { [base...(base + 7)] }
  /// Where its interrupt goes (normally the PIC pair); may be set after init.
  public var interruptLine: InterruptLine?
  /// Receives every byte the guest transmits (not called in loopback mode).
  public var output: (UInt8) -> Void

  /// Interrupt enable register (only bits 3-0 exist).
  public private(set) var interruptEnable: UInt8 = 0
  /// Line control register: bits 1-0 word length, 2 stop bits, 5-3 parity, 6 break, 7 DLAB.
  public private(set) var lineControl: UInt8 = 0
  /// Modem control register (bits 4-0).
  public private(set) var modemControl: UInt8 = 0
  /// Scratch register.
  public private(set) var scratch: UInt8 = 0
  /// The baud-rate divisor (DLM:DLL); the UART clock is 1.8432 MHz, so 115200 / divisor baud.
  public private(set) var divisor: UInt16 = 0
  /// Whether FCR bit 0 enabled the FIFOs.
  public private(set) var fifosEnabled = false
  /// The receive FIFO trigger level from FCR bits 7-6: 1, 4, 8 or 14 bytes.
  public private(set) var triggerLevel = 1

  /// The baud rate the divisor selects (0 while the divisor is 0).
  public var baudRate: Int { divisor == 0 ? 0 : 115_200 / Int(divisor) }
  /// Whether the UART is driving its IRQ line now.
  public private(set) var interruptAsserted = false
  /// Bytes given by the host and not yet taken into the receive FIFO.
  public var pendingInputCount: Int { backlog.count - backlogStart }
  /// Host input not yet taken into the receive FIFO (kept across a machine reset by the host).
  public var pendingInput: [UInt8] { Array(backlog[backlogStart...]) }

  private var rxFIFO: [UInt8] = []
  private var lineErrors: UInt8 = 0  // LSR bits 4-1, cleared by reading LSR
  private var thrInterruptPending = false  // the THRE interrupt, cleared by an IIR read or a THR write
  private var modemInputs: UInt8  // CTS/DSR/RI/DCD from the host (non-loopback), MSR bit layout
  private var modemStatus: UInt8 = 0  // MSR as the guest sees it
  private var backlog: [UInt8] = []
  private var backlogStart = 0

  /// - Parameters:
  ///   - base: first port (0x3F8 for COM1, 0x2F8 for COM2).
  ///   - irq: the ISA IRQ (4 for COM1, 3 for COM2).
  ///   - interruptLine: where the interrupt goes.
  ///   - output: the host sink for transmitted bytes.
  public init(
    base: UInt16 = UART16550.com1Base, irq: Int = UART16550.com1IRQ,
    interruptLine: InterruptLine? = nil, output: @escaping (UInt8) -> Void = { _ in }
  ) {
    self.base = base
    self.irq = irq
    self.interruptLine = interruptLine
    self.output = output
    // A terminal on the other end: CTS, DSR and DCD asserted (QEMU's default MSR is 0xB0 too).
    modemInputs = Self.msrCTS | Self.msrDSR | Self.msrDCD
    modemStatus = modemInputs
  }

  /// Back to the power-on state (datasheet Table 3, "UART Reset Configuration": IER, IIR, FCR, LCR, MCR
  /// cleared, FIFOs empty). Host input not yet received stays queued; the interrupt line is lowered.
  public func reset() {
    interruptEnable = 0
    lineControl = 0
    modemControl = 0
    scratch = 0
    divisor = 0
    fifosEnabled = false
    triggerLevel = 1
    rxFIFO.removeAll()
    lineErrors = 0
    thrInterruptPending = false
    modemStatus = modemInputs
    refillFromBacklog()
    updateInterrupt()
  }

  // MARK: Host side

  /// Queues bytes from the host (stdin, a file) for reception. They enter the receive FIFO as room allows,
  /// so host input is never lost to overruns (like a line with flow control).
  public func enqueueInput<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
    backlog.append(contentsOf: bytes)
    refillFromBacklog()
    updateInterrupt()
  }

  /// A byte arrives on the line right now, room or not: with the FIFO full (or, without FIFOs, RBR
  /// unread) it is an overrun (datasheet 8.4, LSR bit 1).
  public func receive(_ byte: UInt8) {
    receiveCharacter(byte)
    updateInterrupt()
  }

  /// Sets the modem inputs seen when not in loopback; changes set the MSR delta bits.
  public func setModemInputs(cts: Bool, dsr: Bool, ringIndicator: Bool, dcd: Bool) {
    var value: UInt8 = 0
    if cts { value |= Self.msrCTS }
    if dsr { value |= Self.msrDSR }
    if ringIndicator { value |= Self.msrRI }
    if dcd { value |= Self.msrDCD }
    modemInputs = value
    if modemControl & Self.mcrLoop == 0 { setModemLines(value) }
    updateInterrupt()
  }

  private var rxCapacity: Int { fifosEnabled ? Self.fifoDepth : 1 }

  private func receiveCharacter(_ byte: UInt8) {
    if rxFIFO.count < rxCapacity {
      rxFIFO.append(byte)
    } else {
      // Datasheet 8.4: in FIFO mode the character in the shift register is lost and the FIFO kept;
      // in 16450 mode the unread RBR is overwritten by the new character.
      lineErrors |= Self.lsrOverrunError
      if !fifosEnabled { rxFIFO[0] = byte }
    }
  }

  private func refillFromBacklog() {
    while backlogStart < backlog.count && rxFIFO.count < rxCapacity {
      rxFIFO.append(backlog[backlogStart])
      backlogStart += 1
    }
    if backlogStart == backlog.count {
      backlog.removeAll(keepingCapacity: true)
      backlogStart = 0
    }
  }

  // MARK: Interrupts

  /// The highest-priority interrupt pending and enabled, as IIR bits 3-0 (datasheet Table 4).
  private var interruptIdentification: UInt8 {
    if interruptEnable & Self.ierLineStatus != 0 && lineErrors != 0 { return Self.iirLineStatus }
    if interruptEnable & Self.ierReceivedData != 0 && !rxFIFO.isEmpty {
      if !fifosEnabled || rxFIFO.count >= triggerLevel { return Self.iirReceivedData }
      return Self.iirCharacterTimeout
    }
    if interruptEnable & Self.ierTHREmpty != 0 && thrInterruptPending { return Self.iirTHREmpty }
    if interruptEnable & Self.ierModemStatus != 0 && modemStatus & 0x0F != 0 { return Self.iirModemStatus }
    return Self.iirNoInterrupt
  }

  /// The PC gates the UART's INTRPT pin onto the bus with the OUT2 pin. In loop mode the modem output pins
  /// are forced inactive (datasheet 8.8), so OUT2 closes the gate and no interrupt reaches the bus, although
  /// IIR still reports it.
  private func updateInterrupt() {
    let gateOpen = modemControl & (Self.mcrOUT2 | Self.mcrLoop) == Self.mcrOUT2
    let level = interruptIdentification != Self.iirNoInterrupt && gateOpen
    if level != interruptAsserted {
      interruptAsserted = level
      interruptLine?.setLevel(irq, level)
    }
  }

  // MARK: Modem lines

  /// Updates MSR bits 7-4 and the delta bits 3-0 for the new line states.
  private func setModemLines(_ lines: UInt8) {
    let old = modemStatus & 0xF0
    let changed = old ^ lines
    var deltas = modemStatus & 0x0F
    if changed & Self.msrCTS != 0 { deltas |= Self.msrDeltaCTS }
    if changed & Self.msrDSR != 0 { deltas |= Self.msrDeltaDSR }
    if old & Self.msrRI != 0 && lines & Self.msrRI == 0 { deltas |= Self.msrTrailingEdgeRI }
    if changed & Self.msrDCD != 0 { deltas |= Self.msrDeltaDCD }
    modemStatus = lines | deltas
  }

  /// In loop mode the modem outputs feed the inputs: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD (datasheet 8.8).
  private var loopbackLines: UInt8 {
    var lines: UInt8 = 0
    if modemControl & Self.mcrRTS != 0 { lines |= Self.msrCTS }
    if modemControl & Self.mcrDTR != 0 { lines |= Self.msrDSR }
    if modemControl & Self.mcrOUT1 != 0 { lines |= Self.msrRI }
    if modemControl & Self.mcrOUT2 != 0 { lines |= Self.msrDCD }
    return lines
  }

  // MARK: Ports

  private var dlab: Bool { lineControl & 0x80 != 0 }

  /// Reads one of the eight registers at `base`...`base + 7`.
  public func read(port: UInt16, size: Int) -> UInt32 {
    let value = readBytes(port: port, size: size) { p in
      guard p >= base && p - base < 8 else { return nil }
      return readRegister(p - base)
    }
    updateInterrupt()
    return value
  }

  /// Writes one of the eight registers at `base`...`base + 7`.
  public func write(port: UInt16, size: Int, value: UInt32) {
    writeBytes(port: port, size: size, value: value) { p, byte in
      guard p >= base && p - base < 8 else { return }
      writeRegister(p - base, byte)
      updateInterrupt()
    }
  }

  private func readRegister(_ offset: UInt16) -> UInt8 {
    switch offset {
    case Self.rbrTHRDLL:
      if dlab { return UInt8(divisor & 0xFF) }
      // RBR: the oldest received byte; reading it makes room for the host's next one.
      guard !rxFIFO.isEmpty else { return 0 }
      let byte = rxFIFO.removeFirst()
      refillFromBacklog()
      return byte
    case Self.ierDLM:
      return dlab ? UInt8(divisor >> 8) : interruptEnable
    case Self.iirFCR:
      let id = interruptIdentification
      // Reading IIR while it reports THRE clears that interrupt (datasheet Table 4, "reset control").
      if id == Self.iirTHREmpty { thrInterruptPending = false }
      return id | (fifosEnabled ? Self.iirFIFOsEnabled : 0)
    case Self.lcr:
      return lineControl
    case Self.mcr:
      return modemControl
    case Self.lsr:
      // THRE and TEMT: transmission is instantaneous. Reading LSR clears the error bits 4-1.
      var value = Self.lsrTHREmpty | Self.lsrTransmitterEmpty | lineErrors
      if !rxFIFO.isEmpty { value |= Self.lsrDataReady }
      lineErrors = 0
      return value
    case Self.msr:
      // Reading MSR clears the delta bits.
      let value = modemStatus
      modemStatus &= 0xF0
      return value
    default:
      return scratch
    }
  }

  private func writeRegister(_ offset: UInt16, _ value: UInt8) {
    switch offset {
    case Self.rbrTHRDLL:
      if dlab {
        divisor = divisor & 0xFF00 | UInt16(value)
        return
      }
      // THR: writing clears the THRE interrupt; the byte leaves at once and THR is empty again.
      thrInterruptPending = false
      updateInterrupt()
      if modemControl & Self.mcrLoop != 0 {
        receiveCharacter(value)
      } else {
        output(value)
      }
      thrInterruptPending = true
    case Self.ierDLM:
      if dlab {
        divisor = divisor & 0x00FF | UInt16(value) << 8
        return
      }
      let old = interruptEnable
      interruptEnable = value & 0x0F
      // Enabling the THRE interrupt while THR is empty raises it at once (as QEMU and real parts do).
      if (old ^ interruptEnable) & Self.ierTHREmpty != 0 {
        thrInterruptPending = interruptEnable & Self.ierTHREmpty != 0
      }
    case Self.iirFCR:
      // FCR: bit 0 enables the FIFOs (changing it clears them); bits 1/2 clear RX/TX; bits 7-6 trigger.
      let enable = value & 0x01 != 0
      if enable != fifosEnabled {
        fifosEnabled = enable
        rxFIFO.removeAll()
      }
      if enable {
        if value & 0x02 != 0 { rxFIFO.removeAll() }
        triggerLevel = [1, 4, 8, 14][Int(value >> 6)]
      }
      refillFromBacklog()
    case Self.lcr:
      lineControl = value
    case Self.mcr:
      modemControl = value & 0x1F
      setModemLines(modemControl & Self.mcrLoop != 0 ? loopbackLines : modemInputs)
    case Self.lsr:
      // LSR is read-only in practice (a factory test register); writes are ignored.
      break
    case Self.msr:
      break
    default:
      scratch = value
    }
  }
}

// MARK: Snapshot

extension UART16550: StateCodable {
  public func code(_ coder: inout StateCoder) {
    coder.section(0x1655_0000 | UInt32(base))
    coder.code(&interruptEnable)
    coder.code(&lineControl)
    coder.code(&modemControl)
    coder.code(&scratch)
    coder.code(&divisor)
    coder.code(&fifosEnabled)
    coder.code(&triggerLevel)
    coder.code(&interruptAsserted)
    coder.code(&rxFIFO)
    coder.code(&lineErrors)
    coder.code(&thrInterruptPending)
    coder.code(&modemInputs)
    coder.code(&modemStatus)
    coder.code(&backlog)
    coder.code(&backlogStart)
    if backlogStart > backlog.count { coder.fail("UART backlog start past its end") }
  }
}
