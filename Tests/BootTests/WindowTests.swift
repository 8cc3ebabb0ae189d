import Display
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
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/Xvfb") else {
      throw BootTestError.missing("Xvfb is not installed: `apt-get install xvfb` (`scripts/test` installs it)")
    }
    let kernel = try PackagePaths.requireKernel(PackagePaths.kernel)
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }

    let png = directory.appendingPathComponent("expected.png")
    let headless = try Emulator.run(kernel: kernel, arguments: ["--exit-when-idle", "--screenshot", png.path])
    XCTAssertEqual(headless.status, 0, headless.standardError)
    let expected = try PNGImage(contentsOf: png)
    XCTAssertEqual(expected.width, 720)
    XCTAssertEqual(expected.height, 400)

    let display = ":\(90 + Int.random(in: 0..<100))"
    let xvfb = Process()
    xvfb.executableURL = URL(fileURLWithPath: "/usr/bin/Xvfb")
    xvfb.arguments = [display, "-screen", "0", "1600x1000x24", "-fbdir", directory.path, "-nolisten", "tcp"]
    xvfb.standardOutput = FileHandle.nullDevice
    xvfb.standardError = FileHandle.nullDevice
    try xvfb.run()
    defer { xvfb.terminate(); xvfb.waitUntilExit() }

    let window = Process()
    window.executableURL = Emulator.executable
    window.arguments = ["--serial", "/dev/null", kernel.path]
    var environment = ProcessInfo.processInfo.environment
    environment["DISPLAY"] = display
    window.environment = environment
    let errors = Pipe()
    window.standardError = errors
    // Xvfb needs a moment before it accepts clients.
    usleep(500_000)
    try window.run()
    defer { if window.isRunning { window.terminate() }; window.waitUntilExit() }

    let scaled = upscale(expected.argb, width: 720, height: 400, by: 2)
    let frameFile = directory.appendingPathComponent("Xvfb_screen0")
    let deadline = Date().addingTimeInterval(20)
    var lastSize = ""
    while Date() < deadline {
      XCTAssertTrue(window.isRunning, "the window process ended early")
      if !window.isRunning { break }
      if let bytes = try? Data(contentsOf: frameFile), let screen = try? XWDImage(bytes: Array(bytes)) {
        lastSize = "\(screen.width)x\(screen.height)"
        if screen.locate(scaled, width: 1440, height: 800) != nil { return }
      }
      usleep(100_000)
    }
    XCTFail("the window never showed the headless screenshot (X screen \(lastSize))")
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
    func u32(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }
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
