// A software TLB: a direct-mapped cache from linear page to physical page, host pointer and permissions.
//
// Why: the page walk (SDM Vol. 3A 4.5) costs four memory reads; the TLB makes a hit a tag compare.
// Like the hardware TLB it is flushed by MOV to CR3, INVLPG and paging-mode changes (SDM Vol. 3A 4.10.4).
//
// The CPU keeps two, one for supervisor and one for user accesses, so that the fast tags below can
// be precomputed for one privilege. An access hits the fast path when the linear page number of its
// last byte equals `readTag` (or `writeTag`): that one compare checks the page, the permission, that
// the page is RAM-like host memory, and that the access does not cross into the next page (whose
// entry sits in the next slot). `writeTag` is also withheld from pages that hold decoded code, so a
// store that could modify cached code always takes the slow path, which invalidates that code.

/// Permission bits cached per TLB entry; an access hits only if all bits it requires are present.
enum TLBPerm {
  static let readSupervisor: UInt8 = 1
  static let writeSupervisor: UInt8 = 2
  static let readUser: UInt8 = 4
  static let writeUser: UInt8 = 8
  static let execSupervisor: UInt8 = 16
  static let execUser: UInt8 = 32
  /// The leaf entry already has its dirty bit set, so a write needs no walk to set it.
  static let dirty: UInt8 = 64
  static let all: UInt8 = 127
}

struct TLBEntry {
  /// Linear page number when reads may go straight to `addend`, else all ones.
  var readTag: UInt64 = ~0
  /// Linear page number when writes may go straight to `addend`, else all ones.
  var writeTag: UInt64 = ~0
  /// Host address of the page minus its linear address: host = addend + linear.
  var addend: UInt = 0
  /// Linear page number of the cached translation (any permission).
  var tag: UInt64 = ~0
  var phys: UInt64 = 0
  var host: UnsafeMutableRawPointer? = nil
  var perms: UInt8 = 0
}

final class TLB {
  static let count = 1024
  let entries: UnsafeMutablePointer<TLBEntry>
  /// Which privilege the fast tags are computed for.
  let user: Bool

  init(user: Bool) {
    self.user = user
    entries = .allocate(capacity: TLB.count)
    entries.initialize(repeating: TLBEntry(), count: TLB.count)
  }

  deinit { entries.deallocate() }

  func flush() {
    for i in 0..<TLB.count { entries[i] = TLBEntry() }
  }

  /// Sets the fast tags of a filled entry for this TLB's privilege. `codePage` withholds the write tag.
  @inline(__always)
  func arm(_ e: UnsafeMutablePointer<TLBEntry>, codePage: Bool) {
    guard let host = e.pointee.host else {
      e.pointee.readTag = ~0
      e.pointee.writeTag = ~0
      return
    }
    let page = e.pointee.tag
    e.pointee.addend = UInt(bitPattern: host) &- UInt(truncatingIfNeeded: page << 12)
    let read = user ? TLBPerm.readUser : TLBPerm.readSupervisor
    let write = (user ? TLBPerm.writeUser : TLBPerm.writeSupervisor) | TLBPerm.dirty
    e.pointee.readTag = e.pointee.perms & read == read ? page : ~0
    e.pointee.writeTag = !codePage && e.pointee.perms & write == write ? page : ~0
  }

  /// Withdraws the write tag of every entry that maps physical page `page` (it now holds code).
  func protect(physicalPage page: UInt64) {
    for i in 0..<TLB.count where entries[i].writeTag != ~0 && entries[i].phys >> 12 == page {
      entries[i].writeTag = ~0
    }
  }
}

/// The kind of a memory access, for permission checks and the #PF error code.
enum Access {
  case read, write, execute
}
