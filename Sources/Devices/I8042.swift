// Intel 8042 keyboard controller (data port 0x60, status/command port 0x64) with a PS/2 keyboard on its
// first port.
//
// References: IBM PC/AT Technical Reference, "Keyboard Controller" (status register, commands 0x20/0x60,
// 0xAA, 0xAB, 0xAD/0xAE, 0xD0/0xD1, 0xF0-0xFF output port pulses) and "Keyboard" (commands 0xED-0xFF,
// responses 0xFA ACK, 0xAA BAT OK, 0xEE echo, 0xFE resend); the OSDev "8042 PS/2 Controller" and "PS/2
// Keyboard" pages; QEMU hw/input/pckbd.c and ps2.c for the choices a real controller leaves open.
//
// The keyboard speaks scancode set 2 and the controller translates it to set 1 (configuration bit 6), which
// is what every PC kernel expects; the host therefore enqueues set 1 codes directly. Commands complete
// instantly, so IBF is never seen set.

/// The 8042 controller and its keyboard, delivering set 1 scancodes one byte at a time on IRQ 1.
import StateCoding

public final class I8042 {
  public static let dataPort: UInt16 = 0x60
  public static let statusCommandPort: UInt16 = 0x64
  public static let keyboardIRQ = 1

  // Status register bits (port 0x64 read).
  public static let statusOutputFull: UInt8 = 0x01
  public static let statusInputFull: UInt8 = 0x02
  public static let statusSystemFlag: UInt8 = 0x04
  /// Last write was to the command port (A2 line).
  public static let statusCommand: UInt8 = 0x08
  /// Keyboard not inhibited by the key lock.
  public static let statusNotInhibited: UInt8 = 0x10
  /// The byte in the output buffer came from the auxiliary (mouse) port.
  public static let statusAuxOutputFull: UInt8 = 0x20

  // Controller configuration byte bits ("command byte", RAM byte 0).
  public static let configKeyboardInterrupt: UInt8 = 0x01
  public static let configAuxInterrupt: UInt8 = 0x02
  public static let configSystemFlag: UInt8 = 0x04
  public static let configKeyboardDisabled: UInt8 = 0x10
  public static let configAuxDisabled: UInt8 = 0x20
  public static let configTranslation: UInt8 = 0x40

  // Keyboard responses.
  public static let ack: UInt8 = 0xFA
  public static let selfTestPassed: UInt8 = 0xAA
  public static let echo: UInt8 = 0xEE
  public static let resend: UInt8 = 0xFE
  /// Controller self-test (command 0xAA) passed.
  public static let controllerTestPassed: UInt8 = 0x55

  /// The ports the controller decodes.
  public let portRanges: [ClosedRange<UInt16>] = [0x60...0x60, 0x64...0x64]

  /// Where IRQ 1 goes (normally the PIC pair); may be set after init.
  public var interruptLine: InterruptLine?
  /// Called when the guest pulses the output port's reset line (command 0xFE, or bit 0 cleared via 0xD1).
  public var onReset: () -> Void
  /// Called when the guest changes the A20 gate (output port bit 1).
  public var onA20Change: (Bool) -> Void

  /// The controller configuration byte. Power-on value as a BIOS leaves it (the kernel is booted without
  /// one): keyboard interrupt, system flag (POST passed), auxiliary port disabled, translation on.
  public private(set) var configuration: UInt8 = 0x65
  /// The output port (command 0xD0/0xD1): bit 0 reset (active low), bit 1 A20 gate.
  public private(set) var outputPort: UInt8 = 0xCF
  /// Keyboard state the guest set: scanning enabled (0xF4/0xF5), LED bits (0xED), scancode set (0xF0).
  public private(set) var scanningEnabled = true
  public private(set) var ledState: UInt8 = 0
  public private(set) var scancodeSet: UInt8 = 2
  /// Whether the controller is driving IRQ 1 now.
  public private(set) var interruptAsserted = false
  /// Bytes waiting in the keyboard behind the output buffer.
  public var pendingKeyboardBytes: Int { keyboardReplies.count + keyboardQueue.count - queueStart }
  /// Maximum bytes the keyboard holds (further key bytes are dropped). Larger than a real keyboard's 16 so
  /// a host typing a string at full speed loses nothing.
  public static let keyboardQueueCapacity = 1024

