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
nfqringd-nl-stock, the DAQ pass' rows (Snort's libdaq 2 modules through
bench/daq_sink) with daq-nfq-stock, Debian's daq_nfq on the stock module.  tcp.csv and latency.csv get tables of their own.  The
instruction pass (vm-*/data/insn.csv of the boots with the insn_count
plugin, bench/insn/) gives instructions per packet per vCPU, kernel and
user, without spin-waiting, the agreement of repeated runs, and the
enqueue CPU's kernel instructions per function (the window files and the
guest's kallsyms beside insn.csv).  The correctness figures of every row
(queue empty afterwards, every packet counted or dropped where we look,
consumer errors; in the instruction pass also every packet back) are
summed up, and the issue's bars are checked against the medians.
"""
import csv
import functools
import glob
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "insn"))
import insn_funcs  # noqa: E402  (bench/insn/insn_funcs.py)

CONFIGS = ["none", "stock-mnl", "nfqring-mnl", "nfqring-ring", "nfqring-ring-v1",
           "nfqring-ring-spin", "stock-mnl-aa"]
DAEMON = ["nfqringd-ring", "nfqringd-nl-stock"]
DAQ = ["daq-nfq-stock", "daq-nfq-nfqring", "daq-nfqring-ring"]
ORDER = CONFIGS + DAEMON + DAQ
MAX_LOSS = 0.1      # percent: the loss-free bound, guest.sh's max_loss
INSN_CPUS = {"split": (0, 1), "rps": (1, 1)}    # placement: (enqueue CPU, consumer CPU)
INSN_AGREE = 2.0    # percent: two runs of a configuration must agree this well
INSN_BARS = (0.8, 0.5)  # rings / stock: enqueue CPU, consumer CPU (split)
INSN_TOP = 20       # functions in the per-function table
LABEL = {
    "none": "no queue (accept)",
    "stock-mnl": "stock nfnetlink_queue, libmnl client",
    "nfqring-mnl": "nfqring netlink, same client",
    "nfqring-ring": "nfqring rings, libnfqring",
    "nfqring-ring-v1": "nfqring rings, ABI version 1",
    "nfqring-ring-spin": "nfqring rings, 50 us busy poll",
    "stock-mnl-aa": "stock again (A/A)",
    "nfqringd-ring": "nfqringd, nfqring rings",
    "nfqringd-nl-stock": "nfqringd, stock netlink",
    "daq-nfq-stock": "DAQ: daq_nfq, stock netlink",
    "daq-nfq-nfqring": "DAQ: daq_nfq, nfqring netlink",
    "daq-nfqring-ring": "DAQ: daq_nfqring, nfqring rings",
}
BASE = {c: "stock-mnl" for c in CONFIGS}
BASE.update({c: "nfqringd-nl-stock" for c in DAEMON})
BASE.update({c: "daq-nfq-stock" for c in DAQ})


def fmt(x):
    return f"{x/1000:.1f}k"


def case_name(fam, size, rng):
    """The traffic case in words: 'IPv4 64 B full', 'corpus' for the daemon."""
    if fam == "mix":
        return "corpus"
    copy = "meta" if rng == 0 else ("full" if rng >= 65531 else f"{rng} B")
    return f"IPv{fam} {size} B {copy}"


def insn_case(g):
    """An instruction-pass group's traffic: the case, its bursts, its sender
    when it is not the packet socket (pktgen's cost), and where the closed
    loop receives when it is on CPU 0 (senders raw, udp; raw+rx2, udp+rx2:
    on a vCPU of its own, not counted)."""
    burst, sender = g[5], g[6]
    kind, apart = sender.split("+")[0], "+" in sender
    return (case_name(*g[2:5]) + (f", bursts of {burst}" if burst > 1 else "") +
            ("" if kind == "raw" else f", {kind.upper()} socket sender") +
            ("" if apart else ", receiver on CPU 0"))


def med(v):
    return statistics.median(v) if v else None


def read(path):
    return list(csv.DictReader(open(path))) if os.path.exists(path) else []


LAT_FIGURES = ("p50_us", "p90_us", "p99_us", "p999_us", "max_us")


def latency_medians(lrows):
    """latency.csv's windows per kernel, placement, size, rate and
    configuration (first seen first): each figure's median over the windows
    (None if no window has a number), the p99's min and max, the packets
    lost in all of them and the number of windows, n."""
    groups = defaultdict(list)
    for r in lrows:
        groups[(r["kernel"], r["placement"], r["size"], r["rate"], r["config"])].append(r)
    out = []
    for k, rs in groups.items():
        v = {f: [int(r[f]) for r in rs if (r.get(f) or "").isdigit()]
             for f in LAT_FIGURES + ("lost",)}
        m = dict(zip(("kernel", "placement", "size", "rate", "config"), k), n=len(rs),
                 lost=sum(v["lost"]), p99_min=min(v["p99_us"], default=None),
                 p99_max=max(v["p99_us"], default=None))
        m.update((f, med(v[f])) for f in LAT_FIGURES)
        out.append(m)
    return out


WAIT_DELAY = {}    # nfqring-ring-w... -> its max_delay_us (0: the default)


def wait_configs(rows):
    """nfqring-ring-wSPIN-NR-DELAY[-BATCH[-IDLE]] (guest.sh: the rings with other
    wait parameters, when BENCH_CONFIGS names them): labelled, measured
    against stock, placed after the rings' own configurations."""
    for c in sorted({r["config"] for r in rows} - set(ORDER)):
        f = c[len("nfqring-ring-w"):].split("-") if c.startswith("nfqring-ring-w") else []
        if len(f) not in (3, 4, 5):
            continue
        def v(x, unit, none=None):
            return "default" if x == "0" else none if none and x == str(2**32 - 1) else x + unit
        LABEL[c] = (f"nfqring rings, spin {v(f[0], ' us', 'none')}, wake_nr {v(f[1], '')}, "
                    f"max_delay {v(f[2], ' us')}"
                    + (f", batch {v(f[3], '')}" if len(f) >= 4 else "")
                    + (f", idle {v(f[4], ' us', 'off')}" if len(f) == 5 else ""))
        BASE[c] = "stock-mnl"
        WAIT_DELAY[c] = int(f[2])
        ORDER.insert(ORDER.index("stock-mnl-aa"), c)


def guest_time_configs(rows):
    """nfqring-ring-gtS (the instruction pass, BENCH_INSN_TIME_SCALE, or
    BENCH_CONFIGS in the main passes): the rings with the default wait,
    its timers S times longer; placed after the rings in every table."""
    for c in sorted({r["config"] for r in rows} - set(ORDER)):
        s = c[len("nfqring-ring-gt"):] if c.startswith("nfqring-ring-gt") else ""
        if not s.isdigit():
            continue
        LABEL[c] = f"nfqring rings, libnfqring, timers x{s} (guest time)"
        BASE[c] = "stock-mnl"
        # its max_delay_us for the latency bar: nfq_sink's, clamped as the kernel does
        WAIT_DELAY[c] = min((default_delay_us() or 0) * int(s), 100000)
        CONFIGS.insert(CONFIGS.index("nfqring-ring") + 1, c)
        ORDER.insert(ORDER.index("nfqring-ring") + 1, c)


def main(d):
    rows = read(f"{d}/results.csv")
    # every row that names a configuration, for those named by their parameters
    named = (rows + read(f"{d}/latency.csv")
             + [r for f in glob.glob(f"{d}/vm-*/data/insn.csv") for r in read(f)])
    guest_time_configs(named)
    wait_configs(named)
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
    plot = defaultdict(list)    # (kernel, placement) -> rows of the rate plot
    if groups:
        saturation_table(groups, tp, search, ratios, plot, out)
        out += daq_lines(groups, search)
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
        for k in sorted(counts, key=lambda k: (k[0], k[1], k[2], k[3], -k[4], ORDER.index(k[5]))):
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
        for k in sorted(t, key=lambda k: (k[0], k[1], ORDER.index(k[2]), k[3])):
            rs = t[k]
            m = lambda f: med([float(r[f]) for r in rs])
            gp = [float(r["goodput_mbps"]) for r in rs]
            q = k[2] != "none"
            out.append(f"| {k[0]} | {k[1]} | {LABEL[k[2]]} | {k[3] if q else '-'} | "
                       f"{med(gp):.0f} ({min(gp):.0f}-{max(gp):.0f}) | {m('busy0_us_per_mb'):.0f} | "
                       f"{m('busy1_us_per_mb'):.0f} | {m('packets'):.0f} | "
                       f"{m('bytes_per_pkt'):.0f} | {m('copies'):.0f} | {m('retransmits'):.0f} | {len(rs)} |")
    lrows = latency_medians(read(f"{d}/latency.csv"))
    if lrows:
        base = {(r["kernel"], r["placement"], r["size"]): r for r in lrows if r["config"] == "none"}
        out.append("")
        out.append("Latency, pktgen's send time to the receiving socket (us), at a fixed rate: "
                   "medians of the windows (n), the p99's min-max; 'added' is the median minus "
                   "the no-queue one; lost: in all windows together:")
        out.append("")
        out.append("| kernel | placement | size | rate | configuration | p50 | p90 | p99 | p99 min-max | "
                   "p99.9 | max | added p50 | added p99 | lost | n |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in lrows:
            b = base.get((r["kernel"], r["placement"], r["size"]))

            def fig(v):
                return "-" if v is None else f"{v:.0f}"

            def added(f):
                return fig(r[f] - b[f]) if b and r[f] is not None and b[f] is not None else "-"
            out.append(f"| {r['kernel']} | {r['placement']} | {r['size']} B | {r['rate']} | "
                       f"{LABEL.get(r['config'], r['config'])} | {fig(r['p50_us'])} | "
                       f"{fig(r['p90_us'])} | {fig(r['p99_us'])} | "
                       f"{fig(r['p99_min'])}-{fig(r['p99_max'])} | {fig(r['p999_us'])} | "
                       f"{fig(r['max_us'])} | {added('p50_us')} | {added('p99_us')} | {r['lost']} | "
                       f"{r['n']} |")
    iout, ibars, irows, iplot = insn_report(d, bad)
    out += iout
    out.append("")
    out += bars(ratios, counts, lrows) + ibars
    out.append("")
    if bad:
        out.append(f"Correctness: {len(bad)} problem(s):")
        out += [f"- {b}" for b in bad]
    else:
        n = len(rows) + len(tcp) + irows
        out.append(f"Correctness: all {n} rows clean: every queue empty afterwards, every packet "
                   f"sent counted after the queue or dropped where it is counted (receive backlog, "
                   f"queue full, failed delivery), no consumer errors.")
    open(f"{d}/summary.md", "w").write("\n".join(out) + "\n")
    plots(d, plot, ratios, iplot)
    print("\n".join(out))
    return 1 if bad else 0


def saturation_table(groups, tp, search, ratios, plot, out):
    """The saturation and loss-free table: into out, ratios and plot."""
    out.append("Saturation (the sender as fast as it can: verdicted packets per second, median "
               "(min-max) of the repetitions) and the loss-free rate (the highest offered rate with "
               "at most 0.1 % loss, found by bisection; '(s)': no loss at saturation, so the "
               "sender's own limit, the saturation's offered rate); ratios are of medians against "
               "the stock backend (nfqringd: against itself on the stock module's netlink; DAQ: "
               "against Debian's daq_nfq on the stock module) in the same run.")
    out.append("")
    out.append("| kernel | placement | traffic | configuration | saturation pps | vs stock | loss-free pps | vs stock | n |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for g in groups:
        for c in ORDER:
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


def daq_lines(groups, search):
    """The DAQ pass in words: per traffic case, the loss-free rate of each
    DAQ configuration against daq_nfq on the stock module, and what the DAQ
    costs against the best client on the same backend."""
    out = []
    for g in groups:
        base = search.get(g + ("daq-nfq-stock",))
        if not base or float(base["offered_pps"]) <= 0:
            continue
        b = float(base["offered_pps"])
        for c, ref in (("daq-nfqring-ring", "nfqring-ring"), ("daq-nfq-nfqring", "nfqring-mnl")):
            s = search.get(g + (c,))
            if not s:
                continue
            x = float(s["offered_pps"])
            r = search.get(g + (ref,))
            alone = (f"; {x / float(r['offered_pps']):.2f}x the bench's own client ({ref})"
                     if r and float(r["offered_pps"]) > 0 else "")
            out.append(f"- {g[0]}, {g[1]}, {case_name(*g[2:5])}: {LABEL[c]} {fmt(x)} pps loss-free, "
                       f"{x / b:.2f}x daq_nfq on the stock backend ({fmt(b)}){alone}")
        m = search.get(g + ("stock-mnl",))
        if m and float(m["offered_pps"]) > 0:
            out.append(f"- {g[0]}, {g[1]}, {case_name(*g[2:5])}: {LABEL['daq-nfq-stock']} "
                       f"{b / float(m['offered_pps']):.2f}x the bench's own client (stock-mnl)")
    if out:
        out = ["", "The DAQ pass (Snort 2.9's libdaq 2; the same driver, bench/daq_sink, with a "
               "callback that passes every packet, for each module), loss-free rates:", ""] + out
    return out


INSN_FIELDS = ("cpu0_kernel", "cpu0_user", "cpu1_kernel", "cpu1_user",
               "cpu0_kernel_spin", "cpu0_user_spin", "cpu1_kernel_spin", "cpu1_user_spin")


TICK_FUNCS = ("tick_sched_timer", "tick_nohz_handler")   # the tick's hrtimer callback (6.1, 6.12)


@functools.lru_cache(maxsize=None)
def core_symbols(path):
    """A boot's kernel symbols but the modules' (sorted once)."""
    return tuple(insn_funcs.text_symbols(path, modules=False))


def insn_window(r):
    """A window of the row r (insn.csv or insn-busy.csv, with its folder in
    r["_dir"]): (vCPUs, the plugin's per-vCPU figures, its blocks, the
    symbols, the ticks per vCPU: executions of the tick's first block)."""
    nv, cpus, tbs = insn_funcs.read_window(os.path.join(r["_dir"], r["tb_file"]))
    syms = sorted(core_symbols(os.path.join(r["_dir"], r["symbols"])) +
                  tuple(insn_funcs.text_symbols(os.path.join(r["_dir"], r["modules"]))))
    ticks = [0.0] * nv
    at = {a for a, f in syms if f in TICK_FUNCS}
    for a, n, c in tbs:
        if a in at:
            for v in range(nv):
                ticks[v] += c[v] / n
    return nv, cpus, tbs, syms, ticks


def insn_functions_of(r):
    """The window's kernel work (spinning left out) per function and vCPU:
    {function: [per vCPU]}, per packet."""
    nv, _, tbs, syms, _ = insn_window(r)
    n = int(r["packets"])
    return {f: [(c[v] - c[nv + v]) / n for v in range(nv)]
            for f, c in insn_funcs.functions(tbs, syms).items()}


def tick_costs(d):
    """{data folder: {vCPU: kernel instructions per tick of a vCPU busy in
    user space}} from the busy windows (insn-busy.csv)."""
    out = {}
    for f in glob.glob(f"{d}/vm-*/data/insn-busy.csv"):
        for r in read(f):
            r["_dir"] = os.path.dirname(f)
            _, cpus, _, _, ticks = insn_window(r)
            v = int(r["cpu"])
            if ticks[v] >= 10:
                c = cpus[v]
                out.setdefault(r["_dir"], {})[v] = (c["kernel"] - c["kernel_spin"]) / ticks[v]
    return out


def insn_report(d, bad):
    """The instruction pass: its tables, its bars' lines and its row count;
    its correctness problems go to bad."""
    rows = []
    for f in sorted(glob.glob(f"{d}/vm-*/data/insn.csv")):
        for r in read(f):
            r["_dir"] = os.path.dirname(f)
            rows.append(r)
    if not rows:
        return [], [], 0, {}
    cost = tick_costs(d)
    # (kernel, placement, family, size, range, burst, sender, config) -> runs;
    # the pass sent from a UDP socket before it had a sender column
    per = defaultdict(list)
    for r in rows:
        key = (r["kernel"], r["placement"], r["family"], int(r["size"]), int(r["range"]),
               int(r.get("burst") or 1), r.get("sender") or "udp", r["config"])
        n = int(r["packets"])
        for f in ("queue_total_after", "errors", "unaccounted"):
            if (r.get(f) or "0") not in ("0", ""):
                bad.append(f"{key}: instructions rep {r['rep']}: {f} = {r[f]}")
        if r["received"] != r["packets"] or r["counted"] != r["packets"]:
            bad.append(f"{key}: instructions rep {r['rep']}: {r['packets']} sent, "
                       f"{r['received']} back, {r['counted']} counted")
            continue
        x = {f: int(r[f]) / n for f in INSN_FIELDS}
        ticks = insn_window(r)[4]
        for c in (0, 1):
            # work: without spinning, and without the ticks (at what a
            # tick costs a busy vCPU) where the boot measured that cost
            x[f"t{c}"] = ticks[c] / n
            tc = cost.get(r["_dir"], {}).get(c, 0)
            x[f"w{c}kernel"] = x[f"cpu{c}_kernel"] - x[f"cpu{c}_kernel_spin"] - x[f"t{c}"] * tc
            x[f"w{c}user"] = x[f"cpu{c}_user"] - x[f"cpu{c}_user_spin"]
            x[f"w{c}"] = x[f"w{c}kernel"] + x[f"w{c}user"]
            x[f"s{c}"] = x[f"cpu{c}_kernel_spin"] + x[f"cpu{c}_user_spin"]
        x["row"] = r
        per[key].append(x)
    out = ["", "Instructions per packet (the instruction pass: QEMU's insn_count plugin counts "
           "each vCPU's instructions in a window around a fixed number of packets sent one at a "
           "time (or in bursts: a burst sent back to back), each when the one (burst) before "
           "has come through, at a moderate rate; bench/insn/), "
           "medians of the runs, kernel and user mode apart, the time's own instructions left "
           "out: spin-waiting (the turns of wait loops after the first) and the timer ticks of "
           "a busy vCPU (ticks per packet times what a tick costs a vCPU busy in user space, "
           "measured in the same boot), both shown apart.  The enqueue CPU is CPU 0 in `split` "
           "(the sender and the receive path; the closed loop's receiving socket too in rows "
           "'receiver on CPU 0', else on a third vCPU, not counted), CPU 1 in `rps`; the "
           "consumer CPU is CPU 1.  "
           "'agree': the largest difference between the runs of a configuration, on either "
           "CPU that does the packet's work (in `split` without a queue: CPU 0 only), against "
           "their median."]
    for k in sorted(cost):
        out.append(f"A tick costs a busy vCPU {', '.join(f'{c:.0f} (CPU {v})' for v, c in sorted(cost[k].items()))} "
                   f"kernel instructions ({os.path.relpath(k, d)}).")
    missing = sorted({os.path.relpath(r["_dir"], d) for r in rows if r["_dir"] not in cost})
    if missing:
        out.append(f"No busy windows in {', '.join(missing)}: ticks left in there.")
    out += ["", "| kernel | placement | traffic | configuration | CPU 0 kernel | CPU 0 user | "
            "CPU 1 kernel | CPU 1 user | enqueue CPU | vs stock | consumer CPU | vs stock | "
            "spinning CPU 0 / 1 | ticks CPU 0 / 1 | agree | n |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    groups = sorted({k[:7] for k in per},
                    key=lambda g: (g[0], g[1], g[2], g[3], -g[4], g[5], g[6]))
    bars, agree = [], []
    meds, plot = {}, defaultdict(list)
    for g in groups:
        enq, con = INSN_CPUS.get(g[1], (0, 1))
        for c in CONFIGS:
            xs = per.get(g + (c,))
            if xs:
                meds[g + (c,)] = {f: med([x[f] for x in xs]) for f in xs[0] if f != "row"}
        for c in CONFIGS:
            xs = per.get(g + (c,))
            if not xs:
                continue
            m = meds[g + (c,)]
            # on the CPUs that do the packet's work: in split without a
            # queue, CPU 1 has nothing to do with it
            work = (enq,) if c == "none" and g[1] == "split" else (0, 1)
            spread = max([(max(x[f"w{v}"] for x in xs) - min(x[f"w{v}"] for x in xs)) / m[f"w{v}"]
                          for v in work if m[f"w{v}"]] + [0]) * 100
            if len(xs) > 1:
                agree.append((spread, c, g))
            b = meds.get(g + ("stock-mnl",))
            r_enq = f"{m[f'w{enq}'] / b[f'w{enq}']:.2f}x" if b and b[f"w{enq}"] else "-"
            r_con = f"{m[f'w{con}'] / b[f'w{con}']:.2f}x" if b and b[f"w{con}"] else "-"
            out.append(f"| {g[0]} | {g[1]} | {insn_case(g)} | {LABEL[c]} | "
                       f"{m['w0kernel']:.0f} | {m['w0user']:.0f} | {m['w1kernel']:.0f} | "
                       f"{m['w1user']:.0f} | {m[f'w{enq}']:.0f} | {r_enq} | {m[f'w{con}']:.0f} | "
                       f"{r_con} | {m['s0']:.0f} / {m['s1']:.0f} | {m['t0']:.3f} / {m['t1']:.3f} | "
                       f"{f'{spread:.1f} %' if len(xs) > 1 else '-'} | {len(xs)} |")
            plot[g[:2]].append((insn_case(g), c, m[f"w{enq}"], m[f"w{con}"]))
        s = meds.get(g + ("stock-mnl",))
        for rc in ["nfqring-ring"] + [c for c in CONFIGS if c.startswith("nfqring-ring-gt")]:
            r = meds.get(g + (rc,))
            if not (s and r and g[1] == "split" and s[f"w{enq}"] and s[f"w{con}"]):
                continue
            for what, cpu, bar in (("enqueue CPU", enq, INSN_BARS[0]), ("consumer CPU", con, INSN_BARS[1])):
                x = r[f"w{cpu}"] / s[f"w{cpu}"]
                bars.append(f"- {g[0]}, {g[1]}, {insn_case(g)}: {LABEL[rc]}, "
                            f"{what} {r[f'w{cpu}']:.0f} instructions per packet, {x:.2f}x stock's "
                            f"{s[f'w{cpu}']:.0f} (bar {bar}x): {'met' if x <= bar else 'not met'}")
        a = meds.get(g + ("stock-mnl-aa",))
        if s and a:
            d0, d1 = (abs(a[f"w{v}"] - s[f"w{v}"]) / s[f"w{v}"] * 100 if s[f"w{v}"] else 0
                      for v in (0, 1))
            agree.append((max(d0, d1), "stock-mnl-aa", g))
            bars.append(f"- {g[0]}, {g[1]}, {insn_case(g)}: instructions per packet, stock "
                        f"against stock again (A/A): CPU 0 {d0:.1f} %, CPU 1 {d1:.1f} % apart")
    if agree:
        worst = max(agree)
        bars.append(f"- instructions per packet: two runs of one configuration agree within "
                    f"{worst[0]:.1f} % (worst: {LABEL[worst[1]]}, {worst[2][0]}, "
                    f"{insn_case(worst[2])}; bar {INSN_AGREE:.0f} %): "
                    f"{'met' if worst[0] <= INSN_AGREE else 'not met'}")
    out += insn_wakeups(groups, per)
    out += insn_functions(groups, per)
    return out, bars, len(rows), plot


def insn_wakeups(groups, per):
    """Why the kernel woke the rings' consumer (insn.csv's kernel_wakeups,
    PACKETS:ALL:WAKE_NR:WATERMARK:TIMER:IDLE of the consumer's whole run):
    wake-ups a burst, medians of the runs."""
    lines = []
    for g in groups:
        for c in CONFIGS:
            ws = [[int(v) for v in x["row"]["kernel_wakeups"].split(":")]
                  for x in per.get(g + (c,), []) if x["row"].get("kernel_wakeups")]
            ws = [w for w in ws if len(w) == 6 and w[0]]
            if not ws:
                continue
            a = [med([w[i] * g[5] / w[0] for w in ws]) for i in range(1, 6)]
            lines.append(f"- {g[0]}, {g[1]}, {insn_case(g)}: {LABEL[c]}: {a[0]:.2f} (wake_nr "
                         f"{a[1]:.2f}, watermark {a[2]:.2f}, timer {a[3]:.2f}, idle {a[4]:.2f})")
    if not lines:
        return []
    return ["", "Why the kernel woke the rings' consumer: wake-ups a burst by reason "
            "(NFQRING_GET_WAKE_STATS over the consumer's whole run, warm-up included; medians "
            "of the runs; a queue filled up or an acknowledgment counts as the watermark):", ""] + lines


def insn_functions(groups, per):
    """Where the kernel instructions go on the enqueue CPU and, where it is
    another, on the consumer's: per function, stock against the rings (and
    no queue, version 1), medians of the runs."""
    out = []
    shown = ("none", "stock-mnl", "nfqring-ring", "nfqring-ring-v1")
    for g in groups:
        if not per.get(g + ("stock-mnl",)) or not per.get(g + ("nfqring-ring",)):
            continue
        # each window's blocks mapped to functions once, for both tables
        runs = {c: [insn_functions_of(x["row"]) for x in per[g + (c,)]]
                for c in shown if per.get(g + (c,))}
        enq, con = INSN_CPUS.get(g[1], (0, 1))
        out += insn_functions_on(g, runs, enq, "enqueue")
        if con != enq:
            out += insn_functions_on(g, runs, con, "consumer")
    return out


def insn_functions_on(g, runs, cpu, role):
    """One group's table for vCPU cpu (the role it plays, in the title),
    from runs: {configuration: its windows' per-function figures}."""
    cols = list(runs)
    funcs = {}
    for c in cols:
        names = set().union(*runs[c])
        funcs[c] = {f: med([w.get(f, [0] * (cpu + 1))[cpu] for w in runs[c]]) for f in names}
    names = set().union(*(funcs[c] for c in cols))
    top = sorted(names, key=lambda f: (-max(funcs["stock-mnl"].get(f, 0),
                                            funcs["nfqring-ring"].get(f, 0)), f))[:INSN_TOP]
    out = ["", f"Where the {role} CPU's kernel instructions go ({g[0]}, {g[1]}, "
           f"{insn_case(g)}, CPU {cpu}): per packet and function (the function "
           f"a translation block starts in, by the guest's kallsyms), without spinning "
           f"but with the ticks, the {len(top)} largest of stock or the rings:", "",
           "| function | " + " | ".join(LABEL[c] for c in cols) + " | rings - stock |",
           "|---|" + "---|" * (len(cols) + 1)]
    for f in top + ["(other functions)", "(all functions)"]:
        if f == "(all functions)":
            v = {c: sum(funcs[c].values()) for c in cols}
        elif f == "(other functions)":
            v = {c: sum(x for k, x in funcs[c].items() if k not in top) for c in cols}
        else:
            v = {c: funcs[c].get(f, 0) for c in cols}
        out.append(f"| {f} | " + " | ".join(f"{v[c]:.0f}" for c in cols) +
                   f" | {v['nfqring-ring'] - v['stock-mnl']:+.0f} |")
    # what no backend can save: a bound on how far the rings can get
    st, ri = funcs["stock-mnl"], funcs["nfqring-ring"]
    own = sum(x for k, x in ri.items() if k.endswith(" [nfqring]"))
    both = sum(min(st.get(k, 0), ri.get(k, 0)) for k in set(st) | set(ri))
    total = sum(st.values())
    out += ["", f"nfqring's own functions on CPU {cpu}: {own:.0f} instructions a packet; "
            f"the kernel work both backends do there (per function the smaller of the two): "
            f"{both:.0f}, {both / total if total else 0:.2f}x stock's {total:.0f}."]
    return out


def default_delay_us():
    """NFQRING_WAKE_DELAY_US of the tree the run measured (its module)."""
    h = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "include", "uapi",
                     "linux", "nfqring.h")
    for line in open(h):
        f = line.split()
        if len(f) >= 3 and f[0] == "#define" and f[1] == "NFQRING_WAKE_DELAY_US":
            return int(f[2].rstrip("U"))
    return None


def ring_configs(present, default_delay):
    """The rings at their defaults, and at the wait parameters a run asked
    for (nfqring-ring-w...), with each one's max_delay_us."""
    return [(c, WAIT_DELAY.get(c) or default_delay) for c in present
            if c == "nfqring-ring" or c in WAIT_DELAY]


# Issue 20's bars on the loss-free rate against the stock backend:
# (placement, traffic case) -> bar; nfqringd against itself on stock netlink
RATE_BARS = {("split", "IPv4 64 B full"): 1.6, ("rps", "IPv4 64 B full"): 2.0,
             ("split", "IPv4 1500 B full"): 1.4}
DAEMON_BAR = 1.5
COUNT_BARS = (0.2, 8.0)     # system calls per packet at most, mean batch at least


def bars(ratios, counts, lrows):
    """Issue 20's bars, on this run's figures: loss-free rates, counts per
    packet at the counts rate, added latency (p99 no worse than stock's plus
    max_delay_us)."""
    out = ["The bars (issue 20; ratios of this run's figures: loss-free rates, counts per "
           "packet, latency, instructions per packet):", ""]

    def verdict(ok):
        return "met" if ok else "not met"
    delay = default_delay_us()
    for g in sorted(ratios):
        name = case_name(*g[2:5])
        want = RATE_BARS.get((g[1], name))
        for cfg, _ in ring_configs(ratios[g], delay) if want else ():
            x = ratios[g][cfg]
            out.append(f"- {g[0]}, {g[1]}, {name}: {LABEL[cfg]} {x:.2f}x the stock backend "
                       f"(bar {want}x): {verdict(x >= want)}")
        if name == "corpus" and "nfqringd-ring" in ratios[g]:
            x = ratios[g]["nfqringd-ring"]
            out.append(f"- {g[0]}, {g[1]}, {name}: {LABEL['nfqringd-ring']} {x:.2f}x its stock "
                       f"netlink backend (bar {DAEMON_BAR}x): {verdict(x >= DAEMON_BAR)}")
    for k, r in sorted(counts.items()):
        if case_name(*k[2:5]) != "IPv4 64 B full" or not ring_configs([k[5]], delay):
            continue
        s = counts.get(k[:5] + ("stock-mnl",))
        if not s:
            continue
        sc, wk, mb = (float(r[f]) for f in ("syscalls_per_pkt", "wakeups_per_pkt", "mean_batch"))
        ok = (wk <= float(s["wakeups_per_pkt"]) and sc <= COUNT_BARS[0] and mb >= COUNT_BARS[1])
        out.append(f"- {k[0]}, {k[1]}, {LABEL[k[5]]}, per packet at {fmt(float(r['verdicted_pps']))} pps: "
                   f"system calls {sc:.3f} (bar {COUNT_BARS[0]}), wake-ups {wk:.3f} (bar: stock's, "
                   f"{float(s['wakeups_per_pkt']):.3f}), mean batch {mb:.1f} (bar {COUNT_BARS[1]:.0f}): "
                   f"{verdict(ok)}")
    stock = {(r["kernel"], r["placement"], r["size"]): r for r in lrows if r["config"] == "stock-mnl"}
    for r in lrows:
        s = stock.get((r["kernel"], r["placement"], r["size"]))
        for cfg, d in ring_configs([r["config"]], delay):
            if not s or d is None:
                continue
            p99, sp99 = r["p99_us"], s["p99_us"]
            if p99 is None or sp99 is None:
                continue
            out.append(f"- {r['kernel']}, {r['placement']}, {r['size']} B at {r['rate']} pps: "
                       f"{LABEL[cfg]}, p99 {p99:.0f} us (bar: stock's {sp99:.0f} + max_delay_us "
                       f"{d}; medians of {r['n']} and {s['n']} windows): {verdict(p99 <= sp99 + d)}")
    return out


def plots(d, plot, ratios, iplot):
    """Per kernel and placement: the loss-free ratio to stock per traffic case
    (clustered by configuration), the saturation rates with min-max, and the
    instructions per packet on the enqueue and the consumer CPU."""
    gp = ["set terminal pngcairo size 1000,500 font ',10'",
          "set style fill solid 0.7 border -1", "set key outside right top", "set yrange [0:*]",
          "set grid ytics", "set xtics rotate by -25"]
    for kp in sorted({g[:2] for g in ratios} | set(plot)):
        tag = f"{kp[0]}-{kp[1]}"
        rs = [(g, ratios[g]) for g in sorted(ratios, key=lambda g: (g[2] == "mix", g[2], g[3], -g[4]))
              if g[:2] == kp]
        # the configurations this run measured against a base (not the
        # bases themselves), in the report's order (named wait and
        # guest-time rows after the rings)
        bases = {"none"} | set(BASE.values())
        cols = [c for c in ORDER + sorted(LABEL.keys() - set(ORDER))
                if c not in bases and any(c in r for _, r in rs)]
        if rs and cols:
            with open(f"{d}/ratios-{tag}.dat", "w") as f:
                f.write("case bar " + " ".join(cols) + "\n")
                for g, r in rs:
                    name = case_name(*g[2:5])
                    bar = DAEMON_BAR if name == "corpus" else RATE_BARS.get((g[1], name), 0)
                    f.write(f'"{name}" {bar} ' + " ".join(f"{r.get(c, 0):.3f}" for c in cols) + "\n")
            # the reference line as an arrow: a function would stretch the x range
            series = ", ".join(f"'' using {i + 3} title '{LABEL[c]}'" for i, c in enumerate(cols))
            gp += [f"set output '{d}/ratios-{tag}.png'",
                   "set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead lc rgb 'black'",
                   f"set title 'loss-free rate / the stock backend, {kp[0]}, {kp[1]} (nfqringd: / itself on stock netlink)'",
                   "set style data histograms", "set style histogram clustered gap 1",
                   "set key below", "set offsets 0, 0, graph 0.05, 0",
                   f"plot '{d}/ratios-{tag}.dat' using 2:xtic(1) title 'the bar (issue 20)' "
                   f"fs empty border lc rgb 'red', {series}",
                   "unset arrow 1", "set key outside right top", "set offsets 0, 0, 0, 0"]
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
    for kp in sorted(iplot):
        tag = f"{kp[0]}-{kp[1]}"
        with open(f"{d}/insn-{tag}.dat", "w") as f:
            for case, c, enq, con in iplot[kp]:
                f.write(f'"{case}: {c}" {enq:.0f} {con:.0f}\n')
        gp += [f"set output '{d}/insn-{tag}.png'",
               f"set title 'instructions per packet, {kp[0]}, {kp[1]} (without spinning and ticks)'",
               "set style data histograms", "set style histogram clustered gap 1",
               "set xtics rotate by -60 font ',7'",
               f"plot '{d}/insn-{tag}.dat' using 2:xtic(1) title 'enqueue CPU', "
               "'' using 3 title 'consumer CPU'",
               "set xtics rotate by -25 font ',10'"]
    open(f"{d}/plots.gp", "w").write("\n".join(gp) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
