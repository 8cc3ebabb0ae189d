// The text-mode side of a VGA: the 32 KiB colour text window at 0xB8000, the CRT controller (cursor shape,
// start address, cursor location), input status 1 and the attribute controller's mode control.
//
// References: IBM VGA Technical Reference (Personal System/2 Display Adapter) and FreeVGA's register pages:
// "CRT Controller Registers" (index/data at 0x3D4/0x3D5, or 0x3B4/0x3B5 in monochrome addressing; registers
// 0x00-0x18; 0x0A Cursor Start with Cursor Disable bit 5; 0x0B Cursor End; 0x0C/0x0D Start Address;
// 0x0E/0x0F Cursor Location; 0x11 bit 7 protects 0x00-0x07), "Input Status #1" (0x3DA: bit 0 display
// disabled, bit 3 vertical retrace; reading it resets the attribute controller's flip-flop), "Attribute
// Controller Registers" (0x3C0 index/data flip-flop, 0x3C1 data read; 0x10 Mode Control bit 3 Blink Enable,
// bit 2 Line Graphics Enable), "Miscellaneous Output Register" (write 0x3C2, read 0x3CC).
//
// The power-on state is BIOS mode 3 (80x25, 9x16 cells): the standard mode-3 CRTC values, a blank screen of
// light grey on black (0x0720) and the cursor on scan lines 13-14.

/// The cursor as the CRTC describes it.
import StateCoding

public struct VGACursor: Equatable {
  /// Cursor Location (CR0E:CR0F), in character cells from the start of text memory.
  public var location: Int
  /// Row and column on the visible 80x25 screen, or nil if the location is outside it.
  public var row: Int?
  public var column: Int?
  /// Not disabled by CR0A bit 5, start <= end (a VGA draws nothing otherwise) and on the screen.
  public var isVisible: Bool
  /// First and last character scan line it covers (CR0A bits 4-0, CR0B bits 4-0).
  public var startScanline: Int
  public var endScanline: Int

  public init(location: Int, row: Int?, column: Int?, isVisible: Bool, startScanline: Int, endScanline: Int) {
    self.location = location
    self.row = row
    self.column = column
    self.isVisible = isVisible
    self.startScanline = startScanline
    self.endScanline = endScanline
  }
}

/// What a renderer needs to draw the text screen.
public struct VGATextScreen: Equatable {
  /// 80x25 cells of (character, attribute) bytes, row by row, read from the start address on.
  public var cells: [UInt8]
  public var cursor: VGACursor
  /// Attribute bit 7 means blink (attribute mode control bit 3) rather than a bright background.
  public var blinkEnabled: Bool
  /// Characters 0xC0-0xDF repeat their 8th pixel column in the 9th (mode control bit 2).
  public var lineGraphicsEnabled: Bool
}

/// VGA text memory and the registers that say how it is shown.
public final class VGATextDevice {
  /// Guest-physical address and size of the colour text window.
  public static let memoryBase: UInt64 = 0xB8000
  public static let memorySize = 0x8000
  public static let columns = 80
  public static let rows = 25
  /// Number of CRT controller registers (0x00-0x18).
  public static let crtcRegisterCount = 0x19

  // CRTC register indices used below (FreeVGA "CRT Controller Registers").
  public static let crtcCursorStart: UInt8 = 0x0A
  public static let crtcCursorEnd: UInt8 = 0x0B
  public static let crtcStartAddressHigh: UInt8 = 0x0C
  public static let crtcStartAddressLow: UInt8 = 0x0D
  public static let crtcCursorLocationHigh: UInt8 = 0x0E
  public static let crtcCursorLocationLow: UInt8 = 0x0F
  public static let crtcVerticalRetraceEnd: UInt8 = 0x11

  /// The ports the device decodes: CRTC and input status at both the colour and monochrome addresses, the
  /// attribute controller and the miscellaneous output register.
  public let portRanges: [ClosedRange<UInt16>] = [
    0x3B4...0x3B5, 0x3BA...0x3BA, 0x3C0...0x3C2, 0x3CC...0x3CC, 0x3D4...0x3D5, 0x3DA...0x3DA,
  ]

  /// The 32 KiB of text memory as raw host memory: the memory bus may map it like RAM (the device reads it
  /// only when asked for `screen()`, so writes through this pointer need no notification).
  public let memory: UnsafeMutableRawPointer

