#!/bin/bash
# Usage: asm.sh 64|32 "intel asm text" -> prints the bytes as a Swift array literal body.
bits=$1; shift
f=$(mktemp -d)/t
if [ "$bits" = 64 ]; then tgt=x86_64-unknown-none-elf; else tgt=i386-unknown-none-elf; fi
printf '.intel_syntax noprefix\n.text\n%s\n' "$*" > $f.s
clang -c --target=$tgt $f.s -o $f.o 2>&1 || exit 1
llvm-objcopy -O binary --only-section=.text $f.o $f.bin
xxd -i < $f.bin | tr -d '\n ' | sed 's/,/, /g'; echo
rm -rf "$(dirname $f)"
