// StackOverflow.swift: unbounded recursion ends in the double-fault handler, not a triple fault.
//
// The recursion runs into the guard page under the boot stack. The CPU cannot push the page
// fault's frame onto a stack that is itself unmapped, so the #PF becomes a double fault (SDM
// Vol. 3A Table 7-5), whose gate switches to the IST 1 stack (Arch/GDT.swift): the handler has a
// stack, paints the panic screen and exits with success. Without IST the CPU would triple fault
// and QEMU would exit with status 0, which the host test counts as a failure.

import _Volatile

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  _ = TestRunner(title: "stack_overflow")
  Interrupts.initialize()
  panicAction = .exitSuccess
  recursionLimit = UInt64(magic)  // far deeper than 64 KiB of stack allows
  let depth = recurse(1)
  var serial = SerialPort.com1
  serial.write("recursion returned ")
  serial.write(decimal: UInt64(depth))
  serial.write(" without overflowing\n")
  DebugExit.exit(.failure)
}

/// A depth the recursion stops at, set at run time so the compiler must keep the base case.
nonisolated(unsafe) var recursionLimit: UInt64 = 0

/// Recursion the optimizer cannot turn into a loop: it has a base case it cannot rule out, each
/// frame keeps a volatile local alive across the call, and the result is combined in a way tail
/// recursion elimination does not handle.
@inline(never)
func recurse(_ depth: UInt64) -> UInt64 {
  if depth == recursionLimit { return 1 }
  var local = depth
  withUnsafeMutablePointer(to: &local) { pointer in
    VolatileMappedRegister<UInt64>(unsafeBitPattern: UInt(bitPattern: pointer)).store(depth)
  }
  return recurse(depth &+ 1) &* 3 &+ local
}
