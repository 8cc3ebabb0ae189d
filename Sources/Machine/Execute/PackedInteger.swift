// MMX and SSE2 packed-integer arithmetic, comparisons, shifts, packs and unpacks (SDM Vol. 1 9.4,
// 11.4.3; each instruction in Vol. 2). One operation table serves both register files: without a
// prefix the operands are MMX registers (64 bits), with 66h XMM registers (128 bits, a memory operand
// 16-byte aligned, Vol. 2A 2.4 exception class 1). The operation is `Instruction.sub`, a
// `PackedIntegerOp`.

/// The packed-integer operations, by element size where it varies.
enum PackedIntegerOp: UInt8 {
  case add8, add16, add32, add64, sub8, sub16, sub32, sub64
  case addSigned8, addSigned16, addUnsigned8, addUnsigned16
  case subSigned8, subSigned16, subUnsigned8, subUnsigned16
  case equal8, equal16, equal32, greater8, greater16, greater32
  case multiplyLow16, multiplyHigh16, multiplyHighUnsigned16, multiplyUnsigned32, multiplyAdd16
  case sumAbsoluteDifferences8, average8, average16, minUnsigned8, maxUnsigned8, minSigned16, maxSigned16
  case shiftRightLogical16, shiftRightLogical32, shiftRightLogical64, shiftRightArithmetic16
  case shiftRightArithmetic32, shiftLeft16, shiftLeft32, shiftLeft64
  /// PSRLDQ/PSLLDQ: the whole register by bytes (immediate forms only).
  case shiftRightBytes, shiftLeftBytes
  case packSigned16, packSigned32, packUnsigned16
  case unpackLow8, unpackLow16, unpackLow32, unpackLow64, unpackHigh8, unpackHigh16, unpackHigh32, unpackHigh64
}

extension CPU {
  /// `.mmxPacked`, `.ssePacked` and their immediate-count shifts `.mmxShiftImmediate`,
  /// `.sseShiftImmediate` (groups 12-14, register destination in ModRM.rm).
  func executePackedInteger(_ i: Instruction) throws(Fault) {
    guard let op = PackedIntegerOp(rawValue: i.sub) else { throw Fault.invalidOpcode }
    let wide = i.op == .ssePacked || i.op == .sseShiftImmediate
    if wide { try requireSSE() } else { try requireMMX() }
    let width = wide ? 16 : 8
    if i.op == .mmxShiftImmediate || i.op == .sseShiftImmediate {
      guard !i.hasMemory else { throw Fault.invalidOpcode }
      let n = Int(i.rm)
      let value = wide ? fpu.vector(n) : Vector(fpu.mmx(n & 7))
      let result = packed(op, value, Vector(i.immediate & 0xFF), width: width)
      if wide { fpu.setVector(n, result) } else { fpu.setMMX(n & 7, result.lo) }
      return
    }
    // The MMX low unpacks read 32 bits of memory (SDM Vol. 2B PUNPCKLBW: "mm, mm/m32").
    let low = op == .unpackLow8 || op == .unpackLow16 || op == .unpackLow32
    let source = wide ? try simdSource(i) : Vector(try mmxSource(i, size: low ? 4 : 8))
    let n = Int(i.reg)
    if wide {
      let result = packed(op, fpu.vector(n), source, width: 16)
      fpu.setVector(n, result)
    } else {
      fpu.setMMX(n & 7, packed(op, Vector(fpu.mmx(n & 7)), source, width: 8).lo)
    }
  }

  /// The second operand of a 128-bit SSE form: an XMM register or 16 aligned bytes of memory.
  func simdSource(_ i: Instruction) throws(Fault) -> Vector {
    if i.hasMemory {
      let (lo, hi) = try loadVector(i, aligned: true)
      return Vector(lo, hi)
    }
    return fpu.vector(Int(i.rm))
  }
}

