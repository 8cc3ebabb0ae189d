import Foundation
import NakedPC
import XCTest

/// The NakedPC library as another package uses it: `import NakedPC` (no @testable), a PC built in
/// this process, driven and inspected through its public API. Screens are compared with QEMU's
/// (Fixtures/), so the library and emu's command line are held to the same reference.
final class InProcessPCTests: XCTestCase {
  private let budget: UInt64 = 2_000_000_000

  private func shell() throws -> PC {
    let pc = try PC(kernelPath: PackagePaths.requireKernel(PackagePaths.kernel).path)
    try pc.run(untilSerialContains: "> ", maxCycles: budget)
    return pc
  }

  func testTheIssuesExampleRunsAsWritten() throws {
    let pc = try PC(kernelPath: PackagePaths.requireKernel(PackagePaths.kernel).path)
    try pc.run(untilSerialContains: "> ", maxCycles: 2_000_000_000)
    pc.type("echo hi\n")
    try pc.run(untilSerialContains: "hi\r\n> ", maxCycles: 2_000_000_000)
    XCTAssertEqual(pc.screenBytes.count, 4000)
    XCTAssertEqual(pc.screenRows.count, 25)
    XCTAssertTrue(pc.screenRows.contains("> echo hi"), pc.screenRows.joined(separator: "\n"))
    XCTAssertTrue(pc.serialText.hasSuffix("> echo hi\r\nhi\r\n> "), pc.serialText)
    XCTAssertNil(pc.exitStatus)
  }

  func testShellScreensEqualQEMUs() throws {
    // The same sessions emu's --keys tests type, compared with the same QEMU fixtures.
    let sessions: [(String, [String])] = [
      ("shell-help", ["help"]),
      ("shell-echo-mem", ["echo Hello,   World!", "mem", "frobnicate now"]),
      ("shell-backspace", ["ecj\u{8}ho fixed\u{8}\u{8}\u{8}\u{8}\u{8}typo fixed"]),
      ("shell-color", ["color yellow blue", "echo in colour", "color 7 0", "color"]),
    ]
    for (name, commands) in sessions {
      let pc = try shell()
      for (index, command) in commands.enumerated() {
        pc.type(command + "\n")
        let prompts = index + 2
        try pc.run(until: "prompt \(prompts)", maxCycles: budget) { pc in
          pc.serialText.components(separatedBy: "> ").count - 1 >= prompts
        }
      }
      let expected = Array(try Data(contentsOf: ScreenFixture.url(name, "vga")))
      if pc.screenBytes != expected {
        XCTFail("\(name): " + ScreenFixture.describeDifference(expected, pc.screenBytes))
      }
      let expectedSerial = try String(contentsOf: ScreenFixture.url(name, "serial"), encoding: .utf8)
      XCTAssertEqual(pc.serialText, expectedSerial, name)
    }
  }

  func testATestKernelEndsThroughIsaDebugExit() throws {
    let pc = try PC(kernelPath: PackagePaths.requireKernel(PackagePaths.testKernel("BasicBoot")).path)
    let stop = try pc.run(maxCycles: budget)
    XCTAssertEqual(stop, .debugExit(0x10))
    XCTAssertEqual(pc.exitStatus, 33)
    XCTAssertTrue(pc.serialText.contains("[ok]"), pc.serialText)
    XCTAssertFalse(pc.serialText.contains("[failed]"), pc.serialText)
    // Stopped for good: running again reports the same stop and runs nothing.
    let cycles = pc.cycles
    XCTAssertEqual(try pc.run(maxCycles: budget), .debugExit(0x10))
    XCTAssertEqual(pc.cycles, cycles)
  }

  func testAGuestThatStopsFirstIsAnErrorThatSaysWhere() throws {
    let pc = try PC(kernelPath: PackagePaths.requireKernel(PackagePaths.testKernel("BasicBoot")).path)
    XCTAssertThrowsError(try pc.run(untilSerialContains: "never printed", maxCycles: budget)) { error in
      guard case PCError.guestStopped(.debugExit(0x10), let report)? = error as? PCError else {
        return XCTFail("\(error)")
      }
      XCTAssertTrue(report.contains("never printed"), report)
      XCTAssertTrue("\(error)".contains("isa-debug-exit"), "\(error)")
    }
  }

  func testTheCycleBudgetIsPerCallAndTheGuestGoesOn() throws {
    let pc = try PC(kernelPath: PackagePaths.requireKernel(PackagePaths.kernel).path)
    XCTAssertThrowsError(try pc.run(untilSerialContains: "> ", maxCycles: 10_000)) { error in
      guard case PCError.timedOut(10_000, _)? = error as? PCError else { return XCTFail("\(error)") }
    }
    XCTAssertGreaterThanOrEqual(pc.cycles, 10_000)
    XCTAssertLessThan(pc.cycles, 200_000)
    try pc.run(untilSerialContains: "> ", maxCycles: budget)
    XCTAssertEqual(try pc.run(maxCycles: 1_000_000), .cycleLimit(pc.cycles))
  }

