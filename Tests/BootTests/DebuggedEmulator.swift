import Foundation

/// `emu --headless --gdb 0` on a kernel, with the port it listens on, for driving the real gdb or a
/// raw socket against it.
final class DebuggedEmulator {
  let process = Process()
  let port: UInt16
  private let directory: URL
  private let errorFile: URL
  private let serialFile: URL

  /// Without `maxCycles` the guest runs until gdb or the guest ends the run. With `display`, emu
  /// opens its window there instead of running headless.
  init(kernel: URL, arguments: [String] = [], maxCycles: UInt64? = nil, display: VirtualDisplay? = nil) throws {
    directory = try PackagePaths.temporaryDirectory()
    errorFile = directory.appendingPathComponent("stderr.txt")
    serialFile = directory.appendingPathComponent("serial.txt")
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    _ = FileManager.default.createFile(atPath: serialFile.path, contents: nil)
    process.executableURL = Emulator.executable
    let limit = maxCycles.map { ["--max-cycles", String($0)] } ?? []
    process.arguments = (display == nil ? ["--headless"] : []) + ["--gdb", "0"] + limit + arguments + [kernel.path]
    if let display { process.environment = display.environment }
    process.standardOutput = try FileHandle(forWritingTo: serialFile)
    process.standardError = try FileHandle(forWritingTo: errorFile)
    try process.run()
    // emu names its port on standard error before it waits for gdb.
    let deadline = Date().addingTimeInterval(20)
    var found: UInt16?
    while found == nil && Date() < deadline && process.isRunning {
      let text = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
      if let range = text.range(of: "waiting for gdb on 127.0.0.1:") {
        found = UInt16(text[range.upperBound...].prefix { $0.isNumber })
      }
      if found == nil { usleep(10_000) }
    }
    guard let found else {
      process.terminate()
      throw BootTestError.timeout("emu --gdb 0 did not report its port")
    }
    port = found
  }

  deinit {
    if process.isRunning { process.terminate() }
    try? FileManager.default.removeItem(at: directory)
  }

  var standardError: String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }
  var serial: String { (try? String(contentsOf: serialFile, encoding: .utf8)) ?? "" }

  /// Waits for emu to exit; nil if it is still running after `timeout`.
  func waitForExit(timeout: TimeInterval = 30) -> (status: Int32, crashed: Bool)? {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
      if Date() > deadline { return nil }
      usleep(10_000)
    }
    return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
  }

  /// Runs Debian's gdb in batch mode with `commands` after connecting, on `symbols` (an ELF with
  /// DWARF); returns everything gdb printed.
  func gdb(_ commands: [String], symbols: URL, timeout: TimeInterval = 60) throws -> String {
    let script = directory.appendingPathComponent("commands-\(UUID().uuidString).gdb")
    let lines = ["set pagination off", "set confirm off", "target remote 127.0.0.1:\(port)"] + commands
    try lines.joined(separator: "\n").appending("\n").write(to: script, atomically: false, encoding: .utf8)
    let gdb = Process()
    gdb.executableURL = URL(fileURLWithPath: "/usr/bin/gdb")
    gdb.arguments = ["-nx", "-batch", "-x", script.path, symbols.path]
    let output = directory.appendingPathComponent("gdb-\(UUID().uuidString).txt")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    let handle = try FileHandle(forWritingTo: output)
    defer { try? handle.close() }
    gdb.standardOutput = handle
    gdb.standardError = handle
    try gdb.run()
    let deadline = Date().addingTimeInterval(timeout)
    while gdb.isRunning {
      if Date() > deadline {
        gdb.terminate()
        throw BootTestError.timeout(
          "gdb did not finish within \(timeout) s:\n" + ((try? String(contentsOf: output, encoding: .utf8)) ?? ""))
      }
      usleep(10_000)
    }
    return (try? String(contentsOf: output, encoding: .utf8)) ?? ""
  }
}

/// A plain TCP client for protocol tests below gdb.
final class RawGDBClient {
  private let fd: Int32

  init(port: UInt16) throws {
    fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let r = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard r == 0 else {
      close(fd)
      throw BootTestError.missing("cannot connect to 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
    }
  }

  deinit { close(fd) }

  func send(_ bytes: [UInt8]) {
    _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
  }

  func send(packet text: String) {
    let sum = text.utf8.reduce(UInt8(0)) { $0 &+ $1 }
    send(Array("$\(text)#\(String(format: "%02x", sum))".utf8))
  }

  /// What arrives within `timeout` seconds, stopping early once `until` is in it.
  func receive(timeout: TimeInterval, until: String? = nil) -> String {
    var text = ""
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      if poll(&p, 1, 50) > 0 {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        text += String(decoding: buffer[..<n], as: UTF8.self)
        if let until, text.contains(until) { break }
      }
    }
    return text
  }
}
