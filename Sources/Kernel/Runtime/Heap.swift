// Heap.swift: the memory allocator behind Swift's classes, arrays and strings.
//
// Embedded Swift allocates through the C functions posix_memalign and free (libc.S forwards free
// here as kernel_free). Both go to one FreeListAllocator (Core/FreeListAllocator.swift). It starts
// with 1 MiB reserved in .bss by linker.ld, so allocation works from the first instruction; once
// the Multiboot memory map has been read, `addFreeMemory` hands it every available range above the
// kernel and the boot data, up to the end of the identity-mapped first 1 GiB.

enum Heap {
  nonisolated(unsafe) static var allocator = FreeListAllocator()
  nonisolated(unsafe) private static var seeded = false

  /// Everything below this is identity mapped by boot.S.
  static let mappedLimit: UInt64 = 1 << 30

  /// Adds the .bss heap on first use.
  @inline(__always)
  static func seedIfNeeded() {
    if !seeded {
      seeded = true
      allocator.addRegion(start: UInt(kernel_heap_start()), end: UInt(kernel_heap_end()))
    }
  }

  /// Adds the available memory of the map, minus the kernel image and the boot data.
  static func addFreeMemory<Memory: PhysicalMemoryReader>(from info: MultibootInfo<Memory>) {
    seedIfNeeded()
    let reservedEnd = max(UInt64(kernel_image_end()), info.bootDataEnd)
    let start = (reservedEnd + 0xFFF) & ~0xFFF
    info.forEachMemoryRegion { region in
      guard region.kind == .available else { return }
      let low = max(region.base, start)
      let high = min(region.end, mappedLimit)
      if high > low {
        Interrupts.withoutInterrupts {
          allocator.addRegion(start: UInt(low), end: UInt(high))
        }
      }
    }
  }
}

/// int posix_memalign(void **result, size_t alignment, size_t size)
@_cdecl("posix_memalign")
public func posixMemalign(
  _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int
) -> CInt {
  Heap.seedIfNeeded()
  let address = Interrupts.withoutInterrupts {
    Heap.allocator.allocate(size: UInt(size), alignment: UInt(max(alignment, 1)))
  }
  guard let address else {
    result.pointee = nil
    return 12  // ENOMEM
  }
  result.pointee = UnsafeMutableRawPointer(bitPattern: address)
  return 0
}

/// The target of libc.S's `free`.
@_cdecl("kernel_free")
public func kernelFree(_ pointer: UnsafeMutableRawPointer?) {
  guard let pointer else { return }
  Interrupts.withoutInterrupts {
    Heap.allocator.free(UInt(bitPattern: pointer))
  }
}
