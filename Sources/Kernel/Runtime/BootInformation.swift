// BootInformation.swift: what the boot loader said, kept for later (the shell's `mem`).

enum BootInformation {
  nonisolated(unsafe) static var magic: UInt32 = 0
  nonisolated(unsafe) static var infoAddress: UInt32 = 0

  static var multiboot: MultibootInfo<IdentityMappedMemory>? {
    MultibootInfo(magic: magic, address: UInt64(infoAddress), memory: IdentityMappedMemory())
  }
}
