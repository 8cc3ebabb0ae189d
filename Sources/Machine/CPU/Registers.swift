// Register names and the segment descriptor cache (SDM Vol. 3A 3.4.3: the hidden part of a segment register).

/// The general-purpose registers; the raw value is the number ModRM and REX encode (SDM Vol. 2A 2.1.5,
/// 2.2.1.2), which decoded instructions carry.
public enum Reg: Int, CaseIterable, Sendable {
  /// Register 0, RAX: the accumulator; also the implicit operand of MUL, DIV, string stores and CPUID.
  case rax = 0
  /// Register 1, RCX: the counter of REP, LOOP and shifts by CL.
  case rcx = 1
  /// Register 2, RDX: the high half of MUL and DIV results; the port of IN and OUT by DX.
  case rdx = 2
  /// Register 3, RBX: the base register.
  case rbx = 3
  /// Register 4, RSP: the stack pointer.
  case rsp = 4
  /// Register 5, RBP: the frame pointer.
  case rbp = 5
  /// Register 6, RSI: the source index of string instructions.
  case rsi = 6
  /// Register 7, RDI: the destination index of string instructions.
  case rdi = 7
  /// Register 8, R8 (reached with a REX prefix bit).
  case r8 = 8
  /// Register 9, R9 (reached with a REX prefix bit).
  case r9 = 9
  /// Register 10, R10 (reached with a REX prefix bit).
  case r10 = 10
  /// Register 11, R11 (reached with a REX prefix bit).
  case r11 = 11
  /// Register 12, R12 (reached with a REX prefix bit).
  case r12 = 12
  /// Register 13, R13 (reached with a REX prefix bit).
  case r13 = 13
  /// Register 14, R14 (reached with a REX prefix bit).
  case r14 = 14
  /// Register 15, R15 (reached with a REX prefix bit).
  case r15 = 15
}

/// The segment registers; the raw value is the number instructions encode (SDM Vol. 2A 3.1.1.1 "Sreg").
public enum Seg: Int, CaseIterable, Sendable {
  /// Segment register 0, ES: the destination segment of string instructions.
  case es = 0
  /// Segment register 1, CS: the code segment; its attributes give the mode (L, D) and the CPL.
  case cs = 1
  /// Segment register 2, SS: the stack segment.
  case ss = 2
  /// Segment register 3, DS: the default data segment.
  case ds = 3
  /// Segment register 4, FS: a data segment whose base, in 64-bit mode, is IA32_FS_BASE (thread-local storage).
  case fs = 4
  /// Segment register 5, GS: a data segment whose base, in 64-bit mode, is IA32_GS_BASE (per-CPU data; SWAPGS).
  case gs = 5
}

extension Seg {
  /// Not a segment register: the slot after GS, whose base is always 0, for accesses that add no
  /// segment base (DS, ES, SS and CS in 64-bit mode). Instructions name segments by number.
  static let none = 6
}

extension UnsafeMutablePointer where Pointee == UInt64 {
  /// A general register by name, in the register file (`CPU.regs`, indexed by encoding number).
  subscript(_ r: Reg) -> UInt64 {
    @inline(__always) get { self[r.rawValue] }
    @inline(__always) nonmutating set { self[r.rawValue] = newValue }
  }
}

extension UnsafeMutablePointer where Pointee == SegmentRegister {
  /// A segment register by name (`CPU.segments`, indexed by encoding number).
  subscript(_ s: Seg) -> SegmentRegister {
    @inline(__always) get { self[s.rawValue] }
    @inline(__always) nonmutating set { self[s.rawValue] = newValue }
  }
}

/// A segment register: the visible selector and the descriptor fields the CPU caches when it is loaded.
public struct SegmentRegister: Equatable, Sendable {
  /// The visible part: descriptor index, table indicator and requested privilege level.
  public var selector: UInt16 = 0
  /// The linear address of offset 0 (only FS and GS have one in 64-bit mode).
  public var base: UInt64 = 0
  /// The last valid offset, in bytes (the descriptor's limit scaled by G).
  public var limit: UInt32 = 0xFFFF
  /// Descriptor bits 40..55: type(4) S DPL(2) P | limit 19:16 (ignored) AVL L D/B G.
  public var attributes: UInt16 = 0x0093

