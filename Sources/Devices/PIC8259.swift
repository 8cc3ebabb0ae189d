// One Intel 8259A programmable interrupt controller.
//
// Reference: Intel 8259A datasheet (order 231468-003), "Programming the 8259A" (ICW1-ICW4, OCW1-OCW3),
// "Priority resolver", "Interrupt sequence". The PC has two of them, master and slave; `PIC8259Pair`
// wires them together the PC/AT way and is what the machine talks to. This type is one chip, addressed
// by its A0 line (0 = the even port, 1 = the odd port).
//
// Behaviour chosen where the datasheet leaves room, following QEMU's i8259 (hw/intc/i8259.c):
//   * edge-triggered requests are latched in IRR on a rising edge and stay latched if the line falls again
//     before the acknowledge (a real 8259A would then give a spurious IRQ 7; latching is kinder to an
//     emulator whose devices pulse their lines within one instruction);
//   * ICW1 clears IRR, ISR and IMR and forgets the line levels' history only for IRR: a line that is
//     already high must fall and rise again to request (datasheet: "the edge sense circuit is reset").

/// One 8259A: IRR, ISR, IMR, the priority resolver and the initialization sequence.
import StateCoding

public final class PIC8259 {
  /// Interrupt request register: requests latched and not yet acknowledged (bit n = IR n).
  public private(set) var irr: UInt8 = 0
  /// In-service register: acknowledged requests whose handlers have not sent an EOI.
  public private(set) var isr: UInt8 = 0
  /// Interrupt mask register (OCW1): a set bit masks that IR input.
  public private(set) var imr: UInt8 = 0
  /// The vector base from ICW2 (its low three bits are always zero on an 8086-mode 8259A).
  public private(set) var vectorBase: UInt8 = 0
  /// ICW3 as written: on the master the inputs that have a slave, on a slave its cascade identity.
  public private(set) var cascadeConfiguration: UInt8 = 0
  /// ICW4 bit 1 (AEOI): the acknowledge itself ends the interrupt, no ISR bit is set.
  public private(set) var autoEOI = false
  /// ICW1 bit 3 (LTIM): level-triggered inputs instead of edge-triggered ones.
  public private(set) var levelTriggered = false
  /// ICW4 bit 4 (SFNM): special fully nested mode, used on a master so a slave can nest its own requests.
  public private(set) var specialFullyNested = false
  /// OCW3 special mask mode (ESMM/SMM): masked in-service levels no longer block lower priorities.
  public private(set) var specialMask = false
  /// True while an initialization sequence (ICW2..ICW4) is still expecting bytes on the odd port.
  public var isInitializing: Bool { initStep != 0 }
  /// Whether this chip is a cascade master (its ICW3 lists slaves) rather than a slave (ICW3 is its ID).
  public let isMaster: Bool

  /// The input that currently has the lowest priority is `(lowestPriorityBase + 7) & 7`; rotation moves it.
  private var priorityBase: UInt8 = 0
  private var rotateOnAutoEOI = false
  private var readISR = false  // OCW3 RR/RIS: the even port reads ISR instead of IRR
  private var pollPending = false  // OCW3 P: the next read of the even port is a poll
  private var lineLevels: UInt8 = 0
  private var initStep = 0  // 0 = operational, 2/3/4 = next ICW expected on the odd port
  private var needsICW4 = false
  private var singleMode = false

  /// - Parameter isMaster: how the chip's SP/EN pin is strapped: true for the master of a cascade (or a
  ///   lone 8259A), false for a slave.
  public init(isMaster: Bool = true) {
    self.isMaster = isMaster
  }

  /// Back to the power-on state (uninitialized: vector base 0, nothing masked, no requests, lines low).
  public func reset() {
    irr = 0
    isr = 0
    imr = 0
    vectorBase = 0
    cascadeConfiguration = 0
    autoEOI = false
    levelTriggered = false
    specialFullyNested = false
    specialMask = false
    priorityBase = 0
    rotateOnAutoEOI = false
    readISR = false
    pollPending = false
    lineLevels = 0
    initStep = 0
    needsICW4 = false
    singleMode = false
  }

  // MARK: Request lines

  /// Drives input `ir` (0-7). Edge mode latches a rising edge into IRR; level mode makes IRR follow the line.
  public func setLevel(_ ir: Int, _ high: Bool) {
    let bit = UInt8(1) << UInt8(ir & 7)
    if levelTriggered {
      if high { irr |= bit } else { irr &= ~bit }
    } else if high && lineLevels & bit == 0 {
      irr |= bit
    }
    if high { lineLevels |= bit } else { lineLevels &= ~bit }
  }

  // MARK: Priority resolution

  /// The priority rank (0 = highest) of the highest-priority set bit of `mask`, or 8 if `mask` is empty.
  private func highestPriority(in mask: UInt8) -> Int {
    if mask == 0 { return 8 }
    var rank = 0
    while mask & (1 << ((UInt8(rank) &+ priorityBase) & 7)) == 0 { rank += 1 }
    return rank
  }

  /// The IR input the chip would present to the CPU now (INT asserted), or nil. A request is presented only
  /// if it outranks every level in service (fully nested mode); on a master in special fully nested mode
  /// the cascade input does not block itself, so a slave's higher request can nest.
  public var pendingRequest: Int? {
    let requested = highestPriority(in: irr & ~imr)
    if requested == 8 { return nil }
    var inService = isr
    if specialMask { inService &= ~imr }
    if specialFullyNested && isMaster && !singleMode { inService &= ~cascadeConfiguration }
    let current = highestPriority(in: inService)
    return requested < current ? (requested + Int(priorityBase)) & 7 : nil
  }

