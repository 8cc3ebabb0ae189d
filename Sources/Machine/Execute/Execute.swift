// The generic path: forms without a handler of their own (Handler.swift) run the family function of
// their operation, one file per family in this folder (Op.family: the operation's place in `Op`). It is out of line: the hot forms never come
// here, and keeping it apart keeps the block loop's dispatch small.

extension CPU {
  /// Executes `i` by its operation. `rip` is the instruction's address and `nextRIP` the next one's;
  /// control transfers write `nextRIP`.
  @inline(never)
  func executeGeneric(_ i: Instruction) throws(Fault) {
    switch i.op.family {
    case .dataMove: try executeDataMove(i)
    case .arithmetic: try executeArithmetic(i)
    case .mulDiv: try executeMulDiv(i)
    case .shift:
      if i.op == .shiftImm || i.op == .shift1 || i.op == .shiftCL {
        try executeShift(i)
      } else {
        try executeDoubleShift(i)
      }
    case .bitOps: try executeBitOps(i)
    case .string: try executeString(i)
    case .controlFlow: try executeControlFlow(i)
    case .system: try executeSystem(i)
    case .x87: try executeX87(i)
    case .simd: try executeSIMD(i)
    case .invalid: throw Fault.invalidOpcode
    }
  }
}
