// Breakpoint.swift: INT3 is reported and execution continues after it.
//
// #BP is a trap (SDM Vol. 3A 7.15, Interrupt 3): the handler reports the frame, IRETQ resumes at
// the instruction after INT3. Reaching the line after the breakpoint, twice, is the test.

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  var tests = TestRunner(title: "breakpoint")
  Interrupts.initialize()
  nonisolated(unsafe) var resumed = 0
  tests.run("int3_resumes") {
    hw_breakpoint()
    resumed += 1
    hw_breakpoint()
    resumed += 1
    return resumed == 2 ? nil : "did not come back from the breakpoint handler"
  }
  tests.run("breakpoint_was_reported") {
    console.recentLine.contains("vector=3") ? nil : "no register dump with vector=3 was printed"
  }
  tests.finish()
}
