// The physical address space: guest RAM as one host allocation, plus device ranges.
//
// Why raw memory: every guest load and store lands here, so RAM accesses must be a bounds check and a
// pointer dereference. Device ranges are few, so they live in a small array searched only when an access
// falls outside plain RAM or on a page a device range covers (a byte per page marks those). The CPU's
// TLB caches host pointers for RAM and RAM-like device pages, so most accesses never reach this class.

#if canImport(Glibc)
  import Glibc
#endif

/// A device mapped into physical memory that handles each access with a callback (registers, not storage).
public protocol MMIODevice: AnyObject {
  /// Reads `size` bytes (1, 2, 4 or 8) at `offset` from the start of the mapped range.
  func read(offset: UInt64, size: Int) -> UInt64
  /// Writes the low `size` bytes of `value` at `offset` from the start of the mapped range.
  func write(offset: UInt64, size: Int, value: UInt64)
}

/// Physical memory: RAM, RAM-like device memory (for example VGA text memory) and callback MMIO.
public final class PhysicalMemory {
  enum Backing {
    case host(UnsafeMutableRawPointer)
    case device(MMIODevice)
  }
  struct Region {
    let start: UInt64
    let end: UInt64  // exclusive
    let backing: Backing
  }

  /// Guest RAM, `ramSize` bytes starting at physical address 0.
  public let ram: UnsafeMutableRawPointer
  /// The size of guest RAM in bytes.
  public let ramSize: UInt64
  var regions: [Region] = []

  /// One byte per RAM page: non-zero while decoded blocks hold code from that page. The TLB gives such
  /// pages no fast write tag, so only stores on the slow path check it (CPU/BlockCache.swift).
  let codePages: UnsafeMutablePointer<UInt8>
  /// Bumped when a code page is written; decoded blocks remember the generation they were decoded in.
  let pageGeneration: UnsafeMutablePointer<UInt32>
  let pageCount: Int

  /// One byte per RAM page: non-zero when a device range overlaps the page, so RAM must not answer.
  let devicePages: UnsafeMutablePointer<UInt8>
  /// 1 for each RAM page written since dirty tracking was last reset (Snapshot/DirtyPages.swift).
  let dirtyPages: UnsafeMutablePointer<UInt8>
  /// While true, writes mark `dirtyPages` (and the CPU's TLB withholds fast write tags from clean pages).
  var tracksDirtyPages = false

  /// Callback run after the address map changes, so translation caches holding host pointers can drop them.
  var mapChanged: (() -> Void)?
  /// Called after a write to a mapped device that is also a clocked device (the local APIC) moved
  /// its next event: the CPU ends its time slice so the run loop reads the schedules again. Writes
  /// that move nothing (an EOI, an ICR send) end nothing; the CPU polls for interrupts after any.
  var scheduleMoved: (() -> Void)?
  /// The clocked devices (Machine.addClockedDevice) a mapped device may be.
  private var clocked: [ClockedDevice] = []

  func noteClockedDevice(_ device: ClockedDevice) { clocked.append(device) }

  /// Creates `ramSize` bytes of zeroed guest RAM (rounded up to a whole page).
  public init(ramSize: UInt64 = 128 << 20) {
    let size = (ramSize + 0xFFF) & ~0xFFF
    self.ramSize = size
    ram = Self.zeroedPages(Int(size), for: "guest RAM")
    pageCount = Int(size >> 12)
    let tables = Self.zeroedPages(pageCount * Self.tableBytesPerPage, for: "the page tables of guest RAM")
    pageGeneration = tables.bindMemory(to: UInt32.self, capacity: pageCount)
    codePages = (tables + 4 * pageCount).bindMemory(to: UInt8.self, capacity: pageCount)
    devicePages = (tables + 5 * pageCount).bindMemory(to: UInt8.self, capacity: pageCount)
    dirtyPages = (tables + 6 * pageCount).bindMemory(to: UInt8.self, capacity: pageCount)
  }

