#!/usr/bin/env python3
# Generates Tests/MachineTests/SSEOracleInstructions.swift: the MMX/SSE/SSE2 instructions the host-CPU
# oracle runs (SSEOracleTests.swift), and the native prologue and epilogue that load and store the
# general, MMX and XMM registers, RFLAGS and MXCSR from a state buffer.
# Usage: gen_sse_oracle.py && swift format format -i Tests/MachineTests/SSEOracleInstructions.swift
import os, subprocess
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))

def asm(text):
    r = subprocess.run([os.path.join(HERE, "asm.sh"), "64", text.replace(';', '\n')], capture_output=True, text=True)
    if r.returncode or not r.stdout.strip() or 'error' in r.stdout:
        raise SystemExit(text + r.stdout + r.stderr)
    return r.stdout.strip()

# State buffer, in bytes: 16 general registers by number, RFLAGS at 128, XMM0-15 at 136, MXCSR at 392,
# the host's MXCSR at 400 (restored before returning), MM0-7 at 408.
gprs = [(0, "rax"), (1, "rcx"), (2, "rdx"), (3, "rbx"), (5, "rbp"), (6, "rsi")] + [(k, f"r{k}") for k in range(8, 16)]
prologue = ["push rbx", "push rbp", "push r12", "push r13", "push r14", "push r15", "stmxcsr [rdi + 400]", "push rdi"]
prologue += [f"movdqu xmm{k}, [rdi + {136 + 16 * k}]" for k in range(16)]
prologue += [f"movq mm{k}, [rdi + {408 + 8 * k}]" for k in range(8)]
prologue += ["ldmxcsr [rdi + 392]", "push qword ptr [rdi + 128]", "popfq"]
prologue += [f"mov {name}, [rdi + {8 * n}]" for n, name in gprs] + ["mov rdi, [rdi + 56]"]
epilogue = ["xchg rdi, [rsp]"] + [f"mov [rdi + {8 * n}], {name}" for n, name in gprs]
epilogue += ["pushfq", "pop qword ptr [rdi + 128]", "pop rax", "mov [rdi + 56], rax"]
epilogue += [f"movdqu [rdi + {136 + 16 * k}], xmm{k}" for k in range(16)]
epilogue += [f"movq [rdi + {408 + 8 * k}], mm{k}" for k in range(8)]
epilogue += ["stmxcsr [rdi + 392]", "ldmxcsr [rdi + 400]", "emms", "pop r15", "pop r14", "pop r13", "pop r12",
             "pop rbp", "pop rbx", "ret"]

out = []
def add(text, kind):
    out.append((text, asm(text), kind))

integer = """punpcklbw punpcklwd punpckldq packsswb pcmpgtb pcmpgtw pcmpgtd packuswb punpckhbw punpckhwd punpckhdq
packssdw pcmpeqb pcmpeqw pcmpeqd paddq pmullw psubusb psubusw pminub pand paddusb paddusw pmaxub pandn pavgb
pavgw pmulhuw pmulhw psubsb psubsw pminsw por paddsb paddsw pmaxsw pxor pmuludq pmaddwd psadbw psubb psubw
psubd psubq paddb paddw paddd""".split()
for op in integer:
    add(f"{op} xmm1, xmm2", "integer")
    add(f"{op} xmm3, [rsi]", "integer")
    add(f"{op} mm1, mm2", "integer")
    add(f"{op} mm3, [rsi]", "integer")
for op in ["punpcklqdq", "punpckhqdq"]:
    add(f"{op} xmm1, xmm2", "integer")
    add(f"{op} xmm9, [rsi]", "integer")
for op in "psrlw psrld psrlq psraw psrad psllw pslld psllq".split():
    add(f"{op} xmm1, xmm2", "shift")
    add(f"{op} mm1, mm2", "shift")
    add(f"{op} xmm11, [rsi]", "shift")
    for count in [0, 3, 15, 17, 33, 64]:
        if op.endswith("q") and op.startswith("psra"): continue
        add(f"{op} xmm1, {count}", "integer")
        add(f"{op} mm2, {count}", "integer")
for op in ["psrldq", "pslldq"]:
    for count in [0, 1, 7, 15, 16, 200]:
        add(f"{op} xmm5, {count}", "integer")
for imm in [0x1B, 0xE4, 0x4E, 0x00]:
    add(f"pshufd xmm1, xmm2, {imm}", "integer")
    add(f"pshufhw xmm1, [rsi], {imm}", "integer")
    add(f"pshuflw xmm1, xmm2, {imm}", "integer")
    add(f"pshufw mm1, mm2, {imm}", "integer")
    add(f"shufps xmm1, xmm2, {imm}", "integer")
for imm in range(4):
    add(f"shufpd xmm1, xmm2, {imm}", "integer")
