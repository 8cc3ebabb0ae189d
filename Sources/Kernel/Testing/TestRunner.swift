// TestRunner.swift: the harness for test kernels, in the spirit of blog_os's tests/.
//
// A test kernel is the kernel's own code with a different `kernel_main` that runs a list of checks
// on the real (or emulated) hardware. Each check reports "name... [ok]" or "[failed]" on COM1, and
// the kernel leaves the machine through isa-debug-exit with 0x10 (all passed) or 0x11 (a failure).
// The host test suite boots it under QEMU and under our emulator and reads the exit status.

/// Runs named checks, reports each over serial, and exits through isa-debug-exit.
struct TestRunner {
  private var failures = 0
  private var count = 0

  /// Sets up serial and screen; test kernels print like the real kernel does.
  init(title: StaticString) {
    initializeConsole()
    var serial = SerialPort.com1
    serial.write("Running test kernel ")
    serial.write(title)
    serial.write("\n")
  }

  /// Runs `body`, which returns nil on success or a failure message.
  mutating func run(_ name: StaticString, _ body: () -> StaticString?) {
    var serial = SerialPort.com1
    serial.write(name)
    serial.write("... ")
    count += 1
    if let failure = body() {
      failures += 1
      serial.write("[failed] ")
      serial.write(failure)
      serial.write("\n")
    } else {
      serial.write("[ok]\n")
    }
  }

  /// Reports the totals and ends the machine.
  func finish() -> Never {
    var serial = SerialPort.com1
    serial.write(decimal: UInt64(count - failures))
    serial.write(" passed, ")
    serial.write(decimal: UInt64(failures))
    serial.write(" failed\n")
    DebugExit.exit(failures == 0 ? .success : .failure)
  }
}
