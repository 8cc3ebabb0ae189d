// The deterministic cycle model. Real cycle counts depend on pipelines and caches; the emulator needs
// only a fixed, documented cost so that the same program reaches the same state at the same cycle.
//
// Cost of an instruction = `cost(op)` below (1 for most), plus 1 per iteration of a REP string
// instruction. Interrupt and exception delivery costs `deliveryCost`. HLT jumps the clock to the next
// device event instead of counting.

enum CycleModel {
  static let deliveryCost: UInt64 = 20

  static func cost(_ op: Op) -> UInt8 {
    switch op {
    case .mul, .imul1, .imul2, .imul3: return 3
    case .div, .idiv: return 20
    case .inAI, .inAD, .outIA, .outDA, .ins, .outs: return 10
    case .cpuid, .rdmsr, .wrmsr, .movToCR, .lgdt, .lidt, .ltr, .lldt, .invlpg: return 20
    case .intN, .int3, .into, .int1, .iret, .syscall, .sysret, .jmpFarPtr, .jmpFarM, .callFarPtr, .callFarM:
      return 20
    case .retf, .retfImm, .cmpxchgWide, .enter: return 5
    default: return 1
    }
  }
}
