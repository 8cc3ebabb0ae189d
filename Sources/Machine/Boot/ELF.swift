// Just enough ELF (System V gABI, "ELF-64 Object File Format") to load executables: headers, program
// headers and notes, every field checked against the file size before use.

/// Why a kernel image could not be loaded. Each case names what is wrong.
public enum LoadError: Error, Equatable, CustomStringConvertible {
  /// The file ends inside the named structure.
  case truncated(String)
  /// Neither an ELF file nor a Multiboot image with load addresses.
  case notELF
  /// An ELF class other than ELF32 or ELF64.
  case wrongClass(String)
  /// A big-endian ELF.
  case wrongEndianness
  /// An ELF for another machine (e_machine neither x86 nor x86-64).
  case wrongMachine(UInt16)
  /// A program header that loads outside the guest's RAM.
  case segmentOutsideRAM(index: Int, start: UInt64, end: UInt64, ramSize: UInt64)
  /// No Multiboot v1 header in the first 8 KiB and no PVH note.
  case noBootHeader
  /// A Multiboot header that is inconsistent (checksum, flags, addresses).
  case invalidMultibootHeader(String)
  /// A load this machine does not do yet (the text says which).
  case unsupported(String)

  /// The error in words, naming the field or structure.
  public var description: String {
    switch self {
    case .truncated(let what): return "truncated file: \(what)"
    case .notELF: return "not an ELF file (bad magic) and no Multiboot a.out-kludge header"
    case .wrongClass(let what): return "wrong ELF class: \(what)"
    case .wrongEndianness: return "wrong ELF data encoding: big-endian (x86 needs little-endian)"
    case .wrongMachine(let m): return "wrong ELF machine \(m): expected EM_386 (3) or EM_X86_64 (62)"
    case .segmentOutsideRAM(let i, let start, let end, let ram):
      return
        "segment \(i) at 0x\(String(start, radix: 16))..0x\(String(end, radix: 16)) lies outside RAM (0..0x\(String(ram, radix: 16)))"
    case .noBootHeader:
      return "no boot header: no Multiboot v1 header in the first 8 KiB and no PVH (XEN_ELFNOTE_PHYS32_ENTRY) note"
    case .invalidMultibootHeader(let what): return "invalid Multiboot header: \(what)"
    case .unsupported(let what): return "not supported: \(what)"
    }
  }
}

struct ELFSegment {
  var type: UInt32
  var offset: UInt64
  var virtualAddress: UInt64
  var physicalAddress: UInt64
  var fileSize: UInt64
  var memorySize: UInt64
}

struct ELFFile {
  let bytes: [UInt8]
  let is64: Bool
  let machine: UInt16
  let entry: UInt64
  let segments: [ELFSegment]

  static let loadType: UInt32 = 1
  static let noteType: UInt32 = 4

