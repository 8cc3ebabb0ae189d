// RecordReplay.swift: `--record FILE` and `--replay FILE` around a session.

import HostFiles
import SystemZlib

package enum RecordReplay {
  /// Reads and checks a recording and sets the session options from it: the recording's options
  /// win, since they decide what the guest did. A damaged file or another kernel is a load error.
  package static func load(_ path: String, into options: inout SessionOptions) throws -> Recording {
    guard let bytes = InputFile.bytes(atPath: path) else {
      throw EmuError.load("cannot read the recording \(path)")
    }
    let recording: Recording
    do {
      recording = try Recording.decode(bytes)
    } catch {
      throw EmuError.load("recording \(path): \(error)")
    }
    // The modules come from --initrd again (checked by `checkFiles`); the guest sees the recorded
    // strings.
    options.moduleNames = recording.modules.map(\.name)
    options.configuration.cpuVendor = recording.cpuVendor
    options.kernelName = recording.kernelName
    options.commandLine = recording.commandLine
    options.configuration.memoryMiB = recording.memoryMiB
    options.configuration.cyclesPerSecond = recording.cyclesPerSecond
    options.configuration.rtcSource = .virtual(epoch: recording.rtcEpoch)
    options.configuration.strict = recording.strict
    options.rebootOnTripleFault = recording.reboot
    options.maxCycles = recording.endCycle
    return recording
  }

  /// The files the replaying session read are the recorded ones: the kernel (as the session read
  /// it), the `--initrd` modules, file for file, and the state file (`loaded`, from --load-state) for
  /// a recording that began from one, none for one that began at the boot.
  package static func checkFiles(
    of recording: Recording, path: String, session: Session, loaded: [UInt8]?, loadedPath: String?
  ) throws {
    let given = FileIdentity(of: session.kernelImage)
    guard given == recording.kernel else {
      throw EmuError.load(
        "recording \(path) was made with another kernel (\(recording.kernelName), \(recording.kernel)); "
          + "\(session.options.kernelPath) has \(given)")
    }
    let modules = session.modules
    guard modules.count == recording.modules.count else {
      let names = recording.modules.map { "'\($0.name)'" }.joined(separator: ", ")
      throw EmuError.load(
        "recording \(path) was made with \(recording.modules.count) --initrd modules"
          + (names.isEmpty ? "" : " (\(names))") + "; \(modules.count) given")
    }
    for (k, (module, recorded)) in zip(modules, recording.modules).enumerated()
    where FileIdentity(of: module.bytes) != recorded.file {
      throw EmuError.load(
        "recording \(path): module \(k + 1) was '\(recorded.name)' (\(recorded.file)); "
          + "'\(session.options.initrd[k])' has \(FileIdentity(of: module.bytes))")
    }
    switch (recording.startState, loaded) {
    case (nil, nil): return
    case (let recorded?, nil):
      throw EmuError.load("recording \(path) starts from a state file (\(recorded)): give it with --load-state")
    case (nil, _?):
      throw EmuError.load("recording \(path) starts at the boot: it takes no --load-state")
    case (let recorded?, let bytes?):
      let given = FileIdentity(ofSelfChecked: bytes)
      guard given == recorded else {
        throw EmuError.load(
          "recording \(path) starts from another state file (\(recorded)); \(loadedPath ?? "the state file") has \(given)"
        )
      }
    }
  }

  /// The recording of a finished session.
  package static func recording(of session: Session, result: SessionResult) -> Recording {
    let options = session.options
    let epoch: Int64
    if case .virtual(let e) = options.configuration.rtcSource { epoch = e } else { epoch = 0 }
    return Recording(
      kernel: FileIdentity(of: session.kernelImage), kernelName: options.kernelName ?? options.kernelPath,
      modules: session.modules.map { Recording.Module(file: FileIdentity(of: $0.bytes), name: $0.commandLine) },
      startState: session.startState, memoryMiB: options.configuration.memoryMiB,
      cyclesPerSecond: options.configuration.cyclesPerSecond, rtcEpoch: epoch, strict: options.configuration.strict,
      reboot: options.rebootOnTripleFault, cpuVendor: options.configuration.cpuVendor,
      commandLine: options.commandLine,
      inputs: session.history.filter { $0.cycle <= session.totalCycles }, endCycle: session.totalCycles,
      endInstructions: session.totalInstructions, result: result)
  }

  /// The replayed run's result, checked against the recording: it must end where the recording
  /// ended, after the same number of instructions. A run that the front end ended (input consumed,
  /// quit, the cycle limit, a closed window) ends at the recorded cycle with the recorded result.
  package static func check(_ result: SessionResult, of session: Session, against recording: Recording) throws
    -> SessionResult
  {
    var replayed = result
    if case .cycleLimit = result, session.totalCycles == recording.endCycle { replayed = recording.result }
    guard replayed == recording.result, session.totalCycles == recording.endCycle,
      session.totalInstructions == recording.endInstructions
    else {
      throw EmuError.frontEnd(
        "the replay diverged from the recording: it ended with '\(replayed.message)' at cycle \(session.totalCycles) "
          + "after \(session.totalInstructions) instructions; the recording ended with '\(recording.result.message)' "
          + "at cycle \(recording.endCycle) after \(recording.endInstructions)")
    }
    return replayed
  }
}
