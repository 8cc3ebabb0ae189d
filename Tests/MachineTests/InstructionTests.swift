// Instruction tests by family from hand-written snippets (assembled once into Snippets.swift), asserting
// registers, memory and flags, especially the forms the host-CPU oracle cannot run: memory operands,
// strings, stack, control flow and faults.

import XCTest

@testable import Machine

final class InstructionTests: XCTestCase {
  let d = Harness.data

  func testMemoryOperandsAndRIPRelative() {
    let h = Harness()
    h.memory.write(d, size: 8, value: 0x1122_3344_5566_7788)
    h.cpu.rbx = d
    h.cpu.rcx = 2
    h.run(
      asm(
        "mov rax, [rbx]; add qword ptr [rbx+8], rax; mov dl, [rbx+rcx*2]; lea rsi, [rip]; movzx edi, word ptr [rbx+2]"))
    XCTAssertEqual(h.cpu.rax, 0x1122_3344_5566_7788)
    XCTAssertEqual(h.read(d + 8), 0x1122_3344_5566_7788)
    XCTAssertEqual(h.cpu.rdx & 0xFF, 0x44)
    XCTAssertEqual(h.cpu.rdi, 0x5566)
    XCTAssertEqual(h.cpu.rsi, Harness.code + 17)  // address of the instruction after LEA
  }

  func testByteRegistersWithAndWithoutREX() {
    let h = Harness()
    h.cpu.rax = 0x1234
    h.cpu.rsp = Harness.stackTop
    h.cpu.rsi = 0xAB
    h.run(asm("mov bh, ah; mov cl, sil"))
    XCTAssertEqual(h.cpu.rbx & 0xFF00, 0x1200)
    XCTAssertEqual(h.cpu.rcx & 0xFF, 0xAB)
  }

  func testThirtyTwoBitWritesZeroExtend() {
    let h = Harness()
    h.cpu.rax = ~0
    h.cpu.rbx = ~0
    h.run(asm("mov eax, 1; add bx, 1"))
    XCTAssertEqual(h.cpu.rax, 1)
    XCTAssertEqual(h.cpu.rbx, 0xFFFF_FFFF_FFFF_0000)
  }

  func testIncDecPreserveCarry() {
    let h = Harness()
    h.cpu.rax = 0xFF
    h.run(asm("stc; inc al"))
    XCTAssertEqual(h.cpu.rax & 0xFF, 0)
    XCTAssertEqual(h.cpu.rflags & statusFlags, Flag.cf | Flag.zf | Flag.pf | Flag.af)
    h.cpu.rax = 0x80
    h.run(asm("clc; dec al"))
    XCTAssertEqual(h.cpu.rflags & statusFlags, Flag.of | Flag.af)
  }

  func testRepMovsForwardAndBackward() {
    let h = Harness()
    h.memory.write(Array(1...16), at: d)
    h.cpu.rsi = d
    h.cpu.rdi = d + 0x100
    h.cpu.rcx = 16
    h.run(asm("cld; rep movsb"))
    XCTAssertEqual(h.memory.bytes(at: d + 0x100, count: 16), Array(1...16))
    XCTAssertEqual(h.cpu.rcx, 0)
    XCTAssertEqual(h.cpu.rsi, d + 16)
    XCTAssertEqual(h.cpu.rdi, d + 0x110)
    // DF=1: copies from the end downwards, pointers decrement by the element size.
    h.cpu.rsi = d + 12
    h.cpu.rdi = d + 0x20C
    h.cpu.rcx = 4
    h.run(asm("std; rep movsd; cld"))
    XCTAssertEqual(h.memory.bytes(at: d + 0x200, count: 16), Array(1...16))
    XCTAssertEqual(h.cpu.rsi, d - 4)
    XCTAssertEqual(h.cpu.rdi, d + 0x1FC)
  }

