// Heap.swift: the memory allocator behind Swift's classes, arrays and strings.
//
// Embedded Swift allocates through the C functions posix_memalign and free. This early heap is a
// bump allocator (Core/BumpAllocator.swift) over 1 MiB reserved in .bss by linker.ld: enough for
// the boot screen's interpolated strings. Freed memory is not reused.

nonisolated(unsafe) var earlyHeap = BumpAllocator(
  start: UInt(kernel_heap_start()), end: UInt(kernel_heap_end()))

/// int posix_memalign(void **result, size_t alignment, size_t size)
@_cdecl("posix_memalign")
public func posixMemalign(
  _ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int
) -> CInt {
  // POSIX requires the alignment to be a power of two multiple of sizeof(void *).
  let effectiveAlignment = UInt(max(alignment, MemoryLayout<UInt>.size))
  guard let address = earlyHeap.allocate(size: UInt(size), alignment: effectiveAlignment) else {
    result.pointee = nil
    return 12  // ENOMEM
  }
  result.pointee = UnsafeMutableRawPointer(bitPattern: address)
  return 0
}

/// The target of libc.S's `free`: a bump allocator cannot give memory back.
@_cdecl("kernel_free")
public func kernelFree(_ pointer: UnsafeMutableRawPointer?) {}
