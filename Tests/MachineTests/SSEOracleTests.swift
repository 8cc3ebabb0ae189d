// The host CPU as the oracle for MMX, SSE and SSE2: the same bytes run natively, between a prologue
// that loads the general, MMX and XMM registers, RFLAGS and MXCSR from a buffer and an epilogue that
// stores them back (SSEOracleInstructions.swift), and in the emulator. Operands are chosen per
// instruction: random integers, shift counts, or floating-point values of every class (zeros,
// denormals, numbers near the overflow and underflow thresholds and near integer boundaries,
// infinities, quiet and signaling NaNs). MXCSR gets every rounding mode with DAZ and FTZ on and off,
// all exceptions masked (an unmasked one would trap the test process: SIMDFloatExceptionTests covers
// those). Registers, flags, MXCSR and 64 bytes of memory must agree bit for bit, NaN payloads
// included; RCPPS and RSQRTPS, which the SDM defines only to 1.5 x 2^-12, within that bound.

import XCTest

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@testable import Machine

enum SSEOracleKind { case integer, shift, single, double, approx }

final class SSENativeExecutor {
  typealias Function = @convention(c) (UnsafeMutableRawPointer) -> Void
  let page: UnsafeMutableRawPointer
  /// 64 bytes the instructions' memory operands use (RSI points at it, RDI 16 bytes in).
  let data: UnsafeMutableRawPointer

  init?() {
    guard let p = NativeExecutor.mapExecutable(bytes: 8192) else { return nil }
    page = p
    data = p + 4096
  }

  deinit { munmap(page, 8192) }

  /// Runs `code` natively on `state` (the layout of gen_sse_oracle.py: 59 quadwords).
  func run(_ code: [UInt8], _ state: inout [UInt64]) {
    let all = sseOraclePrologue + code + sseOracleEpilogue
    all.withUnsafeBytes { page.copyMemory(from: $0.baseAddress!, byteCount: all.count) }
    let f = unsafeBitCast(page, to: Function.self)
    state.withUnsafeMutableBytes { f($0.baseAddress!) }
  }
}

/// State buffer slots (quadwords).
enum SSEState {
  static let flags = 16, xmm = 17, mxcsr = 49, hostMXCSR = 50, mmx = 51, count = 59
}

struct FloatOperands {
  var rng: SplitMix

  /// A value of the format `f` (single or double) from one of the classes the rounding, exception and
  /// NaN rules treat apart.
  mutating func value(_ f: FloatFormat) -> UInt64 {
    let sign: UInt64 = rng.next() & 1 == 0 ? 0 : f.signBit
    let fraction = rng.next() & f.fractionMask
    let maxField: UInt64 = (1 << UInt64(f.exponentBits)) - 1
    func field(_ e: UInt64) -> UInt64 { e << UInt64(f.fractionBits) }
    let bias = UInt64(f.bias)
    switch rng.next() % 16 {
    case 0: return sign
    case 1: return sign | f.infinity
    case 2: return sign | f.exponentField | f.quietBit | (fraction & (f.quietBit - 1))
    case 3: return sign | f.exponentField | ((fraction & (f.quietBit - 1)) | 1)
    case 4: return sign | (fraction | 1)
    case 5: return sign | [f.largest, field(1), field(1) | 1, f.largest - 1, f.fractionMask][Int(rng.next() % 5)]
    case 6, 7: return sign | field(bias - 3 + rng.next() % 8) | fraction
    case 8: return sign | field(1 + rng.next() % 30) | fraction
    case 9: return sign | field(maxField - 30 + rng.next() % 30) | fraction
    case 10:
      // Integers and halves up to 2^32, then near 2^31 and 2^63: conversions and their ties.
      var env = FloatEnvironment(mxcsr: 0x1F80)
      let n = Int64(rng.next() % (1 << 33)) - (1 << 32)
      let v = env.fromInteger(n, f)
      return rng.next() & 1 == 0 ? v : env.add(v, f.bits == 32 ? 0x3F00_0000 : 0x3FE0_0000_0000_0000, f)
    case 11: return sign | field(bias + [30, 31, 32, 62, 63, 64][Int(rng.next() % 6)]) | (fraction & 0xFF)
    case 12: return sign | field(bias + 23 + rng.next() % 32) | fraction
    default: return rng.next() & f.mask
    }
  }

  /// Two quadwords of elements of the kind.
  mutating func vector(_ kind: SSEOracleKind) -> (UInt64, UInt64) {
    switch kind {
    case .integer:
      return (rng.operand(), rng.operand())
    case .shift:
      return (rng.next() % 2 == 0 ? rng.next() % 70 : rng.operand(), rng.operand())
    case .single, .approx:
      let e = (0..<4).map { _ in value(.single) }
      return (e[0] | e[1] << 32, e[2] | e[3] << 32)
    case .double:
      return (value(.double), value(.double))
    }
  }
}