  private var outputBuffer: UInt8 = 0
  private var outputFull = false
  private var outputFromController = false
  private var lastWriteWasCommand = true
  private var systemFlag = true
  private var pendingControllerCommand: UInt8?  // a controller command waiting for its data byte
  private var pendingKeyboardCommand: UInt8?  // a keyboard command waiting for its parameter
  private var keyboardQueue: [UInt8] = []
  private var queueStart = 0
  private var controllerQueue: [UInt8] = []  // controller replies (0x20, 0xAA, ...) go before key bytes
  private var keyboardReplies: [UInt8] = []  // keyboard command replies (ACK, BAT, ...)
  private var lastKeyboardByte: UInt8 = 0

  /// - Parameters:
  ///   - interruptLine: where IRQ 1 goes.
  ///   - onReset: the host's reset (reload the kernel, or exit).
  ///   - onA20Change: the host's A20 gate, if it models one.
  public init(
    interruptLine: InterruptLine? = nil, onReset: @escaping () -> Void = {},
    onA20Change: @escaping (Bool) -> Void = { _ in }
  ) {
    self.interruptLine = interruptLine
    self.onReset = onReset
    self.onA20Change = onA20Change
  }

  /// Back to the power-on state; bytes waiting for the guest are dropped and IRQ 1 is lowered.
  public func reset() {
    configuration = 0x65
    outputPort = 0xCF
    scanningEnabled = true
    ledState = 0
    scancodeSet = 2
    outputBuffer = 0
    outputFull = false
    outputFromController = false
    lastWriteWasCommand = true
    systemFlag = true
    pendingControllerCommand = nil
    pendingKeyboardCommand = nil
    keyboardQueue.removeAll()
    queueStart = 0
    controllerQueue.removeAll()
    keyboardReplies.removeAll()
    lastKeyboardByte = 0
    updateInterrupt()
  }

  // MARK: Host side

