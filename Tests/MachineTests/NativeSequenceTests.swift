// The host CPU as the oracle for random instruction sequences with memory (issue 10's lesson: a
// REP MOVS over an overlapping destination was wrong in emu and no single-instruction test could
// see it). Each sequence mixes ALU, shift, multiply, move, conditional and string instructions whose
// memory operands lie close together in one 512-byte buffer: string instructions with nearby or
// overlapping source and destination, DF set and clear, REP counts from 0. The same bytes run natively
// and in emu; every register, every defined status flag, DF and every byte of the buffer must agree.
//
// Addresses: RBX holds the buffer's middle and never changes; RSI and RDI are set from it before each
// string instruction. Native and emulated buffers sit at different addresses, so those three registers
// are compared as offsets from the buffer. Flags an instruction leaves undefined are tracked: no later
// instruction reads them, and the comparison masks the ones still undefined at the end.

import XCTest

@testable import Machine

/// Runs code natively with all sixteen registers but RSP loaded from and stored back to a state
/// array (RAX..R15 by number, then RFLAGS), RDI included, so that string instructions can use it.
final class NativeSequenceExecutor {
  typealias Function = @convention(c) (UnsafeMutablePointer<UInt64>) -> Void
  // push rbx, rbp, r12-r15, rdi (the state pointer); load every register, RDI last; popfq.
  static let prologue: [UInt8] =
    [0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0x57]
    + [0x48, 0x8B, 0x07, 0x48, 0x8B, 0x4F, 0x08, 0x48, 0x8B, 0x57, 0x10, 0x48, 0x8B, 0x5F, 0x18]
    + [0x48, 0x8B, 0x6F, 0x28, 0x48, 0x8B, 0x77, 0x30]
    + [0x4C, 0x8B, 0x47, 0x40, 0x4C, 0x8B, 0x4F, 0x48, 0x4C, 0x8B, 0x57, 0x50, 0x4C, 0x8B, 0x5F, 0x58]
    + [0x4C, 0x8B, 0x67, 0x60, 0x4C, 0x8B, 0x6F, 0x68, 0x4C, 0x8B, 0x77, 0x70, 0x4C, 0x8B, 0x7F, 0x78]
    + [0xFF, 0xB7, 0x80, 0x00, 0x00, 0x00, 0x48, 0x8B, 0x7F, 0x38, 0x9D]
  // pushfq; push rdi; mov rdi, [rsp + 16]; store every register; pop RDI's and RFLAGS' slots; pop the
  // saved pointer and the callee-saved registers; cld (the ABI wants DF clear); ret.
  static let epilogue: [UInt8] =
    [0x9C, 0x57, 0x48, 0x8B, 0x7C, 0x24, 0x10]
    + [0x48, 0x89, 0x07, 0x48, 0x89, 0x4F, 0x08, 0x48, 0x89, 0x57, 0x10, 0x48, 0x89, 0x5F, 0x18]
    + [0x48, 0x89, 0x6F, 0x28, 0x48, 0x89, 0x77, 0x30]
    + [0x4C, 0x89, 0x47, 0x40, 0x4C, 0x89, 0x4F, 0x48, 0x4C, 0x89, 0x57, 0x50, 0x4C, 0x89, 0x5F, 0x58]
    + [0x4C, 0x89, 0x67, 0x60, 0x4C, 0x89, 0x6F, 0x68, 0x4C, 0x89, 0x77, 0x70, 0x4C, 0x89, 0x7F, 0x78]
    + [0x8F, 0x47, 0x38, 0x8F, 0x87, 0x80, 0x00, 0x00, 0x00, 0x5F]
    + [0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B, 0xFC, 0xC3]
  let executor: NativeExecutor

  init?() {
    guard let e = NativeExecutor() else { return nil }
    executor = e
  }

  func run(_ code: [UInt8], _ state: inout [UInt64]) {
    let all = Self.prologue + code + Self.epilogue
    precondition(all.count <= 4096)
    all.withUnsafeBytes { executor.page.copyMemory(from: $0.baseAddress!, byteCount: all.count) }
    let f = unsafeBitCast(executor.page, to: Function.self)
    state.withUnsafeMutableBufferPointer { f($0.baseAddress!) }
  }
}

/// Random instruction sequences from a small encoder, with the status flags each instruction
/// defines, leaves undefined and reads (SDM Vol. 1 appendix A).
struct SequenceGenerator {
  var rng: SplitMix
  /// Status flags left undefined by the instructions so far.
  var undefined: UInt64 = 0
  /// Registers free for arithmetic: not RSP (the stack), RBX (the buffer), RSI and RDI (string pointers).
  static let registers = [0, 1, 2, 5, 8, 9, 10, 11, 12, 13, 14, 15]
  static let all = statusFlags

