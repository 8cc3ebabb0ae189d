import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One headless QEMU process running a kernel: the reference machine the emulator is judged by.
///
/// Serial output goes to a file the test reads; the QEMU Machine Protocol (QMP) on a Unix socket
/// reads guest memory (`pmemsave`) and quits. isa-debug-exit is present so test kernels can end
/// the machine with a status, and `-no-reboot` turns a triple fault into an exit instead of a loop.
final class QEMU {
  static let executable = "/usr/bin/qemu-system-x86_64"

  let directory: URL
  let serialFile: URL
  private let socketPath: String
  private let serialSocketPath: String
  private var serialSocket: Int32 = -1
  private let process = Process()
  private var qmp: QMPConnection?

  /// Starts QEMU on `kernel` with the default 128 MiB PC machine. With `serialInput`, COM1 is a
  /// Unix socket the test can type into (`sendSerial`); its output is still logged to `serialFile`.
  init(kernel: URL, serialInput: Bool = false, extraArguments: [String] = []) throws {
    guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
      throw BootTestError.missing(
        "qemu-system-x86_64 is not installed: `apt-get install qemu-system-x86` (the README's test "
          + "command `make test` installs it)")
    }
    directory = try PackagePaths.temporaryDirectory()
    serialFile = directory.appendingPathComponent("serial.txt")
    socketPath = directory.appendingPathComponent("qmp.sock").path
    serialSocketPath = directory.appendingPathComponent("com1.sock").path
    let serial =
      serialInput
      ? [
        "-chardev", "socket,id=com1,path=\(serialSocketPath),server=on,wait=off,logfile=\(serialFile.path)",
        "-serial", "chardev:com1",
      ]
      : ["-serial", "file:\(serialFile.path)"]
    process.executableURL = URL(fileURLWithPath: Self.executable)
    process.arguments =
      [
        "-machine", "pc", "-m", "128M", "-display", "none", "-no-reboot",
        "-kernel", kernel.path,
      ] + serial + [
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-qmp", "unix:\(socketPath),server=on,wait=off",
      ] + extraArguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
  }

  deinit {
    if serialSocket >= 0 { close(serialSocket) }
    if process.isRunning { process.terminate() }
    try? FileManager.default.removeItem(at: directory)
  }

  /// What the guest has written to COM1 so far.
  var serialOutput: String {
    (try? String(contentsOf: serialFile, encoding: .utf8)) ?? ""
  }

  /// Waits until the serial output contains `text`.
  func waitForSerial(containing text: String, timeout: TimeInterval = 20) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !serialOutput.contains(text) {
      if !process.isRunning {
        throw BootTestError.failed(
          "QEMU exited (status \(process.terminationStatus)) before serial showed \"\(text)\"; "
            + "serial so far:\n\(serialOutput)")
      }
      if Date() > deadline {
        throw BootTestError.timeout(
          "serial never showed \"\(text)\" within \(timeout) s; serial so far:\n\(serialOutput)")
      }
      usleep(20_000)
    }
  }

  /// Reads guest physical memory through QMP's pmemsave.
  func readPhysicalMemory(at address: UInt64, count: Int) throws -> [UInt8] {
    let file = directory.appendingPathComponent("pmem-\(address)-\(count).bin")
    try connection().execute(
      "pmemsave", arguments: ["val": Int(address), "size": count, "filename": file.path])
    return Array(try Data(contentsOf: file))
  }

  /// The 4000 bytes of the text screen at 0xB8000.
  func screen() throws -> [UInt8] {
    try readPhysicalMemory(at: 0xB8000, count: 4000)
  }

  /// Asks QEMU to quit and waits for it.
  func quit() throws {
    _ = try? connection().execute("quit")
    process.waitUntilExit()
  }

  /// Waits for the guest to end the machine itself (isa-debug-exit, triple fault with -no-reboot)
  /// and returns QEMU's exit status.
  func waitForExit(timeout: TimeInterval = 30) throws -> Int32 {
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
      if Date() > deadline {
        process.terminate()
        throw BootTestError.timeout(
          "the guest did not exit within \(timeout) s; serial so far:\n\(serialOutput)")
      }
      usleep(20_000)
    }
    return process.terminationStatus
  }

  /// Sends bytes to COM1's receiver, as a terminal on the serial line would (needs `serialInput`).
  func sendSerial(_ text: String) throws {
    if serialSocket < 0 { serialSocket = try unixSocketConnection(to: serialSocketPath) }
    let bytes = Array(text.utf8)
    let sent = bytes.withUnsafeBytes { send(serialSocket, $0.baseAddress, $0.count, 0) }
    guard sent == bytes.count else { throw BootTestError.failed("sending to COM1 failed") }
  }

  /// Types `text` on the PS/2 keyboard through QMP `send-key`, one key (with Shift where needed)
  /// at a time. "\n" is Enter, "\u{8}" Backspace.
  func type(_ text: String) throws {
    for character in text {
      guard let (key, shifted) = Self.qcode(for: character) else {
        throw BootTestError.failed("no QEMU key code for \(character.debugDescription)")
      }
      var keys: [[String: Any]] = [["type": "qcode", "data": key]]
      if shifted { keys.insert(["type": "qcode", "data": "shift"], at: 0) }
      try connection().execute("send-key", arguments: ["keys": keys, "hold-time": 5])
    }
  }

  /// The QEMU key code (qcode) of a US-layout character, and whether it needs Shift.
  static func qcode(for character: Character) -> (String, Bool)? {
    let plain: [Character: String] = [
      " ": "spc", "\n": "ret", "\u{8}": "backspace", "-": "minus", "=": "equal", ",": "comma",
      ".": "dot", "/": "slash", ";": "semicolon", "'": "apostrophe", "[": "bracket_left",
      "]": "bracket_right", "\\": "backslash", "`": "grave_accent", "\t": "tab",
    ]
    let shifted: [Character: String] = [
      "!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8", "(": "9",
      ")": "0", "_": "minus", "+": "equal", "<": "comma", ">": "dot", "?": "slash", ":": "semicolon",
      "\"": "apostrophe", "{": "bracket_left", "}": "bracket_right", "|": "backslash", "~": "grave_accent",
    ]
    if let key = plain[character] { return (key, false) }
    if let key = shifted[character] { return (key, true) }
    guard character.isASCII, let scalar = character.unicodeScalars.first else { return nil }
    if character.isLetter { return (String(character).lowercased(), character.isUppercase) }
    if character.isNumber { return (String(scalar), false) }
    return nil
  }

  private func connection() throws -> QMPConnection {
    if let qmp { return qmp }
    let connection = try QMPConnection(socketPath: socketPath)
    qmp = connection
    return connection
  }
}

