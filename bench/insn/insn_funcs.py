#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Kernel instructions per function, from a window file of the insn_count
plugin ("cpu I kernel K user U kernel_spin KS user_spin US" and "tb ADDR
LEN C0 .. CV-1 S0 .. SV-1" lines: a translation block's address and
length, its instructions per vCPU, then how many of them were
spin-waiting) and the guest's /proc/kallsyms.

    insn_funcs.py WINDOW KALLSYMS [MODULE_SYMBOLS]

prints, per function with instructions in the window, its instructions on
each vCPU and then its spinning ones, most first.  A translation block counts for the function its
start address lies in: the text symbol at or below it (kallsyms has no
sizes), unless that symbol is more than MAX_FUNC bytes away (then '?': an
address kallsyms does not cover).  KALLSYMS may come from another moment
of the same boot: with MODULE_SYMBOLS (the module lines of /proc/kallsyms
while the window's modules were loaded) its own module lines are ignored,
since a module's addresses change when it is loaded again.  report.py
imports this file.
"""
import bisect
import sys

TEXT = set("tTwW")      # kallsyms types of code
MAX_FUNC = 1 << 20      # farther from the symbol below: not that function's
UNKNOWN = "?"


def text_symbols(path, modules=True):
    """(address, name) of a kallsyms file's text symbols, a module's as
    'name [mod]'; modules=False leaves the modules' out."""
    syms = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) < 3 or p[1] not in TEXT:
                continue
            mod = p[3] if len(p) > 3 else None
            if mod and not modules:
                continue
            addr = int(p[0], 16)
            if addr:
                syms.append((addr, f"{p[2]} {mod}" if mod else p[2]))
    return syms


def read_symbols(core, modules=None):
    """Sorted (address, name) of the text symbols of core, its module lines
    replaced by those of the file modules when given."""
    syms = text_symbols(core, modules is None)
    if modules is not None:
        syms += text_symbols(modules)
    return sorted(syms)


def read_window(path):
    """(vcpus, {vcpu: {"kernel": K, "user": U, "kernel_spin": KS, "user_spin": US}},
    [(address, length, [instructions per vCPU] + [spinning ones per vCPU])])."""
    cpus, tbs, nv = {}, [], None
    with open(path) as f:
        for line in f:
            p = line.split()
            if p[:1] == ["vcpus"] and len(p) == 2:
                nv = int(p[1])
            elif p[:1] == ["cpu"] and len(p) == 10:
                cpus[int(p[1])] = {p[i]: int(p[i + 1]) for i in range(2, 10, 2)}
            elif p[:1] == ["tb"]:
                if nv is None or len(p) != 3 + 2 * nv:
                    raise ValueError(f"{path}: {line.strip()}: not 'tb ADDR LEN' and 2 x vcpus counts")
                tbs.append((int(p[1], 16), int(p[2]), [int(x) for x in p[3:]]))
    if nv is None or sorted(cpus) != list(range(nv)) or \
            any(set(c) != {"kernel", "user", "kernel_spin", "user_spin"} for c in cpus.values()):
        raise ValueError(f"{path}: not a window of insn_count (vcpus and cpu lines)")
    return nv, cpus, tbs


def functions(tbs, syms):
    """{function: [instructions per vCPU] + [spinning ones per vCPU]} of the blocks."""
    addrs = [a for a, _ in syms]
    out = {}
    for addr, _, counts in tbs:
        i = bisect.bisect_right(addrs, addr) - 1
        name = syms[i][1] if i >= 0 and addr - addrs[i] <= MAX_FUNC else UNKNOWN
        acc = out.setdefault(name, [0] * len(counts))
        for v, c in enumerate(counts):
            acc[v] += c
    return out


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    nv, _, tbs = read_window(argv[1])
    funcs = functions(tbs, read_symbols(argv[2], argv[3] if len(argv) > 3 else None))
    print("function " + " ".join([f"cpu{v}" for v in range(nv)] + [f"spin{v}" for v in range(nv)]))
    for name, c in sorted(funcs.items(), key=lambda kv: (-sum(kv[1][:nv]), kv[0])):
        print(name.replace(" ", "") + " " + " ".join(str(x) for x in c))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
