// Decoded instructions cached by physical address.
//
// Why: decoding is the most expensive part of interpreting x86. A direct-mapped cache keyed by the
// physical address (plus the mode, which changes how bytes decode) makes re-executing code a tag check.
// Entries remember the generation of their RAM page; a store to a page holding cached code bumps the
// generation (PhysicalMemory.noteWrite), which invalidates every entry from that page at once.

/// 64 bytes (the padding makes it so): one host cache line per entry, and the slot address is a shift.
struct DecodeCacheEntry {
  var tag: UInt64 = ~0
  var generation: UInt32 = 0
  var inst = Instruction()
  var padding: UInt64 = 0
}

final class DecodeCache {
  static let count = 1 << 15
  let entries: UnsafeMutablePointer<DecodeCacheEntry>

  init() {
    entries = .allocate(capacity: DecodeCache.count)
    entries.initialize(repeating: DecodeCacheEntry(), count: DecodeCache.count)
  }

  deinit { entries.deallocate() }

  @inline(always)
  static func tag(_ phys: UInt64, _ mode: CPUMode) -> UInt64 { phys | (UInt64(mode.rawValue) << 56) }

  @inline(always)
  func slot(_ phys: UInt64) -> UnsafeMutablePointer<DecodeCacheEntry> {
    entries + Int(truncatingIfNeeded: (phys ^ (phys >> 13)) & UInt64(DecodeCache.count - 1))
  }

  func invalidateAll() {
    for i in 0..<DecodeCache.count { entries[i].tag = ~0 }
  }
}

/// Fetches instruction bytes at consecutive linear addresses through the TLB with execute permission.
struct LinearInstructionBytes: InstructionBytes {
  let cpu: CPU
  var address: UInt64
  let user: Bool
  var fetched: [UInt8] = []
  var keep: Bool

  mutating func next() throws(Fault) -> UInt8 {
    let e = try cpu.translate(address, .execute, user: user)
    let offset = Int(address & 0xFFF)
    let b: UInt8
    if let h = e.pointee.host {
      b = h.load(fromByteOffset: offset, as: UInt8.self)
    } else {
      b = UInt8(truncatingIfNeeded: cpu.memory.read(e.pointee.phys | UInt64(offset), size: 1))
    }
    address = cpu.mode == .long64 ? address &+ 1 : (address &+ 1) & 0xFFFF_FFFF
    if keep { fetched.append(b) }
    return b
  }
}