  init(seed: UInt64) { rng = SplitMix(state: seed) }

  mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
  mutating func register() -> Int { pick(Self.registers) }
  mutating func size() -> Int { pick([1, 2, 4, 8]) }
  /// A displacement from RBX inside the buffer, aligned down to `size` half the time.
  mutating func displacement(_ size: Int) -> UInt8 {
    let d = Int(rng.next() % 200) - 100
    return UInt8(bitPattern: Int8(rng.next() % 2 == 0 ? d & ~(size - 1) : d))
  }

  /// Prefixes and opcode for operand size `size` (`byteOpcode` for 1, +1 otherwise), with a REX
  /// carrying W, R and B (always present for bytes, so that 4-7 are SPL..DIL rather than AH..BH).
  func encode(_ size: Int, _ byteOpcode: UInt8, reg: Int, rm: Int, twoByte: Bool = false) -> [UInt8] {
    var out: [UInt8] = size == 2 ? [0x66] : []
    let rex = 0x40 | (size == 8 ? 8 : 0) | (reg >> 3) << 2 | (rm >> 3)
    if rex != 0x40 || size == 1 { out.append(UInt8(rex)) }
    if twoByte { out.append(0x0F) }
    out.append(size == 1 ? byteOpcode : byteOpcode + 1)
    return out
  }

  func registerForm(_ reg: Int, _ rm: Int) -> UInt8 { UInt8(0xC0 | (reg & 7) << 3 | (rm & 7)) }
  /// [RBX + disp8].
  func memoryForm(_ reg: Int, _ disp: UInt8) -> [UInt8] { [UInt8(0x40 | (reg & 7) << 3 | 3), disp] }

  /// Flags a condition code reads (SDM Vol. 1 appendix B).
  func flagsRead(_ cc: Int) -> UInt64 {
    switch cc >> 1 {
    case 0: return Flag.of
    case 1: return Flag.cf
    case 2: return Flag.zf
    case 3: return Flag.cf | Flag.zf
    case 4: return Flag.sf
    case 5: return Flag.pf
    case 6: return Flag.sf | Flag.of
    default: return Flag.zf | Flag.sf | Flag.of
    }
  }

  /// One instruction (or a short group: pointer and count setup, then a string instruction) whose
  /// flag inputs are all defined. Updates `undefined`.
  mutating func next() -> [UInt8] {
    while true {
      if let (bytes, reads, defines, leaves) = candidate(), reads & undefined == 0 {
        undefined = (undefined & ~defines) | leaves
        return bytes
      }
    }
  }