for text in ["pextrw eax, xmm1, 5", "pextrw r9d, xmm12, 0", "pextrw eax, mm1, 2", "pinsrw xmm1, eax, 6",
             "pinsrw xmm14, word ptr [rsi], 1", "pinsrw mm1, ebx, 3", "pinsrw mm1, word ptr [rsi], 0",
             "pmovmskb eax, xmm1", "pmovmskb r10d, mm3", "movmskps eax, xmm1", "movmskpd ecx, xmm13",
             "movlps xmm1, [rsi]", "movhps xmm1, [rsi]", "movhlps xmm1, xmm2", "movlhps xmm1, xmm2",
             "movlpd xmm1, [rsi]", "movhpd xmm1, [rsi]", "movlps [rsi], xmm1", "movhps [rsi + 8], xmm1",
             "movlpd [rsi + 4], xmm2", "movhpd [rsi], xmm3", "movq2dq xmm1, mm2", "movdq2q mm1, xmm2",
             "maskmovdqu xmm1, xmm2", "maskmovq mm1, mm2", "movnti [rsi], eax", "movnti [rsi + 8], rbx",
             "unpcklps xmm1, xmm2", "unpckhps xmm1, [rsi]", "unpcklpd xmm1, xmm2", "unpckhpd xmm1, xmm2"]:
    add(text, "integer")

for suffix, kind in [("ps", "single"), ("pd", "double"), ("ss", "single"), ("sd", "double")]:
    for op in ["add", "mul", "sub", "min", "div", "max", "sqrt"]:
        add(f"{op}{suffix} xmm1, xmm2", kind)
        add(f"{op}{suffix} xmm3, [rsi]", kind)
    for p in range(8):
        add(f"cmp{suffix} xmm1, xmm2, {p}", kind)
    add(f"cmp{suffix} xmm4, [rsi], 1", kind)
for op in ["rcpps", "rsqrtps", "rcpss", "rsqrtss"]:
    add(f"{op} xmm1, xmm2", "approx")
for op, kind in [("comiss", "single"), ("ucomiss", "single"), ("comisd", "double"), ("ucomisd", "double")]:
    add(f"{op} xmm1, xmm2", kind)
    add(f"{op} xmm1, [rsi]", kind)
for text, kind in [("cvtpi2ps xmm1, mm2", "integer"), ("cvtpi2ps xmm1, [rsi]", "integer"),
                   ("cvtpi2pd xmm1, mm2", "integer"), ("cvtsi2ss xmm1, eax", "integer"),
                   ("cvtsi2ss xmm1, rax", "integer"), ("cvtsi2sd xmm1, ebx", "integer"),
                   ("cvtsi2sd xmm1, rbx", "integer"), ("cvtsi2ss xmm2, dword ptr [rsi]", "integer"),
                   ("cvtdq2ps xmm1, xmm2", "integer"), ("cvtdq2pd xmm1, xmm2", "integer"),
                   ("cvtps2pi mm1, xmm2", "single"), ("cvttps2pi mm1, xmm2", "single"),
                   ("cvtpd2pi mm1, xmm2", "double"), ("cvttpd2pi mm1, xmm2", "double"),
                   ("cvtss2si eax, xmm1", "single"), ("cvtss2si rax, xmm1", "single"),
                   ("cvttss2si eax, xmm1", "single"), ("cvttss2si r11, xmm1", "single"),
                   ("cvtsd2si eax, xmm1", "double"), ("cvtsd2si rax, xmm1", "double"),
                   ("cvttsd2si ecx, xmm1", "double"), ("cvttsd2si rcx, [rsi]", "double"),
                   ("cvtps2pd xmm1, xmm2", "single"), ("cvtps2pd xmm1, [rsi]", "single"),
                   ("cvtpd2ps xmm1, xmm2", "double"), ("cvtss2sd xmm1, xmm2", "single"),
                   ("cvtsd2ss xmm1, xmm2", "double"), ("cvtsd2ss xmm1, [rsi]", "double"),
                   ("cvtps2dq xmm1, xmm2", "single"), ("cvttps2dq xmm1, xmm2", "single"),
                   ("cvtpd2dq xmm1, xmm2", "double"), ("cvttpd2dq xmm1, xmm2", "double")]:
    add(text, kind)

lines = ["// Generated by scripts/machine-tests/gen_sse_oracle.py from clang-assembled Intel syntax; kept as",
         "// bytes so the tests need no assembler.", "",
         "let sseOraclePrologue: [UInt8] = [" + asm(";".join(prologue)) + "]", "",
         "let sseOracleEpilogue: [UInt8] = [" + asm(";".join(epilogue)) + "]", "",
         "let sseOracleInstructions: [(String, [UInt8], SSEOracleKind)] = ["]
for text, code, kind in out:
    lines.append(f'  ("{text}", [{code}], .{kind}),')
lines.append("]")
open(os.path.join(ROOT, "Tests/MachineTests/SSEOracleInstructions.swift"), "w").write("\n".join(lines) + "\n")
print(len(out), "instructions")
