// WindowRunner.swift: the emulator in an SDL2 window, paced to the host's clock.
//
// Each frame (60 a second) the runner feeds the window's key events to the i8042, runs the guest
// up to the virtual cycle that corresponds to the wall-clock time since start (so a 100 Hz guest
// timer ticks 100 times a wall-clock second), renders the text screen and presents it. A guest
// that halts between interrupts costs almost nothing: the machine skips to its next device event
// and the runner sleeps until the next frame. When the guest stops (panic, halt) the window keeps
// showing the last screen until it is closed; power-off and isa-debug-exit close it.

import Devices
import Display
import Glibc
import HostFiles
import NakedPC

final class WindowRunner {
  private let session: Session
  private let debugger: GDBServer?
  private let window: SDLWindow
  private let renderer: TextModeRenderer
  private var screenshots = 0

  init(session: Session, font: VGAFont, debugger: GDBServer? = nil) throws {
    self.session = session
    self.debugger = debugger
    renderer = TextModeRenderer(font: font)
    window = try SDLWindow(title: "emu", scale: 2)
  }

  /// Runs until the window is closed or the guest ends the run; returns how it ended (a window
  /// closed while the guest still ran counts as a halt: status 0).
  func run() throws -> SessionResult {
    let cyclesPerSecond = Double(session.options.configuration.cyclesPerSecond)
    let frameTime = 1.0 / 60.0
    let started = monotonicSeconds()
    // Pacing anchor: virtual time `startCycles` corresponds to wall time `origin`.
    var origin = started
    var startCycles = session.totalCycles
    var stopped: SessionResult?
    var lastInstructions = session.totalInstructions
    var lastTitleUpdate = started
    var lastFrame: Frame?
    var needsRedraw = true

    while true {
      let frameStart = monotonicSeconds()
      for event in window.pollEvents() {
        switch event {
        case .quit:
          return stopped ?? .halted
        case .screenshotRequested:
          saveScreenshot()
        case .keyDown, .keyUp:
          if stopped == nil { try session.type(SDLWindow.ps2Bytes(for: event)) }
        case .resized:
          needsRedraw = true
        }
      }

      if let debugger {
        // Under gdb, time runs only while gdb lets the guest run; a stop keeps the screen as it is.
        try debugger.service(timeout: 0)
        if let result = debugger.finished { return result }
        if !debugger.isRunning {
          origin = monotonicSeconds()
          startCycles = session.totalCycles
        }
      }
      if stopped == nil && debugger?.isRunning != false {
        // Virtual time follows wall time, at most a quarter second behind: a guest that cannot
        // keep up runs slow instead of trying to catch up forever.
        var target = startCycles + UInt64((monotonicSeconds() - origin) * cyclesPerSecond)
        if target > session.totalCycles + UInt64(cyclesPerSecond / 4) {
          origin = monotonicSeconds() - 0.25
          startCycles = session.totalCycles
          target = session.totalCycles + UInt64(cyclesPerSecond / 4)
        }
        if let result = try session.run(until: target) {
          if let debugger {
            try debugger.guestStopped(result)
            if let result = debugger.finished { return result }
          } else {
            if result.endsTheMachine { return result }
            stopped = result
          }
        }
      }

      // Draw only when something visible changed: an idle guest then costs (almost) nothing.
      let phases = TextModeRenderer.blinkPhases(atSeconds: monotonicSeconds() - started)
      let screen = session.board.vga.screen()
      let frame = Frame(screen: screen, blink: phases.blink, cursor: phases.cursor)
      if frame != lastFrame || needsRedraw {
        window.present { pixels, pitch in
          self.renderer.render(screen, blinkPhase: phases.blink, cursorPhase: phases.cursor, into: pixels, pitch: pitch)
        }
        lastFrame = frame
        needsRedraw = false
      }

      if monotonicSeconds() - lastTitleUpdate >= 0.5 {
        let seconds = monotonicSeconds() - lastTitleUpdate
        let mips = Double(session.totalInstructions - lastInstructions) / seconds / 1e6
        lastInstructions = session.totalInstructions
        lastTitleUpdate = monotonicSeconds()
        let state = stopped.map { "stopped: \($0.message)" } ?? "running"
        window.title = "emu — \(state) — \(fixed(mips, digits: 1)) MIPS"
      }

      let remaining = frameTime - (monotonicSeconds() - frameStart)
      if remaining > 0 { usleep(UInt32(remaining * 1e6)) }
    }
  }

  /// What one frame shows: the window is redrawn only when this changes.
  private struct Frame: Equatable {
    var screen: VGATextScreen
    var blink: Bool
    var cursor: Bool
  }

  /// F12: the screen as the window shows it, cursor and blinking text visible, as a PNG.
  private func saveScreenshot() {
    screenshots += 1
    let path = "emu-screenshot-\(screenshots).png"
    do {
      try Screenshot.write(session.board.vga.screen(), renderer: renderer, to: path)
      OutputFile.standardError.write("emu: saved \(path)\n")
    } catch {
      OutputFile.standardError.write("emu: \(error)\n")
    }
  }
}
