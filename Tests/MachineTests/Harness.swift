// Also compiled into the fuzz targets (scripts/fuzz), so it needs nothing but the Machine module.

@testable import Machine

/// A bare machine (no devices) with the CPU already in 64-bit long mode or 32-bit protected mode,
/// identity-mapped with 2 MiB pages over the first 1 GiB, a flat GDT and an empty IDT.
final class Harness {
  let machine: Machine
  var cpu: CPU { machine.cpu }
  var memory: PhysicalMemory { machine.memory }

  static let gdtBase: UInt64 = 0x1000
  static let pml4: UInt64 = 0x2000
  static let pdpt: UInt64 = 0x3000
  static let pd: UInt64 = 0x4000
  static let idtBase: UInt64 = 0x5000
  static let tssBase: UInt64 = 0x6000
  static let code: UInt64 = 0x10000
  static let data: UInt64 = 0x20000
  static let stackTop: UInt64 = 0x80000

  /// Selectors in the test GDT.
  static let code64: UInt16 = 0x08, data64: UInt16 = 0x10, code32: UInt16 = 0x18, user64: UInt16 = 0x23
  static let userData: UInt16 = 0x2B, tss: UInt16 = 0x30

  enum Mode { case long64, protected32, protected32Paged }

  init(_ mode: Mode = .long64, memorySize: UInt64 = 16 << 20) {
    machine = Machine(memorySize: memorySize)
    let gdt: [UInt64] = [
      0,
      0x00AF_9A00_0000_FFFF,  // 0x08 64-bit code DPL0
      0x00CF_9200_0000_FFFF,  // 0x10 data DPL0
      0x00CF_9A00_0000_FFFF,  // 0x18 32-bit code DPL0
      0x00AF_FA00_0000_FFFF,  // 0x20 64-bit code DPL3
      0x00CF_F200_0000_FFFF,  // 0x28 data DPL3
      0x0000_8900_0000_0067 | (Harness.tssBase << 16),  // 0x30 64-bit TSS (low half)
      0,  // TSS high half
    ]
    for (i, d) in gdt.enumerated() { memory.write(Harness.gdtBase + UInt64(i * 8), size: 8, value: d) }
    cpu.gdtr = TableRegister(base: Harness.gdtBase, limit: UInt16(gdt.count * 8 - 1))
    cpu.cr0 = ControlBit.pe | ControlBit.et
    let data = SegmentRegister(selector: Harness.data64, base: 0, limit: 0xFFFF_FFFF, attributes: 0xC093)
    for s in [Seg.ds, Seg.es, Seg.fs, Seg.gs, Seg.ss] { cpu.setSegment(s, data) }
    switch mode {
    case .long64:
      identityMap()
      cpu.cr3 = Harness.pml4
      cpu.cr4 = ControlBit.pae
      cpu.efer = ControlBit.lme | ControlBit.lma | ControlBit.nxe | ControlBit.sce
      cpu.cr0 = ControlBit.pe | ControlBit.pg | ControlBit.et | ControlBit.wp
      cpu.setSegment(Seg.cs, SegmentRegister(selector: Harness.code64, base: 0, limit: 0xFFFF_FFFF, attributes: 0xA09B))
      cpu.idtr = TableRegister(base: Harness.idtBase, limit: 256 * 16 - 1)
    case .protected32, .protected32Paged:
      cpu.setSegment(Seg.cs, SegmentRegister(selector: Harness.code32, base: 0, limit: 0xFFFF_FFFF, attributes: 0xC09B))
      cpu.idtr = TableRegister(base: Harness.idtBase, limit: 256 * 8 - 1)
    }
    cpu.tr = SegmentRegister(selector: Harness.tss, base: Harness.tssBase, limit: 0x67, attributes: 0x008B)
    cpu.flushTLB()
    cpu.rflags = 0x2
    cpu.rsp = Harness.stackTop
    cpu.rip = Harness.code
  }

  /// PML4[0] -> PDPT[0] -> PD with 512 2 MiB pages (present, writable, user).
  func identityMap() {
    memory.write(Harness.pml4, size: 8, value: Harness.pdpt | 7)
    memory.write(Harness.pdpt, size: 8, value: Harness.pd | 7)
    for i in 0..<512 { memory.write(Harness.pd + UInt64(i * 8), size: 8, value: (UInt64(i) << 21) | 0x87) }
  }

  /// Loads code at `Harness.code` (followed by HLT) and runs until the CPU stops.
  @discardableResult
  func run(_ code: [UInt8], cycles: UInt64 = 10_000_000) -> StopReason {
    memory.write(code + [0xF4], at: Harness.code)
    cpu.rip = Harness.code
    return machine.run(until: cpu.cycles + cycles)
  }

  /// Installs a 64-bit interrupt gate for `vector` pointing at `handler` (type 0xE or trap 0xF).
  func setGate64(_ vector: Int, handler: UInt64, ist: Int = 0, dpl: Int = 0, trap: Bool = false) {
    let type: UInt64 = trap ? 0xF : 0xE
    let low =
      (handler & 0xFFFF) | (UInt64(Harness.code64) << 16) | (UInt64(ist) << 32) | (type << 40)
      | (UInt64(dpl) << 45) | (1 << 47) | ((handler >> 16) & 0xFFFF) << 48
    let base = Harness.idtBase + UInt64(vector * 16)
    memory.write(base, size: 8, value: low)
    memory.write(base + 8, size: 8, value: handler >> 32)
  }

  /// Installs a 32-bit interrupt gate.
  func setGate32(_ vector: Int, handler: UInt64, dpl: Int = 0, trap: Bool = false) {
    let type: UInt64 = trap ? 0xF : 0xE
    let low =
      (handler & 0xFFFF) | (UInt64(Harness.code32) << 16) | (type << 40) | (UInt64(dpl) << 45) | (1 << 47)
      | ((handler >> 16) & 0xFFFF) << 48
    memory.write(Harness.idtBase + UInt64(vector * 8), size: 8, value: low)
  }

  func read(_ address: UInt64, size: Int = 8) -> UInt64 { memory.read(address, size: size) }

  /// Gates for `vectors` whose handlers (16 bytes apart from `base`) put the vector number in R15, or
  /// EDI outside 64-bit mode, and halt: a test reads which exception it got.
  func recordVectors(_ vectors: [Int], handlers base: UInt64) {
    let long = cpu.mode == .long64
    for vector in vectors {
      let at = base + UInt64(vector * 16)
      let number = withUnsafeBytes(of: UInt32(vector).littleEndian, Array.init)
      if long {
        setGate64(vector, handler: at)
        memory.write([0x41, 0xBF] + number + [0xF4], at: at)  // mov r15d, vector; hlt
      } else {
        setGate32(vector, handler: at)
        memory.write([0xBF] + number + [0xF4], at: at)  // mov edi, vector; hlt
      }
    }
  }
}
