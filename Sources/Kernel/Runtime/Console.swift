// Console.swift: one output stream to the screen and the serial port at once.
//
// Everything the kernel prints goes to both: the screen is what a person sees, the serial port is
// what the test harness reads (and what survives a crash that wipes the screen). Embedded Swift's
// `print` ends in the C function `putchar`, one byte at a time, so defining `putchar` here is what
// makes `print` work on bare metal.

struct Console: ByteSink {
  var screen: TextWriter<VGATextBuffer>
  var serial: SerialPort
  /// The last line written, for the #UD handler to show a Swift runtime error message.
  var recentLine = LineRecorder()

  /// The colour of what is written next on screen (serial output has no colour).
  var color: ColorPair {
    get { screen.color }
    set { screen.color = newValue }
  }

  mutating func write(byte: UInt8) {
    screen.write(byte: byte)
    serial.write(byte: byte)
    recentLine.record(byte)
    VGACursor.move(to: screen.cursorIndex)
  }

  /// Erases the character before the cursor: one backspace on screen (the writer blanks the cell),
  /// "\b \b" on serial, which is what erases a character on a terminal.
  mutating func eraseCharacter() {
    screen.write(byte: 0x08)
    serial.write("\u{8} \u{8}")
    VGACursor.move(to: screen.cursorIndex)
  }

  /// Blanks the screen in the current colour; the cursor returns to the top-left corner.
  mutating func clear() {
    screen.clear()
    VGACursor.move(to: screen.cursorIndex)
  }

  /// Writes `text` in `color`, then restores the previous colour.
  mutating func write(_ text: StaticString, in color: ColorPair) {
    let saved = self.color
    self.color = color
    write(text)
    self.color = saved
  }
}

/// The kernel's console. Only the kernel's main flow and trap handlers (#BP, which runs with
/// interrupts disabled) print; IRQ handlers never do, so a plain global is safe.
nonisolated(unsafe) var console = Console(
  screen: TextWriter(storage: VGATextBuffer(), color: .standard), serial: .com1)

/// Brings up the devices the console needs: the UART and the visible cursor.
func initializeConsole() {
  SerialPort.com1.initialize()
  VGACursor.enable()
  console.clear()
}

/// The Embedded Swift runtime's output hook: `print` calls it for every byte.
@_cdecl("putchar")
public func putchar(_ character: CInt) -> CInt {
  console.write(byte: UInt8(truncatingIfNeeded: character))
  return character
}
