// Screenshot.swift: the text screen as a PNG, exactly as the window draws it.
//
// Cursor and blinking characters are drawn in their visible phase, so the same screen always gives
// the same file: --screenshot at the end of a run and F12 in the window both come here.

import Devices
import Display

enum Screenshot {
  static func write(_ screen: VGATextScreen, renderer: TextModeRenderer, to file: OutputFile) throws {
    renderer.render(screen, blinkPhase: true, cursorPhase: true)
    try file.write(
      PNGWriter.encode(argb: renderer.pixels, width: TextModeRenderer.width, height: TextModeRenderer.height))
  }

  static func write(_ screen: VGATextScreen, renderer: TextModeRenderer, to path: String) throws {
    try write(screen, renderer: renderer, to: OutputFile(path: path, what: "screenshot"))
  }
}
