// Zlib.swift: the system zlib (RFC 1950 zlib and RFC 1952 gzip streams of RFC 1951 DEFLATE, and
// the ISO 3309 CRC-32) with Swift arrays in and out.
//
// zlib's inflateInit2/deflateInit2 are C macros Swift cannot call; they expand to the `_`
// functions with the library's version and the z_stream size, which is what is called here.

import CZlib

/// The container around a DEFLATE stream.
public enum ZlibFormat: Sendable {
  /// RFC 1950: a two-byte header and an Adler-32 trailer (PNG's IDAT).
  case zlib
  /// RFC 1952: gzip members, each with its own header and CRC-32; several members concatenate.
  case gzip

  /// zlib's `windowBits`: 15 (a 32 KiB window), plus 16 for the gzip wrapper.
  fileprivate var windowBits: Int32 { self == .zlib ? MAX_WBITS : MAX_WBITS + 16 }
}

/// Why a compressed stream could not be read.
public enum ZlibError: Error, Equatable, CustomStringConvertible {
  /// The data is not a valid stream: zlib's message.
  case corrupt(String)
  /// The stream ends before its last block.
  case truncated
  /// It inflates to more than the caller allows (a decompression bomb, or not what was expected).
  case tooLarge(limit: Int)

  public var description: String {
    switch self {
    case .corrupt(let message): return "corrupt compressed data (\(message))"
    case .truncated: return "the compressed data ends early"
    case .tooLarge(let limit): return "the data inflates to more than \(limit) bytes"
    }
  }
}

public enum Zlib {
  /// `bytes` compressed at `level` (0-9; 9 is the smallest) in the given container.
  public static func compress(_ bytes: [UInt8], format: ZlibFormat = .zlib, level: Int32 = 9) -> [UInt8] {
    var stream = z_stream()
    let status = deflateInit2_(
      &stream, level, Z_DEFLATED, format.windowBits, 9, Z_DEFAULT_STRATEGY, zlibVersion(),
      Int32(MemoryLayout<z_stream>.size))
    // Only a bad argument or no memory fails here; the arguments are constants.
    precondition(status == Z_OK, "deflateInit2 failed: \(status)")
    defer { deflateEnd(&stream) }
    var output: [UInt8] = []
    output.reserveCapacity(Int(deflateBound(&stream, uLong(bytes.count))))
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    bytes.withUnsafeBufferPointer { input in
      stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
      stream.avail_in = uInt(input.count)
      // Z_FINISH until the stream ends: deflate returns Z_OK while it needs more output space.
      var result = Z_OK
      while result == Z_OK {
        let produced = chunk.withUnsafeMutableBufferPointer { out in
          stream.next_out = out.baseAddress
          stream.avail_out = uInt(out.count)
          result = deflate(&stream, Z_FINISH)
          return out.count - Int(stream.avail_out)
        }
        output += chunk[..<produced]
      }
      precondition(result == Z_STREAM_END, "deflate failed: \(result)")
    }
    return output
  }

  /// The data of a zlib stream or of every gzip member in `bytes`, at most `limit` bytes of it.
  public static func decompress(_ bytes: [UInt8], format: ZlibFormat = .zlib, limit: Int = 1 << 28)
    throws(ZlibError) -> [UInt8]
  {
    var stream = z_stream()
    guard inflateInit2_(&stream, format.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else { throw .corrupt("inflateInit2 failed") }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    var failure: ZlibError?
    bytes.withUnsafeBufferPointer { input in
      stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
      stream.avail_in = uInt(input.count)
      while failure == nil {
        let (result, produced) = chunk.withUnsafeMutableBufferPointer { out in
          stream.next_out = out.baseAddress
          stream.avail_out = uInt(out.count)
          let result = inflate(&stream, Z_NO_FLUSH)
          return (result, out.count - Int(stream.avail_out))
        }
        guard output.count + produced <= limit else {
          failure = .tooLarge(limit: limit)
          break
        }
        output += chunk[..<produced]
        switch result {
        case Z_OK:
          continue
        case Z_STREAM_END:
          // Another gzip member may follow (RFC 1952 2.2); a zlib stream is one.
          guard format == .gzip, stream.avail_in > 0 else {
            if stream.avail_in > 0 { failure = .corrupt("\(stream.avail_in) bytes after the end of the stream") }
            return
          }
          inflateReset(&stream)
        case Z_BUF_ERROR:
          // No progress possible: all input is used and the stream has not ended.
          failure = .truncated
        default:
          failure = .corrupt(stream.msg.map { String(cString: $0) } ?? "error \(result)")
        }
      }
    }
    if let failure { throw failure }
    return output
  }

  /// Whether `bytes` start like a gzip member (RFC 1952 2.3.1: ID1 ID2 and CM 8, DEFLATE).
  public static func isGzip(_ bytes: [UInt8]) -> Bool {
    bytes.count >= 3 && bytes[0] == 0x1F && bytes[1] == 0x8B && bytes[2] == 8
  }
}

/// The CRC-32 of ISO 3309 and ITU-T V.42 (gzip's, PNG's and Ethernet's), computed by zlib, over
/// one or several pieces of data.
public struct CRC32: Sendable {
  public private(set) var value: UInt32 = 0

  public init() {}

  public mutating func update(_ bytes: some Collection<UInt8>) {
    let updated = bytes.withContiguousStorageIfAvailable { buffer in
      crc32_z(uLong(value), buffer.baseAddress, Int(buffer.count))
    }
    value = UInt32(
      truncatingIfNeeded: updated
        ?? Array(bytes).withUnsafeBufferPointer { buffer in
          crc32_z(uLong(value), buffer.baseAddress, Int(buffer.count))
        })
  }

  /// The CRC-32 of `bytes`.
  public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
    var crc = CRC32()
    crc.update(bytes)
    return crc.value
  }
}
