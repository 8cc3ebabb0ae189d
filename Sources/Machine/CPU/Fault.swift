// Exceptions raised while executing an instruction (SDM Vol. 3A 6.3 table 6-1).

/// An exception raised by an instruction; thrown with typed throws so no allocation happens.
public struct Fault: Error, Equatable, Sendable {
  /// The exception vector (0 #DE ... 14 #PF ...).
  public var vector: UInt8
  /// The error code pushed for the vectors that have one (#DF, #TS, #NP, #SS, #GP, #PF, #AC).
  public var errorCode: UInt32?
  /// A #UD for an instruction that exists but this core does not execute (x87 arithmetic): strict
  /// mode stops on it instead of raising it. It compares equal to any other #UD.
  var isUnimplemented = false

  /// An exception with its vector and, for the vectors that push one, its error code.
  public init(_ vector: UInt8, errorCode: UInt32? = nil) {
    self.vector = vector
    self.errorCode = errorCode
  }

  public static func == (a: Fault, b: Fault) -> Bool { a.vector == b.vector && a.errorCode == b.errorCode }

  static let divide = Fault(0)
  static let invalidOpcode = Fault(6)
  static let unimplemented: Fault = {
    var f = Fault(6)
    f.isUnimplemented = true
    return f
  }()
  static let deviceNotAvailable = Fault(7)
  static let floatingPointError = Fault(16)
  /// #XM, an unmasked SSE floating-point exception with CR4.OSXMMEXCPT set.
  static let simdFloatingPoint = Fault(19)
  static func gp(_ code: UInt32 = 0) -> Fault { Fault(13, errorCode: code) }
  static func ss(_ code: UInt32 = 0) -> Fault { Fault(12, errorCode: code) }
  static func np(_ code: UInt32) -> Fault { Fault(11, errorCode: code) }
  static func ts(_ code: UInt32) -> Fault { Fault(10, errorCode: code) }

  /// SDM Vol. 3A 6.15 table 6-4/6-5: which faults combine into a double fault.
  /// Faults report the faulting instruction and push RFLAGS with RF set, so that returning to it does
  /// not take an instruction breakpoint again (SDM Vol. 3A 6.5, 18.3.1.1); #DB, #BP and #OF are traps
  /// or raised as such here, #DF and #MC aborts.
  var isFaultClass: Bool { ![1, 3, 4, 8, 18].contains(vector) }
  var isContributory: Bool { vector == 0 || (vector >= 10 && vector <= 13) }
  var isPageFault: Bool { vector == 14 }

  static let names = [
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF",
    "#15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
  ]
  /// The SDM's mnemonic for the vector: "#GP", "#PF", ...
  public var name: String { Int(vector) < Fault.names.count ? Fault.names[Int(vector)] : "vector \(vector)" }
}
