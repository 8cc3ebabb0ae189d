// MachineDebugTarget.swift: the emulated PC as the gdb stub's DebugTarget.
//
// It keeps the debugger's breakpoints and watchpoints itself and applies them to whichever PC the
// session runs, so they survive a guest reset (the session then builds a new PC).

import GDBRemote
import Machine

package final class MachineDebugTarget: DebugTarget {
  package let session: Session
  /// Why the guest is stopped now (the reply to `?`).
  package var stopEvent: StopEvent = .signal(5)
  private var breakpoints: Set<UInt64> = []
  private var watchpoints: [Watchpoint] = []

  package var cpu: CPU { session.board.machine.cpu }

  package init(session: Session) {
    self.session = session
  }

  /// Puts the breakpoints and watchpoints into the session's current PC (after a reset).
  package func apply() {
    for address in breakpoints where !cpu.breakpointAddresses.contains(address) {
      cpu.setBreakpoint(at: address, true)
    }
    for w in watchpoints where !cpu.watchpoints.contains(w) { cpu.setWatchpoint(w, true) }
  }

  /// Removes every breakpoint and watchpoint (gdb detached).
  package func clearAll() {
    for address in breakpoints { cpu.setBreakpoint(at: address, false) }
    for w in watchpoints { cpu.setWatchpoint(w, false) }
    breakpoints = []
    watchpoints = []
  }

  // MARK: Registers (X86Registers.all order)

  /// gdb's amd64 general-register order (its numbers 0-15; the CPU's are SDM Vol. 2A 2.1.5 table 2-2),
  /// which is also the order QEMU's monitor lists them in.
  static let generalOrder: [Reg] = [
    .rax, .rbx, .rcx, .rdx, .rsi, .rdi, .rbp, .rsp, .r8, .r9, .r10, .r11, .r12, .r13, .r14, .r15,
  ]
  private static let selectorOrder = [Seg.cs, Seg.ss, Seg.ds, Seg.es, Seg.fs, Seg.gs]

  package func readRegister(_ number: Int) -> [UInt8] {
    let size = X86Registers.all[number].bytes
    switch number {
    case 33..<41:
      // i387_ext: the 64-bit significand, then sign and exponent.
      let st = cpu.x87Stack(number - 33)
      return Self.littleEndian(st.significand) + Self.littleEndian(UInt64(st.signAndExponent)).prefix(2)
    case 49..<65:
      let v = cpu.xmm(number - 49)
      return Self.littleEndian(v.low) + Self.littleEndian(v.high)
    default:
      return Array(Self.littleEndian(value(of: number)).prefix(size))
    }
  }

  private func value(of number: Int) -> UInt64 {
    switch number {
    case 0..<16: return cpu.register(Self.generalOrder[number])
    case 16: return cpu.rip
    case 17: return cpu.rflags & 0xFFFF_FFFF
    case 18..<24: return UInt64(cpu.segment(Self.selectorOrder[number - 18]).selector)
    case 24: return cpu.fsBase
    case 25: return cpu.gsBase
    case 26: return cpu.kernelGSBase
    case 27: return cpu.cr0
    case 28: return cpu.cr2
    case 29: return cpu.cr3
    case 30: return cpu.cr4
    case 31: return cpu.cr8
    case 32: return cpu.efer
    case 41: return UInt64(cpu.x87ControlWords.control)
    case 42: return UInt64(cpu.x87ControlWords.status)
    case 43: return UInt64(cpu.x87ControlWords.tags)
    // FCS:FIP, FDS:FDP and FOP as FXSAVE's 32-bit layout holds them (SDM Vol. 1 table 10-2).
    case 44: return cpu.x87LastInstruction.instruction >> 32 & 0xFFFF
    case 45: return cpu.x87LastInstruction.instruction & 0xFFFF_FFFF
    case 46: return cpu.x87LastInstruction.data >> 32 & 0xFFFF
    case 47: return cpu.x87LastInstruction.data & 0xFFFF_FFFF
    case 48: return UInt64(cpu.x87LastInstruction.opcode)
    case 65: return UInt64(cpu.mxcsr)
    default: return 0
    }
  }

  /// Writable: the general registers, RIP, RFLAGS, the FS/GS bases, KernelGSBase, CR2, CR8, the XMM
  /// registers and MXCSR (its reserved bits refused, as LDMXCSR would). The selectors and the other
  /// control registers change how the CPU decodes and translates, which only the guest's own
  /// instructions may do consistently; the x87 registers are shown only.
  package func writeRegister(_ number: Int, _ bytes: [UInt8]) -> Bool {
    guard Self.write(register: number, bytes, to: cpu) else { return false }
    session.divergeHere()
    session.note(.registerWrite(number: number, bytes: bytes))
    return true
  }

  package static func write(register number: Int, _ bytes: [UInt8], to cpu: CPU) -> Bool {
    var v: UInt64 = 0
    for (k, b) in bytes.prefix(8).enumerated() { v |= UInt64(b) << (8 * UInt64(k)) }
    switch number {
    case 0..<16: cpu.setRegister(Self.generalOrder[number], v)
    case 16: cpu.rip = v
    case 17: cpu.rflags = v
    case 24: cpu.fsBase = v
    case 25: cpu.gsBase = v
    case 26: cpu.kernelGSBase = v
    case 28: cpu.cr2 = v
    case 31: cpu.cr8 = v & 0xF
    case 49..<65 where bytes.count == 16:
      var high: UInt64 = 0
      for (k, b) in bytes.dropFirst(8).enumerated() { high |= UInt64(b) << (8 * UInt64(k)) }
      cpu.setXMM(number - 49, low: v, high: high)
    case 65:
      return v >> 32 == 0 && cpu.setMXCSR(UInt32(v))
    default: return false
    }
    return true
  }

  private static func littleEndian(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

  // MARK: Memory and breakpoints

  package func readMemory(at address: UInt64, count: Int) -> [UInt8]? {
    cpu.debugRead(linear: address, count: count)
  }

  package func writeMemory(at address: UInt64, _ bytes: [UInt8]) -> Bool {
    guard cpu.debugWrite(linear: address, bytes) else { return false }
    session.divergeHere()
    session.note(.memoryWrite(address: address, bytes: bytes))
    return true
  }

  package func setBreakpoint(_ kind: BreakpointKind, at address: UInt64, length: UInt64, _ enabled: Bool) -> Bool {
    switch kind {
    case .software, .hardware:
      if enabled { breakpoints.insert(address) } else { breakpoints.remove(address) }
      cpu.setBreakpoint(at: address, enabled)
    case .write, .read, .access:
      let w = Watchpoint(
        kind: kind == .write ? .write : kind == .read ? .read : .access, address: address, length: length)
      if enabled {
        if !watchpoints.contains(w) { watchpoints.append(w) }
      } else {
        watchpoints.removeAll { $0 == w }
      }
      cpu.setWatchpoint(w, enabled)
    }
    return true
  }

  package func monitor(_ command: String) -> String {
    MonitorCommands(session: session).run(command)
  }
}
