// The x86-64 register file as gdb sees it: one layout in every CPU mode, described to gdb by target
// XML (gdb manual E.6 "Target Descriptions"), so a kernel that goes from 32-bit protected mode to long
// mode never changes the size of the `g` reply (the "Remote 'g' packet reply is too long" failure).
//
// The order is QEMU's x86-64 gdbstub's: general registers in gdb's amd64 order, rip, eflags, the six
// selectors, the FS/GS bases and KernelGSBase, the control registers and EFER, then the x87 registers
// gdb's amd64 description requires in its core feature (the register file and control words as they
// are; this CPU has no x87 arithmetic), and in the SSE feature XMM0-XMM15 and MXCSR.

public struct Register: Sendable {
  public var name: String
  public var bits: Int
  public var type: String
  public var group: String?

  public var bytes: Int { bits / 8 }
}

public enum X86Registers {
  public static let generalNames = [
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
  ]
  public static let selectorNames = ["cs", "ss", "ds", "es", "fs", "gs"]
  public static let baseNames = ["fs_base", "gs_base", "k_gs_base"]
  public static let controlNames = ["cr0", "cr2", "cr3", "cr4", "cr8", "efer"]
  public static let x87ControlNames = ["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"]
  /// How many of `all` belong to the core feature; the rest (XMM0-XMM15, MXCSR) to the SSE feature.
  public static let coreCount = 16 + 2 + 6 + 3 + 6 + 8 + 8

  /// Every register in `g` packet order; the index is the register number of `p`/`P`.
  public static let all: [Register] = {
    var list: [Register] = []
    for (i, name) in generalNames.enumerated() {
      list.append(Register(name: name, bits: 64, type: i == 6 || i == 7 ? "data_ptr" : "int64"))
    }
    list.append(Register(name: "rip", bits: 64, type: "code_ptr"))
    list.append(Register(name: "eflags", bits: 32, type: "x64_eflags"))
    for name in selectorNames { list.append(Register(name: name, bits: 32, type: "int32")) }
    for name in baseNames { list.append(Register(name: name, bits: 64, type: "int64")) }
    for name in controlNames { list.append(Register(name: name, bits: 64, type: "int64", group: "system")) }
    for k in 0..<8 { list.append(Register(name: "st\(k)", bits: 80, type: "i387_ext", group: "float")) }
    for name in x87ControlNames { list.append(Register(name: name, bits: 32, type: "int", group: "float")) }
    for k in 0..<16 { list.append(Register(name: "xmm\(k)", bits: 128, type: "vec128", group: "vector")) }
    list.append(Register(name: "mxcsr", bits: 32, type: "i386_mxcsr", group: "vector"))
    return list
  }()

  public static func number(of name: String) -> Int? { all.firstIndex { $0.name == name } }

  /// The target description gdb fetches with `qXfer:features:read:target.xml`.
  public static let targetXML: String = {
    let flags = [
      (0, "CF"), (2, "PF"), (4, "AF"), (6, "ZF"), (7, "SF"), (8, "TF"), (9, "IF"), (10, "DF"), (11, "OF"),
      (14, "NT"), (16, "RF"), (17, "VM"), (18, "AC"), (19, "VIF"), (20, "VIP"), (21, "ID"),
    ]
    var xml = """
      <?xml version="1.0"?>
      <!DOCTYPE target SYSTEM "gdb-target.dtd">
      <target version="1.0">
        <architecture>i386:x86-64</architecture>
        <feature name="org.gnu.gdb.i386.core">
          <flags id="x64_eflags" size="4">

      """
    for (bit, name) in flags {
      xml += "      <field name=\"\(name)\" start=\"\(bit)\" end=\"\(bit)\"/>\n"
    }
    xml += "      <field name=\"IOPL\" start=\"12\" end=\"13\"/>\n    </flags>\n"
    func register(_ n: Int) {
      let r = all[n]
      let group = r.group.map { " group=\"\($0)\"" } ?? ""
      xml += "    <reg name=\"\(r.name)\" bitsize=\"\(r.bits)\" type=\"\(r.type)\" regnum=\"\(n)\"\(group)/>\n"
    }
    for n in 0..<coreCount { register(n) }
    // The SSE feature with the types of gdb's own 64bit-sse.xml: an XMM register shown as every
    // vector it can hold, MXCSR as its flags (SDM Vol. 1 10.2.3).
    xml += """
        </feature>
        <feature name="org.gnu.gdb.i386.sse">
          <vector id="v4f" type="ieee_single" count="4"/>
          <vector id="v2d" type="ieee_double" count="2"/>
          <vector id="v16i8" type="int8" count="16"/>
          <vector id="v8i16" type="int16" count="8"/>
          <vector id="v4i32" type="int32" count="4"/>
          <vector id="v2i64" type="int64" count="2"/>
          <union id="vec128">
            <field name="v4_float" type="v4f"/>
            <field name="v2_double" type="v2d"/>
            <field name="v16_int8" type="v16i8"/>
            <field name="v8_int16" type="v8i16"/>
            <field name="v4_int32" type="v4i32"/>
            <field name="v2_int64" type="v2i64"/>
            <field name="uint128" type="uint128"/>
          </union>
          <flags id="i386_mxcsr" size="4">

      """
    let mxcsr = ["IE", "DE", "ZE", "OE", "UE", "PE", "DAZ", "IM", "DM", "ZM", "OM", "UM", "PM"].enumerated().map {
      ($0.offset, $0.element)
    }
    for (bit, name) in mxcsr + [(15, "FZ")] {
      xml += "      <field name=\"\(name)\" start=\"\(bit)\" end=\"\(bit)\"/>\n"
    }
    xml += "    </flags>\n"
    for n in coreCount..<all.count { register(n) }
    xml += "  </feature>\n</target>\n"
    return xml
  }()
}
