// PIC.swift: the two 8259A programmable interrupt controllers.
//
// A PC routes its sixteen legacy interrupt lines through two cascaded 8259As: the master handles
// IRQ 0-7 at ports 0x20/0x21 and the slave IRQ 8-15 at 0xA0/0xA1, its output wired to the master's
// IRQ 2 (Intel 8259A datasheet). The BIOS programs them to deliver IRQ 0-7 as vectors 8-15, which
// in protected mode are CPU exceptions (8 is the double fault!), so every protected-mode kernel
// reprograms them with the four initialization command words:
//   ICW1 (0x11): edge triggered, cascade mode, ICW4 follows
//   ICW2: the vector of the first line (0x20 for the master, 0x28 for the slave)
//   ICW3: master: a slave sits on IRQ 2 (bit mask 0x04); slave: its cascade identity is 2
//   ICW4 (0x01): 8086 mode, normal (not automatic) end of interrupt
// After an interrupt, the handler sends a non-specific EOI (OCW2 0x20) to the PIC(s) involved;
// until then that line and all lower-priority ones stay blocked. An interrupt that vanished
// before the CPU acknowledged it arrives as IRQ 7 (or 15) with its in-service bit clear: a
// spurious interrupt, which must not be acknowledged with an EOI (OCW3 0x0B reads the ISR).

enum PIC {
  static let masterCommand: UInt16 = 0x20
  static let masterData: UInt16 = 0x21
  static let slaveCommand: UInt16 = 0xA0
  static let slaveData: UInt16 = 0xA1

  /// Where IRQ 0 lands in the IDT; IRQ n is vector `vectorBase + n`.
  static let vectorBase: UInt8 = 0x20

  static func remap() {
    write(masterCommand, 0x11)
    write(slaveCommand, 0x11)
    write(masterData, vectorBase)
    write(slaveData, vectorBase + 8)
    write(masterData, 0x04)
    write(slaveData, 0x02)
    write(masterData, 0x01)
    write(slaveData, 0x01)
    // Everything masked until a driver asks for its line.
    write(masterData, 0xFF)
    write(slaveData, 0xFF)
  }

  /// Lets `irq` through (clears its bit in the interrupt mask register); a slave line also needs
  /// the cascade line 2 open on the master.
  static func unmask(_ irq: Int) {
    if irq < 8 {
      write(masterData, hw_in8(masterData) & ~(UInt8(1) << UInt8(irq)))
    } else {
      write(slaveData, hw_in8(slaveData) & ~(UInt8(1) << UInt8(irq - 8)))
      unmask(2)
    }
  }

  /// Acknowledges `irq`: the slave too for lines 8-15.
  static func endOfInterrupt(_ irq: Int) {
    if irq >= 8 { hw_out8(slaveCommand, 0x20) }
    hw_out8(masterCommand, 0x20)
  }

  /// True when `irq` (7 or 15) is spurious: its in-service bit is not set.
  static func isSpurious(_ irq: Int) -> Bool {
    guard irq == 7 || irq == 15 else { return false }
    let command = irq == 7 ? masterCommand : slaveCommand
    hw_out8(command, 0x0B)  // OCW3: the next read of the command port returns the ISR
    return hw_in8(command) & 0x80 == 0
  }

  /// Old PICs need a moment between initialization words; a write to the unused POST port 0x80
  /// takes about a microsecond on real hardware and is the traditional delay.
  private static func write(_ port: UInt16, _ value: UInt8) {
    hw_out8(port, value)
    hw_out8(0x80, 0)
  }
}
