// BasicBoot.swift: does the kernel's foundation work on the machine it boots on?
//
// Checks the parts every later feature depends on: the boot hand-off, the VGA text buffer through
// volatile stores, scrolling on the real buffer, the hardware cursor registers, serial output,
// the heap behind Swift arrays and strings, and the Multiboot information.

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  var tests = TestRunner(title: "basic_boot")

  tests.run("multiboot_magic") {
    magic == 0x2BADB002 ? nil : "EAX did not hold the Multiboot magic"
  }

  tests.run("memory_reported") {
    guard
      let info = MultibootInfo(
        magic: magic, address: UInt64(infoAddress), memory: IdentityMappedMemory()),
      let megabytes = info.memorySizeMiB
    else { return "no memory size in the Multiboot information" }
    guard info.hasMemoryMap, info.availableMemoryBytes > 64 * 1024 * 1024 else {
      return "memory map missing or too small"
    }
    return megabytes >= 64 ? nil : "less than 64 MiB reported"
  }

  // The exact figures go to serial, so comparing transcripts compares what each machine's loader
  // reported (QEMU and our emulator must agree to the byte).
  if let info = MultibootInfo(
    magic: magic, address: UInt64(infoAddress), memory: IdentityMappedMemory())
  {
    reportBootInformation(info)
  }

  tests.run("vga_cell_round_trip") {
    let buffer = VGATextBuffer()
    buffer.setCell(0x4F41, at: 1999)
    return buffer.cell(at: 1999) == 0x4F41 ? nil : "the last cell did not read back"
  }

  tests.run("println_many_lines_scrolls") {
    // Screen only: a hundred copies on serial would bury the report.
    for _ in 0..<100 {
      console.screen.write("a line that scrolls the screen\n")
    }
    console.screen.write("last")
    let buffer = VGATextBuffer()
    // The text "last" is on the bottom row, the line before it on row 23.
    let bottom = 24 * TextScreen.columns
    guard buffer.cell(at: bottom) & 0xFF == 0x6C else { return "bottom row does not start with 'l'" }
    guard buffer.cell(at: bottom - TextScreen.columns) & 0xFF == 0x61 else {
      return "row 23 does not hold the scrolled line"
    }
    return console.screen.cursorIndex == bottom + 4 ? nil : "cursor not after 'last'"
  }

  tests.run("heap_array_and_string") {
    var squares: [Int] = []
    for value in 0..<1000 { squares.append(value * value) }
    var sum = 0
    for square in squares { sum += square }
    let text = "sum=\(sum)"
    guard sum == 332_833_500 else { return "wrong sum of squares" }
    return text.utf8.count == 13 ? nil : "interpolated string has the wrong length"
  }

  tests.finish()
}

/// Writes the Multiboot figures and the memory map to serial.
private func reportBootInformation(_ info: MultibootInfo<IdentityMappedMemory>) {
  var serial = SerialPort.com1
  serial.write("multiboot flags=")
  serial.write(hex: UInt64(info.flags))
  serial.write(" mem_lower=")
  serial.write(decimal: UInt64(info.lowerMemoryKiB ?? 0))
  serial.write(" KiB mem_upper=")
  serial.write(decimal: UInt64(info.upperMemoryKiB ?? 0))
  serial.write(" KiB\n")
  if let name = info.bootLoaderNameAddress {
    serial.write("boot loader: ")
    info.forEachByte(ofStringAt: name) { serial.write(byte: $0) }
    serial.write("\n")
  }
  if let commandLine = info.commandLineAddress {
    serial.write("command line: '")
    info.forEachByte(ofStringAt: commandLine) { serial.write(byte: $0) }
    serial.write("'\n")
  }
  info.writeMemoryMap(to: &serial)
}
