// The processor's local APIC in xAPIC mode (SDM Vol. 3A chapter 11, "Advanced Programmable Interrupt
// Controller"): a 4 KiB register page at IA32_APIC_BASE, the interrupt request, in-service and trigger
// mode bitmaps, task and processor priority, end of interrupt, the interrupt command register for
// IPIs, the local vector table and the error register. The timer is in LocalAPICTimer.swift.
//
// It is part of the CPU (the register page is seen only by this processor, CR8 is its TPR, its
// IA32_APIC_BASE is an MSR), so it lives in Machine; the chipset's I/O APIC is a device and reaches it
// with `Machine.deliverInterrupt`. With one processor, every IPI goes to this APIC or to nobody.
//
// Interrupts from the 8259 enter through LINT0 in ExtINT mode ("virtual wire", 11.5.1), as the
// firmware leaves it on a PC; the CPU takes the APIC's own interrupts first, then the 8259's
// (CPU/Interrupts.swift).

/// Register offsets in the xAPIC page (SDM Vol. 3A table 11-1).
enum APICRegister {
  static let id: UInt64 = 0x20
  static let version: UInt64 = 0x30
  static let taskPriority: UInt64 = 0x80
  static let arbitrationPriority: UInt64 = 0x90
  static let processorPriority: UInt64 = 0xA0
  static let endOfInterrupt: UInt64 = 0xB0
  static let remoteRead: UInt64 = 0xC0
  static let logicalDestination: UInt64 = 0xD0
  static let destinationFormat: UInt64 = 0xE0
  static let spuriousVector: UInt64 = 0xF0
  static let inService: UInt64 = 0x100  // 8 registers, 0x100-0x170
  static let triggerMode: UInt64 = 0x180  // 0x180-0x1F0
  static let interruptRequest: UInt64 = 0x200  // 0x200-0x270
  static let errorStatus: UInt64 = 0x280
  static let commandLow: UInt64 = 0x300
  static let commandHigh: UInt64 = 0x310
  static let lvtTimer: UInt64 = 0x320  // then thermal, performance, LINT0, LINT1, error, 0x10 apart
  static let lvtError: UInt64 = 0x370
  static let timerInitialCount: UInt64 = 0x380
  static let timerCurrentCount: UInt64 = 0x390
  static let timerDivide: UInt64 = 0x3E0
}

/// Local vector table entries, in register order (SDM Vol. 3A figure 11-8).
enum LVT {
  static let timer = 0
  static let thermal = 1
  static let performance = 2
  static let lint0 = 3
  static let lint1 = 4
  static let error = 5
  static let count = 6

  static let masked: UInt32 = 1 << 16
  /// What software may write in each entry: vector, delivery mode, polarity, trigger mode, mask, and for
  /// the timer its mode (the delivery status and remote IRR bits are read-only).
  static let writable: [UInt32] = [0x7_00FF, 0x1_07FF, 0x1_07FF, 0x1_A7FF, 0x1_A7FF, 0x1_00FF]

  static func deliveryMode(_ entry: UInt32) -> UInt32 { (entry >> 8) & 7 }
  static let extINT: UInt32 = 7
}

/// Error status bits (SDM Vol. 3A 11.5.3).
enum APICError {
  static let sendIllegalVector: UInt32 = 1 << 5
  static let receiveIllegalVector: UInt32 = 1 << 6
  static let illegalRegister: UInt32 = 1 << 7
}

/// The local APIC of the one processor.
public final class LocalAPIC {
  /// The default register page (SDM Vol. 3A 11.4.1).
  public static let defaultBase: UInt64 = 0xFEE0_0000
  /// Version 0x14 (an integrated APIC) with six LVT entries, as QEMU's APIC reports.
  static let versionValue: UInt32 = 0x0005_0014

  /// IA32_APIC_BASE bits 11 (global enable) and 8 (bootstrap processor) with the page address.
  var baseMSR: UInt64 = LocalAPIC.defaultBase | (1 << 11) | (1 << 8)
  var id: UInt32 = 0
  var taskPriority: UInt32 = 0
  var logicalDestination: UInt32 = 0
  var destinationFormat: UInt32 = 0xFFFF_FFFF
  /// At reset the APIC is software-disabled with vector 0xFF (SDM Vol. 3A 11.4.7.1).
  var spuriousVector: UInt32 = 0xFF
  var errorStatus: UInt32 = 0
  /// Errors seen since the last write to the error status register, which moves them there.
  var pendingErrors: UInt32 = 0
  var commandLow: UInt32 = 0
  var commandHigh: UInt32 = 0
  /// LVT entries at reset are masked; LINT0 is ExtINT and LINT1 NMI as PC firmware programs them
  /// (the 8259 and the NMI logic are wired there; QEMU starts its BSP the same way).
  var lvt: [UInt32] = [LVT.masked, LVT.masked, LVT.masked, 0x700, 0x400, LVT.masked]
  /// IRR, ISR and TMR: 256 bits each, as four 64-bit words.
  var requests = Bitmap256()
  var inService = Bitmap256()
  var levelTriggered = Bitmap256()