  /// The INTA sequence for input `ir`: set its ISR bit (unless auto-EOI) and clear its edge request.
  func acknowledge(_ ir: Int) {
    let bit = UInt8(1) << UInt8(ir & 7)
    if autoEOI {
      if rotateOnAutoEOI { priorityBase = UInt8((ir + 1) & 7) }
    } else {
      isr |= bit
    }
    if !levelTriggered { irr &= ~bit }
  }

  // MARK: Registers

  /// Reads the chip's even (`a0 == 0`) or odd (`a0 == 1`) port.
  /// Even: the poll word after an OCW3 poll command, else IRR or ISR as OCW3 selected. Odd: IMR.
  public func read(a0: Int) -> UInt8 {
    if pollPending {
      // Poll mode (datasheet "The Poll Command"): the read acts as an acknowledge; bit 7 = request present.
      pollPending = false
      guard let ir = pendingRequest else { return 0 }
      acknowledge(ir)
      return 0x80 | UInt8(ir)
    }
    if a0 & 1 == 0 { return readISR ? isr : irr }
    return imr
  }

  /// Writes the chip's even (`a0 == 0`: ICW1, OCW2, OCW3) or odd (`a0 == 1`: ICW2-4, OCW1) port.
  public func write(a0: Int, _ value: UInt8) {
    if a0 & 1 == 0 {
      if value & 0x10 != 0 {
        initialize(icw1: value)
      } else if value & 0x08 != 0 {
        // OCW3: bit 2 P (poll), bits 1-0 RR/RIS (read register), bits 6-5 ESMM/SMM (special mask).
        if value & 0x04 != 0 { pollPending = true }
        if value & 0x02 != 0 { readISR = value & 0x01 != 0 }
        if value & 0x40 != 0 { specialMask = value & 0x20 != 0 }
      } else {
        operationCommand2(value)
      }
      return
    }
    switch initStep {
    case 2:
      // ICW2: T7-T3 of the vector; the low three bits come from the IR number.
      vectorBase = value & 0xF8
      initStep = singleMode ? (needsICW4 ? 4 : 0) : 3
    case 3:
      // ICW3: slave map (master) or slave identity (slave).
      cascadeConfiguration = value
      initStep = needsICW4 ? 4 : 0
    case 4:
      // ICW4: bit 0 uPM (8086 mode, assumed), bit 1 AEOI, bits 3-2 buffered mode (ignored), bit 4 SFNM.
      autoEOI = value & 0x02 != 0
      specialFullyNested = value & 0x10 != 0
      initStep = 0
    default:
      // OCW1: the mask register.
      imr = value
    }
  }

  /// ICW1 (A0 = 0, D4 = 1): starts initialization. Bit 0 IC4 (ICW4 needed), bit 1 SNGL, bit 3 LTIM.
  private func initialize(icw1 value: UInt8) {
    needsICW4 = value & 0x01 != 0
    singleMode = value & 0x02 != 0
    levelTriggered = value & 0x08 != 0
    // Datasheet: the IMR is cleared, IR7 gets the lowest priority, special mask mode is cleared and the
    // status read is set to IRR; ICW4's bits are cleared when IC4 = 0.
    imr = 0
    isr = 0
    irr = levelTriggered ? lineLevels : 0
    priorityBase = 0
    readISR = false
    pollPending = false
    specialMask = false
    autoEOI = false
    rotateOnAutoEOI = false
    specialFullyNested = false
    initStep = 2
  }

  /// OCW2 (A0 = 0, D4 = D3 = 0): bits 7-5 R/SL/EOI select the command, bits 2-0 the level for specific ones.
  private func operationCommand2(_ value: UInt8) {
    let level = Int(value & 7)
    switch value >> 5 {
    case 0b000: rotateOnAutoEOI = false  // clear rotate in automatic EOI mode
    case 0b100: rotateOnAutoEOI = true  // set rotate in automatic EOI mode
    case 0b001, 0b101:
      // Non-specific EOI (optionally rotating): clears the highest-priority in-service level.
      let rank = highestPriority(in: isr)
      if rank != 8 {
        let ir = (rank + Int(priorityBase)) & 7
        isr &= ~(UInt8(1) << UInt8(ir))
        if value >> 5 == 0b101 { priorityBase = UInt8((ir + 1) & 7) }
      }
    case 0b011:  // specific EOI
      isr &= ~(UInt8(1) << UInt8(level))
    case 0b111:  // rotate on specific EOI
      isr &= ~(UInt8(1) << UInt8(level))
      priorityBase = UInt8((level + 1) & 7)
    case 0b110:  // set priority: `level` becomes the lowest priority
      priorityBase = UInt8((level + 1) & 7)
    default:  // 0b010: no operation
      break
    }
  }
}

// MARK: Snapshot

extension PIC8259: StateCodable {
  public func code(_ coder: inout StateCoder) {
    coder.section(0x8259_0000 | (isMaster ? 1 : 2))
    coder.code(&irr)
    coder.code(&isr)
    coder.code(&imr)
    coder.code(&vectorBase)
    coder.code(&cascadeConfiguration)
    coder.code(&autoEOI)
    coder.code(&levelTriggered)
    coder.code(&specialFullyNested)
    coder.code(&specialMask)
    coder.code(&priorityBase)
    coder.code(&rotateOnAutoEOI)
    coder.code(&readISR)
    coder.code(&pollPending)
    coder.code(&lineLevels)
    coder.code(&initStep)
    coder.code(&needsICW4)
    coder.code(&singleMode)
  }
}
