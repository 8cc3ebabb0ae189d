// Exceptions.swift: what the kernel does when the CPU reports a fault.
//
// Vectors 0-31 are reserved for CPU exceptions (SDM Vol. 3A 7.15). Faults report the address of
// the faulting instruction, traps the one after it. Most of them mean a kernel bug here, so they
// end on the panic screen with the registers at the time. Two are handled differently:
//   #BP (3), raised by INT3, is a debugging trap: report the frame and carry on.
//   #UD (6) is also how Swift stops the program: a failed precondition, an overflow or an
//   out-of-bounds index compile to UD2. If the Swift runtime printed its message first, the panic
//   screen shows it.
// A page fault (#PF, 14) also reports CR2, the address that faulted, and decodes its error code
// (SDM Vol. 3A 4.7, Figure 4-12).

enum Exception {
  static let divideError = 0
  static let breakpoint = 3
  static let invalidOpcode = 6
  static let doubleFault = 8
  static let generalProtection = 13
  static let pageFault = 14

  /// The SDM's name of each exception vector.
  static func name(_ vector: Int) -> StaticString {
    switch vector {
    case 0: return "DIVIDE ERROR (#DE)"
    case 1: return "DEBUG (#DB)"
    case 2: return "NON-MASKABLE INTERRUPT"
    case 3: return "BREAKPOINT (#BP)"
    case 4: return "OVERFLOW (#OF)"
    case 5: return "BOUND RANGE EXCEEDED (#BR)"
    case 6: return "INVALID OPCODE (#UD)"
    case 7: return "DEVICE NOT AVAILABLE (#NM)"
    case 8: return "DOUBLE FAULT (#DF)"
    case 9: return "COPROCESSOR SEGMENT OVERRUN"
    case 10: return "INVALID TSS (#TS)"
    case 11: return "SEGMENT NOT PRESENT (#NP)"
    case 12: return "STACK-SEGMENT FAULT (#SS)"
    case 13: return "GENERAL PROTECTION (#GP)"
    case 14: return "PAGE FAULT (#PF)"
    case 16: return "x87 FLOATING-POINT ERROR (#MF)"
    case 17: return "ALIGNMENT CHECK (#AC)"
    case 18: return "MACHINE CHECK (#MC)"
    case 19: return "SIMD FLOATING-POINT (#XM)"
    case 20: return "VIRTUALIZATION (#VE)"
    case 21: return "CONTROL PROTECTION (#CP)"
    default: return "RESERVED EXCEPTION"
    }
  }

  static func handle(_ frame: UnsafeMutablePointer<InterruptFrame>) {
    let vector = Int(frame.pointee.vector)
    switch vector {
    case breakpoint:
      reportBreakpoint(frame.pointee)
    case invalidOpcode where console.recentLine.looksLikeSwiftRuntimeError:
      panicReport(title: "SWIFT RUNTIME ERROR", frame: frame.pointee) { out in
        console.recentLine.write(to: &out)
        out.write("\n")
      }
    case pageFault:
      let address = hw_read_cr2()
      panicReport(title: name(vector), frame: frame.pointee) { out in
        out.write("CR2=")
        out.write(hex: address, minimumDigits: 16)
        out.write(" error code: ")
        describePageFault(frame.pointee.errorCode, to: &out)
        out.write("\n")
      }
    case doubleFault:
      panicReport(title: name(vector), frame: frame.pointee) { out in
        out.write("A fault occurred while the CPU was delivering another one. In a kernel this\n")
        out.write("is usually a stack overflow into the guard page below the kernel stack.\n")
      }
    default:
      panicReport(title: name(vector), frame: frame.pointee) { out in
        out.write("An unexpected CPU exception.\n")
      }
    }
  }

  /// INT3 is a trap: the saved RIP already points past it, so returning resumes the program.
  private static func reportBreakpoint(_ frame: InterruptFrame) {
    console.write("EXCEPTION: BREAKPOINT at RIP=")
    console.write(hex: frame.rip)
    console.write("\n")
    frame.dump(to: &console)
  }

  /// The #PF error code's bits: P (0), W/R (1), U/S (2), RSVD (3), I/D (4).
  static func describePageFault<Sink: ByteSink>(_ code: UInt64, to sink: inout Sink) {
    sink.write(code & 1 != 0 ? "protection violation" : "page not present")
    sink.write(code & 2 != 0 ? ", write" : ", read")
    sink.write(code & 4 != 0 ? ", user mode" : ", kernel mode")
    if code & 8 != 0 { sink.write(", reserved bit set") }
    if code & 16 != 0 { sink.write(", instruction fetch") }
  }
}
