import Foundation

/// Our emulator, `emu`, run as a program the way a person or a script runs it.
///
/// The suite runs the release build (`swift build -c release --product emu`, which the README's
/// test command does first): the test kernels execute hundreds of millions of instructions, too
/// many for a debug build of the CPU core.
enum Emulator {
  static var executable: URL {
    PackagePaths.root.appendingPathComponent(".build/release/emu")
  }

  struct Run {
    var status: Int32
    var serial: String
    var standardError: String
    var screen: [UInt8]
  }

  /// Runs `emu --headless` on `kernel` with `arguments`, capturing serial (stdout) and the screen.
  static func run(kernel: URL, arguments: [String] = [], timeout: TimeInterval = 120) throws -> Run {
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
      throw BootTestError.missing(
        "\(executable.path) does not exist: build it with `swift build -c release --product emu` "
          + "(the README's test command does)")
    }
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let screenFile = directory.appendingPathComponent("screen.vga")
    let process = Process()
    process.executableURL = executable
    process.arguments =
      ["--headless", "--dump-vga", screenFile.path, "--max-cycles", "20000000000"] + arguments + [
        kernel.path
      ]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Read both pipes while the process runs so a chatty guest cannot fill a pipe and block.
    var serialData = Data()
    var errorData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      serialData = output.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    group.enter()
    DispatchQueue.global().async {
      errorData = errors.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
      if Date() > deadline {
        process.terminate()
        throw BootTestError.timeout("emu did not stop within \(timeout) s")
      }
      usleep(10_000)
    }
    group.wait()
    let screen = (try? Data(contentsOf: screenFile)).map { Array($0) } ?? []
    return Run(
      status: process.terminationStatus, serial: String(decoding: serialData, as: UTF8.self),
      standardError: String(decoding: errorData, as: UTF8.self), screen: screen)
  }
}
