// Serial.swift: the 16550 UART on COM1.
//
// PC serial ports are 16550-compatible UARTs at I/O port bases 0x3F8 (COM1) and 0x2F8 (COM2).
// Eight consecutive ports hold the registers (National Semiconductor PC16550D datasheet):
//   +0  THR (write) / RBR (read): transmit and receive byte; with LCR.DLAB=1, divisor latch low
//   +1  IER: interrupt enable; with DLAB=1, divisor latch high
//   +2  FCR (write): FIFO control      +3  LCR: line control (word length, parity, stop, DLAB)
//   +4  MCR: modem control             +5  LSR: line status (bit 0 data ready, bit 5 THR empty)
// The baud rate is 115200 / divisor. QEMU ignores the rate, but real hardware and our emulator's
// UART model honour the protocol, so the driver does the full initialisation and always waits for
// the transmitter before writing. Serial output is the kernel's debugging lifeline: the test
// harness reads it from QEMU's -serial and from the emulator's stdout.

struct SerialPort {
  let base: UInt16

  static let com1 = SerialPort(base: 0x3F8)

  private var data: UInt16 { base }
  private var interruptEnable: UInt16 { base + 1 }
  private var fifoControl: UInt16 { base + 2 }
  private var lineControl: UInt16 { base + 3 }
  private var modemControl: UInt16 { base + 4 }
  private var lineStatus: UInt16 { base + 5 }

  /// 115200 baud, 8 data bits, no parity, one stop bit (8N1), FIFOs on.
  func initialize() {
    hw_out8(interruptEnable, 0x00)  // no interrupts: the kernel polls
    hw_out8(lineControl, 0x80)  // DLAB=1: ports +0/+1 become the divisor latch
    hw_out8(data, 0x01)  // divisor 1 = 115200 baud
    hw_out8(interruptEnable, 0x00)
    hw_out8(lineControl, 0x03)  // DLAB=0, 8 bits, no parity, 1 stop bit
    hw_out8(fifoControl, 0xC7)  // enable and clear both FIFOs, receive trigger at 14 bytes
    hw_out8(modemControl, 0x0B)  // DTR, RTS, OUT2 (OUT2 gates the IRQ line on PCs)
  }

  /// Sends one byte as it is, waiting until the transmit holding register is empty (LSR bit 5).
  func transmit(_ byte: UInt8) {
    while hw_in8(lineStatus) & 0x20 == 0 {
      hw_pause()
    }
    hw_out8(data, byte)
  }

  /// Raises the UART's interrupt (IRQ 4 for COM1) when a byte arrives (IER bit 0). OUT2, set by
  /// `initialize`, connects the interrupt output to the PIC.
  func enableReceiveInterrupt() {
    hw_out8(interruptEnable, 0x01)
  }

  /// Returns a received byte if one is waiting (LSR bit 0), without blocking.
  func readByte() -> UInt8? {
    guard hw_in8(lineStatus) & 0x01 != 0 else { return nil }
    return hw_in8(data)
  }
}

// As a text sink the port is the line to a terminal, which moves down on LF and back to the first
// column only on CR: each LF goes out as CR LF, as Linux's serial console and a tty's ONLCR send it.
// Without the CR, a terminal in raw mode (screen, minicom, QEMU's -serial mon:stdio) staircases.
extension SerialPort: ByteSink {
  func write(byte: UInt8) {
    if byte == 0x0A { transmit(0x0D) }
    transmit(byte)
  }
}
