// libSDL2, opened with dlopen when the first window is: a headless run (every test, the benchmark, a
// CI job) never loads it or the forty-odd libraries it pulls in (X11, Wayland, PulseAudio, ALSA...),
// whose loading was a third of emu's start-up. The header still comes from libsdl2-dev (CSDL2) for
// the types and constants; the functions are looked up here, each with its C signature (SDL2's
// SDL_video.h, SDL_render.h, SDL_events.h, SDL_hints.h).

import CSDL2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The SDL2 functions the window uses.
struct SDLLibrary {
  typealias Renderer = OpaquePointer
  typealias Texture = OpaquePointer
  typealias Window = OpaquePointer

  let setMainReady: @convention(c) () -> Void
  let initSubSystem: @convention(c) (UInt32) -> Int32
  let quitSubSystem: @convention(c) (UInt32) -> Void
  let getError: @convention(c) () -> UnsafePointer<CChar>?
  let setHint: @convention(c) (UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> SDL_bool
  let createWindow: @convention(c) (UnsafePointer<CChar>?, Int32, Int32, Int32, Int32, UInt32) -> Window?
  let destroyWindow: @convention(c) (Window?) -> Void
  let setWindowTitle: @convention(c) (Window?, UnsafePointer<CChar>?) -> Void
  let createRenderer: @convention(c) (Window?, Int32, UInt32) -> Renderer?
  let destroyRenderer: @convention(c) (Renderer?) -> Void
  let getRendererInfo: @convention(c) (Renderer?, UnsafeMutablePointer<SDL_RendererInfo>?) -> Int32
  let getRendererOutputSize:
    @convention(c) (Renderer?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?)
      -> Int32
  let createTexture: @convention(c) (Renderer?, UInt32, Int32, Int32, Int32) -> Texture?
  let destroyTexture: @convention(c) (Texture?) -> Void
  let updateTexture: @convention(c) (Texture?, UnsafePointer<SDL_Rect>?, UnsafeRawPointer?, Int32) -> Int32
  let lockTexture:
    @convention(c) (
      Texture?, UnsafePointer<SDL_Rect>?, UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<Int32>?
    ) -> Int32
  let unlockTexture: @convention(c) (Texture?) -> Void
  let setRenderDrawColor: @convention(c) (Renderer?, UInt8, UInt8, UInt8, UInt8) -> Int32
  let renderClear: @convention(c) (Renderer?) -> Int32
  let renderCopy: @convention(c) (Renderer?, Texture?, UnsafePointer<SDL_Rect>?, UnsafePointer<SDL_Rect>?) -> Int32
  let renderPresent: @convention(c) (Renderer?) -> Void
  let pollEvent: @convention(c) (UnsafeMutablePointer<SDL_Event>?) -> Int32

  /// The library, opened on first use; the error says what is missing.
  static let shared: Result<SDLLibrary, SDLLoadError> = {
    do throws(SDLLoadError) {
      return .success(try SDLLibrary())
    } catch {
      return .failure(error)
    }
  }()

  /// The SDL error text of the last failed call.
  var lastError: String { getError().map { String(cString: $0) } ?? "?" }

  private init() throws(SDLLoadError) {
    let names = ["libSDL2-2.0.so.0", "libSDL2.so", "libSDL2-2.0.0.dylib", "libSDL2.dylib"]
    guard let handle = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
      throw SDLLoadError(
        description: "cannot open libSDL2 (\(names[0])): install SDL2 (Debian: libsdl2-2.0-0) or run with --headless")
    }
    func symbol<F>(_ name: String) throws(SDLLoadError) -> F {
      guard let address = dlsym(handle, name) else {
        throw SDLLoadError(description: "libSDL2 has no \(name): SDL 2.0.18 or later is needed")
      }
      return unsafeBitCast(address, to: F.self)
    }
    setMainReady = try symbol("SDL_SetMainReady")
    initSubSystem = try symbol("SDL_InitSubSystem")
    quitSubSystem = try symbol("SDL_QuitSubSystem")
    getError = try symbol("SDL_GetError")
    setHint = try symbol("SDL_SetHint")
    createWindow = try symbol("SDL_CreateWindow")
    destroyWindow = try symbol("SDL_DestroyWindow")
    setWindowTitle = try symbol("SDL_SetWindowTitle")
    createRenderer = try symbol("SDL_CreateRenderer")
    destroyRenderer = try symbol("SDL_DestroyRenderer")
    getRendererInfo = try symbol("SDL_GetRendererInfo")
    getRendererOutputSize = try symbol("SDL_GetRendererOutputSize")
    createTexture = try symbol("SDL_CreateTexture")
    destroyTexture = try symbol("SDL_DestroyTexture")
    updateTexture = try symbol("SDL_UpdateTexture")
    lockTexture = try symbol("SDL_LockTexture")
    unlockTexture = try symbol("SDL_UnlockTexture")
    setRenderDrawColor = try symbol("SDL_SetRenderDrawColor")
    renderClear = try symbol("SDL_RenderClear")
    renderCopy = try symbol("SDL_RenderCopy")
    renderPresent = try symbol("SDL_RenderPresent")
    pollEvent = try symbol("SDL_PollEvent")
  }
}

/// libSDL2 could not be opened, or lacks a function.
struct SDLLoadError: Error, CustomStringConvertible {
  let description: String
}
