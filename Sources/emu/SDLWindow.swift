// The emulator's window, on SDL2 (https://wiki.libsdl.org/SDL2/): a resizable window showing the 720x400
// text-mode picture through a streaming texture, scaled by whole numbers and letterboxed in black (see
// ScaledViewport), plus the keyboard and window events the emulator needs, as Swift values.
//
// The picture is the TextModeRenderer's ARGB8888 buffer, which is SDL_PIXELFORMAT_ARGB8888, so frames are
// uploaded without conversion. SDL wants its video calls on the main thread: create, present and poll from
// there. The accelerated renderer is tried first and the software renderer used if it fails (a bare X
// server such as Xvfb has no GPU); SDL_VIDEODRIVER picks the video backend as usual (x11 by default).
// Keys are reported by SDL scancode, which is the USB HID usage ID that KeyboardScancodes (Devices) turns into PS/2
// scancode set 1 bytes for the i8042. F12 is kept by the emulator as the screenshot key.

import CSDL2
import Devices
import Display

/// Something that happened to the window.
enum WindowEvent: Equatable {
  /// The window was closed (or the process asked to quit).
  case quit
  /// A key went down; `scancode` is SDL's, i.e. a USB HID usage ID. `isRepeat` marks auto-repeat.
  case keyDown(scancode: Int, modifiers: KeyModifiers, isRepeat: Bool)
  case keyUp(scancode: Int, modifiers: KeyModifiers)
  /// The screenshot key (F12) was pressed; it is not passed to the guest.
  case screenshotRequested
  /// The window's size changed, in window coordinates.
  case resized(width: Int, height: Int)
}

/// Modifier state at the time of a key event (from SDL_Keymod).
struct KeyModifiers: OptionSet, Equatable {
  let rawValue: UInt16
  static let shift = KeyModifiers(rawValue: 1 << 0)
  static let control = KeyModifiers(rawValue: 1 << 1)
  static let alt = KeyModifiers(rawValue: 1 << 2)
  static let gui = KeyModifiers(rawValue: 1 << 3)
  static let capsLock = KeyModifiers(rawValue: 1 << 4)
  static let numLock = KeyModifiers(rawValue: 1 << 5)

  init(rawValue: UInt16) { self.rawValue = rawValue }

  init(sdl mod: UInt16) {
    var modifiers: KeyModifiers = []
    let pairs: [(SDL_Keymod, KeyModifiers)] = [
      (KMOD_SHIFT, .shift), (KMOD_CTRL, .control), (KMOD_ALT, .alt), (KMOD_GUI, .gui), (KMOD_CAPS, .capsLock),
      (KMOD_NUM, .numLock),
    ]
    for (sdl, modifier) in pairs where UInt32(mod) & sdl.rawValue != 0 { modifiers.insert(modifier) }
    self = modifiers
  }
}

/// An SDL call that failed, with SDL's explanation.
struct SDLError: Error, CustomStringConvertible {
  let description: String

  init(_ what: String, _ sdl: SDLLibrary) {
    description = "\(what): \(sdl.lastError)"
  }
}

final class SDLWindow {
  static let contentWidth = TextModeRenderer.width
  static let contentHeight = TextModeRenderer.height
  /// The key that requests a screenshot instead of reaching the guest.
  static let screenshotScancode = Int(SDL_SCANCODE_F12.rawValue)

  private let sdl: SDLLibrary
  private let window: OpaquePointer
  private let renderer: OpaquePointer
  private let texture: OpaquePointer
  /// The SDL renderer in use ("opengl", "software", ...), for diagnostics.
  let rendererName: String

  /// The window's title; the emulator shows its state there (running, halted, MIPS).
  var title: String {
    didSet { sdl.setWindowTitle(window, title) }
  }

  /// Opens a window of `scale` times 720x400.
  init(title: String, scale: Int = 2) throws {
    let sdl = try SDLLibrary.shared.get()
    self.sdl = sdl
    // shim.h defines SDL_MAIN_HANDLED (Swift owns main), which makes this call SDL's documented duty.
    sdl.setMainReady()
    guard sdl.initSubSystem(SDL_INIT_VIDEO) == 0 else { throw SDLError("SDL_Init(video)", sdl) }
    // Nearest-neighbour sampling: scaled pixels must stay sharp squares.
    _ = sdl.setHint(SDL_HINT_RENDER_SCALE_QUALITY, "nearest")
    // SDL_WINDOWPOS_CENTERED is a function-like macro that Swift does not import; this is its value.
    let centered = Int32(bitPattern: 0x2FFF_0000)
    guard
      let window = sdl.createWindow(
        title, centered, centered, Int32(Self.contentWidth * max(scale, 1)), Int32(Self.contentHeight * max(scale, 1)),
        SDL_WINDOW_RESIZABLE.rawValue | SDL_WINDOW_ALLOW_HIGHDPI.rawValue)
    else {
      let error = SDLError("SDL_CreateWindow", sdl)
      sdl.quitSubSystem(SDL_INIT_VIDEO)
      throw error
    }
    guard
      let renderer = sdl.createRenderer(window, -1, SDL_RENDERER_ACCELERATED.rawValue)
        ?? sdl.createRenderer(window, -1, SDL_RENDERER_SOFTWARE.rawValue)
    else {
      let error = SDLError("SDL_CreateRenderer", sdl)
      sdl.destroyWindow(window)
      sdl.quitSubSystem(SDL_INIT_VIDEO)
      throw error
    }
    guard
      let texture = sdl.createTexture(
        renderer, SDL_PIXELFORMAT_ARGB8888.rawValue, Int32(SDL_TEXTUREACCESS_STREAMING.rawValue),
        Int32(Self.contentWidth), Int32(Self.contentHeight))
    else {
      let error = SDLError("SDL_CreateTexture", sdl)
      sdl.destroyRenderer(renderer)
      sdl.destroyWindow(window)
      sdl.quitSubSystem(SDL_INIT_VIDEO)
      throw error
    }
    var info = SDL_RendererInfo()
    rendererName = sdl.getRendererInfo(renderer, &info) == 0 && info.name != nil ? String(cString: info.name) : "?"
    self.window = window
    self.renderer = renderer
    self.texture = texture
    self.title = title
  }

