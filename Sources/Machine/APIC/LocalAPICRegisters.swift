// The xAPIC register page as the processor's loads and stores see it (SDM Vol. 3A 11.4.1 table 11-1).
// Registers are 32 bits wide on 16-byte boundaries; software must use aligned 32-bit accesses, and a
// narrower read sees the addressed bytes of its register. Reserved offsets read as zero and set the
// illegal register address error when written (11.5.3).

extension LocalAPIC: MMIODevice {
  /// Reads the register at `offset` in the page.
  public func read(offset: UInt64, size: Int) -> UInt64 {
    let value = UInt64(register(offset & 0xFF0))
    return value >> (8 * (offset & 3))
  }

  /// Writes the register at `offset`; only aligned 32-bit stores reach a register.
  public func write(offset: UInt64, size: Int, value: UInt64) {
    guard size == 4, offset & 0xF == 0 else { return }
    setRegister(offset & 0xFF0, UInt32(truncatingIfNeeded: value))
  }

  func register(_ r: UInt64) -> UInt32 {
    switch r {
    case APICRegister.id: return id
    case APICRegister.version: return LocalAPIC.versionValue
    case APICRegister.taskPriority: return taskPriority
    case APICRegister.arbitrationPriority: return arbitrationPriority
    case APICRegister.processorPriority: return processorPriority
    case APICRegister.logicalDestination: return logicalDestination
    case APICRegister.destinationFormat: return destinationFormat
    case APICRegister.spuriousVector: return spuriousVector
    case APICRegister.inService..<APICRegister.inService + 0x80:
      return inService.register(Int((r - APICRegister.inService) >> 4))
    case APICRegister.triggerMode..<APICRegister.triggerMode + 0x80:
      return levelTriggered.register(Int((r - APICRegister.triggerMode) >> 4))
    case APICRegister.interruptRequest..<APICRegister.interruptRequest + 0x80:
      return requests.register(Int((r - APICRegister.interruptRequest) >> 4))
    case APICRegister.errorStatus: return errorStatus
    case APICRegister.commandLow: return commandLow  // delivery status (bit 12) always idle
    case APICRegister.commandHigh: return commandHigh
    case APICRegister.lvtTimer...APICRegister.lvtError: return lvt[Int((r - APICRegister.lvtTimer) >> 4)]
    case APICRegister.timerInitialCount: return timerInitialCount
    case APICRegister.timerCurrentCount: return timerCurrentCount
    case APICRegister.timerDivide: return timerDivideConfiguration
    default: return 0  // EOI and the remote read register read as 0; the rest is reserved
    }
  }

  /// APR (11.8.3.1 in older manuals, Pentium 4 and later keep it): the higher of TPR and the highest
  /// class in service or requested, as a class.
  var arbitrationPriority: UInt32 {
    let tpr = taskPriority & 0xFF
    let busy = max(UInt32(inService.highest ?? 0), UInt32(requests.highest ?? 0)) & 0xF0
    return (tpr & 0xF0) >= busy ? tpr : busy
  }

  func setRegister(_ r: UInt64, _ v: UInt32) {
    switch r {
    case APICRegister.id: id = v & 0xFF00_0000
    case APICRegister.taskPriority:
      taskPriority = v & 0xFF
      cpu.interruptCheckNeeded = true
    case APICRegister.endOfInterrupt: endOfInterrupt()
    case APICRegister.logicalDestination: logicalDestination = v & 0xFF00_0000
    case APICRegister.destinationFormat: destinationFormat = v | 0x0FFF_FFFF
    case APICRegister.spuriousVector:
      // Vector, APIC software enable and focus checking (11.9); no EOI-broadcast suppression.
      spuriousVector = v & 0x3FF
      if spuriousVector & 0x100 == 0 {
        for k in 0..<LVT.count { lvt[k] |= LVT.masked }
      }
      cpu.interruptCheckNeeded = true
    case APICRegister.errorStatus:
      errorStatus = pendingErrors
      pendingErrors = 0
    case APICRegister.commandLow:
      // Vector, delivery mode, destination mode, level, trigger mode, shorthand (11.6.1 figure 11-12).
      commandLow = v & 0x000C_CFFF
      sendIPI()
    case APICRegister.commandHigh: commandHigh = v & 0xFF00_0000
    case APICRegister.lvtTimer...APICRegister.lvtError:
      let k = Int((r - APICRegister.lvtTimer) >> 4)
      var entry = v & LVT.writable[k]
      if !isSoftwareEnabled { entry |= LVT.masked }  // 11.4.7.2: the mask stays set while disabled
      if k == LVT.timer { setTimerEntry(entry) } else { lvt[k] = entry }
      cpu.interruptCheckNeeded = true
    case APICRegister.timerInitialCount: setTimerInitialCount(v)
    case APICRegister.timerDivide: setTimerDivide(v & 0xB)
    case APICRegister.version, APICRegister.arbitrationPriority, APICRegister.processorPriority,
      APICRegister.remoteRead, APICRegister.timerCurrentCount,
      APICRegister.inService..<APICRegister.interruptRequest + 0x80:
      break  // read-only
    default:
      noteError(APICError.illegalRegister)
    }
  }
}
