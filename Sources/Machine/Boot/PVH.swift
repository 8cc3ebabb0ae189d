// The PVH boot protocol (Xen "HVM direct boot ABI", also used by QEMU -kernel for ELF kernels with a
// XEN_ELFNOTE_PHYS32_ENTRY note): 32-bit protected mode, paging off, EBX = hvm_start_info.

extension Machine {
  static let pvhStartInfoAddress: UInt64 = 0x6000
  static let pvhMagic: UInt64 = 0x336E_C578

  func loadPVH(_ elf: ELFFile, commandLine: String, modules: [MultibootModule] = []) throws(LoadError) -> BootInfo {
    // hvm_start_info has a module list too (QEMU puts one initrd there); not built yet.
    if !modules.isEmpty { throw LoadError.unsupported("modules (--initrd) for a PVH kernel") }
    guard let desc = elf.note(name: "Xen", type: 18), desc.count >= 4 else { throw LoadError.noBootHeader }
    let entry = ELFFile.read(desc, 0, desc.count >= 8 ? 8 : 4)
    let (low, high) = try elf.load(into: memory)
    // hvm_start_info (version 1) at 0x6000, the command line after it, then the memory map.
    let start = Machine.pvhStartInfoAddress
    let cmdlineAddress = start + 0x100
    let cmdline = Array(commandLine.utf8) + [0]
    let mapAddress = start + 0x800
    let map = Multiboot.memoryMap(ramSize: memory.ramSize)
    var mapBytes: [UInt8] = []
    for e in map { mapBytes += le(e.base, 8) + le(e.length, 8) + le(UInt64(e.type), 4) + le(0, 4) }
    var info: [UInt8] = []
    info += le(Machine.pvhMagic, 4) + le(1, 4) + le(0, 4) + le(0, 4)  // magic, version, flags, nr_modules
    info += le(0, 8) + le(cmdlineAddress, 8) + le(0, 8)  // modlist, cmdline, rsdp
    info += le(mapAddress, 8) + le(UInt64(map.count), 4) + le(0, 4)  // memmap, entries, reserved
    memory.copy(info, to: start)
    memory.copy(cmdline, to: cmdlineAddress)
    memory.copy(mapBytes, to: mapAddress)
    enterProtectedMode(entry: entry)
    cpu.rax = 0
    cpu.rbx = start
    return BootInfo(bootProtocol: .pvh, entry: entry, infoAddress: start, kernelStart: low, kernelEnd: high)
  }
}