  deinit {
    sdl.destroyTexture(texture)
    sdl.destroyRenderer(renderer)
    sdl.destroyWindow(window)
    sdl.quitSubSystem(SDL_INIT_VIDEO)
  }

  /// Shows a 720x400 ARGB8888 frame (e.g. `TextModeRenderer.pixels`).
  func present(_ pixels: [UInt32]) {
    precondition(pixels.count == Self.contentWidth * Self.contentHeight, "a frame is 720x400 pixels")
    pixels.withUnsafeBytes { bytes in
      _ = sdl.updateTexture(texture, nil, bytes.baseAddress, Int32(Self.contentWidth * 4))
    }
    drawTexture()
  }

  /// Shows a frame drawn straight into the texture: `draw` gets the texture's pixels and its pitch in
  /// pixels (as `TextModeRenderer.render(_:blinkPhase:cursorPhase:into:pitch:)` takes them), saving a copy.
  func present(drawing draw: (UnsafeMutablePointer<UInt32>, Int) -> Void) {
    var pixels: UnsafeMutableRawPointer?
    var pitch: Int32 = 0
    guard sdl.lockTexture(texture, nil, &pixels, &pitch) == 0, let pixels else { return }
    draw(pixels.assumingMemoryBound(to: UInt32.self), Int(pitch) / 4)
    sdl.unlockTexture(texture)
    drawTexture()
  }

  /// Where the picture currently sits in the renderer's output (pixels, which may exceed window
  /// coordinates on high-DPI screens).
  var viewport: ScaledViewport {
    var width: Int32 = 0
    var height: Int32 = 0
    _ = sdl.getRendererOutputSize(renderer, &width, &height)
    return ScaledViewport.fitting(
      contentWidth: Self.contentWidth, contentHeight: Self.contentHeight, windowWidth: Int(width),
      windowHeight: Int(height))
  }

  private func drawTexture() {
    // Scaling by hand rather than with SDL_RenderSetIntegerScale: that one collapses to nothing when the
    // window is smaller than 720x400, and this way the tested ScaledViewport decides.
    let fit = viewport
    var target = SDL_Rect(x: Int32(fit.x), y: Int32(fit.y), w: Int32(fit.width), h: Int32(fit.height))
    _ = sdl.setRenderDrawColor(renderer, 0, 0, 0, 255)
    _ = sdl.renderClear(renderer)
    _ = sdl.renderCopy(renderer, texture, nil, &target)
    sdl.renderPresent(renderer)
  }

  /// The next event the emulator cares about, or nil when none is pending. Never blocks.
  func pollEvent() -> WindowEvent? {
    var event = SDL_Event()
    while sdl.pollEvent(&event) != 0 {
      if let converted = Self.convert(event) { return converted }
    }
    return nil
  }

  /// All pending events.
  func pollEvents() -> [WindowEvent] {
    var events: [WindowEvent] = []
    while let event = pollEvent() { events.append(event) }
    return events
  }

  private static func convert(_ event: SDL_Event) -> WindowEvent? {
    switch event.type {
    case SDL_QUIT.rawValue:
      return .quit
    case SDL_KEYDOWN.rawValue, SDL_KEYUP.rawValue:
      let scancode = Int(event.key.keysym.scancode.rawValue)
      let modifiers = KeyModifiers(sdl: event.key.keysym.mod)
      let isDown = event.type == SDL_KEYDOWN.rawValue
      if scancode == screenshotScancode {
        return isDown && event.key.repeat == 0 ? .screenshotRequested : nil
      }
      return isDown
        ? .keyDown(scancode: scancode, modifiers: modifiers, isRepeat: event.key.repeat != 0)
        : .keyUp(scancode: scancode, modifiers: modifiers)
    case SDL_WINDOWEVENT.rawValue where event.window.event == UInt8(SDL_WINDOWEVENT_SIZE_CHANGED.rawValue):
      return .resized(width: Int(event.window.data1), height: Int(event.window.data2))
    default:
      return nil
    }
  }

  // MARK: Keyboard

  /// The i8042 bytes (scancode set 1, E0-prefixed for extended keys) for pressing the key with SDL scancode
  /// `scancode`; [] for keys a PC keyboard lacks.
  static func ps2MakeBytes(forScancode scancode: Int) -> [UInt8] {
    KeyboardScancodes.makeBytes(forUsage: scancode)
  }

  /// The bytes for releasing it.
  static func ps2BreakBytes(forScancode scancode: Int) -> [UInt8] {
    KeyboardScancodes.breakBytes(forUsage: scancode)
  }

  /// The bytes a key event sends to the keyboard controller, or [] for events that are not keys.
  static func ps2Bytes(for event: WindowEvent) -> [UInt8] {
    switch event {
    case .keyDown(let scancode, _, _): return ps2MakeBytes(forScancode: scancode)
    case .keyUp(let scancode, _): return ps2BreakBytes(forScancode: scancode)
    default: return []
    }
  }
}
