// MonitorCommands.swift: gdb's `monitor ...` (qRcmd), with QEMU's monitor commands and output shapes
// where they exist: info registers, info mem, info gdt, info idt, xp, savevm, loadvm, info snapshots;
// system_reset; and emu's save-state / load-state, the state files of --save-state / --load-state.

import HostFiles
import Machine

package struct MonitorCommands {
  package let session: Session
  package var cpu: CPU { session.board.machine.cpu }

  package func run(_ line: String) -> String {
    let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    switch (words.first, words.dropFirst().first) {
    case ("info", "registers"?), ("info", "reg"?): return registers()
    case ("info", "mem"?): return memoryMap()
    case ("info", "gdt"?): return descriptorTable(cpu.gdtr, name: "GDT")
    case ("info", "idt"?): return interruptTable()
    case ("xp", _): return physical(Array(words.dropFirst()))
    case ("savevm", let name?):
      session.saveSnapshot(named: name)
      return "saved snapshot '\(name)' at cycle \(session.totalCycles)\n"
    case ("loadvm", let name?):
      do {
        try session.loadSnapshot(named: name)
      } catch {
        return "loadvm: \(error)\n"
      }
      // gdb keeps the registers it read: `flushregs` makes it read the restored ones.
      return "loaded snapshot '\(name)': cycle \(session.totalCycles); run 'flushregs' in gdb\n"
    case ("system_reset", nil):
      do {
        try session.pressReset()
      } catch {
        return "system_reset: \(error)\n"
      }
      return "reset at cycle \(session.totalCycles): the kernel boots again; run 'flushregs' in gdb\n"
    case ("save-state", _):
      guard let path = argument(of: words) else { return "usage: save-state FILE\n" }
      do {
        try OutputFile(path: path, what: "state file").write(session.stateFile())
      } catch {
        return "save-state: \(error)\n"
      }
      return "wrote the machine at cycle \(session.totalCycles) to \(path)\n"
    case ("load-state", _):
      guard let path = argument(of: words) else { return "usage: load-state FILE\n" }
      guard session.replayEnd == nil else { return "load-state: not while replaying a recording\n" }
      guard let bytes = InputFile.bytes(atPath: path) else { return "load-state: cannot read \(path)\n" }
      do {
        try session.loadStateFile(bytes, path: path)
      } catch {
        return "load-state: \(error)\n"
      }
      session.afterReset?()
      return "loaded \(path): cycle \(session.totalCycles), the start of the history now; run 'flushregs' in gdb\n"
    case ("sstep", "irq"?):
      switch words.dropFirst(2).first {
      case "on"?: session.stepsEnterInterrupts = true
      case "off"?: session.stepsEnterInterrupts = false
      case nil: break
      default: return "usage: sstep irq [on|off]\n"
      }
      return "stepping \(session.stepsEnterInterrupts ? "enters" : "does not enter") pending interrupts\n"
    case ("info", "snapshots"?):
      let names = session.namedSnapshots.sorted { $0.value.cycle < $1.value.cycle }
      let kept = session.checkpoints.reduce(0) { $0 + $1.byteCount }
      let automatic =
        "reverse-execution checkpoints: \(session.checkpoints.count), \(kept >> 10) KiB (one each \(Session.checkpointSpacing) cycles)\n"
      if names.isEmpty { return "no snapshots\n" + automatic }
      return names.map { "\($0.key)  cycle \($0.value.cycle)  \($0.value.state.count >> 10) KiB\n" }.joined()
        + automatic
    case ("help", _), (nil, _):
      return """
        info registers   all registers with the hidden segment parts, tables and MSRs
        info mem         the mappings of the current page tables (CR3)
        info gdt         the descriptors in the GDT
        info idt         the gates in the IDT
        xp /NFU ADDR     physical memory: N units of U (b h w g) in format F (x d u c)
        savevm NAME      keep a snapshot of the whole machine under NAME
        loadvm NAME      return to it (what happened after it is forgotten)
        info snapshots   the snapshots kept
        system_reset     reset the PC: the kernel boots again (kept in the history and recordings)
        save-state FILE  write the whole machine to FILE (as --save-state; --load-state reads it)
        load-state FILE  start again from FILE: it becomes the start of the history
        sstep irq on|off whether stepi takes a pending interrupt first (default off, as QEMU)

        """
    default:
      return "unknown monitor command: \(line) (try 'monitor help')\n"
    }
  }

  /// The rest of the line after the command word (a path may hold spaces), or nil when empty.
  private func argument(of words: [String]) -> String? {
    let rest = words.dropFirst().joined(separator: " ")
    return rest.isEmpty ? nil : rest
  }

  private func hex(_ v: UInt64, _ digits: Int = 16) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: max(0, digits - s.count)) + s
  }

  // MARK: info registers

  private func registers() -> String {
    let order = MachineDebugTarget.generalOrder
    var out = ""
    for row in 0..<4 {
      let cells = (0..<4).map { k -> String in
        let r = order[row * 4 + k]
        let name = "\(r)".uppercased()
        return "\(name)\(String(repeating: " ", count: max(0, 3 - name.count)))=\(hex(cpu.register(r)))"
      }
      out += cells.joined(separator: " ") + "\n"
    }
    let flags = cpu.rflags
    let letters = [(11, "O"), (10, "D"), (9, "I"), (8, "T"), (7, "S"), (6, "Z"), (4, "A"), (2, "P"), (0, "C")]
    let shown = letters.map { flags & (1 << UInt64($0.0)) != 0 ? $0.1 : "-" }.joined()
    out += "RIP=\(hex(cpu.rip)) RFL=\(hex(flags, 8)) [\(shown)] CPL=\(cpu.cpl) II=\(cpu.inInterruptShadow ? 1 : 0)"
    out += " HLT=\(cpu.isHalted ? 1 : 0) MODE=\(cpu.mode)\n"
    for (name, s) in [("ES", Seg.es), ("CS", Seg.cs), ("SS", Seg.ss), ("DS", Seg.ds), ("FS", Seg.fs), ("GS", Seg.gs)] {
      out += segmentLine(name, cpu.segment(s))
    }
    out += segmentLine("LDT", cpu.ldtr)
    out += segmentLine("TR", cpu.tr)
    out += "GDT=     \(hex(cpu.gdtr.base)) \(hex(UInt64(cpu.gdtr.limit), 8))\n"
    out += "IDT=     \(hex(cpu.idtr.base)) \(hex(UInt64(cpu.idtr.limit), 8))\n"
    out += "CR0=\(hex(cpu.cr0, 8)) CR2=\(hex(cpu.cr2)) CR3=\(hex(cpu.cr3)) CR4=\(hex(cpu.cr4, 8))\n"
    out += "CR8=\(hex(cpu.cr8)) EFER=\(hex(cpu.efer))\n"
    let msrs: [(String, UInt32)] = [
      ("STAR", MSR.star), ("LSTAR", MSR.lstar), ("CSTAR", MSR.cstar), ("SFMASK", MSR.sfmask),
      ("KERNEL_GS_BASE", MSR.kernelGSBase), ("TSC", MSR.tsc),
    ]
    out += msrs.map { "\($0.0)=\(hex(cpu.debugReadMSR($0.1) ?? 0))" }.joined(separator: " ") + "\n"
    out += floatingPointLines()
    return out
  }

  /// QEMU's FPU part of `info registers`: FCW, FSW, TOP, the abridged tag byte and MXCSR, the eight
  /// x87 registers by physical number, then XMM0-XMM15 (XMM0-XMM7 outside 64-bit code), high half
  /// first.
  private func floatingPointLines() -> String {
    let words = cpu.x87ControlWords
    let top = Int(words.status >> 11 & 7)
    var out = "FCW=\(hex(UInt64(words.control), 4)) FSW=\(hex(UInt64(words.status), 4)) [ST=\(top)]"
    out += " FTW=\(hex(UInt64(words.abridgedTags), 2)) MXCSR=\(hex(UInt64(cpu.mxcsr), 8))\n"
    for physical in 0..<8 {
      let st = cpu.x87Stack((physical - top) & 7)
      out += "FPR\(physical)=\(hex(st.significand)) \(hex(UInt64(st.signAndExponent), 4))"
      out += physical & 1 == 1 ? "\n" : " "
    }
    let count = cpu.mode == .long64 ? 16 : 8
    for n in 0..<count {
      let v = cpu.xmm(n)
      out += "XMM\(n < 10 ? "0" : "")\(n)=\(hex(v.high))\(hex(v.low))" + (n & 1 == 1 ? "\n" : " ")
    }
    return out
  }

  /// Selector, base, limit, attributes (access byte and flags), and a reading of them.
  private func segmentLine(_ name: String, _ s: SegmentRegister) -> String {
    let label = name.count < 3 ? name + String(repeating: " ", count: 3 - name.count) : name
    var kind: String
    if !s.isPresent {
      kind = "not present"
    } else if s.attributes & 0x10 == 0 {
      kind = "system type \(s.attributes & 0xF)"
    } else if s.isCode {
      kind = s.isLong ? "CS64" : (s.isDefault32 ? "CS32" : "CS16")
      kind += " [" + (s.attributes & 4 != 0 ? "C" : "-") + (s.attributes & 2 != 0 ? "R" : "-") + "]"
    } else {
      kind =
        (s.isDefault32 ? "DS" : "DS16") + "   [" + (s.attributes & 4 != 0 ? "E" : "-")
        + (s.attributes & 2 != 0 ? "W" : "-") + (s.attributes & 1 != 0 ? "A" : "-") + "]"
    }
    return
      "\(label)=\(hex(UInt64(s.selector), 4)) \(hex(s.base)) \(hex(UInt64(s.limit), 8)) \(hex(UInt64(s.attributes), 4)) DPL=\(s.dpl) \(kind)\n"
  }

  // MARK: info mem

  private func memoryMap() -> String {
    guard cpu.cr0 & ControlBit.pg != 0 else { return "PG disabled\n" }
    var out = ""
    for m in cpu.mappings() {
      let rights =
        (m.rights.user ? "u" : "-") + "r" + (m.rights.writable ? "w" : "-") + (m.rights.executable ? "x" : "-")
      out += "\(hex(m.linear))-\(hex(m.linear &+ m.size)) \(hex(m.size)) \(rights) phys=\(hex(m.physical))\n"
    }
    return out.isEmpty ? "no mappings\n" : out
  }

  // MARK: info gdt / info idt

  /// One line per descriptor slot (SDM Vol. 3A 3.4.5); in long mode system descriptors take two slots.
  private func descriptorTable(_ table: TableRegister, name: String) -> String {
    var out = "\(name) base=\(hex(table.base)) limit=\(hex(UInt64(table.limit), 4))\n"
    var offset: UInt64 = 0
    let count = min(UInt64(table.limit) + 1, 0x10000)
    while offset + 8 <= count {
      guard let low = cpu.debugRead(linear: table.base &+ offset, count: 8).map(Self.value) else {
        out += "\(hex(offset, 4)): not mapped\n"
        break
      }
      let high = low >> 32
      let access = (high >> 8) & 0xFF
      let present = access & 0x80 != 0
      let system = access & 0x10 == 0
      var base = (low >> 16) & 0xFF_FFFF | (high & 0xFF00_0000)
      var limit = (low & 0xFFFF) | (high & 0xF_0000)
      if high & 0x80_0000 != 0 { limit = limit << 12 | 0xFFF }
      var step: UInt64 = 8
      var text: String
      if low == 0 {
        text = "null"
      } else if system {
        let type = access & 0xF
        if cpu.isLongModeActive, offset + 16 <= count,
          let upper = cpu.debugRead(linear: table.base &+ offset &+ 8, count: 8).map(Self.value)
        {
          base |= (upper & 0xFFFF_FFFF) << 32
          step = 16
        }
        let names: [UInt64: String] = [2: "LDT", 9: "TSS (available)", 11: "TSS (busy)", 12: "call gate"]
        text = "\(names[type] ?? "system type \(type)") base=\(hex(base)) limit=\(hex(limit, 8))"
      } else {
        let code = access & 8 != 0
        let l = high & 0x20_0000 != 0
        let d = high & 0x40_0000 != 0
        let kind = code ? (l ? "code64" : d ? "code32" : "code16") : (d ? "data32" : "data16")
        text = "\(kind) base=\(hex(base, 8)) limit=\(hex(limit, 8))"
      }
      if low != 0 { text += " DPL=\((access >> 5) & 3)" + (present ? "" : " not present") }
      out += "\(hex(offset, 4)): \(text)\n"
      offset += step
    }
    return out
  }

  /// The IDT's gates (SDM Vol. 3A 6.11, 6.14.1): 16 bytes each in long mode, 8 otherwise.
  private func interruptTable() -> String {
    let table = cpu.idtr
    var out = "IDT base=\(hex(table.base)) limit=\(hex(UInt64(table.limit), 4))\n"
    if cpu.cr0 & ControlBit.pe == 0 {
      return out + "real mode: the table is the interrupt vector table (segment:offset pairs)\n"
    }
    let size: UInt64 = cpu.isLongModeActive ? 16 : 8
    var vector: UInt64 = 0
    while (vector + 1) * size <= UInt64(table.limit) + 1 && vector < 256 {
      guard let bytes = cpu.debugRead(linear: table.base &+ vector * size, count: Int(size)) else {
        out += "\(vector): not mapped\n"
        break
      }
      let low = Self.value(bytes[0..<8])
      let high = size == 16 ? Self.value(bytes[8..<16]) : 0
      let access = (low >> 40) & 0xFF
      if access & 0x80 != 0 {
        let offset = (low & 0xFFFF) | ((low >> 32) & 0xFFFF_0000) | ((high & 0xFFFF_FFFF) << 32)
        let selector = (low >> 16) & 0xFFFF
        let type = access & 0xF
        let kind =
          type == 0xE || type == 6
          ? "interrupt gate" : type == 0xF || type == 7 ? "trap gate" : type == 5 ? "task gate" : "type \(type)"
        var line = "\(vector): \(hex(selector, 4)):\(hex(offset)) \(kind) DPL=\((access >> 5) & 3)"
        if size == 16 && low >> 32 & 7 != 0 { line += " IST=\(low >> 32 & 7)" }
        out += line + "\n"
      }
      vector += 1
    }
    return out
  }

  // MARK: xp

  /// `xp /NFU ADDR` as in QEMU's monitor: N units of U bytes, in format F, from a physical address.
  private func physical(_ arguments: [String]) -> String {
    var count = 1, unit = 4, format: Character = "x"
    var rest = arguments[...]
    if let spec = rest.first, spec.hasPrefix("/") {
      rest = rest.dropFirst()
      let digits = spec.dropFirst().prefix { $0.isNumber }
      count = Int(digits) ?? 1
      for c in spec.dropFirst(1 + digits.count) {
        switch c {
        case "b": unit = 1
        case "h": unit = 2
        case "w": unit = 4
        case "g": unit = 8
        case "x", "d", "u", "c": format = c
        default: return "xp: unknown format letter '\(c)'\n"
        }
      }
    }
    guard let text = rest.first, rest.count == 1, let address = Self.parseNumber(text) else {
      return "usage: xp /NFU ADDR (for example xp /16xb 0xb8000)\n"
    }
    count = min(max(count, 1), 4096)
    guard address < 1 << 52 else { return "xp: 0x\(String(address, radix: 16)) is beyond the physical address space\n" }
    var out = ""
    let perLine = max(1, 16 / unit)
    for i in 0..<count {
      let a = address &+ UInt64(i * unit)
      if i % perLine == 0 { out += (i == 0 ? "" : "\n") + "\(hex(a)):" }
      let v = cpu.memory.read(a, size: unit)
      switch format {
      case "d": out += " \(Int64(bitPattern: v << (64 - 8 * UInt64(unit))) >> (64 - 8 * Int64(unit)))"
      case "u": out += " \(v)"
      case "c": out += " '" + (v >= 0x20 && v < 0x7F ? String(UnicodeScalar(UInt8(v))) : ".") + "'"
      default: out += " 0x" + hex(v, unit * 2)
      }
    }
    return out + "\n"
  }

  package static func parseNumber(_ text: String) -> UInt64? {
    if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt64(text.dropFirst(2), radix: 16) }
    return UInt64(text)
  }

  package static func value<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
    var v: UInt64 = 0
    for (k, b) in bytes.enumerated() { v |= UInt64(b) << (8 * UInt64(k)) }
    return v
  }
}
