// Decoder cross-check against llvm-objdump: instruction lengths must agree for every instruction of the
// test snippets and for every instruction of the kernel's executable sections.
// Skipped when llvm-objdump/llvm-objcopy are not installed.

import Foundation
import XCTest

@testable import Machine

struct ArrayInstructionBytes: InstructionBytes {
  let bytes: [UInt8]
  var position: Int
  mutating func next() throws(Fault) -> UInt8 {
    guard position < bytes.count else { throw Fault(14, errorCode: 0) }
    defer { position += 1 }
    return bytes[position]
  }
}

final class DecoderCrossCheckTests: XCTestCase {
  func tool(_ name: String) -> String? {
    for dir in ["/usr/bin", "/usr/local/bin", "/opt/swift/usr/bin"]
    where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
      return "\(dir)/\(name)"
    }
    return nil
  }

  func run(_ path: String, _ arguments: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }

  /// (offset, length) of each instruction llvm-objdump prints, skipping `<unknown>` bytes.
  func objdumpLengths(_ text: String) -> [(Int, Int)] {
    var result: [(Int, Int)] = []
    var lastWasPrefix = false
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
      guard parts.count >= 2, let colon = parts[0].firstIndex(of: ":") else { continue }
      guard let offset = Int(parts[0][..<colon].trimmingCharacters(in: .whitespaces), radix: 16) else { continue }
      let bytes = parts[0][parts[0].index(after: colon)...].split(separator: " ").filter { $0.count == 2 }
      if line.contains("<unknown>") || bytes.isEmpty { continue }
      // objdump prints a LOCK/REP prefix on its own line; fold it into the instruction that follows.
      if let last = result.last, last.1 == 1, lastWasPrefix, last.0 + 1 == offset {
        result[result.count - 1] = (last.0, 1 + bytes.count)
        lastWasPrefix = false
        continue
      }
      lastWasPrefix = bytes.count == 1 && ["f0", "f2", "f3"].contains(String(bytes[0]))
      result.append((offset, bytes.count))
    }
    return result
  }

  func crossCheck(_ blob: [UInt8], objdump: String, mode: CPUMode, label: String) -> Int {
    var mismatches = 0
    var checked = 0
    for (offset, length) in objdumpLengths(objdump) {
      var source = ArrayInstructionBytes(bytes: blob, position: offset)
      checked += 1
      let ours = try? Decoder.decode(&source, mode: mode)
      if ours.map({ Int($0.length) }) != length {
        mismatches += 1
        if mismatches <= 20 {
          let hex = blob[offset..<min(blob.count, offset + length)].map { String(format: "%02x", $0) }.joined(
            separator: " ")
          XCTFail(
            "\(label)+0x\(String(offset, radix: 16)) [\(hex)]: objdump length \(length), ours \(ours.map { String($0.length) } ?? "#UD")"
          )
        }
      }
    }
    XCTAssertGreaterThan(checked, 0)
    return mismatches
  }

  func testSnippetLengthsAgreeWithObjdump() throws {
    guard let objdump = tool("llvm-objdump"), let objcopy = tool("llvm-objcopy") else {
      throw XCTSkip("llvm-objdump/llvm-objcopy not found")
    }
    var blob: [UInt8] = []
    for (key, bytes) in snippetBytes.sorted(by: { $0.key < $1.key }) where !key.hasPrefix("32:") { blob += bytes }
    for (_, bytes, _, _) in oracleInstructions { blob += bytes }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("decoder-xcheck-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let bin = dir.appendingPathComponent("code.bin"), obj = dir.appendingPathComponent("code.o")
    try Data(blob).write(to: bin)
    _ = try run(objcopy, ["-I", "binary", "-O", "elf64-x86-64", bin.path, obj.path])
    let text = try run(objdump, ["-D", "-j", ".data", obj.path])
    XCTAssertEqual(crossCheck(blob, objdump: text, mode: .long64, label: "snippets"), 0)
  }

  /// The cross-check on the real kernel (the package's kernel.elf, or KERNEL_ELF).
  func testKernelLengthsAgreeWithObjdump() throws {
    let path = try kernelPath()
    guard let objdump = tool("llvm-objdump") else { throw XCTSkip("llvm-objdump not found") }
    let file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let listing = try run(objdump, ["-d", path])
    // Map virtual addresses to file offsets through the PT_LOAD program headers.
    let elf = try ELFFile(file)
    func fileOffset(_ vma: Int) -> Int? {
      for s in elf.segments where s.type == ELFFile.loadType {
        if UInt64(vma) >= s.virtualAddress && UInt64(vma) < s.virtualAddress + s.fileSize {
          return Int(s.offset + UInt64(vma) - s.virtualAddress)
        }
      }
      return nil
    }
    var mismatches = 0
    for (vma, length) in objdumpLengths(listing) {
      guard let offset = fileOffset(vma) else { continue }
      var source = ArrayInstructionBytes(bytes: file, position: offset)
      let ours = try? Decoder.decode(&source, mode: .long64)
      if ours.map({ Int($0.length) }) != length {
        mismatches += 1
        if mismatches <= 20 {
          XCTFail(
            "kernel 0x\(String(vma, radix: 16)): objdump \(length) bytes, ours \(ours.map { String($0.length) } ?? "#UD")"
          )
        }
      }
    }
    XCTAssertEqual(mismatches, 0)
  }
}
