// Restricted transactional memory: XBEGIN XEND XABORT XTEST, aborts and their undo, IA32_TSX_CTRL
// (SDM Vol. 1 16.3; Vol. 2C XBEGIN, XEND, XABORT, XTEST). The host CPU cannot be the oracle here:
// processors of this decade ship with TSX disabled.

import XCTest

@testable import Machine

final class TransactionTests: XCTestCase {
  let handler = Harness.code + 0x800

  func machine(vendor: CPUVendor = .intel) -> Harness {
    let h = Harness()
    h.cpu.vendor = vendor
    h.recordVectors([1, 3, 6, 13, 14], handlers: handler)
    h.memory.write(Harness.data, size: 8, value: 0x1111)
    h.cpu.rsi = Harness.data
    h.cpu.rdx = 0
    return h
  }

  func testACommittedTransactionKeepsItsStoresAndXTESTSeesIt() {
    let h = machine()
    h.run(
      asm(
        "mov eax, -1; xbegin 1f; mov qword ptr [rsi], 42; xtest; setnz bl; xend; xtest; setz cl; jmp 2f; 1: mov edx, 1; 2: nop"
      ))
    XCTAssertEqual(h.cpu.register(.r15), 0)
    XCTAssertEqual(h.cpu.rax, 0xFFFF_FFFF, "XBEGIN leaves EAX alone when the transaction starts")
    XCTAssertEqual(h.cpu.rbx & 0xFF, 1, "ZF clear inside")
    XCTAssertEqual(h.cpu.rcx & 0xFF, 1, "ZF set outside")
    XCTAssertEqual(h.cpu.rdx, 0, "no abort")
    XCTAssertEqual(h.read(Harness.data), 42)
  }

  func testXABORTUndoesRegistersFlagsAndMemory() {
    let h = machine()
    h.cpu.rbx = 5
    h.run(
      asm(
        "mov eax, -1; stc; xbegin 1f; mov qword ptr [rsi], 42; mov rbx, 7; clc; std; xabort 0x5a; mov ecx, 1; 1: setc dl"
      ))
    XCTAssertEqual(h.cpu.rax, 0x5A00_0001, "XABORT's operand in EAX[31:24], bit 0 set")
    XCTAssertEqual(h.cpu.rbx, 5)
    XCTAssertEqual(h.cpu.rcx, 0)
    XCTAssertEqual(h.cpu.rdx & 0xFF, 1, "CF as at XBEGIN")
    XCTAssertEqual(h.cpu.rflags & Flag.df, 0, "DF as at XBEGIN")
    XCTAssertEqual(h.read(Harness.data), 0x1111, "the store is undone")
  }

  func testStrictModeDoesNotStopInsideATransaction() {
    // FLD1 is x87 arithmetic, where strict mode stops; inside a transaction it aborts first.
    let h = machine()
    h.machine.strict = true
    h.cpu.cr0 &= ~(ControlBit.em | ControlBit.ts)
    let reason = h.run(asm("mov eax, -1; xbegin 1f; mov qword ptr [rsi], 42; fld1; xend; 1: nop"))
    XCTAssertEqual(reason, .halted)
    XCTAssertEqual(h.cpu.rax, 0, "an abort with no status bit")
    XCTAssertEqual(h.read(Harness.data), 0x1111, "the store is undone")
    XCTAssertEqual(h.cpu.transaction.depth, 0, "no transaction is left open")
    // Outside a transaction strict mode stops at it.
    if case .unimplementedOpcode = h.run(asm("fld1")) {} else { XCTFail("strict mode did not stop at FLD1") }
  }

  func testAFaultInsideAbortsAndIsNotDelivered() {
    let h = machine()
    h.cpu.cr2 = 0x1234
    h.cpu.rdi = 0x4000_0000  // beyond the identity map: #PF
    h.run(asm("xbegin 1f; mov qword ptr [rsi], 42; mov rax, qword ptr [rdi]; xend; 1: nop"))
    XCTAssertEqual(h.cpu.register(.r15), 0, "no #PF handler ran")
    XCTAssertEqual(h.cpu.rax, 0)
    XCTAssertEqual(h.cpu.cr2, 0x1234, "CR2 as before")
    XCTAssertEqual(h.read(Harness.data), 0x1111)
    let b = machine()
    b.run(asm("xbegin 1f; int3; xend; 1: nop"))
    XCTAssertEqual(b.cpu.register(.r15), 0)
    XCTAssertEqual(b.cpu.rax, UInt64(AbortStatus.debug), "#BP inside: the debug status")
  }

