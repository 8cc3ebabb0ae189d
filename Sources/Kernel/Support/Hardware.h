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

/* Interrupts off and stop until the next one: with IF=0 this never wakes up except for NMI. */
static inline void hw_disable_interrupts(void) { __asm__ volatile("cli" : : : "memory"); }
static inline void hw_halt(void) { __asm__ volatile("hlt" : : : "memory"); }

/* A pause in a spin loop: tells the CPU (and emulators) that we are waiting on a device. */
static inline void hw_pause(void) { __asm__ volatile("pause" : : : "memory"); }

/* The heap region reserved in .bss by linker.ld. */
extern char __heap_start[];
extern char __heap_end[];
static inline uintptr_t kernel_heap_start(void) { return (uintptr_t)__heap_start; }
static inline uintptr_t kernel_heap_end(void) { return (uintptr_t)__heap_end; }

#endif
