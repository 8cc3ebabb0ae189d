import Foundation

/// A booted kernel at its shell prompt, driven through the keyboard the way a person would.
///
/// Each command is typed, then the session waits for the next prompt on serial: the shell writes
/// to screen and serial together, so by then the screen is complete too.
final class KernelSession {
  let qemu: QEMU
  private var prompts = 0

  static let prompt = "> "

  init(kernel: URL = PackagePaths.kernel) throws {
    qemu = try QEMU(kernel: PackagePaths.requireKernel(kernel))
    try waitForPrompts(1)
  }

  /// Types `command` and Enter, and waits until the shell prompts again.
  func run(_ command: String) throws {
    try qemu.type(command + "\n")
    try waitForPrompts(prompts + 1)
  }

  private func waitForPrompts(_ count: Int, timeout: TimeInterval = 20) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while qemu.serialOutput.components(separatedBy: Self.prompt).count - 1 < count {
      if Date() > deadline {
        throw BootTestError.timeout(
          "the shell did not show prompt \(count) within \(timeout) s; serial:\n\(qemu.serialOutput)")
      }
      usleep(10_000)
    }
    prompts = count
  }
}
