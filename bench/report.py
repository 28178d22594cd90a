#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/report.py RESULTS_DIR: the benchmark's CSV -> summary.md (+ plot data).

Throughput rows: repetition 0 is the warm-up and is dropped; the rest give
median (min-max) verdicted packets per second per kernel, size, copy range
and configuration, and the ratio of medians against the stock backend in the
same run.  The A/A pair (stock-mnl against stock-mnl-aa) shows the noise
floor.  The counts pass gives system calls, wake-ups and context switches of
the consumer per packet (ftrace) at a fixed rate.  Groups are per placement
of the receive path (split: enqueue on pktgen's CPU; rps: the whole queue
path on the consumer's CPU).  latency.csv, when present, gives pktgen-to-
socket latency per configuration and what the queue adds to the no-queue
figure.

nfqringd rows (size 0: the rulegen corpus replayed by udp_replay) get a
table of their own, nfqringd on the rings against nfqringd on the stock
module's netlink.  Search rows (pass "search") give the loss-free rate: the
highest offered rate with at most 0.1 % loss, against stock-mnl (nfqringd
against nfqringd-nl-stock).
"""
import os
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
    "nfqringd-ring": "nfqringd, nfqring rings",
    "nfqringd-nl-stock": "nfqringd, stock netlink",
}
DAEMON = ["nfqringd-ring", "nfqringd-nl-stock"]
BASE = {c: "stock-mnl" for c in CONFIGS}
BASE.update({c: "nfqringd-nl-stock" for c in DAEMON})


def fmt(x):
    return f"{x/1000:.1f}k"


def medians(tp, g, configs, base):
    """Per configuration of group g: samples, median, ratio to base, copy range label."""
    b = tp.get(g + (base,))
    bm = statistics.median(b) if b else None
    for c in configs:
        v = tp.get(g + (c,))
        if not v:
            continue
        m = statistics.median(v)
        yield c, v, m, (f"{m/bm:.2f}x" if bm else "-"), ("meta" if g[3] == 0 else str(g[3]))


def main(d):
    rows = list(csv.DictReader(open(f"{d}/results.csv")))
    tp = defaultdict(list)
    loss = defaultdict(list)
    counts = {}
    search = {}
    for r in rows:
        key = (r["kernel"], r["placement"], int(r["size"]), int(r["range"]))
        if r["pass"] == "throughput" and int(r["rep"]) >= 1:
            tp[key + (r["config"],)].append(float(r["verdicted_pps"]))
            loss[key + (r["config"],)].append(float(r["loss_pct"]))
        elif r["pass"] == "counts":
            counts[key + (r["config"],)] = r
        elif r["pass"] == "search":
            search[key + (r["config"],)] = r
    out = []
    plot = []
    out.append("| kernel | placement | size | copy | configuration | verdicted pps, median (min-max) | vs stock | n |")
    out.append("|---|---|---|---|---|---|---|---|")
    groups = sorted({k[:4] for k in tp})
    for g in groups:
        for c, v, m, ratio, rng in medians(tp, g, CONFIGS, "stock-mnl"):
            out.append(f"| {g[0]} | {g[1]} | {g[2]} B | {rng} | {LABEL[c]} | {fmt(m)} ({fmt(min(v))}-{fmt(max(v))}) | {ratio} | {len(v)} |")
            plot.append(f'{g[0]}-{g[1]}-{g[2]}B "{c}" {m:.0f} {min(v):.0f} {max(v):.0f}')
    dgroups = [g for g in groups if any(g + (c,) in tp for c in DAEMON)]
    if dgroups:
        out.append("")
        out.append("nfqringd, 1,000 rules (bench/rulegen.py), the rulegen corpus replayed by udp_replay "
                   "(verdicted: accepted as counted after the queue plus nfqringd's drops):")
        out.append("")
        out.append("| kernel | placement | copy | configuration | verdicted pps, median (min-max) | vs nl-stock | loss % (median) | n |")
        out.append("|---|---|---|---|---|---|---|---|")
    for g in dgroups:
        for c, v, m, ratio, rng in medians(tp, g, DAEMON, "nfqringd-nl-stock"):
            out.append(f"| {g[0]} | {g[1]} | {rng} | {LABEL[c]} | {fmt(m)} ({fmt(min(v))}-{fmt(max(v))}) | "
                       f"{ratio} | {statistics.median(loss[g + (c,)]):.2f} | {len(v)} |")
            plot.append(f'{g[0]}-{g[1]}-nfqringd "{c}" {m:.0f} {min(v):.0f} {max(v):.0f}')
    if search:
        out.append("")
        out.append("Loss-free rate: the highest offered rate with at most 0.1 % loss (bisection on the "
                   "sender's rate, short windows; 0: no step passed); nfqringd against nfqringd-nl-stock, "
                   "the others against stock-mnl:")
        out.append("")
        out.append("| kernel | placement | size | copy | configuration | loss-free pps | vs stock (nl-stock) | loss % there | steps |")
        out.append("|---|---|---|---|---|---|---|---|---|")
    for g in sorted({k[:4] for k in search}, key=lambda g: (g[0], g[1], g[2] == 0, g[2], g[3])):
        for c in CONFIGS + DAEMON:
            r = search.get(g + (c,))
            if not r:
                continue
            v = float(r["offered_pps"])
            b = search.get(g + (BASE[c],))
            bv = float(b["offered_pps"]) if b else 0
            ratio = f"{v/bv:.2f}x" if bv else "-"
            rng = "meta" if g[3] == 0 else str(g[3])
            size = "corpus" if g[2] == 0 else f"{g[2]} B"
            out.append(f"| {g[0]} | {g[1]} | {size} | {rng} | {LABEL[c]} | {fmt(v)} | {ratio} | "
                       f"{r['loss_pct']} | {r['rep']} |")
    out.append("")
    out.append("Per packet, at a fixed offered rate (counts pass; the consumer only):")
    out.append("")
    out.append("| kernel | placement | size | configuration | system calls | wake-ups | context switches | mean batch | batches 1/2-3/4-7/.../128+ | busy us (both vCPUs) |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for k in sorted(counts):
        r = counts[k]
        if r["config"] == "none":
            continue
        out.append(f"| {k[0]} | {k[1]} | {k[2]} B | {LABEL[r['config']]} | {r['syscalls_per_pkt']} | "
                   f"{r['wakeups_per_pkt']} | {r['cswitch_per_pkt']} | {r['mean_batch']} | "
                   f"{r.get('batch_hist') or '-'} | {r['busy_us_per_pkt']} |")
    lat = f"{d}/latency.csv"
    if os.path.exists(lat):
        lrows = list(csv.DictReader(open(lat)))
        base = {(r["kernel"], r["placement"], r["size"]): r for r in lrows if r["config"] == "none"}
        out.append("")
        out.append("Latency, pktgen's send time to the receiving socket (us), at a fixed rate; "
                   "'added' is the median minus the no-queue median:")
        out.append("")
        out.append("| kernel | placement | size | rate | configuration | p50 | p90 | p99 | p99.9 | max | added p50 | added p99 | lost |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in lrows:
            b = base.get((r["kernel"], r["placement"], r["size"]))
            def added(f):
                try:
                    return str(int(r[f]) - int(b[f])) if b else "-"
                except ValueError:
                    return "-"
            out.append(f"| {r['kernel']} | {r['placement']} | {r['size']} B | {r['rate']} | {LABEL.get(r['config'], r['config'])} | "
                       f"{r['p50_us']} | {r['p90_us']} | {r['p99_us']} | {r['p999_us']} | {r['max_us']} | "
                       f"{added('p50_us')} | {added('p99_us')} | {r['lost']} |")
    open(f"{d}/summary.md", "w").write("\n".join(out) + "\n")
    open(f"{d}/plot.dat", "w").write("\n".join(plot) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