  func testRepMovsAcrossPagesAndOverlap() {
    let h = Harness()
    let src = d + 0xF00, dst = d + 0x3F80
    h.memory.write((0..<0x2000).map { UInt8(truncatingIfNeeded: $0 * 7) }, at: src)
    h.cpu.rsi = src
    h.cpu.rdi = dst
    h.cpu.rcx = 0x800
    h.run(asm("rep movsd"))
    XCTAssertEqual(h.memory.bytes(at: dst, count: 0x2000), (0..<0x2000).map { UInt8(truncatingIfNeeded: $0 * 7) })
    XCTAssertEqual(h.cpu.rsi, src + 0x2000)
    XCTAssertEqual(h.cpu.rdi, dst + 0x2000)
    XCTAssertEqual(h.cpu.rcx, 0)
    // Overlapping forward copy one byte ahead replicates the first byte (the classic fill idiom).
    h.memory.write([0xAB], at: d + 0x8000)
    h.cpu.rsi = d + 0x8000
    h.cpu.rdi = d + 0x8001
    h.cpu.rcx = 100
    h.run(asm("rep movsb"))
    XCTAssertEqual(h.memory.bytes(at: d + 0x8000, count: 101), [UInt8](repeating: 0xAB, count: 101))
    // 32-bit address size wraps RDI/RSI to 32 bits and zero-extends RCX.
    h.cpu.rdi = d + 0x9000
    h.cpu.rcx = 0xFFFF_FFFF_0000_0010
    h.cpu.rax = 0x5A
    h.run([0x67] + asm("rep stosb"))
    XCTAssertEqual(h.cpu.rcx, 0xFFFF_FFFF_0000_0000 & 0xFFFF_FFFF)
    XCTAssertEqual(h.memory.bytes(at: d + 0x9000, count: 17), [UInt8](repeating: 0x5A, count: 16) + [0])
  }

  /// REP MOVS element by element (SDM Vol. 2B MOVS, REP): each element is read after the previous one
  /// was written, so a destination less than one element ahead of the source smears in element-sized
  /// pieces, not bytes. `memory` is the bytes from the source on, `offset` the destination's distance.
  static func elementwiseCopy(_ memory: [UInt8], offset: Int, elementSize: Int, count: Int) -> [UInt8] {
    var m = memory
    for e in 0..<count {
      let element = Array(m[(e * elementSize)..<(e * elementSize + elementSize)])
      for (k, b) in element.enumerated() { m[offset + e * elementSize + k] = b }
    }
    return m
  }

