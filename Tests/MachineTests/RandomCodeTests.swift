// Random bytes as guest code: whatever a guest executes, the host must not crash. Faults become
// guest exceptions (here, with handlers that are themselves random bytes, usually a chain that ends
// in a triple fault), unknown opcodes become #UD, and the run returns a stop reason. Seeds are fixed,
// so a failure is reproducible.

import Foundation
import XCTest

@testable import Machine

final class RandomCodeTests: XCTestCase {
  private struct XorShift {
    var state: UInt64
    mutating func next() -> UInt64 {
      state ^= state << 13
      state ^= state >> 7
      state ^= state << 17
      return state
    }
  }

  /// MACHINE_FUZZ_SCALE=N runs N times as many programs (the suite runs the base number).
  private static let scale = Int(ProcessInfo.processInfo.environment["MACHINE_FUZZ_SCALE"] ?? "") ?? 1

  private func fuzz(_ mode: Harness.Mode, runs baseRuns: Int, seed: UInt64) {
    let runs = baseRuns * Self.scale
    var random = XorShift(state: seed)
    var executed: UInt64 = 0
    var reasons: [String: Int] = [:]
    for _ in 0..<runs {
      let h = Harness(mode)
      // Random code, and random handlers for every vector, all inside the identity-mapped space.
      let code = (0..<4096).map { _ in UInt8(truncatingIfNeeded: random.next()) }
      h.memory.write(code, at: Harness.code)
      h.memory.write((0..<4096).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: Harness.data)
      for vector in 0..<32 {
        let handler = Harness.code + (random.next() % 4096)
        if mode == .long64 { h.setGate64(vector, handler: handler) } else { h.setGate32(vector, handler: handler) }
      }
      // Registers point into memory often enough for memory operands to hit RAM.
      for register in Reg.allCases where register != .rsp {
        let value = random.next()
        h.cpu.setRegister(register, value % 3 == 0 ? Harness.data + (value >> 8) % 4096 : value)
      }
      let before = h.machine.stats.instructionsRetired
      let reason = h.machine.run(until: 20_000)
      executed += h.machine.stats.instructionsRetired - before
      let key: String
      switch reason {
      case .tripleFault: key = "triple fault"
      default: key = reason.description
      }
      reasons[key, default: 0] += 1
    }
    // Not vacuous: the random code did run, and the runs ended in more than one way.
    XCTAssertGreaterThan(executed, UInt64(runs) * 5, "random code barely executed: \(reasons)")
    XCTAssertGreaterThan(reasons.count, 1, "\(reasons)")
  }

  func testRandomLongModeCodeNeverCrashesTheHost() {
    fuzz(.long64, runs: 300, seed: 0x9E37_79B9_7F4A_7C15)
  }

  func testRandomProtectedModeCodeNeverCrashesTheHost() {
    fuzz(.protected32, runs: 300, seed: 0xD1B5_4A32_D192_ED03)
  }

  func testRandomPagedProtectedModeCodeNeverCrashesTheHost() {
    fuzz(.protected32Paged, runs: 200, seed: 0x2545_F491_4F6C_DD1D)
  }

  /// A REP string instruction with an enormous count must not hold the host: it stops between
  /// iterations at the end of the slice with RIP still on it, and carries on in the next slice.
  func testRepeatedStringInstructionYieldsAtTheCycleLimit() {
    let h = Harness(.long64)
    h.cpu.setRegister(Reg.rsi, Harness.data)
    // mov rcx, 1 << 40; rep lodsb
    let code: [UInt8] = [0x48, 0xB9, 0, 0, 0, 0, 0, 1, 0, 0, 0xF3, 0xAC]
    let reason = h.run(code, cycles: 100_000)
    XCTAssertEqual(reason, .cycleLimit)
    XCTAssertEqual(h.cpu.rip, Harness.code + 10, "RIP stays on the REP instruction")
    let left = h.cpu.register(Reg.rcx)
    XCTAssertLessThan(left, 1 << 40)
    XCTAssertGreaterThan(left, (1 << 40) - 200_000)
    XCTAssertEqual(h.cpu.register(Reg.rsi) - Harness.data, (1 << 40) - left, "RSI advanced once per iteration")
    _ = h.machine.run(until: h.cpu.cycles + 100_000)
    XCTAssertLessThan(h.cpu.register(Reg.rcx), left, "the next slice continues the same instruction")
  }
}
