// Loader tests: Multiboot v1 as QEMU 7.2 does it (figures measured on QEMU with a probe kernel), the
// 32-bit to 64-bit boot stub transition, and malformed images that must fail with a named error.

import XCTest

@testable import Machine

final class LoaderTests: XCTestCase {
  func testMultibootInfoMatchesQEMU() throws {
    let m = Machine(memorySize: 128 << 20)
    let info = try m.loadKernel(bootStubELF, name: "k.elf", commandLine: "hello world")
    XCTAssertEqual(info.bootProtocol, .multiboot)
    XCTAssertEqual(info.entry, 0x10000C)
    XCTAssertEqual(info.infoAddress, 0x9500)
    XCTAssertEqual(m.cpu.rax, 0x2BAD_B002)
    XCTAssertEqual(m.cpu.rbx, 0x9500)
    XCTAssertEqual(m.cpu.rip, 0x10000C)
    XCTAssertEqual(m.cpu.mode, .protected32)
    XCTAssertEqual(m.cpu.segment(Seg.cs).selector, 0x08)
    XCTAssertEqual(m.cpu.segment(Seg.ds).selector, 0x10)
    XCTAssertEqual(m.cpu.cr0 & ControlBit.pg, 0)
    // Bytes QEMU 7.2 (-m 128) put at 0x9500, captured by a probe kernel.
    let mbi = m.memory.bytes(at: 0x9500, count: 72)
    func word(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(mbi[o + $1]) << (8 * UInt32($1)) } }
    XCTAssertEqual(word(0), 0x24F)
    XCTAssertEqual(word(4), 639)
    XCTAssertEqual(word(8), 0x1FB80)
    XCTAssertEqual(word(12), 0x8000_FFFF)
    XCTAssertEqual(word(16), 0x101000)
    XCTAssertEqual(word(20), 0)
    XCTAssertEqual(word(24), 0x101000)
    XCTAssertEqual(word(44), 0xA8)
    XCTAssertEqual(word(48), 0x9000)
    XCTAssertEqual(word(64), 0x101012)
    XCTAssertEqual(String(decoding: m.memory.bytes(at: 0x101000, count: 17), as: UTF8.self), "k.elf hello world")
    XCTAssertEqual(m.memory.bytes(at: 0x101012, count: 5), Array("qemu".utf8) + [0])
    let mmap = m.memory.bytes(at: 0x9000, count: 0xA8)
    // Captured from QEMU 7.2 (TCG, -m 128): 7 entries ending with the AMD HyperTransport hole.
    let qemuHex =
      "14000000000000000000000000fc090000000000010000001400000000fc0900000000000004000000000000020000001400000000000f00000000000000010000000000020000001400000000001000000000000000ee070000000001000000140000000000fe0700000000000002000000000002000000140000000000fcff000000000000040000000000020000001400000000000000fd000000000000000300000002000000"
    let qemuMap = stride(from: 0, to: qemuHex.count, by: 2).map { k -> UInt8 in
      let start = qemuHex.index(qemuHex.startIndex, offsetBy: k)
      return UInt8(qemuHex[start..<qemuHex.index(start, offsetBy: 2)], radix: 16)!
    }
    XCTAssertEqual(mmap, qemuMap)
  }

  func testMemoryUpperFollowsRAMSize() throws {
    let m = Machine(memorySize: 256 << 20)
    try m.loadKernel(bootStubELF)
    XCTAssertEqual(m.memory.read(0x9500 + 8, size: 4), 0x3FB80)  // QEMU -m 256
  }

  func testBootStubReachesLongMode() throws {
    let m = Machine(memorySize: 32 << 20)
    try m.loadKernel(bootStubELF)
    let reason = m.run(until: 1_000_000)
    XCTAssertEqual(reason, .halted)
    XCTAssertEqual(m.cpu.mode, .long64)
    XCTAssertTrue(m.cpu.isLongModeActive)
    XCTAssertEqual(m.cpu.rax, 0x1_2345_6789)
    XCTAssertEqual(m.cpu.rbx, 0x1000A8)  // RIP-relative LEA
    XCTAssertEqual(m.cpu.rcx, 0x00AF_9B00_0000_FFFF)  // the CS load set the accessed bit
    XCTAssertEqual(m.cpu.rsi, 0x2BAD_B002)
    XCTAssertEqual(m.cpu.rbp, 0x9500)
    XCTAssertEqual(m.cpu.segment(Seg.ss).selector, 0x10)
    // The page-table walk set the accessed bits.
    XCTAssertEqual(m.memory.read(0x70000, size: 8) & 0x20, 0x20)
  }

  // MARK: Malformed images

  func assertLoadError(
    _ bytes: [UInt8], _ matches: (LoadError) -> Bool, file: StaticString = #filePath, line: UInt = #line
  ) {
    let m = Machine(memorySize: 4 << 20)
    do {
      try m.loadKernel(bytes)
      XCTFail("loaded a malformed image", file: file, line: line)
    } catch {
      XCTAssertTrue(matches(error), "unexpected error: \(error)", file: file, line: line)
      XCTAssertFalse(error.description.isEmpty)
    }
  }

  func patched(_ offset: Int, _ values: [UInt8]) -> [UInt8] {
    var b = bootStubELF
    for (i, v) in values.enumerated() { b[offset + i] = v }
    return b
  }

  func testTruncatedELF() {
    assertLoadError(Array(bootStubELF.prefix(3))) { if case .truncated = $0 { return true } else { return false } }
    // Header present but the magic search finds no Multiboot header and the ELF header is cut short.
    assertLoadError(Array(bootStubELF.prefix(40))) {
      if case .truncated(let s) = $0 { return s.contains("ELF header") } else { return false }
    }
    // The multiboot header sits at file offset 0x78; cut the file inside the segment data.
    assertLoadError(Array(bootStubELF.prefix(0x90))) {
      if case .truncated(let s) = $0 { return s.contains("segment 0") } else { return false }
    }
  }

  func testWrongClass() {
    assertLoadError(patched(4, [3])) {
      if case .wrongClass(let s) = $0 { return s.contains("EI_CLASS") } else { return false }
    }
  }

  func testWrongMachine() {
    assertLoadError(patched(18, [40, 0])) { $0 == .wrongMachine(40) }
  }

  func testBigEndian() {
    assertLoadError(patched(5, [2])) { $0 == .wrongEndianness }
  }

  func testSegmentOutsideRAM() {
    // p_paddr of the first program header (e_phoff = 0x34) at +12: 0xF0000000.
    assertLoadError(patched(0x34 + 12, [0, 0, 0, 0xF0])) {
      if case .segmentOutsideRAM(index: 0, start: 0xF000_0000, _, _) = $0 { return true } else { return false }
    }
  }

  func testNoBootHeader() {
    assertLoadError(patched(0x78, [0, 0, 0, 0])) { $0 == .noBootHeader }
    assertLoadError([UInt8](repeating: 0x90, count: 9000)) { $0 == .noBootHeader }
  }

  func testProgramHeaderTableOutsideFile() {
    assertLoadError(patched(0x1C, [0xFF, 0xFF, 0, 0])) {
      if case .truncated(let s) = $0 { return s.contains("program header table") } else { return false }
    }
  }

  func testELF64WithoutKludgeIsRejected() {
    var elf = [UInt8](repeating: 0, count: 0x100)
    elf[0...3] = [0x7F, 0x45, 0x4C, 0x46]
    elf[4] = 2
    elf[5] = 1
    elf[6] = 1
    elf[18] = 62
    let header: [UInt32] = [0x1BAD_B002, 0, 0 &- 0x1BAD_B002]
    for (i, w) in header.enumerated() {
      for k in 0..<4 { elf[0x80 + i * 4 + k] = UInt8(truncatingIfNeeded: w >> (8 * UInt32(k))) }
    }
    assertLoadError(elf) { if case .wrongClass(let s) = $0 { return s.contains("ELF64") } else { return false } }
  }

  func testAoutKludgeLoadsRawImage() throws {
    // header_addr 0x200000, load_addr 0x200000, load_end 0, bss_end 0x201000, entry 0x200020: the image
    // is loaded from file offset 0 and entered at the HLT placed at 0x20.
    var image = [UInt8](repeating: 0x90, count: 0x40)
    let words: [UInt32] = [
      0x1BAD_B002, 0x10000, 0 &- (0x1BAD_B002 &+ 0x10000), 0x200000, 0x200000, 0, 0x201000, 0x200020,
    ]
    for (i, w) in words.enumerated() {
      for k in 0..<4 { image[i * 4 + k] = UInt8(truncatingIfNeeded: w >> (8 * UInt32(k))) }
    }
    image[0x20] = 0xF4
    let m = Machine(memorySize: 4 << 20)
    let info = try m.loadKernel(image)
    XCTAssertEqual(info.entry, 0x200020)
    XCTAssertEqual(info.kernelEnd, 0x201000)
    XCTAssertEqual(m.memory.read(0x200020, size: 1), 0xF4)
    XCTAssertEqual(m.run(until: 1000), .halted)
    XCTAssertEqual(m.cpu.rip, 0x200021)
  }

  func testAKernelOverlappingTheInfoAreaKeepsItsBytes() throws {
    // QEMU's option ROM copies the kernel after the e820 map (0x9000) and the info block (0x9500), so a
    // kernel loaded at 0x8000 (kvm-unit-tests' realmode test) keeps its own bytes there.
    var image = [UInt8](repeating: 0x90, count: 0x2000)
    let words: [UInt32] = [0x1BAD_B002, 0x10000, 0 &- (0x1BAD_B002 &+ 0x10000), 0x8000, 0x8000, 0, 0xA000, 0x8020]
    for (i, w) in words.enumerated() {
      for k in 0..<4 { image[i * 4 + k] = UInt8(truncatingIfNeeded: w >> (8 * UInt32(k))) }
    }
    image[0x1000] = 0xAB
    image[0x1500] = 0xCD
    let m = Machine(memorySize: 4 << 20)
    try m.loadKernel(image)
    XCTAssertEqual(m.memory.read(0x9000, size: 1), 0xAB)
    XCTAssertEqual(m.memory.read(0x9500, size: 1), 0xCD)
    XCTAssertEqual(m.memory.read(0x9004, size: 4), 0x9090_9090, "no map entry written over the image")
  }

  func testRandomCorruptionNeverCrashes() {
    var rng = SplitMix(state: 42)
    for _ in 0..<500 {
      var b = bootStubELF
      let n = Int(rng.next() % 6) + 1
      for _ in 0..<n { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
      if rng.next() % 3 == 0 { b = Array(b.prefix(Int(rng.next() % UInt64(b.count)))) }
      let m = Machine(memorySize: 2 << 20)
      _ = try? m.loadKernel(b)
    }
  }
}

