// Benchmark.swift: a CPU-bound guest for measuring emulator speed.
//
// Integer work of the kinds a kernel does: a sieve of Eratosthenes (loads, stores, compares,
// branches), byte copies (loops and rep movsb through memcpy), a recursive call tree (call/ret,
// stack traffic), and multiply/divide-heavy hashing. It prints a checksum, so a wrong result is
// seen, and exits through isa-debug-exit; scripts/benchmark times it under QEMU and under emu.

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  initializeConsole()
  var checksum: UInt64 = 0
  for round in 0..<60 {
    checksum = checksum &* 31 &+ sieve(limit: 200_000)
    checksum = checksum &* 31 &+ copyBytes(round: UInt64(round))
    checksum = checksum &* 31 &+ fibonacci(24)
    checksum = checksum &* 31 &+ hashNumbers(count: 100_000, seed: UInt64(round))
  }
  var serial = SerialPort.com1
  serial.write("benchmark checksum ")
  serial.write(hex: checksum, minimumDigits: 16)
  serial.write("\n")
  DebugExit.exit(.success)
}

/// The number of primes below `limit`.
@inline(never)
func sieve(limit: Int) -> UInt64 {
  let composite = UnsafeMutablePointer<UInt8>.allocate(capacity: limit)
  composite.initialize(repeating: 0, count: limit)
  var count: UInt64 = 0
  var candidate = 2
  while candidate < limit {
    if composite[candidate] == 0 {
      count += 1
      var multiple = candidate &* candidate
      while multiple < limit {
        composite[multiple] = 1
        multiple += candidate
      }
    }
    candidate += 1
  }
  composite.deallocate()
  return count
}

/// Copies a 64 KiB buffer around with a byte loop and with memcpy, then sums it.
@inline(never)
func copyBytes(round: UInt64) -> UInt64 {
  let size = 64 * 1024
  let source = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
  let target = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
  for index in 0..<size {
    source.storeBytes(of: UInt8(truncatingIfNeeded: index &* 7 &+ Int(round)), toByteOffset: index, as: UInt8.self)
  }
  for _ in 0..<4 {
    target.copyMemory(from: source, byteCount: size)
    source.copyMemory(from: target, byteCount: size)
  }
  var sum: UInt64 = 0
  for index in stride(from: 0, to: size, by: 8) {
    sum = sum &+ target.load(fromByteOffset: index, as: UInt64.self)
  }
  source.deallocate()
  target.deallocate()
  return sum
}

/// Exponential recursion: calls and returns.
@inline(never)
func fibonacci(_ n: UInt64) -> UInt64 {
  n < 2 ? n : fibonacci(n - 1) &+ fibonacci(n - 2)
}

/// Multiplies, divides and shifts.
@inline(never)
func hashNumbers(count: Int, seed: UInt64) -> UInt64 {
  var hash = seed ^ 0xCBF2_9CE4_8422_2325
  for index in 0..<count {
    let value = UInt64(index) &+ seed
    hash = (hash ^ value) &* 0x100_0000_01B3
    hash ^= hash >> 29
    hash = hash &+ (value % 7 == 0 ? hash / (value | 1) : value << 3)
  }
  return hash
}
