// --record and --replay: a run whose input arrived with real-time timing (typed on the terminal
// console as the guest ran) replays headless to the same screen, serial output and counts; a
// damaged recording, another kernel or an unwritable path is a clear error. Modules, the CPU vendor
// and a start from a state file are in the recording too, and a replay checks them.

import Foundation
import NakedPC
import SystemZlib
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
    XCTAssertTrue(text.hasPrefix("emu-recording 2\n"), text)
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

  func testAResetFromTheMonitorIsRecordedAndReplayed() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb") else {
      throw BootTestError.missing("gdb is not installed (scripts/ensure-deps gdb installs it)")
    }
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let recording = directory.appendingPathComponent("reset.rec")
    let emu = try DebuggedEmulator(
      kernel: try kernel,
      arguments: ["--keys", "echo a\\npoweroff\\n", "--record", recording.path, "--stats"])
    let output = try emu.gdb(
      ["break Shell.swift:51", "continue", "monitor system_reset", "delete", "continue"],
      symbols: try kernel)
    XCTAssertTrue(output.contains("reset at cycle "), output)
    XCTAssertTrue(output.contains("exited normally"), output)
    XCTAssertEqual(emu.waitForExit()?.status, 0, emu.standardError)
    // Reset as the shell was about to run the first line: it never ran; the second boot's shell got
    // the next line, which powered off.
    XCTAssertFalse(emu.serial.contains("\r\na\r\n"), emu.serial)
    XCTAssertEqual(emu.serial.components(separatedBy: "Type 'help'").count, 3, emu.serial)
    XCTAssertTrue(try String(contentsOf: recording, encoding: .utf8).contains(" reset\n"))
    let replayed = try Emulator.run(kernel: try kernel, arguments: ["--replay", recording.path, "--stats"])
    XCTAssertEqual(replayed.status, 0, replayed.standardError)
    XCTAssertEqual(replayed.serial, emu.serial)
    XCTAssertTrue(replayed.standardError.contains("1 resets"), replayed.standardError)
    XCTAssertEqual(statsLine(replayed.standardError), statsLine(emu.standardError))
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

  func testModulesAndTheCPUVendorAreRecordedAndCheckedOnReplay() throws {
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    // Reports CPUID's first vendor byte ('G' or 'A') plus 16 per module through isa-debug-exit.
    let probe = directory.appendingPathComponent("probe.bin")
    try Data(
      GuestFuzzTests.multibootImage(code: [
        0x8B, 0x73, 0x14,  // mov esi, [ebx + 20]    mods_count
        0x31, 0xC0,  // xor eax, eax
        0x0F, 0xA2,  // cpuid
        0x0F, 0xB6, 0xC3,  // movzx eax, bl
        0xC1, 0xE6, 0x04,  // shl esi, 4
        0x01, 0xF0,  // add eax, esi
        0xE7, 0xF4,  // out 0xF4, eax
        0xFA, 0xF4,  // cli; hlt
      ])
    ).write(to: probe)
    let module = directory.appendingPathComponent("one.mod")
    try Data(Array("module contents".utf8)).write(to: module)
    let recording = directory.appendingPathComponent("probe.rec")
    let expected: Int32 = ((0x41 + 16) << 1) | 1
    let made = try Emulator.run(
      kernel: probe,
      arguments: ["--cpu-vendor", "amd", "--initrd", "\(module.path) x=1", "--record", recording.path, "--stats"])
    XCTAssertEqual(made.status, expected, made.standardError)
    let text = try String(contentsOf: recording, encoding: .utf8)
    XCTAssertTrue(text.contains(" cpu-vendor amd "), text)
    XCTAssertTrue(text.contains("\nmodule 15 "), text)

    // The same module from another path replays (files are known by their contents); the vendor
    // comes from the recording.
    let copy = directory.appendingPathComponent("copy.mod")
    try FileManager.default.copyItem(at: module, to: copy)
    let replayed = try Emulator.run(
      kernel: probe, arguments: ["--replay", recording.path, "--initrd", copy.path, "--stats"])
    XCTAssertEqual(replayed.status, expected, replayed.standardError)
    XCTAssertEqual(statsLine(replayed.standardError), statsLine(made.standardError))

    let missing = try Emulator.run(kernel: probe, arguments: ["--replay", recording.path])
    XCTAssertEqual(missing.status, 2)
    XCTAssertTrue(
      missing.standardError.contains("1 --initrd modules ('\(module.path) x=1'); 0 given"), missing.standardError)
    try Data(Array("other contents!".utf8)).write(to: copy)
    let other = try Emulator.run(kernel: probe, arguments: ["--replay", recording.path, "--initrd", copy.path])
    XCTAssertEqual(other.status, 2)
    XCTAssertTrue(other.standardError.contains("module 1 was"), other.standardError)
  }

  func testARunFromAStateFileRecordsAndReplaysFromIt() throws {
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let state = directory.appendingPathComponent("one.state")
    let first = try Emulator.run(
      kernel: try kernel, arguments: ["--keys", "echo one\\n", "--exit-when-idle", "--save-state", state.path])
    XCTAssertEqual(first.status, 0, first.standardError)
    let recording = directory.appendingPathComponent("two.rec")
    let recorded = try Emulator.run(
      kernel: try kernel,
      arguments: [
        "--load-state", state.path, "--keys", "echo two\\n", "--exit-when-idle", "--record", recording.path, "--stats",
      ])
    XCTAssertEqual(recorded.status, 0, recorded.standardError)
    XCTAssertTrue(recorded.serial.contains("two") && !recorded.serial.contains("one"), recorded.serial)
    XCTAssertTrue(try String(contentsOf: recording, encoding: .utf8).contains("\nstart-state "))

    let replayed = try Emulator.run(
      kernel: try kernel, arguments: ["--replay", recording.path, "--load-state", state.path, "--stats"])
    XCTAssertEqual(replayed.status, 0, replayed.standardError)
    XCTAssertEqual(replayed.serial, recorded.serial)
    XCTAssertEqual(replayed.screen, recorded.screen)
    XCTAssertEqual(statsLine(replayed.standardError), statsLine(recorded.standardError))

    let without = try Emulator.run(kernel: try kernel, arguments: ["--replay", recording.path])
    XCTAssertEqual(without.status, 2)
    XCTAssertTrue(without.standardError.contains("give it with --load-state"), without.standardError)
    let otherState = directory.appendingPathComponent("other.state")
    let other = try Emulator.run(
      kernel: try kernel, arguments: ["--keys", "help\\n", "--exit-when-idle", "--save-state", otherState.path])
    XCTAssertEqual(other.status, 0, other.standardError)
    let wrong = try Emulator.run(
      kernel: try kernel, arguments: ["--replay", recording.path, "--load-state", otherState.path])
    XCTAssertEqual(wrong.status, 2)
    XCTAssertTrue(wrong.standardError.contains("another state file"), wrong.standardError)
  }

  func testAVersion1RecordingStillReplays() throws {
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let recording = directory.appendingPathComponent("new.rec")
    let made = try Emulator.run(
      kernel: try kernel, arguments: ["--keys", "echo old\\n", "--exit-when-idle", "--record", recording.path])
    XCTAssertEqual(made.status, 0, made.standardError)
    // Version 1 is version 2 without the cpu-vendor option, for a run with no modules or state.
    var lines = Array(try String(contentsOf: recording, encoding: .utf8).components(separatedBy: "\n").dropLast(2))
    lines[0] = "emu-recording 1"
    lines = lines.map { $0.replacingOccurrences(of: " cpu-vendor intel", with: "") }
    let bytes = checksummed(lines)
    XCTAssertEqual(try Recording.decode(bytes).cpuVendor, .intel)
    let old = directory.appendingPathComponent("old.rec")
    try Data(bytes).write(to: old)
    let replayed = try Emulator.run(kernel: try kernel, arguments: ["--replay", old.path])
    XCTAssertEqual(replayed.status, 0, replayed.standardError)
    XCTAssertEqual(replayed.serial, made.serial)
  }

  /// A recording's text with its checksum line.
  private func checksummed(_ lines: [String]) -> [UInt8] {
    var bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
    let sum = String(CRC32.checksum(bytes), radix: 16)
    bytes += Array("checksum \(String(repeating: "0", count: 8 - sum.count) + sum)\n".utf8)
    return bytes
  }

  func testTheRecordingFormatRoundTripsAndRefusesMangledLinesWithAReason() throws {
    let lines = [
      "emu-recording 2", "kernel 392040 e46a4f14 6b2e656c66", "module 15 0a0b0c0d 6f6e652e6d6f642078",
      "module 3 00000001 -", "start-state 244023 2144df1c",
      "options memory-mib 64 cycles-per-second 100000000 rtc-epoch -5 strict 1 reboot 0 cpu-vendor amd append 6869",
      "input 10 keyboard 1e9e", "input 10 serial 0d", "input 20 step", "input 30 register 16 1000100000000000",
      "input 40 memory b8000 5307", "end 50 44 triple-fault 626f6f6d",
    ]
    let recording = try Recording.decode(checksummed(lines))
    XCTAssertEqual(recording.modules.map(\.name), ["one.mod x", ""])
    XCTAssertEqual(recording.startState, FileIdentity(size: 244023, crc: 0x2144_df1c))
    XCTAssertEqual(recording.cpuVendor, .amd)
    XCTAssertEqual(recording.rtcEpoch, -5)
    XCTAssertEqual(recording.inputs.count, 5)
    XCTAssertEqual(recording.result, .tripleFault("boom"))
    XCTAssertEqual(recording.encoded(), checksummed(lines), "encoding gives back the same text")

    // Every line with a field dropped, a field replaced by garbage, the line doubled or dropped,
    // under a valid checksum: decoded or refused with a line number, never a crash.
    var refused = 0
    for k in lines.indices {
      let fields = lines[k].split(separator: " ").map(String.init)
      var variants: [[String]] = [Array(lines[..<k] + lines[(k + 1)...]), Array(lines[...k] + lines[k...])]
      for f in fields.indices {
        var fewer = fields
        fewer.remove(at: f)
        var garbled = fields
        garbled[f] = "zz-\u{7f}"
        for changed in [fewer, garbled] {
          var mangled = lines
          mangled[k] = changed.joined(separator: " ")
          variants.append(mangled)
        }
      }
      for variant in variants {
        do {
          _ = try Recording.decode(checksummed(variant))
        } catch let error as Recording.FormatError {
          refused += 1
          XCTAssertFalse(error.description.isEmpty)
        }
      }
    }
    XCTAssertGreaterThan(refused, 100)
  }
}
