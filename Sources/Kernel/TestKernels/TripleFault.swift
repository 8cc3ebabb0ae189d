// TripleFault.swift: a kernel that triple faults on purpose.
//
// With an IDT whose limit is zero, INT3 cannot be delivered (#GP: vector outside the IDT), the #GP
// cannot be delivered either (#DF), and neither can the double fault: the CPU shuts down (SDM
// Vol. 3A 7.15, Interrupt 8, "triple fault"). QEMU with -no-reboot then exits with status 0; emu
// stops with its triple-fault status and names the faults, or boots again with --reboot.

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  _ = TestRunner(title: "triple_fault")
  var serial = SerialPort.com1
  serial.write("loading an empty IDT and raising INT3\n")
  withPseudoDescriptor(base: 0, limit: 0) { hw_load_idt($0) }
  hw_breakpoint()
  serial.write("still running after the triple fault\n")
  DebugExit.exit(.failure)
}