  /// pageGeneration, codePages, devicePages and dirtyPages, in one mapping in that order.
  private static let tableBytesPerPage = 4 + 1 + 1 + 1

  /// `bytes` of zeros in an anonymous mapping, which the host kernel fills page by page as they are
  /// first touched: a 128 MiB guest that uses 2 MiB costs 2 MiB (and its tables a few pages), and
  /// no start-up time.
  private static func zeroedPages(_ bytes: Int, for what: String) -> UnsafeMutableRawPointer {
    guard let mapping = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
      mapping != MAP_FAILED
    else {
      fatalError("cannot reserve \(bytes >> 20) MiB of host memory for \(what)")
    }
    return mapping
  }

  deinit {
    munmap(ram, Int(ramSize))
    munmap(UnsafeMutableRawPointer(pageGeneration), pageCount * Self.tableBytesPerPage)
  }

  /// Maps a callback device at `start..<start+length`. Later mappings win over earlier ones and over RAM.
  public func map(_ device: MMIODevice, at start: UInt64, length: UInt64) {
    regions.insert(Region(start: start, end: start + length, backing: .device(device)), at: 0)
    markDevicePages(start, length)
    mapChanged?()
  }

  /// Maps device-owned host memory at `start..<start+length`, accessed like RAM (no callback per access).
  /// The memory must stay valid while mapped. Use it for frame buffers such as VGA text memory.
  public func mapMemory(_ memory: UnsafeMutableRawPointer, at start: UInt64, length: UInt64) {
    regions.insert(Region(start: start, end: start + length, backing: .host(memory)), at: 0)
    markDevicePages(start, length)
    mapChanged?()
  }

  /// Removes every mapping of `device` (a relocated or disabled register page); RAM under it answers again.
  public func unmap(_ device: MMIODevice) {
    regions.removeAll { r in
      if case .device(let d) = r.backing { return d === device }
      return false
    }
    devicePages.update(repeating: 0, count: pageCount)
    for r in regions { markDevicePages(r.start, r.end - r.start) }
    mapChanged?()
  }

  private func markDevicePages(_ start: UInt64, _ length: UInt64) {
    guard length > 0, start < ramSize else { return }
    let last = min(start + length - 1, ramSize - 1)
    for page in Int(start >> 12)...Int(last >> 12) { devicePages[page] = 1 }
  }

  /// True when `address` is answered by plain guest RAM (no device range covers its page).
  @inline(always)
  func isPlainRAM(_ address: UInt64) -> Bool {
    address < ramSize && devicePages[Int(truncatingIfNeeded: address >> 12)] == 0
  }

  @inline(__always)
  func region(containing address: UInt64) -> Region? {
    for r in regions where address >= r.start && address < r.end { return r }
    return nil
  }

  /// A host pointer to the 4 KiB physical page holding `address`, when the whole page is RAM-like.
  func hostPage(_ address: UInt64) -> UnsafeMutableRawPointer? {
    let page = address & ~0xFFF
    if isPlainRAM(page) { return ram + Int(page) }
    // A device range covers (part of) this page, or the page lies beyond RAM: only a RAM-like range
    // spanning the whole page may be accessed directly; everything else takes the routed slow path.
    if let r = region(containing: page), case .host(let p) = r.backing, page + 0x1000 <= r.end {
      return p + Int(page - r.start)
    }
    return nil
  }

  /// Reads `size` bytes (1, 2, 4, 8) at a physical address; unmapped addresses read as all ones.
  public func read(_ address: UInt64, size: Int) -> UInt64 {
    if isPlainRAM(address) && address + UInt64(size) <= ramSize {
      return loadHost(ram + Int(address), size: size)
    }
    return readSlow(address, size: size)
  }

  func readSlow(_ address: UInt64, size: Int) -> UInt64 {
    if let r = region(containing: address) {
      if address + UInt64(size) > r.end { return readBytes(address, size: size) }
      switch r.backing {
      case .host(let p): return loadHost(p + Int(address - r.start), size: size)
      case .device(let d): return d.read(offset: address - r.start, size: size) & sizeMask(size)
      }
    }
    if address + UInt64(size) <= ramSize { return loadHost(ram + Int(address), size: size) }
    if address < ramSize { return readBytes(address, size: size) }
    return sizeMask(size)
  }

