// ISAInterruptLines.swift: where a PC's interrupt lines go.
//
// Each ISA line reaches both interrupt controllers, as on every PC since the I/O APIC: the 8259 pair
// (inputs 0-15) and the I/O APIC, where IRQ 0 (the PIT) arrives on pin 2 and the others on their own
// number (the interrupt source override QEMU's MP and ACPI tables describe). Lines 16-23 exist only on
// the I/O APIC. A guest uses one controller and masks the other.

import Devices

final class ISAInterruptLines: InterruptLine {
  private let pic: PIC8259Pair
  private let ioapic: IOAPIC

  init(pic: PIC8259Pair, ioapic: IOAPIC) {
    self.pic = pic
    self.ioapic = ioapic
  }

  func setLevel(_ irq: Int, _ high: Bool) {
    if irq < 16 { pic.setLevel(irq, high) }
    ioapic.setLevel(irq == 0 ? 2 : irq, high)
  }
}
