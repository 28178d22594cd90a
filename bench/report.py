#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/report.py RESULTS_DIR: the benchmark's CSV -> summary.md (+ plot data).

Throughput rows: repetition 0 is the warm-up and is dropped; the rest give
median (min-max) verdicted packets per second per kernel, size, copy range
and configuration, and the ratio of medians against the stock backend in the
same run.  The A/A pair (stock-mnl against stock-mnl-aa) shows the noise
floor.  The counts pass gives system calls, wake-ups and context switches of
the consumer per packet (ftrace) at a fixed rate.
"""
import csv
import statistics
import sys
from collections import defaultdict

CONFIGS = ["none", "stock-mnl", "nfqring-mnl", "nfqring-ring", "stock-mnl-aa"]
LABEL = {
    "none": "no queue (accept)",
    "stock-mnl": "stock nfnetlink_queue, libmnl client",
    "nfqring-mnl": "nfqring netlink, same client",
    "nfqring-ring": "nfqring rings, libnfqring",
    "stock-mnl-aa": "stock again (A/A)",
}


def fmt(x):
    return f"{x/1000:.1f}k"


def main(d):
    rows = list(csv.DictReader(open(f"{d}/results.csv")))
    tp = defaultdict(list)
    counts = {}
    for r in rows:
        key = (r["kernel"], int(r["size"]), int(r["range"]))
        if r["pass"] == "throughput" and int(r["rep"]) >= 1:
            tp[key + (r["config"],)].append(float(r["verdicted_pps"]))
        elif r["pass"] == "counts":
            counts[key + (r["config"],)] = r
    out = []
    plot = []
    out.append("| kernel | size | copy | configuration | verdicted pps, median (min-max) | vs stock | n |")
    out.append("|---|---|---|---|---|---|---|")
    groups = sorted({k[:3] for k in tp})
    for g in groups:
        stock = tp.get(g + ("stock-mnl",))
        sm = statistics.median(stock) if stock else None
        for c in CONFIGS:
            v = tp.get(g + (c,))
            if not v:
                continue
            m = statistics.median(v)
            ratio = f"{m/sm:.2f}x" if sm else "-"
            rng = "meta" if g[2] == 0 else str(g[2])
            out.append(f"| {g[0]} | {g[1]} B | {rng} | {LABEL[c]} | {fmt(m)} ({fmt(min(v))}-{fmt(max(v))}) | {ratio} | {len(v)} |")
            plot.append(f'{g[0]}-{g[1]}B "{c}" {m:.0f} {min(v):.0f} {max(v):.0f}')
    out.append("")
    out.append("Per packet, at a fixed offered rate (counts pass; the consumer only):")
    out.append("")
    out.append("| kernel | size | configuration | system calls | wake-ups | context switches | mean batch | busy us (both vCPUs) |")
    out.append("|---|---|---|---|---|---|---|---|")
    for k in sorted(counts):
        r = counts[k]
        if r["config"] == "none":
            continue
        out.append(f"| {k[0]} | {k[1]} B | {LABEL[r['config']]} | {r['syscalls_per_pkt']} | "
                   f"{r['wakeups_per_pkt']} | {r['cswitch_per_pkt']} | {r['mean_batch']} | {r['busy_us_per_pkt']} |")
    open(f"{d}/summary.md", "w").write("\n".join(out) + "\n")
    open(f"{d}/plot.dat", "w").write("\n".join(plot) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
