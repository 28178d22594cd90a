#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/report.py RESULTS_DIR: the benchmark's CSVs -> summary.md, plot data
and a gnuplot script (plots.gp: one PNG of ratios and one of rates per
kernel and placement).

Throughput rows: repetition 0 is the warm-up and is dropped; the rest give
median (min-max) verdicted packets per second per kernel, placement, traffic
case (family, size, copy range) and configuration, with the ratio of medians
against the stock backend of the same run.  The A/A pair (stock-mnl against
stock-mnl-aa) shows the noise floor.  Search rows give the loss-free rate
(the highest offered rate with at most 0.1 % loss).  The counts pass gives,
per packet at a fixed rate, the consumer's system calls, wake-ups and
context switches, kernel allocations (system-wide) and busy time per vCPU.
nfqringd rows (size 0, family "mix": the rulegen corpus) are compared with
nfqringd-nl-stock.  tcp.csv and latency.csv get tables of their own.  The
correctness figures of every row (queue empty afterwards, every packet
counted or dropped where we look, consumer errors) are summed up, and the
issue's bars are checked against the medians.
"""
import csv
import os
import statistics
import sys
from collections import defaultdict

CONFIGS = ["none", "stock-mnl", "nfqring-mnl", "nfqring-ring", "nfqring-ring-spin", "stock-mnl-aa"]
DAEMON = ["nfqringd-ring", "nfqringd-nl-stock"]
MAX_LOSS = 0.1      # percent: the loss-free bound, guest.sh's max_loss
LABEL = {
    "none": "no queue (accept)",
    "stock-mnl": "stock nfnetlink_queue, libmnl client",
    "nfqring-mnl": "nfqring netlink, same client",
    "nfqring-ring": "nfqring rings, libnfqring",
    "nfqring-ring-spin": "nfqring rings, 50 us busy poll",
    "stock-mnl-aa": "stock again (A/A)",
    "nfqringd-ring": "nfqringd, nfqring rings",
    "nfqringd-nl-stock": "nfqringd, stock netlink",
}
BASE = {c: "stock-mnl" for c in CONFIGS}
BASE.update({c: "nfqringd-nl-stock" for c in DAEMON})


def fmt(x):
    return f"{x/1000:.1f}k"


def case_name(fam, size, rng):
    """The traffic case in words: 'IPv4 64 B full', 'corpus' for the daemon."""
    if fam == "mix":
        return "corpus"
    copy = "meta" if rng == 0 else ("full" if rng >= 65531 else f"{rng} B")
    return f"IPv{fam} {size} B {copy}"


def med(v):
    return statistics.median(v) if v else None


def read(path):
    return list(csv.DictReader(open(path))) if os.path.exists(path) else []


def main(d):
    rows = read(f"{d}/results.csv")
    tp = defaultdict(list)      # (kernel, placement, family, size, range, config) -> pps
    loss = defaultdict(list)
    offered = defaultdict(list)
    counts, search = {}, {}
    bad = []
    for r in rows:
        key = (r["kernel"], r["placement"], r["family"], int(r["size"]), int(r["range"]), r["config"])
        if r["pass"] == "throughput" and int(r["rep"]) >= 1:
            tp[key].append(float(r["verdicted_pps"]))
            loss[key].append(float(r["loss_pct"]))
            offered[key].append(float(r["offered_pps"]))
        elif r["pass"] == "counts":
            counts[key] = r
        elif r["pass"] == "search":
            search[key] = r
        if r["pass"] in ("throughput", "counts", "search", "search-step", "two-queues"):
            for f in ("queue_total_after", "errors", "unaccounted"):
                if (r.get(f) or "0") not in ("0", ""):
                    bad.append(f"{key}: {r['pass']} rep {r['rep']}: {f} = {r[f]}")
    # no search row (a run cut short) but nothing lost at saturation: the
    # loss-free rate is the saturation's offered rate, as guest.sh decides
    for key, v in loss.items():
        if key not in search and med(v) <= MAX_LOSS:
            search[key] = {"offered_pps": str(med(offered[key])), "rep": "0"}
    groups = sorted({k[:5] for k in list(tp) + list(search)},
                    key=lambda g: (g[0], g[1], g[2] == "mix", g[2], g[3], -g[4]))
    out, ratios = [], defaultdict(dict)
    out.append("Saturation (the sender as fast as it can: verdicted packets per second, median "
               "(min-max) of the repetitions) and the loss-free rate (the highest offered rate with "
               "at most 0.1 % loss, found by bisection; '(s)': no loss at saturation, so the "
               "sender's own limit, the saturation's offered rate); ratios are of medians against "
               "the stock backend (nfqringd: against itself on the stock module's netlink) in the "
               "same run.")
    out.append("")
    out.append("| kernel | placement | traffic | configuration | saturation pps | vs stock | loss-free pps | vs stock | n |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    plot = defaultdict(list)    # (kernel, placement) -> rows of the rate plot
    for g in groups:
        for c in CONFIGS + DAEMON:
            v, s = tp.get(g + (c,)), search.get(g + (c,))
            if not v and not s:
                continue
            b = tp.get(g + (BASE[c],))
            sat = f"{fmt(med(v))} ({fmt(min(v))}-{fmt(max(v))})" if v else "-"
            sr = f"{med(v)/med(b):.2f}x" if v and b else "-"
            lf, lr = "-", "-"
            if s:
                bs = search.get(g + (BASE[c],))
                # steps 0: no loss at saturation, the sender's limit
                lf = fmt(float(s["offered_pps"])) + (" (s)" if s["rep"] == "0" else "")
                if bs and float(bs["offered_pps"]) > 0:
                    x = float(s["offered_pps"]) / float(bs["offered_pps"])
                    lr = f"{x:.2f}x"
                    ratios[g][c] = x
            out.append(f"| {g[0]} | {g[1]} | {case_name(*g[2:5])} | {LABEL[c]} | {sat} | {sr} | "
                       f"{lf} | {lr} | {len(v) if v else 0} |")
            if v:
                plot[g[:2]].append((case_name(*g[2:5]), c, med(v), min(v), max(v)))
    if counts:
        out.append("")
        out.append(f"Per packet at a fixed offered rate every configuration sustains (the counts "
                   f"pass): the consumer's system calls, wake-ups and context switches (ftrace), "
                   f"kernel allocations system-wide (kmalloc + kmem_cache_alloc; pktgen's own are "
                   f"in the 'no queue' row), busy time per vCPU (CPU 0: pktgen and, split, the "
                   f"receive path; CPU 1: the consumer), mean batch and batch sizes "
                   f"1/2-3/4-7/.../128+:")
        out.append("")
        out.append("| kernel | placement | traffic | configuration | rate pps | syscalls | wake-ups | cswitches | allocs | busy us CPU0 | busy us CPU1 | mean batch | batches |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for k in sorted(counts, key=lambda k: (k[0], k[1], k[2], k[3], -k[4], CONFIGS.index(k[5]))):
            r = counts[k]
            q = r["config"] != "none"
            out.append(f"| {k[0]} | {k[1]} | {case_name(*k[2:5])} | {LABEL[r['config']]} | "
                       f"{fmt(float(r['verdicted_pps']))} | "
                       f"{r['syscalls_per_pkt'] if q else '-'} | {r['wakeups_per_pkt'] if q else '-'} | "
                       f"{r['cswitch_per_pkt'] if q else '-'} | {r.get('allocs_per_pkt') or '-'} | "
                       f"{r.get('busy0_us_per_pkt') or '-'} | {r.get('busy1_us_per_pkt') or '-'} | "
                       f"{r['mean_batch'] if q else '-'} | {(r.get('batch_hist') or '-') if q else '-'} |")
    twoq = [r for r in rows if r["pass"] == "two-queues"]
    if twoq:
        out.append("")
        out.append("Two queues (a functional check, not a scaling claim): `queue num 0-1` spreads "
                   "flows by hash, one consumer per queue, one on each vCPU, at a fixed rate:")
        out.append("")
        for r in twoq:
            q = (r["batch_hist"] or "0:0").split(":")
            ok = r["errors"] in ("0", "") and all(int(x) > 0 for x in q)
            out.append(f"- {r['kernel']}, {r['placement']}, {LABEL[r['config']]}: queue 0 took {q[0]}, "
                       f"queue 1 {q[1]}, the counting chain saw {r['packets']}: "
                       f"{'ok' if ok else 'FAILED'}")
    tcp = read(f"{d}/tcp.csv")
    if tcp:
        t = defaultdict(list)
        for r in tcp:
            t[(r["kernel"], r["placement"], r["config"], r["gso"])].append(r)
            if r["queue_total_after"] not in ("0", "") or r["errors"] not in ("0", ""):
                bad.append(f"tcp {r['config']} gso {r['gso']} rep {r['rep']}: queue "
                           f"{r['queue_total_after']}, errors {r['errors']}")
        out.append("")
        out.append("TCP bulk (iperf3 through the queue, gen on CPU 0 to dut on CPU 1), with "
                   "NFQA_CFG_F_GSO off (the kernel segments before queueing) and on (the consumer "
                   "gets whole GSO packets, and nfq_sink's ring frames are sized for 64 KiB; "
                   "COPY fallbacks: packets that did not fit a frame); medians of the repetitions:")
        out.append("")
        out.append("| kernel | placement | configuration | F_GSO | goodput Mbit/s (min-max) | busy us/MB CPU0 | busy us/MB CPU1 | packets seen | bytes/packet | COPY fallbacks | retransmits | n |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for k in sorted(t, key=lambda k: (k[0], k[1], CONFIGS.index(k[2]), k[3])):
            rs = t[k]
            m = lambda f: med([float(r[f]) for r in rs])
            gp = [float(r["goodput_mbps"]) for r in rs]
            q = k[2] != "none"
            out.append(f"| {k[0]} | {k[1]} | {LABEL[k[2]]} | {k[3] if q else '-'} | "
                       f"{med(gp):.0f} ({min(gp):.0f}-{max(gp):.0f}) | {m('busy0_us_per_mb'):.0f} | "
                       f"{m('busy1_us_per_mb'):.0f} | {m('packets'):.0f} | "
                       f"{m('bytes_per_pkt'):.0f} | {m('copies'):.0f} | {m('retransmits'):.0f} | {len(rs)} |")
    lrows = read(f"{d}/latency.csv")
    if lrows:
        base = {(r["kernel"], r["placement"], r["size"]): r for r in lrows if r["config"] == "none"}
        out.append("")
        out.append("Latency, pktgen's send time to the receiving socket (us), at a fixed rate; "
                   "'added' is the figure minus the no-queue one:")
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
            out.append(f"| {r['kernel']} | {r['placement']} | {r['size']} B | {r['rate']} | "
                       f"{LABEL.get(r['config'], r['config'])} | {r['p50_us']} | {r['p90_us']} | "
                       f"{r['p99_us']} | {r['p999_us']} | {r['max_us']} | {added('p50_us')} | "
                       f"{added('p99_us')} | {r['lost']} |")
    out.append("")
    out += bars(ratios, counts)
    out.append("")
    if bad:
        out.append(f"Correctness: {len(bad)} problem(s):")
        out += [f"- {b}" for b in bad]
    else:
        n = len(rows) + len(tcp)
        out.append(f"Correctness: all {n} rows clean: every queue empty afterwards, every packet "
                   f"sent counted after the queue or dropped where it is counted (receive backlog, "
                   f"queue full, failed delivery), no consumer errors.")
    open(f"{d}/summary.md", "w").write("\n".join(out) + "\n")
    plots(d, plot, ratios)
    print("\n".join(out))
    return 1 if bad else 0


def bars(ratios, counts):
    """The issue's bars, on the loss-free rates of this run."""
    out = ["The bars (loss-free rate, ratio of this run's figures):", ""]
    for g in sorted(ratios):
        name = case_name(*g[2:5])
        for cfg, want, what in (("nfqring-ring", 1.5, "IPv4 64 B full"),
                                ("nfqring-ring-spin", 1.5, "IPv4 64 B full"),
                                ("nfqring-ring", 1.3, "IPv4 1500 B full"),
                                ("nfqring-ring-spin", 1.3, "IPv4 1500 B full"),
                                ("nfqringd-ring", 1.5, "corpus")):
            if name != what or cfg not in ratios[g]:
                continue
            x = ratios[g][cfg]
            out.append(f"- {g[0]}, {g[1]}, {name}: {LABEL[cfg]} {x:.2f}x the stock backend "
                       f"(bar {want}x): {'met' if x >= want else 'not met'}")
    for k, r in sorted(counts.items()):
        if k[5] not in ("nfqring-ring", "nfqring-ring-spin") or case_name(*k[2:5]) != "IPv4 64 B full":
            continue
        s = counts.get(k[:5] + ("stock-mnl",))
        if s:
            out.append(f"- {k[0]}, {k[1]}, {LABEL[k[5]]}, per packet at {fmt(float(r['verdicted_pps']))} pps: "
                       f"system calls {r['syscalls_per_pkt']} (stock {s['syscalls_per_pkt']}), "
                       f"wake-ups {r['wakeups_per_pkt']} (stock {s['wakeups_per_pkt']})")
    return out


