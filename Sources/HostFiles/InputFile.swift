// InputFile.swift: the whole of a file emu reads (kernel, modules, recordings, state files, serial input).
//
// Why read(2) and not FileManager.contents(atPath:): that needs Foundation (whose libraries were half
// of emu's start-up) and builds a Data that is then copied into the [UInt8] everything here works on;
// for the kernel the two were a twentieth of the launch to the shell prompt. Here a file is read into
// one buffer and appended to the array, one copy. Reading until end of file also serves what has no
// size: a FIFO, a pipe, /dev/stdin.

#if canImport(Glibc)
  import Glibc
#endif

package enum InputFile {
  /// The bytes of the file at `path`, or nil when it cannot be opened or read.
  package static func bytes(atPath path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var status = stat()
    // A regular file comes in one read (and one that sees its end); anything else in 64 KiB pieces.
    let size = fstat(fd, &status) == 0 && status.st_size > 0 ? Int(status.st_size) : 0
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size + 1, 1 << 16), alignment: 16)
    defer { buffer.deallocate() }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(size)
    while true {
      let got = read(fd, buffer.baseAddress!, buffer.count)
      if got == 0 { return bytes }
      if got < 0 {
        if errno == EINTR { continue }
        return nil
      }
      bytes.append(contentsOf: buffer[..<got])
    }
  }
}
