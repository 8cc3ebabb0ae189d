// IDT.swift: where the CPU finds the handler of each interrupt vector.
//
// The Interrupt Descriptor Table has one 16-byte gate per vector (SDM Vol. 3A 7.14.1, Figure 7-8):
// the handler's 64-bit address split over three fields, the code segment selector to run it in,
// an IST index (0 = stay on the current stack) and a type. Interrupt gates (type 0xE) clear
// RFLAGS.IF on entry, so a handler is not interrupted by another IRQ before it has acknowledged
// its own; every gate here is one. Vectors 0-31 are the CPU's exceptions; 32-47 are where the
// kernel puts the two 8259 PICs' IRQ lines (Drivers/PIC.swift) out of the exceptions' way.

enum IDT {
  static let stubCount = 48

  static func install() {
    let table = kernel_idt_address()!.assumingMemoryBound(to: UInt64.self)
    let stubs = kernel_interrupt_stubs()!
    for vector in 0..<stubCount {
      let ist: UInt8 = vector == Exception.doubleFault ? GDT.doubleFaultStackIndex : 0
      let (low, high) = gate(handler: stubs[vector], selector: GDT.kernelCodeSelector, ist: ist)
      table[2 * vector] = low
      table[2 * vector + 1] = high
    }
    withPseudoDescriptor(base: UInt64(UInt(bitPattern: table)), limit: UInt16(256 * 16 - 1)) {
      hw_load_idt($0)
    }
  }

  /// A present, DPL 0, 64-bit interrupt gate.
  static func gate(handler: UInt64, selector: UInt16, ist: UInt8) -> (UInt64, UInt64) {
    var low = handler & 0xFFFF
    low |= UInt64(selector) << 16
    low |= UInt64(ist & 0x7) << 32
    low |= UInt64(0x8E) << 40  // P=1, DPL=0, type 0xE: 64-bit interrupt gate
    low |= ((handler >> 16) & 0xFFFF) << 48
    return (low, handler >> 32)
  }
}
