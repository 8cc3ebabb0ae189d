#!/usr/bin/env python3
# Generates Tests/MachineTests/OracleInstructions.swift: the instructions the host-CPU oracle test runs.
# Usage: gen_oracle.py > Tests/MachineTests/OracleInstructions.swift
import os
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
import subprocess
def asm(text):
    r = subprocess.run([os.path.join(HERE, "asm.sh"),"64",text],capture_output=True,text=True)
    if r.returncode or not r.stdout.strip() or 'error' in r.stdout: raise Exception(text+r.stdout+r.stderr)
    text = text
    return r.stdout.strip()
regs = {1:("al","bl","cl","dl","sil","r8b"),2:("ax","bx","cx","dx","si","r8w"),4:("eax","ebx","ecx","edx","esi","r8d"),8:("rax","rbx","rcx","rdx","rsi","r8")}
out=[]
def add(text, kind, size):
    out.append((text, asm(text), kind, size))
for sz,(a,b,c,d,si,r8) in regs.items():
    for op in ["add","adc","sub","sbb","cmp"]:
        add(f"{op} {a}, {b}", "arith", sz)
    for op in ["and","or","xor","test"]:
        add(f"{op} {a}, {b}", "logic", sz)
    add(f"add {b}, 0x7f" if sz==1 else f"add {b}, -3", "arith", sz)
    add(f"sbb {r8}, 1", "arith", sz)
    for op in ["inc","dec","neg"]:
        add(f"{op} {a}", "arith", sz)
    add(f"not {b}", "none", sz)
    for op in ["shl","shr","sar"]:
        add(f"{op} {a}, cl", "shift", sz)
        add(f"{op} {b}, 1", "shift1", sz)
        add(f"{op} {r8}, 5", "shiftimm5", sz)
    for op in ["rol","ror"]:
        add(f"{op} {a}, cl", "rotate", sz)
        add(f"{op} {b}, 1", "rotate1", sz)
    for op in ["rcl","rcr"]:
        add(f"{op} {a}, cl", "rotatec", sz)
        add(f"{op} {b}, 1", "rotate1", sz)
    add(f"mul {b}", "mul", sz)
    add(f"imul {b}", "mul", sz)
    add(f"xadd {a}, {b}", "arith", sz)
    add(f"cmpxchg {r8}, {b}", "arith", sz)
    add(f"xchg {a}, {b}", "none", sz)
    add(f"setc {r8}" if sz==1 else f"cmovz {a}, {b}", "none", sz)
    if sz>1:
        add(f"shld {a}, {b}, cl", "dshift", sz)
        add(f"shrd {a}, {b}, cl", "dshift", sz)
        add(f"shld {a}, {b}, 1", "dshift1", sz)
        add(f"shrd {a}, {b}, 7", "dshift7", sz)
        add(f"imul {a}, {b}", "mul", sz)
        add(f"imul {a}, {b}, -7", "mul", sz)
        add(f"imul {a}, {b}, 0x70", "mul", sz)
        add(f"bt {a}, {b}", "bit", sz)
        add(f"bts {a}, {b}", "bit", sz)
        add(f"btr {a}, {b}", "bit", sz)
        add(f"btc {a}, {b}", "bit", sz)
        add(f"bts {a}, 3", "bit", sz)
        add(f"bsf {a}, {b}", "bsf", sz)
        add(f"bsr {a}, {b}", "bsf", sz)
        add(f"cmovl {a}, {b}", "none", sz)
        add(f"cmovbe {a}, {b}", "none", sz)
        add(f"movzx {a}, bl", "none", sz)
        add(f"movsx {a}, bl", "none", sz)
conds=["o","no","b","ae","e","ne","be","a","s","ns","p","np","l","ge","le","g"]
for sz,(a,b,c,d,si,r8) in regs.items():
    for i,cc in enumerate(conds):
        first = ["cmp","sub","add","test","inc","dec","and","neg"][i % 8]
        op1 = f"{first} {a}, {b}" if first not in ("inc","dec","neg") else f"{first} {a}"
        add(f"{op1}; set{cc} r9b", "logic" if first in ("test","and") else "arith", sz)
        add(f"cmp {a}, {b}; set{cc} r10b", "arith", sz)
        if sz > 1:
            add(f"sub {a}, {b}; cmov{cc} {c}, {d}", "arith", sz)
            add(f"add {a}, {b}; cmov{cc} {c}, {d}", "arith", sz)
for t in ["cbw","cwde","cdqe","cwd","cdq","cqo","lahf","sahf","cmc","clc","stc","bswap eax","bswap rbx","movsxd rax, ebx","movzx eax, bx","movsx rax, bx",
          "setg cl","setle cl","seto cl","setp cl","sets cl","seta cl","lea rax, [rbx+rcx*4-9]","lea eax, [rbx+rcx*8+0x7fffffff]","adc rax, 0x7fffffff","sub eax, 0x80000000",
          "div rbx","div ebx","div bx","div bl"]:
    kind = "div" if t.startswith("div") else "none"
    add(t, kind, 8)
print("// Generated from clang-assembled Intel syntax; kept as bytes so tests need no assembler.")
print("let oracleInstructions: [(String, [UInt8], OracleKind, Int)] = [")
for (t,b,k,s) in out:
    print(f'  ("{t}", [{b}], .{k}, {s}),')
print("]")
