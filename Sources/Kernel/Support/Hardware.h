/*
 * Hardware.h: the few CPU instructions Swift cannot spell.
 *
 * x86 talks to legacy devices through a separate 64 KiB I/O port space reached only by the IN and
 * OUT instructions (SDM Vol. 1 18.2: I/O port addressing), and controls interrupts with CLI, STI
 * and HLT. Swift has no inline assembly, so these are static inline C functions: the Swift compiler
 * imports this header (-import-bridging-header) and inlines them, so `hw_out8(0x3F8, c)` costs
 * exactly one OUT instruction, as it would in C.
 */
#ifndef KERNEL_HARDWARE_H
#define KERNEL_HARDWARE_H

#include <stdint.h>

static inline void hw_out8(uint16_t port, uint8_t value) {
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

static inline void hw_out16(uint16_t port, uint16_t value) {
    __asm__ volatile("outw %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

static inline void hw_out32(uint16_t port, uint32_t value) {
    __asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

static inline uint8_t hw_in8(uint16_t port) {
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port) : "memory");
    return value;
}

static inline uint16_t hw_in16(uint16_t port) {
    uint16_t value;
    __asm__ volatile("inw %1, %0" : "=a"(value) : "Nd"(port) : "memory");
    return value;
}

/* Interrupts off and stop until the next one: with IF=0 this never wakes up except for NMI. */
static inline void hw_disable_interrupts(void) { __asm__ volatile("cli" : : : "memory"); }
static inline void hw_halt(void) { __asm__ volatile("hlt" : : : "memory"); }

static inline void hw_enable_interrupts(void) { __asm__ volatile("sti" : : : "memory"); }

/* STI delays interrupts by one instruction (SDM Vol. 2B, STI), so `sti; hlt` cannot lose a wake-up
   that arrives between the two: the idle loop's atomic "enable and wait". */
static inline void hw_enable_interrupts_and_halt(void) { __asm__ volatile("sti; hlt" : : : "memory"); }

/* RFLAGS.IF, to save and restore the interrupt state around critical sections. */
static inline uint64_t hw_read_flags(void) {
    uint64_t flags;
    __asm__ volatile("pushfq; popq %0" : "=r"(flags) : : "memory");
    return flags;
}

static inline void hw_breakpoint(void) { __asm__ volatile("int3" : : : "memory"); }

/* CR2 holds the linear address of the last page fault (SDM Vol. 3A 4.7). */
static inline uint64_t hw_read_cr2(void) {
    uint64_t value;
    __asm__ volatile("movq %%cr2, %0" : "=r"(value));
    return value;
}

static inline uint64_t hw_read_cr3(void) {
    uint64_t value;
    __asm__ volatile("movq %%cr3, %0" : "=r"(value));
    return value;
}

/* LGDT, then reload every segment register: CS only changes through a far transfer, so push the
   new selector and a return address and do a far return (SDM Vol. 3A 3.4.3). */
static inline void hw_load_gdt(const void *pointer, uint16_t code, uint16_t data) {
    __asm__ volatile(
        "lgdt (%0)\n\t"
        "movw %2, %%ds\n\t"
        "movw %2, %%es\n\t"
        "movw %2, %%ss\n\t"
        "pushq %q1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:"
        : : "r"(pointer), "r"((uint64_t)code), "r"(data) : "rax", "memory");
}

/* LTR: the task register selects the TSS, which holds the IST stack pointers (SDM Vol. 3A 8.7). */
static inline void hw_load_task_register(uint16_t selector) {
    __asm__ volatile("ltr %0" : : "r"(selector) : "memory");
}

static inline void hw_load_idt(const void *pointer) {
    __asm__ volatile("lidt (%0)" : : "r"(pointer) : "memory");
}

/* Static tables reserved in Arch/interrupts.S. */
extern uint64_t interrupt_stub_table[];
extern char kernel_gdt[];
extern char kernel_tss[];
extern char kernel_idt[];
extern char double_fault_stack_top[];
extern char boot_stack_guard[];
static inline uint64_t *kernel_interrupt_stubs(void) { return interrupt_stub_table; }
static inline void *kernel_gdt_address(void) { return kernel_gdt; }
static inline void *kernel_tss_address(void) { return kernel_tss; }
static inline void *kernel_idt_address(void) { return kernel_idt; }
static inline uintptr_t kernel_double_fault_stack_top(void) { return (uintptr_t)double_fault_stack_top; }
static inline uintptr_t kernel_stack_guard_page(void) { return (uintptr_t)boot_stack_guard; }
extern char __kernel_end[];
static inline uintptr_t kernel_image_end(void) { return (uintptr_t)__kernel_end; }

/* A pause in a spin loop: tells the CPU (and emulators) that we are waiting on a device. */
static inline void hw_pause(void) { __asm__ volatile("pause" : : : "memory"); }

/* The heap region reserved in .bss by linker.ld. */
extern char __heap_start[];
extern char __heap_end[];
static inline uintptr_t kernel_heap_start(void) { return (uintptr_t)__heap_start; }
static inline uintptr_t kernel_heap_end(void) { return (uintptr_t)__heap_end; }

#endif
