// Instruction bytes as the CPU fetches them: consecutive linear addresses through the TLB, with
// execute permission, so a fetch that reaches an unmapped page raises #PF for that page.

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
