// TerminalInput.swift: the host terminal as the guest's serial console.
//
// With `--serial-in -` standard input is read on a background thread as the user types, and the
// bytes reach COM1's receiver between slices. As in QEMU's `-serial mon:stdio`, Ctrl-A then x
// quits the emulator, so Ctrl-C can go to the guest. The run is no longer deterministic then: it
// depends on when the person types.

import Glibc

package final class TerminalInput {
  /// Guards `pending` and `quitRequested` between the reading thread and the run loop.
  private let lock: UnsafeMutablePointer<pthread_mutex_t> = .allocate(capacity: 1)
  private var pending: [UInt8] = []
  private var quitRequested = false
  private var sawEscape = false

  package init() {
    pthread_mutex_init(lock, nil)
    // The thread keeps the object alive for as long as standard input is open.
    var thread = pthread_t()
    let context = Unmanaged.passRetained(self).toOpaque()
    let started = pthread_create(
      &thread, nil,
      { context in
        let input = Unmanaged<TerminalInput>.fromOpaque(context!).takeRetainedValue()
        input.readUntilEndOfInput()
        return nil
      }, context)
    if started == 0 {
      pthread_detach(thread)
    } else {
      Unmanaged<TerminalInput>.fromOpaque(context).release()
    }
  }

  deinit {
    pthread_mutex_destroy(lock)
    lock.deallocate()
  }

  private func readUntilEndOfInput() {
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let got = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress!, $0.count) }
      if got < 0 && errno == EINTR { continue }
      if got <= 0 { return }  // end of input, or an error that reading again would repeat
      pthread_mutex_lock(lock)
      for byte in buffer[..<got] { accept(byte) }
      pthread_mutex_unlock(lock)
    }
  }

  /// Takes what arrived since the last call, and whether Ctrl-A x was typed.
  package func take() -> (bytes: [UInt8], quit: Bool) {
    pthread_mutex_lock(lock)
    defer {
      pending.removeAll()
      pthread_mutex_unlock(lock)
    }
    return (pending, quitRequested)
  }

  private func accept(_ byte: UInt8) {
    if sawEscape {
      sawEscape = false
      switch byte {
      case 0x78, 0x58: quitRequested = true  // x
      case 0x01: pending.append(0x01)  // Ctrl-A Ctrl-A sends one Ctrl-A
      default: pending.append(byte)
      }
    } else if byte == 0x01 {
      sawEscape = true
    } else {
      pending.append(byte)
    }
  }
}
