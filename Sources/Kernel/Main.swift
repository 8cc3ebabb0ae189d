// Main.swift: the kernel proper, from the first Swift instruction to the shell.
//
// boot.S has switched the CPU to 64-bit long mode and calls `kernel_main` with the two values the
// Multiboot loader left in EAX and EBX. From here on everything is Swift: bring up the console
// (VGA text screen and COM1) and the CPU's descriptor tables, read the memory map and give it to
// the heap, greet, start the timer and the keyboard, and hand over to the shell.
// The test kernels in TestKernels/ replace this file with their own `kernel_main`.

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  initializeConsole()
  Interrupts.initialize()
  showBanner()
  print("Hardware initialized.")

  BootInformation.magic = magic
  BootInformation.infoAddress = infoAddress
  guard let info = BootInformation.multiboot else {
    panic("Not booted by a Multiboot loader: EAX did not hold 0x2BADB002")
  }
  Heap.addFreeMemory(from: info)
  if let megabytes = info.memorySizeMiB {
    // An interpolated string: this line allocates, through posix_memalign, from the heap.
    print("Memory: \(megabytes)MB detected.")
  } else {
    print("Memory: size not reported by the boot loader.")
  }

  console.write("VGA Buffer Initialized at ")
  console.write(hex: UInt64(VGATextBuffer.physicalAddress))
  console.write(".\n")
  print("Writing 'Hello, World!' to screen...")
  console.write("Hello, World!\n", in: ColorPair(.lightGreen, on: .black))
  console.write("Type 'help' for the list of commands.\n", in: ColorPair(.darkGray, on: .black))

  HardwareInterrupts.start()
  hw_enable_interrupts()
  Shell.run()
}

/// The title bar: white on blue across the whole first row.
private func showBanner() {
  let saved = console.color
  console.color = ColorPair(.white, on: .blue)
  console.write(" SWIFT KERNEL v")
  console.write(kernelVersion)
  console.screen.fillRestOfRow()
  console.color = saved
  console.write("\n")
}

let kernelVersion: StaticString = "0.1.0"