  func readBytes(_ address: UInt64, size: Int) -> UInt64 {
    var v: UInt64 = 0
    for i in 0..<size { v |= read(address + UInt64(i), size: 1) << (8 * UInt64(i)) }
    return v
  }

  /// Writes the low `size` bytes of `value` at a physical address; writes to unmapped addresses are dropped.
  public func write(_ address: UInt64, size: Int, value: UInt64) {
    if isPlainRAM(address) && address + UInt64(size) <= ramSize {
      noteWrite(address)
      storeHost(ram + Int(address), size: size, value: value)
      return
    }
    writeSlow(address, size: size, value: value)
  }

  func writeSlow(_ address: UInt64, size: Int, value: UInt64) {
    if let r = region(containing: address) {
      if address + UInt64(size) > r.end {
        for i in 0..<size { write(address + UInt64(i), size: 1, value: value >> (8 * UInt64(i))) }
        return
      }
      switch r.backing {
      case .host(let p): storeHost(p + Int(address - r.start), size: size, value: value)
      case .device(let d):
        let timed = clocked.first { $0 === d }
        let next = timed?.nextEventCycle
        d.write(offset: address - r.start, size: size, value: value & sizeMask(size))
        if let timed, timed.nextEventCycle != next { scheduleMoved?() }
      }
      return
    }
    if address + UInt64(size) <= ramSize {
      noteWrite(address)
      storeHost(ram + Int(address), size: size, value: value)
    } else if address < ramSize {
      for i in 0..<size { write(address + UInt64(i), size: 1, value: value >> (8 * UInt64(i))) }
    }
  }

  /// Invalidates decoded code on the page of `address` if it holds any (self-modifying code, loaders).
  @inline(always)
  func noteWrite(_ address: UInt64) {
    let page = Int(truncatingIfNeeded: address >> 12)
    guard page < pageCount else { return }
    if codePages[page] != 0 {
      codePages[page] = 0
      pageGeneration[page] &+= 1
    }
    if tracksDirtyPages { dirtyPages[page] = 1 }
  }

  /// Copies bytes into physical memory (loader use).
  public func write(_ bytes: [UInt8], at address: UInt64) {
    for (i, b) in bytes.enumerated() { write(address + UInt64(i), size: 1, value: UInt64(b)) }
  }

  /// Copies bytes out of physical memory (tests, front ends).
  public func bytes(at address: UInt64, count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: read(address + UInt64($0), size: 1)) }
  }

  // memcpy of a constant size compiles to one unaligned load or store. The stdlib's loadUnaligned and
  // storeBytes would do the same, but they stay calls once the interpreter loop is past the optimizer's
  // inlining size limit, while a C call is lowered by LLVM regardless.
  @inline(always)
  func loadHost(_ p: UnsafeMutableRawPointer, size: Int) -> UInt64 {
    switch size {
    case 1:
      var v: UInt8 = 0
      memcpy(&v, p, 1)
      return UInt64(v)
    case 2:
      var v: UInt16 = 0
      memcpy(&v, p, 2)
      return UInt64(v)
    case 4:
      var v: UInt32 = 0
      memcpy(&v, p, 4)
      return UInt64(v)
    default:
      var v: UInt64 = 0
      memcpy(&v, p, 8)
      return v
    }
  }

  @inline(always)
  func storeHost(_ p: UnsafeMutableRawPointer, size: Int, value: UInt64) {
    switch size {
    case 1:
      var v = UInt8(truncatingIfNeeded: value)
      memcpy(p, &v, 1)
    case 2:
      var v = UInt16(truncatingIfNeeded: value)
      memcpy(p, &v, 2)
    case 4:
      var v = UInt32(truncatingIfNeeded: value)
      memcpy(p, &v, 4)
    default:
      var v = value
      memcpy(p, &v, 8)
    }
  }
}
