// The debugger as a person uses it: Debian's gdb in batch mode against `emu --gdb`, on the kernel
// built with DWARF; and the protocol below gdb with a raw socket (Ctrl-C, malformed input).

import Foundation
import XCTest

final class GDBTests: XCTestCase {
  private var kernel: URL { get throws { try PackagePaths.requireKernel(PackagePaths.kernel) } }

  private func requireGDB() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb") else {
      throw BootTestError.missing("gdb is not installed (scripts/ensure-deps gdb installs it)")
    }
  }

  /// What gdb printed between `echo NAME` and the next `echo END`.
  static func section(_ name: String, of output: String) -> String {
    guard let start = output.range(of: name + "\n"),
      let end = output.range(of: "END\n", range: start.upperBound..<output.endIndex)
    else { return "" }
    return String(output[start.upperBound..<end.lowerBound])
  }

  /// Hex numbers that follow `prefix` on the lines of gdb's output.
  private func numbers(after prefix: String, in output: String) -> [UInt64] {
    output.components(separatedBy: "\n").compactMap { line in
      guard let range = line.range(of: prefix) else { return nil }
      let rest = line[range.upperBound...].drop { $0 == " " }
      guard rest.hasPrefix("0x") else { return nil }
      return UInt64(rest.dropFirst(2).prefix { $0.isHexDigit }, radix: 16)
    }
  }

  func testBreakpointsBySymbolAndSwiftLineAcrossTheSwitchToLongMode() throws {
    try requireGDB()
    let emu = try DebuggedEmulator(kernel: try kernel, arguments: ["--keys", "panic\\n"])
    let output = try emu.gdb(
      [
        // Held before the first instruction: 32-bit protected mode, at the ELF's entry.
        "info registers rip cs eflags",
        "break kernel_main",
        "break Shell.swift:66",
        "continue",
        // Now in 64-bit mode: the same register layout, so gdb reads it without complaint.
        "info registers rip cs",
        "continue",
        "bt",
        "x/2xb 0xb8002",
        "x/2i $pc",
        "stepi",
        "info registers rip",
        "monitor info registers",
        "kill",
      ], symbols: try kernel)
    XCTAssertFalse(output.contains("too long"), output)
    XCTAssertTrue(output.contains("_start () at Sources/Kernel/Boot/boot.S"), output)
    XCTAssertTrue(output.contains("Breakpoint 1, ") && output.contains("kernel_main"), output)
    XCTAssertTrue(
      output.contains("Breakpoint 2, ") && output.contains("at Sources/Kernel/Runtime/Shell.swift:66"), output)
    // bt: Shell.execute called from Shell.run (Shell.swift:23), called from kernelMain.
    XCTAssertTrue(output.contains("Sources/Kernel/Runtime/Shell.swift:23"), output)
    XCTAssertTrue(output.contains("Sources/Kernel/Main.swift"), output)
    // The banner's 'S' with its attribute, read from VGA memory through the page tables.
    XCTAssertTrue(output.contains("0xb8002:\t0x53\t0x"), output)
    // stepi lands on the instruction gdb listed second.
    let listed = output.components(separatedBy: "\n").filter { $0.hasPrefix("=> 0x") || $0.hasPrefix("   0x") }
    let addresses = listed.compactMap { UInt64($0.drop { $0 != "x" }.dropFirst().prefix { $0.isHexDigit }, radix: 16) }
    let rips = numbers(after: "rip", in: output)
    XCTAssertEqual(addresses.count, 2, output)
    XCTAssertEqual(rips.last, addresses.last, output)
    XCTAssertEqual(rips.first, 0x100020, "the ELF entry point")
    XCTAssertTrue(output.contains("CR3=") && output.contains("EFER=") && output.contains("LSTAR="), output)
    // QEMU's FPU lines: power-on FCW and MXCSR, every x87 register valid (zero), 16 XMM registers in
    // 64-bit code.
    XCTAssertTrue(output.contains("FCW=0040 FSW=0000 [ST=0] FTW=ff MXCSR=00001f80"), output)
    XCTAssertTrue(output.contains("FPR7=0000000000000000 0000") && output.contains("XMM15="), output)
    let exit = emu.waitForExit()
    XCTAssertEqual(exit?.crashed, false)
  }

  func testSSEAndX87RegistersAreShownAndXMMAndMXCSRWritable() throws {
    try requireGDB()
    let emu = try DebuggedEmulator(kernel: try kernel, arguments: [])
    let output = try emu.gdb(
      [
        "echo MXCSR\\n", "p $mxcsr", "echo END\\n",
        "set $xmm3.v2_int64[0] = 0x1122334455667788", "set $xmm3.v4_int32[3] = -2",
        "echo XMM3\\n", "p/x $xmm3.v2_int64", "echo END\\n",
        "set $mxcsr = 0x9fc0", "echo MXCSR2\\n", "p $mxcsr", "echo END\\n",
        "echo X87\\n", "p/x $fctrl", "p/x $ftag", "echo END\\n",
        "stepi", "echo AFTER\\n", "p/x $xmm3.uint128", "p/x $mxcsr", "echo END\\n",
        "kill",
      ], symbols: try kernel)
    // Power-on MXCSR: every exception masked (SDM Vol. 3A table 9-1).
    XCTAssertEqual(
      Self.section("MXCSR", of: output).trimmingCharacters(in: .whitespacesAndNewlines),
      "$1 = [ IM DM ZM OM UM PM ]", output)
    XCTAssertTrue(Self.section("XMM3", of: output).contains("{0x1122334455667788, 0xfffffffe00000000}"), output)
    XCTAssertTrue(Self.section("MXCSR2", of: output).contains("[ DAZ IM DM ZM OM UM PM FZ ]"), output)
    // Power-on FCW 0040h and every register valid and zero: the full tag word says zero (01) eight times.
    let x87 = Self.section("X87", of: output)
    XCTAssertTrue(x87.contains("= 0x40") && x87.contains("= 0x5555"), output)
    // The writes went into the machine: they are still there after an instruction ran.
    let after = Self.section("AFTER", of: output)
    XCTAssertTrue(after.contains("0xfffffffe000000001122334455667788") && after.contains("0x9fc0"), output)
    XCTAssertEqual(emu.waitForExit()?.crashed, false)
  }

  func testWatchpointOnAScreenCellStopsRightAfterTheStore() throws {
    try requireGDB()
    let emu = try DebuggedEmulator(kernel: try kernel)
    let output = try emu.gdb(
      ["watch *(char*)0xb8002", "continue", "x/1cb 0xb8002", "monitor info mem", "kill"], symbols: try kernel)
    XCTAssertTrue(output.contains("Old value = 32 ' '\nNew value = 83 'S'"), output)
    XCTAssertTrue(output.contains("0xb8002:\t83 'S'"), output)
    // Stopped in the code that writes text, on the line after the store.
    XCTAssertTrue(output.contains("Sources/Kernel/Core/TextWriter.swift"), output)
    XCTAssertTrue(output.contains("0000000000000000-"), "info mem lists the identity map: \(output)")
    XCTAssertEqual(emu.waitForExit()?.crashed, false)
  }

  func testReverseStepAndReverseContinue() throws {
    try requireGDB()
    let emu = try DebuggedEmulator(kernel: try kernel)
    let output = try emu.gdb(
      [
        "break kernel_main", "continue",
        "watch *(char*)0xb8002", "continue",
        "echo HIT1\\n", "info registers rip",
        "stepi", "echo STEP1\\n", "info registers", "x/8xg $rsp", "x/8xb 0xb8000", "echo END\\n",
        "stepi", "echo STEP2\\n", "info registers rip",
        "reverse-stepi", "echo BACK1\\n", "info registers", "x/8xg $rsp", "x/8xb 0xb8000", "echo END\\n",
        // Back past the watchpoint hits to the breakpoint, then forward again to the same hit.
        "delete 2", "reverse-continue", "echo AT-BREAK\\n", "info registers rip",
        "watch *(char*)0xb8002", "continue", "echo HIT2\\n", "info registers rip",
        "delete", "reverse-continue", "echo BEGIN\\n", "info registers rip",
        "kill",
      ], symbols: try kernel)
    let section = { (name: String) in Self.section(name, of: output) }
    // reverse-stepi gives back exactly the registers after the first step (all of them, as gdb shows
    // them), the stack and the screen.
    let afterStep = section("STEP1")
    XCTAssertTrue(afterStep.contains("rsp ") && afterStep.contains("cr3 ") && afterStep.contains("0xb8000:"), output)
    XCTAssertEqual(section("BACK1"), afterStep, output)
    XCTAssertTrue(output.contains("Breakpoint 1, 0x"), output)
    let rips = numbers(after: "rip", in: output)
    // HIT1, STEP1 (full), STEP2, BACK1 (full), AT-BREAK, HIT2, BEGIN.
    XCTAssertEqual(rips.count, 7, output)
    guard rips.count == 7 else { return }
    XCTAssertEqual(rips[3], rips[1], "reverse-stepi returns to the first step's RIP")
    XCTAssertNotEqual(rips[2], rips[1])
    XCTAssertEqual(rips[5], rips[0], "forward again to the same watchpoint hit")
    XCTAssertEqual(rips[6], 0x100020, "the start of the history is the ELF entry")
    XCTAssertTrue(output.contains("No more reverse-execution history."), output)
    XCTAssertEqual(emu.waitForExit()?.crashed, false)
  }

  func testReverseContinueAcrossTypedInputAndInterrupts() throws {
    try requireGDB()
    // Each command line reaches Shell.execute after keyboard interrupts and timer ticks; going back
    // replays them from the history, so the second arrival is the same as the first, and the
    // output written before is not written again.
    let emu = try DebuggedEmulator(kernel: try kernel, arguments: ["--keys", "echo once\\nhelp\\n"])
    let output = try emu.gdb(
      [
        "break Shell.swift:51", "continue", "continue", "echo SECOND\\n", "info registers", "echo END\\n",
        "reverse-continue", "echo FIRST\\n", "info registers rip", "echo END\\n",
        "continue", "echo AGAIN\\n", "info registers", "echo END\\n",
        "delete", "kill",
      ], symbols: try kernel)
    let section = { (name: String) in Self.section(name, of: output) }
    XCTAssertTrue(section("SECOND").contains("rip "), output)
    XCTAssertEqual(section("AGAIN"), section("SECOND"), output)
    XCTAssertEqual(
      numbers(after: "rip", in: section("FIRST")), numbers(after: "rip", in: section("SECOND")), "the same line")
    XCTAssertEqual(emu.waitForExit()?.crashed, false)
    // The output before the breakpoint is written once, not again by the replay.
    XCTAssertEqual(emu.serial.components(separatedBy: "> echo once\r\nonce\r\n").count, 2, emu.serial)
    XCTAssertEqual(emu.serial.components(separatedBy: "Type 'help'").count, 2, emu.serial)
  }

  func testSourceLevelStepsBothWaysAndArguments() throws {
    try requireGDB()
    // gdb's reverse-next and reverse-finish are built from bs, bc and breakpoints it places itself;
    // they land on the source lines a forward run went through. The line editor holds "echo once".
    let emu = try DebuggedEmulator(kernel: try kernel, arguments: ["--keys", "echo once\\n"])
    let output = try emu.gdb(
      [
        "break Shell.swift:51", "continue", "info args", "delete",
        "next", "next", "echo REVERSE-NEXT\\n", "reverse-next", "echo END\\n",
        "next", "step", "next", "echo REVERSE-FINISH\\n", "reverse-finish", "echo END\\n",
        "step", "echo FINISH\\n", "finish", "echo END\\n", "kill",
      ], symbols: try kernel)
    let section = { (name: String) in Self.section(name, of: output) }
    XCTAssertTrue(output.contains("line = {storage = {_storage = {{_value = 101 'e'}, {_value = 99 'c'}"), output)
    XCTAssertTrue(output.contains("54\t    } else if line.word(0, is: \"clear\")"), output)
    XCTAssertTrue(section("REVERSE-NEXT").contains("52\t    if line.word(0, is: \"help\")"), output)
    // Into LineEditor.word from line 54, one line on, then back out to the call.
    XCTAssertTrue(output.contains("Sources/Kernel/Core/LineEditor.swift:92"), output)
    let back = section("REVERSE-FINISH")
    XCTAssertTrue(back.contains("Shell.swift:54") && !back.contains("LineEditor.swift"), output)
    XCTAssertTrue(section("FINISH").contains("Shell.swift:54"), output)
    XCTAssertEqual(emu.waitForExit()?.crashed, false)
  }

  func testSavevmAndLoadvmFromTheMonitor() throws {
    try requireGDB()
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("first.state").path
    let emu = try DebuggedEmulator(kernel: try kernel, arguments: ["--keys", "echo once\\nhelp\\n"])
    let output = try emu.gdb(
      [
        "break Shell.swift:51", "continue", "monitor savevm first", "monitor save-state \(file)",
        "echo SAVED\\n", "info registers", "echo END\\n",
        "continue", "echo LATER\\n", "info registers", "echo END\\n",
        "monitor loadvm first", "flushregs", "echo LOADED\\n", "info registers", "echo END\\n",
        "monitor info snapshots", "monitor loadvm nothing",
        "continue", "monitor load-state \(file)", "flushregs", "echo FROM-FILE\\n", "info registers", "echo END\\n",
        "monitor load-state \(directory.path)/missing.state", "delete", "kill",
      ], symbols: try kernel)
    let section = { (name: String) in Self.section(name, of: output) }
    XCTAssertTrue(output.contains("saved snapshot 'first'"), output)
    XCTAssertTrue(section("SAVED").contains("rip "), output)
    XCTAssertNotEqual(section("LATER"), section("SAVED"))
    XCTAssertEqual(section("LOADED"), section("SAVED"), output)
    XCTAssertTrue(output.contains("wrote the machine at cycle "), output)
    XCTAssertEqual(section("FROM-FILE"), section("SAVED"), output)
    // After loadvm, --keys types again what it typed after the snapshot: the breakpoint is reached a
    // third time (the run would wait for input forever otherwise).
    XCTAssertEqual(output.components(separatedBy: "Breakpoint 1, ").count, 4, output)
    XCTAssertTrue(output.contains("load-state: cannot read "), output)
    // The file is the format --load-state reads: a new run starts from it.
    let resumed = try Emulator.run(kernel: try kernel, arguments: ["--load-state", file, "--exit-when-idle"])
    XCTAssertEqual(resumed.status, 0, resumed.standardError)
    XCTAssertTrue(resumed.serial.contains("once\r\n"), resumed.serial)
    XCTAssertTrue(output.contains("first  cycle "), output)
    XCTAssertTrue(output.contains("no snapshot named 'nothing'"), output)
    XCTAssertEqual(emu.waitForExit()?.crashed, false)
  }

  func testReverseThroughCheckpointsKeepsTheWholeMachine() throws {
    try requireGDB()
    // Late in the benchmark guest (740 M cycles, 14 checkpoints, RAM rewritten by every phase),
    // step back through a checkpoint and run to the end: the guest's checksum over all its work
    // must come out as in a run without the debugger, so every restored page and device is right.
    let benchmark = try PackagePaths.requireKernel(PackagePaths.testKernel("Benchmark"))
    let plain = try Emulator.run(kernel: benchmark)
    XCTAssertEqual(plain.status, 33, plain.standardError)
    let emu = try DebuggedEmulator(kernel: benchmark)
    let output = try emu.gdb(
      [
        // hashNumbers runs 60 times, the last ones near the end.
        "break Benchmark.swift:77", "ignore 1 58", "continue", "delete", "monitor info snapshots",
        "stepi", "echo A\\n", "info registers", "echo END\\n", "stepi", "stepi",
        "reverse-stepi", "reverse-stepi", "echo B\\n", "info registers", "echo END\\n", "continue",
      ], symbols: benchmark, timeout: 120)
    XCTAssertTrue(output.contains("reverse-execution checkpoints: 14,"), output)
    XCTAssertEqual(Self.section("B", of: output), Self.section("A", of: output), output)
    XCTAssertTrue(output.contains("exited with code 041"), output)
    XCTAssertEqual(emu.waitForExit()?.crashed, false)
    XCTAssertEqual(emu.serial, plain.serial)
  }

  func testTheWindowRunsUnderGDBToo() throws {
    try requireGDB()
    let display = try VirtualDisplay()
    let emu = try DebuggedEmulator(kernel: try kernel, arguments: ["--keys", "panic\\n"], display: display)
    let output = try emu.gdb(
      ["break Shell.swift:66", "continue", "stepi", "info registers rip", "kill"], symbols: try kernel)
    XCTAssertTrue(output.contains("Breakpoint 1, ") && output.contains("Shell.swift:66"), output)
    XCTAssertEqual(numbers(after: "rip", in: output).count, 1, output)
    let exit = emu.waitForExit()
    XCTAssertEqual(exit?.crashed, false, emu.standardError)
    XCTAssertEqual(exit?.status, 0)
  }

  func testCtrlCStopsARunningGuest() throws {
    let emu = try DebuggedEmulator(kernel: try kernel)
    let client = try RawGDBClient(port: emu.port)
    client.send(packet: "c")
    XCTAssertEqual(client.receive(timeout: 0.5), "+", "acknowledged, and no stop while the guest runs")
    client.send([0x03])
    let stop = client.receive(timeout: 10, until: "#")
    XCTAssertTrue(stop.hasPrefix("$S02#"), stop)
    client.send(Array("+".utf8))
    client.send(packet: "p10")  // rip: somewhere in the kernel, past its entry
    let rip = client.receive(timeout: 5, until: "#")
    XCTAssertTrue(rip.hasPrefix("+$") && !rip.hasPrefix("+$2000100000000000"), rip)
    client.send(packet: "k")
    XCTAssertEqual(emu.waitForExit()?.crashed, false)
  }

  func testStepsEnterPendingInterruptsOnlyWhenAsked() throws {
    let emu = try DebuggedEmulator(kernel: try kernel)
    let client = try RawGDBClient(port: emu.port)
    func exchange(_ packet: String) -> String {
      client.send(packet: packet)
      let reply = client.receive(timeout: 10, until: "#")
      client.send(Array("+".utf8))
      guard let start = reply.firstIndex(of: "$"), let end = reply.lastIndex(of: "#") else { return "" }
      return String(reply[reply.index(after: start)..<end])
    }
    func monitor(_ command: String) -> String {
      let hex = exchange("qRcmd," + command.utf8.map { String(format: "%02x", $0) }.joined())
      let bytes = stride(from: 0, to: hex.count - 1, by: 2).compactMap {
        UInt8(hex.dropFirst($0).prefix(2), radix: 16)
      }
      return String(decoding: bytes, as: UTF8.self)
    }
    func rip() -> UInt64 {
      let le = exchange("p10")
      return stride(from: 0, to: 16, by: 2).reversed().reduce(UInt64(0)) {
        $0 << 8 | UInt64(le.dropFirst($1).prefix(2), radix: 16)!
      }
    }
    // Let the shell reach its idle loop, where the timer interrupt keeps coming.
    client.send(packet: "c")
    _ = client.receive(timeout: 0.5)
    client.send([0x03])
    XCTAssertTrue(client.receive(timeout: 10, until: "#").contains("$S02#"))
    client.send(Array("+".utf8))
    let gates = Set(
      monitor("info idt").components(separatedBy: "0008:").dropFirst().compactMap { UInt64($0.prefix(16), radix: 16) })
    XCTAssertGreaterThan(gates.count, 32)
    // QEMU's default: a step never enters the pending timer interrupt.
    var entered = false
    for _ in 0..<20 {
      _ = exchange("s")
      if gates.contains(rip()) { entered = true }
    }
    XCTAssertFalse(entered, "a step entered an interrupt handler")
    XCTAssertTrue(monitor("sstep irq on").contains("enters"))
    for _ in 0..<20 where !entered {
      _ = exchange("s")
      if gates.contains(rip()) { entered = true }
    }
    XCTAssertTrue(entered, "with sstep irq on a step stops at the handler of the pending interrupt")
    client.send(packet: "k")
    XCTAssertEqual(emu.waitForExit()?.crashed, false)
  }

  func testMalformedInputGetsErrorsNeverACrashOrAHang() throws {
    let emu = try DebuggedEmulator(kernel: try kernel, maxCycles: 2_000_000_000)
    do {
      let client = try RawGDBClient(port: emu.port)
      client.send(Array("$g#00".utf8))
      XCTAssertEqual(client.receive(timeout: 5, until: "-"), "-", "a bad checksum asks for the packet again")
      client.send(Array(("$" + String(repeating: "m", count: 70_000) + "#00").utf8))
      XCTAssertTrue(client.receive(timeout: 5, until: "#").hasPrefix("+$E01#"), "an oversized packet is an error")
      // Binary noise between packets, and inside one (which then fails its checksum or is too long).
      var generator = SystemRandomNumberGenerator()
      let noise = (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
      client.send(noise.filter { $0 != 0x03 && $0 != UInt8(ascii: "$") })
      client.send(
        [UInt8(ascii: "$")] + noise.filter { $0 != UInt8(ascii: "#") && $0 != UInt8(ascii: "$") } + Array("#00".utf8))
      _ = client.receive(timeout: 1)
      for text in ["m", "mffffffffffffffff,10", "Mzz", "P1=", "Z2,,", "qXfer:features:read:target.xml:zz", "X1,1:"] {
        client.send(packet: text)
        let reply = client.receive(timeout: 5, until: "#")
        XCTAssertTrue(reply.contains("$E"), "\(text) -> \(reply)")
      }
      client.send(packet: "qC")
      XCTAssertTrue(client.receive(timeout: 5, until: "#").contains("$QC1#"), "the stub still answers")
      // A second connection while one is open is refused.
      XCTAssertThrowsError(try RawGDBClient(port: emu.port))
      // A packet cut off by the connection dropping.
      client.send(Array("$m1000,".utf8))
    }
    // gdb gone without detaching: the guest runs on by itself, here to the cycle limit.
    let exit = emu.waitForExit(timeout: 60)
    XCTAssertEqual(exit?.crashed, false)
    XCTAssertEqual(exit?.status, 124, emu.standardError)
    XCTAssertTrue(emu.serial.contains("Type 'help'"), "the kernel booted after gdb left")
  }
}
