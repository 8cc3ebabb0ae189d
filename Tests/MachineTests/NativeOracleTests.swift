// The host CPU as the oracle for user-level integer instructions: the same bytes run natively (inside a
// prologue that loads registers and RFLAGS from a buffer and an epilogue that stores them back) and in
// the emulator, with many operands; registers and the status flags must agree except where the SDM
// leaves a flag undefined.

import XCTest

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@testable import Machine

enum OracleKind {
  case arith, logic, none, shift, shift1, shiftimm5, rotate, rotate1, rotatec, mul, div, dshift, dshift1, dshift7
  case bit, bsf
}

/// SplitMix64: deterministic operands, so a failure reproduces.
struct SplitMix {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  static let edges: [UInt64] = [
    0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
    0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, ~0, ~1,
  ]

  mutating func operand() -> UInt64 {
    switch next() % 4 {
    case 0: return SplitMix.edges[Int(next() % UInt64(SplitMix.edges.count))]
    case 1: return next() & 0xFF
    default: return next()
    }
  }

  mutating func count() -> UInt64 {
    let special: [UInt64] = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65]
    return next() % 2 == 0 ? special[Int(next() % UInt64(special.count))] : next() % 80
  }
}

final class NativeExecutor {
  typealias Function = @convention(c) (UnsafeMutablePointer<UInt64>) -> Void
  static let prologue: [UInt8] = [
    0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0x48, 0x8b, 0x07, 0x48, 0x8b, 0x4f, 0x08, 0x48,
    0x8b, 0x57, 0x10, 0x48, 0x8b, 0x5f, 0x18, 0x48, 0x8b, 0x6f, 0x28, 0x48, 0x8b, 0x77, 0x30, 0x4c, 0x8b, 0x47,
    0x40, 0x4c, 0x8b, 0x4f, 0x48, 0x4c, 0x8b, 0x57, 0x50, 0x4c, 0x8b, 0x5f, 0x58, 0x4c, 0x8b, 0x67, 0x60, 0x4c,
    0x8b, 0x6f, 0x68, 0x4c, 0x8b, 0x77, 0x70, 0x4c, 0x8b, 0x7f, 0x78, 0xff, 0xb7, 0x80, 0x00, 0x00, 0x00, 0x9d,
  ]
  static let epilogue: [UInt8] = [
    0x9c, 0x8f, 0x87, 0x80, 0x00, 0x00, 0x00, 0x48, 0x89, 0x07, 0x48, 0x89, 0x4f, 0x08, 0x48, 0x89, 0x57, 0x10,
    0x48, 0x89, 0x5f, 0x18, 0x48, 0x89, 0x6f, 0x28, 0x48, 0x89, 0x77, 0x30, 0x4c, 0x89, 0x47, 0x40, 0x4c, 0x89,
    0x4f, 0x48, 0x4c, 0x89, 0x57, 0x50, 0x4c, 0x89, 0x5f, 0x58, 0x4c, 0x89, 0x67, 0x60, 0x4c, 0x89, 0x6f, 0x68,
    0x4c, 0x89, 0x77, 0x70, 0x4c, 0x89, 0x7f, 0x78, 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b,
    0xc3,
  ]
  let page: UnsafeMutableRawPointer

  init?() {
    guard let p = NativeExecutor.mapExecutable(bytes: 4096) else { return nil }
    page = p
  }

  deinit { munmap(page, 4096) }

  /// Readable, writable and executable memory for code run natively; nil where the host is not
  /// x86-64 or refuses.
  static func mapExecutable(bytes: Int) -> UnsafeMutableRawPointer? {
    #if arch(x86_64)
      guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
        p != MAP_FAILED
      else { return nil }
      return p
    #else
      return nil
    #endif
  }

  /// Runs `code` natively on `state` (17 qwords: RAX..R15 by number, then RFLAGS).
  func run(_ code: [UInt8], _ state: inout [UInt64]) {
    let all = NativeExecutor.prologue + code + NativeExecutor.epilogue
    all.withUnsafeBytes { page.copyMemory(from: $0.baseAddress!, byteCount: all.count) }
    let f = unsafeBitCast(page, to: Function.self)
    state.withUnsafeMutableBufferPointer { f($0.baseAddress!) }
  }
}

