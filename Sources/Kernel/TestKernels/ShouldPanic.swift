// ShouldPanic.swift: the panic path itself must work, and must not return.
//
// The kernel panics on purpose; with `panicAction = .exitSuccess` the panic handler, after
// painting the red screen, reports success through isa-debug-exit. Getting past the call is a
// failure.

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  _ = TestRunner(title: "should_panic")
  var serial = SerialPort.com1
  serial.write("should_panic::panics... ")
  panicAction = .exitSuccess
  panic("expected panic from the should_panic test kernel")
}
