// PhysicalMemory.swift: reading boot-time structures by physical address.
//
// The boot stub identity-maps the first 1 GiB, so below that a physical address is also a valid
// pointer. The Multiboot information block and everything it points to sit there.

struct IdentityMappedMemory: PhysicalMemoryReader {
  func load8(_ address: UInt64) -> UInt8 {
    UnsafePointer<UInt8>(bitPattern: UInt(address))!.pointee
  }

  func load32(_ address: UInt64) -> UInt32 {
    UnsafeRawPointer(bitPattern: UInt(address))!.loadUnaligned(as: UInt32.self)
  }

  func load64(_ address: UInt64) -> UInt64 {
    UnsafeRawPointer(bitPattern: UInt(address))!.loadUnaligned(as: UInt64.self)
  }
}
