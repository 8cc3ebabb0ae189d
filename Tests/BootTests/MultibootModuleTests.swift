import Foundation
import Machine
import NakedPC
import XCTest

/// Multiboot modules (QEMU's -initrd): the same files give the same module list, strings and bytes
/// in physical memory under QEMU and in emu, and a guest that reads them reports the same.
final class MultibootModuleTests: XCTestCase {
  /// A flat a.out-kludge kernel whose code reports (mods_count * 16 + the low nibble of module 0's
  /// first byte) through isa-debug-exit.
  private static let probe = GuestFuzzTests.multibootImage(code: [
    0x8B, 0x43, 0x14,  // mov eax, [ebx + 20]    mods_count
    0xC1, 0xE0, 0x04,  // shl eax, 4
    0x8B, 0x4B, 0x18,  // mov ecx, [ebx + 24]    mods_addr
    0x8B, 0x09,  // mov ecx, [ecx]                mod_start of module 0
    0x0F, 0xB6, 0x11,  // movzx edx, byte [ecx]
    0x83, 0xE2, 0x0F,  // and edx, 0xF
    0x09, 0xD0,  // or eax, edx
    0xE7, 0xF4,  // out 0xF4, eax
    0xFA, 0xF4,  // cli; hlt
  ])

  private var directory: URL!
  private var kernel: URL!
  private var first: URL!
  private var second: URL!

  override func setUpWithError() throws {
    directory = try PackagePaths.temporaryDirectory()
    kernel = directory.appendingPathComponent("probe.bin")
    first = directory.appendingPathComponent("first.mod")
    second = directory.appendingPathComponent("second.mod")
    try Data(Self.probe).write(to: kernel)
    // 5000 bytes, so the second module starts two pages on; '5' first, so the probe reports 5.
    try Data([0x35] + (1..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }).write(to: first)
    try Data(Array("second module".utf8)).write(to: second)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  func testAGuestSeesTheSameModulesInQEMUEmuAndThePCLibrary() throws {
    let initrd = "\(first.path) arg=1,\(second.path)"
    let qemu = try QEMU(kernel: kernel, extraArguments: ["-initrd", initrd])
    let expected: Int32 = ((2 * 16 + 5) << 1) | 1
    XCTAssertEqual(try qemu.waitForExit(), expected, "QEMU")
    let run = try Emulator.run(kernel: kernel, arguments: ["--initrd", "\(first.path) arg=1", "--initrd", second.path])
    XCTAssertEqual(run.status, expected, "emu with two --initrd: \(run.standardError)")
    let commas = try Emulator.run(kernel: kernel, arguments: ["--initrd", initrd])
    XCTAssertEqual(commas.status, expected, "emu with QEMU's comma list: \(commas.standardError)")
    let pc = try PC(kernelPath: kernel.path, initrdPaths: ["\(first.path) arg=1", second.path])
    XCTAssertEqual(try pc.run(maxCycles: 10_000_000), .debugExit(37))
    // Without modules the list is empty and the probe reads a command line instead.
    let none = try Emulator.run(kernel: kernel)
    XCTAssertLessThan(none.status, 32, "no modules: mods_count 0")
  }

  func testTheModuleListStringsAndBytesAreQEMUs() throws {
    // A kernel that says "!" on COM1 and halts: by then the option ROM has written everything.
    let halting = directory.appendingPathComponent("halt.bin")
    // mov dx, 0x3F8; mov al, '!'; out dx, al; cli; hlt
    let code: [UInt8] = [0x66, 0xBA, 0xF8, 0x03, 0xB0, 0x21, 0xEE, 0xFA, 0xF4]
    try Data(GuestFuzzTests.multibootImage(code: code)).write(to: halting)
    let qemu = try QEMU(kernel: halting, extraArguments: ["-initrd", "\(first.path) arg=1,\(second.path)"])
    try qemu.waitForSerial(containing: "!")
    let info = try qemu.readPhysicalMemory(at: Multiboot.infoAddress, count: 88)
    let machine = Machine(memorySize: 128 << 20)
    try machine.loadKernel(
      Array(try Data(contentsOf: halting)), name: halting.path, commandLine: "",
      modules: [
        MultibootModule(bytes: Array(try Data(contentsOf: first)), commandLine: "\(first.path) arg=1"),
        MultibootModule(bytes: Array(try Data(contentsOf: second)), commandLine: second.path),
      ])
    XCTAssertEqual(machine.memory.bytes(at: Multiboot.infoAddress, count: 88), info, "the info block")
    func word(_ bytes: [UInt8], _ offset: Int) -> UInt64 {
      (0..<4).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) }
    }
    XCTAssertEqual(word(info, 20), 2, "mods_count")
    let list = word(info, 24)
    let entries = try qemu.readPhysicalMemory(at: list, count: 32)
    XCTAssertEqual(machine.memory.bytes(at: list, count: 32), entries, "the module list")
    // From the module list to the end of the last module: strings, padding and contents. (The rest
    // of the kernel's page below it holds a few bytes of the option ROM's stack under QEMU.)
    let end = word(entries, 20)
    let qemuBytes = try qemu.readPhysicalMemory(at: list, count: Int(end - list))
    let ours = machine.memory.bytes(at: list, count: Int(end - list))
    let differing = zip(ours, qemuBytes).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
    XCTAssertTrue(
      differing.isEmpty,
      "\(differing.count) bytes differ: "
        + differing.prefix(8).map { "0x\(String(list + UInt64($0), radix: 16)) QEMU \(qemuBytes[$0]) emu \(ours[$0])" }
        .joined(separator: ", "))
    try qemu.quit()
  }

  func testAMissingModuleIsALoadError() throws {
    let run = try Emulator.run(kernel: kernel, arguments: ["--initrd", "/nonexistent/module arg"])
    XCTAssertEqual(run.status, 2)
    XCTAssertTrue(run.standardError.contains("/nonexistent/module"), run.standardError)
    XCTAssertThrowsError(try PC(kernelPath: kernel.path, initrdPaths: ["/nonexistent/module"]))
  }
}
