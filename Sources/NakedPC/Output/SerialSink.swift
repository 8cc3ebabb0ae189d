// SerialSink.swift: where the guest's COM1 output goes on the host.
//
// The UART calls back once per byte; writing each byte with its own system call would dominate a
// chatty guest's run time, so bytes are buffered and flushed at slice boundaries and at exit.

import HostFiles

package final class SerialSink {
  private let file: OutputFile?
  private var buffer: [UInt8] = []
  /// Set while a replay re-executes what already ran (reverse execution): that output was written.
  package var muted = false
  /// Everything written so far, when the sink keeps it (the library's `PC.serialOutput`).
  package private(set) var kept: [UInt8] = []
  private let keepsOutput: Bool

  /// `path` "-" is standard output; nil writes no file. `keepsOutput` also keeps every byte in `kept`.
  package init(path: String?, keepsOutput: Bool = false) throws {
    self.keepsOutput = keepsOutput
    switch path {
    case nil: file = nil
    case "-": file = OutputFile.standardOutput
    case let path?: file = try OutputFile(path: path, what: "serial output file")
    }
    buffer.reserveCapacity(8192)
  }

  package func write(_ byte: UInt8) {
    guard !muted else { return }
    if keepsOutput { kept.append(byte) }
    guard file != nil else { return }
    buffer.append(byte)
    if buffer.count >= 8192 { flush() }
  }

  package func flush() {
    guard let file, !buffer.isEmpty else { return }
    // A write error (a full disk, a closed FIFO or pipe) must not stop the guest; the output is lost.
    try? file.write(buffer)
    buffer.removeAll(keepingCapacity: true)
  }
}

package enum EmuError: Error, CustomStringConvertible {
  case load(String)
  case frontEnd(String)

  package var description: String {
    switch self {
    case .load(let text), .frontEnd(let text): return text
    }
  }
}
