// Loading a kernel the way QEMU 7.2's `-kernel` does for Multiboot v1 (hw/i386/multiboot.c plus the
// multiboot.bin option ROM), so a guest sees the same boot information under emu as under QEMU.
//
// Figures measured on QEMU 7.2 (`-m 128`, SeaBIOS): EBX = 0x9500; mmap at 0x9000 with 7 entries;
// mem_lower = 639 (INT 12h reports the EBDA); mem_upper = KiB of the contiguous RAM above 1 MiB per the
// e820 map (SeaBIOS reserves the top 128 KiB below the end of RAM); the command line is
// "<kernel name> <append>" placed after the page-aligned kernel image, followed by "qemu".

/// How the kernel was entered.
public enum BootProtocol: Equatable, Sendable {
  /// Multiboot v1, as QEMU's -kernel does it: 32-bit protected mode, EAX = 0x2BADB002, EBX the info block.
  case multiboot
  /// The Xen PVH entry (an XEN_ELFNOTE_PHYS32_ENTRY note): EBX the hvm_start_info.
  case pvh
}

/// What the loader did.
public struct BootInfo: Equatable, Sendable {
  /// The protocol the kernel was entered by.
  public var bootProtocol: BootProtocol
  /// The physical address the CPU starts at.
  public var entry: UInt64
  /// Physical address of the Multiboot information block or the PVH hvm_start_info (EBX at entry).
  public var infoAddress: UInt64
  /// Physical range the kernel image occupies (including BSS).
  public var kernelStart: UInt64
  /// The first address after the image (and its BSS).
  public var kernelEnd: UInt64
}

/// A Multiboot module (Multiboot Specification 3.3, `mods_addr`): a file loaded next to the kernel,
/// with its own command line, as QEMU's `-initrd "FILE ARGS,..."` gives it.
public struct MultibootModule: Equatable, Sendable {
  /// The module's contents.
  public var bytes: [UInt8]
  /// Its string in the module list: QEMU gives the `-initrd` entry as written, file name and arguments.
  public var commandLine: String

  /// A module with its contents and its string.
  public init(bytes: [UInt8], commandLine: String) {
    self.bytes = bytes
    self.commandLine = commandLine
  }
}

/// One e820 memory map entry (ACPI "System Address Map Interfaces"): type 1 RAM, 2 reserved.
public struct MemoryMapEntry: Equatable, Sendable {
  /// The first physical address of the range.
  public var base: UInt64
  /// The length of the range in bytes.
  public var length: UInt64
  /// 1 usable RAM, 2 reserved.
  public var type: UInt32
}

/// Multiboot v1 constants (Multiboot Specification 0.6.96, 3.1 and 3.2) and QEMU's addresses.
public enum Multiboot {
  /// The magic of the header a kernel carries in its first 8 KiB.
  public static let headerMagic: UInt32 = 0x1BAD_B002
  /// The value in EAX at entry: a Multiboot loader started the kernel.
  public static let bootloaderMagic: UInt32 = 0x2BAD_B002
  /// QEMU: MULTIBOOT_STRUCT_ADDR 0x9000 holds the e820 map; the info block follows at +0x500.
  public static let memoryMapAddress: UInt64 = 0x9000
  /// Where the Multiboot information block is (EBX at entry), as under QEMU.
  public static let infoAddress: UInt64 = 0x9500
  /// Where we put the boot GDT the option ROM would have left loaded (QEMU keeps it in option-ROM space).
  static let gdtAddress: UInt64 = 0xDFF00

