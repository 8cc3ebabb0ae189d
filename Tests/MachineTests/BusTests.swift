// The port bus and the physical memory bus: dispatch, unknown ports, MMIO callbacks, RAM-like device
// memory, unmapped physical addresses.

import XCTest

@testable import Machine

final class RecordingPorts: PortDevice {
  var writes: [(UInt16, Int, UInt32)] = []
  func read(port: UInt16, size: Int) -> UInt32 { 0x1234_5678 & (size == 4 ? ~0 : (1 << (UInt32(size) * 8)) - 1) }
  func write(port: UInt16, size: Int, value: UInt32) { writes.append((port, size, value)) }
}

final class RecordingMMIO: MMIODevice {
  var writes: [(UInt64, Int, UInt64)] = []
  func read(offset: UInt64, size: Int) -> UInt64 { 0xCAFE_0000 | offset }
  func write(offset: UInt64, size: Int, value: UInt64) { writes.append((offset, size, value)) }
}

/// A timer on a port: a write sets when it next fires; a read only looks.
final class PortTimer: PortDevice, ClockedDevice {
  var advancedTo: [UInt64] = []
  var nextEventCycle: UInt64 = .max
  func advance(to cycle: UInt64) { advancedTo.append(cycle) }
  func read(port: UInt16, size: Int) -> UInt32 { UInt32(truncatingIfNeeded: advancedTo.last ?? 0) }
  func write(port: UInt16, size: Int, value: UInt32) { nextEventCycle = UInt64(value) }
}

/// A timer in memory: a write sets when it next fires.
final class MemoryTimer: MMIODevice, ClockedDevice {
  var nextEventCycle: UInt64 = .max
  func advance(to cycle: UInt64) {}
  func read(offset: UInt64, size: Int) -> UInt64 { nextEventCycle }
  func write(offset: UInt64, size: Int, value: UInt64) { nextEventCycle = value }
}

final class BusTests: XCTestCase {
  func testAnMMIOWriteEndsTheSliceOnlyWhenItMovesAClockedDevicesEvent() {
    let machine = Machine(memorySize: 1 << 20)
    let timer = MemoryTimer()
    let plain = RecordingMMIO()
    machine.memory.map(timer, at: 0xF000_0000, length: 0x1000)
    machine.memory.map(plain, at: 0xF000_1000, length: 0x1000)
    machine.addClockedDevice(timer)
    machine.memory.write(0xF000_0000, size: 4, value: 0x90)
    XCTAssertTrue(machine.cpu.endsSlice, "the timer's next event moved")
    machine.cpu.endsSlice = false
    machine.memory.write(0xF000_0000, size: 4, value: 0x90)
    machine.memory.write(0xF000_1000, size: 4, value: 1)
    XCTAssertFalse(machine.cpu.endsSlice, "nothing moved")
    XCTAssertEqual(plain.writes.count, 1)
  }

  func testAClockedDeviceSeesTheAccessCycleAndOnlyAMovedEventEndsTheSlice() {
    let machine = Machine(memorySize: 1 << 20)
    let timer = PortTimer()
    let plain = RecordingPorts()
    machine.ports.register(timer, ports: 0x40...0x40)
    machine.ports.register(plain, ports: 0x3F8...0x3F8)
    machine.addClockedDevice(timer)
    var ended: [Bool] = []
    machine.ports.accessed = { ended.append($0) }
    let ports = machine.ports
    XCTAssertEqual(ports.read(port: 0x40, size: 1, at: 500), 500, "advanced to the access first")
    ports.write(port: 0x40, size: 1, value: 0x90, at: 600)
    ports.write(port: 0x40, size: 1, value: 0x90, at: 700)
    _ = ports.read(port: 0x3F8, size: 1, at: 800)
    ports.write(port: 0x3F8, size: 1, value: 0, at: 900)
    XCTAssertEqual(timer.advancedTo, [500, 600, 700])
    // Only the write that moved the timer's next event (nowhere -> 0x90) ends the slice.
    XCTAssertEqual(ended, [false, true, false, false, false])
    // The host pokes between runs at the time of the latest access.
    _ = ports.read(port: 0x40, size: 1)
    XCTAssertEqual(timer.advancedTo.last, 900)
  }

  func testPortIOAndUnknownPorts() {
    let h = Harness()
    let dev = RecordingPorts()
    h.machine.ports.register(dev, ports: 0x3F8...0x3FF)
    var reported: [UInt16] = []
    h.machine.ports.onUnknownPort = { port, _ in reported.append(port) }
    h.run(
      asm(
        "mov dx, 0x3f8; mov al, 0x41; out dx, al; mov ax, 0x4243; out dx, ax; in eax, dx; mov ebx, eax; in al, 0x60; in al, 0x60; out 0x80, al"
      ))
    XCTAssertEqual(dev.writes.map { $0.0 }, [0x3F8, 0x3F8])
    XCTAssertEqual(dev.writes.map { $0.2 }, [0x41, 0x4243])
    XCTAssertEqual(dev.writes.map { $0.1 }, [1, 2])
    XCTAssertEqual(h.cpu.rbx, 0x1234_5678)
    XCTAssertEqual(h.cpu.rax & 0xFF, 0xFF)  // unknown port reads all ones
    XCTAssertEqual(reported, [0x60, 0x80])  // each unknown port reported once
    XCTAssertEqual(h.machine.ports.unknownPorts, [0x60, 0x80])
  }

