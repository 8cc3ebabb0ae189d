// GDT.swift: the segment descriptors long mode still needs, and the TSS.
//
// In 64-bit mode segmentation is mostly gone (bases are zero, limits unchecked), but the CPU still
// takes the privilege level and the 64-bit flag from the code segment descriptor, and it finds the
// Task State Segment through the GDT. The 64-bit TSS no longer switches tasks: it holds the stack
// pointers the CPU loads on a privilege change (RSP0-2) and the seven Interrupt Stack Table
// entries (SDM Vol. 3A 8.7, Figure 8-11). An IDT gate that names IST n always switches to that
// stack, which is how a double fault caused by a kernel stack overflow still has a stack to run on.
//
// The boot stub's GDT has code and data only; this one adds the TSS (a 16-byte system descriptor,
// SDM Vol. 3A 8.2.3) and replaces it.

enum GDT {
  static let kernelCodeSelector: UInt16 = 0x08
  static let kernelDataSelector: UInt16 = 0x10
  static let taskStateSelector: UInt16 = 0x18

  /// The IST slot (1-based, as gates encode it) of the double-fault stack.
  static let doubleFaultStackIndex: UInt8 = 1

  static func install() {
    let tss = kernel_tss_address()!
    // TSS layout: reserved u32, RSP0-2 at 4, reserved, IST1-7 at 36, reserved, I/O map base at 102.
    let istOffset = 36 + 8 * (Int(doubleFaultStackIndex) - 1)
    tss.storeBytes(of: UInt64(kernel_double_fault_stack_top()), toByteOffset: istOffset, as: UInt64.self)
    // An I/O map base at or beyond the limit means "no I/O permission bitmap".
    tss.storeBytes(of: UInt16(104), toByteOffset: 102, as: UInt16.self)

    let table = kernel_gdt_address()!.assumingMemoryBound(to: UInt64.self)
    table[0] = 0
    table[1] = 0x00AF_9B00_0000_FFFF  // code: present, DPL 0, executable, L=1 (64-bit)
    table[2] = 0x00CF_9300_0000_FFFF  // data: present, DPL 0, writable
    let (low, high) = systemDescriptor(base: UInt64(UInt(bitPattern: tss)), limit: 103, type: 0x9)
    table[3] = low
    table[4] = high

    withPseudoDescriptor(base: UInt64(UInt(bitPattern: table)), limit: UInt16(5 * 8 - 1)) {
      hw_load_gdt($0, kernelCodeSelector, kernelDataSelector)
    }
    hw_load_task_register(taskStateSelector)
  }

  /// A 16-byte system-segment descriptor (SDM Vol. 3A Figure 8-4): type 0x9 is an available
  /// 64-bit TSS; present, DPL 0.
  static func systemDescriptor(base: UInt64, limit: UInt32, type: UInt64) -> (UInt64, UInt64) {
    var low = UInt64(limit & 0xFFFF)
    low |= (base & 0xFF_FFFF) << 16
    low |= (type | 0x80) << 40  // P=1, DPL=0, S=0 (system)
    low |= UInt64((limit >> 16) & 0xF) << 48
    low |= ((base >> 24) & 0xFF) << 56
    return (low, base >> 32)
  }
}

/// Calls `body` with a pointer to the 10-byte limit-and-base operand of LGDT and LIDT.
func withPseudoDescriptor(base: UInt64, limit: UInt16, _ body: (UnsafeRawPointer) -> Void) {
  var storage: (UInt64, UInt64) = (0, 0)
  withUnsafeMutableBytes(of: &storage) { bytes in
    bytes.storeBytes(of: limit, toByteOffset: 0, as: UInt16.self)
    bytes.storeBytes(of: base, toByteOffset: 2, as: UInt64.self)
    body(UnsafeRawPointer(bytes.baseAddress!))
  }
}
