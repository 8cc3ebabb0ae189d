// RuntimeTrap.swift: a Swift runtime error reaches the panic screen with its message.
//
// An out-of-bounds array index makes the Swift runtime print "Fatal error: Index out of range"
// through putchar and execute UD2. The #UD handler sees that message as the console's most recent
// line and shows it on the panic screen; the panic handler then exits with success.

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  _ = TestRunner(title: "runtime_trap")
  Interrupts.initialize()
  panicAction = .exitSuccess
  let numbers = [1, 2, 3]
  // The index comes from the boot magic so the compiler cannot prove it out of range.
  let index = Int(magic & 0xFF)  // 0x02 for Multiboot: in range; add 10 to leave it
  let value = numbers[index + 10]
  var serial = SerialPort.com1
  serial.write("indexing out of range returned ")
  serial.write(decimal: UInt64(value))
  serial.write("\n")
  DebugExit.exit(.failure)
}
