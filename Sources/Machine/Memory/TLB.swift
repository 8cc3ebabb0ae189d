// A software TLB: a direct-mapped cache from linear page to physical page, host pointer and permissions.
//
// Why: the page walk (SDM Vol. 3A 4.5) costs four memory reads; the TLB makes a hit a tag compare.
// Like the hardware TLB it is flushed by MOV to CR3, INVLPG and paging-mode changes (SDM Vol. 3A 4.10.4).

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
  var tag: UInt64 = ~0
  var phys: UInt64 = 0
  var host: UnsafeMutableRawPointer? = nil
  var perms: UInt8 = 0
}

final class TLB {
  static let count = 1024
  let entries: UnsafeMutablePointer<TLBEntry>

  init() {
    entries = .allocate(capacity: TLB.count)
    entries.initialize(repeating: TLBEntry(), count: TLB.count)
  }

  deinit { entries.deallocate() }

  @inline(always)
  func entry(_ linear: UInt64) -> UnsafeMutablePointer<TLBEntry> {
    entries + Int(truncatingIfNeeded: (linear >> 12) & UInt64(TLB.count - 1))
  }

  var onFlush: (() -> Void)?

  func flush() {
    for i in 0..<TLB.count { entries[i].tag = ~0 }
    onFlush?()
  }
}

/// The kind of a memory access, for permission checks and the #PF error code.
enum Access {
  case read, write, execute
}
