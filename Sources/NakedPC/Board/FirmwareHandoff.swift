// The PC as firmware leaves it when a kernel starts: QEMU 7.2 runs SeaBIOS before its option ROM
// enters a -kernel, and a kernel that drops back to real mode, or enables interrupts before it
// reprograms the 8259s, sees what SeaBIOS set up. emu has no BIOS; it programs the same state through
// the devices' ports, as the firmware does, and writes a real-mode vector table whose handlers do what
// SeaBIOS's do for the hardware interrupts (measured in QEMU 7.2 with `info pic`; SeaBIOS src/hw/pic.c,
// src/hw/timer.c, src/clock.c).
//
// BIOS services (INT 10h, 13h, 15h, 16h, 1Ah...) are not implemented: their vectors point at an IRET.
// The ELCR (ports 0x4D0/0x4D1) is not modelled.

import Machine

extension Board {
  /// The real-mode code segment of the handlers, in the BIOS area (the e820 map reserves it).
  static let firmwareSegment: UInt64 = 0xF000
  /// SeaBIOS's addresses for the default IRET and the timer handler (the IBM PC's fixed entry points).
  static let iretOffset: UInt64 = 0xFF53
  static let timerOffset: UInt64 = 0xFEA5
  static let keyboardOffset: UInt64 = 0xE987
  /// Handlers of the other hardware interrupts (SeaBIOS's entry_hwpic1/entry_hwpic2 are elsewhere; the
  /// addresses only need to be inside the segment).
  static let masterOffset: UInt64 = 0xFF40
  static let slaveOffset: UInt64 = 0xFF48

  /// Programs the 8259s and the PIT as SeaBIOS does and installs the vector table and its handlers.
  package func enterFirmwareHandoffState() {
    let ports = machine.ports
    // 8259s: edge triggered, cascade on IRQ 2, vectors 0x08 and 0x70 (the IBM PC's), 8086 mode; then
    // SeaBIOS's masks: IRQ 0, 1, 2, 6 and 8, 12, 13, 14 open.
    for (port, value) in [
      (0x20, 0x11), (0x21, 0x08), (0x21, 0x04), (0x21, 0x01), (0x21, 0xB8),
      (0xA0, 0x11), (0xA1, 0x70), (0xA1, 0x02), (0xA1, 0x01), (0xA1, 0x8E),
    ] {
      ports.write(port: UInt16(port), size: 1, value: UInt32(value))
    }
    // PIT channel 0: mode 2 (rate generator), count 65536: IRQ 0 at 18.2 Hz.
    ports.write(port: 0x43, size: 1, value: 0x34)
    ports.write(port: 0x40, size: 1, value: 0)
    ports.write(port: 0x40, size: 1, value: 0)

    let memory = machine.memory
    let base = Board.firmwareSegment << 4
    memory.write([0xCF], at: base + Board.iretOffset)
    // INT 08h: count the tick in the BIOS data area (0040:006C, wrapping at midnight = 0x1800B0 ticks
    // with the rollover flag at 0040:0070), call INT 1Ch, acknowledge the 8259.
    memory.write(
      [
        0x1E, 0x50,  // push ds; push ax
        0x31, 0xC0, 0x8E, 0xD8,  // xor ax, ax; mov ds, ax
        0x66, 0xFF, 0x06, 0x6C, 0x04,  // inc dword [0x46C]
        0x66, 0x81, 0x3E, 0x6C, 0x04, 0xB0, 0x00, 0x18, 0x00,  // cmp dword [0x46C], 0x1800B0
        0x72, 0x0E,  // jb +14
        0x66, 0xC7, 0x06, 0x6C, 0x04, 0x00, 0x00, 0x00, 0x00,  // mov dword [0x46C], 0
        0xC6, 0x06, 0x70, 0x04, 0x01,  // mov byte [0x470], 1
        0xCD, 0x1C,  // int 0x1C
        0xB0, 0x20, 0xE6, 0x20,  // mov al, 0x20; out 0x20, al
        0x58, 0x1F, 0xCF,  // pop ax; pop ds; iret
      ], at: base + Board.timerOffset)
    // INT 09h: take the byte from the 8042 so it can interrupt again (no BIOS keyboard buffer), EOI.
    memory.write([0x50, 0xE4, 0x60, 0xB0, 0x20, 0xE6, 0x20, 0x58, 0xCF], at: base + Board.keyboardOffset)
    // IRQ 3-7 and IRQ 8-15: acknowledge the 8259s.
    memory.write([0x50, 0xB0, 0x20, 0xE6, 0x20, 0x58, 0xCF], at: base + Board.masterOffset)
    memory.write([0x50, 0xB0, 0x20, 0xE6, 0xA0, 0xE6, 0x20, 0x58, 0xCF], at: base + Board.slaveOffset)

    for vector in 0..<256 {
      let offset: UInt64
      switch vector {
      case 0x08: offset = Board.timerOffset
      case 0x09: offset = Board.keyboardOffset
      case 0x0A...0x0F: offset = Board.masterOffset
      case 0x70...0x77: offset = Board.slaveOffset
      default: offset = Board.iretOffset
      }
      memory.write(UInt64(vector * 4), size: 4, value: Board.firmwareSegment << 16 | offset)
    }
    // The BIOS data area words a kernel may read: COM1 and COM2, the equipment word (two serial ports,
    // 80x25 colour), base memory in KiB below the EBDA, the EBDA segment, the tick count.
    memory.write(0x400, size: 2, value: 0x3F8)
    memory.write(0x402, size: 2, value: 0x2F8)
    memory.write(0x410, size: 2, value: 0x0421)
    memory.write(0x413, size: 2, value: 639)
    memory.write(0x40E, size: 2, value: 0x9FC0)
    memory.write(0x46C, size: 4, value: 0)
  }
}
