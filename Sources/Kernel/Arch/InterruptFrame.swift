// InterruptFrame.swift: the machine state at the moment of an interrupt.
//
// Arch/interrupts.S builds this on the stack: the fifteen general registers it pushed (R15 lowest),
// the vector number and error code, then what the CPU itself pushed (SDM Vol. 3A 7.14.4:
// RIP, CS, RFLAGS, RSP, SS). The field order here is the memory order there; a handler may change
// fields (RIP, RAX, ...) and the stub's IRETQ resumes with the changed values.

struct InterruptFrame {
  var r15: UInt64
  var r14: UInt64
  var r13: UInt64
  var r12: UInt64
  var r11: UInt64
  var r10: UInt64
  var r9: UInt64
  var r8: UInt64
  var rbp: UInt64
  var rdi: UInt64
  var rsi: UInt64
  var rdx: UInt64
  var rcx: UInt64
  var rbx: UInt64
  var rax: UInt64
  var vector: UInt64
  var errorCode: UInt64
  var rip: UInt64
  var cs: UInt64
  var rflags: UInt64
  var rsp: UInt64
  var ss: UInt64
}

extension InterruptFrame {
  /// Writes the registers three to a line, as the exception screens show them.
  func dump<Sink: ByteSink>(to sink: inout Sink) {
    func register(_ name: StaticString, _ value: UInt64, _ last: Bool) {
      sink.write(name)
      sink.write("=")
      sink.write(hex: value, minimumDigits: 16, prefix: false)
      sink.write(last ? "\n" : " ")
    }
    register("RAX", rax, false)
    register("RBX", rbx, false)
    register("RCX", rcx, true)
    register("RDX", rdx, false)
    register("RSI", rsi, false)
    register("RDI", rdi, true)
    register("RBP", rbp, false)
    register("RSP", rsp, false)
    register("R8 ", r8, true)
    register("R9 ", r9, false)
    register("R10", r10, false)
    register("R11", r11, true)
    register("R12", r12, false)
    register("R13", r13, false)
    register("R14", r14, true)
    register("R15", r15, false)
    register("RIP", rip, false)
    register("RFL", rflags, true)
    sink.write("CS=")
    sink.write(hex: cs, minimumDigits: 4, prefix: false)
    sink.write(" SS=")
    sink.write(hex: ss, minimumDigits: 4, prefix: false)
    sink.write(" vector=")
    sink.write(decimal: vector)
    sink.write(" error code=")
    sink.write(hex: errorCode)
    sink.write("\n")
  }
}
