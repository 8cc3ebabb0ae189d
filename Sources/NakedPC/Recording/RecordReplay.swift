// RecordReplay.swift: `--record FILE` and `--replay FILE` around a session.

import SystemZlib
import Foundation

package enum RecordReplay {
  /// Reads and checks a recording and sets the session options from it: the recording's options
  /// win, since they decide what the guest did. A damaged file or another kernel is a load error.
  package static func load(_ path: String, into options: inout SessionOptions) throws -> Recording {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw EmuError.load("cannot read the recording \(path)")
    }
    let recording: Recording
    do {
      recording = try Recording.decode(Array(data))
    } catch {
      throw EmuError.load("recording \(path): \(error)")
    }
    guard let kernel = FileManager.default.contents(atPath: options.kernelPath) else {
      throw EmuError.load("cannot read the kernel file \(options.kernelPath)")
    }
    if kernel.count != recording.kernelSize || CRC32.checksum(kernel) != recording.kernelCRC {
      throw EmuError.load(
        "recording \(path) was made with another kernel (\(recording.kernelName), \(recording.kernelSize) bytes, "
          + "CRC-32 \(Recording.hex32(recording.kernelCRC))); \(options.kernelPath) has \(kernel.count) bytes, "
          + "CRC-32 \(Recording.hex32(CRC32.checksum(kernel)))")
    }
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

  /// The recording of a finished session.
  package static func recording(of session: Session, result: SessionResult) -> Recording {
    let options = session.options
    let epoch: Int64
    if case .virtual(let e) = options.configuration.rtcSource { epoch = e } else { epoch = 0 }
    return Recording(
      kernelSize: session.kernelImage.count, kernelCRC: CRC32.checksum(session.kernelImage),
      kernelName: options.kernelName ?? options.kernelPath, memoryMiB: options.configuration.memoryMiB,
      cyclesPerSecond: options.configuration.cyclesPerSecond, rtcEpoch: epoch, strict: options.configuration.strict,
      reboot: options.rebootOnTripleFault, commandLine: options.commandLine,
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