/// `op` on `a` (the destination's value) and `b` (the source, or the count), `width` bytes wide.
func packed(_ op: PackedIntegerOp, _ a: Vector, _ b: Vector, width: Int) -> Vector {
  var r = Vector(0)
  func each(_ size: Int, _ f: (UInt64, UInt64) -> UInt64) {
    for k in 0..<(width / size) { r[k, size: size] = f(a[k, size: size], b[k, size: size]) }
  }
  func signed(_ v: UInt64, _ size: Int) -> Int64 { Int64(bitPattern: signExtend(v, from: size)) }
  func saturateSigned(_ v: Int64, _ size: Int) -> UInt64 {
    let bits = Int64(size * 8)
    let top = (Int64(1) << (bits - 1)) - 1, bottom = -(Int64(1) << (bits - 1))
    return UInt64(bitPattern: min(max(v, bottom), top)) & sizeMask(size)
  }
  func saturateUnsigned(_ v: Int64, _ size: Int) -> UInt64 { UInt64(min(max(v, 0), Int64(sizeMask(size)))) }
  // A count above the element's width clears it (or fills it with the sign): SDM Vol. 2B PSRLW.
  let count = b.lo
  switch op {
  case .add8, .add16, .add32, .add64:
    let size = 1 << Int(op.rawValue - PackedIntegerOp.add8.rawValue)
    each(size) { x, y in (x &+ y) & sizeMask(size) }
  case .sub8, .sub16, .sub32, .sub64:
    let size = 1 << Int(op.rawValue - PackedIntegerOp.sub8.rawValue)
    each(size) { x, y in (x &- y) & sizeMask(size) }
  case .addSigned8, .addSigned16:
    let size = op == .addSigned8 ? 1 : 2
    each(size) { x, y in saturateSigned(signed(x, size) + signed(y, size), size) }
  case .subSigned8, .subSigned16:
    let size = op == .subSigned8 ? 1 : 2
    each(size) { x, y in saturateSigned(signed(x, size) - signed(y, size), size) }
  case .addUnsigned8, .addUnsigned16:
    let size = op == .addUnsigned8 ? 1 : 2
    each(size) { x, y in saturateUnsigned(Int64(x) + Int64(y), size) }
  case .subUnsigned8, .subUnsigned16:
    let size = op == .subUnsigned8 ? 1 : 2
    each(size) { x, y in saturateUnsigned(Int64(x) - Int64(y), size) }
  case .equal8, .equal16, .equal32:
    let size = 1 << Int(op.rawValue - PackedIntegerOp.equal8.rawValue)
    each(size) { x, y in x == y ? sizeMask(size) : 0 }
  case .greater8, .greater16, .greater32:
    let size = 1 << Int(op.rawValue - PackedIntegerOp.greater8.rawValue)
    each(size) { x, y in signed(x, size) > signed(y, size) ? sizeMask(size) : 0 }
  case .multiplyLow16:
    each(2) { x, y in UInt64(bitPattern: signed(x, 2) &* signed(y, 2)) & 0xFFFF }
  case .multiplyHigh16:
    each(2) { x, y in UInt64(bitPattern: (signed(x, 2) &* signed(y, 2)) >> 16) & 0xFFFF }
  case .multiplyHighUnsigned16:
    each(2) { x, y in (x &* y) >> 16 }
  case .multiplyUnsigned32:
    // PMULUDQ: the low doubleword of each quadword, a 64-bit product.
    each(8) { x, y in (x & 0xFFFF_FFFF) &* (y & 0xFFFF_FFFF) }
  case .multiplyAdd16:
    each(4) { x, y in
      let low = signed(x & 0xFFFF, 2) &* signed(y & 0xFFFF, 2)
      let high = signed(x >> 16, 2) &* signed(y >> 16, 2)
      return UInt64(bitPattern: low &+ high) & 0xFFFF_FFFF
    }
  case .sumAbsoluteDifferences8:
    // PSADBW: per quadword, the sum of the eight byte differences in its low word.
    each(8) { x, y in
      var sum: UInt64 = 0
      for k in 0..<8 {
        let p = (x >> UInt64(8 * k)) & 0xFF, q = (y >> UInt64(8 * k)) & 0xFF
        sum += p > q ? p - q : q - p
      }
      return sum
    }
  case .average8, .average16:
    let size = op == .average8 ? 1 : 2
    each(size) { x, y in (x + y + 1) >> 1 }
  case .minUnsigned8: each(1) { x, y in min(x, y) }
  case .maxUnsigned8: each(1) { x, y in max(x, y) }
  case .minSigned16: each(2) { x, y in signed(x, 2) < signed(y, 2) ? x : y }
  case .maxSigned16: each(2) { x, y in signed(x, 2) > signed(y, 2) ? x : y }
  case .shiftRightLogical16, .shiftRightLogical32, .shiftRightLogical64:
    let size = 2 << Int(op.rawValue - PackedIntegerOp.shiftRightLogical16.rawValue)
    each(size) { x, _ in count >= UInt64(size * 8) ? 0 : x >> count }
  case .shiftLeft16, .shiftLeft32, .shiftLeft64:
    let size = 2 << Int(op.rawValue - PackedIntegerOp.shiftLeft16.rawValue)
    each(size) { x, _ in count >= UInt64(size * 8) ? 0 : (x << count) & sizeMask(size) }
  case .shiftRightArithmetic16, .shiftRightArithmetic32:
    let size = op == .shiftRightArithmetic16 ? 2 : 4
    each(size) { x, _ in UInt64(bitPattern: signed(x, size) >> min(count, UInt64(size * 8 - 1))) & sizeMask(size) }
  case .shiftRightBytes, .shiftLeftBytes:
    let bytes = Int(min(count, 16))
    for k in 0..<16 {
      let from = op == .shiftRightBytes ? k + bytes : k - bytes
      r[k, size: 1] = from >= 0 && from < 16 ? a[from, size: 1] : 0
    }
  case .packSigned16, .packSigned32, .packUnsigned16:
    // The destination's elements narrowed into the low half, the source's into the high half.
    let size = op == .packSigned32 ? 4 : 2
    let half = width / size
    for k in 0..<(2 * half) {
      let v = signed(k < half ? a[k, size: size] : b[k - half, size: size], size)
      r[k, size: size / 2] = op == .packUnsigned16 ? saturateUnsigned(v, 1) : saturateSigned(v, size / 2)
    }
  case .unpackLow8, .unpackLow16, .unpackLow32, .unpackLow64, .unpackHigh8, .unpackHigh16, .unpackHigh32,
    .unpackHigh64:
    // Interleaves the low (or high) halves: destination element first (SDM Vol. 2B PUNPCKLBW).
    let low = op.rawValue <= PackedIntegerOp.unpackLow64.rawValue
    let size = 1 << Int((op.rawValue - PackedIntegerOp.unpackLow8.rawValue) & 3)
    let half = width / size / 2
    for k in 0..<half {
      let from = low ? k : k + half
      r[2 * k, size: size] = a[from, size: size]
      r[2 * k + 1, size: size] = b[from, size: size]
    }
  }
  return r
}
