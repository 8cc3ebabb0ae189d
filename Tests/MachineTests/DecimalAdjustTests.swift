// The BCD adjustments and SALC in 32-bit code, checked against the SDM and hardware-recorded cases.

import XCTest

@testable import Machine

final class DecimalAdjustTests: XCTestCase {
  /// Runs one 32-bit BCD instruction on AL (and AH) with CF and AF preset; returns AX and the flags.
  func run(_ code: [UInt8], ax: UInt64, cf: Bool = false, af: Bool = false) -> (ax: UInt64, flags: UInt64) {
    let h = Harness(.protected32)
    h.cpu.rax = ax
    h.cpu.rflags = 0x2 | (cf ? Flag.cf : 0) | (af ? Flag.af : 0)
    h.run(code)
    return (h.cpu.rax & 0xFFFF, h.cpu.rflags)
  }

  func testDAAAndDASFollowTheSDMPseudocode() {
    // Cases from kvm-unit-tests' realmode DAS table (recorded on hardware): AL, flags in, AL and
    // flags out (low byte of EFLAGS).
    let das: [(UInt64, Bool, Bool, UInt64, UInt64)] = [
      (0x00, false, false, 0x00, 0x46), (0x00, true, false, 0xA0, 0x87), (0x00, false, true, 0xFA, 0x97),
      (0x00, true, true, 0x9A, 0x97), (0x06, false, true, 0x00, 0x56), (0x0A, false, false, 0x04, 0x12),
    ]
    for (al, cf, af, out, flags) in das {
      let r = run(asm32("das"), ax: al, cf: cf, af: af)
      XCTAssertEqual(r.ax & 0xFF, out, "DAS \(al) cf \(cf) af \(af)")
      XCTAssertEqual(r.flags & 0xD5, flags & 0xD5, "DAS \(al) cf \(cf) af \(af) flags")
    }
    let daa = run(asm32("daa"), ax: 0x9A)
    XCTAssertEqual(daa.ax & 0xFF, 0x00)
    XCTAssertEqual(daa.flags & (Flag.cf | Flag.af | Flag.zf), Flag.cf | Flag.af | Flag.zf)
    let plain = run(asm32("daa"), ax: 0x12, cf: false)
    XCTAssertEqual(plain.ax & 0xFF, 0x12)
    XCTAssertEqual(plain.flags & Flag.cf, 0, "DAA clears CF when no second adjustment")
  }

  func testASCIIAdjustments() {
    XCTAssertEqual(run(asm32("aaa"), ax: 0x000B).ax, 0x0101)
    XCTAssertEqual(run(asm32("aas"), ax: 0x020F).ax, 0x0109)
    // SDM Vol. 2A AAS: AX - 6 borrows from AH before AH - 1 (QEMU 7.2 gives 0x010A here).
    XCTAssertEqual(run(asm32("aas"), ax: 0x0200, af: true).ax, 0x000A)
    XCTAssertEqual(run(asm32("aam"), ax: 0x0063).ax, 0x0909)  // 99 = 9 * 10 + 9
    XCTAssertEqual(run(asm32("aad"), ax: 0x0909).ax, 0x0063)
    XCTAssertEqual(run(asm32(".byte 0xd6"), ax: 0x1234, cf: true).ax, 0x12FF, "SALC")
  }

  func testTheyAreInvalidIn64BitMode() {
    let h = Harness()
    let handler = Harness.code + 0x800
    h.setGate64(6, handler: handler)
    h.memory.write(asm("mov r15, 6; hlt"), at: handler)
    h.run([0x27])
    XCTAssertEqual(h.cpu.register(.r15), 6)
  }
}
