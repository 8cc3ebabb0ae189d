/*
 * boot.S: from the boot loader's hand-off to Swift.
 *
 * A Multiboot v1 loader (QEMU's -kernel, GRUB) enters here in 32-bit protected mode with paging off,
 * flat 4 GiB code and data segments, interrupts disabled, EAX = 0x2BADB002 and EBX = the physical
 * address of the Multiboot information block (Multiboot Specification 0.6.96, section 3.2).
 * Swift code is 64-bit, so this stub does what a boot loader like GRUB2's long-mode hand-off or
 * the Rust `bootloader` crate would do:
 *   1. check with CPUID that the CPU has long mode at all;
 *   2. zero .bss (where the page tables and the stack live);
 *   3. build page tables that identity-map the first 1 GiB, 2 MiB pages but for the first 2 MiB
 *      (SDM Vol. 3A 4.5: 4-level paging; a PDE with PS=1 maps a 2 MiB page), leaving a guard page
 *      under the stack;
 *   4. enable PAE (CR4.PAE), set EFER.LME (and NXE), then turn paging on (CR0.PG): the CPU is now
 *      in IA-32e compatibility mode (SDM Vol. 3A 9.8.5: initializing IA-32e mode);
 *   5. load a GDT with a 64-bit code segment (L=1) and far-jump to it: now in 64-bit mode;
 *   6. load the data segments, set the stack and call kernel_main(magic, info) with the System V ABI.
 */

        .set MULTIBOOT_MAGIC,        0x1BADB002
        /* bit 0: modules page aligned; bit 1: give us memory info; bit 16: the a.out kludge
           address fields below are valid. QEMU refuses ELF64 kernels unless bit 16 is set. */
        .set MULTIBOOT_FLAGS,        (1 << 0) | (1 << 1) | (1 << 16)

        .set CR0_PE,                 1 << 0
        .set CR0_WP,                 1 << 16
        .set CR0_PG,                 1 << 31
        .set CR4_PAE,                1 << 5
        .set MSR_EFER,               0xC0000080
        .set EFER_LME,               1 << 8
        .set EFER_NXE,               1 << 11

        .set PAGE_PRESENT,           1 << 0
        .set PAGE_WRITABLE,          1 << 1
        .set PAGE_HUGE,              1 << 7

        .set KERNEL_CODE_SELECTOR,   0x08
        .set KERNEL_DATA_SELECTOR,   0x10
        .set BOOT_STACK_SIZE,        64 * 1024

/* The header must sit in the first 8 KiB of the file, 4-byte aligned; linker.ld puts it first. */
        .section .multiboot, "a"
        .p2align 2
multiboot_header:
        .long MULTIBOOT_MAGIC
        .long MULTIBOOT_FLAGS
        .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)
        /* The a.out kludge: the loader copies [load_addr, load_end_addr) from the file, where
           header_addr sits at the header's file offset, zeroes up to bss_end_addr, and jumps to
           entry_addr. This only works because linker.ld keeps file offsets and addresses in step. */
        .long multiboot_header          /* header_addr */
        .long __kernel_start            /* load_addr */
        .long __load_end                /* load_end_addr */
        .long __bss_end                 /* bss_end_addr */
        .long _start                    /* entry_addr */

        .section .boot.text, "ax"
        .code32
        .globl _start
_start:
        cli
        cld
        movl %eax, %ebp                 /* keep the boot magic and the info pointer: CPUID */
        movl %ebx, %esi                 /* below overwrites EAX and EBX */

        /* Long mode needs CPUID leaf 0x80000001 EDX bit 29 (SDM Vol. 2A, CPUID). Without it there
           is nothing we can run, so say so on screen and stop. */
        movl $0x80000000, %eax
        cpuid
        cmpl $0x80000001, %eax
        jb no_long_mode
        movl $0x80000001, %eax
        cpuid
        testl $(1 << 29), %edx
        jz no_long_mode

        /* Zero .bss: page tables and the stack must start out clear. */
        movl $__bss_start, %edi
        movl $__bss_end, %ecx
        subl %edi, %ecx
        xorl %eax, %eax
        rep stosb

        /* PML4[0] -> PDPT, PDPT[0] -> PD: the first 1 GiB, identity mapped. PD[1..511] map 2 MiB
           pages; PD[0] points to a page table of 4 KiB pages instead, so that the page below the
           kernel stack can be left unmapped: a stack overflow then faults (and, with nowhere to
           push the #PF frame, becomes a double fault handled on its own IST stack) instead of
           silently overwriting whatever lies below. */
        movl $boot_pdpt, %eax
        orl $(PAGE_PRESENT | PAGE_WRITABLE), %eax
        movl %eax, boot_pml4
        movl $boot_pd, %eax
        orl $(PAGE_PRESENT | PAGE_WRITABLE), %eax
        movl %eax, boot_pdpt
        movl $boot_pt, %eax
        orl $(PAGE_PRESENT | PAGE_WRITABLE), %eax
        movl %eax, boot_pd
        movl $1, %ecx
