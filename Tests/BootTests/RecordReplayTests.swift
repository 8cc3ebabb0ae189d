// --record and --replay: a run whose input arrived with real-time timing (typed on the terminal
// console as the guest ran) replays headless to the same screen, serial output and counts; a
// damaged recording, another kernel or an unwritable path is a clear error.

import Foundation
import XCTest

final class RecordReplayTests: XCTestCase {
  private var kernel: URL { get throws { try PackagePaths.requireKernel(PackagePaths.kernel) } }

  /// emu with standard input from a pipe the test writes to while it runs.
  private func runTyping(_ lines: [String], arguments: [String], directory: URL) throws -> (
    status: Int32, serial: String, stats: String
  ) {
    let process = Process()
    process.executableURL = Emulator.executable
    process.arguments = ["--headless", "--stats", "--serial-in", "-"] + arguments + [try kernel.path]
    let input = Pipe()
    let serial = directory.appendingPathComponent("serial-\(UUID().uuidString)")
    let errors = directory.appendingPathComponent("stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: serial.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
    process.standardInput = input
    process.standardOutput = try FileHandle(forWritingTo: serial)
    process.standardError = try FileHandle(forWritingTo: errors)
    try process.run()
    for line in lines {
      usleep(150_000)  // the guest runs on meanwhile: where the input lands depends on the host
      input.fileHandleForWriting.write(line.data(using: .utf8)!)
    }
    let deadline = Date().addingTimeInterval(60)
    while process.isRunning && Date() < deadline { usleep(10_000) }
    if process.isRunning { process.terminate() }
    return (
      process.terminationStatus, (try? String(contentsOf: serial, encoding: .utf8)) ?? "",
      (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
    )
  }

  private func statsLine(_ text: String) -> String {
    // "emu: N instructions, M cycles, ..." without the wall time.
    let line = text.components(separatedBy: "\n").first { $0.contains(" instructions, ") } ?? ""
    return line.components(separatedBy: ", ").prefix(2).joined(separator: ", ")
  }

  func testTerminalSessionReplaysToTheSameScreenSerialAndCounts() throws {
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let recording = directory.appendingPathComponent("run.rec")
    let firstScreen = directory.appendingPathComponent("first.vga")
    let recorded = try runTyping(
      ["echo one\r", "color 1e\r", "help\r", "mem\r", "poweroff\r"],
      arguments: ["--record", recording.path, "--dump-vga", firstScreen.path], directory: directory)
    XCTAssertEqual(recorded.status, 0, recorded.stats)
    XCTAssertTrue(recorded.serial.contains("one"), recorded.serial)
    let text = try String(contentsOf: recording, encoding: .utf8)
    XCTAssertTrue(text.hasPrefix("emu-recording 1\n"), text)
    XCTAssertTrue(text.contains(" serial "), "the typed bytes are in the recording: \(text)")

    let replayScreen = directory.appendingPathComponent("replay.vga")
    let replayed = try Emulator.run(
      kernel: try kernel, arguments: ["--stats", "--replay", recording.path, "--dump-vga", replayScreen.path])
    XCTAssertEqual(replayed.status, 0, replayed.standardError)
    XCTAssertEqual(replayed.serial, recorded.serial)
    XCTAssertEqual(try Data(contentsOf: replayScreen), try Data(contentsOf: firstScreen))
    XCTAssertFalse(statsLine(recorded.stats).isEmpty, recorded.stats)
    XCTAssertEqual(statsLine(replayed.standardError), statsLine(recorded.stats))
  }

  func testKeysAndAResetReplayExactly() throws {
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let recording = directory.appendingPathComponent("keys.rec")
    let first = try Emulator.run(
      kernel: try kernel,
      arguments: ["--stats", "--keys", "echo a\\nreboot\\necho b\\n", "--exit-when-idle", "--record", recording.path])
    XCTAssertEqual(first.status, 0, first.standardError)
    XCTAssertTrue(first.standardError.contains("1 resets"), first.standardError)
    let again = try Emulator.run(kernel: try kernel, arguments: ["--stats", "--replay", recording.path])
    XCTAssertEqual(again.status, 0, again.standardError)
    XCTAssertEqual(again.serial, first.serial)
    XCTAssertEqual(again.screen, first.screen)
    XCTAssertEqual(statsLine(again.standardError), statsLine(first.standardError))
  }

  func testARecordingReplaysUnderGDBWithReverseExecution() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb") else {
      throw BootTestError.missing("gdb is not installed (scripts/ensure-deps gdb installs it)")
    }
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let recording = directory.appendingPathComponent("debug.rec")
    let first = try Emulator.run(
      kernel: try kernel, arguments: ["--keys", "echo a\\necho b\\n", "--exit-when-idle", "--record", recording.path])
    XCTAssertEqual(first.status, 0, first.standardError)
    let emu = try DebuggedEmulator(kernel: try kernel, arguments: ["--replay", recording.path])
    let output = try emu.gdb(
      [
        "break Shell.swift:51", "continue", "continue", "reverse-continue", "echo BACK\\n", "info registers rip",
        "delete", "continue",
      ], symbols: try kernel)
    XCTAssertEqual(output.components(separatedBy: "Breakpoint 1, ").count, 4, output)
    XCTAssertTrue(output.contains("exited normally"), "the recorded run ended with input consumed: \(output)")
    let exit = emu.waitForExit()
    XCTAssertEqual(exit?.status, 0, emu.standardError)
    XCTAssertEqual(emu.serial, first.serial, "the replay under gdb wrote the recorded run's output once")
  }

