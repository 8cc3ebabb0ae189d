// Register names and the segment descriptor cache (SDM Vol. 3A 3.4.3: the hidden part of a segment register).

/// General-purpose register numbers as encoded in ModRM/REX (SDM Vol. 2A 2.1.5, 2.2.1.2).
public enum Reg {
  public static let rax = 0, rcx = 1, rdx = 2, rbx = 3, rsp = 4, rbp = 5, rsi = 6, rdi = 7
  public static let r8 = 8, r9 = 9, r10 = 10, r11 = 11, r12 = 12, r13 = 13, r14 = 14, r15 = 15
}

/// Segment register numbers as encoded in instructions (SDM Vol. 2A 3.1.1.1 "Sreg").
public enum Seg {
  public static let es = 0, cs = 1, ss = 2, ds = 3, fs = 4, gs = 5
  /// Not a segment register: a slot whose base is always 0, for accesses that add no segment base
  /// (DS, ES, SS and CS in 64-bit mode).
  static let none = 6
}

/// A segment register: the visible selector and the descriptor fields the CPU caches when it is loaded.
public struct SegmentRegister: Equatable, Sendable {
  public var selector: UInt16 = 0
  public var base: UInt64 = 0
  public var limit: UInt32 = 0xFFFF
  /// Descriptor bits 40..55: type(4) S DPL(2) P | limit 19:16 (ignored) AVL L D/B G.
  public var attributes: UInt16 = 0x0093

  public init(selector: UInt16 = 0, base: UInt64 = 0, limit: UInt32 = 0xFFFF, attributes: UInt16 = 0x0093) {
    self.selector = selector
    self.base = base
    self.limit = limit
    self.attributes = attributes
  }

  public var dpl: Int { Int(attributes >> 5) & 3 }
  public var isPresent: Bool { attributes & 0x80 != 0 }
  /// L: 64-bit code segment (SDM Vol. 3A 5.2.1).
  public var isLong: Bool { attributes & 0x2000 != 0 }
  /// D/B: default operand size 32 for code, big stack for SS.
  public var isDefault32: Bool {
    @inline(always) get { attributes & 0x4000 != 0 }
  }
  public var isCode: Bool { attributes & 0x18 == 0x18 }
  public var isUsable: Bool { attributes & 0x80 != 0 }
}

/// A descriptor-table register (GDTR, IDTR): base and limit, SDM Vol. 3A 2.4.
public struct TableRegister: Equatable, Sendable {
  public var base: UInt64 = 0
  public var limit: UInt16 = 0xFFFF
  public init(base: UInt64 = 0, limit: UInt16 = 0xFFFF) {
    self.base = base
    self.limit = limit
  }
}

/// RFLAGS bits, SDM Vol. 1 3.4.3.
public enum Flag {
  public static let cf: UInt64 = 1 << 0
  public static let reserved1: UInt64 = 1 << 1
  public static let pf: UInt64 = 1 << 2
  public static let af: UInt64 = 1 << 4
  public static let zf: UInt64 = 1 << 6
  public static let sf: UInt64 = 1 << 7
  public static let tf: UInt64 = 1 << 8
  public static let `if`: UInt64 = 1 << 9
  public static let df: UInt64 = 1 << 10
  public static let of: UInt64 = 1 << 11
  public static let iopl: UInt64 = 3 << 12
  public static let nt: UInt64 = 1 << 14
  public static let rf: UInt64 = 1 << 16
  public static let vm: UInt64 = 1 << 17
  public static let ac: UInt64 = 1 << 18
  public static let id: UInt64 = 1 << 21
  /// The six status flags computed by arithmetic (possibly lazily).
  public static let arithmetic: UInt64 = cf | pf | af | zf | sf | of
  /// Bits software can change with POPF at CPL 0 (we report no VIF/VIP, VM stays 0).
  static let writable: UInt64 = arithmetic | tf | `if` | df | iopl | nt | rf | ac | id
}

/// Control register and EFER bits used by the core (SDM Vol. 3A 2.5, 2.2.1).
public enum ControlBit {
  public static let pe: UInt64 = 1 << 0
  public static let et: UInt64 = 1 << 4
  public static let wp: UInt64 = 1 << 16
  public static let pg: UInt64 = 1 << 31
  public static let pse: UInt64 = 1 << 4
  public static let pae: UInt64 = 1 << 5
  public static let pge: UInt64 = 1 << 7
  public static let sce: UInt64 = 1 << 0
  public static let lme: UInt64 = 1 << 8
  public static let lma: UInt64 = 1 << 10
  public static let nxe: UInt64 = 1 << 11
}
