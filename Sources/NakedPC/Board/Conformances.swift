// Conformances.swift: the devices plugged into the machine's buses.
//
// Devices and Machine are independent modules (a device model knows no CPU, the CPU knows no
// device). Their methods already have the shapes the buses call; these declarations are the
// plugs.

import Devices
import Machine

/// A port device that says which ports it decodes.
package protocol ISADevice: PortDevice {
  var portRanges: [ClosedRange<UInt16>] { get }
}

extension PIC8259Pair: ISADevice, InterruptController {}
extension PIT8254: ISADevice, ClockedDevice {}
extension CMOS: ISADevice, ClockedDevice {}
extension I8042: ISADevice {}
extension UART16550: ISADevice {}
extension VGATextDevice: ISADevice {}
extension DebugExit: ISADevice {}
extension PostCodePort: ISADevice {}
extension ACPIPowerOff: ISADevice {}
extension PCTestDevice: ISADevice {}
extension FirmwareConfig: ISADevice {}
extension IOAPIC: MMIODevice {}
