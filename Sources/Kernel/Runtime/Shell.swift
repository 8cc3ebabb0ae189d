// Shell.swift: the kernel's command prompt.
//
// Input arrives as bytes in the Input queue, from the keyboard's IRQ 1 handler and from the serial
// port's IRQ 4 handler alike, so the shell works on the screen and over a serial console. Between
// keys the CPU sleeps (`sti; hlt`): a kernel waiting at its prompt costs the host nothing. Line
// editing is Core/LineEditor.swift; this file only runs the commands.

enum Shell {
  static func run() -> Never {
    var editor = LineEditor()
    prompt()
    while true {
      guard let byte = nextInputByte() else { continue }
      switch editor.handle(byte) {
      case .none:
        break
      case .echo(let character):
        console.write(byte: character)
      case .erase(let count):
        for _ in 0..<count { console.eraseCharacter() }
      case .submit:
        console.write("\n")
        execute(editor)
        editor.reset()
        prompt()
      case .cancel:
        console.write("^C\n")
        prompt()
      }
    }
  }

  /// Waits for a byte, sleeping until an interrupt when there is none. Checking the queue with
  /// interrupts disabled and then `sti; hlt` closes the window in which a key could arrive after
  /// the check but before the halt (STI takes effect after the next instruction).
  private static func nextInputByte() -> UInt8? {
    hw_disable_interrupts()
    if let byte = Input.pop() {
      hw_enable_interrupts()
      return byte
    }
    hw_enable_interrupts_and_halt()
    return nil
  }

  private static func prompt() {
    console.write("> ")
  }

  static func execute(_ line: LineEditor) {
    guard line.wordCount > 0 else { return }
    if line.word(0, is: "help") {
      help()
    } else if line.word(0, is: "clear") {
      console.clear()
    } else if line.word(0, is: "echo") {
      write(line, line.rest(after: 0))
      console.write("\n")
    } else if line.word(0, is: "mem") {
      memory()
    } else if line.word(0, is: "uptime") {
      uptime()
    } else if line.word(0, is: "color") {
      color(line)
    } else if line.word(0, is: "panic") {
      panic("panic requested from the shell")
    } else if line.word(0, is: "int3") {
      hw_breakpoint()
      console.write("Back from the breakpoint handler.\n")
    } else if line.word(0, is: "reboot") {
      console.write("Rebooting...\n")
      Keyboard.resetMachine()
    } else if line.word(0, is: "poweroff") {
      powerOff()
    } else {
      console.write("unknown command: ")
      write(line, line.word(0)!)
      console.write(" (type 'help' for the list)\n")
    }
  }

  private static func write(_ line: LineEditor, _ range: Range<Int>) {
    for index in range { console.write(byte: line.byte(at: index)) }
  }

  private static func help() {
    console.write(
      """
      Commands:
        help            this list
        clear           clear the screen
        echo TEXT       print TEXT
        mem             memory map and heap usage
        uptime          time since boot
        color FG BG     set the text colours (names or 0-15; 'color' lists them)
        int3            raise a breakpoint exception and continue
        panic           show the panic screen
        reboot          reset the machine through the keyboard controller
        poweroff        switch the machine off

      """)
  }

  private static func memory() {
    if let info = BootInformation.multiboot {
      console.write("Memory map (from the boot loader):\n")
      info.writeMemoryMap(to: &console)
    }
    let heap = Interrupts.withoutInterrupts { Heap.allocator }
    console.write("Heap: ")
    console.write(decimal: UInt64(heap.totalBytes / 1024))
    console.write(" KiB, ")
    console.write(decimal: UInt64(heap.usedBytes / 1024))
    console.write(" KiB in use, ")
    console.write(decimal: UInt64(heap.liveAllocations))
    console.write(" live allocations of ")
    console.write(decimal: UInt64(heap.allocationCount))
    console.write(" made so far\n      ")
    console.write(decimal: UInt64(heap.freeBlockCount))
    console.write(" free blocks, the largest ")
    console.write(decimal: UInt64(heap.largestFreeBlock / 1024))
    console.write(" KiB\n")
  }

  private static func uptime() {
    let ticks = Uptime.currentTicks
    let hundredths = ticks * 100 / UInt64(PIT.ticksPerSecond)
    console.write("up ")
    console.write(decimal: hundredths / 100)
    console.write(".")
    console.write(decimal: hundredths % 100, minimumWidth: 2, padding: 0x30)
    console.write(" s (")
    console.write(decimal: ticks)
    console.write(" timer ticks at ")
    console.write(decimal: UInt64(PIT.ticksPerSecond))
    console.write(" Hz)\n")
  }

  private static func color(_ line: LineEditor) {
    guard line.wordCount == 3, let foreground = parseColor(line, word: 1),
      let background = parseColor(line, word: 2)
    else {
      console.write("usage: color FG BG, each a number 0-15 or one of\n")
      for value in 0..<16 {
        let name = colorName(VGAColor(rawValue: UInt8(value))!)
        console.write("  ")
        console.write(decimal: UInt64(value), minimumWidth: 2)
        console.write(" ")
        console.write(name)
        if value % 4 == 3 {
          console.write("\n")
        } else {
          console.write(repeating: 0x20, count: 12 - name.utf8CodeUnitCount)
        }
      }
      return
    }
    console.color = ColorPair(foreground, on: background)
  }

  private static func parseColor(_ line: LineEditor, word: Int) -> VGAColor? {
    guard let range = line.word(word) else { return nil }
    var number = 0
    var isNumber = true
    for index in range {
      let byte = line.byte(at: index)
      if byte >= 0x30 && byte <= 0x39 && number < 100 {
        number = number * 10 + Int(byte - 0x30)
      } else {
        isNumber = false
      }
    }
    if isNumber { return number < 16 ? VGAColor(rawValue: UInt8(number)) : nil }
    for value in 0..<16 {
      let color = VGAColor(rawValue: UInt8(value))!
      if line.word(word, is: colorName(color)) { return color }
    }
    return nil
  }

  private static func colorName(_ color: VGAColor) -> StaticString {
    switch color {
    case .black: return "black"
    case .blue: return "blue"
    case .green: return "green"
    case .cyan: return "cyan"
    case .red: return "red"
    case .magenta: return "magenta"
    case .brown: return "brown"
    case .lightGray: return "lightgray"
    case .darkGray: return "darkgray"
    case .lightBlue: return "lightblue"
    case .lightGreen: return "lightgreen"
    case .lightCyan: return "lightcyan"
    case .lightRed: return "lightred"
    case .pink: return "pink"
    case .yellow: return "yellow"
    case .white: return "white"
    }
  }

  /// ACPI power-off (Drivers/ACPIPower.swift), then isa-debug-exit, then a plain halt on machines
  /// with neither. QEMU acts on the power-off request asynchronously, so give it 100 ms before
  /// trying the next way.
  private static func powerOff() -> Never {
    console.write("Powering off.\n")
    ACPIPower.requestSoftOff()
    let start = Uptime.currentTicks
    while Uptime.currentTicks < start + 10 { hw_enable_interrupts_and_halt() }
    hw_disable_interrupts()
    DebugExit.write(0)
    console.write("It is now safe to switch off the machine.\n")
    haltForever()
  }
}
