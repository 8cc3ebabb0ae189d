import Foundation
import XCTest

/// The same kernels in our emulator: every screen and transcript must equal what QEMU produced
/// (the golden files in Fixtures/ are QEMU's), and every test kernel must pass.
final class EmulatorBootTests: XCTestCase {
  private func checkAgainstFixture(
    _ name: String, kernel: URL = PackagePaths.kernel, arguments: [String] = [],
    expectedStatus: Int32 = 0, file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let run = try Emulator.run(kernel: PackagePaths.requireKernel(kernel), arguments: arguments)
    XCTAssertEqual(
      run.status, expectedStatus, "emu's exit status; stderr:\n\(run.standardError)", file: file, line: line)
    let expectedScreen = Array(try Data(contentsOf: ScreenFixture.url(name, "vga")))
    if run.screen != expectedScreen {
      XCTFail(
        "emu's screen differs from QEMU's (Fixtures/\(name).vga):\n"
          + ScreenFixture.describeDifference(expectedScreen, run.screen), file: file, line: line)
    }
    let expectedSerial = try String(contentsOf: ScreenFixture.url(name, "serial"), encoding: .utf8)
    XCTAssertEqual(run.serial, expectedSerial, "emu's serial differs from QEMU's", file: file, line: line)
  }

  func testBootScreenEqualsQEMUs() throws {
    try checkAgainstFixture("kernel", arguments: ["--exit-when-idle"])
  }

  func testPanicScreenEqualsQEMUs() throws {
    // The panic handler halts with interrupts disabled: emu stops with status 0.
    try checkAgainstFixture("panic", kernel: PackagePaths.testKernel("PanicScreen"))
  }

  func testShellSessionsEqualQEMUs() throws {
    let sessions: [(String, String)] = [
      ("shell-help", "help\\n"),
      ("shell-echo-mem", "echo Hello,   World!\\nmem\\nfrobnicate now\\n"),
      ("shell-backspace", "ecj\\bho fixed\\b\\b\\b\\b\\btypo fixed\\n"),
      ("shell-color", "color yellow blue\\necho in colour\\ncolor 7 0\\ncolor\\n"),
      ("shell-int3", "int3\\n"),
    ]
    for (name, keys) in sessions {
      try checkAgainstFixture(name, arguments: ["--keys", keys, "--exit-when-idle"])
    }
  }

  func testPanicCommandEqualsQEMUs() throws {
    try checkAgainstFixture("shell-panic", arguments: ["--keys", "panic\\n"])
  }

  func testTestKernelsPass() throws {
    for name in [
      "BasicBoot", "ShouldPanic", "Breakpoint", "PageFault", "StackOverflow", "RuntimeTrap",
      "TimerInterrupts", "HeapChurn",
    ] {
      let kernel = try PackagePaths.requireKernel(PackagePaths.testKernel(name))
      let run = try Emulator.run(kernel: kernel)
      XCTAssertEqual(run.status, 33, "\(name) under emu; serial:\n\(run.serial)\nstderr:\n\(run.standardError)")
      XCTAssertFalse(run.serial.contains("[failed]"), run.serial)
    }
  }

  func testBasicBootSerialEqualsQEMUs() throws {
    // Same kernel path on both command lines: the Multiboot command line starts with it.
    let kernel = try PackagePaths.requireKernel(PackagePaths.testKernel("BasicBoot"))
    let qemu = try QEMU(kernel: kernel)
    _ = try qemu.waitForExit()
    let run = try Emulator.run(kernel: kernel)
    XCTAssertEqual(run.serial, qemu.serialOutput)
  }

  func testMalformedKernelIsALoadErrorNotACrash() throws {
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let bogus = directory.appendingPathComponent("bogus.elf")
    try Data("not an ELF at all".utf8).write(to: bogus)
    let run = try Emulator.run(kernel: bogus)
    XCTAssertEqual(run.status, 2, run.standardError)
    XCTAssertTrue(run.standardError.contains("bogus.elf"), run.standardError)
  }

