// Screenshot.swift: the text screen as a PNG, exactly as the window draws it.
//
// Cursor and blinking characters are drawn in their visible phase, so the same screen always gives
// the same file: --screenshot at the end of a run, F12 in the window and PC.screenshotPNG all come here.

import Devices
import Display
import HostFiles

package enum Screenshot {
  package static func png(_ screen: VGATextScreen, renderer: TextModeRenderer) -> [UInt8] {
    renderer.render(screen, blinkPhase: true, cursorPhase: true)
    return PNGWriter.encode(argb: renderer.pixels, width: TextModeRenderer.width, height: TextModeRenderer.height)
  }

  package static func write(_ screen: VGATextScreen, renderer: TextModeRenderer, to file: OutputFile) throws {
    try file.write(png(screen, renderer: renderer))
  }

  package static func write(_ screen: VGATextScreen, renderer: TextModeRenderer, to path: String) throws {
    try write(screen, renderer: renderer, to: OutputFile(path: path, what: "screenshot"))
  }
}
