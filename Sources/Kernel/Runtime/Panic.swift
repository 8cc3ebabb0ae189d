// Panic.swift: the red screen.
//
// When the kernel meets a state it cannot continue from, the most useful thing left to do is to
// say what happened, clearly, and stop. `panic` paints the whole screen white on red, writes the
// message and the source location on screen and on serial, and halts with interrupts disabled so
// nothing can run over the report. It uses no heap: a panic may be the heap's fault.

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
  hw_disable_interrupts()
  // A panic inside the panic path (a fault while painting, say) must not recurse forever.
  if alreadyPanicking { haltForever() }
  alreadyPanicking = true

  var screen = TextWriter(storage: VGATextBuffer(), color: .panic)
  screen.clear()
  VGACursor.disable()
  screen.move(toRow: 1, column: 2)
  screen.write("KERNEL PANIC")
  screen.move(toRow: 3, column: 2)
  screen.write(message)
  screen.move(toRow: 4, column: 2)
  writeLocation(to: &screen, file: file, line: line)
  screen.move(toRow: 6, column: 2)
  screen.write("The kernel has stopped with interrupts disabled. Restart the machine.")

  var serial = SerialPort.com1
  serial.write("\nKERNEL PANIC: ")
  serial.write(message)
  serial.write("\n  ")
  writeLocation(to: &serial, file: file, line: line)
  serial.write("\n")

  switch panicAction {
  case .halt: haltForever()
  case .exitSuccess: DebugExit.exit(.success)
  case .exitFailure: DebugExit.exit(.failure)
  }
}

private func writeLocation<Sink: ByteSink>(to sink: inout Sink, file: StaticString, line: UInt) {
  sink.write("at ")
  sink.write(file)
  sink.write(":")
  sink.write(decimal: UInt64(line))
}