  func testRepMovsWithDestinationInsideTheFirstElement() {
    // The cases found from outside (issue 10): MOVSD 2 bytes ahead, MOVSW 1 byte, MOVSQ 3 bytes.
    for (name, code, size, offset) in [
      ("rep movsd", asm("rep movsd"), 4, 2), ("rep movsw", asm("rep movsw"), 2, 1),
      ("rep movsq", asm("rep movsq"), 8, 3),
    ] {
      let h = Harness()
      let count = 700  // more than a page of elements for MOVSD and MOVSQ, so chunks are crossed
      let before = (0..<(count * size + offset)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
      h.memory.write(before, at: d + 0x10)
      h.cpu.rsi = d + 0x10
      h.cpu.rdi = d + 0x10 + UInt64(offset)
      h.cpu.rcx = UInt64(count)
      h.run(code)
      let expected = Self.elementwiseCopy(before, offset: offset, elementSize: size, count: count)
      let actual = h.memory.bytes(at: d + 0x10, count: before.count)
      let wrong = zip(actual, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
      XCTAssertTrue(
        wrong.isEmpty, "\(name): \(wrong.count) bytes differ from element-by-element, first at \(wrong.first ?? 0)")
      XCTAssertEqual(h.cpu.rcx, 0, name)
      XCTAssertEqual(h.cpu.rdi, d + 0x10 + UInt64(offset + count * size), name)
    }
  }

  func testRepMovsFaultLeavesRestartableState() {
    let h = PagingTests.makePagedHarness()
    // Copy 0x1800 bytes ending in the not-present page 0x401000: the fault happens after 0x1000 bytes.
    h.cpu.rsi = Harness.data
    h.cpu.rdi = 0x400000
    h.cpu.rcx = 0x1800
    h.run(asm("rep movsb"))
    XCTAssertEqual(h.cpu.register(.r13), 0x401000)
    XCTAssertEqual(h.cpu.rcx, 0x800)
    XCTAssertEqual(h.cpu.rdi, 0x401000)
    XCTAssertEqual(h.read(Harness.stackTop - 40), Harness.code)  // RIP of the REP MOVS
  }

  func testRepStosAndZeroCount() {
    let h = Harness()
    h.cpu.rax = 0xAABB_CCDD
    h.cpu.rdi = d
    h.cpu.rcx = 3
    h.run(asm("rep stosd"))
    XCTAssertEqual(h.read(d), 0xAABB_CCDD_AABB_CCDD)
    XCTAssertEqual(h.read(d + 8, size: 4), 0xAABB_CCDD)
    XCTAssertEqual(h.cpu.rdi, d + 12)
    h.cpu.rcx = 0
    h.cpu.rdi = d + 0x40
    h.run(asm("rep stosd"))
    XCTAssertEqual(h.cpu.rdi, d + 0x40)
    XCTAssertEqual(h.read(d + 0x40), 0)
  }

  func testRepneScasAndRepeCmps() {
    let h = Harness()
    h.memory.write(Array("hello\0".utf8), at: d)
    h.cpu.rdi = d
    h.cpu.rcx = 100
    h.cpu.rax = 0
    h.run(asm("repne scasb"))
    XCTAssertEqual(h.cpu.rdi, d + 6)
    XCTAssertEqual(h.cpu.rcx, 94)
    XCTAssertTrue(h.cpu.rflags & Flag.zf != 0)
    h.memory.write(Array("abcdXf".utf8), at: d + 0x100)
    h.memory.write(Array("abcdYf".utf8), at: d + 0x200)
    h.cpu.rsi = d + 0x100
    h.cpu.rdi = d + 0x200
    h.cpu.rcx = 6
    h.run(asm("repe cmpsb"))
    XCTAssertEqual(h.cpu.rcx, 1)
    XCTAssertEqual(h.cpu.rsi, d + 0x105)
    XCTAssertEqual(h.cpu.rflags & (Flag.zf | Flag.cf | Flag.sf), Flag.cf | Flag.sf)  // 'X' < 'Y'
  }

  func testLodsWithDirectionFlag() {
    let h = Harness()
    h.memory.write(d, size: 8, value: 0x0807_0605_0403_0201)
    h.cpu.rsi = d + 7
    h.run(asm("std; lodsb; lodsb; cld"))
    XCTAssertEqual(h.cpu.rax & 0xFF, 0x07)
    XCTAssertEqual(h.cpu.rsi, d + 5)
  }

  func testPushPopAndFlags() {
    let h = Harness()
    h.cpu.rax = 0x1234
    h.run(asm("push rax; pop rbx; push 0x7f; pop rcx; stc; pushfq; pop rdx; push -257; popfq; pushfq; pop rsi"))
    XCTAssertEqual(h.cpu.rbx, 0x1234)
    XCTAssertEqual(h.cpu.rcx, 0x7F)
    XCTAssertEqual(h.cpu.rdx & 0xFFF, 0x003)
    XCTAssertEqual(h.cpu.rsp, Harness.stackTop)
    // POPF of all ones but TF: VM and reserved bits stay clear, the rest is written at CPL 0.
    XCTAssertEqual(h.cpu.rsi & Flag.vm, 0)
    XCTAssertEqual(
      h.cpu.rsi & (Flag.arithmetic | Flag.df | Flag.if | Flag.id), Flag.arithmetic | Flag.df | Flag.if | Flag.id)
  }

  func testCallRetEnterLeave() {
    let h = Harness()
    h.cpu.rbp = 0x7777
    h.run(asm("call 1f; jmp 2f; 1: enter 32, 0; mov rax, rbp; leave; ret; 2: mov rbx, rsp"))
    XCTAssertEqual(h.cpu.rax, Harness.stackTop - 16)
    XCTAssertEqual(h.cpu.rbp, 0x7777)
    XCTAssertEqual(h.cpu.rbx, Harness.stackTop)
  }

  func testRetImmAndIndirectJump() {
    let h = Harness()
    h.run(asm("push 1; push 2; call 1f; jmp 2f; 1: ret 16; 2: lea rax, [rip + 3f]; jmp rax; ud2; 3: mov ecx, 5"))
    XCTAssertEqual(h.cpu.rsp, Harness.stackTop)
    XCTAssertEqual(h.cpu.rcx, 5)
  }

  func testLoopAndJrcxz() {
    let h = Harness()
    h.cpu.rcx = 10
    h.run(asm("xor eax, eax; 1: add eax, 2; loop 1b; jrcxz 2f; mov eax, 0; 2: nop"))
    XCTAssertEqual(h.cpu.rax, 20)
    XCTAssertEqual(h.cpu.rcx, 0)
  }

  func testSetccCmovAndLahfSahf() {
    let h = Harness()
    h.cpu.rax = 5
    h.cpu.rbx = 7
    h.run(asm("cmp eax, ebx; setl cl; setb dl; cmovg eax, ebx; lahf"))
    XCTAssertEqual(h.cpu.rcx & 0xFF, 1)
    XCTAssertEqual(h.cpu.rdx & 0xFF, 1)
    XCTAssertEqual(h.cpu.rax & 0xFFFF_00FF, 5)
    XCTAssertEqual((h.cpu.rax >> 8) & 0xFF, 0x93)  // 5-7=0xFE: SF AF CF and bit 1, PF clear (odd parity)
  }

  func testXchgXaddCmpxchgOnMemory() {
    let h = Harness()
    h.memory.write(d, size: 8, value: 10)
    h.cpu.rbx = d
    h.cpu.rcx = 3
    h.run(asm("lock xadd [rbx], rcx"))
    XCTAssertEqual(h.read(d), 13)
    XCTAssertEqual(h.cpu.rcx, 10)
    h.cpu.rax = 13
    h.cpu.rdx = 99
    h.run(asm("lock cmpxchg [rbx], rdx"))
    XCTAssertEqual(h.read(d), 99)
    XCTAssertTrue(h.cpu.rflags & Flag.zf != 0)
    h.cpu.rax = 1
    h.run(asm("lock cmpxchg [rbx], rdx"))
    XCTAssertEqual(h.cpu.rax, 99)
    XCTAssertTrue(h.cpu.rflags & Flag.zf == 0)
  }

  func testCmpxchg8bAnd16b() {
    let h = Harness()
    h.memory.write(d, size: 8, value: 0x1111_1111_2222_2222)
    h.memory.write(d + 8, size: 8, value: 0x3333)
    h.cpu.rbx = 0xAAAA_AAAA
    h.cpu.rcx = 0xBBBB_BBBB
    h.cpu.rax = 0x2222_2222
    h.cpu.rdx = 0x1111_1111
    h.cpu.rdi = d
    h.run(asm("cmpxchg8b [rdi]"))
    XCTAssertEqual(h.read(d), 0xBBBB_BBBB_AAAA_AAAA)
    XCTAssertTrue(h.cpu.rflags & Flag.zf != 0)
    h.cpu.rax = 0
    h.cpu.rdx = 0
    h.run(asm("lock cmpxchg16b [rdi]"))
    XCTAssertEqual(h.cpu.rax, 0xBBBB_BBBB_AAAA_AAAA)
    XCTAssertEqual(h.cpu.rdx, 0x3333)
    XCTAssertTrue(h.cpu.rflags & Flag.zf == 0)
  }

  func testBitTestWithRegisterOffsetReachesBeyondOperand() {
    let h = Harness()
    h.cpu.rbx = d
    h.cpu.rcx = 70  // bit 6 of the next qword
    h.run(asm("bts [rbx], rcx; bt qword ptr [rbx], 3"))
    XCTAssertEqual(h.read(d + 8), 0x40)
    XCTAssertEqual(h.read(d), 0)
    XCTAssertTrue(h.cpu.rflags & Flag.cf == 0)
    h.cpu.rcx = UInt64(bitPattern: -1)  // bit 63 of the previous qword
    h.run(asm("bts [rbx], rcx"))
    XCTAssertEqual(h.read(d - 8), 1 << 63)
  }

  func testXlatAndBswap() {
    let h = Harness()
    h.memory.write(Array(0..<32).map { UInt8($0 * 2) }, at: d)
    h.cpu.rbx = d
    h.cpu.rax = 9
    h.cpu.rdx = 0x0102_0304_0506_0708
    h.run(asm("xlatb; bswap rdx"))
    XCTAssertEqual(h.cpu.rax, 18)
    XCTAssertEqual(h.cpu.rdx, 0x0807_0605_0403_0201)
  }

  func testDivideErrorRaisesVectorZero() {
    let h = Harness()
    h.setGate64(0, handler: Harness.code + 0x100)
    h.memory.write(asm("mov r15, 0xde; hlt"), at: Harness.code + 0x100)
    h.cpu.rbx = 0
    h.cpu.rax = 1
    h.run(asm("div rbx"))
    XCTAssertEqual(h.cpu.register(.r15), 0xDE)
    XCTAssertEqual(h.read(Harness.stackTop - 40), Harness.code)  // #DE is a fault: RIP of the DIV
    // Quotient overflow also faults: 0x1_0000_0000 / 1 in 32 bits.
    h.cpu.setRegister(.r15, 0)
    h.cpu.rsp = Harness.stackTop
    h.cpu.rdx = 1
    h.cpu.rax = 0
    h.cpu.rcx = 1
    h.run(asm("div ecx"))
    XCTAssertEqual(h.cpu.register(.r15), 0xDE)
    h.cpu.setRegister(.r15, 0)
    h.cpu.rsp = Harness.stackTop
    h.cpu.rdx = ~0
    h.cpu.rax = 1 << 63
    h.cpu.rcx = ~0
    h.run(asm("idiv rcx"))
    XCTAssertEqual(h.cpu.register(.r15), 0xDE)
  }

  func testSignedDivisionRoundsTowardZero() {
    let h = Harness()
    h.cpu.rax = UInt64(bitPattern: -7)
    h.cpu.rcx = 2
    h.run(asm("cqo; idiv rcx"))
    XCTAssertEqual(Int64(bitPattern: h.cpu.rax), -3)
    XCTAssertEqual(Int64(bitPattern: h.cpu.rdx), -1)
  }

  func testShiftByZeroChangesNoFlags() {
    let h = Harness()
    h.cpu.rax = 0x80
    h.cpu.rcx = 0
    h.run(asm("stc; shl al, cl"))
    XCTAssertEqual(h.cpu.rflags & Flag.cf, Flag.cf)
    XCTAssertEqual(h.cpu.rax, 0x80)
  }

  func testCPUIDReportsAnIntelCPUAndItsFeatures() {
    let h = Harness()
    h.run(asm("xor eax, eax; cpuid"))
    let vendor = [h.cpu.rbx, h.cpu.rdx, h.cpu.rcx].flatMap { v in
      (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) }
    }
    XCTAssertEqual(String(decoding: vendor, as: UTF8.self), "GenuineIntel")
    h.run(asm("mov eax, 1; cpuid"))
    XCTAssertEqual(h.cpu.rdx & 1, 0)  // no x87 FPU
    XCTAssertEqual(h.cpu.rdx & (1 << 9), 1 << 9)  // the local APIC, globally enabled at reset
    XCTAssertEqual(h.cpu.rdx & ((1 << 4) | (1 << 6) | (1 << 8) | (1 << 15)), (1 << 4) | (1 << 6) | (1 << 8) | (1 << 15))
    XCTAssertEqual(h.cpu.rcx & (1 << 13), 1 << 13)
    h.run(asm("mov eax, 0x80000001; cpuid"))
    XCTAssertEqual(h.cpu.rdx & ((1 << 29) | (1 << 20)), (1 << 29) | (1 << 20))
  }

  func testRDTSCFollowsTheCycleCounter() {
    let h = Harness()
    h.cpu.cycles = 0x1_0000_0005
    h.run(asm("rdtsc"))
    XCTAssertEqual(h.cpu.rdx, 1)
    XCTAssertEqual(h.cpu.rax, 5)
  }

  func testMSRs() {
    let h = Harness()
    h.cpu.rax = 0x1234
    h.cpu.rdx = 0xFFFF_8000
    h.run(asm("mov ecx, 0xC0000100; wrmsr; mov ecx, 0xC0000102; wrmsr; swapgs; mov ecx, 0xC0000080; rdmsr"))
    XCTAssertEqual(h.cpu.fsBase, 0xFFFF_8000_0000_1234)
    XCTAssertEqual(h.cpu.gsBase, 0xFFFF_8000_0000_1234)
    XCTAssertEqual(h.cpu.rax & 0xD01, 0xD01)  // SCE LME LMA NXE
    // An unknown MSR is #GP(0).
    h.setGate64(13, handler: Harness.code + 0x100)
    h.memory.write(asm("pop r14; hlt"), at: Harness.code + 0x100)
    h.run(asm("mov ecx, 0x12345; rdmsr"))
    XCTAssertEqual(h.cpu.register(.r14), 0)
    XCTAssertEqual(h.cpu.rip, Harness.code + 0x100 + 3)
  }

  func testFSSegmentOverride() {
    let h = Harness()
    h.cpu.fsBase = d
    h.memory.write(d + 0x10, size: 8, value: 42)
    h.run(asm("mov rax, fs:[0x10]"))
    XCTAssertEqual(h.cpu.rax, 42)
  }

  func testSelfModifyingCodeIsDecodedAgain() {
    let h = Harness()
    // The first pass runs `mov eax, 1` then overwrites its immediate with 2 and jumps back once.
    h.run(
      asm(
        "xor ecx, ecx; patched: mov eax, 1; inc ecx; cmp ecx, 2; je 2f; mov byte ptr [rip + patched + 1], 2; jmp patched; 2: nop"
      ))
    XCTAssertEqual(h.cpu.rax, 2)
  }

  func testProtectedModeThirtyTwoBitCode() {
    let h = Harness(.protected32)
    h.cpu.rax = 0xFFFF_FFFF
    h.run(
      asm32(
        "add eax, 1; push eax; pop ebx; mov ecx, 0x12345678; mov word ptr [0x20000], cx; movzx edx, word ptr [0x20000]")
    )
    XCTAssertEqual(h.cpu.rax, 0)
    XCTAssertEqual(h.cpu.rflags & Flag.cf, Flag.cf)
    XCTAssertEqual(h.cpu.rdx, 0x5678)
    XCTAssertEqual(h.cpu.rsp, Harness.stackTop)
  }
}
