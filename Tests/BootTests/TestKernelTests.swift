import Foundation
import XCTest

/// The in-kernel test kernels (Sources/Kernel/TestKernels) under QEMU. Each must leave through
/// isa-debug-exit with 0x10, which QEMU turns into status 33; anything else, including the 0 that
/// a triple fault gives with -no-reboot, is a failure.
final class TestKernelTests: XCTestCase {
  /// Boots test kernel `name`, waits for it to exit, checks the status and returns its serial.
  @discardableResult
  private func runTestKernel(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let qemu = try QEMU(kernel: PackagePaths.requireKernel(PackagePaths.testKernel(name)))
    let status = try qemu.waitForExit()
    let serial = qemu.serialOutput
    XCTAssertEqual(status, 33, "\(name) did not report success; serial:\n\(serial)", file: file, line: line)
    XCTAssertFalse(serial.contains("[failed]"), serial, file: file, line: line)
    return serial
  }

  func testBasicBoot() throws {
    let serial = try runTestKernel("BasicBoot")
    XCTAssertTrue(serial.contains("5 passed, 0 failed"), serial)
    XCTAssertTrue(serial.contains("mem_lower=639 KiB mem_upper=129920 KiB"), serial)
  }

  func testShouldPanic() throws {
    let serial = try runTestKernel("ShouldPanic")
    XCTAssertTrue(serial.contains("expected panic from the should_panic test kernel"), serial)
  }

  func testBreakpointResumes() throws {
    let serial = try runTestKernel("Breakpoint")
    XCTAssertTrue(serial.contains("EXCEPTION: BREAKPOINT"), serial)
    XCTAssertTrue(serial.contains("2 passed, 0 failed"), serial)
  }

  func testPageFaultReportsCR2AndTheErrorCode() throws {
    let serial = try runTestKernel("PageFault")
    XCTAssertTrue(serial.contains("PAGE FAULT (#PF)"), serial)
    XCTAssertTrue(serial.contains("CR2=0x0000000040000000 error code: page not present, read, kernel mode"), serial)
  }

  func testStackOverflowEndsInTheDoubleFaultHandler() throws {
    let serial = try runTestKernel("StackOverflow")
    XCTAssertTrue(serial.contains("DOUBLE FAULT (#DF)"), serial)
  }

  func testSwiftRuntimeTrapShowsItsMessage() throws {
    let serial = try runTestKernel("RuntimeTrap")
    XCTAssertTrue(serial.contains("SWIFT RUNTIME ERROR"), serial)
    XCTAssertTrue(serial.contains("Fatal error: Index out of range"), serial)
  }

  func testTimerInterruptsWakeTheIdleLoop() throws {
    let serial = try runTestKernel("TimerInterrupts")
    XCTAssertTrue(serial.contains("3 passed, 0 failed"), serial)
  }

  func testHeapChurn() throws {
    let serial = try runTestKernel("HeapChurn")
    XCTAssertTrue(serial.contains("4 passed, 0 failed"), serial)
  }

  func testTripleFaultEndsQEMUWithStatusZero() throws {
    // The harness's own check: a triple fault is not a pass. QEMU -no-reboot exits with 0.
    let qemu = try QEMU(kernel: PackagePaths.requireKernel(PackagePaths.testKernel("TripleFault")))
    let status = try qemu.waitForExit()
    XCTAssertEqual(status, 0)
    XCTAssertTrue(qemu.serialOutput.contains("loading an empty IDT"), qemu.serialOutput)
    XCTAssertFalse(qemu.serialOutput.contains("still running"), qemu.serialOutput)
  }
}
