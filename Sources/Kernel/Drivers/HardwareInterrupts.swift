// HardwareInterrupts.swift: the IRQ lines the kernel listens to, and their handlers.
//
// IRQ 0 is the PIT (Drivers/PIT.swift), IRQ 1 the keyboard (Drivers/Keyboard.swift), IRQ 4 the
// serial port COM1 (Drivers/Serial.swift), each remapped to vector 32 + IRQ by Drivers/PIC.swift.
// Handlers run with interrupts disabled (interrupt gates) and end with an EOI to the PIC.

enum HardwareInterrupts {
  static let timer = 0
  static let keyboard = 1
  static let com1 = 4

  /// Remaps the PICs, starts the timer, the keyboard and serial input, unmasks their lines.
  /// Interrupts stay disabled until the caller enables them.
  static func start() {
    PIC.remap()
    PIT.start()
    Keyboard.initialize()
    SerialPort.com1.enableReceiveInterrupt()
    PIC.unmask(timer)
    PIC.unmask(keyboard)
    PIC.unmask(com1)
  }

  static func handle(irq: Int) {
    if PIC.isSpurious(irq) {
      // A spurious IRQ 15 still came through the master's cascade line, which does expect an EOI.
      if irq == 15 { PIC.endOfInterrupt(2) }
      return
    }
    switch irq {
    case timer:
      Uptime.tick()
    case keyboard:
      Keyboard.handleInterrupt()
    case com1:
      while let byte = SerialPort.com1.readByte() {
        // Terminals send CR for Enter.
        Input.push(byte == 0x0D ? 0x0A : byte)
      }
    default:
      break
    }
    PIC.endOfInterrupt(irq)
  }
}
