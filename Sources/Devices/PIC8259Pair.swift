// The PC/AT pair of 8259A interrupt controllers: master at 0x20/0x21, slave at 0xA0/0xA1, the slave's INT
// output wired to the master's IR2 (IBM PC/AT Technical Reference, "Interrupt Controllers"; Intel 8259A
// datasheet, "Cascading").
//
// This is the machine's interrupt controller: devices drive IRQ 0-15 through `InterruptLine`, the CPU asks
// `hasPendingInterrupt` between instructions and runs the INTA cycle with `acknowledge()`.

/// The master/slave 8259A pair of a PC, seen as IRQ 0-15.
import StateCoding

public final class PIC8259Pair: InterruptLine {
  /// Command (ICW1/OCW2/OCW3, IRR/ISR read) and data (ICW2-4, IMR) ports of each chip.
  public static let masterCommandPort: UInt16 = 0x20
  public static let masterDataPort: UInt16 = 0x21
  public static let slaveCommandPort: UInt16 = 0xA0
  public static let slaveDataPort: UInt16 = 0xA1
  /// The master input the slave's INT output drives.
  public static let cascadeIRQ = 2

  /// The chip that receives IRQ 0-7 and interrupts the CPU.
  public let master = PIC8259()
  /// The chip that receives IRQ 8-15 and requests through the master's IR2.
  public let slave = PIC8259(isMaster: false)

  /// The ports the pair decodes.
  public let portRanges: [ClosedRange<UInt16>] = [0x20...0x21, 0xA0...0xA1]

  public init() {}

  /// Both chips back to their power-on state (the guest must initialize them again, as after a real reset).
  public func reset() {
    master.reset()
    slave.reset()
  }

  // MARK: Interrupt-controller interface (what the CPU sees)

  /// True when the master asserts INT: an unmasked request outranks everything in service.
  public var hasPendingInterrupt: Bool { master.pendingRequest != nil }

  /// The INTA cycle: returns the vector and moves the request from IRR to ISR (unless auto-EOI).
  ///
  /// Spurious interrupts (the request vanished before the acknowledge, e.g. masked meanwhile) are answered
  /// as on the 8259A: the master gives its IR7 vector with no ISR bit set; a slave gives its IR7 vector,
  /// and the master, which did see its cascade request, marks IR2 in service (so the handler must EOI the
  /// master only).
  public func acknowledge() -> UInt8 {
    guard let ir = master.pendingRequest else {
      return master.vectorBase | 7
    }
    if ir == Self.cascadeIRQ && master.cascadeConfiguration & (1 << 2) != 0 {
      master.acknowledge(ir)
      let vector: UInt8
      if let slaveIR = slave.pendingRequest {
        slave.acknowledge(slaveIR)
        vector = slave.vectorBase | UInt8(slaveIR)
      } else {
        vector = slave.vectorBase | 7
      }
      // The slave's INT is re-evaluated after its acknowledge; a still-pending request makes a new edge.
      master.setLevel(Self.cascadeIRQ, false)
      updateCascade()
      return vector
    }
    master.acknowledge(ir)
    return master.vectorBase | UInt8(ir)
  }

  // MARK: InterruptLine

  /// Drives IRQ `irq` (0-15). IRQ 2 is the cascade, so as on the AT bus a card's "IRQ 2" arrives as IRQ 9.
  public func setLevel(_ irq: Int, _ high: Bool) {
    switch irq {
    case Self.cascadeIRQ:
      slave.setLevel(1, high)
    case 0...7:
      master.setLevel(irq, high)
    case 8...15:
      slave.setLevel(irq - 8, high)
    default:
      return
    }
    updateCascade()
  }

  // MARK: Ports

  /// Reads 0x20/0x21 (master) or 0xA0/0xA1 (slave): IRR or ISR (per OCW3) on the even port, IMR on the odd.
  public func read(port: UInt16, size: Int) -> UInt32 {
    readBytes(port: port, size: size) { p in
      switch p {
      case 0x20, 0x21:
        return master.read(a0: Int(p & 1))
      case 0xA0, 0xA1:
        defer { updateCascade() }  // a poll read acknowledges on the slave
        return slave.read(a0: Int(p & 1))
      default:
        return nil
      }
    }
  }

  /// Writes 0x20/0x21 (master) or 0xA0/0xA1 (slave): ICW1/OCW2/OCW3 on the even port, ICW2-4/OCW1 on the odd.
  public func write(port: UInt16, size: Int, value: UInt32) {
    writeBytes(port: port, size: size, value: value) { p, byte in
      switch p {
      case 0x20, 0x21:
        master.write(a0: Int(p & 1), byte)
      case 0xA0, 0xA1:
        slave.write(a0: Int(p & 1), byte)
        updateCascade()
      default:
        break
      }
    }
  }

  /// Keeps the master's IR2 equal to the slave's INT output.
  private func updateCascade() {
    master.setLevel(Self.cascadeIRQ, slave.pendingRequest != nil)
  }
}

// MARK: Snapshot

extension PIC8259Pair: StateCodable {
  public func code(_ coder: inout StateCoder) {
    master.code(&coder)
    slave.code(&coder)
  }
}
