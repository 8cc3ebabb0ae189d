import Foundation
import XCTest

/// The kernel under QEMU, the reference machine: golden boot and panic screens and serial
/// transcripts.
final class QEMUReferenceTests: XCTestCase {
  func testKernelBootScreenMatchesGolden() throws {
    let qemu = try QEMU(kernel: PackagePaths.requireKernel(PackagePaths.kernel))
    // The prompt is the last thing the kernel writes; screen cells are stored before serial bytes.
    try qemu.waitForSerial(containing: KernelSession.prompt)
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
