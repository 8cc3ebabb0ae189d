// MachineTarget.swift: the whole machine running any bytes as code, in 64-bit mode, 32-bit protected
// mode or 32-bit paged mode, with random exception handlers, every I/O port and an MMIO window
// answering with bytes from the input, and interrupts arriving when the input says. The run has a
// bound of 20 000 cycles; it must end with a stop reason, never a host crash, a sanitizer report or
// a hang (libFuzzer's -timeout catches one).

@testable import Machine

/// Port reads, MMIO reads and interrupt requests, all from the input.
final class FuzzDevices: PortDevice, MMIODevice, InterruptController {
  private var answers: [UInt8]
  private var next = 0
  private var interruptEvery: Int
  private var polls = 0

  init(answers: [UInt8], interruptEvery: Int) {
    self.answers = answers.isEmpty ? [0xFF] : answers
    self.interruptEvery = interruptEvery
  }

  private func answer(_ size: Int) -> UInt64 {
    var value: UInt64 = 0
    for index in 0..<size {
      value |= UInt64(answers[next % answers.count]) << (8 * index)
      next += 1
    }
    return value
  }

  func read(port: UInt16, size: Int) -> UInt32 { UInt32(truncatingIfNeeded: answer(size)) }
  func write(port: UInt16, size: Int, value: UInt32) {}
  func read(offset: UInt64, size: Int) -> UInt64 { answer(size) }
  func write(offset: UInt64, size: Int, value: UInt64) {}

  var hasPendingInterrupt: Bool {
    polls += 1
    return interruptEvery > 0 && polls % interruptEvery == 0
  }

  func acknowledge() -> UInt8 { UInt8(truncatingIfNeeded: answer(1)) }
}

private let modes: [Harness.Mode] = [.long64, .protected32, .protected32Paged]
/// Where the MMIO window sits: inside the identity map, next to the data the registers point at.
private let mmioBase: UInt64 = 0x30000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMachine(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  var input = FuzzInput(data, count)
  let mode = modes[Int(input.byte()) % modes.count]
  let interruptEvery = Int(input.byte())
  let h = Harness(mode, memorySize: 4 << 20)
  let code = input.take(2048)
  h.memory.write(code + [UInt8](repeating: 0xF4, count: 4096 - code.count), at: Harness.code)
  for vector in 0..<32 {
    let handler = Harness.code + UInt64(input.integer(UInt16.self) % 4096)
    if mode == .long64 { h.setGate64(vector, handler: handler) } else { h.setGate32(vector, handler: handler) }
  }
  for register in Reg.allCases where register != .rsp {
    let value = input.integer(UInt64.self)
    // A third of the registers point at data or at the MMIO window, so memory operands reach both.
    switch value % 3 {
    case 0: h.cpu.setRegister(register, Harness.data + (value >> 8) % 4096)
    case 1: h.cpu.setRegister(register, mmioBase + (value >> 8) % 4096)
    default: h.cpu.setRegister(register, value)
    }
  }
  let devices = FuzzDevices(answers: input.rest(), interruptEvery: interruptEvery)
  h.machine.ports.register(devices, ports: 0...0xFFFF)
  h.memory.map(devices, at: mmioBase, length: 0x1000)
  h.machine.interruptController = devices
  h.cpu.rflags = 0x202
  let reason = h.machine.run(until: 20_000)
  require(h.machine.stats.cycles <= 20_000 + 100_000, "ran \(h.machine.stats.cycles) cycles past the bound: \(reason)")
  return 0
}
