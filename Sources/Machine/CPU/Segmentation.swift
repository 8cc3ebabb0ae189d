// Segment descriptors and segment-register loads (SDM Vol. 3A 3.4.5, 5.5-5.8; checks per the MOV/POP
// pseudocode in Vol. 2B).

extension CPU {
  /// The linear address of the descriptor named by `selector`, checking the table limit (#GP(selector)).
  func descriptorAddress(_ selector: UInt16, size: UInt64 = 8) throws(Fault) -> UInt64 {
    let index = UInt64(selector & 0xFFF8)
    let code = UInt32(selector & 0xFFFC)
    if selector & 4 != 0 {
      if !ldtr.isUsable || index + size - 1 > UInt64(ldtr.limit) { throw Fault.gp(code) }
      return ldtr.base &+ index
    }
    if index + size - 1 > UInt64(gdtr.limit) { throw Fault.gp(code) }
    return gdtr.base &+ index
  }

  func readDescriptor(_ selector: UInt16) throws(Fault) -> Descriptor {
    Descriptor(try readSystem(try descriptorAddress(selector), size: 8))
  }

  /// The cached form of a code/data descriptor (base, limit scaled by G, attribute bits).
  func segment(from d: Descriptor, selector: UInt16) -> SegmentRegister {
    SegmentRegister(selector: selector, base: d.base, limit: d.limit, attributes: d.attributes)
  }

  /// Sets the accessed bit of a descriptor the first time it is loaded (SDM Vol. 3A 3.4.5.1).
  func markAccessed(_ selector: UInt16, _ d: Descriptor) throws(Fault) {
    if !d.isAccessed {
      let address = try descriptorAddress(selector)
      try writeSystem(address + 5, size: 1, d.accessByte | 1)
    }
  }

  /// MOV/POP to a data segment register or SS (SDM Vol. 2B MOV "Move to segment register" pseudocode).
  func loadSegment(_ s: Int, _ selector: UInt16) throws(Fault) {
    if mode == .real {
      var r = segments[s]
      r.selector = selector
      r.base = UInt64(selector) << 4
      segments[s] = r
      return
    }
    if mode == .virtual8086 {
      segments[s] = virtual8086Segment(selector, code: s == Seg.cs.rawValue)
      return
    }
    let rpl = Int(selector & 3)
    if selector & 0xFFFC == 0 {
      // A null selector makes the register unusable; SS may be null only in 64-bit mode below CPL 3.
      if s == Seg.ss.rawValue && !(mode == .long64 && cpl != 3 && rpl == cpl) { throw Fault.gp(0) }
      segments[s] = SegmentRegister(selector: selector, base: 0, limit: 0, attributes: 0)
      return
    }
    let d = try readDescriptor(selector)
    let code = UInt32(selector & 0xFFFC)
    if d.isSystem { throw Fault.gp(code) }
    if s == Seg.ss.rawValue {
      if d.isCode || !d.isReadableOrWritable || rpl != cpl || d.dpl != cpl { throw Fault.gp(code) }
      if !d.isPresent { throw Fault.ss(code) }
    } else {
      if d.isCode && !d.isReadableOrWritable { throw Fault.gp(code) }  // execute-only code
      if !d.isConforming && d.dpl < max(cpl, rpl) { throw Fault.gp(code) }
      if !d.isPresent { throw Fault.np(code) }
    }
    try markAccessed(selector, d)
    var seg = segment(from: d, selector: selector)
    seg.attributes |= 1
    segments[s] = seg
  }

  /// Installs a new CS after the caller checked it (far transfers, interrupts, returns).
  func setCodeSegment(_ selector: UInt16, descriptor d: Descriptor, cpl newCPL: Int) {
    var seg = segment(from: d, selector: (selector & 0xFFFC) | UInt16(newCPL))
    seg.attributes |= 1
    segments[Seg.cs] = seg
    updateMode()
    cpl = newCPL
  }

  /// Checks a code-segment descriptor for a far JMP/CALL (SDM Vol. 3A 5.8.1) and returns it.
  func codeDescriptorForFarTransfer(_ selector: UInt16) throws(Fault) -> Descriptor {
    if selector & 0xFFFC == 0 { throw Fault.gp(0) }
    let d = try readDescriptor(selector)
    let code = UInt32(selector & 0xFFFC)
    if !d.isCode { throw Fault.gp(code) }  // call/task gates not supported
    let rpl = Int(selector & 3)
    if d.isConforming {
      if d.dpl > cpl { throw Fault.gp(code) }
    } else if rpl > cpl || d.dpl != cpl {
      throw Fault.gp(code)
    }
    if !d.isPresent { throw Fault.np(code) }
    try markAccessed(selector, d)
    return d
  }

  /// A segment register in virtual-8086 mode: base = selector x 16, 64 KiB, DPL 3, 16-bit (SDM Vol. 3A
  /// 20.1.1).
  func virtual8086Segment(_ selector: UInt16, code: Bool) -> SegmentRegister {
    SegmentRegister(selector: selector, base: UInt64(selector) << 4, limit: 0xFFFF, attributes: code ? 0xFB : 0xF3)
  }

  /// A far JMP (or the transfer half of a far CALL) to selector:offset.
  func farJump(_ selector: UInt16, _ offset: UInt64) throws(Fault) {
    if segmentsAreParagraphs {
      segments[Seg.cs].selector = selector
      segments[Seg.cs].base = UInt64(selector) << 4
      nextRIP = offset & 0xFFFF
      return
    }
    if try farTransferToTask(selector, reason: .jump) { return }
    let d = try codeDescriptorForFarTransfer(selector)
    setCodeSegment(selector, descriptor: d, cpl: cpl)
    nextRIP = mode == .long64 ? offset : offset & 0xFFFF_FFFF
  }

  /// A far JMP or CALL whose selector names a TSS or a task gate switches tasks (SDM Vol. 2A JMP and
  /// CALL pseudocode, "task gate" and "TSS"; only outside IA-32e mode). Returns false for code segments.
  func farTransferToTask(_ selector: UInt16, reason: TaskSwitchReason) throws(Fault) -> Bool {
    guard !isLongModeActive, selector & 0xFFFC != 0 else { return false }
    let d = try readDescriptor(selector)
    guard d.isSystem, [0x1, 0x3, 0x5, 0x9, 0xB].contains(d.systemType) else { return false }
    let code = UInt32(selector & 0xFFFC)
    if d.dpl < max(cpl, Int(selector & 3)) { throw Fault.gp(code) }
    if !d.isPresent { throw Fault.np(code) }
    let target = d.systemType == 0x5 ? d.gateSelector : selector
    try switchTask(to: target, reason: reason, returnEIP: nextRIP)
    return true
  }
}
