// The x87 FPU, MMX and SSE register state (SDM Vol. 1 8.1, 9.2, 10.2): what FXSAVE saves. This core
// executes the x87 control instructions, FXSAVE and FXRSTOR (Execute/X87Control.swift) and all of
// MMX, SSE and SSE2 (Execute/SIMD.swift and the files it names); it does no x87 arithmetic, so
// CPUID reports MMX, FXSR, SSE and SSE2 but not FPU (docs/machine.md, "Not implemented").

/// The register file shared by x87, MMX and SSE instructions. Storage is allocated once, so that
/// instructions touch plain memory (no copy-on-write, no reference counting).
final class FPU {
  /// FCW. Power-on 0x0040, FNINIT 0x037F (SDM Vol. 3A 9.1.1 table 9-1, Vol. 1 8.1.5).
  var control: UInt16 = 0x0040
  /// FSW, TOP (bits 13:11) included.
  var status: UInt16 = 0
  /// The abridged tag word of FXSAVE: bit i set when physical register Ri is not empty (SDM Vol. 1
  /// 10.5.1.1). Power-on tags 0x5555 mark every register valid (zero).
  var tags: UInt8 = 0xFF
  /// The last x87 instruction's opcode, instruction and data pointers (FOP, FIP/FCS, FDP/FDS): only
  /// FXRSTOR sets them here, since no x87 arithmetic runs.
  var lastOpcode: UInt16 = 0
  var lastInstruction: UInt64 = 0
  var lastData: UInt64 = 0
  /// MXCSR (SDM Vol. 1 10.2.3); power-on 0x1F80, all SIMD exceptions masked.
  var mxcsr: UInt32 = 0x1F80
  /// The x87 registers R0-R7 by physical number, two words each: the 64-bit significand (an MMX
  /// register's value) and the sign and exponent in the low 16 bits of the second.
  let x87: UnsafeMutablePointer<UInt64>
  /// XMM0-XMM15, two words each, low quadword first.
  let xmm: UnsafeMutablePointer<UInt64>

  /// MXCSR bits software may set: flags, masks, rounding, flush-to-zero and denormals-are-zero
  /// (FXSAVE's MXCSR_MASK; SDM Vol. 1 11.6.6). Setting any other bit is #GP(0).
  static let mxcsrMask: UInt32 = 0xFFFF

  init() {
    x87 = .allocate(capacity: 16)
    x87.initialize(repeating: 0, count: 16)
    xmm = .allocate(capacity: 32)
    xmm.initialize(repeating: 0, count: 32)
  }

  deinit {
    x87.deallocate()
    xmm.deallocate()
  }

  /// Power-on and INIT state (SDM Vol. 3A 9.1.1 table 9-1): FNINIT's, except FCW 0040H and FTW 5555H
  /// (every register valid and zero, FFh abridged), and the x87 and XMM registers and MXCSR are set
  /// too (INIT keeps them, but this machine's INIT is a full reset).
  func reset() {
    initialize()
    control = 0x0040
    tags = 0xFF
    mxcsr = 0x1F80
    for k in 0..<16 { x87[k] = 0 }
    for k in 0..<32 { xmm[k] = 0 }
  }

  /// FNINIT (SDM Vol. 2A FINIT/FNINIT): control 0x037F, status and pointers cleared, every
  /// register tagged empty; register contents and MXCSR stay.
  func initialize() {
    control = 0x037F
    status = 0
    tags = 0
    lastOpcode = 0
    lastInstruction = 0
    lastData = 0
  }

  /// FSW.ES (and B, its copy) is set exactly when an exception flag is set whose mask bit in FCW is
  /// clear (SDM Vol. 1 8.1.3.1): recomputed whenever either word is loaded.
  func updateErrorSummary() {
    let unmasked = status & ~control & 0x3F
    status = unmasked != 0 ? status | 0x8080 : status & ~0x8080
  }

  /// An unmasked x87 exception is pending: the next waiting x87 or MMX instruction takes #MF
  /// (SDM Vol. 1 8.6).
  var hasPendingException: Bool { status & 0x80 != 0 }

  /// An MMX instruction puts the x87 unit in MMX state: TOP 0 and every register valid (SDM Vol. 1
  /// 9.5.1 table 9-2).
  func enterMMXState() {
    status &= ~0x3800
    tags = 0xFF
  }

  /// Writes MMn: the significand of physical register Rn, with the exponent bits set to all ones
  /// (SDM Vol. 1 9.5.1).
  func setMMX(_ n: Int, _ value: UInt64) {
    x87[2 * n] = value
    x87[2 * n + 1] = 0xFFFF
  }

  func mmx(_ n: Int) -> UInt64 { x87[2 * n] }

  /// XMMn as one value.
  func vector(_ n: Int) -> Vector { Vector(xmm[2 * n], xmm[2 * n + 1]) }

  func setVector(_ n: Int, _ v: Vector) { (xmm[2 * n], xmm[2 * n + 1]) = (v.lo, v.hi) }
}

/// 128 bits as two quadwords, with element access by size.
struct Vector {
  var lo: UInt64
  var hi: UInt64

  init(_ lo: UInt64, _ hi: UInt64 = 0) {
    self.lo = lo
    self.hi = hi
  }

  /// Element `k` of `size` bytes (1, 2, 4, 8), zero-extended.
  subscript(_ k: Int, size size: Int) -> UInt64 {
    get {
      let bit = k * size * 8
      let word = bit < 64 ? lo : hi
      return size == 8 ? word : (word >> UInt64(bit & 63)) & ((1 << UInt64(size * 8)) - 1)
    }
    set {
      let bit = k * size * 8
      if size == 8 {
        if bit < 64 { lo = newValue } else { hi = newValue }
        return
      }
      let mask: UInt64 = ((1 << UInt64(size * 8)) - 1) << UInt64(bit & 63)
      let placed = (newValue << UInt64(bit & 63)) & mask
      if bit < 64 { lo = (lo & ~mask) | placed } else { hi = (hi & ~mask) | placed }
    }
  }
}
