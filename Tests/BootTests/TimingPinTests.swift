import Foundation
import XCTest

/// Virtual time is part of emu's contract: the same kernel and input reach the same state at the
/// same instruction and cycle. These runs pin both counts (with the exit status) for every test
/// kernel, the shell sessions, the benchmark guest and a set of random guests, so that a change to
/// the CPU core or the run loop cannot move time without a reviewed change to
/// `Fixtures/counts.txt`.
///
/// After an intended change of the cycle model, `UPDATE_COUNTS=1 swift test --filter TimingPinTests`
/// rewrites the fixture from the real runs; review its diff.
final class TimingPinTests: XCTestCase {
  struct Case {
    var name: String
    var kernel: URL
    var arguments: [String] = []
  }

  static var cases: [Case] {
    var cases: [Case] = [
      Case(name: "boot", kernel: PackagePaths.kernel, arguments: ["--exit-when-idle"]),
      Case(name: "shell-help", kernel: PackagePaths.kernel, arguments: ["--keys", "help\\n", "--exit-when-idle"]),
      Case(
        name: "shell-echo-mem", kernel: PackagePaths.kernel,
        arguments: ["--keys", "echo Hello,   World!\\nmem\\nfrobnicate now\\n", "--exit-when-idle"]),
      Case(
        name: "shell-color", kernel: PackagePaths.kernel,
        arguments: ["--keys", "color yellow blue\\necho in colour\\ncolor 7 0\\ncolor\\n", "--exit-when-idle"]),
      Case(name: "shell-int3", kernel: PackagePaths.kernel, arguments: ["--keys", "int3\\n", "--exit-when-idle"]),
      Case(name: "shell-panic", kernel: PackagePaths.kernel, arguments: ["--keys", "panic\\n"]),
      Case(name: "shell-reboot", kernel: PackagePaths.kernel, arguments: ["--keys", "reboot\\n", "--exit-when-idle"]),
      Case(
        name: "triple-fault-reboot", kernel: PackagePaths.testKernel("TripleFault"),
        arguments: ["--reboot", "--max-cycles", "20000000"]),
    ]
    for name in [
      "BasicBoot", "Benchmark", "Breakpoint", "HeapChurn", "PageFault", "PanicScreen", "RuntimeTrap",
      "ShouldPanic", "StackOverflow", "TimerInterrupts", "TripleFault",
    ] {
      cases.append(Case(name: name, kernel: PackagePaths.testKernel(name)))
    }
    return cases
  }

  static let fixture = PackagePaths.fixtures.appendingPathComponent("counts.txt")

  /// "NAME status S instructions I cycles C", one line per run.
  static func line(_ name: String, _ run: Emulator.Run) throws -> String {
    let pattern = #/emu: (\d+) instructions, (\d+) cycles/#
    guard let match = run.standardError.firstMatch(of: pattern) else {
      throw BootTestError.failed("\(name): no --stats line in emu's output:\n\(run.standardError)")
    }
    return "\(name) status \(run.status) instructions \(match.1) cycles \(match.2)"
  }

  func testInstructionAndCycleCountsArePinned() throws {
    var lines: [String] = []
    for c in Self.cases {
      // From the package root: the kernel's path, on its command line, must not depend on the checkout.
      let run = try Emulator.run(
        kernel: PackagePaths.requireKernel(c.kernel), arguments: ["--stats"] + c.arguments, fromPackageRoot: true)
      XCTAssertFalse(run.crashed, "\(c.name): emu crashed\n\(run.standardError)")
      lines.append(try Self.line(c.name, run))
    }
    lines += try randomGuestLines()
    let actual = lines.joined(separator: "\n") + "\n"
    if ProcessInfo.processInfo.environment["UPDATE_COUNTS"] == "1" {
      try Data(actual.utf8).write(to: Self.fixture)
      return
    }
    let expected = try String(contentsOf: Self.fixture, encoding: .utf8)
    let expectedLines = expected.split(separator: "\n").map(String.init)
    XCTAssertEqual(lines.count, expectedLines.count, "number of pinned runs")
    for (a, e) in zip(lines, expectedLines) where a != e {
      XCTFail("time moved:\n  pinned: \(e)\n  now:    \(a)")
    }
  }

  /// Random code poking ports, devices and memory (the programs of GuestFuzzTests, fewer of them):
  /// the paths through faults, port I/O and odd encodings are pinned as well.
  private func randomGuestLines() throws -> [String] {
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    var guests = RandomGuests(seed: 0x2545_F491_4F6C_DD1D)
    var lines: [String] = []
    for program in 0..<24 {
      let kernel = directory.appendingPathComponent("random-\(program).bin")
      try Data(guests.next(portAccessEvery: 7)).write(to: kernel)
      let run = try Emulator.run(kernel: kernel, arguments: ["--stats", "--max-cycles", "2000000"], timeout: 60)
      lines.append(try Self.line("random-\(program)", run))
    }
    return lines
  }
}