def plots(d, plot, ratios):
    """Per kernel and placement: the loss-free ratio to stock per traffic case
    (clustered by configuration) and the saturation rates with min-max."""
    gp = ["set terminal pngcairo size 1000,500 font ',10'",
          "set style fill solid 0.7 border -1", "set key outside right top", "set yrange [0:*]",
          "set grid ytics", "set xtics rotate by -25"]
    for kp in sorted({g[:2] for g in ratios} | set(plot)):
        tag = f"{kp[0]}-{kp[1]}"
        cols = ["nfqring-mnl", "nfqring-ring", "nfqring-ring-spin", "stock-mnl-aa", "nfqringd-ring"]
        rs = [(g, ratios[g]) for g in sorted(ratios, key=lambda g: (g[2] == "mix", g[2], g[3], -g[4]))
              if g[:2] == kp]
        if rs:
            with open(f"{d}/ratios-{tag}.dat", "w") as f:
                f.write("case " + " ".join(cols) + "\n")
                for g, r in rs:
                    f.write(f'"{case_name(*g[2:5])}" ' + " ".join(f"{r.get(c, 0):.3f}" for c in cols) + "\n")
            # reference lines as arrows: functions would stretch the x range
            gp += [f"set output '{d}/ratios-{tag}.png'",
                   "set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb 'black'",
                   "set arrow 2 from graph 0, first 1.5 to graph 1, first 1.5 nohead lc rgb 'red' dt 2",
                   f"set title 'loss-free rate / the stock backend, {kp[0]}, {kp[1]} (nfqringd: / itself on stock netlink)'",
                   "set style data histograms", "set style histogram clustered gap 1",
                   f"plot '{d}/ratios-{tag}.dat' using 2:xtic(1) title 'nfqring netlink', "
                   "'' using 3 title 'nfqring rings', '' using 4 title 'rings, busy poll', "
                   "'' using 5 title 'stock A/A', '' using 6 title 'nfqringd rings (red: the 1.5x bar)'",
                   "unset arrow 1", "unset arrow 2"]
        ps = plot.get(kp)
        if ps:
            with open(f"{d}/rates-{tag}.dat", "w") as f:
                for i, (case, c, m, lo, hi) in enumerate(ps):
                    f.write(f'{i} "{case}: {c}" {m:.0f} {lo:.0f} {hi:.0f}\n')
            gp += [f"set output '{d}/rates-{tag}.png'",
                   f"set title 'verdicted packets/s at saturation, {kp[0]}, {kp[1]} (median, min-max)'",
                   "set style data boxes", "set boxwidth 0.7", "set xtics rotate by -60 font ',7'",
                   f"plot '{d}/rates-{tag}.dat' using 1:3:xtic(2) with boxes notitle, "
                   "'' using 1:3:4:5 with yerrorbars lc rgb 'black' pt 0 notitle",
                   "set xtics rotate by -25 font ',10'"]
    open(f"{d}/plots.gp", "w").write("\n".join(gp) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