  func testTheSameCallsGiveTheSameCycle() throws {
    func session() throws -> (UInt64, UInt64, [UInt8]) {
      let pc = try shell()
      pc.type("mem\nuptime\n")
      try pc.run(untilSerialContains: "> uptime", maxCycles: budget)
      try pc.run(untilScreenContains: "up 0.", maxCycles: budget)
      return (pc.cycles, pc.instructions, pc.screenBytes)
    }
    let first = try session()
    let second = try session()
    XCTAssertEqual(first.0, second.0)
    XCTAssertEqual(first.1, second.1)
    XCTAssertEqual(first.2, second.2)
  }

  func testRebootBootsTheKernelAgainAndSerialCarriesOn() throws {
    let pc = try shell()
    pc.type("reboot\n")
    try pc.run(until: "a second boot's prompt", maxCycles: budget) { $0.resets == 1 }
    try pc.run(untilSerialContains: "reboot\r\n", maxCycles: budget)
    let afterReset = pc.serialOutput.count
    try pc.run(until: "the prompt again", maxCycles: budget) { pc in
      String(decoding: pc.serialOutput[afterReset...], as: UTF8.self).contains("> ")
    }
    XCTAssertEqual(pc.resets, 1)
  }

  func testPoweroffStopsThePC() throws {
    let pc = try shell()
    pc.type("poweroff\n")
    XCTAssertEqual(try pc.run(maxCycles: budget), .powerOff)
    XCTAssertEqual(pc.exitStatus, 0)
  }

  func testTheResetButtonBootsAStoppedPCAgain() throws {
    let pc = try shell()
    pc.type("poweroff\n")
    XCTAssertEqual(try pc.run(maxCycles: budget), .powerOff)
    let before = pc.serialOutput.count
    try pc.pressReset()
    XCTAssertEqual(pc.resets, 1)
    XCTAssertNil(pc.exitStatus, "running again")
    try pc.run(until: "the prompt after the reset", maxCycles: budget) { pc in
      String(decoding: pc.serialOutput[before...], as: UTF8.self).contains("> ")
    }
    pc.type("echo again\n")
    try pc.run(untilSerialContains: "again\r\n> ", maxCycles: budget)
  }

  func testSerialInputReachesTheShell() throws {
    let pc = try shell()
    pc.sendSerial("echo over serial\r")
    try pc.run(untilSerialContains: "over serial\r\n> ", maxCycles: budget)
  }

  func testAnUnknownKeyIsAnErrorOfTheNextRunAndTypesNothing() throws {
    let pc = try shell()
    pc.type("echo \\{nosuchkey}\n")
    XCTAssertThrowsError(try pc.run(maxCycles: 1_000_000)) { error in
      guard case PCError.invalidKeys(let text)? = error as? PCError else { return XCTFail("\(error)") }
      XCTAssertTrue(text.contains("nosuchkey"), text)
    }
    pc.type("help\n")
    try pc.run(untilSerialContains: "help\r\n", maxCycles: budget)
    XCTAssertFalse(pc.serialText.contains("> echo"), pc.serialText)
  }

  func testBadKernelFilesAreLoadErrors() throws {
    XCTAssertThrowsError(try PC(kernelPath: "/nonexistent/kernel.elf")) { error in
      guard case PCError.load(let text)? = error as? PCError else { return XCTFail("\(error)") }
      XCTAssertTrue(text.contains("/nonexistent/kernel.elf"), text)
    }
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let bogus = directory.appendingPathComponent("bogus.elf")
    try Data([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1] + [UInt8](repeating: 0xEE, count: 200)).write(to: bogus)
    XCTAssertThrowsError(try PC(kernelPath: bogus.path)) { error in
      guard case PCError.load? = error as? PCError else { return XCTFail("\(error)") }
    }
    XCTAssertThrowsError(try PC(kernelPath: PackagePaths.kernel.path, memoryMiB: 1))
  }