  /// Bytes, flags read, flags defined, flags left undefined.
  mutating func candidate() -> ([UInt8], UInt64, UInt64, UInt64)? {
    let all = Self.all
    switch rng.next() % 13 {
    case 0, 1, 2:
      // ALU: ADD OR ADC SBB AND SUB XOR CMP, register or [RBX + d] on either side, or an imm8.
      let op = Int(rng.next() % 8), s = size(), form = rng.next() % 4
      let reads: UInt64 = op == 2 || op == 3 ? Flag.cf : 0
      let leaves: UInt64 = [1, 4, 6].contains(op) ? Flag.af : 0
      let r = register(), r2 = register()
      let bytes: [UInt8]
      switch form {
      case 0: bytes = encode(s, UInt8(op * 8), reg: r, rm: r2) + [registerForm(r, r2)]
      case 1: bytes = encode(s, UInt8(op * 8), reg: r, rm: 0) + memoryForm(r, displacement(s))
      case 2: bytes = encode(s, UInt8(op * 8 + 2), reg: r, rm: 0) + memoryForm(r, displacement(s))
      default:
        let imm = UInt8(truncatingIfNeeded: rng.operand())
        if s == 1 {
          bytes = encode(1, 0x80, reg: 0, rm: r) + [registerForm(op, r), imm]
        } else {
          bytes = encode(s, 0x82, reg: 0, rm: r) + [registerForm(op, r), imm]  // 83 /op ib
        }
      }
      return (bytes, reads, all, leaves)
    case 3:
      // INC, DEC (CF unchanged), NEG, NOT (no flags) of a register or memory.
      let s = size(), kind = Int(rng.next() % 4), r = register()
      let (opcode, ext): (UInt8, Int) = kind < 2 ? (0xFE, kind) : (0xF6, kind == 2 ? 3 : 2)
      let modrm = rng.next() % 2 == 0 ? [registerForm(ext, r)] : memoryForm(ext, displacement(s))
      let rm = modrm.count == 1 ? r : 0
      let defines: UInt64 = kind < 2 ? all & ~Flag.cf : (kind == 2 ? all : 0)
      return (encode(s, opcode, reg: 0, rm: rm) + modrm, 0, defines, 0)
    case 4:
      // Shifts and rotates by one: ROL ROR RCL RCR SHL SHR SAR (SDM Vol. 2B SAL/SAR/SHL/SHR, RCL...).
      let s = size(), ext = pick([0, 1, 2, 3, 4, 5, 7]), r = register()
      let rotate = ext < 4
      let reads: UInt64 = ext == 2 || ext == 3 ? Flag.cf : 0
      let defines: UInt64 = rotate ? Flag.cf | Flag.of : all
      return (encode(s, 0xD0, reg: 0, rm: r) + [registerForm(ext, r)], reads, defines, rotate ? 0 : Flag.af)
    case 5:
      // IMUL r, r/m: CF and OF defined, SF ZF AF PF undefined.
      let s = pick([2, 4, 8]), r = register(), r2 = register()
      let modrm = rng.next() % 2 == 0 ? [registerForm(r, r2)] : memoryForm(r, displacement(s))
      let bytes = encode(s, 0xAE, reg: r, rm: modrm.count == 1 ? r2 : 0, twoByte: true) + modrm
      return (bytes, 0, Flag.cf | Flag.of, Flag.sf | Flag.zf | Flag.af | Flag.pf)
    case 6:
      // MOV and XCHG between a register and memory or another register.
      let s = size(), r = register(), opcode = pick([UInt8(0x88), 0x8A, 0x86])
      if rng.next() % 3 == 0 {
        let r2 = register()
        return (encode(s, opcode, reg: r, rm: r2) + [registerForm(r, r2)], 0, 0, 0)
      }
      return (encode(s, opcode, reg: r, rm: 0) + memoryForm(r, displacement(s)), 0, 0, 0)
    case 7:
      // CMOVcc r, r/m and SETcc r/m8 read the flags of their condition.
      let cc = Int(rng.next() % 16), r = register()
      if rng.next() % 2 == 0 {
        let s = pick([2, 4, 8]), r2 = register()
        let modrm = rng.next() % 2 == 0 ? [registerForm(r, r2)] : memoryForm(r, displacement(s))
        let bytes = encode(s, UInt8(0x40 + cc) - 1, reg: r, rm: modrm.count == 1 ? r2 : 0, twoByte: true) + modrm
        return (bytes, flagsRead(cc), 0, 0)
      }
      let modrm = rng.next() % 2 == 0 ? [registerForm(0, r)] : memoryForm(0, displacement(1))
      return (
        encode(1, UInt8(0x90 + cc), reg: 0, rm: modrm.count == 1 ? r : 0, twoByte: true) + modrm, flagsRead(cc), 0, 0
      )
    case 8:
      // CLC STC CMC STD CLD.
      switch rng.next() % 5 {
      case 0: return ([0xF8], 0, Flag.cf, 0)
      case 1: return ([0xF9], 0, Flag.cf, 0)
      case 2: return ([0xF5], Flag.cf, Flag.cf, 0)
      case 3: return ([0xFD], 0, 0, 0)
      default: return ([0xFC], 0, 0, 0)
      }
    default:
      // A string instruction with RSI and RDI close together (often overlapping), REP with a count
      // of 0-8 or none: MOVS STOS LODS CMPS SCAS in four sizes.
      let s = size()
      let source = displacement(8), gap = Int8(truncatingIfNeeded: Int(rng.next() % 17) - 8)
      let destination = UInt8(bitPattern: Int8(truncatingIfNeeded: Int(Int8(bitPattern: source)) + Int(gap)))
      var bytes: [UInt8] = [0x48, 0x8D, 0x73, source, 0x48, 0x8D, 0x7B, destination]  // lea rsi/rdi, [rbx + d]
      let kind = Int(rng.next() % 5)
      let opcode: UInt8 = [0xA4, 0xAA, 0xAC, 0xA6, 0xAE][kind]
      let compares = kind >= 3
      let repeated = rng.next() % 3 != 0
      let count = rng.next() % 9
      if repeated {
        bytes += [0xB9] + withUnsafeBytes(of: UInt32(count).littleEndian, Array.init)  // mov ecx, count
        bytes.append(compares && rng.next() % 2 == 0 ? 0xF2 : 0xF3)
      }
      bytes += encode(s, opcode, reg: 0, rm: 0).filter { $0 != 0x40 }
      let defines: UInt64 = compares && (!repeated || count > 0) ? all : 0
      return (bytes, 0, defines, 0)
    }
  }
}

