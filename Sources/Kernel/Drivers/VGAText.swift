// VGAText.swift: the VGA text-mode screen.
//
// In mode 3 (80x25 colour text, what the BIOS and QEMU leave us in) the VGA card shows the
// contents of a memory window at physical 0xB8000: 2000 cells of two bytes, character then
// attribute (see Core/TextScreen.swift). The compiler must not drop or merge stores to it, since
// they have a side effect it cannot see (the picture changes), so every access is a volatile load
// or store through `VolatileMappedRegister`.
//
// The blinking cursor is not part of that memory. The CRT controller (CRTC) draws it at the cell
// held in its registers 0x0E (location high) and 0x0F (location low); registers 0x0A and 0x0B give
// the scan lines it covers, bit 5 of 0x0A hides it. CRTC registers are reached indirectly: write
// the register number to the index port 0x3D4, then the value to the data port 0x3D5
// (IBM VGA Technical Reference, CRT Controller Registers).

import _Volatile

/// The real text buffer at 0xB8000.
struct VGATextBuffer: TextCellStorage {
  static let physicalAddress: UInt = 0xB8000

  @inline(__always)
  func cell(at index: Int) -> UInt16 {
    VolatileMappedRegister<UInt16>(unsafeBitPattern: Self.physicalAddress + UInt(index) &* 2).load()
  }

  @inline(__always)
  func setCell(_ value: UInt16, at index: Int) {
    VolatileMappedRegister<UInt16>(unsafeBitPattern: Self.physicalAddress + UInt(index) &* 2)
      .store(value)
  }
}

/// The hardware cursor, driven through the CRT controller.
enum VGACursor {
  private static let indexPort: UInt16 = 0x3D4
  private static let dataPort: UInt16 = 0x3D5
  private static let cursorStart: UInt8 = 0x0A
  private static let cursorEnd: UInt8 = 0x0B
  private static let locationHigh: UInt8 = 0x0E
  private static let locationLow: UInt8 = 0x0F

  /// Shows the cursor as an underline on scan lines 14-15 of the 16-line character cell.
  static func enable() {
    hw_out8(indexPort, cursorStart)
    hw_out8(dataPort, 14)  // bit 5 clear: visible
    hw_out8(indexPort, cursorEnd)
    hw_out8(dataPort, 15)
  }

  /// Hides the cursor (cursor start register bit 5).
  static func disable() {
    hw_out8(indexPort, cursorStart)
    hw_out8(dataPort, 0x20)
  }

  /// Moves the cursor to cell `index` (row * 80 + column).
  static func move(to index: Int) {
    let location = UInt16(truncatingIfNeeded: index)
    hw_out8(indexPort, locationLow)
    hw_out8(dataPort, UInt8(truncatingIfNeeded: location))
    hw_out8(indexPort, locationHigh)
    hw_out8(dataPort, UInt8(truncatingIfNeeded: location >> 8))
  }
}
