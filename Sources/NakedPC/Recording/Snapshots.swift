// Snapshots.swift: the whole PC saved and restored: in memory (reverse execution's checkpoints,
// the monitor's savevm/loadvm) and in files (--save-state / --load-state).
//
// A snapshot is the session's counters and the PC: CPU with its hidden state, RAM (its pages that
// are not all zero), every device, taken between slices where no event is pending. It is restored
// into a freshly built PC, which replaces the running one only when the whole state read back, so
// a damaged snapshot leaves the session as it was.
//
// File format, version 6 (1 had no A20 gate in the CPU state, 2 no local APIC, 3 no x87/SSE registers,
// 4 no IA32_TSX_CTRL, 5 no PDPTE registers; little-endian): "EMUSTATE", u32 version, u64 kernel size, u32 kernel
// CRC-32, u64 RAM bytes, u64 length of the state, the state (StateCoder), u32 CRC-32 of all the
// bytes before it.

import Devices
import SystemZlib
import StateCoding

/// A state of the session at `cycle`, with the number of history entries given before it. `state`
/// holds everything but RAM when `pages` is set: then RAM is `pages` applied over the RAM of the
/// checkpoints before it, back to the last one whose `isBase` (its pages are all the used ones).
package struct Checkpoint {
  package var cycle: UInt64
  package var historyCount: Int
  package var state: [UInt8]
  package var pages: [(page: Int, bytes: [UInt8])]?
  package var isBase = false
  /// The scripted input (`--keys`, `--serial-in FILE`) not yet given at `cycle`: a named
  /// snapshot's future types it again.
  package var scriptedInput = ScriptedInput()

  package var byteCount: Int { state.count + (pages?.count ?? 0) * 0x1000 }
}

extension Board: StateCodable {
  package func code(_ coder: inout StateCoder) { code(&coder, ram: true) }

  package func code(_ coder: inout StateCoder, ram: Bool) {
    if ram { machine.code(&coder) } else { machine.cpu.code(&coder) }
    let devices: [StateCodable] = [
      pic, pit, cmos, keyboard, com1, com2, vga, debugExit, post, powerOff, testDevice, ioapic, firmwareConfig,
    ]
    for device in devices { device.code(&coder) }
  }
}

extension Session {
  /// How often, in cycles of guest time, the session keeps a checkpoint for reverse execution
  /// while `keepsCheckpoints` (the debugger sets it).
  package static let checkpointSpacing: UInt64 = 50_000_000

  /// The session's state now, as bytes (with RAM unless `ram` is false).
  package func snapshotState(ram: Bool = true) -> [UInt8] {
    var coder = StateCoder.saving()
    coder.section(0x5E55_1011)
    coder.code(&cyclesBeforeReset)
    coder.code(&instructionsBeforeReset)
    coder.code(&resets)
    board.code(&coder, ram: ram)
    return coder.bytes
  }

  /// Restores a state from `snapshotState` into a new PC, which replaces the running one only when
  /// all of it read back. Without `ram`, RAM is left zero for the caller to fill.
  package func restoreState(_ bytes: [UInt8], ram: Bool = true) throws {
    let fresh = Board(configuration: options.configuration, serialOutput: { [serial] in serial.write($0) })
    var coder = StateCoder.restoring(bytes)
    var before: UInt64 = 0, instructions: UInt64 = 0, count = 0
    coder.section(0x5E55_1011)
    coder.code(&before)
    coder.code(&instructions)
    coder.code(&count)
    fresh.code(&coder, ram: ram)
    if let failure = coder.failure { throw EmuError.load("the snapshot is damaged: \(failure)") }
    guard coder.isComplete else { throw EmuError.load("the snapshot is damaged: bytes after its end") }
    cyclesBeforeReset = before
    instructionsBeforeReset = instructions
    resets = count
    board = fresh
    checkpointNeedsBase = true
  }

  /// A complete snapshot (savevm, the loaded state).
  package func checkpoint() -> Checkpoint {
    Checkpoint(cycle: totalCycles, historyCount: replayNext, state: snapshotState(), scriptedInput: scriptedInput)
  }

  /// Back to a checkpoint of this timeline: the history after it is replayed from there.
  package func restore(_ checkpoint: Checkpoint) throws {
    guard checkpoint.pages != nil, let index = checkpoints.firstIndex(where: { $0.cycle == checkpoint.cycle }),
      let base = checkpoints[...index].lastIndex(where: \.isBase)
    else {
      try restoreState(checkpoint.state)
      replayNext = min(checkpoint.historyCount, history.count)
      return
    }
    try restoreState(checkpoint.state, ram: false)
    // RAM at the checkpoint: its base's pages, then each later checkpoint's written pages in order.
    for k in base...index {
      for (page, bytes) in checkpoints[k].pages ?? [] { board.machine.restorePage(page, bytes) }
    }
    board.machine.trackDirtyPages(true)
    checkpointNeedsBase = false
    replayNext = min(checkpoint.historyCount, history.count)
  }

