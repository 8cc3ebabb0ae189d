import XCTest

@testable import Machine

final class SmokeTests: XCTestCase {
  func testAddAndHalt() {
    let h = Harness()
    h.cpu.rax = 5
    h.cpu.rbx = 7
    let reason = h.run([0x48, 0x01, 0xd8])  // add rax, rbx
    XCTAssertEqual(reason, .halted)
    XCTAssertEqual(h.cpu.rax, 12)
    XCTAssertEqual(h.cpu.rip, Harness.code + 4)
    XCTAssertEqual(h.machine.stats.instructionsRetired, 2)
  }
}
