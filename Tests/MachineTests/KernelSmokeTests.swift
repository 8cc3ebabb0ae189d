// Boots the real kernel (KERNEL_ELF, or the package's .build/kernel/kernel.elf), with only a serial transmit capture, isa-debug-exit and
// VGA text memory (the device models proper live in Sources/Devices and are wired by emu). It checks
// that the CPU core gets the kernel to write to the serial port or the screen without faulting.

import Foundation
import XCTest

@testable import Machine

final class SerialCapture: PortDevice {
  var text: [UInt8] = []
  func read(port: UInt16, size: Int) -> UInt32 { port == 0x3FD ? 0x60 : 0 }  // LSR: transmitter empty
  func write(port: UInt16, size: Int, value: UInt32) {
    if port == 0x3F8 { text.append(UInt8(truncatingIfNeeded: value)) }
  }
}

final class DebugExit: PortDevice {
  weak var machine: Machine?
  var code: UInt32?
  func read(port: UInt16, size: Int) -> UInt32 { 0xFFFF_FFFF }
  func write(port: UInt16, size: Int, value: UInt32) {
    code = value
    machine?.requestStop()
  }
}

final class KernelSmokeTests: XCTestCase {
  func testKernelBootsToOutput() throws {
    let path = try kernelPath()
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let m = Machine()
    let serial = SerialCapture()
    let exit = DebugExit()
    exit.machine = m
    m.ports.register(serial, ports: 0x3F8...0x3FF)
    m.ports.register(exit, ports: 0xF4...0xF4)
    let vga = UnsafeMutableRawPointer.allocate(byteCount: 0x8000, alignment: 4096)
    vga.initializeMemory(as: UInt8.self, repeating: 0, count: 0x8000)
    defer { vga.deallocate() }
    m.memory.mapMemory(vga, at: 0xB8000, length: 0x8000)
    try m.loadKernel(bytes, name: (path as NSString).lastPathComponent)
    let start = Date()
    let reason = m.run(until: UInt64(ProcessInfo.processInfo.environment["KERNEL_CYCLES"] ?? "") ?? 200_000_000)
    let seconds = Date().timeIntervalSince(start)
    let screen = (0..<25).map { row in
      String(
        (0..<80).map { col in Character(UnicodeScalar(vga.load(fromByteOffset: (row * 80 + col) * 2, as: UInt8.self))) }
      )
    }
    print(
      "stop: \(reason), exit code \(exit.code.map { String($0) } ?? "-"), \(m.stats.instructionsRetired) instructions, \(m.stats.cycles) cycles, \(String(format: "%.3f", seconds)) s"
    )
    print("unknown ports: \(m.ports.unknownPorts.map { String($0, radix: 16) })")
    print("serial:\n\(String(decoding: serial.text, as: UTF8.self))")
    print("screen:\n\(screen.joined(separator: "\n"))")
    if case .tripleFault(let text) = reason { XCTFail(text) }
    if case .unimplementedOpcode = reason { XCTFail("\(reason)") }
    XCTAssertTrue(!serial.text.isEmpty || screen.contains { !$0.allSatisfy { $0 == "\0" || $0 == " " } })
  }
}

/// The kernel the real-kernel tests use: KERNEL_ELF if set, else the package's own build
/// (`make kernel`, which the README's test command runs first). Missing is a failure, not a skip.
func kernelPath() throws -> String {
  if let path = ProcessInfo.processInfo.environment["KERNEL_ELF"] { return path }
  let path = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent(".build/kernel/kernel.elf").path
  guard FileManager.default.fileExists(atPath: path) else {
    throw KernelMissing(description: "\(path) does not exist: run `make kernel` (scripts/test does)")
  }
  return path
}

struct KernelMissing: Error, CustomStringConvertible {
  var description: String
}
