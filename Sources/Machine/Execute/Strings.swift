// MOVS CMPS STOS LODS SCAS INS OUTS with REP/REPE/REPNE (SDM Vol. 2B "REP/REPE/REPZ/REPNE/REPNZ").
// The count and index registers are updated after every iteration, so a fault in the middle leaves
// the architectural state that lets the instruction restart where it stopped.

extension CPU {
  func executeString(_ i: Instruction) throws(Fault) {
    let size = Int(i.opSize)
    let addressMask = sizeMask(Int(i.addrSize))
    let step: UInt64 = direction ? 0 &- UInt64(size) : UInt64(size)
    let source = Int(i.segment)
    if i.rep == 0 {
      try stringIteration(i, size: size, step: step, mask: addressMask, source: source)
      return
    }
    // Watched memory must see every element: the element loop's accesses are checked.
    if (i.op == .movs || i.op == .stos) && !direction && i.addrSize != 2 && !hasWatchpoints {
      if try fastRepeat(i, size: size, mask: addressMask, source: source) {
        suspendRepeat()
        return
      }
    }
    while true {
      let count = regs[Reg.rcx] & addressMask
      if count == 0 { return }
      try stringIteration(i, size: size, step: step, mask: addressMask, source: source)
      writeReg(Reg.rcx.rawValue, size: Int(i.addrSize), rex: false, count &- 1)
      cycles &+= 1
      if i.op == .cmps || i.op == .scas {
        // REPE stops when ZF=0, REPNE when ZF=1.
        let z = zero
        if (i.rep == 1 && !z) || (i.rep == 2 && z) { return }
      }
      // A watchpoint hit (the only exit set mid-instruction), or a guest data or I/O breakpoint's
      // trap, stops after this iteration, RIP still on the instruction (SDM Vol. 3B 18.3.1.2).
      if (cycles >= sliceLimit || exitPending || pendingDebugTrap & 0xF != 0) && count > 1 {
        suspendRepeat()
        return
      }
    }
  }

  /// Stops a REP instruction between iterations: it resumes with the next slice. It retires once,
  /// when it completes, so the block loop's count of it is taken back: the number of instructions
  /// retired must not depend on where slices end (a replay or a debugger cuts them elsewhere).
  @inline(__always)
  func suspendRepeat() {
    nextRIP = rip
    instructionsRetired &-= 1
  }

  @inline(__always)
  func advanceIndex(_ r: Int, _ step: UInt64, _ mask: UInt64) {
    regs[r] = (regs[r] & ~mask) | ((regs[r] &+ step) & mask)
    if mask == 0xFFFF_FFFF { regs[r] &= 0xFFFF_FFFF }
  }

  @inline(__always)
  func stringIteration(_ i: Instruction, size: Int, step: UInt64, mask: UInt64, source: Int) throws(Fault) {
    switch i.op {
    case .movs:
      let v = try read(source, regs[Reg.rsi] & mask, size: size)
      try write(Seg.es.rawValue, regs[Reg.rdi] & mask, size: size, v)
      advanceIndex(Reg.rsi.rawValue, step, mask)
      advanceIndex(Reg.rdi.rawValue, step, mask)
    case .stos:
      try write(Seg.es.rawValue, regs[Reg.rdi] & mask, size: size, readReg(0, size: size, rex: false))
      advanceIndex(Reg.rdi.rawValue, step, mask)
    case .lods:
      let v = try read(source, regs[Reg.rsi] & mask, size: size)
      writeReg(0, size: size, rex: false, v)
      advanceIndex(Reg.rsi.rawValue, step, mask)
    case .cmps:
      let a = try read(source, regs[Reg.rsi] & mask, size: size)
      let b = try read(Seg.es.rawValue, regs[Reg.rdi] & mask, size: size)
      _ = alu(7, a, b, size: size)
      advanceIndex(Reg.rsi.rawValue, step, mask)
      advanceIndex(Reg.rdi.rawValue, step, mask)
    case .scas:
      let b = try read(Seg.es.rawValue, regs[Reg.rdi] & mask, size: size)
      _ = alu(7, readReg(0, size: size, rex: false), b, size: size)
      advanceIndex(Reg.rdi.rawValue, step, mask)
    case .ins:
      try checkPortAccess(UInt16(truncatingIfNeeded: regs[Reg.rdx]), size: size)
      let v = ports.read(port: UInt16(truncatingIfNeeded: regs[Reg.rdx]), size: size, at: cycles)
      try write(Seg.es.rawValue, regs[Reg.rdi] & mask, size: size, UInt64(v))
      advanceIndex(Reg.rdi.rawValue, step, mask)
    case .outs:
      try checkPortAccess(UInt16(truncatingIfNeeded: regs[Reg.rdx]), size: size)
      let v = try read(source, regs[Reg.rsi] & mask, size: size)
      ports.write(
        port: UInt16(truncatingIfNeeded: regs[Reg.rdx]), size: size, value: UInt32(truncatingIfNeeded: v), at: cycles)
      advanceIndex(Reg.rsi.rawValue, step, mask)
    default:
      throw Fault.invalidOpcode
    }
  }

