// The I/O APIC (Intel 82093AA datasheet; QEMU's hw/intc/ioapic.c is the PC it models): 24 interrupt
// inputs, each with a redirection entry that turns the input into a message for a local APIC.
//
// Registers are reached indirectly through two memory-mapped windows: IOREGSEL (offset 0x00) selects
// a register and IOWIN (offset 0x10) reads or writes it. Version 0x20 (QEMU's default) also has an EOI
// register at offset 0x40.
//   0x00 ID (bits 27:24)   0x01 version: 0x20, maximum redirection entry 23   0x02 arbitration ID
//   0x10 + 2n, 0x11 + 2n   redirection entry n: vector 7:0, delivery mode 10:8, destination mode 11,
//                          delivery status 12 (read-only), polarity 13, remote IRR 14 (read-only),
//                          trigger mode 15, mask 16, destination 63:56
// An edge-triggered input sends a message on each asserting edge; a level-triggered one sends one and
// sets remote IRR until the local APIC's EOI for that vector, then again if the input is still
// asserted. Reset masks every entry.

import StateCoding

/// A message the I/O APIC sends to the local APICs (the fields of a redirection entry).
public struct IOAPICMessage: Equatable {
  public var vector: UInt8
  public var deliveryMode: UInt8
  public var destination: UInt8
  public var logicalDestination: Bool
  public var levelTriggered: Bool

  public init(vector: UInt8, deliveryMode: UInt8, destination: UInt8, logicalDestination: Bool, levelTriggered: Bool) {
    self.vector = vector
    self.deliveryMode = deliveryMode
    self.destination = destination
    self.logicalDestination = logicalDestination
    self.levelTriggered = levelTriggered
  }
}

public final class IOAPIC {
  /// Where a PC maps it (QEMU's `pc` machine).
  public static let defaultBase: UInt64 = 0xFEC0_0000
  public static let pinCount = 24
  static let version: UInt32 = 0x0017_0020

  /// Called for every interrupt message.
  public var deliver: ((IOAPICMessage) -> Void)?

  public private(set) var id: UInt32 = 0
  private var selected: UInt32 = 0
  /// The redirection table, reset to masked.
  public private(set) var entries = [UInt64](repeating: 1 << 16, count: IOAPIC.pinCount)
  /// The level on each input pin.
  private var levels = [Bool](repeating: false, count: IOAPIC.pinCount)

  public init() {}

  /// Masks every entry and forgets the inputs (a reset).
  public func reset() {
    id = 0
    selected = 0
    entries = [UInt64](repeating: 1 << 16, count: IOAPIC.pinCount)
    levels = [Bool](repeating: false, count: IOAPIC.pinCount)
  }

  // MARK: Memory-mapped windows

  public func read(offset: UInt64, size: Int) -> UInt64 {
    switch offset & 0xFF {
    case 0x00: return UInt64(selected)
    case 0x10: return UInt64(register(selected))
    default: return 0
    }
  }

  public func write(offset: UInt64, size: Int, value: UInt64) {
    let v = UInt32(truncatingIfNeeded: value)
    switch offset & 0xFF {
    case 0x00: selected = v & 0xFF
    case 0x10: setRegister(selected, v)
    case 0x40: endOfInterrupt(vector: UInt8(truncatingIfNeeded: v))
    default: break
    }
  }

  func register(_ r: UInt32) -> UInt32 {
    switch r {
    case 0x00: return id
    case 0x01: return IOAPIC.version
    case 0x02: return id
    case 0x10..<(0x10 + 2 * UInt32(IOAPIC.pinCount)):
      let entry = entries[Int(r - 0x10) / 2]
      return UInt32(truncatingIfNeeded: r & 1 == 0 ? entry : entry >> 32)
    default: return 0xFFFF_FFFF
    }
  }

  func setRegister(_ r: UInt32, _ v: UInt32) {
    switch r {
    case 0x00: id = v & 0x0F00_0000
    case 0x10..<(0x10 + 2 * UInt32(IOAPIC.pinCount)):
      let pin = Int(r - 0x10) / 2
      var entry = entries[pin]
      if r & 1 == 0 {
        // Delivery status and remote IRR are read-only.
        let readOnly: UInt64 = (1 << 12) | (1 << 14)
        entry = (entry & ~0xFFFF_FFFF) | (entry & readOnly) | (UInt64(v) & ~readOnly)
        if entry & (1 << 15) == 0 { entry &= ~(1 << 14) }  // an edge entry has no remote IRR
      } else {
        entry = (entry & 0xFFFF_FFFF) | (UInt64(v & 0xFF00_0000) << 32)
      }
      entries[pin] = entry
      // Unmasking a level-triggered input that is asserted delivers it now.
      if isLevelTriggered(pin) { service(pin) }
    default: break
    }
  }

  // MARK: Inputs

  /// Drives input `pin` (0-23); `high` is the electrical level, which the entry's polarity reads.
  public func setLevel(_ pin: Int, _ high: Bool) {
    guard pin >= 0, pin < IOAPIC.pinCount else { return }
    let wasAsserted = isAsserted(pin)
    levels[pin] = high
    if isLevelTriggered(pin) {
      service(pin)
    } else if isAsserted(pin) && !wasAsserted {
      send(pin)
    }
  }

  /// The local APIC retired `vector`: level-triggered entries waiting on it may deliver again.
  public func endOfInterrupt(vector: UInt8) {
    for pin in 0..<IOAPIC.pinCount where isLevelTriggered(pin) && UInt8(truncatingIfNeeded: entries[pin]) == vector {
      entries[pin] &= ~(1 << 14)
      service(pin)
    }
  }

  private func isLevelTriggered(_ pin: Int) -> Bool { entries[pin] & (1 << 15) != 0 }
  private func isAsserted(_ pin: Int) -> Bool { levels[pin] != (entries[pin] & (1 << 13) != 0) }

  /// A level-triggered input: deliver when asserted, unmasked and not waiting for an EOI.
  private func service(_ pin: Int) {
    guard isAsserted(pin), entries[pin] & (1 << 14) == 0, entries[pin] & (1 << 16) == 0 else { return }
    entries[pin] |= 1 << 14
    send(pin)
  }

  private func send(_ pin: Int) {
    let entry = entries[pin]
    guard entry & (1 << 16) == 0 else { return }
    deliver?(
      IOAPICMessage(
        vector: UInt8(truncatingIfNeeded: entry), deliveryMode: UInt8((entry >> 8) & 7),
        destination: UInt8(truncatingIfNeeded: entry >> 56), logicalDestination: entry & (1 << 11) != 0,
        levelTriggered: entry & (1 << 15) != 0))
  }
}

// MARK: Snapshot

extension IOAPIC: StateCodable {
  public func code(_ coder: inout StateCoder) {
    coder.section(0x10A9)
    coder.code(&id)
    coder.code(&selected)
    for pin in 0..<IOAPIC.pinCount {
      coder.code(&entries[pin])
      coder.code(&levels[pin])
    }
  }
}
