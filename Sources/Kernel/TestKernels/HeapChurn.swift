// HeapChurn.swift: the heap under a long random allocate/free churn.
//
// Thousands of blocks of random sizes and alignments are allocated, filled with a pattern derived
// from their address, checked, and freed in random order. Any overlap between blocks, or a block
// handed out twice, shows up as a wrong pattern. At the end everything is freed, and the heap must
// have merged all free blocks back together. Then Swift's own users of the heap (arrays, strings,
// classes) must work on top of it.

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  var tests = TestRunner(title: "heap_churn")
  Interrupts.initialize()
  guard
    let info = MultibootInfo(
      magic: magic, address: UInt64(infoAddress), memory: IdentityMappedMemory())
  else { panic("not booted by a Multiboot loader") }
  Heap.addFreeMemory(from: info)

  tests.run("heap_spans_the_memory_map") {
    Heap.allocator.totalBytes > 100 * 1024 * 1024 ? nil : "less than 100 MiB of heap"
  }
  let initialFree = Heap.allocator.freeBytes
  let initialBlocks = Heap.allocator.freeBlockCount

  tests.run("random_churn_keeps_every_block_intact") {
    var random = XorShift(seed: 0x2545_F491_4F6C_DD1D)
    var live = LiveBlocks()
    for _ in 0..<20_000 {
      if live.count < LiveBlocks.capacity && (live.count == 0 || random.next() % 3 != 0) {
        let size = UInt(random.next() % 4096) + 1
        let alignment = UInt(1) << UInt(random.next() % 13)  // 1 ... 4096
        var address: UnsafeMutableRawPointer?
        guard posixMemalign(&address, Int(alignment), Int(size)) == 0, let block = address else {
          return "allocation failed"
        }
        guard UInt(bitPattern: block) % alignment == 0 else { return "misaligned block" }
        fill(block, size)
        live.append(block, size)
      } else {
        let index = Int(random.next() % UInt64(live.count))
        let (block, size) = live.remove(at: index)
        guard check(block, size) else { return "a block's contents changed" }
        kernelFree(block)
      }
      if live.count > 0 {
        let index = Int(random.next() % UInt64(live.count))
        guard check(live.block(index), live.size(index)) else { return "a live block was overwritten" }
      }
    }
    while live.count > 0 {
      let (block, size) = live.remove(at: live.count - 1)
      guard check(block, size) else { return "a block's contents changed" }
      kernelFree(block)
    }
    return nil
  }

  tests.run("everything_freed_and_merged") {
    guard Heap.allocator.freeBytes == initialFree else { return "bytes leaked" }
    guard Heap.allocator.invalidFreeCount == 0 else { return "an invalid free was seen" }
    return Heap.allocator.freeBlockCount == initialBlocks ? nil : "free blocks were not merged"
  }

  tests.run("swift_collections_and_classes") {
    final class Node {
      let value: Int
      var next: Node?
      init(_ value: Int, _ next: Node?) {
        self.value = value
        self.next = next
      }
    }
    var list: Node? = nil
    for value in 0..<1000 { list = Node(value, list) }
    var sum = 0
    var cursor = list
    while let node = cursor {
      sum += node.value
      cursor = node.next
    }
    var words: [String] = []
    for value in 0..<200 { words.append("word\(value)") }
    let length = words.reduce(0) { $0 + $1.utf8.count }
    return sum == 499_500 && length == 200 * 4 + 10 + 90 * 2 + 100 * 3 ? nil : "wrong results"
  }
  tests.finish()
}

/// A deterministic pseudo-random sequence (Marsaglia's xorshift64).
struct XorShift {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    return state
  }
}

/// The blocks currently allocated by the churn, in fixed storage (the heap is what is tested).
struct LiveBlocks {
  static let capacity = 512
  private var addresses: InlineArray<512, UInt> = InlineArray(repeating: 0)
  private var sizes: InlineArray<512, UInt> = InlineArray(repeating: 0)
  private(set) var count = 0

  mutating func append(_ block: UnsafeMutableRawPointer, _ size: UInt) {
    addresses[count] = UInt(bitPattern: block)
    sizes[count] = size
    count += 1
  }

  func block(_ index: Int) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: addresses[index])! }
  func size(_ index: Int) -> UInt { sizes[index] }

  mutating func remove(at index: Int) -> (UnsafeMutableRawPointer, UInt) {
    let removed = (block(index), sizes[index])
    count -= 1
    addresses[index] = addresses[count]
    sizes[index] = sizes[count]
    return removed
  }
}

private func pattern(_ address: UInt, _ offset: UInt) -> UInt8 {
  UInt8(truncatingIfNeeded: (address >> 4) &* 31 &+ offset &* 7)
}

private func fill(_ block: UnsafeMutableRawPointer, _ size: UInt) {
  let base = UInt(bitPattern: block)
  for offset in 0..<size { block.storeBytes(of: pattern(base, offset), toByteOffset: Int(offset), as: UInt8.self) }
}

private func check(_ block: UnsafeMutableRawPointer, _ size: UInt) -> Bool {
  let base = UInt(bitPattern: block)
  for offset in 0..<size where block.load(fromByteOffset: Int(offset), as: UInt8.self) != pattern(base, offset) {
    return false
  }
  return true
}
