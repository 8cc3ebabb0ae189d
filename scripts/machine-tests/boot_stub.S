# Boot stub for Tests/MachineTests/BootStubFixture.swift (Multiboot ELF32 -> long mode).
# Build: clang -c --target=i386-unknown-none-elf boot_stub.S -o s.o && ld.lld -m elf_i386 -N --image-base=0 -Ttext=0x100000 -e _start -s s.o -o stub.elf
.intel_syntax noprefix
.section .text
.code32
.globl _start
.align 4
mbh: .long 0x1BADB002, 0x00000003, -(0x1BADB002+3)
_start:
  mov esp, 0x90000
  mov esi, eax
  mov ebp, ebx
  mov edi, 0x70000
  xor eax, eax
  mov ecx, 3*1024
  rep stosd
  mov dword ptr [0x70000], 0x71003
  mov dword ptr [0x71000], 0x72003
  mov dword ptr [0x72000], 0x83
  mov dword ptr [0x72008], 0x200083
  mov eax, 0x70000
  mov cr3, eax
  mov eax, cr4
  or eax, 0x20
  mov cr4, eax
  mov ecx, 0xC0000080
  rdmsr
  or eax, 0x100
  wrmsr
  lgdt [gdtr]
  mov eax, cr0
  or eax, 0x80000001
  mov cr0, eax
  ljmp 0x08, offset long_entry
.code64
long_entry:
  mov ax, 0x10
  mov ds, ax
  mov ss, ax
  mov rax, 0x123456789
  lea rbx, [rip + gdt]
  mov rcx, [rip + gdt + 8]
  hlt
.align 8
gdt: .quad 0, 0x00AF9A000000FFFF, 0x00CF92000000FFFF
gdtr: .word 23
  .long gdt
