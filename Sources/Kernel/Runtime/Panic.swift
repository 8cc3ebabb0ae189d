// Panic.swift: the red screen.
//
// When the kernel meets a state it cannot continue from, the most useful thing left to do is to
// say what happened, clearly, and stop. A panic paints the whole screen white on red, writes the
// report (the message, where it came from, and for CPU exceptions the registers) on screen and on
// serial, and halts with interrupts disabled so nothing can run over it. It uses no heap: a panic
// may be the heap's fault.

/// What to do once the report is written. Test kernels that expect a panic change it.
enum PanicAction {
  case halt
  case exitSuccess
  case exitFailure
}

nonisolated(unsafe) var panicAction = PanicAction.halt
nonisolated(unsafe) private var alreadyPanicking = false

/// Reports a fatal error and stops the machine.
func panic(_ message: StaticString, file: StaticString = #fileID, line: UInt = #line) -> Never {
  panicReport(title: "KERNEL PANIC", frame: nil) { out in
    out.write(message)
    out.write("\nat ")
    out.write(file)
    out.write(":")
    out.write(decimal: UInt64(line))
    out.write("\n")
  }
}

/// Paints the panic screen: `title`, what `body` writes, the registers of `frame` if any.
func panicReport(
  title: StaticString, frame: InterruptFrame?, _ body: (inout PanicOutput) -> Void
) -> Never {
  hw_disable_interrupts()
  // A panic inside the panic path (a fault while painting, say) must not recurse forever.
  if alreadyPanicking { haltForever() }
  alreadyPanicking = true

  var out = PanicOutput()
  out.screen.clear()
  VGACursor.disable()
  out.screen.move(toRow: 1, column: 0)  // a blank top margin
  out.serial.write("\n")  // start the report on a line of its own
  out.write(title)
  out.write("\n\n")
  body(&out)
  if let frame {
    out.write("\n")
    frame.dump(to: &out)
  }
  // On screen only: serial readers know the machine stopped when the transcript ends.
  out.screen.write("\n  The kernel has stopped with interrupts disabled. Restart the machine.")

  switch panicAction {
  case .halt: haltForever()
  case .exitSuccess: DebugExit.exit(.success)
  case .exitFailure: DebugExit.exit(.failure)
  }
}

/// Writes to the red screen (with a two-column margin) and to serial at once.
struct PanicOutput: ByteSink {
  var screen = TextWriter(storage: VGATextBuffer(), color: .panic)
  var serial = SerialPort.com1

  mutating func write(byte: UInt8) {
    if screen.column == 0 && byte != 0x0A {
      screen.write("  ")
    }
    screen.write(byte: byte)
    serial.write(byte: byte)
  }
}
