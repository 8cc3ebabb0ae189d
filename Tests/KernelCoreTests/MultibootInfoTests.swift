import KernelCore
import XCTest

final class MultibootInfoTests: XCTestCase {
  /// The information block QEMU 7.2 builds for its default 128 MiB machine, at 0x9000.
  private func qemuLikeInfo(flags: UInt32 = 0x24F) -> FakePhysicalMemory {
    var memory = FakePhysicalMemory(base: 0x9000, bytes: [UInt8](repeating: 0, count: 0x1000))
    memory.store32(0x9000, flags)
    memory.store32(0x9004, 639)
    memory.store32(0x9008, 129_920)
    memory.store32(0x9010, 0x9400)  // cmdline
    memory.storeString(0x9400, "kernel.elf verbose")
    memory.store32(0x9040, 0x9500)  // boot_loader_name
    memory.storeString(0x9500, "qemu")
    let regions: [(UInt64, UInt64, UInt32)] = [
      (0, 0x9FC00, 1), (0x9FC00, 0x400, 2), (0xF0000, 0x10000, 2),
      (0x100000, 0x7EE0000, 1), (0x7FE0000, 0x20000, 2), (0xFFFC0000, 0x40000, 2),
    ]
    var entry: UInt64 = 0x9100
    for (base, length, type) in regions {
      memory.store32(entry, 20)
      memory.store64(entry + 4, base)
      memory.store64(entry + 12, length)
      memory.store32(entry + 20, type)
      entry += 24
    }
    memory.store32(0x902C, UInt32(entry - 0x9100))  // mmap_length
    memory.store32(0x9030, 0x9100)  // mmap_addr
    return memory
  }

  func testRejectsAWrongMagic() {
    XCTAssertNil(MultibootInfo(magic: 0x36D76289, address: 0x9000, memory: qemuLikeInfo()))
    XCTAssertNil(MultibootInfo(magic: 0x2BADB002, address: 0, memory: qemuLikeInfo()))
  }

  func testMemoryFiguresOfQEMUsDefaultMachine() throws {
    let info = try XCTUnwrap(MultibootInfo(magic: 0x2BADB002, address: 0x9000, memory: qemuLikeInfo()))
    XCTAssertEqual(info.lowerMemoryKiB, 639)
    XCTAssertEqual(info.upperMemoryKiB, 129_920)
    XCTAssertEqual(info.memorySizeMiB, 128)
  }

  func testFieldsAbsentWhenTheirFlagIsClear() throws {
    let info = try XCTUnwrap(
      MultibootInfo(magic: 0x2BADB002, address: 0x9000, memory: qemuLikeInfo(flags: 0)))
    XCTAssertNil(info.upperMemoryKiB)
    XCTAssertNil(info.memorySizeMiB)
    XCTAssertNil(info.commandLineAddress)
    XCTAssertNil(info.bootLoaderNameAddress)
    XCTAssertFalse(info.hasMemoryMap)
    var count = 0
    info.forEachMemoryRegion { _ in count += 1 }
    XCTAssertEqual(count, 0)
  }

  func testStrings() throws {
    let info = try XCTUnwrap(MultibootInfo(magic: 0x2BADB002, address: 0x9000, memory: qemuLikeInfo()))
    var name: [UInt8] = []
    info.forEachByte(ofStringAt: try XCTUnwrap(info.bootLoaderNameAddress)) { name.append($0) }
    XCTAssertEqual(String(decoding: name, as: UTF8.self), "qemu")
    var commandLine: [UInt8] = []
    info.forEachByte(ofStringAt: try XCTUnwrap(info.commandLineAddress), limit: 6) {
      commandLine.append($0)
    }
    XCTAssertEqual(String(decoding: commandLine, as: UTF8.self), "kernel", "the limit stops a runaway string")
  }

  func testMemoryMap() throws {
    let info = try XCTUnwrap(MultibootInfo(magic: 0x2BADB002, address: 0x9000, memory: qemuLikeInfo()))
    var regions: [MemoryRegion] = []
    info.forEachMemoryRegion { regions.append($0) }
    XCTAssertEqual(regions.count, 6)
    XCTAssertEqual(regions[0], MemoryRegion(base: 0, length: 0x9FC00, kind: .available))
    XCTAssertEqual(regions[3].end, 0x7FE0000)
    XCTAssertEqual(regions[5].kind, .reserved)
    XCTAssertEqual(info.availableMemoryBytes, 0x9FC00 + 0x7EE0000)
  }

  func testMemoryMapEntriesWithALargerSizeFieldAreSkippedCorrectly() throws {
    var memory = qemuLikeInfo()
    // One entry of size 28 (8 bytes of vendor padding), then a normal one.
    memory.store32(0x9100, 28)
    memory.store64(0x9104, 0x1000)
    memory.store64(0x910C, 0x2000)
    memory.store32(0x9114, 1)
    memory.store32(0x9120, 20)
    memory.store64(0x9124, 0x5000)
    memory.store64(0x912C, 0x1000)
    memory.store32(0x9134, 3)
    memory.store32(0x902C, 32 + 24)
    let info = try XCTUnwrap(MultibootInfo(magic: 0x2BADB002, address: 0x9000, memory: memory))
    var regions: [MemoryRegion] = []
    info.forEachMemoryRegion { regions.append($0) }
    XCTAssertEqual(
      regions,
      [
        MemoryRegion(base: 0x1000, length: 0x2000, kind: .available),
        MemoryRegion(base: 0x5000, length: 0x1000, kind: .acpiReclaimable),
      ])
  }

  func testBootDataEndCoversBlockMapStringsAndModules() throws {
    var memory = qemuLikeInfo(flags: 0x24F | 0x8)
    memory.store32(0x9014, 1)  // mods_count
    memory.store32(0x9018, 0x9600)  // mods_addr
    memory.store32(0x9600, 0x20_0000)  // mod_start
    memory.store32(0x9604, 0x21_0000)  // mod_end
    let info = try XCTUnwrap(MultibootInfo(magic: 0x2BADB002, address: 0x9000, memory: memory))
    XCTAssertEqual(info.bootDataEnd, 0x21_0000)
    let withoutModules = try XCTUnwrap(
      MultibootInfo(magic: 0x2BADB002, address: 0x9000, memory: qemuLikeInfo()))
    XCTAssertEqual(withoutModules.bootDataEnd, 0x9500 + 5, "ends after the boot loader name")
  }

  func testMemoryMapReport() throws {
    let info = try XCTUnwrap(MultibootInfo(magic: 0x2BADB002, address: 0x9000, memory: qemuLikeInfo()))
    var sink = ByteCollector()
    info.writeMemoryMap(to: &sink)
    let lines = sink.text.split(separator: "\n")
    XCTAssertEqual(lines.count, 6)
    XCTAssertEqual(lines[0], "  0x000000000000-0x00000009fc00  available  639 KiB")
    XCTAssertEqual(lines[4], "  0x000007fe0000-0x000008000000  reserved   128 KiB")
  }
}
