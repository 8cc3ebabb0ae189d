// PageFault.swift: touching unmapped memory ends on the panic screen with CR2 and the error code.
//
// boot.S maps only the first 1 GiB, so a read at 1 GiB faults with "page not present, read,
// kernel mode" and CR2 = 0x40000000 (SDM Vol. 3A 4.7). The panic handler exits with success; the
// host test checks what it reported.

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  _ = TestRunner(title: "page_fault")
  Interrupts.initialize()
  panicAction = .exitSuccess
  let unmapped = UnsafePointer<UInt64>(bitPattern: UInt(0x4000_0000))!
  let value = unmapped.pointee
  // Only reached if the read did not fault.
  var serial = SerialPort.com1
  serial.write("read ")
  serial.write(hex: value)
  serial.write(" from an unmapped address without a fault\n")
  DebugExit.exit(.failure)
}
