// MultibootInfo.swift: what the boot loader tells the kernel about the machine.
//
// A Multiboot v1 loader leaves EAX = 0x2BADB002 and EBX = the physical address of an information
// block (Multiboot Specification 0.6.96, section 3.3). Its first word is a flags field; each bit
// says which of the later fields are valid. The fields this kernel reads:
//
//   offset  0  flags
//   offset  4  mem_lower  (flag bit 0) KiB of conventional memory below 1 MiB
//   offset  8  mem_upper  (flag bit 0) KiB of memory from 1 MiB up to the first hole
//   offset 16  cmdline    (flag bit 2) physical address of a NUL-terminated command line
//   offset 20  mods_count, offset 24 mods_addr (flag bit 3) boot modules, 16 bytes each
//   offset 44  mmap_length, offset 48 mmap_addr (flag bit 6) the BIOS e820 memory map
//   offset 64  boot_loader_name (flag bit 9) physical address of a NUL-terminated name
//
// Each memory map entry is { size: u32, base: u64, length: u64, type: u32 } where `size` counts
// the bytes after itself, so the next entry starts at entry + size + 4.

/// Reads physical memory. The kernel reads the identity-mapped addresses directly; tests read an
/// in-memory image of what a loader would have written.
public protocol PhysicalMemoryReader {
  func load8(_ address: UInt64) -> UInt8
  func load32(_ address: UInt64) -> UInt32
  func load64(_ address: UInt64) -> UInt64
}

/// One range of the physical memory map.
public struct MemoryRegion: Equatable {
  /// The e820 type: what the firmware says the range is.
  public enum Kind: Equatable {
    case available
    case reserved
    case acpiReclaimable
    case acpiNVS
    case defective
    case other(UInt32)

    public init(rawValue: UInt32) {
      switch rawValue {
      case 1: self = .available
      case 2: self = .reserved
      case 3: self = .acpiReclaimable
      case 4: self = .acpiNVS
      case 5: self = .defective
      default: self = .other(rawValue)
      }
    }
  }

  public var base: UInt64
  public var length: UInt64
  public var kind: Kind

  public init(base: UInt64, length: UInt64, kind: Kind) {
    self.base = base
    self.length = length
    self.kind = kind
  }

  public var end: UInt64 { base &+ length }
}

/// The parsed Multiboot v1 information block.
public struct MultibootInfo<Memory: PhysicalMemoryReader> {
  /// The value a Multiboot v1 loader leaves in EAX.
  public static var bootloaderMagic: UInt32 { 0x2BADB002 }

  public let memory: Memory
  public let address: UInt64
  public let flags: UInt32

  /// Reads the block at `address`, or returns nil when `magic` says no Multiboot loader booted us.
  public init?(magic: UInt32, address: UInt64, memory: Memory) {
    guard magic == Self.bootloaderMagic, address != 0 else { return nil }
    self.memory = memory
    self.address = address
    self.flags = memory.load32(address)
  }

  private func has(_ bit: UInt32) -> Bool { flags & (1 << bit) != 0 }

  /// KiB of memory below 1 MiB (usually 639 or 640).
  public var lowerMemoryKiB: UInt32? { has(0) ? memory.load32(address + 4) : nil }

  /// KiB of memory from 1 MiB to the first hole.
  public var upperMemoryKiB: UInt32? { has(0) ? memory.load32(address + 8) : nil }

  /// The memory size the loader reports, in whole MiB: the first MiB plus the upper memory,
  /// rounded up. Firmware keeps a little of the top of RAM for itself (QEMU 7.2 reports
  /// mem_lower = 639 and mem_upper = 129920 KiB for its default 128 MiB machine, the upper figure
  /// ending where its e820 map reserves the last 128 KiB), so rounding up gives back the size of
  /// the installed memory, 128 MiB.
  public var memorySizeMiB: UInt64? {
    guard let upper = upperMemoryKiB else { return nil }
    return (UInt64(upper) + 1024 + 1023) / 1024
  }

  /// The physical address of the NUL-terminated kernel command line.
  public var commandLineAddress: UInt64? {
    has(2) ? UInt64(memory.load32(address + 16)) : nil
  }

  /// The physical address of the NUL-terminated boot loader name.
  public var bootLoaderNameAddress: UInt64? {
    has(9) ? UInt64(memory.load32(address + 64)) : nil
  }

  /// Calls `body` with each byte of the C string at `stringAddress`, stopping at NUL or after
  /// `limit` bytes so a corrupt pointer cannot run away.
  public func forEachByte(ofStringAt stringAddress: UInt64, limit: Int = 4096, _ body: (UInt8) -> Void) {
    var offset: UInt64 = 0
    while offset < UInt64(limit) {
      let byte = memory.load8(stringAddress + offset)
      if byte == 0 { return }
      body(byte)
      offset += 1
    }
  }

  /// True when the loader supplied a memory map.
  public var hasMemoryMap: Bool { has(6) }

  /// Calls `body` with each region of the memory map, in the loader's order.
  public func forEachMemoryRegion(_ body: (MemoryRegion) -> Void) {
    guard has(6) else { return }
    let length = UInt64(memory.load32(address + 44))
    let start = UInt64(memory.load32(address + 48))
    var entry = start
    while entry + 24 <= start + length {
      let size = UInt64(memory.load32(entry))
      body(
        MemoryRegion(
          base: memory.load64(entry + 4),
          length: memory.load64(entry + 12),
          kind: MemoryRegion.Kind(rawValue: memory.load32(entry + 20))))
      // A size below 20 would loop forever or misparse; the specification's minimum is 20.
      entry += max(size, 20) + 4
    }
  }

  /// The first address above everything the loader handed over: the information block, the
  /// memory map, the strings and the boot modules. Memory below it (above the kernel) is not free
  /// even where the map says "available": QEMU, for one, puts the block right after the kernel.
  public var bootDataEnd: UInt64 {
    var end = address + 88  // the Multiboot v1 information block is 88 bytes long
    func include(_ limit: UInt64) { end = max(end, limit) }
    func includeString(at stringAddress: UInt64) {
      var length: UInt64 = 0
      forEachByte(ofStringAt: stringAddress) { _ in length += 1 }
      include(stringAddress + length + 1)
    }
    if let commandLine = commandLineAddress { includeString(at: commandLine) }
    if let name = bootLoaderNameAddress { includeString(at: name) }
    if has(6) {
      include(UInt64(memory.load32(address + 48)) + UInt64(memory.load32(address + 44)))
    }
    if has(3) {
      let count = UInt64(memory.load32(address + 20))
      let modules = UInt64(memory.load32(address + 24))
      include(modules + 16 * count)
      var index: UInt64 = 0
      while index < count {
        include(UInt64(memory.load32(modules + 16 * index + 4)))  // mod_end
        index += 1
      }
    }
    return end
  }

  /// The sum of the lengths of the available regions.
  public var availableMemoryBytes: UInt64 {
    var total: UInt64 = 0
    forEachMemoryRegion { region in
      if region.kind == .available { total &+= region.length }
    }
    return total
  }
}

extension MultibootInfo {
  /// Writes the memory map, one region a line: "  0x000000100000-0x000007fe0000  available  129920 KiB".
  public func writeMemoryMap<Sink: ByteSink>(to sink: inout Sink) {
    forEachMemoryRegion { region in
      sink.write("  ")
      sink.write(hex: region.base, minimumDigits: 12)
      sink.write("-")
      sink.write(hex: region.end, minimumDigits: 12)
      sink.write(region.kind == .available ? "  available  " : "  reserved   ")
      sink.write(byteCount: region.length)
      sink.write("\n")
    }
  }
}