  func testScreenshotIsTheWindowsPNG() throws {
    let pc = try shell()
    let png = try pc.screenshotPNG()
    XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    // IHDR: 720 x 400.
    XCTAssertEqual(Array(png[16..<24]), [0, 0, 0x02, 0xD0, 0, 0, 0x01, 0x90])
    // emu --screenshot of the same screen writes the same bytes.
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("screen.png")
    let run = try Emulator.run(
      kernel: PackagePaths.kernel, arguments: ["--exit-when-idle", "--screenshot", file.path])
    XCTAssertEqual(run.status, 0, run.standardError)
    let idle = try PC(kernelPath: PackagePaths.kernel.path)
    try idle.run(untilSerialContains: "> ", maxCycles: budget)
    let inProcess = try idle.screenshotPNG()
    let written = Array(try Data(contentsOf: file))
    XCTAssertTrue(inProcess == written, "the PNGs differ: \(inProcess.count) and \(written.count) bytes")
    XCTAssertThrowsError(try pc.screenshotPNG(fontPath: "/nonexistent.psf"))
  }
}

/// The board's wiring, through package access: what the i8042 output port says reaches the CPU.
final class BoardWiringTests: XCTestCase {
  func testTheKeyboardControllersOutputPortGatesA20() {
    let board = Board(configuration: BoardConfiguration(), serialOutput: { _ in })
    let ports = board.machine.ports
    XCTAssertTrue(board.machine.cpu.a20Enabled)
    // Command 0xD1 (write output port), then the port value: reset line high (bit 0), A20 (bit 1) off.
    ports.write(port: 0x64, size: 1, value: 0xD1)
    ports.write(port: 0x60, size: 1, value: 0xCD)
    XCTAssertFalse(board.machine.cpu.a20Enabled)
    ports.write(port: 0x64, size: 1, value: 0xD1)
    ports.write(port: 0x60, size: 1, value: 0xCF)
    XCTAssertTrue(board.machine.cpu.a20Enabled)
  }

  func testPCTestDeviceSitsWhereQEMUPutsIt() {
    let board = Board(configuration: BoardConfiguration(), serialOutput: { _ in })
    board.machine.ports.write(port: 0xE0, size: 4, value: 0x1234_5678)
    XCTAssertEqual(board.machine.ports.read(port: 0xE0, size: 4), 0x1234_5678)
    board.machine.memory.write(0xFF00_0010, size: 8, value: 0x0102_0304_0506_0708)
    XCTAssertEqual(board.machine.memory.read(0xFF00_0010, size: 8), 0x0102_0304_0506_0708, "RAM-like window")
    XCTAssertEqual(board.machine.memory.read(0xFF01_0000, size: 4), 0xFFFF_FFFF, "64 KiB, then nothing")
    // IRQ line 11 through the slave 8259, initialized as firmware leaves it (base 0x70).
    for (port, value) in [
      (0x20, 0x11), (0x21, 0x08), (0x21, 0x04), (0x21, 0x01), (0xA0, 0x11), (0xA1, 0x70),
      (0xA1, 0x02), (0xA1, 0x01), (0x21, 0x00), (0xA1, 0x00),
    ] as [(UInt16, UInt32)] {
      board.machine.ports.write(port: port, size: 1, value: value)
    }
    board.machine.ports.write(port: 0x200B, size: 1, value: 1)
    XCTAssertTrue(board.pic.hasPendingInterrupt)
    XCTAssertEqual(board.pic.acknowledge(), 0x73)
  }

  func testAnIOAPICPinReachesTheLocalAPIC() {
    let board = Board(configuration: BoardConfiguration(), serialOutput: { _ in })
    let memory = board.machine.memory
    memory.write(0xFEE0_00F0, size: 4, value: 0x1FF)  // software-enable the local APIC
    // Pin 11: vector 0x51, fixed, edge, physical destination 0.
    memory.write(0xFEC0_0000, size: 4, value: 0x10 + 2 * 11)
    memory.write(0xFEC0_0010, size: 4, value: 0x51)
    board.machine.ports.write(port: 0x200B, size: 1, value: 1)  // pc-testdev drives line 11
    XCTAssertEqual(memory.read(0xFEE0_0200 + 0x20, size: 4), 1 << 0x11, "IRR has vector 0x51")
    // The PIT's IRQ 0 arrives on pin 2 (the source override).
    memory.write(0xFEC0_0000, size: 4, value: 0x10 + 2 * 2)
    memory.write(0xFEC0_0010, size: 4, value: 0x62)
    board.pit.write(port: 0x43, size: 1, value: 0x34)
    board.pit.write(port: 0x40, size: 1, value: 2)
    board.pit.write(port: 0x40, size: 1, value: 0)
    // Let time pass without running code: the PIT's next event is due, the run loop would advance it.
    board.machine.cpu.cycles += 1_000_000
    board.pit.advance(to: board.machine.cpu.cycles)
    XCTAssertEqual(memory.read(0xFEE0_0200 + 0x30, size: 4) & (1 << 2), 1 << 2, "IRR has vector 0x62")
  }
}
