#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Kernel instructions per function, from a window file of the insn_count
plugin ("cpu I kernel K user U" and "tb ADDR C0 C1 ..." lines) and the
guest's /proc/kallsyms.

    insn_funcs.py WINDOW KALLSYMS [MODULE_SYMBOLS]

prints, per function with instructions in the window, its instructions on
each vCPU, most first.  A translation block counts for the function its
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


def read_symbols(core, modules=None):
    """Sorted (address, name) of the text symbols; a module's as 'name [mod]'."""
    syms = []
    for path, want_modules in ((core, modules is None), (modules, True)):
        if path is None:
            continue
        with open(path) as f:
            for line in f:
                p = line.split()
                if len(p) < 3 or p[1] not in TEXT:
                    continue
                mod = p[3] if len(p) > 3 else None
                if mod and not want_modules:
                    continue
                addr = int(p[0], 16)
                if addr:
                    syms.append((addr, f"{p[2]} {mod}" if mod else p[2]))
    syms.sort()
    return syms


def read_window(path):
    """({vcpu: (kernel, user)}, [(address, [instructions per vCPU])])."""
    cpus, tbs = {}, []
    with open(path) as f:
        for line in f:
            p = line.split()
            if p[:1] == ["cpu"] and len(p) == 6 and p[2] == "kernel" and p[4] == "user":
                cpus[int(p[1])] = (int(p[3]), int(p[5]))
            elif p[:1] == ["tb"]:
                tbs.append((int(p[1], 16), [int(x) for x in p[2:]]))
    if not cpus:
        raise ValueError(f"{path}: no 'cpu' lines: not a window of insn_count")
    return cpus, tbs


def functions(tbs, syms):
    """{function: [instructions per vCPU]} of the blocks."""
    addrs = [a for a, _ in syms]
    out = {}
    for addr, counts in tbs:
        i = bisect.bisect_right(addrs, addr) - 1
        name = syms[i][1] if i >= 0 and addr - addrs[i] <= MAX_FUNC else UNKNOWN
        acc = out.setdefault(name, [0] * len(counts))
        if len(acc) < len(counts):
            acc.extend([0] * (len(counts) - len(acc)))
        for v, c in enumerate(counts):
            acc[v] += c
    return out


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    cpus, tbs = read_window(argv[1])
    funcs = functions(tbs, read_symbols(argv[2], argv[3] if len(argv) > 3 else None))
    n = max(len(cpus), max((len(c) for c in funcs.values()), default=0))
    print("function " + " ".join(f"cpu{v}" for v in range(n)))
    for name, c in sorted(funcs.items(), key=lambda kv: (-sum(kv[1]), kv[0])):
        print(name + " " + " ".join(str(x) for x in c + [0] * (n - len(c))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