  /// Parses and validates the file header and program headers.
  init(_ bytes: [UInt8]) throws(LoadError) {
    self.bytes = bytes
    if bytes.count < 4 { throw LoadError.truncated("\(bytes.count) bytes, too short for an ELF identification") }
    if bytes[0] != 0x7F || bytes[1] != 0x45 || bytes[2] != 0x4C || bytes[3] != 0x46 { throw LoadError.notELF }
    if bytes.count < 16 { throw LoadError.truncated("ELF identification needs 16 bytes, file has \(bytes.count)") }
    switch bytes[4] {
    case 1: is64 = false
    case 2: is64 = true
    default: throw LoadError.wrongClass("EI_CLASS is \(bytes[4]), expected 1 (ELF32) or 2 (ELF64)")
    }
    if bytes[5] == 2 { throw LoadError.wrongEndianness }
    if bytes[5] != 1 { throw LoadError.wrongClass("EI_DATA is \(bytes[5]), expected 1 (little-endian)") }
    let headerSize = is64 ? 64 : 52
    if bytes.count < headerSize {
      throw LoadError.truncated("ELF header needs \(headerSize) bytes, file has \(bytes.count)")
    }
    machine = UInt16(ELFFile.read(bytes, 18, 2))
    if machine != 3 && machine != 62 { throw LoadError.wrongMachine(machine) }
    if is64 && machine != 62 { throw LoadError.wrongMachine(machine) }
    if !is64 && machine != 3 { throw LoadError.wrongClass("ELF32 file for machine \(machine) (EM_X86_64 needs ELF64)") }
    entry = is64 ? ELFFile.read(bytes, 24, 8) : ELFFile.read(bytes, 24, 4)
    let phoff = is64 ? ELFFile.read(bytes, 32, 8) : ELFFile.read(bytes, 28, 4)
    let phentsize = ELFFile.read(bytes, is64 ? 54 : 42, 2)
    let phnum = ELFFile.read(bytes, is64 ? 56 : 44, 2)
    let minimumEntry: UInt64 = is64 ? 56 : 32
    if phnum > 0 && phentsize < minimumEntry {
      throw LoadError.truncated("program header entries of \(phentsize) bytes, need \(minimumEntry)")
    }
    let (tableEnd, overflow) = phoff.addingReportingOverflow(phentsize * phnum)
    if overflow || tableEnd > UInt64(bytes.count) {
      throw LoadError.truncated(
        "program header table (\(phnum) x \(phentsize) bytes at 0x\(String(phoff, radix: 16))) runs past the end of the \(bytes.count)-byte file"
      )
    }
    var segments: [ELFSegment] = []
    for n in 0..<Int(phnum) {
      let p = Int(phoff) + n * Int(phentsize)
      let s: ELFSegment
      if is64 {
        s = ELFSegment(
          type: UInt32(ELFFile.read(bytes, p, 4)), offset: ELFFile.read(bytes, p + 8, 8),
          virtualAddress: ELFFile.read(bytes, p + 16, 8), physicalAddress: ELFFile.read(bytes, p + 24, 8),
          fileSize: ELFFile.read(bytes, p + 32, 8), memorySize: ELFFile.read(bytes, p + 40, 8))
      } else {
        s = ELFSegment(
          type: UInt32(ELFFile.read(bytes, p, 4)), offset: ELFFile.read(bytes, p + 4, 4),
          virtualAddress: ELFFile.read(bytes, p + 8, 4), physicalAddress: ELFFile.read(bytes, p + 12, 4),
          fileSize: ELFFile.read(bytes, p + 16, 4), memorySize: ELFFile.read(bytes, p + 20, 4))
      }
      if s.type == ELFFile.loadType || s.type == ELFFile.noteType {
        let (end, o) = s.offset.addingReportingOverflow(s.fileSize)
        if o || end > UInt64(bytes.count) {
          throw LoadError.truncated(
            "segment \(n) file data (0x\(String(s.fileSize, radix: 16)) bytes at offset 0x\(String(s.offset, radix: 16))) runs past the end of the \(bytes.count)-byte file"
          )
        }
        if s.type == ELFFile.loadType && s.fileSize > s.memorySize {
          throw LoadError.truncated("segment \(n) has a file size larger than its memory size")
        }
      }
      segments.append(s)
    }
    self.segments = segments
  }

  static func read(_ b: [UInt8], _ offset: Int, _ size: Int) -> UInt64 {
    var v: UInt64 = 0
    for i in 0..<size where offset + i < b.count { v |= UInt64(b[offset + i]) << (8 * UInt64(i)) }
    return v
  }

  /// Copies every PT_LOAD segment to its physical address, zero-filling the BSS part.
  /// Returns the lowest and highest physical addresses loaded.
  func load(into memory: PhysicalMemory) throws(LoadError) -> (low: UInt64, high: UInt64) {
    var low = UInt64.max, high: UInt64 = 0
    for (n, s) in segments.enumerated() where s.type == ELFFile.loadType && s.memorySize > 0 {
      let (end, o) = s.physicalAddress.addingReportingOverflow(s.memorySize)
      if o || end > memory.ramSize {
        throw LoadError.segmentOutsideRAM(
          index: n, start: s.physicalAddress, end: o ? .max : end, ramSize: memory.ramSize)
      }
      low = min(low, s.physicalAddress)
      high = max(high, end)
    }
    if low == .max { throw LoadError.truncated("no loadable (PT_LOAD) segment") }
    for s in segments where s.type == ELFFile.loadType && s.memorySize > 0 {
      let data = bytes[Int(s.offset)..<Int(s.offset + s.fileSize)]
      memory.copy(Array(data), to: s.physicalAddress)
      memory.fill(s.physicalAddress + s.fileSize, count: s.memorySize - s.fileSize, with: 0)
    }
    return (low, high)
  }

  /// Finds a note of `type` with owner `name` in the PT_NOTE segments (gABI "Note Section").
  func note(name: String, type: UInt32) -> [UInt8]? {
    let owner = Array(name.utf8) + [0]
    for s in segments where s.type == ELFFile.noteType {
      var p = Int(s.offset)
      let end = Int(s.offset + s.fileSize)
      while p + 12 <= end {
        let namesz = Int(ELFFile.read(bytes, p, 4))
        let descsz = Int(ELFFile.read(bytes, p + 4, 4))
        let ntype = UInt32(ELFFile.read(bytes, p + 8, 4))
        let nameStart = p + 12
        let descStart = nameStart + ((namesz + 3) & ~3)
        let next = descStart + ((descsz + 3) & ~3)
        if namesz < 0 || descsz < 0 || next > end || descStart + descsz > bytes.count { break }
        if ntype == type && Array(bytes[nameStart..<nameStart + namesz]) == owner {
          return Array(bytes[descStart..<descStart + descsz])
        }
        p = next
      }
    }
    return nil
  }
}
