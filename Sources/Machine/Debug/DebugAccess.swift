// What a debugger reads and writes: guest memory through the current page tables without the side
// effects of a CPU access (no accessed/dirty bits, no CR2, no exception, no watchpoint), and the list
// of mappings behind QEMU's `info mem`.

extension CPU {
  /// The physical address a supervisor read of `linear` would reach, or nil when it would fault.
  public func debugTranslate(_ linear: UInt64) -> UInt64? {
    guard (try? checkCanonical(linear)) != nil, isLongModeActive || linear <= 0xFFFF_FFFF else { return nil }
    guard let (frame, _) = try? walk(linear, .read, user: false, probe: true) else { return nil }
    return frame | (linear & 0xFFF)
  }

  /// `count` bytes at a linear address, or nil if any of them is unmapped.
  public func debugRead(linear: UInt64, count: Int) -> [UInt8]? {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    var address = linear
    var left = count
    while left > 0 {
      guard let phys = debugTranslate(address) else { return nil }
      let chunk = min(left, 0x1000 - Int(address & 0xFFF))
      for k in 0..<chunk { bytes.append(UInt8(truncatingIfNeeded: memory.read(phys &+ UInt64(k), size: 1))) }
      address &+= UInt64(chunk)
      left -= chunk
    }
    return bytes
  }

  /// Writes bytes at a linear address; nothing is written unless every byte is mapped. Decoded code
  /// on the pages written is dropped, as for a guest store.
  public func debugWrite(linear: UInt64, _ bytes: [UInt8]) -> Bool {
    var physical: [UInt64] = []
    physical.reserveCapacity(bytes.count)
    for k in 0..<bytes.count {
      guard let phys = debugTranslate(linear &+ UInt64(k)) else { return false }
      physical.append(phys)
    }
    for (phys, byte) in zip(physical, bytes) { memory.write(phys, size: 1, value: UInt64(byte)) }
    return true
  }

  /// The present mappings of the current address space, merged where consecutive pages have the same
  /// rights. Without paging, none.
  public func mappings() -> [Mapping] {
    guard pagingEnabled else { return [] }
    var found: [Mapping] = []
    func add(_ linear: UInt64, _ physical: UInt64, _ size: UInt64, _ rights: Mapping.Rights) {
      if var last = found.last, last.linear &+ last.size == linear, last.rights == rights {
        last.size &+= size
        found[found.count - 1] = last
      } else {
        found.append(Mapping(linear: linear, physical: physical, size: size, rights: rights))
      }
    }
    let nxe = efer & ControlBit.nxe != 0
    if cr4 & ControlBit.pae == 0 {
      // 32-bit paging (SDM Vol. 3A 4.3).
      let directory = cr3 & 0xFFFF_F000
      for i in 0..<UInt64(1024) {
        let pde = memory.read(directory + i * 4, size: 4)
        if pde & 1 == 0 { continue }
        if pde & 0x80 != 0 && cr4 & ControlBit.pse != 0 {
          add(i << 22, pde & 0xFFC0_0000, 1 << 22, Mapping.Rights(entry: pde, noExecute: false))
          continue
        }
        for j in 0..<UInt64(1024) {
          let pte = memory.read((pde & 0xFFFF_F000) + j * 4, size: 4)
          if pte & 1 == 0 { continue }
          let rights = Mapping.Rights(entry: pde & pte, noExecute: false)
          add(i << 22 | j << 12, pte & 0xFFFF_F000, 0x1000, rights)
        }
      }
      return found
    }
    // PAE and 4-level paging (SDM Vol. 3A 4.4, 4.5): the walk down the tree, rights ANDed per level.
    let addressMask: UInt64 = 0x000F_FFFF_FFFF_F000
    let top: UInt64 = cr4 & ControlBit.la57 != 0 ? 48 : 39
    func visit(table: UInt64, shift: UInt64, base: UInt64, entries: UInt64, rights: Mapping.Rights) {
      for i in 0..<entries {
        let entry = memory.read(table + i * 8, size: 8)
        if entry & 1 == 0 { continue }
        var linear = base | i << shift
        // The top level's index sets the sign-extended upper bits (bit 47, or 56 with 5-level paging).
        if shift == top && linear & (1 << (shift + 8)) != 0 { linear |= ~((1 << (shift + 9)) - 1) }
        let here = rights.narrowed(by: Mapping.Rights(entry: entry, noExecute: nxe && entry & (1 << 63) != 0))
        if shift == 12 || (shift < 39 && entry & 0x80 != 0) {
          let size: UInt64 = 1 << shift
          add(linear, entry & addressMask & ~(size - 1), size, here)
        } else {
          visit(table: entry & addressMask, shift: shift - 9, base: linear, entries: 512, rights: here)
        }
      }
    }
    let all = Mapping.Rights(writable: true, user: true, executable: true)
    if isLongModeActive {
      visit(table: cr3 & addressMask, shift: top, base: 0, entries: 512, rights: all)
    } else {
      for i in 0..<UInt64(4) {
        let pdpte = pdpte(Int(i))
        if pdpte & 1 == 0 { continue }
        visit(table: pdpte & addressMask, shift: 21, base: i << 30, entries: 512, rights: all)
      }
    }
    return found
  }
}

/// A run of linear addresses mapped with the same rights (`CPU.mappings`).
public struct Mapping: Equatable, Sendable {
  /// What the page-table entries on the way allow (the strictest of each level).
  public struct Rights: Equatable, Sendable {
    /// R/W set at every level.
    public var writable: Bool
    /// U/S set at every level: CPL 3 may access it.
    public var user: Bool
    /// No XD bit on the way (or EFER.NXE clear).
    public var executable: Bool

    init(writable: Bool, user: Bool, executable: Bool) {
      self.writable = writable
      self.user = user
      self.executable = executable
    }

    init(entry: UInt64, noExecute: Bool) {
      self.init(writable: entry & 2 != 0, user: entry & 4 != 0, executable: !noExecute)
    }

    func narrowed(by other: Rights) -> Rights {
      Rights(writable: writable && other.writable, user: user && other.user, executable: executable && other.executable)
    }
  }

  /// The first linear address of the run.
  public var linear: UInt64
  /// The physical address of the first byte.
  public var physical: UInt64
  /// The length of the run in bytes (whole pages).
  public var size: UInt64
  /// What the run's page-table entries allow.
  public var rights: Rights
}

extension CPU {
  /// An MSR as RDMSR would read it, or nil where RDMSR raises #GP (for a debugger's register dump).
  public func debugReadMSR(_ index: UInt32) -> UInt64? { try? readMSR(index) }

  /// The debugger's view of the halt state and interrupt shadow.
  public var inInterruptShadow: Bool { interruptShadow }
}
