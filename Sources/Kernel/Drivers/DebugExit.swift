// DebugExit.swift: leaving QEMU (or our emulator) with a status code.
//
// QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=0x04) ends the virtual
// machine when the guest writes a value v to its port; QEMU's own exit status is then (v << 1) | 1.
// The status is therefore always odd, so a test harness can tell "the kernel reported" from QEMU's
// ordinary exit 0 (which is also what a triple fault gives with -no-reboot). Test kernels report
// success as 0x10 (status 33) and failure as 0x11 (status 35), the convention of blog_os.

enum DebugExit {
  static let port: UInt16 = 0xF4

  enum Code: UInt32 {
    case success = 0x10
    case failure = 0x11
  }

  /// Ends the machine. On a machine without the device the write goes nowhere, so halt after it.
  static func exit(_ code: Code) -> Never {
    write(code.rawValue)
    haltForever()
  }

  /// Writes `value` to the device and returns: on a machine without it nothing happens.
  static func write(_ value: UInt32) {
    hw_out32(port, value)
  }
}

/// Stops the CPU for good: interrupts off, then HLT (again, should an NMI wake it).
func haltForever() -> Never {
  while true {
    hw_disable_interrupts()
    hw_halt()
  }
}
