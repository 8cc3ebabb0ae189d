// GDBConnection.swift: the TCP side of `--gdb PORT`: one client at a time on the loopback interface.
//
// Loopback only, because the stub gives whoever connects full control of the machine. While a client
// is connected the listening socket is closed, so a second connection is refused by the host's
// network stack rather than left hanging; it listens again after the client leaves.

#if canImport(Glibc)
  import Glibc
#endif

package final class GDBConnection {
  /// The port listened on; with port 0 the system picks a free one (tests), reported here.
  package private(set) var port: UInt16
  private var listener: Int32 = -1
  private var client: Int32 = -1

  package var isConnected: Bool { client >= 0 }

  package init(port: UInt16) throws {
    self.port = port
    try listen()
  }

  deinit {
    if client >= 0 { close(client) }
    if listener >= 0 { close(listener) }
  }

  private func listen() throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw EmuError.frontEnd("--gdb: socket: \(String(cString: strerror(errno)))") }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, Glibc.listen(fd, 1) == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw EmuError.frontEnd("--gdb: cannot listen on 127.0.0.1:\(port): \(reason)")
    }
    if port == 0 {
      var actual = sockaddr_in()
      var length = socklen_t(MemoryLayout<sockaddr_in>.size)
      _ = withUnsafeMutablePointer(to: &actual) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
      }
      port = UInt16(bigEndian: actual.sin_port)
    }
    listener = fd
  }

  /// Accepts a client, waiting at most `timeout` milliseconds (-1: forever). True once connected.
  package func accept(timeout: Int32) -> Bool {
    if client >= 0 { return true }
    guard listener >= 0, wait(listener, timeout) else { return false }
    let fd = Glibc.accept(listener, nil, nil)
    guard fd >= 0 else { return false }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    client = fd
    close(listener)
    listener = -1
    return true
  }

  /// Bytes from the client, waiting at most `timeout` milliseconds: empty when none arrived, nil
  /// when the client has gone (the connection is then closed and listening resumes).
  package func read(timeout: Int32) -> [UInt8]? {
    guard client >= 0 else { return nil }
    guard wait(client, timeout) else { return [] }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = recv(client, &buffer, buffer.count, 0)
    if n <= 0 {
      if n < 0 && (errno == EINTR || errno == EAGAIN) { return [] }
      disconnect()
      return nil
    }
    return Array(buffer[..<n])
  }

  package func write(_ bytes: [UInt8]) {
    guard client >= 0, !bytes.isEmpty else { return }
    var sent = 0
    while sent < bytes.count {
      let n = bytes[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 {
        disconnect()
        return
      }
      sent += n
    }
  }

  package func disconnect() {
    if client >= 0 { close(client) }
    client = -1
    if listener < 0 { try? listen() }
  }

  private func wait(_ fd: Int32, _ timeout: Int32) -> Bool {
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    while true {
      let r = poll(&p, 1, timeout)
      if r < 0 && errno == EINTR { continue }
      return r > 0
    }
  }
}
