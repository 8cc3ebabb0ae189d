import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// emu's output paths (--serial, --dump-vga, --screenshot) are written in place, as a shell
/// redirection writes them: a FIFO, a symlink or a device stays what it was, and a path that cannot
/// be written is a front-end error (status 6) before the guest runs.
final class OutputPathTests: XCTestCase {
  private var directory: URL!

  override func setUpWithError() throws {
    directory = try PackagePaths.temporaryDirectory()
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  private func fileType(_ path: String) -> mode_t {
    var info = stat()
    XCTAssertEqual(lstat(path, &info), 0, "lstat \(path)")
    return info.st_mode & S_IFMT
  }

  func testSerialIntoAFIFOIsReadWhileEmuRuns() throws {
    let fifo = directory.appendingPathComponent("serial.fifo").path
    XCTAssertEqual(mkfifo(fifo, 0o600), 0)
    // Written by the reader thread before it finishes, read only after that.
    final class Received: @unchecked Sendable { var data = Data() }
    let received = Received()
    let reader = Thread {
      // Opening a FIFO for reading blocks until emu opens it for writing.
      if let handle = FileHandle(forReadingAtPath: fifo) { received.data = handle.readDataToEndOfFile() }
    }
    reader.start()
    let run = try Emulator.run(
      kernel: PackagePaths.requireKernel(PackagePaths.testKernel("BasicBoot")), arguments: ["--serial", fifo])
    while !reader.isFinished { usleep(10_000) }
    XCTAssertEqual(run.status, 33, run.standardError)
    XCTAssertEqual(fileType(fifo), S_IFIFO, "the FIFO is still a FIFO")
    XCTAssertTrue(String(decoding: received.data, as: UTF8.self).contains("5 passed, 0 failed"))
  }

  func testASymlinkStaysASymlinkAndItsTargetIsWritten() throws {
    let target = directory.appendingPathComponent("target.vga").path
    let link = directory.appendingPathComponent("link.vga").path
    XCTAssertTrue(FileManager.default.createFile(atPath: target, contents: Data("old".utf8)))
    XCTAssertEqual(symlink(target, link), 0)
    let run = try Emulator.run(
      kernel: PackagePaths.requireKernel(PackagePaths.kernel), arguments: ["--exit-when-idle", "--serial", link])
    XCTAssertEqual(run.status, 0, run.standardError)
    XCTAssertEqual(fileType(link), S_IFLNK, "the symlink is still a symlink")
    let written = try String(contentsOfFile: target, encoding: .utf8)
    XCTAssertTrue(written.contains("SWIFT KERNEL"), written)
  }

  func testACharacterDeviceIsWrittenNotReplaced() throws {
    // A private /dev/null (major 1, minor 3 in the old 16-bit dev_t encoding the kernel still takes):
    // the bug this guards against once turned the real one into a regular file.
    let device = directory.appendingPathComponent("null").path
    guard mknod(device, S_IFCHR | 0o666, (1 << 8) | 3) == 0 else {
      throw XCTSkip("mknod is not allowed here (\(String(cString: strerror(errno)))); needs root")
    }
    let run = try Emulator.run(
      kernel: PackagePaths.requireKernel(PackagePaths.kernel),
      arguments: ["--exit-when-idle", "--serial", device, "--screenshot", device])
    XCTAssertEqual(run.status, 0, run.standardError)
    XCTAssertEqual(fileType(device), S_IFCHR, "the device is still a character device")
  }

  func testUnwritablePathsAreFrontEndErrors() throws {
    let readOnly = directory.appendingPathComponent("read-only")
    try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true)
    XCTAssertEqual(chmod(readOnly.path, 0o500), 0)
    defer { chmod(readOnly.path, 0o700) }
    let cases: [(String, String)] = [
      ("--serial", directory.path),  // a directory
      ("--dump-vga", directory.appendingPathComponent("missing/screen.vga").path),
      ("--screenshot", directory.path),
    ]
    for (option, path) in cases {
      let run = try Emulator.run(
        kernel: PackagePaths.requireKernel(PackagePaths.kernel), arguments: ["--exit-when-idle", option, path])
      XCTAssertEqual(run.status, 6, "\(option) \(path): \(run.standardError)")
      XCTAssertTrue(run.standardError.contains(path), run.standardError)
      XCTAssertFalse(run.serial.contains("SWIFT KERNEL"), "the guest must not run: \(run.serial)")
    }
    // As root the mode bits do not stop a write: only check the read-only case where they do.
    if geteuid() != 0 {
      let path = readOnly.appendingPathComponent("serial.txt").path
      let run = try Emulator.run(kernel: PackagePaths.kernel, arguments: ["--exit-when-idle", "--serial", path])
      XCTAssertEqual(run.status, 6, run.standardError)
    }
  }
}
