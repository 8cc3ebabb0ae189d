import Foundation
import XCTest

/// The kernel under QEMU, the reference machine: golden screens and serial transcripts, and the
/// in-kernel test kernels' verdicts.
final class QEMUReferenceTests: XCTestCase {
  func testCodePageTableCoversAll256Codes() {
    XCTAssertEqual(CodePage437.table.count, 256)
    XCTAssertEqual(CodePage437.character(0x41), "A")
    XCTAssertEqual(CodePage437.character(0xDB), "█")
  }

  func testKernelBootScreenMatchesGolden() throws {
    let qemu = try QEMU(kernel: PackagePaths.requireKernel(PackagePaths.kernel))
    // The prompt is the last thing the kernel writes; screen cells are stored before serial bytes.
    try qemu.waitForSerial(containing: "> ")
    let screen = try qemu.screen()
    let serial = qemu.serialOutput
    try qemu.quit()
    try ScreenFixture.check("kernel", screen: screen, serial: serial)
  }

  func testPanicScreenMatchesGolden() throws {
    let qemu = try QEMU(kernel: PackagePaths.requireKernel(PackagePaths.testKernel("PanicScreen")))
    // The panic handler paints the screen before it writes the serial report.
    try qemu.waitForSerial(containing: "PanicScreen.swift:")
    try qemu.waitForSerial(containing: "\n", afterLastOccurrenceOf: "PanicScreen.swift:")
    let screen = try qemu.screen()
    let serial = qemu.serialOutput
    try qemu.quit()
    try ScreenFixture.check("panic", screen: screen, serial: serial)
  }

  func testBasicBootTestKernelPasses() throws {
    let qemu = try QEMU(kernel: PackagePaths.requireKernel(PackagePaths.testKernel("BasicBoot")))
    let status = try qemu.waitForExit()
    let serial = qemu.serialOutput
    // isa-debug-exit turns the kernel's 0x10 into QEMU status (0x10 << 1) | 1 = 33.
    XCTAssertEqual(status, 33, "basic_boot failed; serial:\n\(serial)")
    XCTAssertTrue(serial.contains("5 passed, 0 failed"), serial)
    XCTAssertFalse(serial.contains("[failed]"), serial)
  }

  func testShouldPanicTestKernelEndsInThePanicHandler() throws {
    let qemu = try QEMU(kernel: PackagePaths.requireKernel(PackagePaths.testKernel("ShouldPanic")))
    let status = try qemu.waitForExit()
    let serial = qemu.serialOutput
    XCTAssertEqual(status, 33, "should_panic did not exit through the panic handler; serial:\n\(serial)")
    XCTAssertTrue(serial.contains("KERNEL PANIC: expected panic from the should_panic test kernel"), serial)
  }
}

extension QEMU {
  /// Waits until `text` appears after the last occurrence of `marker`.
  func waitForSerial(containing text: String, afterLastOccurrenceOf marker: String) throws {
    let deadline = Date().addingTimeInterval(20)
    while true {
      let output = serialOutput
      if let range = output.range(of: marker, options: .backwards),
        output[range.upperBound...].contains(text)
      {
        return
      }
      if Date() > deadline {
        throw BootTestError.timeout("serial never showed \"\(text)\" after \"\(marker)\":\n\(output)")
      }
      usleep(20_000)
    }
  }
}
