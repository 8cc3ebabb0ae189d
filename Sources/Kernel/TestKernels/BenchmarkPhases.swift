// BenchmarkPhases.swift: one kind of guest work at a time, for measuring an emulator by phase.
//
// The kernel command line names the phase (`phase=alu`, QEMU's `-append`, emu's `--append`); each
// runs a few hundred million instructions of one kind, prints a checksum (so a wrong result is
// seen) and exits through isa-debug-exit. scripts/benchmark runs every phase under emu and QEMU.
//
//   alu     a register loop: add, xor, rotate, multiply, subtract, count down
//   sieve   a sieve of Eratosthenes over 2 MiB: byte loads, stores, compares, branches
//   bytes   byte-at-a-time fill and copy loops over 1 MiB (the loops a naive memset/memcpy runs)
//   calls   small functions called directly and through a table of function pointers
//   rep     REP STOSB and REP MOVSB over 1 MiB (the kernel's memset and memcpy)

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  initializeConsole()
  var serial = SerialPort.com1
  var phase: UInt64 = 0
  if let info = MultibootInfo(magic: magic, address: UInt64(infoAddress), memory: IdentityMappedMemory()) {
    Heap.addFreeMemory(from: info)  // the phases want a few MiB, more than the 1 MiB boot heap
    phase = commandLinePhase(info)
  }
  let checksum: UInt64
  switch phase {
  case 0x616C75: checksum = registerLoop(iterations: 40_000_000)  // "alu"
  case 0x7369_6576_65: checksum = sieveRounds(8)  // "sieve"
  case 0x6279_7465_73: checksum = byteLoops(passes: 20)  // "bytes"
  case 0x6361_6C6C_73: checksum = callLoop(iterations: 7_000_000)  // "calls"
  case 0x726570: checksum = repeatedStrings(passes: 20)  // "rep"
  default:
    serial.write("benchmark phases: no phase=alu|sieve|bytes|calls|rep on the command line\n")
    DebugExit.exit(.failure)
  }
  serial.write("phase checksum ")
  serial.write(hex: checksum, minimumDigits: 16)
  serial.write("\n")
  DebugExit.exit(.success)
}

/// The word after `phase=` on the Multiboot command line, as big-endian ASCII packed into an integer
/// (at most 8 letters), or 0.
func commandLinePhase(_ info: MultibootInfo<IdentityMappedMemory>) -> UInt64 {
  guard let address = info.commandLineAddress else { return 0 }
  let key: [UInt8] = Array("phase=".utf8)
  var matched = 0
  var value: UInt64 = 0
  var inValue = false
  info.forEachByte(ofStringAt: address) { byte in
    if inValue {
      if byte == 0x20 { inValue = false } else { value = value << 8 | UInt64(byte) }
      return
    }
    matched = byte == key[matched] ? matched + 1 : (byte == key[0] ? 1 : 0)
    if matched == key.count {
      inValue = true
      matched = 0
    }
  }
  return value
}

/// Register arithmetic only: the loop a hash or checksum compiles to.
@inline(never)
func registerLoop(iterations: Int) -> UInt64 {
  var a: UInt64 = 0x0123_4567_89AB_CDEF
  var b: UInt64 = 0x0F1E_2D3C_4B5A_6978
  var c: UInt64 = 7
  var n = iterations
  while n != 0 {
    a = a &+ b
    b ^= a
    c = (c &<< 13 | c &>> 51) &+ a
    a = a &* 0x9E37_79B9
    b = b &- c
    n -= 1
  }
  return a ^ b ^ c
}

/// The number of primes below 2 Mi, `rounds` times over the same 2 MiB of flags.
@inline(never)
func sieveRounds(_ rounds: Int) -> UInt64 {
  let limit = 2 << 20
  let composite = UnsafeMutablePointer<UInt8>.allocate(capacity: limit)
  var total: UInt64 = 0
  for _ in 0..<rounds {
    composite.initialize(repeating: 0, count: limit)
    var candidate = 2
    while candidate < limit {
      if composite[candidate] == 0 {
        total &+= 1
        var multiple = candidate &* candidate
        while multiple < limit {
          composite[multiple] = 1
          multiple &+= candidate
        }
      }
      candidate &+= 1
    }
  }
  composite.deallocate()
  return total
}

/// Fills and copies 1 MiB one byte at a time. The stored values depend on the index, so the compiler
/// cannot turn the loops into memset or memcpy.
@inline(never)
func byteLoops(passes: Int) -> UInt64 {
  let size = 1 << 20
  let source = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
  let target = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
  var sum: UInt64 = 0
  for pass in 0..<passes {
    let seed = UInt8(truncatingIfNeeded: pass)
    var index = 0
    while index < size {
      source[index] = UInt8(truncatingIfNeeded: index) ^ seed
      index &+= 1
    }
    index = 0
    while index < size {
      target[index] = source[index] &+ 1
      index &+= 1
    }
    sum &+= UInt64(target[pass &* 4099 & (size - 1)])
  }
  source.deallocate()
  target.deallocate()
  return sum
}

@inline(never) func addThree(_ x: UInt64) -> UInt64 { x &+ 3 }
@inline(never) func timesFive(_ x: UInt64) -> UInt64 { x &* 5 }
@inline(never) func rotateOne(_ x: UInt64) -> UInt64 { x &<< 1 | x &>> 63 }
@inline(never) func mixBits(_ x: UInt64) -> UInt64 { x ^ (x &>> 7) }

/// Calls: a direct call chain and an indirect call through a table each iteration.
@inline(never)
func callLoop(iterations: Int) -> UInt64 {
  let table: [@convention(c) (UInt64) -> UInt64] = [
    { $0 &+ 1 }, { $0 ^ 0x55 }, { $0 &* 3 }, { $0 &- 7 },
  ]
  var x: UInt64 = 1
  for index in 0..<iterations {
    x = mixBits(rotateOne(timesFive(addThree(x))))
    x = table[index & 3](x)
  }
  return x
}

/// REP STOSB and REP MOVSB through the kernel's memset and memcpy (Support/libc.S).
@inline(never)
func repeatedStrings(passes: Int) -> UInt64 {
  let size = 1 << 20
  let source = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
  let target = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
  var sum: UInt64 = 0
  for pass in 0..<passes {
    source.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: pass), count: size)
    target.copyMemory(from: source, byteCount: size)
    sum &+= UInt64(target.load(fromByteOffset: pass &* 4099 & (size - 1), as: UInt8.self))
  }
  source.deallocate()
  target.deallocate()
  return sum
}