  func testUserModePortAccessFollowsTheIOBitmap() {
    let h = Harness()
    let dev = RecordingPorts()
    h.machine.ports.register(dev, ports: 0x3F8...0x3FF)
    // TSS limit covers a bitmap at offset 0x68: ports 0x3F8-0x3FF allowed (bits clear), 0x60 denied.
    h.cpu.tr.limit = 0x68 + 0x2000
    h.memory.write(Harness.tssBase + 0x66, size: 2, value: 0x68)
    h.memory.fill(Harness.tssBase + 0x68, count: 0x2000, with: 0xFF)
    h.memory.write(Harness.tssBase + 0x68 + 0x3F8 / 8, size: 1, value: 0)
    h.memory.write(Harness.tssBase + 4, size: 8, value: 0x70000)
    h.setGate64(13, handler: Harness.code + 0x800)
    h.memory.write(asm("pop r14; mov r15, 13; hlt"), at: Harness.code + 0x800)
    h.memory.write(asm("mov dx, 0x3f8; mov al, 0x55; out dx, al; in al, 0x60"), at: 0x30000)
    h.run(asm("push 0x2b; push 0x38000; push 0x2; push 0x23; push 0x30000; iretq"))
    XCTAssertEqual(dev.writes.first?.2, 0x55)
    XCTAssertEqual(h.cpu.register(.r15), 13)
    XCTAssertEqual(h.read(0x70000 - 40), 0x30000 + 7)  // the IN faulted
  }

  func testMMIOCallbacks() {
    let h = Harness()
    let dev = RecordingMMIO()
    h.memory.map(dev, at: 0x800000, length: 0x1000)
    h.run(asm("mov rbx, 0x800000; mov eax, [rbx+0x10]; mov word ptr [rbx+4], 0x55aa"))
    XCTAssertEqual(h.cpu.rax, 0xCAFE_0010)
    XCTAssertEqual(dev.writes.count, 1)
    XCTAssertEqual(dev.writes.first?.0, 4)
    XCTAssertEqual(dev.writes.first?.1, 2)
    XCTAssertEqual(dev.writes.first?.2, 0x55AA)
  }

  func testRAMLikeDeviceMemoryForVGA() {
    let h = Harness()
    let vga = UnsafeMutableRawPointer.allocate(byteCount: 0x8000, alignment: 4096)
    vga.initializeMemory(as: UInt8.self, repeating: 0, count: 0x8000)
    defer { vga.deallocate() }
    h.memory.mapMemory(vga, at: 0xB8000, length: 0x8000)
    h.run(
      asm(
        "mov rdi, 0xb8000; mov ax, 0x1f41; mov rcx, 2000; rep stosw; mov rsi, 0xb8000 + 160; mov rdi, 0xb8000; mov rcx, 1920; rep movsw"
      ))
    XCTAssertEqual(vga.load(as: UInt16.self), 0x1F41)
    XCTAssertEqual(vga.load(fromByteOffset: 3998, as: UInt16.self), 0x1F41)
    XCTAssertEqual(h.memory.read(0xB8000, size: 2), 0x1F41)
    // RAM underneath the device range is untouched.
    XCTAssertEqual(h.memory.ram.load(fromByteOffset: 0xB8000, as: UInt16.self), 0)
  }

  func testUnmappedPhysicalMemory() {
    let m = PhysicalMemory(ramSize: 1 << 20)
    XCTAssertEqual(m.read(0x200000, size: 4), 0xFFFF_FFFF)
    m.write(0x200000, size: 4, value: 0)
    XCTAssertEqual(m.read(0x200000, size: 8), ~0)
  }

  func testFillZeroesWrittenRAMAcrossWholeAndPartialPages() {
    // A loader's BSS over RAM the previous boot wrote: the partial pages at either end are cleared
    // byte by byte, the whole pages between are handed back to the host (BulkAccess.swift); every
    // byte of the range must read zero and the bytes either side must keep their values.
    let m = PhysicalMemory(ramSize: 1 << 20)
    m.copy([UInt8](repeating: 0xA5, count: 0x6000), to: 0x10000)
    m.fill(0x10800, count: 0x4000, with: 0)
    let bytes = m.bytes(at: 0x10000, count: 0x6000)
    XCTAssertEqual(bytes[..<0x800].filter { $0 != 0xA5 }.count, 0, "the bytes before the range")
    XCTAssertEqual(bytes[0x800..<0x4800].filter { $0 != 0 }.count, 0, "the range")
    XCTAssertEqual(bytes[0x4800...].filter { $0 != 0xA5 }.count, 0, "the bytes after the range")
    m.fill(0x11000, count: 0x2000, with: 0x5A)
    XCTAssertEqual(m.bytes(at: 0x11000, count: 0x2000).filter { $0 != 0x5A }.count, 0, "a fill of another byte")
    XCTAssertEqual(m.read(0x10FFF, size: 1), 0)
    XCTAssertEqual(m.read(0x13000, size: 1), 0)
  }

  func testStatsCountInstructionsAndCycles() {
    let h = Harness()
    h.cpu.rcx = 100
    h.run(asm("1: dec rcx; jnz 1b"))
    XCTAssertEqual(h.machine.stats.instructionsRetired, 201)
    XCTAssertEqual(h.machine.stats.cycles, 201)
  }
}
