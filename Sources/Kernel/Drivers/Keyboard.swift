// Keyboard.swift: the PS/2 keyboard behind the i8042 controller.
//
// The 8042 keyboard controller sits at two ports: 0x60 is data (scancodes from the keyboard,
// command arguments and replies) and 0x64 is status on read (bit 0: output buffer full, a byte is
// waiting at 0x60; bit 1: input buffer full, the controller has not taken our last byte yet) and
// command on write. Its configuration byte (read with command 0x20, written with 0x60) enables
// the keyboard interrupt (bit 0) and translation to scancode set 1 (bit 6); bit 4 disables the
// keyboard clock. Each key press or release then raises IRQ 1 with one byte waiting at 0x60.
// The same controller can pulse the CPU's reset line (command 0xFE): how `reboot` works.

enum Keyboard {
  private static let dataPort: UInt16 = 0x60
  private static let statusPort: UInt16 = 0x64
  private static let commandPort: UInt16 = 0x64

  nonisolated(unsafe) private static var decoder = ScancodeDecoder()

  /// Puts the controller in a known state: keyboard enabled, IRQ 1 on, translation on.
  static func initialize() {
    command(0xAD)  // disable the keyboard while reconfiguring
    command(0xA7)  // disable the mouse port
    while hw_in8(statusPort) & 0x01 != 0 { _ = hw_in8(dataPort) }  // drop stale bytes
    command(0x20)
    var configuration = readData()
    configuration |= 0x01 | 0x40  // IRQ 1, translation to set 1
    configuration &= ~UInt8(0x10 | 0x02)  // keyboard clock on, no mouse IRQ 12
    command(0x60)
    writeData(configuration)
    command(0xAE)  // enable the keyboard again
  }

  /// IRQ 1: one scancode is waiting. Decode it and queue what it types.
  static func handleInterrupt() {
    let scancode = hw_in8(dataPort)
    if let event = decoder.decode(scancode), let byte = event.terminalByte {
      Input.push(byte)
    }
  }

  /// Pulses the CPU reset line through the controller's output port.
  static func resetMachine() -> Never {
    hw_disable_interrupts()
    waitUntilControllerReady()
    hw_out8(commandPort, 0xFE)
    haltForever()
  }

  private static func command(_ byte: UInt8) {
    waitUntilControllerReady()
    hw_out8(commandPort, byte)
  }

  private static func writeData(_ byte: UInt8) {
    waitUntilControllerReady()
    hw_out8(dataPort, byte)
  }

  private static func readData() -> UInt8 {
    var attempts = 100_000
    while hw_in8(statusPort) & 0x01 == 0 && attempts > 0 {
      hw_pause()
      attempts -= 1
    }
    return hw_in8(dataPort)
  }

  /// Waits until the controller has taken the previous byte (status bit 1 clear).
  private static func waitUntilControllerReady() {
    var attempts = 100_000
    while hw_in8(statusPort) & 0x02 != 0 && attempts > 0 {
      hw_pause()
      attempts -= 1
    }
  }
}

/// What the user typed, from the keyboard and from the serial console, in arrival order.
enum Input {
  nonisolated(unsafe) private static var ring = ByteRing()

  /// Called by interrupt handlers (interrupts are already disabled there).
  static func push(_ byte: UInt8) {
    ring.push(byte)
  }

  /// Takes the oldest byte, if any.
  static func pop() -> UInt8? {
    Interrupts.withoutInterrupts { ring.pop() }
  }

  static var droppedCount: Int { Interrupts.withoutInterrupts { ring.droppedCount } }
}