  // The timer (LocalAPICTimer.swift).
  var timerInitialCount: UInt32 = 0
  var timerDivideConfiguration: UInt32 = 0
  /// The cycle the current count was last loaded with the initial count.
  var timerStart: UInt64 = 0
  /// The cycle of the next expiry in one-shot and periodic mode (.max: none pending).
  var timerNextExpiry: UInt64 = .max
  /// IA32_TSC_DEADLINE (0 = disarmed).
  var tscDeadline: UInt64 = 0

  unowned(unsafe) var cpu: CPU

  init(cpu: CPU) { self.cpu = cpu }

  /// Back to the power-on state (a CPU reset, SDM Vol. 3A 11.4.7.1).
  func reset() {
    baseMSR = LocalAPIC.defaultBase | (1 << 11) | (1 << 8)
    id = 0
    taskPriority = 0
    logicalDestination = 0
    destinationFormat = 0xFFFF_FFFF
    spuriousVector = 0xFF
    errorStatus = 0
    pendingErrors = 0
    commandLow = 0
    commandHigh = 0
    lvt = [LVT.masked, LVT.masked, LVT.masked, 0x700, 0x400, LVT.masked]
    requests = Bitmap256()
    inService = Bitmap256()
    levelTriggered = Bitmap256()
    timerInitialCount = 0
    timerDivideConfiguration = 0
    timerStart = 0
    timerNextExpiry = .max
    tscDeadline = 0
  }

  /// IA32_APIC_BASE[11]: when clear the processor behaves as one without an APIC (11.4.3).
  var isGloballyEnabled: Bool { baseMSR & (1 << 11) != 0 }
  /// SVR[8]: the APIC accepts interrupts only when software-enabled (11.4.7.2).
  var isSoftwareEnabled: Bool { isGloballyEnabled && spuriousVector & 0x100 != 0 }
  /// The physical address of the register page.
  var pageBase: UInt64 { baseMSR & 0xFF_FFFF_F000 }

  /// PPR (11.8.3.1): the task priority, or the class of the highest interrupt in service if higher.
  var processorPriority: UInt32 {
    let serving = UInt32(inService.highest ?? 0) & 0xF0
    return (taskPriority & 0xF0) >= serving ? taskPriority & 0xFF : serving
  }

  /// Whether the 8259's INTR reaches the processor: through LINT0 in ExtINT mode, or directly when
  /// the APIC is globally disabled.
  var acceptsExternalInterrupts: Bool {
    if !isGloballyEnabled { return true }
    let lint0 = lvt[LVT.lint0]
    return lint0 & LVT.masked == 0 && LVT.deliveryMode(lint0) == LVT.extINT
  }

  /// The vector the APIC would hand the processor now: the highest request whose priority class is
  /// above the processor priority (11.8.4).
  var deliverableVector: UInt8? {
    guard isSoftwareEnabled, let v = requests.highest else { return nil }
    return UInt32(v) & 0xF0 > processorPriority & 0xF0 ? v : nil
  }

  /// The INTA cycle for the APIC's own interrupt: the request moves to in-service.
  func acknowledge(_ vector: UInt8) {
    requests.clear(vector)
    inService.set(vector)
  }

  /// Accepts a fixed interrupt (from the LVT, an IPI or the I/O APIC) into IRR (11.5.5, 11.8.4).
  func accept(vector: UInt8, levelTriggered level: Bool) {
    if vector < 16 {
      noteError(APICError.receiveIllegalVector)
      return
    }
    guard isSoftwareEnabled else { return }
    requests.set(vector)
    if level { levelTriggered.set(vector) } else { levelTriggered.clear(vector) }
    cpu.interruptCheckNeeded = true
  }

  /// Records an error and, if the error LVT entry is unmasked, interrupts with its vector (11.5.3).
  func noteError(_ bits: UInt32) {
    pendingErrors |= bits
    let entry = lvt[LVT.error]
    if entry & LVT.masked == 0 && isSoftwareEnabled {
      let vector = UInt8(truncatingIfNeeded: entry)
      if vector >= 16 {
        requests.set(vector)
        cpu.interruptCheckNeeded = true
      } else {
        pendingErrors |= APICError.receiveIllegalVector
      }
    }
  }