  /// Enqueues scancode set 1 bytes from the keyboard (make codes, break codes = make | 0x80, E0 prefixes).
  /// Dropped while the keyboard's scanning is disabled (0xF5) or its queue is full.
  public func enqueueScancodes<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
    guard scanningEnabled else { return }
    for byte in bytes where pendingKeyboardBytes < Self.keyboardQueueCapacity {
      keyboardQueue.append(byte)
    }
    refillOutputBuffer()
  }

  /// Enqueues the press (or, if `released`, the release) of the key with set 1 make code `makeCode`,
  /// E0-prefixed if `extended`: the break code is the make code with bit 7 set.
  public func enqueueKey(_ makeCode: UInt8, extended: Bool = false, released: Bool = false) {
    let byte = released ? makeCode | 0x80 : makeCode & 0x7F
    enqueueScancodes(extended ? [0xE0, byte] : [byte])
  }

  // MARK: Output buffer

  /// Replies to keyboard commands go ahead of key bytes already waiting (as QEMU's PS/2 command queue
  /// does), so a driver waiting for ACK is not confused by typing.
  private func queueKeyboardReply(_ bytes: UInt8...) {
    keyboardReplies.append(contentsOf: bytes)
    refillOutputBuffer()
  }

  private func queueControllerReply(_ byte: UInt8) {
    controllerQueue.append(byte)
    refillOutputBuffer()
  }

  /// Moves the next byte into the output buffer if it is empty: controller replies first, then keyboard
  /// bytes unless the keyboard interface is disabled (config bit 4).
  private func refillOutputBuffer() {
    if !outputFull {
      if !controllerQueue.isEmpty {
        outputBuffer = controllerQueue.removeFirst()
        outputFull = true
        outputFromController = true
      } else if !keyboardReplies.isEmpty && configuration & Self.configKeyboardDisabled == 0 {
        outputBuffer = keyboardReplies.removeFirst()
        lastKeyboardByte = outputBuffer
        outputFull = true
        outputFromController = false
      } else if queueStart < keyboardQueue.count && configuration & Self.configKeyboardDisabled == 0 {
        outputBuffer = keyboardQueue[queueStart]
        queueStart += 1
        if queueStart == keyboardQueue.count {
          keyboardQueue.removeAll(keepingCapacity: true)
          queueStart = 0
        }
        lastKeyboardByte = outputBuffer
        outputFull = true
        outputFromController = false
      }
    }
    updateInterrupt()
  }

  /// IRQ 1 follows "output buffer full" while configuration bit 0 enables it (the AT wires OBF to IRQ 1).
  private func updateInterrupt() {
    let level = outputFull && configuration & Self.configKeyboardInterrupt != 0
    if level != interruptAsserted {
      interruptAsserted = level
      interruptLine?.setLevel(Self.keyboardIRQ, level)
    }
  }

  // MARK: Ports

  /// The status register (0x64).
  public var status: UInt8 {
    var value = Self.statusNotInhibited
    if outputFull { value |= Self.statusOutputFull }
    if systemFlag { value |= Self.statusSystemFlag }
    if lastWriteWasCommand { value |= Self.statusCommand }
    return value
  }

  /// Reads the output buffer (0x60; the last byte again if empty) or the status register (0x64).
  public func read(port: UInt16, size: Int) -> UInt32 {
    readBytes(port: port, size: size) { p in
      switch p {
      case Self.dataPort:
        let byte = outputBuffer
        if outputFull {
          // Reading empties the buffer; IRQ 1 drops, and the next byte (if any) raises it again.
          outputFull = false
          updateInterrupt()
          refillOutputBuffer()
        }
        return byte
      case Self.statusCommandPort:
        return status
      default:
        return nil
      }
    }
  }

  /// Writes data for the controller or the keyboard (0x60) or a controller command (0x64).
  public func write(port: UInt16, size: Int, value: UInt32) {
    writeBytes(port: port, size: size, value: value) { p, byte in
      switch p {
      case Self.dataPort:
        lastWriteWasCommand = false
        writeData(byte)
      case Self.statusCommandPort:
        lastWriteWasCommand = true
        controllerCommand(byte)
      default:
        break
      }
    }
  }

  /// Controller commands (IBM AT Technical Reference, "Commands (I/O Address Hex 64)").
  private func controllerCommand(_ command: UInt8) {
    pendingControllerCommand = nil
    switch command {
    case 0x20:
      queueControllerReply(configuration)
    case 0x21...0x3F:
      queueControllerReply(0)  // the rest of the controller RAM
    case 0x60, 0xD1, 0xD2, 0xD3, 0xD4:
      pendingControllerCommand = command  // takes a data byte on port 0x60
    case 0xA7:
      setConfiguration(configuration | Self.configAuxDisabled)
    case 0xA8:
      setConfiguration(configuration & ~Self.configAuxDisabled)
    case 0xA9:
      queueControllerReply(0x00)  // auxiliary interface test: no error
    case 0xAA:
      // Self-test: replies 0x55 and sets the system flag (QEMU does not reset the configuration either).
      systemFlag = true
      queueControllerReply(Self.controllerTestPassed)
    case 0xAB:
      queueControllerReply(0x00)  // keyboard interface test: no error
    case 0xAD:
      setConfiguration(configuration | Self.configKeyboardDisabled)
    case 0xAE:
      setConfiguration(configuration & ~Self.configKeyboardDisabled)
    case 0xC0:
      queueControllerReply(0x80)  // input port: bit 7 keyboard not inhibited (as QEMU)
    case 0xD0:
      // Output port, with bits 4/5 reflecting the output buffer as the AT wires them.
      var value = outputPort & ~0x30
      if outputFull && !outputFromController { value |= 0x10 }
      queueControllerReply(value)
    case 0xE0:
      queueControllerReply(0x00)  // test inputs
    case 0xF0...0xFF:
      // Pulse output port bits 3-0 low for 6 us where the command's bit is 0; bit 0 is the CPU reset.
      if command & 0x01 == 0 { onReset() }
    default:
      break
    }
  }

  private func setConfiguration(_ value: UInt8) {
    configuration = value
    systemFlag = value & Self.configSystemFlag != 0
    refillOutputBuffer()
  }

  /// A data byte: the parameter of a pending controller command, else a byte for the keyboard.
  private func writeData(_ byte: UInt8) {
    if let command = pendingControllerCommand {
      pendingControllerCommand = nil
      switch command {
      case 0x60:
        setConfiguration(byte)
      case 0xD1:
        writeOutputPort(byte)
      case 0xD2:
        queueKeyboardReply(byte)  // as if the keyboard had sent it
      case 0xD3, 0xD4:
        break  // no auxiliary device is attached
      default:
        break
      }
      return
    }
    // Sending to the keyboard re-enables its interface (QEMU, and the AT controller's behaviour).
    if configuration & Self.configKeyboardDisabled != 0 {
      configuration &= ~Self.configKeyboardDisabled
    }
    keyboardCommand(byte)
  }

  private func writeOutputPort(_ value: UInt8) {
    let old = outputPort
    outputPort = value | 0x01
    if (old ^ value) & 0x02 != 0 { onA20Change(value & 0x02 != 0) }
    if value & 0x01 == 0 { onReset() }
  }

  /// Keyboard commands (IBM AT Technical Reference, "Commands from the System").
  private func keyboardCommand(_ byte: UInt8) {
    if let command = pendingKeyboardCommand {
      pendingKeyboardCommand = nil
      switch command {
      case 0xED:
        ledState = byte & 0x07
        queueKeyboardReply(Self.ack)
        return
      case 0xF0:
        if byte == 0 {
          // Get the set: reported through the translation table when translating (set 2 reads as 0x41).
          let translated: [UInt8] = [0, 0x43, 0x41, 0x3F]
          let report = configuration & Self.configTranslation != 0 ? translated[Int(scancodeSet)] : scancodeSet
          queueKeyboardReply(Self.ack, report)
        } else if (1...3).contains(byte) {
          scancodeSet = byte
          queueKeyboardReply(Self.ack)
        } else {
          queueKeyboardReply(Self.resend)
        }
        return
      case 0xF3:
        queueKeyboardReply(Self.ack)  // typematic rate: accepted, not modelled
        return
      default:
        break  // a parameter-less command arriving here means the previous one's parameter: treat as new
      }
    }
    switch byte {
    case 0xED, 0xF0, 0xF3:
      pendingKeyboardCommand = byte
      queueKeyboardReply(Self.ack)
    case 0xEE:
      queueKeyboardReply(Self.echo)
    case 0xF2:
      // Identify: MF2 keyboard, 0xAB 0x83 (0x41 through translation).
      queueKeyboardReply(Self.ack, 0xAB, configuration & Self.configTranslation != 0 ? 0x41 : 0x83)
    case 0xF4:
      scanningEnabled = true
      queueKeyboardReply(Self.ack)
    case 0xF5:
      resetKeyboardDefaults()
      scanningEnabled = false
      queueKeyboardReply(Self.ack)
    case 0xF6:
      resetKeyboardDefaults()
      queueKeyboardReply(Self.ack)
    case 0xF7...0xFD:
      queueKeyboardReply(Self.ack)  // set-3 key type commands: accepted
    case 0xFE:
      queueKeyboardReply(lastKeyboardByte)
    case 0xFF:
      // Reset: the keyboard drops its buffer, runs its basic assurance test and reports 0xAA.
      keyboardReplies.removeAll()
      keyboardQueue.removeAll()
      queueStart = 0
      resetKeyboardDefaults()
      scanningEnabled = true
      queueKeyboardReply(Self.ack, Self.selfTestPassed)
    default:
      queueKeyboardReply(Self.resend)
    }
  }

  private func resetKeyboardDefaults() {
    scancodeSet = 2
    ledState = 0
  }
}

// MARK: Snapshot

extension I8042: StateCodable {
  public func code(_ coder: inout StateCoder) {
    coder.section(0x8042)
    coder.code(&configuration)
    coder.code(&outputPort)
    coder.code(&scanningEnabled)
    coder.code(&ledState)
    coder.code(&scancodeSet)
    coder.code(&interruptAsserted)
    coder.code(&outputBuffer)
    coder.code(&outputFull)
    coder.code(&outputFromController)
    coder.code(&lastWriteWasCommand)
    coder.code(&systemFlag)
    coder.code(&pendingControllerCommand)
    coder.code(&pendingKeyboardCommand)
    coder.code(&keyboardQueue)
    coder.code(&queueStart)
    if queueStart > keyboardQueue.count { coder.fail("keyboard queue start past its end") }
    coder.code(&controllerQueue)
    coder.code(&keyboardReplies)
    coder.code(&lastKeyboardByte)
  }
}
