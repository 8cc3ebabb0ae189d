// ACPIPower.swift: switching the machine off through ACPI.
//
// A sleep request is a write to the PM1a control register: SLP_TYP (bits 10-12) picks the sleep
// state and SLP_EN (bit 13) starts it (ACPI 6.5, 4.8.3.2.1 "PM1 Control Registers"). A kernel
// finds the register in the FADT and the S5 sleep type in the DSDT's \_S5 object; QEMU's PC
// machines (PIIX4 PM with SeaBIOS's tables) put PM1a_CNT at port 0x604 and give S5 the type 0, so
// this driver uses those values rather than parse AML. QEMU acts on the request asynchronously.

enum ACPIPower {
  static let pm1aControl: UInt16 = 0x604
  private static let sleepEnable: UInt16 = 1 << 13
  private static let softOffType: UInt16 = 0 << 10

  /// Asks the chipset to enter S5 (soft off); the machine stops some time later, or never on a
  /// machine without this register.
  static func requestSoftOff() {
    hw_out16(pm1aControl, sleepEnable | softOffType)
  }
}