  func testNestingAbortsToTheOutermostFallbackWithTheNestedBit() {
    let h = machine()
    h.run(asm("xbegin 1f; xbegin 2f; xabort 1; 2: mov ecx, 1; 1: nop"))
    XCTAssertEqual(h.cpu.rax, 0x0100_0021)
    XCTAssertEqual(h.cpu.rcx, 0, "the inner fallback is not used")
    let deep = machine()
    deep.run(asm("xbegin 1f; xbegin 1f; xbegin 1f; xbegin 1f; xbegin 1f; xbegin 1f; xbegin 1f; xbegin 1f; 1: nop"))
    XCTAssertEqual(deep.cpu.rax, UInt64(AbortStatus.nested), "an eighth XBEGIN is past the nesting limit")
    let committed = machine()
    committed.run(asm("xbegin 1f; xbegin 1f; mov qword ptr [rsi], 3; xend; xtest; setnz cl; xend; 1: nop"))
    XCTAssertEqual(committed.cpu.rcx & 0xFF, 1, "still transactional after the inner XEND")
    XCTAssertEqual(committed.read(Harness.data), 3)
  }

  func testInstructionsThatAbort() {
    for (name, code) in [
      ("CPUID", asm("xbegin 1f; cpuid; xend; 1: nop")), ("PAUSE", asm("xbegin 1f; pause; xend; 1: nop")),
      ("CLI", asm("xbegin 1f; cli; xend; 1: nop")), ("OUT", asm("xbegin 1f; out 0x80, al; xend; 1: nop")),
      ("SSE", asm("xbegin 1f; movups xmm0, xmm1; xend; 1: nop")),
      ("MOV DS", asm("xbegin 1f; mov ds, ax; xend; 1: nop")),
    ] {
      let h = machine()
      h.cpu.rax = 0x10
      h.run(code)
      XCTAssertEqual(h.cpu.rax, 0, name)
      XCTAssertEqual(h.cpu.register(.r15), 0, name)
    }
    let h = machine()
    h.run(asm("mov eax, -1; xbegin 1f; add eax, 1; lea rbx, [rax + 4]; rep stosb; xend; 1: nop"))
    XCTAssertEqual(h.cpu.rax, 0, "ALU, LEA, string operations commit")
    XCTAssertEqual(h.cpu.rbx, 4)
  }

  func testXENDOutsideIsGPAndXABORTOutsideIsANop() {
    let h = machine()
    h.run(asm("xabort 3; mov ecx, 1; xend"))
    XCTAssertEqual(h.cpu.rcx, 1)
    XCTAssertEqual(h.cpu.register(.r15), 13)
  }

  func testAStoreIntoRunningCodeIsUndoneWithTheCode() {
    let h = machine()
    // f returns 1; the transaction patches it to return 2, calls it, then aborts: f returns 1 again.
    h.run(
      asm(
        "call 3f; mov r8, rax; xbegin 1f; mov byte ptr [rip + 3f + 1], 2; call 3f; mov r9, rax; xabort 0; 1: call 3f; mov r10, rax; jmp 4f; 3: mov eax, 1; ret; 4: nop"
      ))
    XCTAssertEqual(h.cpu.register(.r8), 1)
    XCTAssertEqual(h.cpu.register(.r10), 1, "the patched code is gone after the abort")
    let c = machine()
    c.run(
      asm(
        "call 3f; xbegin 1f; mov byte ptr [rip + 3f + 1], 2; xend; 1: call 3f; mov r10, rax; jmp 4f; 3: mov eax, 1; ret; 4: nop"
      ))
    XCTAssertEqual(c.cpu.register(.r10), 2, "committed, the patch stays")
  }

  func testTheNextDeviceEventAbortsATransactionThatWouldRunPastIt() {
    let code = asm("xbegin 1f; mov ecx, 20000; 2: dec ecx; jnz 2b; xend; mov edx, 1; jmp 3f; 1: mov edx, 2; 3: nop")
    let quiet = machine()
    quiet.run(code)
    XCTAssertEqual(quiet.cpu.rdx, 1, "with nothing due the loop commits")
    let h = machine()
    let device = Alarm(at: h.cpu.cycles + 5000)
    h.machine.addClockedDevice(device)
    h.run(code)
    XCTAssertEqual(h.cpu.rdx, 2)
    XCTAssertEqual(h.cpu.rax, UInt64(AbortStatus.retry))
    XCTAssertEqual(h.cpu.rcx, 0, "RCX as at XBEGIN")
    XCTAssertTrue(device.fired)
  }

  func testADebuggerWatchpointStopsAfterTheCommitThatChangedIt() {
    let h = machine()
    h.cpu.setWatchpoint(Watchpoint(kind: .write, address: Harness.data + 4, length: 4), true)
    let reason = h.run(
      asm("xbegin 1f; mov qword ptr [rsi], 42; mov rax, 1 << 32; mov qword ptr [rsi], rax; xend; 1: mov ecx, 1"))
    guard case .watchpoint(let hit) = reason else { return XCTFail("\(reason)") }
    XCTAssertEqual(hit.address, Harness.data + 4)
    XCTAssertEqual(h.cpu.rcx, 0, "stopped right after XEND")
    XCTAssertEqual(h.read(Harness.data), 1 << 32)
    let unchanged = machine()
    unchanged.cpu.setWatchpoint(Watchpoint(kind: .write, address: Harness.data + 4, length: 4), true)
    XCTAssertEqual(
      unchanged.run(asm("xbegin 1f; mov qword ptr [rsi], 42; xend; 1: nop")), .halted, "the watched half kept its value"
    )
    XCTAssertEqual(unchanged.read(Harness.data), 42)
  }

