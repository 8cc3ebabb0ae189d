// TimerInterrupts.swift: the timer interrupt arrives at 100 Hz and the idle loop sleeps between ticks.
//
// With the PICs remapped and the PIT programmed, IRQ 0 must advance the uptime counter; `sti; hlt`
// must wake for it. The kernel waits for 20 ticks by halting, so it also checks that halting with
// interrupts enabled is not a dead end.

@_cdecl("kernel_main")
public func kernelMain(magic: UInt32, infoAddress: UInt32) -> Never {
  var tests = TestRunner(title: "timer_interrupts")
  Interrupts.initialize()
  HardwareInterrupts.start()
  hw_enable_interrupts()
  tests.run("timer_ticks_while_halted") {
    let start = Uptime.currentTicks
    var halts = 0
    while Uptime.currentTicks < start + 20 && halts < 1_000_000 {
      hw_halt()
      halts += 1
    }
    return Uptime.currentTicks >= start + 20 ? nil : "the timer did not reach 20 ticks"
  }
  tests.run("interrupts_stay_enabled") {
    hw_read_flags() & (1 << 9) != 0 ? nil : "RFLAGS.IF was cleared"
  }
  tests.run("breakpoint_with_interrupts_on") {
    hw_breakpoint()
    return hw_read_flags() & (1 << 9) != 0 ? nil : "IRETQ did not restore RFLAGS.IF"
  }
  hw_disable_interrupts()
  tests.finish()
}
