import Foundation
import XCTest

/// Whatever a guest does to the whole PC (random code poking random ports, device registers and
/// memory), emu must end with one of its documented statuses, never a crash of its own.
final class GuestFuzzTests: XCTestCase {
  /// A Multiboot kernel without ELF: the a.out-kludge header (Multiboot Specification 3.1.3) says
  /// where the flat image goes; `code` runs right after the 32-byte header in 32-bit protected mode.
  static func multibootImage(code: [UInt8]) -> [UInt8] {
    let magic: UInt32 = 0x1BAD_B002
    let flags: UInt32 = 1 << 1 | 1 << 16
    let fields: [UInt32] = [
      magic, flags, 0 &- (magic &+ flags),
      0x10_0000, 0x10_0000, 0, 0,  // header_addr, load_addr, load_end_addr (whole file), bss_end_addr
      0x10_0020,  // entry_addr: the first byte after the header
    ]
    return fields.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } } + code
  }

  func testRandomGuestsEndWithADocumentedStatus() throws {
    let directory = try PackagePaths.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    var guests = RandomGuests(seed: 0x853C_49E6_748F_EA9B)
    var statuses: [Int32: Int] = [:]
    for program in 0..<120 {
      let kernel = directory.appendingPathComponent("random-\(program).bin")
      try Data(guests.next(portAccessEvery: 5)).write(to: kernel)
      let run = try Emulator.run(kernel: kernel, arguments: ["--max-cycles", "2000000"], timeout: 60)
      statuses[run.status, default: 0] += 1
      XCTAssertFalse(run.crashed, "program \(program): emu died of signal \(run.status)\n\(run.standardError)")
      // Documented: 0, (v << 1) | 1 (debug exit), 3, 4, 5, 124. Never 2 (the image is valid) or 6.
      let documented = run.status == 0 || run.status % 2 == 1 || [4, 124].contains(run.status)
      XCTAssertTrue(documented, "program \(program): status \(run.status); stderr:\n\(run.standardError)")
    }
    XCTAssertGreaterThan(statuses.count, 1, "the programs all ended the same way: \(statuses)")
  }
}

/// Random Multiboot guests: 4 KiB of random code each, from a xorshift generator (so the same seed
/// gives the same programs on every machine).
struct RandomGuests {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  private mutating func random() -> UInt64 {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    return state
  }

  /// The next guest image; one byte in `portAccessEvery` is an IN or OUT opcode (E4-E7, EC-EF), so the
  /// devices get exercised.
  mutating func next(portAccessEvery: UInt64) -> [UInt8] {
    let code = (0..<4096).map { _ -> UInt8 in
      let value = random()
      return value % portAccessEvery == 0
        ? [0xE4, 0xE6, 0xEC, 0xEE, 0xE5, 0xE7][Int(value >> 8) % 6] : UInt8(truncatingIfNeeded: value >> 16)
    }
    return GuestFuzzTests.multibootImage(code: code)
  }
}