  /// The e820 map SeaBIOS reports under QEMU's i440fx PC for `ramSize` bytes of RAM.
  public static func memoryMap(ramSize: UInt64) -> [MemoryMapEntry] {
    // The `pc` machine keeps at most 3 GiB (gigabyte-aligned) below 4 GiB when RAM exceeds 0xE0000000.
    let below4G = ramSize >= 0xE000_0000 ? 0xC000_0000 : ramSize
    var map = [
      MemoryMapEntry(base: 0, length: 0x9FC00, type: 1),
      MemoryMapEntry(base: 0x9FC00, length: 0x400, type: 2),
      MemoryMapEntry(base: 0xF0000, length: 0x10000, type: 2),
      MemoryMapEntry(base: 0x100000, length: below4G - 0x100000 - 0x20000, type: 1),
      MemoryMapEntry(base: below4G - 0x20000, length: 0x20000, type: 2),
      MemoryMapEntry(base: 0xFFFC_0000, length: 0x40000, type: 2),
    ]
    if ramSize > below4G {
      map.append(MemoryMapEntry(base: 0x1_0000_0000, length: ramSize - below4G, type: 1))
    }
    // QEMU 7.1+ reserves the AMD HyperTransport window below 1 TiB when the CPU's vendor is AMD,
    // which its default `qemu64` model is (measured: 0xFD00000000, 12 GiB, type 2). The map is QEMU's
    // default machine's, compared byte for byte in the tests, whatever vendor our CPUID reports. The 16 KiB at
    // 0xFEFFC000 appear only under KVM, so they are not here.
    map.append(MemoryMapEntry(base: 0xFD_0000_0000, length: 0x3_0000_0000, type: 2))
    return map
  }

  struct Header {
    var offset: Int
    var flags: UInt32
  }

  /// Scans the first 8 KiB for a header whose checksum is valid (Multiboot spec 3.1.1, QEMU's loop bounds).
  static func findHeader(_ bytes: [UInt8]) -> Header? {
    var i = 0
    while i < 8192 - 48 && i + 12 <= bytes.count {
      if UInt32(ELFFile.read(bytes, i, 4)) == headerMagic {
        let flags = UInt32(ELFFile.read(bytes, i + 4, 4))
        let checksum = UInt32(ELFFile.read(bytes, i + 8, 4))
        if checksum &+ flags &+ headerMagic == 0 { return Header(offset: i, flags: flags) }
      }
      i += 4
    }
    return nil
  }
}

extension Machine {
  /// Loads a kernel image like `qemu-system-x86_64 -kernel NAME -append COMMANDLINE -initrd MODULES`
  /// and sets up the CPU at its entry: Multiboot v1 (a.out kludge or ELF32 program headers), else an
  /// ELF PVH note.
  /// - Parameters:
  ///   - bytes: the kernel file: an ELF32 or ELF64 with a Multiboot v1 header or a PVH note.
  ///   - name: the kernel file name QEMU would put first in the Multiboot command line.
  ///   - commandLine: the `--append` text.
  ///   - modules: Multiboot modules, in order, as QEMU's `-initrd` loads them (Multiboot only).
  /// - Returns: where the kernel was loaded and entered.
  /// - Throws: ``LoadError`` naming what is wrong with the file; the machine is then unchanged
  ///   or must be discarded.
  @discardableResult
  public func loadKernel(
    _ bytes: [UInt8], name: String = "kernel.elf", commandLine: String = "", modules: [MultibootModule] = []
  ) throws(LoadError) -> BootInfo {
    if let header = Multiboot.findHeader(bytes) {
      if header.flags & 0x10000 != 0 {
        return try loadMultibootKludge(bytes, header: header, name: name, commandLine: commandLine, modules: modules)
      }
      let elf = try ELFFile(bytes)
      if !elf.is64 {
        let (low, high) = try elf.load(into: memory)
        return try finishMultiboot(
          loadAddress: low, kernelSize: high - low, entry: elf.entry, name: name, commandLine: commandLine,
          modules: modules)
      }
      if elf.note(name: "Xen", type: 18) != nil { return try loadPVH(elf, commandLine: commandLine, modules: modules) }
      throw LoadError.wrongClass(
        "ELF64 kernel with a Multiboot header but no a.out kludge (flag bit 16): QEMU loads only ELF32 that way")
    }
    let elf: ELFFile
    do throws(LoadError) {
      elf = try ELFFile(bytes)
    } catch LoadError.notELF {
      throw LoadError.noBootHeader
    }
    if elf.note(name: "Xen", type: 18) != nil { return try loadPVH(elf, commandLine: commandLine, modules: modules) }
    throw LoadError.noBootHeader
  }

