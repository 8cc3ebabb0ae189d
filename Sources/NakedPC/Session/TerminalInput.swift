// TerminalInput.swift: the host terminal as the guest's serial console.
//
// With `--serial-in -` standard input is read on a background thread as the user types, and the
// bytes reach COM1's receiver between slices. As in QEMU's `-serial mon:stdio`, Ctrl-A then x
// quits the emulator, so Ctrl-C can go to the guest. The run is no longer deterministic then: it
// depends on when the person types.

import Foundation

package final class TerminalInput {
  private let lock = NSLock()
  private var pending: [UInt8] = []
  private var quitRequested = false
  private var sawEscape = false

  package init() {
    let thread = Thread { [self] in
      while true {
        let data = FileHandle.standardInput.availableData
        if data.isEmpty { return }  // end of input
        lock.lock()
        for byte in data { accept(byte) }
        lock.unlock()
      }
    }
    thread.start()
  }

  /// Takes what arrived since the last call, and whether Ctrl-A x was typed.
  package func take() -> (bytes: [UInt8], quit: Bool) {
    lock.lock()
    defer {
      pending.removeAll()
      lock.unlock()
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
