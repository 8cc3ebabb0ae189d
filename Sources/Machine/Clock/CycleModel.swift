// The deterministic cycle model. Real cycle counts depend on pipelines and caches; the emulator needs
// only a fixed, documented cost so that the same program reaches the same state at the same cycle.
//
// Cost of an instruction = its opcode table row's `cycles` (Decode/OpcodeTable.swift: 1 unless the
// row names one of the costs below), plus 1 per iteration of a REP string instruction. Interrupt
// and exception delivery costs `delivery`. HLT jumps the clock to the next device event instead of
// counting.

enum CycleModel {
  /// MUL, IMUL.
  static let multiply: UInt8 = 3
  /// DIV, IDIV.
  static let divide: UInt8 = 20
  /// IN, OUT, INS, OUTS.
  static let portIO: UInt8 = 10
  /// CPUID, RDMSR/WRMSR, MOV to CR, descriptor-table and task-register loads, INVLPG, software
  /// interrupts, IRET, SYSCALL/SYSRET, far jumps and calls.
  static let system: UInt8 = 20
  /// Far returns, CMPXCHG8B/16B, ENTER.
  static let farReturn: UInt8 = 5
  /// Delivering an interrupt or exception.
  static let delivery: UInt64 = 20
}
