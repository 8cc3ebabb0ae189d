# Probe kernel: prints (hex, on COM1) EBX, the Multiboot info block, the mmap, the command line and the
# boot loader name, then exits through isa-debug-exit. Used to measure what QEMU 7.2 passes:
#   clang -c --target=i386-unknown-none-elf multiboot_probe.S -o p.o && ld.lld -m elf_i386 -N --image-base=0 -Ttext=0x100000 -e _start p.o -o probe.elf
#   qemu-system-x86_64 -accel tcg -kernel probe.elf -display none -serial stdio -device isa-debug-exit,iobase=0xf4 -m 128 -append "hello world"
.section .text
.code32
.globl _start
.align 4
mbh: .long 0x1BADB002, 0x00000003, -(0x1BADB002+3)
_start:
  mov %ebx, %edi
  push %ebx
  mov %esp, %esi
  mov $4, %ecx
  call dump
  mov %edi, %esi
  mov $88, %ecx
  call dump
  mov 48(%edi), %esi
  push %esi
  mov %esp, %esi
  mov $4, %ecx
  call dump
  mov 48(%edi), %esi
  mov 44(%edi), %ecx
  call dump
  mov 16(%edi), %esi
  push %esi
  mov %esp, %esi
  mov $4, %ecx
  call dump
  mov 16(%edi), %esi
  mov $24, %ecx
  call dump
  mov 64(%edi), %esi
  push %esi
  mov %esp, %esi
  mov $4, %ecx
  call dump
  mov 64(%edi), %esi
  mov $8, %ecx
  call dump
  mov 24(%edi), %esi
  mov $0x1, %al
  out %al, $0xf4
1: hlt
  jmp 1b
dump:
1: movzbl (%esi), %eax
  mov %eax, %edx
  shr $4, %eax
  call nib
  mov %edx, %eax
  call nib
  inc %esi
  dec %ecx
  jnz 1b
  mov $10, %al
  call putc
  ret
nib:
  and $15, %eax
  movb hex(%eax), %al
putc:
  push %edx
  mov $0x3f8, %dx
  out %al, %dx
  pop %edx
  ret
hex: .ascii "0123456789abcdef"