  func loadMultibootKludge(
    _ bytes: [UInt8], header: Multiboot.Header, name: String, commandLine: String, modules: [MultibootModule]
  ) throws(LoadError) -> BootInfo {
    let i = header.offset
    if i + 32 > bytes.count { throw LoadError.truncated("Multiboot header address fields past end of file") }
    let headerAddress = ELFFile.read(bytes, i + 12, 4)
    let loadAddress = ELFFile.read(bytes, i + 16, 4)
    let loadEnd = ELFFile.read(bytes, i + 20, 4)
    let bssEnd = ELFFile.read(bytes, i + 24, 4)
    let entry = ELFFile.read(bytes, i + 28, 4)
    if headerAddress < loadAddress { throw LoadError.invalidMultibootHeader("header_addr below load_addr") }
    let textOffset = UInt64(i) &- (headerAddress - loadAddress)
    if textOffset > UInt64(i) {
      throw LoadError.invalidMultibootHeader("header_addr - load_addr exceeds the header's file offset")
    }
    let loadSize: UInt64
    if loadEnd != 0 {
      if loadEnd < loadAddress { throw LoadError.invalidMultibootHeader("load_end_addr below load_addr") }
      loadSize = loadEnd - loadAddress
    } else {
      loadSize = UInt64(bytes.count) - textOffset
    }
    if textOffset + loadSize > UInt64(bytes.count) {
      throw LoadError.truncated("Multiboot load range needs \(textOffset + loadSize) bytes, file has \(bytes.count)")
    }
    var kernelSize = loadSize
    if bssEnd != 0 {
      if bssEnd < loadAddress + loadSize { throw LoadError.invalidMultibootHeader("bss_end_addr below load_end_addr") }
      kernelSize = bssEnd - loadAddress
    }
    if loadAddress + kernelSize > memory.ramSize {
      throw LoadError.segmentOutsideRAM(
        index: 0, start: loadAddress, end: loadAddress + kernelSize, ramSize: memory.ramSize)
    }
    memory.copy(Array(bytes[Int(textOffset)..<Int(textOffset + loadSize)]), to: loadAddress)
    memory.fill(loadAddress + loadSize, count: kernelSize - loadSize, with: 0)
    return try finishMultiboot(
      loadAddress: loadAddress, kernelSize: kernelSize, entry: entry, name: name, commandLine: commandLine,
      modules: modules)
  }

