// GDBPacketsTarget.swift: any bytes from gdb's side of the connection, fed to the stub in pieces
// of any size. Every packet gets a reply or is ignored; nothing crashes, and the stub keeps
// answering a well-formed packet afterwards.

import GDBRemote

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGDBPackets(_ data: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
  var input = FuzzInput(data, count)
  let target = FakeTarget()
  let stub = GDBStub(target: target)
  while input.remaining > 0 {
    let piece = input.take(Int(input.byte() % 64) + 1)
    _ = stub.receive(piece)
  }
  // Whatever came before (even half a packet), a complete `?` after a `$` start is answered.
  let reply = stub.receive(Array("#00$?#3f".utf8))
  require(reply.output.contains(UInt8(ascii: "$")), "no reply to ? after the fuzz input")
  return 0
}