1:      movl %ecx, %eax
        shll $21, %eax
        orl $(PAGE_PRESENT | PAGE_WRITABLE | PAGE_HUGE), %eax
        movl %eax, boot_pd(, %ecx, 8)
        incl %ecx
        cmpl $512, %ecx
        jne 1b
        xorl %ecx, %ecx
2:      movl %ecx, %eax
        shll $12, %eax
        orl $(PAGE_PRESENT | PAGE_WRITABLE), %eax
        movl %eax, boot_pt(, %ecx, 8)
        incl %ecx
        cmpl $512, %ecx
        jne 2b
        movl $boot_stack_guard, %ecx
        shrl $12, %ecx
        movl $0, boot_pt(, %ecx, 8)     /* the guard page: not present */

        movl $boot_pml4, %eax
        movl %eax, %cr3
        movl %cr4, %eax
        orl $CR4_PAE, %eax
        movl %eax, %cr4
        movl $MSR_EFER, %ecx
        rdmsr
        orl $(EFER_LME | EFER_NXE), %eax
        wrmsr
        movl %cr0, %eax
        orl $(CR0_PE | CR0_WP | CR0_PG), %eax
        movl %eax, %cr0                 /* paging on: EFER.LMA becomes 1 */

        lgdt boot_gdt_pointer
        ljmp $KERNEL_CODE_SELECTOR, $long_mode_entry

no_long_mode:
        /* "NO LONG MODE" in white on red at the top left of the VGA text screen. */
        movl $no_long_mode_text, %esi
        movl $0xB8000, %edi
5:      movzbl (%esi), %eax
        testl %eax, %eax
        jz 6f
        orl $0x4F00, %eax
        movw %ax, (%edi)
        incl %esi
        addl $2, %edi
        jmp 5b
6:      hlt
        jmp 6b

        .code64
long_mode_entry:
        movw $KERNEL_DATA_SELECTOR, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        xorw %ax, %ax
        movw %ax, %fs
        movw %ax, %gs
        movabsq $boot_stack_top, %rsp   /* 16-byte aligned, as the System V ABI wants at a call */
        movl %ebp, %edi                 /* kernel_main(magic: UInt32, info: UInt32): 32-bit moves */
        movl %esi, %esi                 /* zero the upper halves, undefined after the mode switch */
        /* Start Swift from a clean register file: what the firmware and CPUID left behind differs
           between machines, and register dumps on exception screens should not. */
        xorl %eax, %eax
        xorl %ebx, %ebx
        xorl %ecx, %ecx
        xorl %edx, %edx
        xorl %ebp, %ebp
        xorl %r8d, %r8d
        xorl %r9d, %r9d
        xorl %r10d, %r10d
        xorl %r11d, %r11d
        xorl %r12d, %r12d
        xorl %r13d, %r13d
        xorl %r14d, %r14d
        xorl %r15d, %r15d
        call kernel_main
        /* kernel_main never returns; if it does, stop here with interrupts off. */
4:      cli
        hlt
        jmp 4b

        .section .rodata
no_long_mode_text:
        .asciz "NO LONG MODE: this kernel needs an x86_64 CPU"

        .p2align 3
/* Flat segments (SDM Vol. 3A 3.4.5). The accessed bit (type bit 0) is preset so the CPU never
   writes the descriptors back. 0x08: 64-bit code (L=1, D=0), 0x10: data. */
boot_gdt:
        .quad 0
        .quad 0x00AF9B000000FFFF
        .quad 0x00CF93000000FFFF
boot_gdt_end:
boot_gdt_pointer:
        .word boot_gdt_end - boot_gdt - 1
        .long boot_gdt

/* linker.ld puts .bss.boot first in .bss, well inside the first 2 MiB that boot_pt maps. */
        .section .bss.boot, "aw", @nobits
        .p2align 12
boot_pml4:
        .skip 4096
boot_pdpt:
        .skip 4096
boot_pd:
        .skip 4096
boot_pt:
        .skip 4096
        .globl boot_stack_guard
boot_stack_guard:
        .skip 4096
boot_stack_bottom:
        .skip BOOT_STACK_SIZE
        .globl boot_stack_top
boot_stack_top:
