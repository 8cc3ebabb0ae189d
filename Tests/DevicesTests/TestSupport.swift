import Devices
import XCTest

/// Records every level change a device makes on its interrupt lines.
final class InterruptRecorder: InterruptLine {
  private(set) var events: [(irq: Int, high: Bool)] = []
  private(set) var levels: [Int: Bool] = [:]

  func setLevel(_ irq: Int, _ high: Bool) {
    events.append((irq, high))
    levels[irq] = high
  }

  func level(_ irq: Int) -> Bool { levels[irq] ?? false }

  /// Low-to-high transitions seen on `irq`.
  func risingEdges(_ irq: Int) -> Int {
    var previous = false
    var count = 0
    for event in events where event.irq == irq {
      if event.high && !previous { count += 1 }
      previous = event.high
    }
    return count
  }

  func reset() { events.removeAll() }
}
