// Segment and gate descriptors as the GDT, LDT and IDT hold them (SDM Vol. 3A 3.4.5 figure 3-8, 3.5
// table 3-2, 6.11 figures 6-2 and 6-8): one 8-byte value, decoded by name instead of by shifts.

struct Descriptor {
  let raw: UInt64

  init(_ raw: UInt64) { self.raw = raw }

  /// The four type bits (40-43). For code and data: bit 3 code, bit 2 conforming (code) or
  /// expand-down (data), bit 1 readable (code) or writable (data), bit 0 accessed.
  var type: UInt64 { (raw >> 40) & 0xF }
  /// S clear: a system descriptor (LDT, TSS, gate), whose type is `systemType`.
  var isSystem: Bool { raw & (1 << 44) == 0 }
  /// The type bits of a system descriptor, with S (bit 4) included so a code or data descriptor
  /// never matches one: 0x1/0x9 available TSS, 0x2 LDT, 0x6/0x7 16-bit and 0xE/0xF 32/64-bit
  /// interrupt and trap gates.
  var systemType: UInt64 { (raw >> 40) & 0x1F }
  var dpl: Int { Int((raw >> 45) & 3) }
  var isPresent: Bool { raw & (1 << 47) != 0 }
  var isCode: Bool { !isSystem && type & 8 != 0 }
  var isConforming: Bool { isCode && type & 4 != 0 }
  /// Readable code or writable data (type bit 1).
  var isReadableOrWritable: Bool { type & 2 != 0 }
  var isAccessed: Bool { raw & (1 << 40) != 0 }
  /// L: a 64-bit code segment.
  var isLong: Bool { raw & (1 << 53) != 0 }

  var base: UInt64 { ((raw >> 16) & 0xFF_FFFF) | (((raw >> 56) & 0xFF) << 24) }
  /// The limit in bytes - 1, scaled by G (4 KiB units when set).
  var limit: UInt32 {
    let units = UInt32(raw & 0xFFFF) | (UInt32((raw >> 48) & 0xF) << 16)
    return raw & (1 << 55) != 0 ? (units << 12) | 0xFFF : units
  }
  /// Bits 40-55 without the limit's high nibble: what a segment register caches.
  var attributes: UInt16 { UInt16(truncatingIfNeeded: raw >> 40) & 0xF0FF }
  /// Byte 5 (type, S, DPL, P), which the CPU writes back to set the accessed or busy bit.
  var accessByte: UInt64 { (raw >> 40) & 0xFF }

  // Gate fields (interrupt and trap gates).
  var gateSelector: UInt16 { UInt16(truncatingIfNeeded: raw >> 16) }
  /// Offset bits 0-31 (the high half of a 64-bit gate is in the next 8 bytes).
  var gateOffset: UInt64 { (raw & 0xFFFF) | ((raw >> 32) & 0xFFFF_0000) }
  /// The interrupt stack table index of a 64-bit gate (0: none).
  var ist: Int { Int((raw >> 32) & 7) }
}
