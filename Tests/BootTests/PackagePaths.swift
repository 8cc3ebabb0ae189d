import Foundation

/// Where the package's files are, found from this source file so tests work from any directory.
enum PackagePaths {
  static let root: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // BootTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()

  static let fixtures = root.appendingPathComponent("Fixtures")
  static let kernelBuild = root.appendingPathComponent(".build/kernel")
  static let kernel = kernelBuild.appendingPathComponent("kernel.elf")

  static func testKernel(_ name: String) -> URL {
    kernelBuild.appendingPathComponent("tests/\(name).elf")
  }

  /// A fresh scratch directory for one test.
  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("naked-machine-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// The path of a kernel image, or a failure that says how to build it.
  static func requireKernel(_ url: URL) throws -> URL {
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw BootTestError.missing(
        "\(url.path) does not exist: build the kernels first with `make all` (the README's test "
          + "command `make test` does it)")
    }
    return url
  }
}

enum BootTestError: Error, CustomStringConvertible {
  case missing(String)
  case timeout(String)
  case failed(String)

  var description: String {
    switch self {
    case .missing(let text), .timeout(let text), .failed(let text): return text
    }
  }
}
