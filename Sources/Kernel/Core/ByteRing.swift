// ByteRing.swift: the queue between an interrupt handler and the code that waits for input.
//
// The keyboard and serial interrupt handlers must return quickly, and must not lose a key while
// the shell is busy; the shell must see every key once. A fixed ring of bytes does both: the
// handler pushes, the shell pops with interrupts disabled for that moment, and a full ring drops
// the newest byte (and counts it) rather than overwriting one not yet read. No heap.

public struct ByteRing {
  public static var capacity: Int { 256 }

  private var storage: InlineArray<256, UInt8> = InlineArray(repeating: 0)
  private var head = 0  // next to read
  private var count = 0
  public private(set) var droppedCount = 0

  public init() {}

  public var isEmpty: Bool { count == 0 }
  public var isFull: Bool { count == Self.capacity }
  public var available: Int { count }

  /// Adds `byte`; returns false (and counts a drop) when the ring is full.
  @discardableResult
  public mutating func push(_ byte: UInt8) -> Bool {
    guard count < Self.capacity else {
      droppedCount += 1
      return false
    }
    storage[(head + count) % Self.capacity] = byte
    count += 1
    return true
  }

  /// Removes and returns the oldest byte.
  public mutating func pop() -> UInt8? {
    guard count > 0 else { return nil }
    let byte = storage[head]
    head = (head + 1) % Self.capacity
    count -= 1
    return byte
  }
}
