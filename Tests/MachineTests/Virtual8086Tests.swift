// Virtual-8086 mode: entered by a task switch or an IRET at CPL 0, left by an exception or interrupt
// (through a task gate or an interrupt gate with the virtual-8086 frame); IOPL-sensitive instructions
// (SDM Vol. 3A chapter 20).

import XCTest

@testable import Machine

final class Virtual8086Tests: XCTestCase {
  let handler = Harness.code + 0x800
  /// Virtual-8086 code at 0x4200:0x0010 = linear 0x42010.
  let vmSegment: UInt64 = 0x4200
  let vmCode: UInt64 = 0x42010

  /// A 32-bit harness whose IDT sends #GP and INT 0x21 to a ring-0 handler that copies the frame's
  /// first ten dwords to 0x30000 and halts; TSS.ESP0 = 0x70000.
  func machine(vmRuns code: [UInt8]) -> Harness {
    let h = Harness(.protected32)
    h.memory.write(Harness.tssBase + 4, size: 4, value: 0x70000)
    h.memory.write(Harness.tssBase + 8, size: 4, value: 0x10)
    for vector in [13, 0x21] { h.setGate32(vector, handler: handler, dpl: 3) }
    // mov esi, esp; mov edi, 0x30000; mov ecx, 10; cld; rep movsd (DS is null: use SS); hlt
    h.memory.write(
      asm32("mov esi, esp; mov edi, 0x30000; mov ecx, 10; cld; ss rep movsd; mov ebx, ds; hlt"), at: handler)
    h.memory.write(code, at: vmCode)
    return h
  }

  /// Enters virtual-8086 mode with IRET from CPL 0: EIP, CS, EFLAGS (VM, IOPL), ESP, SS, ES, DS, FS, GS.
  func iretToVirtual8086(_ h: Harness, iopl: UInt64) {
    let frame: [UInt64] = [0x10, vmSegment, 0x2_0002 | iopl << 12, 0xFFE, 0x5000, 0x1111, 0x2222, 0x3333, 0x4444]
    let sp = Harness.stackTop - UInt64(frame.count * 4)
    for (k, value) in frame.enumerated() { h.memory.write(sp + UInt64(4 * k), size: 4, value: value) }
    h.cpu.rsp = sp
    h.run(asm32("iretd"))
  }

  func testIRETEntersVirtual8086ModeWithParagraphSegments() {
    // mov ax, [0x10] (DS = 0x2222: linear 0x22230); mov [0x12], ax; int 0x21
    let h = machine(vmRuns: [0xA1, 0x10, 0x00, 0xA3, 0x12, 0x00, 0xCD, 0x21])
    h.memory.write(0x22230, size: 2, value: 0xBEEF)
    iretToVirtual8086(h, iopl: 3)
    XCTAssertEqual(h.read(0x22232, size: 2), 0xBEEF, "DS:0x12 is linear 0x22232")
    // The handler's frame: EIP CS EFLAGS ESP SS ES DS FS GS.
    XCTAssertEqual(h.read(0x30000, size: 4), 0x18, "EIP after INT 0x21")
    XCTAssertEqual(h.read(0x30004, size: 4), vmSegment)
    XCTAssertEqual(h.read(0x30008, size: 4) & 0x2_0000, 0x2_0000, "EFLAGS.VM in the frame")
    XCTAssertEqual(h.read(0x3000C, size: 4), 0xFFE, "ESP")
    XCTAssertEqual(h.read(0x30010, size: 4), 0x5000, "SS")
    XCTAssertEqual(h.read(0x30014, size: 4), 0x1111, "ES")
    XCTAssertEqual(h.read(0x30018, size: 4), 0x2222, "DS")
    XCTAssertEqual(h.read(0x30020, size: 4), 0x4444, "GS")
    XCTAssertEqual(h.cpu.rbx & 0xFFFF, 0, "the handler finds DS null")
    XCTAssertEqual(h.cpu.mode, .protected32)
    XCTAssertEqual(h.cpu.cpl, 0)
  }

  func testIOPLSensitiveInstructionsFaultBelowIOPL3() {
    for (name, code) in [("cli", [UInt8(0xFA)]), ("pushf", [0x9C]), ("int 0x21", [0xCD, 0x21])] {
      let h = machine(vmRuns: code)
      iretToVirtual8086(h, iopl: 0)
      XCTAssertEqual(h.read(0x30000, size: 4), 0, "\(name): #GP(0) error code")
      XCTAssertEqual(h.read(0x30004, size: 4), 0x10, "\(name): at the instruction")
    }
  }

  func testPortAccessUsesTheBitmapEvenAtIOPL3() {
    // in al, 0x80 with a TSS whose I/O bitmap base is past its limit: #GP.
    let h = machine(vmRuns: [0xE4, 0x80])
    h.memory.write(Harness.tssBase + 0x66, size: 2, value: 0x68)
    iretToVirtual8086(h, iopl: 3)
    XCTAssertEqual(h.read(0x30004, size: 4), 0x10, "#GP at the IN")
  }
}
