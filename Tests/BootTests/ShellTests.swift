import Foundation
import XCTest

/// The shell under QEMU, typed at through the PS/2 keyboard: screens compared with Fixtures/.
final class ShellTests: XCTestCase {
  private func session(_ name: String, _ commands: [String]) throws {
    let session = try KernelSession()
    for command in commands { try session.run(command) }
    let screen = try session.qemu.screen()
    let serial = session.qemu.serialOutput
    try session.qemu.quit()
    try ScreenFixture.check(name, screen: screen, serial: serial)
  }

  func testHelpListsTheCommands() throws {
    try session("shell-help", ["help"])
  }

  func testEchoMemAndAnUnknownCommand() throws {
    try session("shell-echo-mem", ["echo Hello,   World!", "mem", "frobnicate now"])
  }

  func testBackspaceEditsTheLine() throws {
    // "ecjo" corrected to "echo"; the screen must show only the corrected line.
    try session("shell-backspace", ["ecj\u{8}ho fixed\u{8}\u{8}\u{8}\u{8}\u{8}typo fixed"])
  }

  func testColorChangesTheTextColours() throws {
    try session("shell-color", ["color yellow blue", "echo in colour", "color 7 0", "color"])
  }

  func testBreakpointReportsAndContinues() throws {
    try session("shell-int3", ["int3"])
  }

  func testFastTypingLosesAndDoublesNothing() throws {
    // Keys go in back to back (5 ms each, no waiting for the echo): every one must arrive once.
    let session = try KernelSession()
    let text = "The Quick Brown Fox, 0123456789 - jumps over the lazy dog!?"
    try session.run("echo " + text)
    let serial = session.qemu.serialOutput
    try session.qemu.quit()
    XCTAssertTrue(serial.contains("> echo \(text)\r\n\(text)\r\n> "), serial)
  }

  func testUptimeAdvances() throws {
    let session = try KernelSession()
    try session.run("uptime")
    usleep(300_000)
    try session.run("uptime")
    let serial = session.qemu.serialOutput
    try session.qemu.quit()
    let ticks = serial.components(separatedBy: "(").dropFirst().compactMap {
      Int($0.prefix(while: { $0.isNumber }))
    }
    XCTAssertEqual(ticks.count, 2, serial)
    if ticks.count == 2 { XCTAssertGreaterThan(ticks[1], ticks[0], "the timer did not advance") }
  }

  func testPanicCommandShowsThePanicScreen() throws {
    let session = try KernelSession()
    try session.qemu.type("panic\n")
    try session.qemu.waitForSerial(containing: "Kernel/Shell.swift:")
    try session.qemu.waitForSerial(containing: "\n", afterLastOccurrenceOf: "Kernel/Shell.swift:")
    let screen = try session.qemu.screen()
    let serial = session.qemu.serialOutput
    try session.qemu.quit()
    try ScreenFixture.check("shell-panic", screen: screen, serial: serial)
  }

  func testRebootResetsTheMachine() throws {
    // With -no-reboot QEMU exits when the guest resets: through the i8042 reset line here.
    let session = try KernelSession()
    try session.qemu.type("reboot\n")
    let status = try session.qemu.waitForExit(timeout: 20)
    XCTAssertEqual(status, 0, "QEMU exits normally on a guest reset with -no-reboot")
    XCTAssertTrue(session.qemu.serialOutput.contains("Rebooting..."))
  }

  func testPoweroffSwitchesTheMachineOff() throws {
    let session = try KernelSession()
    try session.qemu.type("poweroff\n")
    let status = try session.qemu.waitForExit(timeout: 20)
    // ACPI power-off ends QEMU with status 0; isa-debug-exit (the fallback) would give 1.
    XCTAssertEqual(status, 0, session.qemu.serialOutput)
    XCTAssertTrue(session.qemu.serialOutput.contains("Powering off."))
  }
}
