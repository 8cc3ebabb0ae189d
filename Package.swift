// swift-tools-version: 6.0
//
// The host side of the project. The kernel itself (Sources/Kernel) is not a SwiftPM target: it is an
// Embedded Swift program for x86_64-unknown-none-elf, built by `make kernel` (see Makefile). Its
// hardware-independent half, Sources/Kernel/Core, is compiled here a second time as `KernelCore` so the
// same source files are unit-tested on the host.
import PackageDescription

let package = Package(
  name: "NakedMachine",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "emu", targets: ["emu"]),
    // A whole PC in process, for a kernel's own tests (README "Testing your kernel in process").
    .library(name: "NakedPC", targets: ["NakedPC"]),
    .library(name: "GDBRemote", targets: ["GDBRemote"]),
    .library(name: "Machine", targets: ["Machine"]),
    .library(name: "Devices", targets: ["Devices"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    // `swift package generate-documentation`: the DocC catalogs of NakedPC and Machine.
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
  ],
  targets: [
    // Saving and restoring component state with one listing per component (snapshots).
    .target(name: "StateCoding"),
    // The CPU, memory and port buses, the loader and the clock: the PC minus its devices.
    .target(
      name: "Machine",
      dependencies: ["StateCoding"],
      // Every function starts on a 64-byte line: the block loop's speed hung on where the linker
      // happened to put it (the same code ran 10-30% slower at an address 32 mod 64).
      swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked", "-Xllvm", "-align-all-functions=6"])]
    ),
    // Device models: plain types driven through their register reads and writes.
    .target(name: "Devices", dependencies: ["StateCoding"]),
    // The gdb remote serial protocol over an abstract debug target: framing, packets, target XML.
    .target(name: "GDBRemote"),
    // zlib from the system (Debian: zlib1g-dev) and its Swift face: gzip, zlib streams, CRC-32.
    .systemLibrary(name: "CZlib"),
    .target(name: "SystemZlib", dependencies: ["CZlib"]),
    // Files on the host: read whole, or written in place (never replaced by a rename).
    .target(name: "HostFiles"),
    // What a person sees: console fonts, the text-mode renderer shared by window and PNG, PNG output.
    .target(name: "Display", dependencies: ["Devices", "SystemZlib", "HostFiles"]),
    // libSDL2's header from the system (Debian: libsdl2-dev), for the emulator's window, which opens
    // the library itself when it is first needed (Sources/emu/SDLLibrary.swift). Not through
    // pkg-config: its flags carry -D_REENTRANT, which SwiftPM refuses with a warning on every build
    // (and glibc does not need); the header is found as <SDL2/SDL.h> on the default path.
    .systemLibrary(name: "CSDL2"),
    // The standard PC (machine plus devices), its session across resets, recording, snapshots and
    // the gdb server: everything emu runs, as a library.
    .target(
      name: "NakedPC",
      dependencies: ["Machine", "Devices", "Display", "GDBRemote", "StateCoding", "SystemZlib", "HostFiles"]),
    // The command line and the SDL window over NakedPC.
    .executableTarget(
      name: "emu",
      dependencies: [
        "NakedPC", "Machine", "Devices", "Display", "HostFiles", "CSDL2",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      // The Swift runtime and standard library linked in: loading and relocating their shared
      // libraries (and Foundation's, which nothing here uses any more) was half of emu's start-up.
      // ArgumentParser uses FoundationEssentials, whose static library needs the three named here.
      // Linked by lld (part of the toolchain): gold printed a glibc link-time warning about mktemp
      // inside FoundationEssentials on every link.
      swiftSettings: [.unsafeFlags(["-static-stdlib"])],
      linkerSettings: [
        .unsafeFlags(["-static-stdlib", "-use-ld=lld"]), .linkedLibrary("_FoundationCollections"),
        .linkedLibrary("_FoundationCShims"), .linkedLibrary("swiftSynchronization"),
      ]
    ),
    // The kernel's hardware-free logic, compiled for the host from the kernel's own sources.
    .target(name: "KernelCore", path: "Sources/Kernel/Core"),

    .testTarget(name: "KernelCoreTests", dependencies: ["KernelCore"]),
    .testTarget(name: "MachineTests", dependencies: ["Machine", "StateCoding"]),
    .testTarget(name: "DevicesTests", dependencies: ["Devices"]),
    .testTarget(name: "DisplayTests", dependencies: ["Display", "SystemZlib"]),
    .testTarget(name: "GDBRemoteTests", dependencies: ["GDBRemote"]),
    // Whole-system tests: boot kernel.elf and the test kernels in QEMU (and in emu), compare with Fixtures/.
    .testTarget(name: "BootTests", dependencies: ["Display", "Machine", "NakedPC", "SystemZlib"]),
  ],
  swiftLanguageModes: [.v5]
)