final class NativeSequenceTests: XCTestCase {
  static let bufferSize = 512

  func testRandomSequencesWithMemoryAgreeWithHostCPU() throws {
    #if !arch(x86_64)
      throw XCTSkip("the oracle is an x86_64 host")
    #endif
    guard let native = NativeSequenceExecutor() else { throw XCTSkip("no executable memory on this host") }
    let hostBuffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 64)
    defer { hostBuffer.deallocate() }
    let h = Harness()
    let guestBuffer = Harness.data
    let middle = UInt64(Self.bufferSize / 2)
    var rng = SplitMix(state: 0x5E0_0E11CE)
    var failures = 0
    let sequences = 4000
    for n in 0..<sequences {
      var generator = SequenceGenerator(seed: rng.next())
      var code: [UInt8] = []
      for _ in 0..<(2 + Int(rng.next() % 12)) { code += generator.next() }
      let contents = (0..<Self.bufferSize).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      var state = [UInt64](repeating: 0, count: 17)
      for r in 0..<16 { state[r] = rng.operand() }
      let flagsIn = (rng.next() & (statusFlags | Flag.df)) | 0x202
      state[16] = flagsIn

      // Native: the buffer at its host address.
      contents.withUnsafeBytes { hostBuffer.copyMemory(from: $0.baseAddress!, byteCount: Self.bufferSize) }
      var expected = state
      let hostMiddle = UInt64(UInt(bitPattern: hostBuffer)) + middle
      expected[Reg.rbx.rawValue] = hostMiddle
      expected[Reg.rsi.rawValue] = hostMiddle
      expected[Reg.rdi.rawValue] = hostMiddle
      native.run(code, &expected)
      let nativeBytes = Array(UnsafeRawBufferPointer(start: hostBuffer, count: Self.bufferSize))

      // emu: the same bytes at the guest buffer.
      h.memory.write(contents, at: guestBuffer)
      h.memory.write(code + [0xF4], at: Harness.code)
      for r in Reg.allCases { h.cpu.setRegister(r, state[r.rawValue]) }
      let guestMiddle = guestBuffer + middle
      h.cpu.setRegister(Reg.rbx, guestMiddle)
      h.cpu.setRegister(Reg.rsi, guestMiddle)
      h.cpu.setRegister(Reg.rdi, guestMiddle)
      h.cpu.rsp = Harness.stackTop
      h.cpu.rflags = flagsIn & ~Flag.if  // HLT with IF=0 ends the run
      h.cpu.rip = Harness.code
      let reason = h.machine.run(until: h.cpu.cycles + 100_000)

      var mismatch: [String] = []
      if reason != .halted { mismatch.append("stopped with \(reason)") }
      for r in Reg.allCases where r != .rsp {
        let pointer = r == .rbx || r == .rsi || r == .rdi
        let got = h.cpu.register(r) &- (pointer ? guestMiddle : 0)
        let want = expected[r.rawValue] &- (pointer ? hostMiddle : 0)
        if got != want { mismatch.append("\(r)=0x\(String(got, radix: 16)) want 0x\(String(want, radix: 16))") }
      }
      let care = (statusFlags | Flag.df) & ~generator.undefined
      if h.cpu.rflags & care != expected[16] & care {
        mismatch.append(
          "flags=0x\(String(h.cpu.rflags & care, radix: 16)) want 0x\(String(expected[16] & care, radix: 16))")
      }
      let emuBytes = (0..<Self.bufferSize).map { UInt8(h.read(guestBuffer + UInt64($0), size: 1)) }
      if let k = (0..<Self.bufferSize).first(where: { emuBytes[$0] != nativeBytes[$0] }) {
        mismatch.append(
          "buffer[\(k - Int(middle))]=0x\(String(emuBytes[k], radix: 16)) want 0x\(String(nativeBytes[k], radix: 16))")
      }
      if !mismatch.isEmpty {
        failures += 1
        if failures <= 5 {
          let hex = code.map { String(format: "%02x", $0) }.joined(separator: " ")
          XCTFail("sequence \(n): \(hex) flags in 0x\(String(flagsIn, radix: 16)): \(mismatch.joined(separator: ", "))")
        }
      }
    }
    XCTAssertEqual(failures, 0, "\(failures) of \(sequences) sequences disagree with the host CPU")
  }
}
