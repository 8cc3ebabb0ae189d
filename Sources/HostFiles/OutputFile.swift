// OutputFile.swift: a file emu writes (serial log, screen dump, screenshot), opened in place, and
// the standard output and error streams.
//
// Why open(2) and not FileManager.createFile: createFile writes a new file and renames it over the
// path, which replaces whatever was there. As root that turns /dev/null into a regular file for the
// whole machine, and it breaks a FIFO, a pty, a symlink or a file someone is tailing. Opening with
// O_WRONLY|O_CREAT|O_TRUNC writes into the existing object (following symlinks), as a shell
// redirection does. Outputs are opened before the guest starts, so a bad path fails at once.

#if canImport(Glibc)
  import Glibc
#endif

package final class OutputFile {
  package let path: String
  private let descriptor: Int32
  /// False for standard output, which is not ours to close.
  private let owned: Bool

  /// Standard output ("-" on the command line).
  package static let standardOutput = OutputFile(descriptor: STDOUT_FILENO, path: "standard output")
  /// Standard error, for emu's messages.
  package static let standardError = OutputFile(descriptor: STDERR_FILENO, path: "standard error")

  private init(descriptor: Int32, path: String) {
    self.descriptor = descriptor
    self.path = path
    owned = false
  }

  /// Opens (creating or truncating) `path` for writing; `what` names the option in the error.
  package init(path: String, what: String) throws {
    self.path = path
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw OutputFileError(description: "cannot open the \(what) \(path): \(String(cString: strerror(errno)))")
    }
    descriptor = fd
    owned = true
  }

  deinit { if owned { close(descriptor) } }

  /// Writes all of `bytes`, retrying short writes and EINTR.
  package func write(_ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { raw in
        Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
      }
      if written < 0 {
        if errno == EINTR { continue }
        throw OutputFileError(description: "cannot write \(path): \(String(cString: strerror(errno)))")
      }
      offset += written
    }
  }

  /// Writes `text` as UTF-8. A message that cannot be written is dropped: there is nowhere to say so.
  package func write(_ text: String) { try? write(Array(text.utf8)) }
}

/// Why an output file could not be opened or written: the text names the file and the reason.
package struct OutputFileError: Error, CustomStringConvertible {
  package let description: String
}
