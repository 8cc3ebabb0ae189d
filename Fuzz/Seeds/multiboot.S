.section .multiboot, "a"
.align 4
.long 0x1BADB002
.long 0x00000003
.long -(0x1BADB002 + 0x00000003)
.text
.globl _start
_start:
  mov $0x10, %al
  out %al, $0xf4
  cli
  hlt
