// QEMU's firmware configuration device, fw_cfg, through its traditional I/O interface (QEMU
// docs/specs/fw_cfg.rst; hw/nvram/fw_cfg.c):
//
//   0x510  selector (16 bits, write): chooses an item and rewinds its read offset
//   0x511  data (read): the selected item's next byte; a wider read returns that many bytes, little
//          endian. Past the end of an item, and for items that do not exist, reads return 0. Writes
//          are ignored (QEMU ignores them since 2.4).
//
// The items a guest can rely on from a PC: the "QEMU" signature, the interface ID (bit 0: the
// traditional interface; no DMA interface, so bit 1 is clear), a zero UUID, the RAM size, the CPU
// counts (one) and an empty file directory. kvm-unit-tests asks it for the CPU count when no
// environment module is given. Device state: the selector and offset are saved in snapshots.

import StateCoding

public final class FirmwareConfig {
  public static let selectorPort: UInt16 = 0x510
  public static let dataPort: UInt16 = 0x511

  /// Item numbers (QEMU include/standard-headers/linux/qemu_fw_cfg.h).
  public enum Key {
    public static let signature: UInt16 = 0x00
    public static let id: UInt16 = 0x01
    public static let uuid: UInt16 = 0x02
    public static let ramSize: UInt16 = 0x03
    public static let noGraphic: UInt16 = 0x04
    public static let cpuCount: UInt16 = 0x05
    public static let maxCPUs: UInt16 = 0x0F
    public static let fileDirectory: UInt16 = 0x19
  }

  /// The ports the device decodes.
  public let portRanges: [ClosedRange<UInt16>] = [FirmwareConfig.selectorPort...FirmwareConfig.dataPort]

  /// The selected item and how many of its bytes have been read.
  public private(set) var selector: UInt16 = 0
  public private(set) var offset: UInt32 = 0
  private let items: [UInt16: [UInt8]]

  /// The items of a PC with `ramSize` bytes of RAM and `cpuCount` processors.
  public init(ramSize: UInt64, cpuCount: UInt16 = 1) {
    func little<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
    items = [
      Key.signature: Array("QEMU".utf8),
      Key.id: little(UInt32(1)),
      Key.uuid: [UInt8](repeating: 0, count: 16),
      Key.ramSize: little(ramSize),
      Key.noGraphic: little(UInt16(0)),
      Key.cpuCount: little(cpuCount),
      Key.maxCPUs: little(cpuCount),
      // The file directory: a big-endian count, then the entries (none).
      Key.fileDirectory: [0, 0, 0, 0],
    ]
  }

  public func read(port: UInt16, size: Int) -> UInt32 {
    guard port == FirmwareConfig.dataPort else { return 0 }  // the selector reads as 0, as in QEMU
    var value: UInt32 = 0
    for k in 0..<min(size, 4) { value |= UInt32(nextByte()) << (8 * UInt32(k)) }
    return value
  }

  public func write(port: UInt16, size: Int, value: UInt32) {
    guard port == FirmwareConfig.selectorPort else { return }
    selector = UInt16(truncatingIfNeeded: value)
    offset = 0
  }

  /// The selected item's next byte (0 past its end or for an item that does not exist).
  private func nextByte() -> UInt8 {
    // Bit 14 (write channel) and bit 15 (architecture-local items) are part of the key; none of
    // those exist here.
    guard let bytes = items[selector], Int(offset) < bytes.count else { return 0 }
    defer { offset += 1 }
    return bytes[Int(offset)]
  }
}

// MARK: Snapshot

extension FirmwareConfig: StateCodable {
  public func code(_ coder: inout StateCoder) {
    coder.section(0xF0C0)
    coder.code(&selector)
    coder.code(&offset)
  }
}
