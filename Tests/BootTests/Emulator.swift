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
    /// True when emu died of a signal (a crash) instead of exiting with a status.
    var crashed: Bool
    var serial: String
    var standardError: String
    var screen: [UInt8]
  }

  /// Runs `emu --headless` on `kernel` with `arguments`, capturing serial (stdout) and the screen.
  /// `fromPackageRoot` runs it in the package's folder with the kernel's path relative to it, as a
  /// person types `emu .build/kernel/kernel.elf`: the Multiboot command line, which starts with the
  /// kernel's path, is then the same in every checkout.
  static func run(kernel: URL, arguments: [String] = [], timeout: TimeInterval = 120, fromPackageRoot: Bool = false)
    throws -> Run
  {
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
    var kernelPath = kernel.path
    let root = PackagePaths.root.path + "/"
    if fromPackageRoot && kernelPath.hasPrefix(root) {
      kernelPath.removeFirst(root.count)
      process.currentDirectoryURL = PackagePaths.root
    }
    process.arguments =
      ["--headless", "--dump-vga", screenFile.path, "--max-cycles", "20000000000"] + arguments + [kernelPath]
    // Output goes to files: a chatty guest can never block on a full pipe.
    let serialFile = directory.appendingPathComponent("serial.txt")
    let errorFile = directory.appendingPathComponent("stderr.txt")
    _ = FileManager.default.createFile(atPath: serialFile.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    let serialHandle = try FileHandle(forWritingTo: serialFile)
    let errorHandle = try FileHandle(forWritingTo: errorFile)
    defer {
      try? serialHandle.close()
      try? errorHandle.close()
    }
    process.standardOutput = serialHandle
    process.standardError = errorHandle
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
      if Date() > deadline {
        process.terminate()
        throw BootTestError.timeout("emu did not stop within \(timeout) s")
      }
      usleep(10_000)
    }
    let serialData = (try? Data(contentsOf: serialFile)) ?? Data()
    let errorData = (try? Data(contentsOf: errorFile)) ?? Data()
    let screen = (try? Data(contentsOf: screenFile)).map { Array($0) } ?? []
    return Run(
      status: process.terminationStatus, crashed: process.terminationReason == .uncaughtSignal,
      serial: String(decoding: serialData, as: UTF8.self),
      standardError: String(decoding: errorData, as: UTF8.self), screen: screen)
  }
}