  /// Writes the module list, command lines, boot loader name, modules, e820 map and info block, and
  /// enters the kernel. The layout is QEMU's (hw/i386/multiboot.c): after the page-aligned kernel
  /// image come the module list (16 bytes a module), the modules' command lines, the kernel's, and
  /// the boot loader name, the whole page-aligned; then each module, page-aligned.
  func finishMultiboot(
    loadAddress: UInt64, kernelSize: UInt64, entry: UInt64, name: String, commandLine: String,
    modules: [MultibootModule]
  ) throws(LoadError) -> BootInfo {
    let pageAlign: (UInt64) -> UInt64 = { ($0 + 0xFFF) & ~0xFFF }
    let listOffset = pageAlign(kernelSize)
    let moduleLines = modules.map { Array($0.commandLine.utf8) + [0] }
    let cmdline = Array("\(name) \(commandLine)".utf8) + [0]
    let loaderName = Array("qemu".utf8) + [0]
    let linesSize = moduleLines.reduce(0) { $0 + $1.count } + cmdline.count + loaderName.count
    var end = pageAlign(listOffset + UInt64(16 * modules.count + linesSize))
    var moduleOffsets: [UInt64] = []
    for module in modules {
      moduleOffsets.append(end)
      end = pageAlign(end + UInt64(module.bytes.count))
    }
    let bufferEnd = loadAddress + end
    if bufferEnd > memory.ramSize {
      throw LoadError.segmentOutsideRAM(index: 0, start: loadAddress, end: bufferEnd, ramSize: memory.ramSize)
    }
    memory.fill(loadAddress + kernelSize, count: bufferEnd - (loadAddress + kernelSize), with: 0)
    let listAddress = loadAddress + listOffset
    var lineAddress = listAddress + UInt64(16 * modules.count)
    for (index, module) in modules.enumerated() {
      let start = loadAddress + moduleOffsets[index]
      memory.copy(module.bytes, to: start)
      memory.copy(moduleLines[index], to: lineAddress)
      let entry = le(start, 4) + le(start + UInt64(module.bytes.count), 4) + le(lineAddress, 4) + le(0, 4)
      memory.copy(entry, to: listAddress + UInt64(16 * index))
      lineAddress += UInt64(moduleLines[index].count)
    }
    let cmdlineAddress = lineAddress
    let loaderNameAddress = cmdlineAddress + UInt64(cmdline.count)
    memory.copy(cmdline, to: cmdlineAddress)
    memory.copy(loaderName, to: loaderNameAddress)

    let map = Multiboot.memoryMap(ramSize: memory.ramSize)
    var mapBytes: [UInt8] = []
    for e in map {
      mapBytes += le(20, 4) + le(e.base, 8) + le(e.length, 8) + le(UInt64(e.type), 4)
    }
    // QEMU's option ROM writes the e820 map and the info block first and the kernel image last
    // (pc-bios/optionrom/multiboot.S), so where a kernel loaded below 1 MiB overlaps them (kvm-unit-tests'
    // realmode test occupies 0x8000-0xDA30) the kernel's bytes win.
    let kernelRange = loadAddress..<(loadAddress + kernelSize)
    func copyAroundKernel(_ bytes: [UInt8], to address: UInt64) {
      for (k, byte) in bytes.enumerated() where !kernelRange.contains(address + UInt64(k)) {
        memory.write(address + UInt64(k), size: 1, value: UInt64(byte))
      }
    }
    copyAroundKernel(mapBytes, to: Multiboot.memoryMapAddress)
    // mem_upper: the RAM contiguous from 1 MiB, as the option ROM derives it from the e820 map.
    let upper = map.first { $0.type == 1 && $0.base == 0x100000 }.map { $0.length / 1024 } ?? 0
    var info = [UInt8](repeating: 0, count: 88)
    func put(_ offset: Int, _ v: UInt64) {
      for k in 0..<4 { info[offset + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
    }
    put(0, 0x24F)  // MEMORY | BOOT_DEVICE | CMDLINE | MODS | MMAP | BOOTLOADER_NAME
    put(4, 639)
    put(8, upper)
    put(12, 0x8000_FFFF)
    put(16, cmdlineAddress)
    put(20, UInt64(modules.count))
    put(24, listAddress)  // mods_addr, even with no modules: then the command lines begin there
    put(44, UInt64(mapBytes.count))
    put(48, Multiboot.memoryMapAddress)
    put(64, loaderNameAddress)
    copyAroundKernel(info, to: Multiboot.infoAddress)

    enterProtectedMode(entry: entry)
    cpu.rax = UInt64(Multiboot.bootloaderMagic)
    cpu.rbx = Multiboot.infoAddress
    return BootInfo(
      bootProtocol: .multiboot, entry: entry, infoAddress: Multiboot.infoAddress, kernelStart: loadAddress,
      kernelEnd: loadAddress + kernelSize)
  }

  /// The state QEMU's option ROM leaves: 32-bit protected mode, paging off, flat CS=0x08 and data 0x10
  /// from its 5-entry GDT, interrupts disabled (Multiboot spec 3.2 "Machine state").
  func enterProtectedMode(entry: UInt64) {
    let gdt: [UInt64] = [
      0, 0x00CF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF, 0x0000_9E00_0000_FFFF, 0x0000_9200_0000_FFFF,
    ]
    memory.copy(gdt.flatMap { le($0, 8) }, to: Multiboot.gdtAddress)
    cpu.reset()
    cpu.gdtr = TableRegister(base: Multiboot.gdtAddress, limit: 5 * 8 - 1)
    cpu.idtr = TableRegister(base: 0, limit: 0x3FF)
    cpu.cr0 = ControlBit.pe | ControlBit.et
    let code = SegmentRegister(selector: 0x08, base: 0, limit: 0xFFFF_FFFF, attributes: 0xC09B)
    let data = SegmentRegister(selector: 0x10, base: 0, limit: 0xFFFF_FFFF, attributes: 0xC093)
    for s in [Seg.ds, Seg.es, Seg.fs, Seg.gs, Seg.ss] { cpu.setSegment(s, data) }
    cpu.setSegment(Seg.cs, code)
    cpu.rflags = 0x2
    cpu.rip = entry & 0xFFFF_FFFF
    cpu.rdx = 0
    cpu.rsp = 0x6FF0  // undefined by Multiboot; below the info block, above the IVT/BDA
  }
}

func le(_ v: UInt64, _ n: Int) -> [UInt8] {
  (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
}