  func testADebuggerReadWatchpointStopsAfterTheCommitNotAfterAnAbort() {
    // The read inside the transaction is reported once it committed, right after XEND; an aborted
    // transaction's reads are forgotten with the rest of it.
    let h = machine()
    h.cpu.setWatchpoint(Watchpoint(kind: .read, address: Harness.data + 4, length: 4), true)
    let reason = h.run(asm("xbegin 1f; mov eax, dword ptr [rsi + 4]; xend; 1: mov ecx, 1"))
    guard case .watchpoint(let hit) = reason else { return XCTFail("\(reason)") }
    XCTAssertEqual(hit.address, Harness.data + 4)
    XCTAssertEqual(hit.watchpoint.kind, .read)
    XCTAssertEqual(h.cpu.rcx, 0, "stopped right after XEND")
    let aborted = machine()
    aborted.cpu.setWatchpoint(Watchpoint(kind: .read, address: Harness.data + 4, length: 4), true)
    XCTAssertEqual(aborted.run(asm("xbegin 1f; mov eax, dword ptr [rsi + 4]; xabort 7; 1: mov ecx, 1")), .halted)
    XCTAssertEqual(aborted.cpu.rcx, 1)
    // Outside a transaction the same read stops after itself.
    let plain = machine()
    plain.cpu.setWatchpoint(Watchpoint(kind: .read, address: Harness.data + 4, length: 4), true)
    guard case .watchpoint = plain.run(asm("mov eax, dword ptr [rsi + 4]; mov ecx, 1")) else { return XCTFail() }
    XCTAssertEqual(plain.cpu.rcx, 0)
  }

  func testSingleStepIntoXBEGINAborts() {
    let h = machine()
    h.cpu.rflags = 0x2 | Flag.tf
    h.run(asm("xbegin 1f; xend; 1: nop"))
    XCTAssertEqual(h.cpu.rax, UInt64(AbortStatus.debug))
  }

  func testTSXControlDisablesAndHidesRTM() {
    let h = machine()
    h.cpu.rcx = UInt64(MSR.archCapabilities)
    h.run(asm("rdmsr"))
    XCTAssertNotEqual(h.cpu.rax & (1 << 7), 0, "TSX_CTRL_MSR")
    XCTAssertNotEqual(h.cpu.cpuid(leaf: 7, subleaf: 0).1 & (1 << 11), 0, "RTM")
    XCTAssertNotEqual(h.cpu.cpuid(leaf: 7, subleaf: 0).3 & (1 << 29), 0, "ARCH_CAPABILITIES")
    h.cpu.rcx = UInt64(MSR.tsxControl)
    h.cpu.rax = TSXControl.rtmDisable | TSXControl.cpuidClear
    h.cpu.rdx = 0
    h.run(asm("wrmsr; mov eax, -1; xbegin 1f; mov ebx, 1; xend; 1: nop"))
    XCTAssertEqual(h.cpu.rax, 0, "RTM_DISABLE: XBEGIN aborts")
    XCTAssertEqual(h.cpu.rbx, 0)
    XCTAssertEqual(h.cpu.cpuid(leaf: 7, subleaf: 0).1 & (1 << 11), 0, "CPUID_CLEAR")
    h.cpu.rcx = UInt64(MSR.tsxControl)
    h.cpu.rax = 4
    h.run(asm("wrmsr"))
    XCTAssertEqual(h.cpu.register(.r15), 13, "reserved bits")
    let amd = machine(vendor: .amd)
    amd.run(asm("xbegin 1f; 1: nop"))
    XCTAssertEqual(amd.cpu.register(.r15), 6, "no RTM on the AMD model")
    let msr = machine(vendor: .amd)
    msr.cpu.rcx = UInt64(MSR.tsxControl)
    msr.run(asm("rdmsr"))
    XCTAssertEqual(msr.cpu.register(.r15), 13)
    XCTAssertEqual(amd.cpu.cpuid(leaf: 7, subleaf: 0).1 & (1 << 11), 0)
  }

  func testDR6RTMIsWritableAndSetByEveryDebugException() {
    let h = machine()
    h.cpu.rax = 0
    h.run(asm("mov dr6, rax; mov rbx, dr6"))
    XCTAssertEqual(h.cpu.rbx, 0xFFFE_0FF0, "bit 16 written as 0")
    h.run([0xF1])  // INT1 (ICEBP)
    XCTAssertEqual(h.cpu.register(.r15), 1)
    XCTAssertEqual(h.cpu.debugRegs[6] & CPU.dr6RTM, CPU.dr6RTM)
  }
}

/// A clocked device with one event: lets a test put a device event in the middle of a transaction.
private final class Alarm: ClockedDevice {
  var nextEventCycle: UInt64
  var fired = false
  init(at cycle: UInt64) { nextEventCycle = cycle }
  func advance(to cycle: UInt64) {
    fired = true
    nextEventCycle = .max
  }
}