  func testShellReadsTheSerialConsole() throws {
    // The same shell over COM1 (IRQ 4): a terminal sends CR for Enter and DEL for Backspace.
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let input = directory.appendingPathComponent("input.txt")
    try Data("echo via serial\recho typpo\u{7F}\u{7F}o\r".utf8).write(to: input)
    let run = try Emulator.run(
      kernel: PackagePaths.kernel, arguments: ["--serial-in", input.path, "--exit-when-idle"])
    XCTAssertEqual(run.status, 0, run.standardError)
    XCTAssertTrue(run.serial.contains("> echo via serial\r\nvia serial\r\n> "), run.serial)
    // Erasing on a terminal is "\b \b"; the line that ran is "echo typo".
    XCTAssertTrue(run.serial.contains("\r\ntypo\r\n> "), run.serial)
    let rows = ScreenFixture.renderRows(run.screen)
    XCTAssertTrue(rows.contains { $0.hasPrefix("> echo typo ") }, rows.joined(separator: "\n"))
  }

  func testSerialConsoleScreenEqualsQEMUs() throws {
    // The same bytes on COM1 in both machines, sent once the shell waits: the same screen.
    let input = "echo typed on the serial line\recho typpo\u{7F}\u{7F}o\r"
    let qemu = try QEMU(kernel: PackagePaths.requireKernel(PackagePaths.kernel), serialInput: true)
    try qemu.waitForSerial(containing: KernelSession.prompt)
    try qemu.sendSerial(input)
    try qemu.waitForSerial(containing: "\r\ntypo\r\n> ")
    let qemuScreen = try qemu.screen()
    let qemuSerial = qemu.serialOutput
    try qemu.quit()

    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("input.txt")
    try Data(input.utf8).write(to: file)
    let run = try Emulator.run(
      kernel: PackagePaths.kernel, arguments: ["--serial-in", file.path, "--exit-when-idle"])
    XCTAssertEqual(run.status, 0, run.standardError)
    if run.screen != qemuScreen {
      XCTFail("emu's screen differs from QEMU's:\n" + ScreenFixture.describeDifference(qemuScreen, run.screen))
    }
    XCTAssertEqual(run.serial, qemuSerial)
  }

  func testTripleFaultStopsWithADiagnostic() throws {
    let kernel = try PackagePaths.requireKernel(PackagePaths.testKernel("TripleFault"))
    let run = try Emulator.run(kernel: kernel)
    XCTAssertEqual(run.status, 3, run.standardError)
    // INT3 -> #GP (IDT limit) -> #GP while delivering #GP -> #DF -> #GP while delivering #DF.
    XCTAssertTrue(run.standardError.contains("triple fault at RIP="), run.standardError)
    XCTAssertTrue(run.standardError.contains("#DF"), run.standardError)
    XCTAssertFalse(run.serial.contains("still running"), run.serial)
  }

  func testTripleFaultWithRebootBootsAgain() throws {
    let kernel = try PackagePaths.requireKernel(PackagePaths.testKernel("TripleFault"))
    let run = try Emulator.run(kernel: kernel, arguments: ["--reboot", "--max-cycles", "20000000"])
    XCTAssertEqual(run.status, 124, "stops only at the cycle limit")
    XCTAssertGreaterThan(run.serial.components(separatedBy: "loading an empty IDT").count - 1, 2, run.serial)
  }

  func testRebootCommandBootsAgain() throws {
    // The i8042 reset line reloads the kernel: the banner appears twice.
    let run = try Emulator.run(
      kernel: PackagePaths.kernel, arguments: ["--keys", "reboot\\n", "--exit-when-idle"])
    XCTAssertEqual(run.serial.components(separatedBy: "SWIFT KERNEL v").count - 1, 2, run.serial)
  }

  func testPoweroffEndsTheRun() throws {
    let run = try Emulator.run(kernel: PackagePaths.kernel, arguments: ["--keys", "poweroff\\n"])
    XCTAssertEqual(run.status, 0, run.standardError)
    XCTAssertTrue(run.serial.hasSuffix("Powering off.\r\n"), run.serial)
  }
}
