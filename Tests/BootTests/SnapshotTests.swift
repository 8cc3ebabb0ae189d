// Snapshots of the whole machine (--save-state / --load-state, the monitor's savevm/loadvm): a run
// cut in two by a state file ends exactly as the uncut run (CPU, RAM, PIT, PIC, UART and VGA state
// all carried over), and a damaged or mismatched state file is a clear error.

import Foundation
import XCTest

final class SnapshotTests: XCTestCase {
  private func stats(_ text: String) -> String {
    let line = text.components(separatedBy: "\n").first { $0.contains(" instructions, ") } ?? ""
    return line.components(separatedBy: ", ").prefix(2).joined(separator: ", ")
  }

  func testARunCutByAStateFileEndsAsTheWholeRun() throws {
    let kernel = try PackagePaths.requireKernel(PackagePaths.testKernel("TimerInterrupts"))
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let state = directory.appendingPathComponent("half.state")
    let whole = try Emulator.run(kernel: kernel, arguments: ["--stats"], fromPackageRoot: true)
    XCTAssertEqual(whole.status, 33, whole.standardError)
    // Stop in the middle of the timer test, with interrupts in flight, and go on from the file.
    let first = try Emulator.run(
      kernel: kernel, arguments: ["--max-cycles", "10000000", "--save-state", state.path], fromPackageRoot: true)
    XCTAssertEqual(first.status, 124, first.standardError)
    let second = try Emulator.run(
      kernel: kernel, arguments: ["--stats", "--load-state", state.path], fromPackageRoot: true)
    XCTAssertEqual(second.status, whole.status, second.standardError)
    XCTAssertEqual(first.serial + second.serial, whole.serial)
    XCTAssertEqual(second.screen, whole.screen)
    XCTAssertEqual(stats(second.standardError), stats(whole.standardError))
  }

  func testDamagedAndMismatchedStateFilesAreErrors() throws {
    let kernel = try PackagePaths.requireKernel(PackagePaths.kernel)
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let state = directory.appendingPathComponent("good.state")
    let made = try Emulator.run(kernel: kernel, arguments: ["--max-cycles", "3000000", "--save-state", state.path])
    XCTAssertEqual(made.status, 124, made.standardError)
    let good = Array(try Data(contentsOf: state))
    XCTAssertGreaterThan(good.count, 4096)
    XCTAssertLessThan(good.count, 8 << 20, "only the RAM pages in use are saved")

    func load(_ bytes: [UInt8], kernel other: URL? = nil, memory: String? = nil) throws -> Emulator.Run {
      let file = directory.appendingPathComponent("case-\(UUID().uuidString).state")
      try Data(bytes).write(to: file)
      let extra = memory.map { ["--memory", $0] } ?? []
      return try Emulator.run(
        kernel: other ?? kernel, arguments: ["--max-cycles", "4000000", "--load-state", file.path] + extra)
    }
    var damaged = good
    damaged[damaged.count / 2] ^= 0x40
    for (name, bytes) in [("damaged", damaged), ("truncated", Array(good.prefix(good.count - 100))), ("empty", [])] {
      let run = try load(bytes)
      XCTAssertEqual(run.status, 2, "\(name): \(run.standardError)")
      XCTAssertFalse(run.crashed)
      XCTAssertTrue(run.serial.isEmpty, "\(name): nothing runs")
    }
    let foreign = try load(good, kernel: try PackagePaths.requireKernel(PackagePaths.testKernel("BasicBoot")))
    XCTAssertEqual(foreign.status, 2)
    XCTAssertTrue(foreign.standardError.contains("another kernel"), foreign.standardError)
    let smaller = try load(good, memory: "64")
    XCTAssertEqual(smaller.status, 2)
    XCTAssertTrue(smaller.standardError.contains("--memory 128"), smaller.standardError)
    let fine = try load(good)
    XCTAssertEqual(fine.status, 124, fine.standardError)
  }
}
