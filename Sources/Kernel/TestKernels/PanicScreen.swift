// PanicScreen.swift: a kernel that panics and stays on the red screen.
//
// The boot tests capture its screen in QEMU and in the emulator and compare it with the golden
// panic screen in Fixtures/, byte for byte.

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  initializeConsole()
  print("About to panic on purpose.")
  panic("Demonstration panic: the red screen")
}
