// The state a kernel starts in, as QEMU 7.2's SeaBIOS leaves it (NakedPC/Board/FirmwareHandoff.swift):
// the 8259s and the PIT programmed, and a real-mode vector table whose timer handler counts ticks.

import XCTest

@testable import Machine
@testable import NakedPC

final class FirmwareHandoffTests: XCTestCase {
  func board() -> Board {
    let board = Board(configuration: BoardConfiguration(), serialOutput: { _ in })
    board.enterFirmwareHandoffState()
    return board
  }

  func testInterruptControllersAndTimerAreProgrammedAsSeaBIOSLeavesThem() {
    let b = board()
    XCTAssertEqual(b.pic.master.vectorBase, 0x08)
    XCTAssertEqual(b.pic.slave.vectorBase, 0x70)
    XCTAssertEqual(b.pic.master.imr, 0xB8, "QEMU 7.2 `info pic` after SeaBIOS")
    XCTAssertEqual(b.pic.slave.imr, 0x8E)
    XCTAssertEqual(b.pic.master.cascadeConfiguration, 0x04)
    // Channel 0 counts 65536 in mode 2: read back through the latch, the count is below 65536 and falls.
    b.machine.ports.write(port: 0x43, size: 1, value: 0xE2)  // read-back: status of channel 0
    XCTAssertEqual(b.machine.ports.read(port: 0x40, size: 1) & 0x3F, 0x34, "lobyte/hibyte, mode 2, binary")
  }

  func testVectorTableSendsHardwareInterruptsToHandlersAndTheRestToIRET() {
    let b = board()
    let m = b.machine.memory
    XCTAssertEqual(m.read(0x08 * 4, size: 4), 0xF000_FEA5, "INT 08h: the timer handler")
    XCTAssertEqual(m.read(0x70 * 4, size: 4), 0xF000_FF48)
    XCTAssertEqual(m.read(0x10 * 4, size: 4), 0xF000_FF53, "BIOS services are an IRET")
    XCTAssertEqual(m.read(0xFFF53, size: 1), 0xCF)
    XCTAssertEqual(m.read(0x400, size: 2), 0x3F8, "COM1 in the BIOS data area")
  }

  func testStiHltInRealModeIsWokenByTheTimerWhoseHandlerCountsTicks() {
    let b = board()
    let cpu = b.machine.cpu
    // Real mode at 0000:7C00: sti; hlt; jmp back to the hlt.
    b.machine.memory.write([0xFB, 0xF4, 0xEB, 0xFD], at: 0x7C00)
    cpu.setSegment(Seg.cs, SegmentRegister(selector: 0, base: 0, limit: 0xFFFF, attributes: 0x9B))
    cpu.setSegment(Seg.ss, SegmentRegister(selector: 0, base: 0, limit: 0xFFFF, attributes: 0x93))
    cpu.rsp = 0x7000
    cpu.rip = 0x7C00
    // Three periods of 65536 PIT ticks at 1.193182 MHz, on the 100 MHz virtual clock.
    let period = 65536 * Board.defaultCyclesPerSecond / 1_193_182
    _ = b.machine.run(until: 3 * period + period / 2)
    XCTAssertEqual(b.machine.memory.read(0x46C, size: 4), 3, "three ticks counted at 0040:006C")
    XCTAssertEqual(b.pic.master.isr, 0, "each one acknowledged")
    XCTAssertEqual(cpu.rip, 0x7C02, "back in the HLT loop")
  }

  func testFirmwareConfigAnswersOnTheBoardsPorts() {
    let b = board()
    b.machine.ports.write(port: 0x510, size: 2, value: 0x03)  // RAM size
    var ram: UInt64 = 0
    for k in 0..<8 { ram |= UInt64(b.machine.ports.read(port: 0x511, size: 1)) << (8 * UInt64(k)) }
    XCTAssertEqual(ram, UInt64(BoardConfiguration().memoryMiB) << 20)
  }
}
