/*
 * interrupts.S: the first instructions of every interrupt and exception.
 *
 * When an interrupt or exception arrives in 64-bit mode the CPU aligns RSP to 16 bytes, switches
 * stacks if the gate says so (an IST entry of the TSS), and pushes SS, RSP, RFLAGS, CS and RIP;
 * some exceptions also push an error code (SDM Vol. 3A 7.14.4 and Table 7-1: #DF, #TS, #NP, #SS,
 * #GP, #PF, #AC, #CP, #VC, #SX). Swift cannot write such a handler itself: nothing else may be
 * touched before every register is saved, and the handler must end in IRETQ.
 *
 * So each vector gets a stub that makes the stack look the same for all of them (a zero error
 * code where the CPU pushes none, then the vector number), and jumps to common code that saves
 * the fifteen general registers, calls the Swift dispatcher with a pointer to this frame
 * (Arch/InterruptFrame.swift mirrors the layout), restores everything and returns.
 *
 * The frame is 22 quadwords (176 bytes), a multiple of 16, so RSP is 16-byte aligned at the call
 * as the System V ABI requires.
 */
        .code64
        .text

.macro STUB vector
        .p2align 4
interrupt_stub_\vector:
        /* Vectors with a CPU-pushed error code. */
        .if (\vector == 8) || (\vector == 10) || (\vector == 11) || (\vector == 12) || (\vector == 13) || (\vector == 14) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30)
        .else
        pushq $0
        .endif
        pushq $\vector
        jmp interrupt_common
.endm

        .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
        STUB \vector
        .endr

interrupt_common:
        pushq %rax
        pushq %rbx
        pushq %rcx
        pushq %rdx
        pushq %rsi
        pushq %rdi
        pushq %rbp
        pushq %r8
        pushq %r9
        pushq %r10
        pushq %r11
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        movq %rsp, %rdi         /* interrupt_dispatch(frame) */
        cld                     /* the ABI expects DF=0 on entry to a function */
        call interrupt_dispatch
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %r11
        popq %r10
        popq %r9
        popq %r8
        popq %rbp
        popq %rdi
        popq %rsi
        popq %rdx
        popq %rcx
        popq %rbx
        popq %rax
        addq $16, %rsp          /* vector number and error code */
        iretq

        .section .rodata
        .p2align 3
        .globl interrupt_stub_table
interrupt_stub_table:
        .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
        .quad interrupt_stub_\vector
        .endr

/* The descriptor tables and the double-fault stack. Arch/GDT.swift and Arch/IDT.swift fill them. */
        .section .bss
        .p2align 4
        .globl kernel_gdt
kernel_gdt:
        .skip 8 * 8
        .globl kernel_tss
kernel_tss:
        .skip 112
        .p2align 12
        .globl kernel_idt
kernel_idt:
        .skip 256 * 16
        .p2align 4
double_fault_stack:
        .skip 16 * 1024
        .globl double_fault_stack_top
double_fault_stack_top:
