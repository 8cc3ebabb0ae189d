// Screenshot.swift: the text screen as a PNG, exactly as the window draws it.
//
// Cursor and blinking characters are drawn in their visible phase, so the same screen always gives
// the same file: --screenshot at the end of a run and F12 in the window both come here.

import Devices
import Display

enum Screenshot {
  static func write(_ screen: VGATextScreen, renderer: TextModeRenderer, to path: String) throws {
    renderer.render(screen, blinkPhase: true, cursorPhase: true)
    do {
      try PNGWriter.write(
        argb: renderer.pixels, width: TextModeRenderer.width, height: TextModeRenderer.height,
        toFile: path)
    } catch {
      throw EmuError.frontEnd("cannot write the screenshot \(path): \(error)")
    }
  }
}
