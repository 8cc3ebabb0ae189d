// ACPI PM1a control register at port 0x604, as QEMU's q35 (ICH9) machine places it and as its piix4 machine
// accepts for `-M pc` too: writing SLP_EN (bit 13) with SLP_TYP (bits 12-10) = 0 enters the S5 soft-off
// state. ACPI specification 6.5, section 4.8.3.2.1 "PM1 Control Registers" (SLP_TYPx, SLP_EN); QEMU
// hw/acpi/core.c acpi_pm1_cnt_write. A kernel powers off with `outw(0x604, 0x2000)`.

/// A PM1a control register whose only effect is powering the machine off.
import StateCoding

public final class ACPIPowerOff {
  public static let defaultPort: UInt16 = 0x604
  /// PM1_CNT bit 13: SLP_EN.
  public static let sleepEnable: UInt16 = 0x2000

  public let port: UInt16
  /// The two bytes of PM1a control.
  public var portRanges: [ClosedRange<UInt16>] { [port...(port + 1)] }
  /// Called when the guest requests soft-off.
  public var onPowerOff: () -> Void
  /// PM1 control as last written (SLP_EN reads back as 0: it is write-only).
  public private(set) var control: UInt16 = 0

  public init(port: UInt16 = ACPIPowerOff.defaultPort, onPowerOff: @escaping () -> Void = {}) {
    self.port = port
    self.onPowerOff = onPowerOff
  }

  /// PM1 control back to 0.
  public func reset() { control = 0 }

  /// Reads PM1 control (16 bits at `port`); other ports read as all ones.
  public func read(port: UInt16, size: Int) -> UInt32 {
    guard port == self.port else { return allOnes(size: size) }
    return (UInt32(control) | 0xFFFF_0000) & allOnes(size: size)
  }

  /// A write of at least 16 bits at `port` with SLP_EN set and SLP_TYP 0 powers off.
  public func write(port: UInt16, size: Int, value: UInt32) {
    guard port == self.port, size >= 2 else { return }
    let word = UInt16(truncatingIfNeeded: value)
    control = word & ~Self.sleepEnable
    if word & Self.sleepEnable != 0 && (word >> 10) & 7 == 0 {
      onPowerOff()
    }
  }
}

// MARK: Snapshot

extension ACPIPowerOff: StateCodable {
  public func code(_ coder: inout StateCoder) {
    coder.section(0x604)
    coder.code(&control)
  }
}
