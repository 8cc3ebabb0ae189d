// Where the 720x400 text screen goes in a window of any size: the largest whole-number scale that fits,
// centred, with black bars around it (letterboxing). Whole-number scaling keeps every VGA pixel the same
// size; a window smaller than the screen gets the aspect-preserving fit instead, so nothing is cut off.

public struct ScaledViewport: Equatable {
  public var x: Int
  public var y: Int
  public var width: Int
  public var height: Int
  /// The whole-number scale, or 0 when the window is smaller than the content and it is shrunk to fit.
  public var scale: Int

  public init(x: Int, y: Int, width: Int, height: Int, scale: Int) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
    self.scale = scale
  }

  /// The viewport for `contentWidth` x `contentHeight` pixels in a `windowWidth` x `windowHeight` window.
  public static func fitting(
    contentWidth: Int, contentHeight: Int, windowWidth: Int, windowHeight: Int
  ) -> ScaledViewport {
    let scale = min(windowWidth / contentWidth, windowHeight / contentHeight)
    if scale >= 1 {
      let width = contentWidth * scale
      let height = contentHeight * scale
      return ScaledViewport(
        x: (windowWidth - width) / 2, y: (windowHeight - height) / 2, width: width, height: height, scale: scale)
    }
    // Compare the aspect ratios by cross-multiplying so the fit stays exact in integers.
    var width = windowWidth
    var height = windowWidth * contentHeight / contentWidth
    if height > windowHeight {
      height = windowHeight
      width = windowHeight * contentWidth / contentHeight
    }
    return ScaledViewport(
      x: (windowWidth - width) / 2, y: (windowHeight - height) / 2, width: max(width, 0), height: max(height, 0),
      scale: 0)
  }
}

/// Enlarges a pixel buffer by a whole-number factor, each pixel becoming a `factor` x `factor` square: what
/// the window shows at that scale, so a window capture can be compared with a headless rendering.
public func upscale(_ pixels: [UInt32], width: Int, height: Int, by factor: Int) -> [UInt32] {
  precondition(factor >= 1 && pixels.count == width * height)
  if factor == 1 { return pixels }
  let scaledWidth = width * factor
  var result = [UInt32](repeating: 0, count: scaledWidth * height * factor)
  for y in 0..<height {
    for x in 0..<width {
      let pixel = pixels[y * width + x]
      for dy in 0..<factor {
        let row = (y * factor + dy) * scaledWidth + x * factor
        for dx in 0..<factor { result[row + dx] = pixel }
      }
    }
  }
  return result
}
