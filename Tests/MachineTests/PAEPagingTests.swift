// PAE paging's PDPTE registers (SDM Vol. 3A 4.4.1): MOV to CR0, CR3 and CR4 load the four PDPTEs
// into registers, walks use the registers rather than the table in memory, and a present PDPTE with
// a reserved bit makes the MOV #GP(0) and changes nothing.

import StateCoding
import XCTest

@testable import Machine

final class PAEPagingTests: XCTestCase {
  static let pdpt: UInt64 = 0x9000
  static let directory: UInt64 = 0xA000

  /// 32-bit protected mode with CR4.PAE set and paging off; PDPTE0 maps the first GiB with 2 MiB pages.
  private func machine() throws -> Harness {
    let h = Harness(.protected32)
    h.memory.write(Self.pdpt, size: 8, value: Self.directory | 1)
    for k in 0..<UInt64(512) { h.memory.write(Self.directory + 8 * k, size: 8, value: k << 21 | 0x83) }
    try h.cpu.writeControlRegister(4, ControlBit.pae)
    return h
  }

  private func enablePaging(_ h: Harness) throws {
    try h.cpu.writeControlRegister(0, h.cpu.cr0 | ControlBit.pg)
  }

  private func translates(_ h: Harness, _ linear: UInt64) -> Bool {
    (try? h.cpu.walk(linear, .read, user: false, probe: true)) != nil
  }

  func testWalksUseTheRegistersUntilCR3IsLoadedAgain() throws {
    let h = try machine()
    try h.cpu.writeControlRegister(3, Self.pdpt)
    try enablePaging(h)
    XCTAssertEqual(try h.cpu.walk(0x20_0000, .read, user: false, probe: true).phys, 0x20_0000)
    // The PDPTE in memory goes away; the register keeps the translation (SDM Vol. 3A 4.4.2).
    h.memory.write(Self.pdpt, size: 8, value: 0)
    h.cpu.flushTLB()
    XCTAssertTrue(translates(h, 0x20_0000), "a walk read PDPTE0 from memory instead of its register")
    try h.cpu.writeControlRegister(3, Self.pdpt)
    XCTAssertFalse(translates(h, 0x20_0000), "MOV to CR3 did not load the PDPTEs again")
  }

  func testReservedBitsInAPresentPDPTEAreGeneralProtection() throws {
    let h = try machine()
    try h.cpu.writeControlRegister(3, Self.pdpt)
    try enablePaging(h)
    // Bits 2:1, 8:5 and 63:MAXPHYADDR (table 4-8), each alone in PDPTE1 of a second table.
    h.memory.write(Self.pdpt + 0x20, size: 8, value: Self.directory | 1)
    for bit in [1, 2, 5, 8, CPU.physicalAddressBits, 63] {
      h.memory.write(Self.pdpt + 0x28, size: 8, value: Self.directory | 1 | 1 << UInt64(bit))
      XCTAssertThrowsError(try h.cpu.writeControlRegister(3, Self.pdpt + 0x20), "bit \(bit)") {
        XCTAssertEqual(($0 as? Fault)?.vector, 13)
        XCTAssertEqual(($0 as? Fault)?.errorCode, 0)
      }
    }
    // PWT, PCD, the ignored bits 11:9 and a not-present entry's bits are not reserved.
    h.memory.write(Self.pdpt + 0x28, size: 8, value: Self.directory | 1 | 0x18 | 0xE00)
    h.memory.write(Self.pdpt + 0x30, size: 8, value: 0x1E6 | 1 << 63)
    XCTAssertNoThrow(try h.cpu.writeControlRegister(3, Self.pdpt + 0x20))
    XCTAssertEqual(h.cpu.cr3, Self.pdpt + 0x20)
  }

  func testAFaultingMOVChangesNeitherTheRegisterNorThePDPTEs() throws {
    let h = try machine()
    try h.cpu.writeControlRegister(3, Self.pdpt)
    try enablePaging(h)
    h.memory.write(Self.pdpt + 0x20, size: 8, value: Self.directory | 1 | 2)
    XCTAssertThrowsError(try h.cpu.writeControlRegister(3, Self.pdpt + 0x20))
    XCTAssertEqual(h.cpu.cr3, Self.pdpt)
    XCTAssertTrue(translates(h, 0x20_0000), "the old PDPTE registers were lost")
    // Enabling paging (MOV to CR0) and turning PAE on under paging (MOV to CR4) check them too.
    let off = try machine()
    off.memory.write(Self.pdpt, size: 8, value: Self.directory | 1 | 1 << 5)
    try off.cpu.writeControlRegister(3, Self.pdpt)
    XCTAssertThrowsError(try enablePaging(off))
    XCTAssertEqual(off.cpu.cr0 & ControlBit.pg, 0)
    try off.cpu.writeControlRegister(4, 0)
    off.cpu.cr0 |= ControlBit.pg  // 32-bit paging, set directly
    XCTAssertThrowsError(try off.cpu.writeControlRegister(4, ControlBit.pae))
    XCTAssertEqual(off.cpu.cr4 & ControlBit.pae, 0)
  }

  func testMOVToCR0OrCR4ThatChangesNoPagingBitKeepsTheRegisters() throws {
    let h = try machine()
    try h.cpu.writeControlRegister(3, Self.pdpt)
    try enablePaging(h)
    h.memory.write(Self.pdpt, size: 8, value: 0)
    try h.cpu.writeControlRegister(0, h.cpu.cr0 | ControlBit.ts | ControlBit.wp)
    try h.cpu.writeControlRegister(4, h.cpu.cr4 | ControlBit.osfxsr)
    XCTAssertTrue(translates(h, 0x20_0000), "CR0.TS/WP or CR4.OSFXSR reloaded the PDPTEs")
    // CR4.PGE is in the list of SDM Vol. 3A 4.4.1: now they are read again.
    try h.cpu.writeControlRegister(4, h.cpu.cr4 | ControlBit.pge)
    XCTAssertFalse(translates(h, 0x20_0000))
  }

  func testASnapshotKeepsTheRegisters() throws {
    let h = try machine()
    try h.cpu.writeControlRegister(3, Self.pdpt)
    try enablePaging(h)
    h.memory.write(Self.pdpt, size: 8, value: 0)
    var saver = StateCoder.saving()
    h.cpu.code(&saver)
    XCTAssertTrue(translates(h, 0x20_0000), "saving the state dropped the registers")
    let copy = Harness(.protected32)
    var restorer = StateCoder.restoring(saver.bytes)
    copy.cpu.code(&restorer)
    XCTAssertTrue(restorer.isComplete, restorer.failure ?? "")
    for k in 0..<UInt64(512) { copy.memory.write(Self.directory + 8 * k, size: 8, value: k << 21 | 0x83) }
    XCTAssertEqual(try copy.cpu.walk(0x20_0000, .read, user: false, probe: true).phys, 0x20_0000)
  }
}
