.section .note.Xen, "a", @note
.align 4
.long 4
.long 4
.long 18
.asciz "Xen"
.long _start
.text
.code32
.globl _start
_start:
  mov $0x3f8, %dx
  mov $0x41, %al
  out %al, %dx
  cli
  hlt