  /// EOI (11.8.5): retires the highest in-service interrupt; a level-triggered one is also announced to
  /// the I/O APICs so they can deliver again.
  func endOfInterrupt() {
    guard let v = inService.highest else { return }
    inService.clear(v)
    if levelTriggered.contains(v) { cpu.onEndOfInterrupt?(v) }
    cpu.interruptCheckNeeded = true
  }

  /// A write to the low half of the ICR sends an IPI (11.6.1). With one processor only messages that
  /// include this APIC do anything; INIT and start-up have nobody to start.
  func sendIPI() {
    let vector = UInt8(truncatingIfNeeded: commandLow)
    let mode = (commandLow >> 8) & 7
    let shorthand = (commandLow >> 18) & 3
    let toSelf: Bool
    switch shorthand {
    case 1, 2: toSelf = true  // self, all including self
    case 3: toSelf = false  // all excluding self
    default: toSelf = isDestination(commandHigh >> 24, logical: commandLow & (1 << 11) != 0)
    }
    if mode <= 1 && vector < 16 { noteError(APICError.sendIllegalVector) }
    if toSelf { receive(vector: vector, deliveryMode: mode, levelTriggered: false) }
  }

  /// A message for this APIC, from its own ICR or from the I/O APIC: fixed and lowest-priority
  /// messages set the vector's request (an illegal vector is a receive error), NMI raises an NMI.
  /// SMI, INIT, start-up and ExtINT do nothing: there is no SMM, no other processor to start, and an
  /// I/O APIC pin in ExtINT mode is not modelled.
  func receive(vector: UInt8, deliveryMode: UInt32, levelTriggered: Bool) {
    switch deliveryMode {
    case 0, 1: accept(vector: vector, levelTriggered: levelTriggered)
    case 4: cpu.raiseNMI()
    default: break
    }
  }

  /// Whether a destination field names this APIC (11.6.2): its ID in physical mode, or a bit of its
  /// logical ID (flat model) or its cluster (cluster model) in logical mode; 0xFF is a broadcast.
  func isDestination(_ destination: UInt32, logical: Bool) -> Bool {
    if destination == 0xFF { return true }
    if !logical { return destination == id >> 24 }
    let mine = logicalDestination >> 24
    if destinationFormat >> 28 == 0xF { return mine & destination != 0 }
    return (mine >> 4) == (destination >> 4) && (mine & destination & 0xF) != 0
  }

  /// Changes the page base and enable bit from a WRMSR the CPU already checked (11.4.4).
  func writeBaseMSR(_ value: UInt64) {
    let wasEnabled = isGloballyEnabled
    baseMSR = value
    if wasEnabled && !isGloballyEnabled {
      // Disabled: software-disabled too, which masks the LVT (QEMU and KVM keep the rest).
      spuriousVector &= ~0x100
      for k in 0..<LVT.count { lvt[k] |= LVT.masked }
      tscDeadline = 0
    }
    cpu.interruptCheckNeeded = true
  }
}

/// 256 flags, one per vector, with the highest set one found by counting leading zeros.
struct Bitmap256 {
  var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

  subscript(word word: Int) -> UInt64 {
    get {
      switch word {
      case 0: return words.0
      case 1: return words.1
      case 2: return words.2
      default: return words.3
      }
    }
    set {
      switch word {
      case 0: words.0 = newValue
      case 1: words.1 = newValue
      case 2: words.2 = newValue
      default: words.3 = newValue
      }
    }
  }

  mutating func set(_ v: UInt8) { self[word: Int(v >> 6)] |= 1 << UInt64(v & 63) }
  mutating func clear(_ v: UInt8) { self[word: Int(v >> 6)] &= ~(1 << UInt64(v & 63)) }
  func contains(_ v: UInt8) -> Bool { self[word: Int(v >> 6)] & (1 << UInt64(v & 63)) != 0 }

  var highest: UInt8? {
    for w in stride(from: 3, through: 0, by: -1) where self[word: w] != 0 {
      return UInt8(w * 64 + 63 - self[word: w].leadingZeroBitCount)
    }
    return nil
  }

  /// The 32 bits the xAPIC register `index` (0-7) shows.
  func register(_ index: Int) -> UInt32 {
    UInt32(truncatingIfNeeded: self[word: index >> 1] >> (UInt64(index & 1) * 32))
  }
}
