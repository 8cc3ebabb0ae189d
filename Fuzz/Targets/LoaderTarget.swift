// LoaderTarget.swift: any file as a kernel. The loader reads ELF32/ELF64 headers, program headers
// and notes, the Multiboot v1 header (with or without the a.out kludge) and the PVH note; whatever
// the bytes, it loads the kernel or throws a LoadError, never reads outside the file and never
// writes outside RAM. (Running what it loaded is the machine target's job: here it would cost ten
// times the load.)

@testable import Machine

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLoader(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  let input = FuzzInput(data, count)
  let machine = Machine(memorySize: 4 << 20)
  do {
    let info = try machine.loadKernel(Array(input.bytes), name: "fuzz.elf", commandLine: "console=ttyS0")
    require(info.kernelStart <= info.kernelEnd, "kernel range \(info.kernelStart)...\(info.kernelEnd)")
    require(info.kernelEnd <= machine.memory.ramSize, "kernel ends at \(info.kernelEnd), past RAM")
    require(info.infoAddress < machine.memory.ramSize, "boot information at \(info.infoAddress), past RAM")
  } catch {
    // A clear error, as it must be: "\(error)" names what is wrong.
    require(!"\(error)".isEmpty, "an empty load error")
  }
  return 0
}
