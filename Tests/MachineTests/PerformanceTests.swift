// A CPU-bound guest (ALU loop, sieve, byte copies, calls) to measure guest MIPS. It always runs once as
// a correctness check; set MACHINE_BENCH=1 (and build with -c release) to print the speed:
//   MACHINE_BENCH=1 swift test -c release -Xswiftc -enable-testing --scratch-path .build-machine \
//     --filter MachineTests.PerformanceTests

import Foundation
import XCTest

@testable import Machine

final class PerformanceTests: XCTestCase {

  func testBenchmarkGuest() {
    let h = Harness()
    let bench = ProcessInfo.processInfo.environment["MACHINE_BENCH"] != nil
    let code = asm(
      "mov r12, 400; outer: mov ecx, 10000; xor eax, eax; 1: add eax, ecx; xor eax, 0x5555; rol eax, 3; dec ecx; jnz 1b; mov rdi, 0x200000; mov ecx, 8192; mov al, 1; rep stosb; mov ebx, 2; 2: cmp byte ptr [rbx + 0x200000], 0; je 4f; lea rdx, [rbx + rbx]; 3: cmp rdx, 8192; jae 4f; mov byte ptr [rdx + 0x200000], 0; add rdx, rbx; jmp 3b; 4: inc rbx; cmp rbx, 8192; jb 2b; mov rsi, 0x200000; mov rdi, 0x300000; mov ecx, 4096; 5: mov al, [rsi]; mov [rdi], al; inc rsi; inc rdi; dec ecx; jnz 5b; mov ecx, 2000; 6: call fn; dec ecx; jnz 6b; dec r12; jnz outer; hlt; fn: push rbx; mov rbx, rcx; imul rbx, rbx; pop rbx; ret"
    )
    if !bench {
      // One outer iteration in debug builds: check the result only.
      var short = code
      short[3] = 1  // mov r12, 1 (imm32 at byte 3)
      short[4] = 0
      XCTAssertEqual(h.run(short, cycles: 100_000_000), .halted)
    } else {
      let start = Date()
      XCTAssertEqual(h.run(code, cycles: 10_000_000_000), .halted)
      let seconds = Date().timeIntervalSince(start)
      let n = h.machine.stats.instructionsRetired
      print(String(format: "benchmark: %llu instructions in %.3f s = %.1f MIPS", n, seconds, Double(n) / seconds / 1e6))
    }
    if bench {
      let loop = Harness()
      loop.cpu.rcx = 100_000_000
      let start = Date()
      loop.run(asm("1: dec ecx; jnz 1b"), cycles: 1_000_000_000)
      let seconds = Date().timeIntervalSince(start)
      let n = loop.machine.stats.instructionsRetired
      print(
        String(format: "tight loop: %llu instructions in %.3f s = %.1f MIPS", n, seconds, Double(n) / seconds / 1e6))
    }
    // 1028 primes below 8192 survive the sieve: count the ones left in the copied bytes.
    XCTAssertEqual(h.memory.bytes(at: 0x300000, count: 4096).reduce(0) { $0 + Int($1) }, 564 + 2)
  }
}
