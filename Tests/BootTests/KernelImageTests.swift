import Foundation
import XCTest

/// Properties of kernel.elf itself: the boot header a loader needs, and a reproducible build.
final class KernelImageTests: XCTestCase {
  private func load(_ url: URL) throws -> [UInt8] {
    Array(try Data(contentsOf: PackagePaths.requireKernel(url)))
  }

  private func u32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) }
  }

  private func u64(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
    UInt64(u32(bytes, offset)) | UInt64(u32(bytes, offset + 4)) << 32
  }

  func testIsAnELF64ForX86_64() throws {
    let image = try load(PackagePaths.kernel)
    XCTAssertEqual(Array(image[0..<4]), [0x7F, 0x45, 0x4C, 0x46])
    XCTAssertEqual(image[4], 2, "ELFCLASS64")
    XCTAssertEqual(image[5], 1, "little endian")
    XCTAssertEqual(UInt16(image[18]) | UInt16(image[19]) << 8, 0x3E, "EM_X86_64")
  }

  /// Multiboot Specification 3.1: the header lies in the first 8192 bytes, 32-bit aligned, and its
  /// magic, flags and checksum sum to zero. With the a.out kludge (flag 16) the loader copies the
  /// file from the header's offset minus (header_addr - load_addr), so every loadable ELF segment
  /// must sit at that same address-to-offset distance or the loaded image would be scrambled.
  func testMultibootHeaderAndKludgeAddressesAgreeWithTheProgramHeaders() throws {
    let image = try load(PackagePaths.kernel)
    guard
      let headerOffset = stride(from: 0, to: min(8192, image.count - 32), by: 4).first(where: {
        u32(image, $0) == 0x1BAD_B002
      })
    else { return XCTFail("no Multiboot header in the first 8 KiB") }
    let flags = u32(image, headerOffset + 4)
    XCTAssertEqual(u32(image, headerOffset) &+ flags &+ u32(image, headerOffset + 8), 0, "checksum")
    XCTAssertNotEqual(flags & (1 << 16), 0, "QEMU loads an ELF64 only through the a.out kludge")
    XCTAssertNotEqual(flags & (1 << 1), 0, "the kernel asks for the memory information")

    let headerAddress = UInt64(u32(image, headerOffset + 12))
    let loadAddress = UInt64(u32(image, headerOffset + 16))
    let loadEnd = UInt64(u32(image, headerOffset + 20))
    let bssEnd = UInt64(u32(image, headerOffset + 24))
    let entry = UInt64(u32(image, headerOffset + 28))
    XCTAssertEqual(loadAddress, 0x10_0000, "loaded at 1 MiB")
    XCTAssertLessThanOrEqual(loadAddress, headerAddress)
    XCTAssertLessThan(loadAddress, loadEnd)
    XCTAssertLessThanOrEqual(loadEnd, bssEnd)
    XCTAssertTrue((loadAddress..<loadEnd).contains(entry))
    let fileBase = Int64(headerOffset) - Int64(headerAddress - loadAddress)
    XCTAssertLessThanOrEqual(UInt64(fileBase) + (loadEnd - loadAddress), UInt64(image.count))

    // Every PT_LOAD segment must be where the kludge's flat copy puts it.
    let programHeaders = Int(u64(image, 32))
    let entrySize = Int(UInt16(image[54]) | UInt16(image[55]) << 8)
    let count = Int(UInt16(image[56]) | UInt16(image[57]) << 8)
    var loadSegments = 0
    for index in 0..<count {
      let header = programHeaders + index * entrySize
      guard u32(image, header) == 1 else { continue }  // PT_LOAD
      loadSegments += 1
      let offset = Int64(u64(image, header + 8))
      let address = Int64(u64(image, header + 16))
      let fileSize = u64(image, header + 32)
      let memorySize = u64(image, header + 40)
      XCTAssertEqual(offset - (address - Int64(loadAddress)), fileBase, "segment \(index) offset")
      XCTAssertLessThanOrEqual(UInt64(address) + memorySize, bssEnd, "segment \(index) inside the image")
      if fileSize > 0 {
        XCTAssertLessThanOrEqual(UInt64(address) + fileSize, loadEnd, "segment \(index) data is loaded")
      }
    }
    XCTAssertGreaterThanOrEqual(loadSegments, 2)
  }

  /// The same sources give the same bytes: build again into a scratch directory and compare.
  func testKernelBuildIsReproducible() throws {
    let reference = try load(PackagePaths.kernel)
    let scratch = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: scratch) }
    let make = Process()
    make.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    make.arguments = ["make", "-s", "-C", PackagePaths.root.path, "OUT=\(scratch.path)", "kernel"]
    make.standardOutput = FileHandle.nullDevice
    try make.run()
    make.waitUntilExit()
    XCTAssertEqual(make.terminationStatus, 0, "make kernel into a scratch directory failed")
    let rebuilt = Array(try Data(contentsOf: scratch.appendingPathComponent("kernel.elf")))
    XCTAssertEqual(rebuilt.count, reference.count)
    XCTAssertTrue(
      rebuilt == reference,
      "a fresh build of the sources differs from .build/kernel/kernel.elf: the build is not "
        + "reproducible, or kernel.elf is stale (run `make all`)")
  }
}
