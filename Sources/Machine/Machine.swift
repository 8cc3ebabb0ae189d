// The machine: RAM, the two buses, the CPU and the clocked devices, with the run loop that interleaves
// guest execution and device time. This module is the PC minus its devices; it knows no VGA or UART.
//
// Layout (one job per file):
//   CPU/      register file, lazy flags, modes, segmentation, descriptors, exception/interrupt
//             delivery, CPUID, MSRs, the decoded-block cache and the block loop (BlockCache, Run)
//   Decode/   the opcode table (one row per opcode form, with its cost and block role), the decoder and
//             the decoded-instruction value
//   Execute/  the handlers chosen at decode and their dispatch (Handler, Dispatch), and semantics by
//             family: arithmetic, shifts, multiply/divide, bit operations, data movement, strings,
//             control flow, system instructions
//   Memory/   physical memory (RAM as one host allocation + device ranges), the port bus, the page walker,
//             the software TLB and segmented/linear accesses
//   Boot/     ELF parsing, Multiboot v1 as QEMU does it, PVH
//   Clock/    the clocked-device protocol and the documented cycle model
//
// Integration: create a `Machine`, register `PortDevice`s on `ports`, map `MMIODevice`s or RAM-like
// memory on `memory`, set `interruptController`, add `ClockedDevice`s, call `loadKernel`, then `run`.
// Devices stop the machine with `requestStop()`; `stats` reports instructions, cycles and blocks.

/// Why `Machine.run` returned.
public enum StopReason: Equatable, Sendable, CustomStringConvertible {
  /// HLT with interrupts disabled: nothing can resume the CPU.
  case halted
  /// HLT with interrupts enabled but no device will ever raise an event.
  case idle
  /// A fault during double-fault delivery; the text names the faults, RIP and CR2.
  case tripleFault(String)
  /// The cycle limit given to `run` was reached.
  case cycleLimit
  /// Something called `requestStop` (a debug-exit device, a power-off register, the front end).
  case stopRequested
  /// Strict mode met an opcode this core does not implement.
  case unimplementedOpcode(bytes: [UInt8], rip: UInt64)
  /// The next instruction is at a debugger breakpoint (CPU.setBreakpoint); it has not run.
  case breakpoint
  /// The last instruction accessed a watched range (CPU.setWatchpoint).
  case watchpoint(WatchpointHit)
  /// `step` ran its instruction.
  case stepped

  /// The reason in words, as a front end reports it.
  public var description: String {
    switch self {
    case .halted: return "halted (HLT with IF=0)"
    case .idle: return "idle forever (HLT with IF=1 and no pending device event)"
    case .tripleFault(let text): return text
    case .cycleLimit: return "cycle limit reached"
    case .stopRequested: return "stop requested"
    case .unimplementedOpcode(let bytes, let rip):
      let hex = bytes.map { String($0, radix: 16).leftPadded(2) }.joined(separator: " ")
      return "unimplemented opcode \(hex) at RIP=0x\(String(rip, radix: 16))"
    case .breakpoint: return "breakpoint"
    case .watchpoint(let hit): return "watchpoint at 0x\(String(hit.address, radix: 16))"
    case .stepped: return "stepped"
    }
  }
}

/// Execution counters.
public struct MachineStats: Sendable {
  /// Instructions completed.
  public var instructionsRetired: UInt64
  /// Virtual CPU cycles elapsed (the machine's clock).
  public var cycles: UInt64
  /// Decoded blocks run (each a cache lookup); instructionsRetired / blocksRun is their mean length.
  public var blocksRun: UInt64 = 0
}

/// The PC minus its devices: a CPU, physical memory, the port bus and the run loop that keeps
/// the clocked devices on time. Devices are plugged in through the bus protocols
/// (``PortDevice``, ``MMIODevice``, ``InterruptController``, ``ClockedDevice``).
public final class Machine {
  /// The physical address space: RAM, mapped memory and MMIO devices.
  public let memory: PhysicalMemory
  /// The I/O port space.
  public let ports: PortBus
  /// The processor.
  public let cpu: CPU
  /// The devices the run loop advances, in the order they were added.
  public private(set) var clockedDevices: [ClockedDevice] = []

  /// Creates a machine with `memorySize` bytes of RAM (default 128 MiB) and no devices.
  public init(memorySize: UInt64 = 128 << 20) {
    memory = PhysicalMemory(ramSize: memorySize)
    ports = PortBus()
    cpu = CPU(memory: memory, ports: ports)
    addClockedDevice(cpu.apic)
  }

  /// An interrupt message from the chipset (the I/O APIC) to the local APIC (SDM Vol. 3A 11.6, the
  /// fields of a redirection entry): fixed and lowest-priority messages set the vector's request,
  /// NMI raises an NMI, a message for another APIC ID is dropped.
  public func deliverInterrupt(
    vector: UInt8, deliveryMode: UInt8, destination: UInt8, logicalDestination: Bool, levelTriggered: Bool
  ) {
    let apic = cpu.apic
    guard apic.isGloballyEnabled, apic.isDestination(UInt32(destination), logical: logicalDestination) else {
      return
    }
    apic.receive(vector: vector, deliveryMode: UInt32(deliveryMode), levelTriggered: levelTriggered)
  }

