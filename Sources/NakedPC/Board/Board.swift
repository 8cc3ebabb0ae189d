// Board.swift: a standard PC assembled from the machine and the device models.
//
// The layout is QEMU's `board` machine as far as a kernel sees it: 8259 pair at 0x20/0xA0, 8254 PIT at
// 0x40 on IRQ 0, i8042 at 0x60/0x64 on IRQ 1, COM1 at 0x3F8 on IRQ 4 and COM2 at 0x2F8 on IRQ 3,
// CMOS/RTC at 0x70 on IRQ 8, VGA text memory at 0xB8000 with its CRTC at 0x3D4, isa-debug-exit at
// 0xF4, the POST port 0x80, ACPI power-off at 0x604, an I/O APIC at 0xFEC00000 beside the 8259s
// (ISAInterruptLines.swift), and QEMU's pc-testdev (0xE0, 0x2000, memory at 0xFF000000) that
// kvm-unit-tests expects.

import Devices
import Machine

/// What a PC is built from.
package struct BoardConfiguration {
  package var memoryMiB: Int = 128
  /// The virtual CPU clock: how many cycles make one second for the PIT and the RTC.
  package var cyclesPerSecond: UInt64 = Board.defaultCyclesPerSecond
  package var rtcSource: RTCTimeSource = .deterministic
  package var strict = false
  package var cpuVendor = CPUVendor.intel

  package init() {}
}

/// How a run of the machine ended, as the front end reports it.
package enum BoardEvent: Equatable {
  case debugExit(UInt32)
  case powerOff
  case resetRequested
}

package final class Board {
  /// 100 MHz: with most instructions costing one cycle this is roughly the speed the emulator
  /// runs at, so an idle-free guest's clock is not far from the host's.
  package static let defaultCyclesPerSecond: UInt64 = 100_000_000

  package let machine: Machine
  package let pic = PIC8259Pair()
  package let ioapic = IOAPIC()
  package let pit: PIT8254
  package let cmos: CMOS
  package let keyboard: I8042
  package let com1: UART16550
  package let com2: UART16550
  package let vga = VGATextDevice()
  package let debugExit: DebugExit
  package let post = PostCodePort()
  package let powerOff: ACPIPowerOff
  package let testDevice: PCTestDevice
  package let firmwareConfig: FirmwareConfig

  /// Set by device callbacks; the run loop reads and clears it.
  private(set) var event: BoardEvent?

  package init(configuration: BoardConfiguration, serialOutput: @escaping (UInt8) -> Void) {
    let machine = Machine(memorySize: UInt64(configuration.memoryMiB) << 20)
    self.machine = machine
    machine.strict = configuration.strict
    machine.cpu.vendor = configuration.cpuVendor
    let lines = ISAInterruptLines(pic: pic, ioapic: ioapic)
    // Clocked devices: the port bus brings them up to each access's cycle (addClockedDevice below).
    pit = PIT8254(cyclesPerSecond: configuration.cyclesPerSecond, interruptLine: lines)
    cmos = CMOS(
      cyclesPerSecond: configuration.cyclesPerSecond, timeSource: configuration.rtcSource, interruptLine: lines)
    keyboard = I8042(interruptLine: lines)
    com1 = UART16550(interruptLine: lines, output: serialOutput)
    com2 = UART16550(base: 0x2F8, irq: 3, interruptLine: lines)
    debugExit = DebugExit()
    powerOff = ACPIPowerOff()
    testDevice = PCTestDevice(interruptLine: lines)
    firmwareConfig = FirmwareConfig(ramSize: machine.memory.ramSize)

    keyboard.onReset = { [unowned self] in self.signal(.resetRequested) }
    // The output port's bit 1 gates address line 20, as on every PC since the AT.
    keyboard.onA20Change = { [unowned machine] enabled in machine.cpu.a20Enabled = enabled }
    debugExit.onExit = { [unowned self] value in self.signal(.debugExit(value)) }
    powerOff.onPowerOff = { [unowned self] in self.signal(.powerOff) }

    machine.interruptController = pic
    // The I/O APIC's messages go to the local APIC, whose EOIs come back for level-triggered vectors.
    ioapic.deliver = { [unowned machine] message in
      machine.deliverInterrupt(
        vector: message.vector, deliveryMode: message.deliveryMode, destination: message.destination,
        logicalDestination: message.logicalDestination, levelTriggered: message.levelTriggered)
    }
    machine.onEndOfInterrupt = { [unowned ioapic] vector in ioapic.endOfInterrupt(vector: vector) }
    machine.memory.map(ioapic, at: IOAPIC.defaultBase, length: 0x1000)
    let devices: [ISADevice] = [
      pic, pit, cmos, keyboard, com1, com2, vga, debugExit, post, powerOff, testDevice, firmwareConfig,
    ]
    for device in devices {
      for range in device.portRanges { machine.ports.register(device, ports: range) }
    }
    machine.addClockedDevice(pit)
    machine.addClockedDevice(cmos)
    // Text memory is device-owned host memory mapped like RAM: the guest's stores go straight in.
    machine.memory.mapMemory(
      vga.memory, at: VGATextDevice.memoryBase, length: UInt64(VGATextDevice.memorySize))
    machine.memory.mapMemory(
      testDevice.memory, at: PCTestDevice.memoryBase, length: UInt64(PCTestDevice.memorySize))
  }

  private func signal(_ event: BoardEvent) {
    if self.event == nil { self.event = event }
    machine.requestStop()
  }

  /// Takes the pending event, if any.
  package func takeEvent() -> BoardEvent? {
    defer { event = nil }
    return event
  }

  /// Types keys: the i8042 queues their scancodes and raises IRQ 1 as the guest reads them.
  package func enqueueKeys(_ strokes: [KeyStroke]) {
    for stroke in strokes { keyboard.enqueueScancodes(stroke.scancodes) }
    machine.interruptStateChanged()
  }
}