/// A minimal client for the QEMU Machine Protocol: JSON objects, one per line, over a Unix socket.
final class QMPConnection {
  private let socket: Int32
  private var buffer: [UInt8] = []

  init(socketPath: String) throws {
    socket = try unixSocketConnection(to: socketPath)
    _ = try readMessage()  // the greeting
    try execute("qmp_capabilities")
  }

  deinit { close(socket) }

  /// Sends a command and waits for its reply, skipping asynchronous events.
  @discardableResult
  func execute(_ command: String, arguments: [String: Any] = [:]) throws -> [String: Any] {
    var message: [String: Any] = ["execute": command]
    if !arguments.isEmpty { message["arguments"] = arguments }
    var data = try JSONSerialization.data(withJSONObject: message)
    data.append(0x0A)
    let sent = data.withUnsafeBytes { send(socket, $0.baseAddress, $0.count, 0) }
    guard sent == data.count else { throw BootTestError.failed("QMP send failed for \(command)") }
    while true {
      let reply = try readMessage()
      if reply["event"] != nil { continue }
      if let error = reply["error"] {
        throw BootTestError.failed("QMP \(command) failed: \(error)")
      }
      return reply
    }
  }

  private func readMessage() throws -> [String: Any] {
    while true {
      if let newline = buffer.firstIndex(of: 0x0A) {
        let line = Data(buffer[..<newline])
        buffer.removeSubrange(...newline)
        guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
          throw BootTestError.failed("QMP sent something that is not a JSON object")
        }
        return object
      }
      var chunk = [UInt8](repeating: 0, count: 4096)
      let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
      guard count > 0 else { throw BootTestError.failed("QMP connection closed") }
      buffer.append(contentsOf: chunk[..<count])
    }
  }
}

/// Connects to a Unix stream socket QEMU creates while starting up, retrying for a few seconds.
func unixSocketConnection(to path: String) throws -> Int32 {
  let connection = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
  guard connection >= 0 else { throw BootTestError.failed("socket() failed: errno \(errno)") }
  var address = sockaddr_un()
  address.sun_family = sa_family_t(AF_UNIX)
  let pathBytes = Array(path.utf8)
  withUnsafeMutableBytes(of: &address.sun_path) { raw in
    for (index, byte) in pathBytes.prefix(raw.count - 1).enumerated() { raw[index] = byte }
  }
  let deadline = Date().addingTimeInterval(10)
  while true {
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        Glibc.connect(connection, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    if result == 0 { return connection }
    if Date() > deadline {
      close(connection)
      throw BootTestError.failed("could not connect to \(path): errno \(errno)")
    }
    usleep(20_000)
  }
}