  /// The same memory as a buffer of `memorySize` bytes.
  public var memoryBuffer: UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(start: memory, count: Self.memorySize)
  }

  /// CRTC index register (0x3D4).
  public private(set) var crtcIndex: UInt8 = 0
  /// Attribute controller index (0x3C0 in index state), bit 5 being Palette Address Source.
  public private(set) var attributeIndex: UInt8 = 0
  /// Miscellaneous output register (0x3C2 write, 0x3CC read); mode 3 value.
  public private(set) var miscellaneousOutput: UInt8 = 0x67

  /// BIOS mode 3 CRTC values (80x25 text, 9x16 cells, cursor on lines 13-14).
  private static let mode3CRTC: [UInt8] = [
    0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00,
    0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF,
  ]
  /// BIOS mode 3 attribute controller values: the EGA palette mapping, then mode control 0x0C (blink, line
  /// graphics), overscan 0, all planes enabled, panning 8, colour select 0.
  private static let mode3Attribute: [UInt8] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
    0x0C, 0x00, 0x0F, 0x08, 0x00,
  ]
  private var crtc = VGATextDevice.mode3CRTC
  private var attribute = VGATextDevice.mode3Attribute
  private var attributeFlipFlopIsData = false
  private var statusReads: UInt8 = 0

  public init() {
    memory = UnsafeMutableRawPointer.allocate(byteCount: Self.memorySize, alignment: 4096)
    clearTextMemory()
  }

  /// Back to mode 3 as a BIOS sets it up: registers reset, screen blank, cursor at the top left.
  public func reset() {
    crtc = Self.mode3CRTC
    attribute = Self.mode3Attribute
    crtcIndex = 0
    attributeIndex = 0
    miscellaneousOutput = 0x67
    attributeFlipFlopIsData = false
    statusReads = 0
    clearTextMemory()
  }

  /// Fills text memory with blanks in light grey on black (0x0720), as the BIOS clears the screen.
  private func clearTextMemory() {
    for offset in stride(from: 0, to: Self.memorySize, by: 2) {
      memory.storeBytes(of: 0x20, toByteOffset: offset, as: UInt8.self)
      memory.storeBytes(of: 0x07, toByteOffset: offset + 1, as: UInt8.self)
    }
  }

  deinit { memory.deallocate() }

  // MARK: Text memory (MMIO view)

  /// Reads `size` bytes (1-8, little endian) at `offset` into the text window; outside it reads all ones.
  public func read(offset: UInt64, size: Int) -> UInt64 {
    var value: UInt64 = 0
    for i in 0..<max(1, min(size, 8)) {
      let o = offset &+ UInt64(i)
      let byte: UInt8 = o < UInt64(Self.memorySize) ? memory.load(fromByteOffset: Int(o), as: UInt8.self) : 0xFF
      value |= UInt64(byte) << UInt64(8 * i)
    }
    return value
  }

  /// Writes `size` bytes (1-8, little endian) at `offset` into the text window; bytes outside it are dropped.
  public func write(offset: UInt64, size: Int, value: UInt64) {
    for i in 0..<max(1, min(size, 8)) {
      let o = offset &+ UInt64(i)
      guard o < UInt64(Self.memorySize) else { continue }
      memory.storeBytes(of: UInt8(truncatingIfNeeded: value >> UInt64(8 * i)), toByteOffset: Int(o), as: UInt8.self)
    }
  }

  // MARK: Registers (host view)

  /// CRTC register `index` (0x00-0x18).
  public func crtcRegister(_ index: UInt8) -> UInt8 {
    Int(index) < Self.crtcRegisterCount ? crtc[Int(index)] : 0xFF
  }

  /// Attribute controller register `index` (0x00-0x14).
  public func attributeRegister(_ index: UInt8) -> UInt8 {
    Int(index) < attribute.count ? attribute[Int(index)] : 0xFF
  }

  /// Start Address (CR0C:CR0D): the cell shown at the top left.
  public var startAddress: Int { Int(crtc[0x0C]) << 8 | Int(crtc[0x0D]) }

  /// The cursor as programmed, placed relative to the start address.
  public var cursor: VGACursor {
    let location = Int(crtc[0x0E]) << 8 | Int(crtc[0x0F])
    let start = Int(crtc[0x0A] & 0x1F)
    let end = Int(crtc[0x0B] & 0x1F)
    let relative = location - startAddress
    let onScreen = relative >= 0 && relative < Self.columns * Self.rows
    return VGACursor(
      location: location,
      row: onScreen ? relative / Self.columns : nil,
      column: onScreen ? relative % Self.columns : nil,
      isVisible: crtc[0x0A] & 0x20 == 0 && start <= end && onScreen,
      startScanline: start, endScanline: end)
  }

  /// The 4000 visible bytes (80x25 cells from the start address, wrapping within the 32 KiB window) and the
  /// cursor and attribute modes.
  public func screen() -> VGATextScreen {
    let count = Self.columns * Self.rows * 2
    var cells = [UInt8](repeating: 0, count: count)
    let first = (startAddress * 2) % Self.memorySize
    for i in 0..<count {
      cells[i] = memory.load(fromByteOffset: (first + i) % Self.memorySize, as: UInt8.self)
    }
    return VGATextScreen(
      cells: cells, cursor: cursor,
      blinkEnabled: attribute[0x10] & 0x08 != 0,
      lineGraphicsEnabled: attribute[0x10] & 0x04 != 0)
  }

  // MARK: Ports

  /// Reads the CRTC (0x3D4/0x3D5 and the 0x3B4/0x3B5 aliases), input status 1 (0x3DA, 0x3BA), the attribute
  /// controller (0x3C0 index, 0x3C1 data) or the miscellaneous output register (0x3CC).
  public func read(port: UInt16, size: Int) -> UInt32 {
    readBytes(port: port, size: size) { p in
      switch p {
      case 0x3D4, 0x3B4:
        return crtcIndex
      case 0x3D5, 0x3B5:
        return crtcRegister(crtcIndex)
      case 0x3DA, 0x3BA:
        // Input Status 1: alternate "in retrace" (bits 3 and 0) and "displaying" on successive reads, so
        // both halves of a wait-for-retrace loop terminate, deterministically. Resets the 0x3C0 flip-flop.
        attributeFlipFlopIsData = false
        statusReads &+= 1
        return statusReads & 1 != 0 ? 0x09 : 0x00
      case 0x3C0:
        return attributeIndex
      case 0x3C1:
        return attributeRegister(attributeIndex & 0x1F)
      case 0x3CC:
        return miscellaneousOutput
      default:
        return nil
      }
    }
  }

  /// Writes the CRTC index/data, the attribute controller (0x3C0, alternating index and data) or the
  /// miscellaneous output register (0x3C2). A 16-bit write to 0x3D4 sets index and data at once.
  public func write(port: UInt16, size: Int, value: UInt32) {
    writeBytes(port: port, size: size, value: value) { p, byte in
      switch p {
      case 0x3D4, 0x3B4:
        crtcIndex = byte
      case 0x3D5, 0x3B5:
        writeCRTC(byte)
      case 0x3C0:
        if attributeFlipFlopIsData {
          if Int(attributeIndex & 0x1F) < attribute.count { attribute[Int(attributeIndex & 0x1F)] = byte }
        } else {
          attributeIndex = byte & 0x3F
        }
        attributeFlipFlopIsData.toggle()
      case 0x3C2:
        miscellaneousOutput = byte
      default:
        break
      }
    }
  }

  private func writeCRTC(_ value: UInt8) {
    let index = Int(crtcIndex)
    guard index < Self.crtcRegisterCount else { return }
    // CR11 bit 7 (Protect): registers 0x00-0x07 are read-only, except CR07 bit 4 (Line Compare bit 8).
    if crtc[0x11] & 0x80 != 0 && index <= 0x07 {
      if index == 0x07 { crtc[7] = crtc[7] & ~0x10 | value & 0x10 }
      return
    }
    crtc[index] = value
  }
}

// MARK: Snapshot

extension VGATextDevice: StateCodable {
  public func code(_ coder: inout StateCoder) {
    coder.section(0x0B8000)
    coder.code(raw: memory, count: Self.memorySize)
    coder.code(&crtcIndex)
    coder.code(&attributeIndex)
    coder.code(&miscellaneousOutput)
    coder.code(&crtc)
    coder.code(&attribute)
    if crtc.count != Self.mode3CRTC.count || attribute.count != Self.mode3Attribute.count {
      coder.fail("VGA register files of the wrong size")
    }
    coder.code(&attributeFlipFlopIsData)
    coder.code(&statusReads)
  }
}