  /// The debugger's periodic checkpoints: one each `checkpointSpacing` cycles at the frontier. The
  /// first after a new PC (boot, reset, loaded state) holds every used RAM page; the others only
  /// the pages written since the one before (Machine's dirty-page tracking).
  package func takeCheckpointIfDue() {
    guard keepsCheckpoints, isLive else { return }
    let last = checkpoints.last?.cycle ?? 0
    guard totalCycles >= last + Self.checkpointSpacing && board.event == nil else { return }
    let machine = board.machine
    let base = checkpointNeedsBase || !machine.tracksDirtyPages
    let written = base ? machine.usedPages() : machine.takeDirtyPages()
    if base { machine.trackDirtyPages(true) }
    checkpoints.append(
      Checkpoint(
        cycle: totalCycles, historyCount: history.count, state: snapshotState(ram: false),
        pages: written.map { ($0, machine.copyOfPage($0)) }, isBase: base))
    checkpointNeedsBase = false
  }

  // MARK: Named snapshots (savevm / loadvm)

  package func saveSnapshot(named name: String) {
    namedSnapshots[name] = checkpoint()
  }

  /// Returns to a named snapshot: what happened after it is forgotten, and the guest goes on live
  /// from there (as QEMU's loadvm).
  package func loadSnapshot(named name: String) throws {
    guard let snapshot = namedSnapshots[name] else { throw EmuError.frontEnd("no snapshot named '\(name)'") }
    try restoreState(snapshot.state)
    checkpoints.removeAll { $0.cycle > snapshot.cycle }
    history.removeSubrange(min(snapshot.historyCount, history.count)...)
    replayNext = history.count
    frontier = snapshot.cycle
    outputWritten = snapshot.cycle
    scriptedInput = snapshot.scriptedInput
    afterReset?()
  }

  // MARK: Files

  package static let fileMagic = Array("EMUSTATE".utf8)
  package static let fileVersion: UInt32 = 6

  /// The state as a file, naming the kernel it runs.
  package func stateFile() -> [UInt8] {
    var coder = StateCoder.saving()
    for var byte in Self.fileMagic { coder.code(&byte) }
    var version = Self.fileVersion
    var size = UInt64(kernelImage.count)
    var crc = CRC32.checksum(kernelImage)
    var ram = board.machine.memory.ramSize
    var state = snapshotState()
    coder.code(&version)
    coder.code(&size)
    coder.code(&crc)
    coder.code(&ram)
    coder.code(&state)
    var sum = CRC32.checksum(coder.bytes)
    coder.code(&sum)
    return coder.bytes
  }

  /// Loads a state file made with the same kernel and RAM size; the loaded state becomes the start
  /// of the history.
  package func loadStateFile(_ bytes: [UInt8], path: String) throws {
    guard bytes.count >= 12, Array(bytes.prefix(8)) == Self.fileMagic else {
      throw EmuError.load("\(path) is not an emu state file")
    }
    guard
      CRC32.checksum(bytes.dropLast(4))
        == bytes.suffix(4).enumerated().reduce(UInt32(0), { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) })
    else { throw EmuError.load("\(path) is damaged (its checksum does not match)") }
    var coder = StateCoder.restoring(Array(bytes.dropFirst(8).dropLast(4)))
    var version: UInt32 = 0, size: UInt64 = 0, crc: UInt32 = 0, ram: UInt64 = 0
    var state: [UInt8] = []
    coder.code(&version)
    guard version == Self.fileVersion else {
      throw EmuError.load("\(path) is state format version \(version); this emu reads version \(Self.fileVersion)")
    }
    coder.code(&size)
    coder.code(&crc)
    coder.code(&ram)
    coder.code(&state)
    guard coder.isComplete else { throw EmuError.load("\(path) is damaged: \(coder.failure ?? "bytes after its end")") }
    let saved = FileIdentity(size: Int(truncatingIfNeeded: size), crc: crc)
    guard saved == FileIdentity(of: kernelImage) else {
      throw EmuError.load("\(path) was saved with another kernel (\(saved))")
    }
    guard ram == board.machine.memory.ramSize else {
      throw EmuError.load("\(path) has \(ram >> 20) MiB of RAM; give --memory \(ram >> 20)")
    }
    do {
      try restoreState(state)
    } catch EmuError.load(let message) {
      throw EmuError.load("\(path): \(message)")
    }
    // The loaded state stands for the boot: what came before it does not lead here. A replay's
    // recorded inputs all come after it and stay.
    if replayEnd == nil {
      history = []
      replayNext = 0
      frontier = totalCycles
    }
    startState = FileIdentity(ofSelfChecked: bytes)
    origin = checkpoint()
    checkpoints = []
    namedSnapshots = [:]
    outputWritten = totalCycles
  }
}
