/*
 * libc.S: the C library symbols the Embedded Swift runtime and LLVM expect to find.
 *
 * LLVM turns large copies and clears into calls to memcpy/memmove/memset even in a freestanding
 * build, and the Embedded Swift runtime releases memory through free(). There is no C library
 * here, so this file provides them. The string instructions (SDM Vol. 2B, MOVS/STOS) with REP are
 * the simplest correct implementation; ERMSB makes `rep movsb` fast on modern CPUs.
 */
        .text
        .code64

/* void *memcpy(void *dst, const void *src, size_t n) */
        .globl memcpy
        .type memcpy, @function
memcpy:
        movq %rdi, %rax
        movq %rdx, %rcx
        rep movsb
        ret

/* void *memmove(void *dst, const void *src, size_t n): copy backwards when dst overlaps src from above. */
        .globl memmove
        .type memmove, @function
memmove:
        movq %rdi, %rax
        movq %rdx, %rcx
        cmpq %rsi, %rdi
        jbe 1f
        leaq -1(%rsi, %rdx), %rsi
        leaq -1(%rdi, %rdx), %rdi
        std
        rep movsb
        cld
        ret
1:      rep movsb
        ret

/* void *memset(void *dst, int value, size_t n) */
        .globl memset
        .type memset, @function
memset:
        movq %rdi, %r8
        movl %esi, %eax
        movq %rdx, %rcx
        rep stosb
        movq %r8, %rax
        ret

/* int memcmp(const void *a, const void *b, size_t n) */
        .globl memcmp
        .type memcmp, @function
memcmp:
        xorl %eax, %eax
        testq %rdx, %rdx
        jz 2f
1:      movzbl (%rdi), %eax
        movzbl (%rsi), %ecx
        subl %ecx, %eax
        jnz 2f
        incq %rdi
        incq %rsi
        decq %rdx
        jnz 1b
2:      ret

/* void free(void *): Swift reserves the name `free`, so the allocator's Swift entry point is
   kernel_free and this forwards to it. */
        .globl free
        .type free, @function
free:
        jmp kernel_free