  /// A segment register as the CPU holds it after loading a descriptor; the defaults are the
  /// real-mode reset state of a data segment (SDM Vol. 3A 9.1.1, Table 9-1).
  public init(selector: UInt16 = 0, base: UInt64 = 0, limit: UInt32 = 0xFFFF, attributes: UInt16 = 0x0093) {
    self.selector = selector
    self.base = base
    self.limit = limit
    self.attributes = attributes
  }

  /// The descriptor privilege level (for CS and SS, the current privilege level).
  public var dpl: Int { Int(attributes >> 5) & 3 }
  /// P: the descriptor is present.
  public var isPresent: Bool { attributes & 0x80 != 0 }
  /// L: 64-bit code segment (SDM Vol. 3A 5.2.1).
  public var isLong: Bool { attributes & 0x2000 != 0 }
  /// D/B: default operand size 32 for code, big stack for SS.
  public var isDefault32: Bool {
    @inline(always) get { attributes & 0x4000 != 0 }
  }
  /// S and type bit 3: a code segment, not a data or system one.
  public var isCode: Bool { attributes & 0x18 == 0x18 }
  /// Loaded with a usable descriptor; a null selector leaves the register unusable (SDM Vol. 3A 3.4.2).
  public var isUsable: Bool { attributes & 0x80 != 0 }
}

/// A descriptor-table register (GDTR, IDTR): base and limit, SDM Vol. 3A 2.4.
public struct TableRegister: Equatable, Sendable {
  /// The linear address of the table.
  public var base: UInt64 = 0
  /// The last valid byte offset in the table (8 x entries - 1).
  public var limit: UInt16 = 0xFFFF
  /// A table register; the default is the reset state, base 0 and limit 0xFFFF.
  public init(base: UInt64 = 0, limit: UInt16 = 0xFFFF) {
    self.base = base
    self.limit = limit
  }
}

/// RFLAGS bits, SDM Vol. 1 3.4.3.
public enum Flag {
  /// Carry.
  public static let cf: UInt64 = 1 << 0
  /// Bit 1, always set.
  public static let reserved1: UInt64 = 1 << 1
  /// Parity (of the low byte of the result).
  public static let pf: UInt64 = 1 << 2
  /// Auxiliary carry (out of bit 3, for BCD).
  public static let af: UInt64 = 1 << 4
  /// Zero.
  public static let zf: UInt64 = 1 << 6
  /// Sign.
  public static let sf: UInt64 = 1 << 7
  /// Trap: a debug exception after each instruction.
  public static let tf: UInt64 = 1 << 8
  /// Interrupt enable: maskable interrupts are delivered.
  public static let `if`: UInt64 = 1 << 9
  /// Direction: string instructions count down.
  public static let df: UInt64 = 1 << 10
  /// Overflow.
  public static let of: UInt64 = 1 << 11
  /// I/O privilege level (two bits): the CPL at which IN, OUT, CLI and STI are allowed.
  public static let iopl: UInt64 = 3 << 12
  /// Nested task.
  public static let nt: UInt64 = 1 << 14
  /// Resume: suppresses instruction breakpoints for one instruction.
  public static let rf: UInt64 = 1 << 16
  /// Virtual-8086 mode.
  public static let vm: UInt64 = 1 << 17
  /// Alignment check (with CR0.AM, at CPL 3).
  public static let ac: UInt64 = 1 << 18
  /// Identification: software that can flip it knows CPUID exists.
  public static let id: UInt64 = 1 << 21
  /// The six status flags computed by arithmetic (possibly lazily).
  public static let arithmetic: UInt64 = cf | pf | af | zf | sf | of
  /// Bits software can change with POPF at CPL 0 (we report no VIF/VIP, VM stays 0).
  static let writable: UInt64 = arithmetic | tf | `if` | df | iopl | nt | rf | ac | id
}

/// Control register and EFER bits used by the core (SDM Vol. 3A 2.5, 2.2.1).
public enum ControlBit {
  /// CR0.PE: protection enable.
  public static let pe: UInt64 = 1 << 0
  /// CR0.MP: WAIT/FWAIT honours CR0.TS.
  public static let mp: UInt64 = 1 << 1
  /// CR0.EM: no x87 unit; x87 instructions are #NM, MMX and SSE ones #UD.
  public static let em: UInt64 = 1 << 2
  /// CR0.TS: task switched; the next x87, MMX or SSE instruction is #NM (lazy state switching).
  public static let ts: UInt64 = 1 << 3
  /// CR0.ET: extension type, always 1 on later CPUs.
  public static let et: UInt64 = 1 << 4
  /// CR0.NE: x87 errors are reported as #MF rather than through FERR# (IRQ 13).
  public static let ne: UInt64 = 1 << 5
  /// CR0.WP: write protect: supervisor writes honour read-only pages.
  public static let wp: UInt64 = 1 << 16
  /// CR0.NW: not write-through (cache control).
  public static let nw: UInt64 = 1 << 29
  /// CR0.CD: cache disable.
  public static let cd: UInt64 = 1 << 30
  /// CR0.PG: paging.
  public static let pg: UInt64 = 1 << 31
  /// CR4.DE: debugging extensions: DR4/DR5 are reserved and DR7 can set I/O breakpoints.
  public static let de: UInt64 = 1 << 3
  /// CR4.PSE: 4 MiB pages without PAE.
  public static let pse: UInt64 = 1 << 4
  /// CR4.PAE: physical address extension, required for long mode.
  public static let pae: UInt64 = 1 << 5
  /// CR4.PGE: global pages survive CR3 loads.
  public static let pge: UInt64 = 1 << 7
  /// CR4.OSFXSR: the operating system saves SSE state with FXSAVE; SSE instructions are #UD without it.
  public static let osfxsr: UInt64 = 1 << 9
  /// CR4.OSXMMEXCPT: the operating system handles #XM; without it an unmasked SIMD floating-point
  /// exception is #UD (SDM Vol. 3A 2.5, 13.1.4).
  public static let osxmmexcpt: UInt64 = 1 << 10
  /// CR4.UMIP: SGDT, SIDT, SLDT, SMSW and STR are #GP(0) above CPL 0 (SDM Vol. 3A 2.5).
  public static let umip: UInt64 = 1 << 11
  /// CR4.LA57: 5-level paging, 57-bit linear addresses in IA-32e mode (SDM Vol. 3A 4.5).
  public static let la57: UInt64 = 1 << 12
  /// CR4.PCIDE: CR3[11:0] name the process-context identifier (SDM Vol. 3A 4.10.1).
  public static let pcide: UInt64 = 1 << 17
  /// CR4.OSXSAVE: XSAVE, XRSTOR, XGETBV and XSETBV are enabled (SDM Vol. 3A 2.5).
  public static let osxsave: UInt64 = 1 << 18
  /// CR4.SMEP: supervisor-mode execution prevention (SDM Vol. 3A 4.6).
  public static let smep: UInt64 = 1 << 20
  /// CR4.SMAP: supervisor-mode access prevention (SDM Vol. 3A 4.6).
  public static let smap: UInt64 = 1 << 21
  /// CR4.PKE: protection keys for user-mode pages (SDM Vol. 3A 4.6.2).
  public static let pke: UInt64 = 1 << 22
  /// CR4.PKS: protection keys for supervisor-mode pages (SDM Vol. 3A 4.6.2).
  public static let pks: UInt64 = 1 << 24
  /// EFER.SCE: SYSCALL and SYSRET enable.
  public static let sce: UInt64 = 1 << 0
  /// EFER.LME: long mode enable.
  public static let lme: UInt64 = 1 << 8
  /// EFER.LMA: long mode active (read-only: set when paging turns on with LME).
  public static let lma: UInt64 = 1 << 10
  /// EFER.NXE: no-execute page protection.
  public static let nxe: UInt64 = 1 << 11
}
