import Display
import SystemZlib
import Foundation
import XCTest

/// The real SDL window under Xvfb: what it shows must equal, pixel for pixel, the PNG that
/// `emu --headless --screenshot` renders for the same screen.
///
/// Xvfb's `-fbdir` keeps the X screen in a file in XWD format, which the test reads while the
/// window is up. The window blinks the cursor, so the test polls until a frame with the cursor in
/// its visible phase (the phase the screenshot uses) is on screen.
final class WindowTests: XCTestCase {
  func testWindowShowsWhatTheHeadlessScreenshotShows() throws {
    let expected = try headlessScreenshot(keys: nil)
    let display = try VirtualDisplay()
    let window = try display.launchWindow(serial: "/dev/null")
    try display.waitUntilShowing(expected, window: window)
  }

  /// Keys typed into the real window (xdotool, through X, SDL and the i8042) reach the shell, and
  /// the window then shows what `--keys` gives headless.
  func testTypingIntoTheWindowReachesTheShell() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/xdotool") else {
      throw BootTestError.missing("xdotool is not installed: `apt-get install xdotool` (`scripts/test` installs it)")
    }
    let expected = try headlessScreenshot(keys: "echo Hi there\\n")
    let display = try VirtualDisplay()
    let serialFile = display.directory.appendingPathComponent("serial.txt")
    let window = try display.launchWindow(serial: serialFile.path)
    // Wait for the prompt before typing: keys sent earlier would reach a guest not listening yet.
    let deadline = Date().addingTimeInterval(20)
    while !((try? String(contentsOf: serialFile, encoding: .utf8)) ?? "").contains("> ") {
      guard Date() < deadline else { return XCTFail("the window's guest never prompted") }
      usleep(50_000)
    }
    try display.xdotool([
      "search", "--sync", "--name", "emu", "windowfocus", "--sync", "type", "--delay", "20", "echo Hi there",
    ])
    try display.xdotool(["search", "--name", "emu", "key", "Return"])
    try display.waitUntilShowing(expected, window: window)
    let serial = (try? String(contentsOf: serialFile, encoding: .utf8)) ?? ""
    XCTAssertTrue(serial.contains("> echo Hi there\r\nHi there\r\n> "), serial)
  }

  /// The PNG `emu --headless --screenshot` renders for the boot screen (after `keys`, if any).
  private func headlessScreenshot(keys: String?) throws -> PNGImage {
    let kernel = try PackagePaths.requireKernel(PackagePaths.kernel)
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let png = directory.appendingPathComponent("expected.png")
    var arguments = ["--exit-when-idle", "--screenshot", png.path]
    if let keys { arguments += ["--keys", keys] }
    let run = try Emulator.run(kernel: kernel, arguments: arguments)
    XCTAssertEqual(run.status, 0, run.standardError)
    let image = try PNGImage(contentsOf: png)
    XCTAssertEqual(image.width, 720)
    XCTAssertEqual(image.height, 400)
    return image
  }
}

/// An Xvfb server whose screen is readable as a file (`-fbdir`), with emu windows on it.
final class VirtualDisplay {
  let directory: URL
  let name = ":\(90 + Int.random(in: 0..<100))"
  private let server = Process()
  private var windows: [Process] = []

  init() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/Xvfb") else {
      throw BootTestError.missing("Xvfb is not installed: `apt-get install xvfb` (`scripts/test` installs it)")
    }
    directory = try PackagePaths.temporaryDirectory()
    server.executableURL = URL(fileURLWithPath: "/usr/bin/Xvfb")
    server.arguments = [name, "-screen", "0", "1600x1000x24", "-fbdir", directory.path, "-nolisten", "tcp"]
    server.standardOutput = FileHandle.nullDevice
    server.standardError = FileHandle.nullDevice
    try server.run()
    // Xvfb needs a moment before it accepts clients.
    usleep(500_000)
  }

  deinit {
    for window in windows where window.isRunning { window.terminate() }
    for window in windows { window.waitUntilExit() }
    server.terminate()
    server.waitUntilExit()
    try? FileManager.default.removeItem(at: directory)
  }

  var environment: [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["DISPLAY"] = name
    return environment
  }

  /// Starts `emu` (window mode, default scale 2) on the package's kernel.
  func launchWindow(serial: String) throws -> Process {
    let window = Process()
    window.executableURL = Emulator.executable
    window.arguments = ["--serial", serial, try PackagePaths.requireKernel(PackagePaths.kernel).path]
    window.environment = environment
    window.standardOutput = FileHandle.nullDevice
    window.standardError = FileHandle.nullDevice
    try window.run()
    windows.append(window)
    return window
  }

  func xdotool(_ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/xdotool")
    process.arguments = arguments
    process.environment = environment
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw BootTestError.failed("xdotool \(arguments.joined(separator: " ")) failed")
    }
  }

  /// Polls the X screen until the window shows `image` at scale 2. The window blinks the cursor,
  /// so this waits for a frame in the visible phase, the phase the screenshot uses.
  func waitUntilShowing(_ image: PNGImage, window: Process, timeout: TimeInterval = 20) throws {
    let scaled = upscale(image.argb, width: 720, height: 400, by: 2)
    let frameFile = directory.appendingPathComponent("Xvfb_screen0")
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      guard window.isRunning else { throw BootTestError.failed("the window process ended early") }
      if let bytes = try? Data(contentsOf: frameFile), let screen = try? XWDImage(bytes: Array(bytes)),
        screen.locate(scaled, width: 1440, height: 800) != nil
      {
        return
      }
      usleep(100_000)
    }
    throw BootTestError.failed("the window never showed the expected screen")
  }
}

/// Just enough of a PNG reader for emu's own files: 8-bit RGBA, one IDAT run, filter 0 on every row.
struct PNGImage {
  var width = 0
  var height = 0
  var argb: [UInt32] = []

  init(contentsOf url: URL) throws {
    let bytes = Array(try Data(contentsOf: url))
    guard bytes.count > 8, Array(bytes[0..<8]) == PNGWriter.signature else {
      throw BootTestError.failed("\(url.path) is not a PNG")
    }
    func u32(_ at: Int) -> Int {
      Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
    }
    var offset = 8
    var compressed: [UInt8] = []
    while offset + 8 <= bytes.count {
      let length = u32(offset)
      let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
      let data = Array(bytes[(offset + 8)..<(offset + 8 + length)])
      if type == "IHDR" {
        width = Int(data[0]) << 24 | Int(data[1]) << 16 | Int(data[2]) << 8 | Int(data[3])
        height = Int(data[4]) << 24 | Int(data[5]) << 16 | Int(data[6]) << 8 | Int(data[7])
        guard data[8] == 8, data[9] == 6 else { throw BootTestError.failed("not 8-bit RGBA") }
      } else if type == "IDAT" {
        compressed += data
      }
      offset += 12 + length
    }
    let raw = try Zlib.decompress(compressed)
    let stride = width * 4 + 1
    guard raw.count == stride * height else { throw BootTestError.failed("wrong image data size") }
    argb.reserveCapacity(width * height)
    for row in 0..<height {
      guard raw[row * stride] == 0 else { throw BootTestError.failed("row filter \(raw[row * stride])") }
      for column in 0..<width {
        let p = row * stride + 1 + column * 4
        argb.append(UInt32(raw[p + 3]) << 24 | UInt32(raw[p]) << 16 | UInt32(raw[p + 1]) << 8 | UInt32(raw[p + 2]))
      }
    }
  }
}