  /// REP MOVS/STOS forward over RAM-like pages: whole page-bounded chunks are copied or filled through
  /// host pointers instead of one element at a time (kernels clear and scroll memory this way). The
  /// architectural result is the same as the element loop, including byte-wise propagation when a
  /// MOVS destination overlaps its source just ahead of it. Anything unusual (MMIO, page crossing
  /// inside an element) is left to the element loop.
  /// Returns true when it stopped because the slice ended with iterations left.
  func fastRepeat(_ i: Instruction, size: Int, mask: UInt64, source: Int) throws(Fault) -> Bool {
    let user = cpl == 3
    while true {
      let count = regs[Reg.rcx] & mask
      if count == 0 { return false }
      if cycles >= sliceLimit { return true }
      let dstLinear = linear(Seg.es.rawValue, regs[Reg.rdi] & mask)
      let dstRoom = (0x1000 - Int(dstLinear & 0xFFF)) / size
      if dstRoom == 0 { return false }
      let d = try translate(dstLinear, .write, user: user)
      guard let dstHost = d.pointee.host else { return false }
      var n = min(Int(min(count, 1 << 20)), dstRoom)
      let dst = dstHost + Int(dstLinear & 0xFFF)
      if i.op == .movs {
        let srcLinear = linear(source, regs[Reg.rsi] & mask)
        let srcRoom = (0x1000 - Int(srcLinear & 0xFFF)) / size
        if srcRoom == 0 { return false }
        let sp = try translate(srcLinear, .read, user: user)
        guard let srcHost = sp.pointee.host else { return false }
        n = min(n, srcRoom)
        let src = UnsafeRawPointer(srcHost + Int(srcLinear & 0xFFF))
        let bytes = n * size
        // A destination less than one element ahead of the source: each element reads bytes the one
        // before it just wrote, so only the element loop gives the hardware's result (SDM Vol. 2B
        // MOVS: element by element). One element or more ahead, a byte-wise forward copy is the same.
        let ahead = UnsafeRawPointer(dst) - src
        if ahead > 0 && ahead < size { return false }
        if UnsafeRawPointer(dst) > src && UnsafeRawPointer(dst) < src + bytes {
          for k in 0..<bytes {
            dst.storeBytes(of: src.load(fromByteOffset: k, as: UInt8.self), toByteOffset: k, as: UInt8.self)
          }
        } else {
          dst.copyMemory(from: src, byteCount: bytes)
        }
        regs[Reg.rsi] = (regs[Reg.rsi] & ~mask) | ((regs[Reg.rsi] &+ UInt64(bytes)) & mask)
      } else {
        let value = regs[Reg.rax]
        switch size {
        case 1: dst.initializeMemory(as: UInt8.self, repeating: UInt8(truncatingIfNeeded: value), count: n)
        case 2:
          for k in 0..<n { dst.storeBytes(of: UInt16(truncatingIfNeeded: value), toByteOffset: k * 2, as: UInt16.self) }
        case 4:
          for k in 0..<n { dst.storeBytes(of: UInt32(truncatingIfNeeded: value), toByteOffset: k * 4, as: UInt32.self) }
        default: for k in 0..<n { dst.storeBytes(of: value, toByteOffset: k * 8, as: UInt64.self) }
        }
      }
      memory.noteWrite(d.pointee.phys)
      let bytes = UInt64(n * size)
      regs[Reg.rdi] = (regs[Reg.rdi] & ~mask) | ((regs[Reg.rdi] &+ bytes) & mask)
      writeReg(Reg.rcx.rawValue, size: Int(i.addrSize), rex: false, count &- UInt64(n))
      if mask == 0xFFFF_FFFF {
        regs[Reg.rsi] &= 0xFFFF_FFFF
        regs[Reg.rdi] &= 0xFFFF_FFFF
      }
      cycles &+= UInt64(n)
    }
  }
}