  func testDamagedTruncatedAndForeignRecordingsAreErrors() throws {
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let recording = directory.appendingPathComponent("good.rec")
    let made = try Emulator.run(
      kernel: try kernel, arguments: ["--keys", "help\\n", "--exit-when-idle", "--record", recording.path])
    XCTAssertEqual(made.status, 0, made.standardError)
    var bytes = Array(try Data(contentsOf: recording))

    func replay(_ contents: [UInt8], kernel other: URL? = nil) throws -> Emulator.Run {
      let file = directory.appendingPathComponent("case-\(UUID().uuidString).rec")
      try Data(contents).write(to: file)
      return try Emulator.run(kernel: try other ?? kernel, arguments: ["--replay", file.path])
    }
    // One digit changed in the first input's scancodes.
    let marker = Array("keyboard ".utf8)
    let start = try XCTUnwrap((0..<bytes.count - marker.count).first { Array(bytes[$0..<$0 + marker.count]) == marker })
    let offset = start + marker.count
    bytes[offset] = bytes[offset] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
    let damaged = try replay(bytes)
    XCTAssertEqual(damaged.status, 2)
    XCTAssertTrue(damaged.standardError.contains("damaged"), damaged.standardError)
    let original = Array(try Data(contentsOf: recording))
    let truncated = try replay(Array(original.prefix(original.count / 2)))
    XCTAssertEqual(truncated.status, 2)
    XCTAssertTrue(truncated.standardError.contains("truncated"), truncated.standardError)
    let foreign = try replay(original, kernel: try PackagePaths.requireKernel(PackagePaths.testKernel("BasicBoot")))
    XCTAssertEqual(foreign.status, 2)
    XCTAssertTrue(foreign.standardError.contains("another kernel"), foreign.standardError)
    let garbage = try replay(Array("not a recording\n".utf8))
    XCTAssertEqual(garbage.status, 2, garbage.standardError)
    XCTAssertFalse(garbage.crashed)
    // An unwritable --record path fails before the guest runs.
    let unwritable = try Emulator.run(kernel: try kernel, arguments: ["--record", "/proc/version/x.rec"])
    XCTAssertEqual(unwritable.status, 6, unwritable.standardError)
    XCTAssertTrue(unwritable.serial.isEmpty)
  }
}