final class SSEOracleTests: XCTestCase {
  func testInstructionsAgreeWithHostCPU() throws {
    guard let native = SSENativeExecutor() else { throw XCTSkip("no executable memory on this host") }
    let h = Harness()
    h.cpu.cr4 |= ControlBit.osfxsr | ControlBit.osxmmexcpt
    var operands = FloatOperands(rng: SplitMix(state: 0x55E2))
    var failures = 0, checked = 0
    var failedNames: Set<String> = []
    for (text, bytes, kind) in sseOracleInstructions {
      h.memory.write(bytes + [0xF4], at: Harness.code)
      for _ in 0..<300 {
        var state = [UInt64](repeating: 0, count: SSEState.count)
        for r in 0..<16 { state[r] = operands.rng.operand() }
        state[Reg.rsp.rawValue] = 0
        let flagsIn = (operands.rng.next() & statusFlags) | 0x202
        state[SSEState.flags] = flagsIn
        for k in 0..<16 { (state[SSEState.xmm + 2 * k], state[SSEState.xmm + 2 * k + 1]) = operands.vector(kind) }
        for k in 0..<8 { state[SSEState.mmx + k] = operands.vector(kind == .shift ? .shift : .integer).0 }
        let rounding = operands.rng.next() & 3
        let mxcsr =
          UInt32(0x1F80 | rounding << 13) | (operands.rng.next() & 1 == 0 ? 0 : 0x40)
          | (operands.rng.next() & 1 == 0 ? 0 : 0x8000)
        state[SSEState.mxcsr] = UInt64(mxcsr)
        var memory = [UInt64](repeating: 0, count: 8)
        for k in stride(from: 0, to: 8, by: 2) { (memory[k], memory[k + 1]) = operands.vector(kind) }

        var expected = state
        expected[Reg.rsi.rawValue] = UInt64(UInt(bitPattern: native.data))
        expected[Reg.rdi.rawValue] = expected[Reg.rsi.rawValue] + 16
        memory.withUnsafeBytes { native.data.copyMemory(from: $0.baseAddress!, byteCount: 64) }
        native.run(bytes, &expected)
        let nativeMemory = (0..<8).map { native.data.load(fromByteOffset: 8 * $0, as: UInt64.self) }

        for (k, v) in memory.enumerated() { h.memory.write(Harness.data + UInt64(8 * k), size: 8, value: v) }
        for r in Reg.allCases { h.cpu.setRegister(r, state[r.rawValue]) }
        h.cpu.rsi = Harness.data
        h.cpu.rdi = Harness.data + 16
        h.cpu.rsp = Harness.stackTop
        for k in 0..<32 { h.cpu.fpu.xmm[k] = state[SSEState.xmm + k] }
        for k in 0..<8 { h.cpu.fpu.setMMX(k, state[SSEState.mmx + k]) }
        h.cpu.fpu.mxcsr = mxcsr
        h.cpu.rflags = flagsIn & ~Flag.if  // HLT with IF=0 ends the run
        h.cpu.rip = Harness.code
        let reason = h.machine.run(until: h.cpu.cycles + 1000)
        checked += 1

        var mismatch: [String] = []
        func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }
        if reason != .halted { mismatch.append("stopped with \(reason)") }
        for r in Reg.allCases where ![.rsp, .rsi, .rdi].contains(r) && h.cpu.register(r) != expected[r.rawValue] {
          mismatch.append("\(r)=\(hex(h.cpu.register(r))) want \(hex(expected[r.rawValue]))")
        }
        if h.cpu.rflags & statusFlags != expected[SSEState.flags] & statusFlags {
          mismatch.append(
            "flags=\(hex(h.cpu.rflags & statusFlags)) want \(hex(expected[SSEState.flags] & statusFlags))")
        }
        for k in 0..<32 where h.cpu.fpu.xmm[k] != expected[SSEState.xmm + k] {
          if kind == .approx && k / 2 == 1 && approximatelyEqual(h.cpu.fpu.xmm[k], expected[SSEState.xmm + k]) {
            continue
          }
          mismatch.append("xmm\(k / 2)[\(k % 2)]=\(hex(h.cpu.fpu.xmm[k])) want \(hex(expected[SSEState.xmm + k]))")
        }
        for k in 0..<8 where h.cpu.fpu.mmx(k) != expected[SSEState.mmx + k] {
          mismatch.append("mm\(k)=\(hex(h.cpu.fpu.mmx(k))) want \(hex(expected[SSEState.mmx + k]))")
        }
        if UInt64(h.cpu.fpu.mxcsr) != expected[SSEState.mxcsr] {
          mismatch.append("mxcsr=\(hex(UInt64(h.cpu.fpu.mxcsr))) want \(hex(expected[SSEState.mxcsr]))")
        }
        for k in 0..<8 where h.read(Harness.data + UInt64(8 * k)) != nativeMemory[k] {
          mismatch.append("[rsi+\(8 * k)]=\(hex(h.read(Harness.data + UInt64(8 * k)))) want \(hex(nativeMemory[k]))")
        }
        if !mismatch.isEmpty {
          failures += 1
          if failedNames.insert(text).inserted {
            let inputs = (2..<6).map { hex(state[SSEState.xmm + $0]) }.joined(separator: " ")
            let mem = memory.prefix(2).map(hex).joined(separator: " ")
            XCTFail(
              "\(text): xmm1 xmm2 \(inputs) [rsi] \(mem) mxcsr \(hex(UInt64(mxcsr))) rax \(hex(state[0])): \(mismatch.joined(separator: ", "))"
            )
          }
        }
      }
    }
    XCTAssertEqual(failures, 0, "\(failures) of \(checked) cases disagree with the host CPU")
  }

  /// Two quadwords of RCPPS/RSQRTPS results agree when each single is the same special value or both
  /// are within 2 x 1.5 x 2^-12 of each other (each within the SDM's bound of the true value). Near
  /// the flush threshold the SDM lets a tiny result be zero or not.
  func approximatelyEqual(_ a: UInt64, _ b: UInt64) -> Bool {
    for shift in [UInt64(0), 32] {
      let x = Float(bitPattern: UInt32(truncatingIfNeeded: a >> shift))
      let y = Float(bitPattern: UInt32(truncatingIfNeeded: b >> shift))
      if x.bitPattern == y.bitPattern { continue }
      if !x.isFinite || !y.isFinite || x.sign != y.sign { return false }
      if x == 0 || y == 0 {
        if abs(x) + abs(y) > 0x1p-125 { return false }
        continue
      }
      if abs(x - y) > 3 * 0x1p-12 * abs(y) { return false }
    }
    return true
  }
}
