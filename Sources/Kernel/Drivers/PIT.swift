// PIT.swift: the 8254 programmable interval timer, the kernel's clock.
//
// The PIT counts down from a programmed value at 1.193182 MHz (a third of the NTSC colour-burst
// frequency of the original PC) and, in mode 2 (rate generator), pulses its output each time the
// count reaches one and reloads. Channel 0's output is wired to IRQ 0. Programming: one command
// byte at port 0x43 (channel, access mode lobyte/hibyte, operating mode), then the 16-bit reload
// value through channel 0's data port 0x40, low byte first (Intel 8254 datasheet).

import _Volatile

enum PIT {
  static let inputFrequency: UInt32 = 1_193_182
  private static let channel0Data: UInt16 = 0x40
  private static let command: UInt16 = 0x43

  /// The rate the kernel programs.
  static let ticksPerSecond: UInt32 = 100

  /// Makes channel 0 interrupt `ticksPerSecond` times a second.
  static func start() {
    // Round to the nearest divisor: 1193182 / 100 = 11931.82 -> 11932, 99.998 Hz.
    let divisor = (inputFrequency + ticksPerSecond / 2) / ticksPerSecond
    hw_out8(command, 0x34)  // channel 0, lobyte/hibyte, mode 2, binary
    hw_out8(channel0Data, UInt8(truncatingIfNeeded: divisor))
    hw_out8(channel0Data, UInt8(truncatingIfNeeded: divisor >> 8))
  }
}

/// Time since the timer started, counted by the IRQ 0 handler.
enum Uptime {
  nonisolated(unsafe) private static var ticks: UInt64 = 0

  /// Called from the IRQ 0 handler.
  static func tick() {
    register.store(register.load() &+ 1)
  }

  /// The count so far. A volatile load, so a polling loop sees the interrupt handler's updates;
  /// a 64-bit aligned load is atomic on x86_64, so no lock is needed.
  static var currentTicks: UInt64 { register.load() }

  private static var register: VolatileMappedRegister<UInt64> {
    withUnsafeMutablePointer(to: &ticks) {
      VolatileMappedRegister<UInt64>(unsafeBitPattern: UInt(bitPattern: $0))
    }
  }
}