final class PVHLoaderTests: XCTestCase {
  /// A minimal ELF64 with one PT_LOAD (32-bit code at 0x200000) and a PT_NOTE holding
  /// XEN_ELFNOTE_PHYS32_ENTRY (type 18, owner "Xen").
  func pvhKernel(code: [UInt8]) -> [UInt8] {
    var f = [UInt8](repeating: 0, count: 0x200)
    func put(_ offset: Int, _ v: UInt64, _ n: Int) {
      for k in 0..<n { f[offset + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
    }
    f[0...3] = [0x7F, 0x45, 0x4C, 0x46]
    f[4] = 2; f[5] = 1; f[6] = 1
    put(16, 2, 2); put(18, 62, 2); put(20, 1, 4)
    put(24, 0x200000, 8)  // e_entry (the 64-bit entry; PVH uses the note instead)
    put(32, 64, 8)  // e_phoff
    put(52, 64, 2); put(54, 56, 2); put(56, 2, 2)
    // PT_LOAD: file 0x100 -> 0x200000
    put(64, 1, 4); put(64 + 8, 0x100, 8); put(64 + 16, 0x200000, 8); put(64 + 24, 0x200000, 8)
    put(64 + 32, UInt64(code.count), 8); put(64 + 40, 0x1000, 8)
    // PT_NOTE at file 0x180: namesz 4, descsz 4, type 18, "Xen\0", entry 0x200000
    put(120, 4, 4); put(120 + 8, 0x180, 8); put(120 + 32, 20, 8); put(120 + 40, 20, 8)
    put(0x180, 4, 4); put(0x184, 4, 4); put(0x188, 18, 4)
    f[0x18C...0x18F] = [0x58, 0x65, 0x6E, 0]
    put(0x190, 0x200000, 4)
    f.replaceSubrange(0x100..<0x100 + code.count, with: code)
    return f
  }

  func testPVHNoteBoot() throws {
    let m = Machine(memorySize: 8 << 20)
    let info = try m.loadKernel(pvhKernel(code: asm32("mov ecx, [ebx]; hlt")), commandLine: "console=ttyS0")
    XCTAssertEqual(info.bootProtocol, .pvh)
    XCTAssertEqual(info.entry, 0x200000)
    XCTAssertEqual(m.run(until: 10_000), .halted)
    XCTAssertEqual(m.cpu.rcx, 0x336E_C578)  // hvm_start_info.magic
    let cmdline = m.memory.read(info.infoAddress + 24, size: 8)
    XCTAssertEqual(String(decoding: m.memory.bytes(at: cmdline, count: 13), as: UTF8.self), "console=ttyS0")
    XCTAssertEqual(m.memory.read(info.infoAddress + 48, size: 4), 7)  // memory map entries
  }
}