final class NativeOracleTests: XCTestCase {
  /// Flags the SDM leaves undefined for this instruction and these operands; `nil` means the result
  /// registers are undefined too (SHLD/SHRD of 16-bit operands by more than 16).
  func undefinedFlags(_ kind: OracleKind, size: Int, cl: UInt64) -> UInt64? {
    let bits = UInt64(size * 8)
    let masked = cl & (size == 8 ? 0x3F : 0x1F)
    switch kind {
    case .arith, .none, .rotate1: return 0
    case .logic, .shift1, .dshift1: return Flag.af
    case .shiftimm5, .dshift7: return Flag.af | Flag.of
    case .shift:
      if masked == 0 { return 0 }
      var u = Flag.af
      if masked != 1 { u |= Flag.of }
      if masked >= bits { u |= Flag.cf }
      return u
    case .rotate, .rotatec:
      return masked == 0 || masked == 1 ? 0 : Flag.of
    case .dshift:
      if masked == 0 { return 0 }
      if masked > bits { return nil }
      return masked == 1 ? Flag.af : Flag.af | Flag.of
    case .mul: return Flag.sf | Flag.zf | Flag.af | Flag.pf
    case .div: return statusFlags
    case .bit: return Flag.of | Flag.sf | Flag.af | Flag.pf
    case .bsf: return Flag.cf | Flag.of | Flag.sf | Flag.af | Flag.pf
    }
  }

  func testInstructionsAgreeWithHostCPU() throws {
    guard let native = NativeExecutor() else { throw XCTSkip("no executable memory on this host") }
    let h = Harness()
    var rng = SplitMix(state: 0x5EED)
    var failures = 0
    var checked = 0
    var failedNames: [String: Int] = [:]
    for (text, bytes, kind, size) in oracleInstructions {
      h.memory.write(bytes + [0xF4], at: Harness.code)
      for _ in 0..<200 {
        var state = [UInt64](repeating: 0, count: 17)
        for r in 0..<16 { state[r] = rng.operand() }
        state[Reg.rcx.rawValue] = (state[Reg.rcx.rawValue] & ~0xFF) | rng.count()
        state[Reg.rsp.rawValue] = 0
        state[Reg.rdi.rawValue] = 0
        if kind == .div {
          let divSize = ["div bl": 1, "div bx": 2, "div ebx": 4][text] ?? 8
          let m = sizeMask(divSize)
          var divisor = state[Reg.rbx.rawValue] & m
          if divisor == 0 { divisor = 1 }
          state[Reg.rbx.rawValue] = (state[Reg.rbx.rawValue] & ~m) | divisor
          if divSize == 1 {
            let ah = (state[Reg.rax.rawValue] >> 8 & 0xFF) % divisor
            state[Reg.rax.rawValue] = (state[Reg.rax.rawValue] & ~0xFF00) | (ah << 8)
          } else {
            let high = (state[Reg.rdx.rawValue] & m) % divisor
            state[Reg.rdx.rawValue] = (state[Reg.rdx.rawValue] & ~m) | high
          }
        }
        let flagsIn = (rng.next() & statusFlags) | 0x202
        state[16] = flagsIn
        var expected = state
        native.run(bytes, &expected)

        for r in Reg.allCases { h.cpu.setRegister(r, state[r.rawValue]) }
        h.cpu.rsp = Harness.stackTop
        h.cpu.rflags = flagsIn & ~Flag.if  // HLT with IF=0 ends the run
        h.cpu.rip = Harness.code
        let reason = h.machine.run(until: h.cpu.cycles + 1000)
        checked += 1
        guard let undefined = undefinedFlags(kind, size: size, cl: state[Reg.rcx.rawValue] & 0xFF) else { continue }
        var mismatch: [String] = []
        if reason != .halted { mismatch.append("stopped with \(reason)") }
        for r in Reg.allCases where r != .rsp && r != .rdi && h.cpu.register(r) != expected[r.rawValue] {
          mismatch.append(
            "\(r)=0x\(String(h.cpu.register(r), radix: 16)) want 0x\(String(expected[r.rawValue], radix: 16))")
        }
        let care = statusFlags & ~undefined
        if h.cpu.rflags & care != expected[16] & care {
          mismatch.append(
            "flags=0x\(String(h.cpu.rflags & care, radix: 16)) want 0x\(String(expected[16] & care, radix: 16))")
        }
        if !mismatch.isEmpty {
          failures += 1
          failedNames[text, default: 0] += 1
          if failedNames[text] == 1 {
            let inputs = (0..<4).map { "0x" + String(state[$0], radix: 16) }.joined(separator: " ")
            XCTFail(
              "\(text): in rax rcx rdx rbx = \(inputs) r8=0x\(String(state[8], radix: 16)) flags 0x\(String(flagsIn, radix: 16)): \(mismatch.joined(separator: ", "))"
            )
          }
        }
      }
    }
    XCTAssertEqual(failures, 0, "\(failures) of \(checked) cases disagree with the host CPU")
  }
}
