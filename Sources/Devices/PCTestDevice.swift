// QEMU's `pc-testdev` (hw/misc/pc-testdev.c), the ISA device kvm-unit-tests talks to:
//
//   0xE0-0xE3   a 32-bit latch: a write of 1, 2 or 4 bytes stores those byte lanes, a read returns them
//               (the string I/O tests move data through it)
//   0xE4-0xE7   "flush page": a write names a guest page whose host mapping QEMU drops and re-creates,
//               to force KVM to fault it in again. Guest memory does not change, so here it does nothing.
//   0x2000-0x2017  IRQ lines: writing a non-zero byte to 0x2000+n raises interrupt line n, zero lowers
//               it (lines 0-15 are the ISA ones; 16-23 exist only on the I/O APIC)
//   0xFF000000  64 KiB of memory behind the device (`memory`): the board maps it like RAM, the tests use
//               it as an MMIO-backed data area for instructions with memory operands.
//
// Device state: the latch, the line levels and the 64 KiB are saved in snapshots.

import StateCoding

public final class PCTestDevice {
  public static let latchPort: UInt16 = 0xE0
  public static let flushPort: UInt16 = 0xE4
  public static let irqPortBase: UInt16 = 0x2000
  public static let irqLineCount = 24
  /// Where the board maps `memory` (QEMU's pc-testdev iomem region).
  public static let memoryBase: UInt64 = 0xFF00_0000
  public static let memorySize = 0x10000

  /// The ports the device decodes.
  public let portRanges: [ClosedRange<UInt16>] = [
    0xE0...0xE7, PCTestDevice.irqPortBase...(PCTestDevice.irqPortBase + UInt16(PCTestDevice.irqLineCount) - 1),
  ]

  /// The memory window's bytes (host memory the board maps at `memoryBase`).
  public let memory: UnsafeMutableRawPointer
  /// The 32-bit latch at 0xE0.
  public private(set) var latch: UInt32 = 0
  /// The level this device drives on each IRQ line.
  public private(set) var lineLevels = [Bool](repeating: false, count: PCTestDevice.irqLineCount)

  private let interruptLine: InterruptLine

  /// A test device driving interrupt lines 0-23 of `interruptLine` (the board's ISA lines).
  public init(interruptLine: InterruptLine) {
    self.interruptLine = interruptLine
    memory = .allocate(byteCount: PCTestDevice.memorySize, alignment: 4096)
    memory.initializeMemory(as: UInt8.self, repeating: 0, count: PCTestDevice.memorySize)
  }

  deinit { memory.deallocate() }

  public func read(port: UInt16, size: Int) -> UInt32 {
    switch port {
    case 0xE0...0xE3:
      let shift = UInt32(port - 0xE0) * 8
      return UInt32(truncatingIfNeeded: UInt64(latch >> shift) & sizeMask(size))
    default:
      return allOnes(size: size)  // the flush and IRQ ports are write-only
    }
  }

  public func write(port: UInt16, size: Int, value: UInt32) {
    switch port {
    case 0xE0...0xE3:
      let shift = UInt32(port - 0xE0) * 8
      let lanes = UInt32(truncatingIfNeeded: sizeMask(size) << UInt64(shift))
      latch = (latch & ~lanes) | ((value << shift) & lanes)
    case 0xE4...0xE7:
      break
    default:
      let line = Int(port - PCTestDevice.irqPortBase)
      guard line >= 0, line < PCTestDevice.irqLineCount else { return }
      let high = value & 0xFF != 0
      lineLevels[line] = high
      interruptLine.setLevel(line, high)
    }
  }

  private func sizeMask(_ size: Int) -> UInt64 { size >= 8 ? ~0 : (1 << (UInt64(size) * 8)) - 1 }
}

// MARK: Snapshot

extension PCTestDevice: StateCodable {
  public func code(_ coder: inout StateCoder) {
    coder.section(0xE0)
    coder.code(&latch)
    for k in 0..<PCTestDevice.irqLineCount { coder.code(&lineLevels[k]) }
    coder.code(raw: memory, count: PCTestDevice.memorySize)
  }
}