  /// Called with the vector when the guest ends a level-triggered interrupt at the local APIC.
  public var onEndOfInterrupt: ((UInt8) -> Void)? {
    get { cpu.onEndOfInterrupt }
    set { cpu.onEndOfInterrupt = newValue }
  }

  /// The interrupt controller the CPU polls between instructions (the PIC).
  public var interruptController: InterruptController? {
    get { cpu.interruptController }
    set { cpu.interruptController = newValue }
  }

  /// Adds a device that is advanced by the run loop at its `nextEventCycle`.
  public func addClockedDevice(_ device: ClockedDevice) {
    clockedDevices.append(device)
    ports.noteClockedDevice(device)
    memory.noteClockedDevice(device)
  }

  /// Asks `run` to return `.stopRequested` at the next instruction boundary. Safe to call from a device
  /// callback during an I/O access; the current instruction completes first.
  public func requestStop() { cpu.requestStop() }

  /// Raises a non-maskable interrupt (vector 2) at the next instruction boundary; it also wakes HLT.
  public func raiseNMI() { cpu.raiseNMI() }

  /// Tells the CPU to re-poll the interrupt controller before the next instruction (call it when a
  /// device raises an interrupt line from outside a port or MMIO access or `advance(to:)`).
  public func interruptStateChanged() { cpu.interruptCheckNeeded = true }

  /// Stop on unimplemented opcodes instead of raising #UD in the guest.
  public var strict: Bool {
    get { cpu.strict }
    set { cpu.strict = newValue }
  }

  /// The instruction, cycle and block counters so far.
  public var stats: MachineStats {
    MachineStats(instructionsRetired: cpu.instructionsRetired, cycles: cpu.cycles, blocksRun: cpu.blocksRun)
  }

  /// Runs the guest until it stops or `cycleLimit` (an absolute cycle count) is reached.
  ///
  /// Time advances in slices: the CPU runs until the earliest device event (or the limit), then every
  /// device whose event is due is advanced. A halted CPU skips straight to the next event.
  public func run(until cycleLimit: UInt64 = .max) -> StopReason {
    var lastCycles = UInt64.max
    // One walk over the devices per slice: `advanceDevices` returns the next event as it goes. A
    // schedule changes only in the device's own hands (its advance, or an access, which ends the
    // slice when it moves the event: PortBus, PhysicalMemory), so the value holds until the next walk.
    var nextEvent = nextEventCycle
    while true {
      if cpu.stopRequested {
        cpu.stopRequested = false
        cpu.exit = nil
        cpu.exitPending = false
        return .stopRequested
      }
      if cpu.cycles >= cycleLimit { return .cycleLimit }
      let target = min(nextEvent, cycleLimit)

      if cpu.isHalted {
        // HLT with IF=1: an interrupt or NMI wakes the CPU; otherwise time jumps to the next event.
        cpu.interruptShadow = false
        cpu.checkInterrupts()
        if cpu.isHalted {
          if nextEvent == .max { return .idle }
          cpu.cycles = max(cpu.cycles, target)
        }
      } else {
        cpu.endsSlice = false
        // If the last round made no progress (a device whose event stays in the past), run at least one
        // instruction so time cannot stall.
        let floor = cpu.cycles == lastCycles ? cpu.cycles &+ 1 : target
        lastCycles = cpu.cycles
        cpu.deviceDeadline = nextEvent
        cpu.runSlice(until: max(target, floor))
      }

      if let reason = takeExit() { return reason }
      nextEvent = advanceDevices()
    }
  }

  /// The reason the CPU left its slice early, if it did.
  func takeExit() -> StopReason? {
    guard cpu.exitPending else { return nil }
    let reason = cpu.exit
    cpu.exit = nil
    cpu.exitPending = false
    return reason
  }

  /// The earliest cycle a clocked device wants to run at (UInt64.max: never).
  public var nextEventCycle: UInt64 {
    var next = UInt64.max
    for d in clockedDevices { next = min(next, d.nextEventCycle) }
    return next
  }

  /// Lets every device whose event is due catch up with the CPU's time; returns the earliest next
  /// event after that (`nextEventCycle`).
  @discardableResult
  func advanceDevices() -> UInt64 {
    var next = UInt64.max
    for d in clockedDevices {
      var event = d.nextEventCycle
      if event <= cpu.cycles {
        d.advance(to: cpu.cycles)
        event = d.nextEventCycle
      }
      next = min(next, event)
    }
    cpu.interruptCheckNeeded = true
    return next
  }
}

extension String {
  func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: "0", count: width - count) + self
  }
}
