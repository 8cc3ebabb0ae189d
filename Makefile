# Makefile: builds the Embedded Swift kernel and its test kernels.
#
#   make kernel         .build/kernel/kernel.elf                    (the kernel)
#   make test-kernels   .build/kernel/tests/<Name>.elf               (one per Sources/Kernel/TestKernels/*.swift)
#   make run            boot the kernel (scripts/run)
#   make test           every test (scripts/test)
#
# The kernel is one Swift module compiled whole (-wmo) for x86_64-unknown-none-elf, plus three
# assembly files (boot, interrupt entry stubs, the few libc functions Swift needs), linked by ld.lld with Sources/Kernel/Boot/linker.ld. Only what changed is rebuilt.

SWIFTC ?= swiftc
CLANG  ?= clang
LLD    ?= ld.lld

KERNEL_DIR := Sources/Kernel
OUT        := .build/kernel

# -mno-sse / -mno-red-zone: kernel code must not touch SSE state (not enabled) nor rely on the red
# zone (an interrupt would overwrite it). -function-sections plus --gc-sections drops the runtime
# parts nothing uses. -assert-config Debug makes Swift runtime traps print their message through
# putchar before their ud2, so the #UD handler can show it on the panic screen. -g adds DWARF
# (non-loaded sections: the image gdb debugs is the image that runs) for `emu --gdb` and QEMU -s.
SWIFT_FLAGS := -enable-experimental-feature Embedded -target x86_64-unknown-none-elf \
	-wmo -parse-as-library -Osize -g -Xllvm -accel-tables=Disable -Xfrontend -no-clang-module-breadcrumbs -assert-config Debug -module-name Kernel \
	-Xfrontend -function-sections -Xfrontend -disable-stack-protector \
	-Xcc -mno-sse -Xcc -mno-red-zone -Xcc -fno-pic \
	-disable-bridging-pch -import-bridging-header $(KERNEL_DIR)/Support/Hardware.h
ASM_FLAGS   := --target=x86_64-unknown-none-elf -c -fno-pic -g -gdwarf-4
LD_FLAGS    := -T $(KERNEL_DIR)/Boot/linker.ld -z max-page-size=0x1000 -nostdlib -static \
	--gc-sections --build-id=none

COMMON_SWIFT  := $(wildcard $(KERNEL_DIR)/Core/*.swift) $(wildcard $(KERNEL_DIR)/Arch/*.swift) \
	$(wildcard $(KERNEL_DIR)/Drivers/*.swift) $(wildcard $(KERNEL_DIR)/Runtime/*.swift)
TESTING_SWIFT := $(wildcard $(KERNEL_DIR)/Testing/*.swift)
TEST_KERNELS  := $(patsubst $(KERNEL_DIR)/TestKernels/%.swift,$(OUT)/tests/%.elf,$(wildcard $(KERNEL_DIR)/TestKernels/*.swift))
ASM_OBJECTS   := $(OUT)/boot.o $(OUT)/libc.o $(OUT)/interrupts.o
HEADERS       := $(KERNEL_DIR)/Support/Hardware.h
LINKER_SCRIPT := $(KERNEL_DIR)/Boot/linker.ld

# Keep the test kernels' object files between builds (make deletes intermediates otherwise).
.SECONDARY:

.PHONY: all kernel test-kernels run test clean-kernel fixtures
all: kernel test-kernels
kernel: $(OUT)/kernel.elf
test-kernels: $(TEST_KERNELS)

$(OUT)/boot.o: $(KERNEL_DIR)/Boot/boot.S
	@mkdir -p $(@D)
	$(CLANG) $(ASM_FLAGS) $< -o $@

$(OUT)/interrupts.o: $(KERNEL_DIR)/Arch/interrupts.S
	@mkdir -p $(@D)
	$(CLANG) $(ASM_FLAGS) $< -o $@

$(OUT)/libc.o: $(KERNEL_DIR)/Support/libc.S
	@mkdir -p $(@D)
	$(CLANG) $(ASM_FLAGS) $< -o $@

$(OUT)/kernel.o: $(COMMON_SWIFT) $(KERNEL_DIR)/Main.swift $(HEADERS)
	@mkdir -p $(@D)
	$(SWIFTC) $(SWIFT_FLAGS) -c $(COMMON_SWIFT) $(KERNEL_DIR)/Main.swift -o $@

$(OUT)/kernel.elf: $(OUT)/kernel.o $(ASM_OBJECTS) $(LINKER_SCRIPT)
	$(LLD) $(LD_FLAGS) $(ASM_OBJECTS) $(OUT)/kernel.o -o $@

$(OUT)/tests/%.o: $(KERNEL_DIR)/TestKernels/%.swift $(COMMON_SWIFT) $(TESTING_SWIFT) $(HEADERS)
	@mkdir -p $(@D)
	$(SWIFTC) $(SWIFT_FLAGS) -c $(COMMON_SWIFT) $(TESTING_SWIFT) $< -o $@

$(OUT)/tests/%.elf: $(OUT)/tests/%.o $(ASM_OBJECTS) $(LINKER_SCRIPT)
	$(LLD) $(LD_FLAGS) $(ASM_OBJECTS) $< -o $@

run:
	scripts/run

test:
	scripts/test

fixtures:
	scripts/update-fixtures

clean-kernel:
	rm -rf $(OUT)
