// DecoderTarget.swift: any bytes as one instruction in any mode. Every input decodes, or raises #UD
// (an undefined encoding), #GP (longer than 15 bytes) or #PF (the bytes ran out, as at the end of
// a page that is not mapped); a decoded instruction is 1 to 15 bytes long and exactly as long as
// the bytes the decoder took, and the decoder never asks for a byte past the given ones.

@testable import Machine

/// The instruction bytes of one input: at the end they fault as an unmapped next page would.
struct BoundedBytes: InstructionBytes {
  let bytes: ArraySlice<UInt8>
  var taken = 0
  var askedPastTheEnd = false

  mutating func next() throws(Fault) -> UInt8 {
    guard taken < bytes.count else {
      askedPastTheEnd = true
      throw Fault(14, errorCode: 0x10)
    }
    defer { taken += 1 }
    return bytes[bytes.startIndex + taken]
  }
}

private let modes: [CPUMode] = [.real, .protected16, .protected32, .compatibility16, .compatibility32, .long64]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecoder(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  var input = FuzzInput(data, count)
  let mode = modes[Int(input.byte()) % modes.count]
  let code = input.rest()
  var bytes = BoundedBytes(bytes: code[...])
  do {
    let instruction = try Decoder.decode(&bytes, mode: mode, rip: 0x1000)
    require((1...15).contains(Int(instruction.length)), "length \(instruction.length) in \(mode)")
    require(Int(instruction.length) == bytes.taken, "length \(instruction.length), \(bytes.taken) bytes taken")
    require(!bytes.askedPastTheEnd, "decoded after asking past the end")
    // Decoding is a function of the bytes and the mode.
    var again = BoundedBytes(bytes: code[...])
    let second = try Decoder.decode(&again, mode: mode, rip: 0x1000)
    require(second.length == instruction.length, "decoded twice to different lengths")
  } catch {
    switch error.vector {
    case 6: break
    case 13: require(bytes.taken == 15, "#GP after \(bytes.taken) bytes")
    case 14: require(bytes.askedPastTheEnd && bytes.taken == code.count, "#PF before the end of the bytes")
    default: require(false, "decoding raised \(error.name)")
    }
  }
  return 0
}
