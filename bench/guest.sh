#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark inside the VM (scripts/bench boots it), as root.
#
# Kernel pktgen in namespace "gen" sends UDP over IPv4 or IPv6 through a veth
# pair into namespace "dut" (source addresses and ports vary, so flows vary:
# IPv6 varies the ports only, pktgen has no IPv6 address range); an nft prerouting
# chain there queues it (or accepts it: the reference) and a later chain
# counts and drops what came back.  pktgen runs on CPU 0, the consumer is
# pinned to CPU 1, every configuration the same way.  Two placements of the
# receive path (BENCH_PLACEMENTS):
#   split  the veth receive, netfilter and the enqueue run in CPU 0's softirq
#          next to pktgen; the consumer, its verdicts and the reinjection on
#          CPU 1 (a gateway's NIC core and IPS core)
#   rps    RPS moves the receive to CPU 1: the whole queue path (enqueue,
#          consumer, verdict, reinjection) shares one CPU and pktgen has CPU 0
#          to itself, so the rate is the queue path's cost per packet
#
# Configurations, interleaved, each repetition in the same order, after one
# discarded warm-up round:
#   none         accept instead of queue (the ceiling)
#   stock-mnl    stock nfnetlink_queue, the best libmnl client (bench/nfq_sink mnl)
#   nfqring-mnl  nfqring's netlink transport, the same client
#   nfqring-ring nfqring's rings through libnfqring (bench/nfq_sink ring)
#   nfqring-ring-v1  the same on ABI version 1 (nfq_sink ring-v1): only when
#                BENCH_CONFIGS names it, and always in the instruction pass
#   nfqring-ring-spin  the same loop looking at the ring for up to 50 us
#                before it sleeps in poll() (nfq_sink ring-spin): busy
#                polling, which a shared ring makes free of system calls
#   nfqring-ring-wSPIN-NR-DELAY[-BATCH[-IDLE]]  nfqring-ring with nfqring_set_wait()'s
#                spin_us, wake_nr and max_delay_us, nfqring_set_batch() and
#                nfqring_set_idle() (0: the default;
#                4294967295: no spin): only when BENCH_CONFIGS names it
#   stock-mnl'   stock again: the A/A pair, the noise floor
# The cases (BENCH_CASES): FAMILY:SIZE:RANGE[:pair], e.g. 4:64:65535 (IPv4,
# 64-byte frames, the whole packet copied), 4:1500:0 (meta only),
# 4:1500:128; ":pair" runs only stock-mnl and nfqring-ring (time: a run
# costs about 9 s under TCG with a 3 s window).  pktgen
# cannot make an IPv6 frame below 78 bytes (its header and UDP); a 64-byte
# IPv6 case is sent as 78.
# Throughput at saturation: pktgen as fast as it can for the window; the
# verdicted rate is what the counting chain saw.  A second, shorter pass
# per configuration at a fixed rate every configuration sustains counts
# system calls, wake-ups and context switches of the consumer and kernel
# allocations (kmalloc and kmem_cache_alloc, system-wide, pktgen's own
# included: compare with "none") per packet with ftrace, and busy time per
# vCPU per packet (the tracing would slow the throughput pass).
#
# The TCP pass (BENCH_TCP=1): iperf3 from "gen" (CPU 0) to "dut" (CPU 1)
# through the queue, each queue configuration with NFQA_CFG_F_GSO on and off
# (off: the kernel segments each GSO packet before queueing it; on: the
# consumer gets the unsegmented packet; nfq_sink then sizes its ring frames
# for 64 KiB, and the COPY fallbacks show what still did not fit).  Rows in tcp.csv: goodput, busy time
# per vCPU per MB, packets and mean bytes per packet the consumer saw, COPY
# fallbacks.
#
# A latency pass (BENCH_LATENCY=1, separate from the others: its receiver
# changes what is measured) sends at a fixed moderate rate and delivers to a
# socket (bench/lat_recv): pktgen's send timestamp to the socket, per
# configuration, so that the no-queue figure can be subtracted; one window
# per configuration and repetition (BENCH_LAT_REPS, BENCH_REPS by default),
# the configurations interleaved: under emulation one stall of a vCPU
# moves a single window's p99.
#
# The daemon (BENCH_DAEMON=1): nfqringd serving a realistic rule file
# (bench/rulegen.py: 1,000 rules, address and port sets, 100 content
# patterns of which a quarter occur), judging the rulegen corpus (IPv4 and
# IPv6, UDP and TCP, 20-1,300 bytes) replayed by bench/udp_replay in "gen"
# on CPU 0; nfqringd pinned to CPU 1, copy range 65535 (what the rules need),
# the default queue length, no fail-open, one RX frame per queue slot:
#   nfqringd-ring      nfqring loaded, nfqringd on its ring backend
#   nfqringd-nl-stock  stock nfnetlink_queue, nfqringd on its netlink backend
# Verdicted = what the counting chain saw plus the drops nfqringd decided
# (its --stats); offered = g0's transmitted packets.  Correctness: the
# accepts nfqringd counted equal what the counting chain saw, and the queue
# is empty afterwards.  Size is written as 0 (the corpus' own mix).
#
# The loss-free rate (BENCH_SEARCH=1): per configuration, a bisection on the
# sender's rate (pktgen's ratep, udp_replay -r), starting from this run's
# saturation figure, BENCH_SEARCH_STEPS windows (6) of BENCH_SEARCH_WINDOW
# seconds (2), for the highest offered rate with at most 0.1 % loss
# (1 - verdicted/offered; each window starts and ends with the sender
# stopped and the queue empty, the offered rate is the sender's own figure).
# One row per step (pass search-step, rep = step) and one with the result (pass search: offered_pps the highest
# passing offered rate, 0 if none passed; rep = the steps taken).
#
# The DAQ pass (BENCH_DAQ=1, "only": nothing else): Snort 2.9's packet
# source, libdaq 2, with the same driver for each module: bench/daq_sink
# (daq_initialize inline on queue 0, snaplen = the case's RANGE, a 1000 ms
# timeout, each module's own defaults; daq_acquire with a trivial analysis
# callback that returns PASS), pinned to CPU 1 as nfq_sink is:
#   daq-nfq-stock      Debian's daq_nfq.so (libdaq2) on the stock nfnetlink_queue
#   daq-nfq-nfqring    daq_nfq.so on nfqring's netlink transport: only when
#                      BENCH_CONFIGS names it
#   daq-nfqring-ring   daq_nfqring.so (daemon/daq/) on nfqring's rings
# The throughput and loss-free passes above, per case of BENCH_DAQ_CASES
# (4:64:65535 4:1500:65535; the modules copy whole packets: RANGE 65535),
# in every placement; the same rows and correctness figures as the others.
#
# Writes CSV rows to $OUT/results.csv, $OUT/latency.csv and $OUT/tcp.csv
# (appending; after a guest crash the next boot resumes: unit() below).
#   BENCH_REPS (5), BENCH_WINDOW seconds (3), BENCH_CASES (see $cases below;
#   RANGE 0 = meta only), BENCH_COUNT_RATE pps (20000, at most: counts_rate), BENCH_TCP (1),
#   BENCH_TWOQ (1: the two-queue check), BENCH_PROFILE (1: perf profiles
#   of none, stock-mnl and nfqring-ring at 64 bytes), BENCH_TCP_REPS (2), BENCH_LAT_SIZE (64), BENCH_RPS_CASES (4:64:65535:
#   the cases of the rps placement; latency, TCP and the daemon run in the
#   first placement only),
#   BENCH_PLACEMENTS ("split rps"), BENCH_LATENCY (1), BENCH_LAT_RATE (5000),
#   BENCH_LAT_REPS (BENCH_REPS),
#   BENCH_DAEMON (1), BENCH_SEARCH (1), BENCH_SEARCH_WINDOW (2),
#   BENCH_SEARCH_STEPS (6), BENCH_CONFIGS (all: a subset of the names above),
#   BENCH_DAQ (1; 0: no DAQ pass, only: the DAQ pass alone), BENCH_DAQ_CASES,
#   BENCH_PASS (main; insn: the instruction pass alone, bench/insn/pass.sh,
#   in a boot with QEMU's insn_count plugin; its knobs are there)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sink=$top/build/bench/nfq_sink
out=${OUT:?OUT: the results folder}
reps=${BENCH_REPS:-5}
window=${BENCH_WINDOW:-3}
cases=${BENCH_CASES-4:64:65535 4:1500:65535 4:512:65535:pair 4:1500:128:pair 4:1500:0:pair 6:78:65535:pair}
tcp=${BENCH_TCP:-1}
tcp_reps=${BENCH_TCP_REPS:-2}
rps_cases=${BENCH_RPS_CASES-4:64:65535}
twoq=${BENCH_TWOQ:-1}
profile=${BENCH_PROFILE:-1}
lat_size=${BENCH_LAT_SIZE:-64}
count_rate=${BENCH_COUNT_RATE:-20000}
placements=${BENCH_PLACEMENTS:-split rps}
latency=${BENCH_LATENCY:-1}
lat_rate=${BENCH_LAT_RATE:-5000}
lat_reps=${BENCH_LAT_REPS:-$reps}
lat_recv=$top/build/bench/lat_recv
daemon=${BENCH_DAEMON:-1}
search=${BENCH_SEARCH:-1}
search_window=${BENCH_SEARCH_WINDOW:-2}
search_steps=${BENCH_SEARCH_STEPS:-6}
max_loss=0.1	# percent, for the loss-free rate
daq=${BENCH_DAQ:-1}
daq_cases=${BENCH_DAQ_CASES-4:64:65535 4:1500:65535}
daq_sink=$top/build/bench/daq_sink
daq_ring_dir=$top/build/bench/daq		# daq_nfqring.so alone (make -C bench)
daq_stock_dir=/usr/lib/x86_64-linux-gnu/daq	# Debian's daq_nfq.so (libdaq2)
nfqringd=$top/daemon/build/nfqringd
replay=$top/build/bench/udp_replay
rules=$out/daemon/rules	# rulegen's .nft and .corpus, made once per results folder
sock=/run/nfqringd-bench.sock
nft_table="inet bench"	# the table of the counting chain (nft_rules, nft_daemon_rules)
# BENCH_PASS: main (every pass but the instruction pass) or insn (the
# instruction pass alone: a boot with the insn_count plugin, bench/insn/)
pass=${BENCH_PASS:-main}
case $pass in main | insn) ;; *) echo "bench: BENCH_PASS=$pass: main or insn" >&2; exit 1 ;; esac
case $daq in 0 | 1 | only) ;; *) echo "bench: BENCH_DAQ=$daq: 0, 1 or only" >&2; exit 1 ;; esac
# only NAME...: the names BENCH_CONFIGS keeps: all when it is unset, but
# for those marked "+NAME", which only run when BENCH_CONFIGS names them
only() {
	local c
	for c in "$@"; do
		if [ -z "${BENCH_CONFIGS:-}" ]; then
			[[ $c == +* ]] || echo "$c"
		elif [[ " $BENCH_CONFIGS " == *" ${c#+} "* ]]; then
			echo "${c#+}"
		fi
	done
}
configs=$(only none stock-mnl nfqring-mnl nfqring-ring +nfqring-ring-v1 nfqring-ring-spin stock-mnl-aa)
# the instruction pass (bench/insn/pass.sh): the version-1 rings too
insn_configs=$(only none stock-mnl nfqring-mnl nfqring-ring nfqring-ring-v1 nfqring-ring-spin stock-mnl-aa)
# and, in both, when BENCH_CONFIGS names them, nfqring-ring-wSPIN-NR-DELAY...:
# the rings with other wait parameters (nfq_sink's NFQ_SINK_WAIT); in the
# main passes, nfqring-ring-gtS too: the default wait with its timers S
# times longer (NFQ_SINK_TIME_SCALE; the instruction pass adds its own,
# BENCH_INSN_TIME_SCALE)
for c in ${BENCH_CONFIGS:-}; do
	[[ $c != nfqring-ring-w*-*-* ]] || { configs+=" $c"; insn_configs+=" $c"; }
	[[ $c != nfqring-ring-gt* ]] || configs+=" $c"
done
daemon_configs=$(only nfqringd-ring nfqringd-nl-stock)
daq_configs=$(only daq-nfq-stock +daq-nfq-nfqring daq-nfqring-ring)
kernel=$(uname -r)
T=/sys/kernel/tracing
csv=$out/results.csv
mkdir -p "$out"
[ -s "$csv" ] || echo "kernel,placement,family,config,size,range,rep,pass,offered_pps,verdicted_pps,loss_pct,packets,syscalls_per_pkt,wakeups_per_pkt,cswitch_per_pkt,sink_calls_per_pkt,mean_batch,busy_us_per_pkt,queue_total_after,errors,batch_hist,busy0_us_per_pkt,busy1_us_per_pkt,allocs_per_pkt,unaccounted" >"$csv"
lcsv=$out/latency.csv
[ -s "$lcsv" ] || echo "kernel,placement,config,size,rate,rep,count,p50_us,p90_us,p99_us,p999_us,max_us,lost" >"$lcsv"
tcsv=$out/tcp.csv
[ -s "$tcsv" ] || echo "kernel,placement,config,gso,rep,goodput_mbps,busy0_us_per_mb,busy1_us_per_mb,packets,bytes_per_pkt,copies,retransmits,queue_total_after,errors" >"$tcsv"

die() { echo "bench: $*" >&2; exit 1; }

# the instruction pass (BENCH_PASS=insn; writes insn.csv's header)
. "$top/bench/insn/pass.sh"

backend() {	# backend stock|nfqring: the one queue backend loaded
	local want=$1 before after
	case $want in
	stock) grep -q '^nfnetlink_queue ' /proc/modules && return 0 ;;
	nfqring) grep -q '^nfqring ' /proc/modules && return 0 ;;
	esac
	before=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
	grep -q '^nfqring ' /proc/modules && { rmmod nfqring || die "rmmod nfqring"; }
	grep -q '^nfnetlink_queue ' /proc/modules && { rmmod nfnetlink_queue || die "rmmod nfnetlink_queue"; }
	if [ "$want" = stock ]; then
		modprobe --ignore-install nfnetlink_queue || die "modprobe nfnetlink_queue"
	else
		modprobe nfqring || die "modprobe nfqring"
	fi
	after=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)
	echo "# swapped to $want (MemAvailable $before -> $after kB)"
	swaps=$((swaps + 1))
	mem_last=$after
	[ -n "$mem_first" ] || mem_first=$after
}
swaps=0 mem_first= mem_last=

# the namespaces, the veth pair and pktgen (shared with patch-stress.sh)
. "$top/bench/testbed.sh"



# nft_rules queue|accept [deliver|tcp]: pktgen's UDP to port 9 (IPv4 and
# IPv6) is queued (or accepted) and then counted and dropped; deliver lets
# it reach a socket, tcp queues and counts iperf3's data instead (port 5201)
nft_rules() {
	local verdict="queue num 0" last=drop match="udp dport 9"
	[ "$1" = accept ] && verdict=accept
	case ${2:-} in
	deliver) last=accept ;;
	tcp) last=accept match="tcp dport 5201" ;;
	twoq) verdict="queue num 0-1" ;;	# by flow hash (fanout: by CPU)
	esac
	nft_table="inet bench"
	D nft -f - <<-NFT || die "nft"
	table inet bench
	delete table inet bench
	table inet bench {
		chain pre { type filter hook prerouting priority 0;
			$match $verdict
		}
		chain count { type filter hook prerouting priority 10;
			$match counter $last
		}
	}
	NFT
}

# nft_daemon_rules: the same for the daemon's traffic (IPv4 and IPv6, UDP
# and TCP, any port; ARP and neighbour discovery are not queued)
nft_daemon_rules() {
	nft_table="inet bench"
	D nft -f - <<-NFT || die "nft"
	table inet bench
	delete table inet bench
	table inet bench {
		chain pre { type filter hook prerouting priority 0;
			meta l4proto { tcp, udp } queue num 0
		}
		chain count { type filter hook prerouting priority 10;
			meta l4proto { tcp, udp } counter drop
		}
	}
	NFT
}

counted() { D nft list chain $nft_table count | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }



# the allocation events this kernel has (6.1 and later: no _node variants)
alloc_events() {
	local e
	for e in kmalloc kmalloc_node kmem_cache_alloc kmem_cache_alloc_node; do
		[ -d "$T/events/kmem/$e" ] && echo "$T/events/kmem/$e"
	done
}

# Under TCG starting a process costs a tenth of a second of CPU or more:
# what runs while packets flow uses shell builtins only (nap, busy_now,
# $EPOCHREALTIME, echo into tracefs), and counters are read with the sender
# stopped and the queue drained.

# nap SECONDS: sleep without a process (read's timeout on a pipe that
# nobody writes to)
exec {nap_fd}<> <(:)
nap() { read -r -t "$1" -u "$nap_fd" _; }

# busy_now VAR: busy jiffies (user, nice, system, irq, softirq) of CPU 0
# and CPU 1 into VAR ("B0 B1")
busy_now() {
	local c u n sy i w irq si rest b=
	while read -r c u n sy i w irq si rest; do
		case $c in cpu0 | cpu1) b+="$((u + n + sy + irq + si)) " ;; esac
	done </proc/stat
	printf -v "$1" '%s' "$b"
}

# pg_result: pktgen's figures for the run that just ended: pg_sent
# (packets) and pg_us (its own elapsed time).  Sent includes pktgen's
# errors (transmits the driver did not answer NETDEV_TX_OK): on 6.1, veth
# answers so for packets that then reached the counting chain or a backlog
# drop (6.12's never does); without them 6.1's books showed more packets
# counted or dropped than sent.
pg_result() {
	local r
	r=$(G cat /proc/net/pktgen/g0)
	pg_sent=0 pg_us=0
	[[ $r =~ pkts-sofar:\ ([0-9]+) ]] && pg_sent=${BASH_REMATCH[1]}
	[[ $r =~ errors:\ ([0-9]+) ]] && pg_sent=$((pg_sent + BASH_REMATCH[1]))
	[[ $r =~ Result:\ OK:\ ([0-9]+)\(c ]] && pg_us=${BASH_REMATCH[1]}
}

# qcol N: column N of queue 0 in the consumer's nfnetlink_queue file (the
# consumer's namespace: /proc/PID/net), 0 without a consumer or queue
# (qcol N QUEUE: of that queue)
qcol() {
	local f
	if [ -n "$spid" ]; then
		while read -r -a f; do
			[ "${f[0]}" = "${2:-0}" ] && { echo "${f[$1]}"; return; }
		done <"/proc/$spid/net/netfilter/nfnetlink_queue"
	fi 2>/dev/null
	echo 0
}
queued() { qcol 2 "${1:-0}"; }
# what a queue (0) dropped: queue full, plus failed deliveries (user_dropped)
queue_drops() { echo $(($(qcol 5 "${1:-0}") + $(qcol 6 "${1:-0}"))); }
# packets dropped at the receive backlogs, all CPUs (softnet_stat is hex)
backlog_drops() {
	local f s=0
	while read -r -a f; do s=$((s + 16#${f[1]})); done </proc/net/softnet_stat
	echo "$s"
}

# await FILE PATTERN TENTHS: wait up to TENTHS tenths of a second for
# PATTERN in FILE (a program's "I am ready" line); fails if it never came
await() {
	local i
	for ((i = 0; i < $3; i++)); do grep -qs "$2" "$1" && return 0; sleep 0.1; done
	grep -qs "$2" "$1"
}

# offered: what g0 transmitted, the sender's packets that reached the veth
# (delivered or dropped at the receive backlog); for udp_replay
offered() {
	G cat /sys/class/net/g0/statistics/tx_packets /sys/class/net/g0/statistics/tx_dropped |
		awk '{ s += $1 } END { print s + 0 }'
}

# replay_start RATE (0: as fast as it can): udp_replay in "gen" on CPU 0,
# the rulegen corpus aimed at dut; its pid in $rpid.  replay_stop ends it.
replay_start() {
	local r=()
	[ "$1" != 0 ] && r=(-r "$1")
	nsenter --net=/run/netns/gen taskset -c 0 "$replay" -4 10.77.0.2 -6 fd77::2 -d 36000 \
		${r[@]+"${r[@]}"} "$rules.corpus" >"$out/replay.out" 2>&1 &
	rpid=$!
	# the window starts when it sends: its exec and corpus load take a
	# second or more under TCG, and once most of a window (builtins only)
	local line= i
	for ((i = 0; i < 600; i++)); do
		read -r line <"$out/replay.out"
		[ "$line" = sending ] && return 0
		kill -0 "$rpid" 2>/dev/null || break
		nap 0.1
	done
	echo "bench: udp_replay did not start sending: $(cat "$out/replay.out")" >&2
}
replay_stop() {
	kill -TERM "$rpid" 2>/dev/null
	wait "$rpid"
	grep -q '^sent=' "$out/replay.out" || echo "bench: udp_replay: $(cat "$out/replay.out")" >&2
}

# dstat ARRAY: nfqringd's figures for queue 0 into ARRAY: accept drop
# packets batches errors (errors: refused verdicts, ring overruns, malformed
# messages); the batch-size histogram ("1=N 2-3=N ... 256+=N") into $dhist
dstat() {
	local _j
	_j=$("$nfqringd" --stats --json -s "$sock" 2>/dev/null) || echo "bench: nfqringd --stats failed" >&2
	_f() { grep -o "\"$1\": [0-9]*" <<<"$_j" | head -n 1 | sed 's/.*: //' | grep . || echo 0; }
	# "SIZES=COUNT ..." (nfqringd leaves empty buckets out)
	dhist=$(sed -n 's/.*"batch_sizes": {\([^}]*\)}.*/\1/p' <<<"$_j" | grep -o '"[^"]*": [0-9]*' |
		sed 's/"\([^"]*\)": /\1=/' | paste -sd' ')
	read -r -a "$1" <<<"$(_f accept) $(_f drop) $(_f packets) $(_f batches) \
$(($(_f verdict_errors) + $(_f ring_overruns) + $(_f bad_messages)))"
}

# daemon_files: the rule file and corpus, generated in the guest once
daemon_files() {
	[ -s "$rules.nft" ] && [ -s "$rules.corpus" ] && return 0
	mkdir -p "$(dirname "$rules")"
	python3 "$top/bench/rulegen.py" -n 1000 -s 6 -p 4096 -o "$rules" || die "rulegen"
	"$nfqringd" --check "$rules.nft" -q 0 || die "nfqringd --check $rules.nft"
}

# start_config CONFIG PLACEMENT RANGE [deliver|tcp [gso]]: backend,
# namespaces, nft rules (nft_rules), and the consumer (its pid in $spid,
# empty for "none"; gso: NFQA_CFG_F_GSO)
start_config() {
	local cfg=$1 placement=$2 range=$3 mode dbackend dmod ddir wait= scale=
	spid=
	case $cfg in
	none)	# the module of the queue configurations; stock without nfqring
		if modinfo nfqring >/dev/null 2>&1; then backend nfqring; else backend stock; fi
		mode=accept ;;
	stock-mnl | stock-mnl-aa) backend stock; mode=mnl ;;
	nfqring-mnl) backend nfqring; mode=mnl ;;
	nfqring-ring) backend nfqring; mode=ring ;;
	nfqring-ring-v1) backend nfqring; mode=ring-v1 ;;
	nfqring-ring-spin) backend nfqring; mode=ring-spin ;;
	nfqring-ring-w*-*-*) # nfqring-ring-wSPIN-NR-DELAY: nfq_sink's NFQ_SINK_WAIT
		backend nfqring; mode=ring; wait=${cfg#nfqring-ring-w}; wait=${wait//-/:} ;;
	nfqring-ring-gt*) # the default wait, its timers in guest time: NFQ_SINK_TIME_SCALE
		backend nfqring; mode=ring; scale=${cfg#nfqring-ring-gt} ;;
	nfqringd-ring) backend nfqring; mode=daemon; dbackend=ring ;;
	nfqringd-nl-stock) backend stock; mode=daemon; dbackend=netlink ;;
	daq-nfq-stock) backend stock; mode=daq; dmod=nfq ;;
	daq-nfq-nfqring) backend nfqring; mode=daq; dmod=nfq ;;
	daq-nfqring-ring) backend nfqring; mode=daq; dmod=nfqring ;;
	esac
	setup "$placement"
	if [ "$mode" = daemon ]; then
		nft_daemon_rules
		rm -f "$sock"
		# the copy range is what the rules need: 65535 (no --copy-range:
		# nfqringd clamps 65535 to 65531 and then refuses it as too small);
		# the ring holds as many packets as the queue (1024, the default
		# maxlen), as nfq_sink's does at least; nsenter and taskset exec
		nsenter --net=/run/netns/dut taskset -c 1 "$nfqringd" -c "$rules.nft" -q 0 \
			--backend "$dbackend" --ring-frames 1024 -s "$sock" \
			>"$out/nfqringd.out" 2>&1 &
		spid=$!
		await "$out/nfqringd.out" 'serving queues' 600 ||
			die "$cfg: nfqringd did not start: $(cat "$out/nfqringd.out")"
		return
	fi
	nft_rules "$([ "$mode" = accept ] && echo accept || echo queue)" "${4:-}"
	if [ "$mode" = daq ]; then
		# one module directory each: libdaq loads every .so in it
		ddir=$daq_stock_dir
		[ "$dmod" = nfqring ] && ddir=$daq_ring_dir
		nsenter --net=/run/netns/dut taskset -c 1 "$daq_sink" -m "$dmod" -d "$ddir" 0 "$range" \
			>"$out/sink.out" 2>&1 &
		spid=$!
		await "$out/sink.out" ready 300 || die "$cfg: daq_sink did not start: $(cat "$out/sink.out")"
	elif [ "$mode" != accept ]; then
		# nsenter and taskset exec: $! is the sink itself
		NFQ_SINK_WAIT=$wait NFQ_SINK_TIME_SCALE=$scale nsenter --net=/run/netns/dut taskset -c 1 "$sink" "$mode" 0 "$range" ${5:-} \
			>"$out/sink.out" 2>&1 &
		spid=$!
		await "$out/sink.out" ready 300 || die "$cfg: the sink did not start: $(cat "$out/sink.out")"
	fi
}

# run_latency CONFIG PLACEMENT SIZE REP: one latency row at $lat_rate pps
run_latency() {
	local cfg=$1 placement=$2 size=$3 rep=$4 lpid line s0 s1 c0 c1
	start_config "$cfg" "$placement" 65535 deliver
	nsenter --net=/run/netns/dut taskset -c 1 "$lat_recv" 9 >"$out/lat.out" 2>&1 &
	lpid=$!
	await "$out/lat.out" ready 50
	pktgen_setup 4 "$size" "$lat_rate"
	c0=$(counted)
	pg_start
	nap "$window"
	pg_stop
	nap 0.5
	c1=$(counted)
	pg_result
	kill -TERM "$lpid"; wait "$lpid"
	[ -n "$spid" ] && { kill -TERM "$spid"; wait "$spid"; }
	line=$(tail -n 1 "$out/lat.out")
	get() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$line"; }
	echo "$kernel,$placement,$cfg,$size,$lat_rate,$rep,$(get count),$(get p50),$(get p90),$(get p99),$(get p999),$(get max),$((pg_sent - (c1 - c0)))" |
		tee -a "$lcsv"
}

# sink_stop [QUEUE FILE]: after the sender stopped and the queue drained,
# stop the sink ($spid, of queue 0 writing sink.out unless told) and read
# its last line into $after (queue_total before stopping it), $total,
# $errors, $hist, $batch (mean), $calls (receive + verdict calls per
# packet), $bytes, $copies, $kwake (the kernel's wake-ups by reason, ring
# sinks on version 2, else empty); a queue left non-empty fails the run
sink_stop() {
	local line last= b rc vc x
	local -A kv
	after=$(queued "${1:-0}")
	kill -TERM "$spid"
	wait "$spid"
	while read -r line; do last=$line; done <"${2:-$out/sink.out}"
	for b in $last; do kv[${b%%=*}]=${b#*=}; done
	total=${kv[packets]:-0} errors=${kv[errors]:-0} hist=${kv[batch_hist]:-}
	bytes=${kv[bytes]:-0} copies=${kv[copies]:-0} kwake=${kv[kwake]:-}
	b=${kv[batches]:-0} rc=${kv[recv_calls]:-0} vc=${kv[verdict_calls]:-0}
	batch=0 calls=0
	if [ "$b" -gt 0 ]; then
		x=$((total * 10 / b))
		batch=$((x / 10)).$((x % 10))
	fi
	if [ "$total" -gt 0 ]; then
		x=$(((rc + vc) * 1000 / total))
		printf -v calls '%d.%03d' $((x / 1000)) $((x % 1000))
	fi
	if [ "${after:-0}" != 0 ]; then
		echo "bench: $cfg: queue_total $after after the run" >&2
		bad=1
	fi
}

# The counts pass' ftrace histograms: the consumer's system calls, wake-ups
# and context switches ($spid, one thread), and allocations system-wide.
# Creating or removing a histogram flips a tracepoint, which patches kernel
# text, and QEMU's TCG does not always let go of the code it translated
# before a patch: the 6.12 guest died at the int3 of a finished patch in
# kmem_cache_alloc, or of a double fault further on (bench/patch-stress.sh
# shows both without nfqring).  So the histograms are created once per
# traffic case, paused, before its counts passes and removed after them,
# with no traffic either time; each window clears, continues and pauses
# them (echo is a builtin: nothing starts while packets flow).
hist_triggers() {	# FILE KEYS lines
	echo "$T/events/raw_syscalls/sys_enter/trigger common_pid.execname"
	echo "$T/events/sched/sched_wakeup/trigger pid"
	echo "$T/events/sched/sched_switch/trigger prev_pid"
	local e
	for e in $(alloc_events); do echo "$e/trigger common_cpu"; done
}
trace_cmd() {	# trace_cmd PREFIX SUFFIX: PREFIXhist:keys=K:vals=hitcountSUFFIX to each
	local f k
	while read -r f k; do echo "${1}hist:keys=$k:vals=hitcount$2" >>"$f"; done <<<"$trace_list"
}
trace_arm() { echo 1 >$T/tracing_on; trace_cmd "" :pause; }
trace_disarm() { trace_cmd ! ""; }
trace_start() { trace_cmd "" :clear; trace_cmd "" :continue; }
trace_pause() { trace_cmd "" :pause; }
# trace_collect: sets sys, wak, csw and allocs from the paused histograms
trace_collect() {
	local f k n
	sys=0 wak=0 csw=0 allocs=0
	if [ -n "$spid" ]; then
		sys=$(sed -n "s/.*common_pid: *nfq_sink *\[ *$spid\].*hitcount: *\([0-9]*\).*/\1/p" \
			$T/events/raw_syscalls/sys_enter/hist | head -n 1)
		wak=$(sed -n "s/^{ pid: *$spid } hitcount: *\([0-9]*\).*/\1/p" $T/events/sched/sched_wakeup/hist | head -n 1)
		csw=$(sed -n "s/^{ prev_pid: *$spid } hitcount: *\([0-9]*\).*/\1/p" $T/events/sched/sched_switch/hist | head -n 1)
	fi
	while read -r f k; do
		[[ $f == */kmem/* ]] || continue
		n=$(sed -n 's/^ *Hits: *\([0-9]*\).*/\1/p' "${f%/trigger}/hist" | head -n 1)
		allocs=$((allocs + ${n:-0}))
	done <<<"$trace_list"
}

# measure RATE SECONDS [trace]: run the sender of the running configuration
# ($cur_mode: pktgen, set up beforehand, or daemon: udp_replay at RATE pps,
# 0 as fast as it can, and nfqringd's figures from dstat) for SECONDS.  The counters are read with the sender
# stopped and the queue drained at both ends, so every packet sent is
# verdicted or lost in between, and the rates are the sender's own (its
# elapsed time).  Sets m_off (offered pps), m_ver (verdicted pps), m_loss
# (%), m_pkts (verdicted packets), m_unacc (packets neither counted nor
# dropped where we look: the receive backlogs, the queue), m_u0 and m_u1
# (busy us per verdicted packet on CPU 0 and CPU 1, over the sender's run
# or, with trace, the traced window), m_dp and m_db (nfqringd's packets and
# batches).  With trace: a second of steady state, then a traced window of
# SECONDS - 1 (trace_collect gives the counts; m_win: its packets).
measure() {
	local r=$1 secs=$2 c0 c1 s0=0 s1 d0 d1 pps=0 sent=0 us=0 b0 b1 e0 e1 bd0 qd0 qd
	c0=$(counted)
	bd0=$(backlog_drops)
	qd0=$(queue_drops)
	if [ "$cur_mode" = daemon ]; then
		dstat d0
		s0=$(offered)
		replay_start "$r"
	else
		pg_start
	fi
	if [ "${3:-}" = trace ]; then
		nap 1
		trace_start
		busy_now b0; e0=$EPOCHREALTIME
		nap "$((secs - 1))"
		trace_pause
		busy_now b1; e1=$EPOCHREALTIME
	else
		busy_now b0; e0=$EPOCHREALTIME
		nap "$secs"
		busy_now b1; e1=$EPOCHREALTIME
	fi
	if [ "$cur_mode" = daemon ]; then
		replay_stop
		[[ $(<"$out/replay.out") =~ \ pps=([0-9]+) ]] && pps=${BASH_REMATCH[1]}
	else
		pg_stop
	fi
	nap 0.5	# the queue drains (longer when the consumer shares the CPU)
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ "$(queued)" = 0 ] && break; nap 0.2; done
	c1=$(counted)
	qd=$(($(queue_drops) - qd0))
	if [ "$cur_mode" = daemon ]; then
		dstat d1
		s1=$(offered)
		sent=$((s1 - s0))
		[ "$pps" -gt 0 ] && us=$((sent * 1000000 / pps))
	else
		pg_result
		sent=$pg_sent us=$pg_us
	fi
	read -r m_off m_ver m_loss m_pkts m_unacc m_u0 m_u1 m_win < <(awk -v s="$sent" -v us="$us" \
		-v c=$((c1 - c0)) -v dr=$((${d1[1]:-0} - ${d0[1]:-0})) -v bd=$(($(backlog_drops) - bd0)) \
		-v qd="${qd:-0}" -v b0="$b0" -v b1="$b1" -v e0="$e0" -v e1="$e1" 'BEGIN {
		v = c + dr			# verdicted: counted after the queue, and dropped by the daemon
		dt = us / 1e6
		loss = s > 0 ? 100 * (s - v) / s : 0
		if (loss < 0) loss = 0
		win = dt > 0 ? v * (e1 - e0) / dt : 0	# verdicted in the busy window
		split(b0, x, " "); split(b1, y, " ")
		per = win > 0 ? win : 1
		printf "%.0f %.0f %.3f %d %d %.2f %.2f %.0f\n", (dt > 0 ? s / dt : 0), (dt > 0 ? v / dt : 0),
			loss, v, s - v - bd - qd, (y[1] - x[1]) * 10000 / per, (y[2] - x[2]) * 10000 / per, win
	}')
	m_dp=$((${d1[2]:-0} - ${d0[2]:-0})) m_db=$((${d1[3]:-0} - ${d0[3]:-0}))
}

# run_one CONFIG PLACEMENT FAMILY SIZE RANGE REP PASS: one measurement, one
# CSV row.  PASS throughput: pktgen as fast as it can for the window;
# counts: at $count_rate with the counts traced.
run_one() {
	local cfg=$1 placement=$2 family=$3 size=$4 range=$5 rep=$6 pass=$7 t=$SECONDS
	local sys=0 wak=0 csw=0 allocs=0 m_off m_ver m_loss m_pkts m_unacc m_u0 m_u1 m_win m_dp m_db
	local after=0 total=0 errors=0 hist= batch=0 calls=0 bytes copies rate=0 secs=$window
	start_config "$cfg" "$placement" "$range"
	cur_mode=pktgen
	[ "$pass" = counts ] && rate=$case_count_rate secs=3
	pktgen_setup "$family" "$size" "$rate"
	if [ "$pass" = counts ]; then
		measure "$rate" "$secs" trace
		trace_collect
	else
		measure 0 "$secs"
	fi
	[ -z "$spid" ] || sink_stop
	check_accounted "$cfg" "$m_unacc"
	awk -v cfg="$cfg" -v k="$kernel" -v pl="$placement" -v fam="$family" -v hist="$hist" \
	    -v size="$size" -v range="$range" -v rep="$rep" -v pass="$pass" -v off="$m_off" \
	    -v ver="$m_ver" -v loss="$m_loss" -v c="$m_pkts" -v win="$m_win" -v sys="${sys:-0}" \
	    -v wak="${wak:-0}" -v csw="${csw:-0}" -v calls="$calls" -v batch="$batch" \
	    -v u0="$m_u0" -v u1="$m_u1" -v after="${after:-0}" -v err="${errors:-0}" \
	    -v allocs="$allocs" -v unacc="$m_unacc" 'BEGIN {
		per = win > 0 ? win : 1
		printf "%s,%s,%s,%s,%d,%d,%s,%s,%s,%s,%s,%d,%.3f,%.3f,%.3f,%s,%s,%.2f,%s,%s,%s,%s,%s,%.2f,%s\n",
			k, pl, fam, cfg, size, range, rep, pass, off, ver, loss, c,
			sys / per, wak / per, csw / per, calls, batch, u0 + u1, after, err,
			hist, u0, u1, allocs / per, unacc
	}' | tee -a "$csv"
	echo "# $cfg $pass: $((SECONDS - t)) s"
}

# check_accounted CONFIG N: N packets went nowhere we look: fails the run
check_accounted() {
	[ "${2:-0}" = 0 ] && return 0
	echo "bench: $1: $2 packets neither counted nor dropped where we look" >&2
	bad=1
}

# run_profile CONFIG PLACEMENT: where the time goes, IPv4 64 bytes at
# saturation: perf's cpu-clock samples on both vCPUs for the window (perf
# itself costs a little), per CPU and symbol, into $out/profile-*.txt
run_profile() {
	local cfg=$1 placement=$2 f=$out/profile-$kernel-$placement-$1
	local after=0 total=0 errors=0 hist= batch=0 calls=0 bytes copies
	start_config "$cfg" "$placement" 65535
	pktgen_setup 4 64 0
	pg_start
	nap 1
	perf record -q -a -e cpu-clock -F 1000 -o "$f.data" -- sleep "$window" 2>/dev/null
	pg_stop
	nap 0.5
	[ -z "$spid" ] || sink_stop
	perf report -i "$f.data" --kallsyms=/proc/kallsyms --stdio --sort cpu,comm,sym \
		--percent-limit 0.5 2>/dev/null |
		grep -v '^$' >"$f.txt" || echo "bench: perf report failed for $cfg" >&2
	rm -f "$f.data"
	echo "# profile of $cfg: $f.txt"
}

# run_twoq CONFIG PLACEMENT: the functional check with two queues (spread
# by flow), a consumer per queue, queue 0's on CPU 1 and queue 1's on CPU 0,
# pktgen at $count_rate for the window; both queues must get packets, and
# what the consumers took must be what the counting chain saw.  A row with
# pass "two-queues": offered and verdicted pps, packets = the chain's count,
# errors = mismatches and consumer errors, batch_hist = "Q0:Q1" packets.
run_twoq() {
	local cfg=$1 placement=$2 t=$SECONDS spid0 e0 a0 a1 n
	local m_off m_ver m_loss m_pkts m_unacc m_u0 m_u1 m_win m_dp m_db
	local after=0 total=0 errors=0 hist= batch=0 calls=0 bytes copies mode=mnl
	[ "$cfg" = nfqring-ring ] && mode=ring
	start_config "$cfg" "$placement" 65535 twoq
	nsenter --net=/run/netns/dut taskset -c 0 "$sink" "$mode" 1 65535 >"$out/sink1.out" 2>&1 &
	spid0=$spid spid=$!
	await "$out/sink1.out" ready 300
	cur_mode=pktgen
	pktgen_setup 4 64 "$count_rate"
	measure "$count_rate" "$window"
	m_unacc=$((m_unacc - $(queue_drops 1)))	# measure() took queue 0's drops only
	# queue 1's consumer first, then queue 0's
	sink_stop 1 "$out/sink1.out"
	a1=$after n=$total e0=$errors
	spid=$spid0
	sink_stop
	a0=$after
	errors=$((errors + e0))
	check_accounted "$cfg" "$m_unacc"
	if [ "$n" = 0 ] || [ "$total" = 0 ] || [ $((n + total)) != "$m_pkts" ] || [ "$a1" != 0 ]; then
		echo "bench: $cfg: two queues: queue 0 took $total, queue 1 $n, the chain saw $m_pkts; queue 1 left $a1" >&2
		errors=$((errors + 1))
		bad=1
	fi
	echo "$kernel,$placement,4,$cfg,64,65535,1,two-queues,$m_off,$m_ver,$m_loss,$m_pkts,0,0,0,,,,$((a0 + a1)),$errors,$total:$n,,,,$m_unacc" |
		tee -a "$csv"
	echo "# $cfg two queues: $((SECONDS - t)) s"
}

# run_tcp CONFIG PLACEMENT GSO REP: iperf3 through the queue for the window,
# one tcp.csv row.  GSO is on or off (NFQA_CFG_F_GSO of the consumer).
run_tcp() {
	local cfg=$1 placement=$2 gso=$3 rep=$4 b0 b1 ipid
	local after=0 total=0 errors=0 hist= batch=0 calls=0 bytes=0 copies=0
	start_config "$cfg" "$placement" 65535 tcp "$([ "$gso" = on ] && echo gso)"
	D taskset -c 1 iperf3 -s -1 -p 5201 >"$out/iperf3-s.out" 2>&1 &
	ipid=$!
	for _ in $(seq 100); do D ss -Htln 'sport = :5201' | grep -q . && break; sleep 0.1; done
	busy_now b0
	G taskset -c 0 iperf3 -c 10.77.0.2 -p 5201 -t "$window" -J >"$out/iperf3.json" 2>&1
	busy_now b1
	kill -TERM "$ipid" 2>/dev/null	# gone already, unless the client failed
	wait "$ipid"
	sleep 0.5
	[ -z "$spid" ] || sink_stop
	python3 - "$out/iperf3.json" "$kernel" "$placement" "$cfg" "$gso" "$rep" "$b0" "$b1" \
		"$total" "${bytes:-0}" "${copies:-0}" "${after:-0}" "${errors:-0}" <<-'PY' | tee -a "$tcsv"
	import json, sys
	f, k, pl, cfg, gso, rep, b0, b1, total, nbytes, copies, after, err = sys.argv[1:]
	try:
	    j = json.load(open(f))
	    rx = j["end"]["sum_received"]
	    mb, bps = rx["bytes"] / 1e6, rx["bits_per_second"]
	    retr = j["end"]["sum_sent"].get("retransmits", 0)
	except (ValueError, KeyError):
	    sys.stderr.write(f"bench: {cfg}: iperf3 failed: {open(f).read()[-300:]}\n")
	    mb, bps, retr = 0, 0, 0
	u = [(int(b) - int(a)) * 10000 for a, b in zip(b0.split(), b1.split())]
	per = mb if mb > 0 else 1
	n = int(total or 0)
	print(f"{k},{pl},{cfg},{gso},{rep},{bps / 1e6:.0f},{u[0] / per:.1f},{u[1] / per:.1f},"
	      f"{n},{int(nbytes) / n if n else 0:.0f},{copies},{retr},{after},{err}")
	PY
}

# daemon_stop CONFIG: after the sender stopped and the queue drained, check
# nfqringd (its accepts against the counting chain, the queue empty) and stop
# it; sets $after, $derr (errors, plus any accept mismatch) and $dhist
daemon_stop() {
	local cfg=$1 fin c
	after=$(queued)
	dstat fin
	# which of them, while nfqringd still answers
	[ "${fin[4]:-0}" = 0 ] || echo "bench: $cfg: nfqringd errors: $("$nfqringd" --stats --json \
		-s "$sock" 2>/dev/null | grep -o '"\(verdict_errors\|ring_overruns\|bad_messages\)": [1-9][0-9]*' |
		paste -sd' ')" >&2
	c=$(counted)
	kill -TERM "$spid"
	wait "$spid" || echo "bench: $cfg: nfqringd exited with $?: $(tail -n 3 "$out/nfqringd.out")" >&2
	derr=${fin[4]:-0}
	if [ "${fin[0]:-x}" != "${c:-y}" ]; then
		echo "bench: $cfg: nfqringd accepted ${fin[0]:-?} packets, the counting chain saw ${c:-?}" >&2
		derr=$((derr + ${fin[0]:-0} - ${c:-0}))
		[ "$derr" -lt 0 ] && derr=$((-derr))
		bad=1
	fi
	if [ "${after:-0}" != 0 ]; then
		echo "bench: $cfg: queue_total $after after the run" >&2
		bad=1
	fi
}

# run_daemon CONFIG PLACEMENT REP: nfqringd at saturation, one CSV row
run_daemon() {
	local cfg=$1 placement=$2 rep=$3 range=65535 t=$SECONDS
	local m_off m_ver m_loss m_pkts m_unacc m_u0 m_u1 m_win m_dp m_db after derr dhist
	start_config "$cfg" "$placement" "$range"
	cur_mode=daemon
	measure 0 "$window"
	daemon_stop "$cfg"
	check_accounted "$cfg" "$m_unacc"
	awk -v k="$kernel" -v pl="$placement" -v cfg="$cfg" -v range="$range" -v rep="$rep" \
	    -v off="$m_off" -v ver="$m_ver" -v loss="$m_loss" -v v="$m_pkts" -v p="$m_dp" \
	    -v b="$m_db" -v u0="$m_u0" -v u1="$m_u1" -v after="${after:-0}" -v err="$derr" \
	    -v hist="$dhist" -v unacc="$m_unacc" 'BEGIN {
		printf "%s,%s,mix,%s,0,%d,%s,throughput,%s,%s,%s,%d,0,0,0,,%.1f,%.2f,%s,%s,%s,%s,%s,,%s\n",
			k, pl, cfg, range, rep, off, ver, loss, v,
			(b > 0 ? p / b : 0), u0 + u1, after, err, hist, u0, u1, unacc
	}' | tee -a "$csv"
	echo "# $cfg: $((SECONDS - t)) s"
}

# loss_ok LOSS: LOSS (%) is within the loss-free bound
loss_ok() { awk -v l="$1" -v m="$max_loss" 'BEGIN { exit !(l <= m) }'; }

# case_rows CONFIG PLACEMENT FAMILY SIZE RANGE: this run's rows of one
# configuration in one case, every pass
case_rows() {
	awk -F, -v k="$kernel" -v c="$1" -v p="$2" -v f="$3" -v s="$4" -v r="$5" \
		'$1 == k && $2 == p && $3 == f && $4 == c && $5 == s && $6 == r' "$csv"
}

# saturation CONFIG PLACEMENT FAMILY SIZE RANGE: the medians of this run's
# throughput rows (repetitions 1 on): "VERDICTED OFFERED LOSS" (0 0 100 when
# there is none)
saturation() {
	local col
	for col in 10 9 11; do
		case_rows "$@" | awk -F, -v col=$col '$8 == "throughput" && $7 >= 1 { print $col }' |
			sort -g | awk -v none=$([ $col = 11 ] && echo 100 || echo 0) \
				'{ v[NR] = $1 } END { printf "%s ", NR ? v[int((NR + 1) / 2)] : none }'
	done
}

# counts_rate PLACEMENT FAMILY SIZE RANGE CONFIGS: the counts pass' rate
# for a case, the same for all its configurations: BENCH_COUNT_RATE, or
# less when a configuration sustains less.  A configuration sustains 40 %
# of what it verdicted at saturation in this run, or half its loss-free
# rate (the search runs first), whichever is more: the traced window costs
# every packet more (on a slow host, 20 kpps overloaded the stock backend
# and measured an overload, not the cost per packet), and a backend that
# livelocks at saturation (stock in rps on 6.12: 1.6k-5.6k pps verdicted,
# 14k loss-free) would otherwise be counted at 1 kpps, where every packet
# comes alone.  Whole thousands, at least 1000.
counts_rate() {
	local cfg v lf min=$count_rate
	for cfg in $5; do
		[ "$cfg" = none ] && continue
		read -r v _ < <(saturation "$cfg" "$1" "$2" "$3" "$4")
		v=$((${v:-0} * 2 / 5))
		lf=$(loss_free "$cfg" "$1" "$2" "$3" "$4")
		[ $((lf / 2)) -gt "$v" ] && v=$((lf / 2))
		[ "$v" -gt 0 ] && [ "$v" -lt "$min" ] && min=$v
	done
	min=$((min / 1000 * 1000))
	echo $((min < 1000 ? 1000 : min))
}

# loss_free CONFIG PLACEMENT FAMILY SIZE RANGE: the offered rate of this
# run's search result, 0 without one
loss_free() {
	case_rows "$@" | awk -F, '$8 == "search" { v = $9 } END { printf "%d\n", v + 0 }'
}

# run_search CONFIG PLACEMENT FAMILY SIZE RANGE: the loss-free rate, by
# bisection on the sender's rate from the saturation figure; a row per step,
# one result row
run_search() {
	local cfg=$1 placement=$2 family=$3 size=$4 range=$5
	local sat r lo=0 hi=0 step=0 best_off=0 best_ver=0 best_loss=0 best_pkts=0 after=0 derr=0 dhist=
	local m_off m_ver m_loss m_pkts m_unacc m_u0 m_u1 m_win m_dp m_db
	local sat_off sat_loss
	read -r sat sat_off sat_loss <<<"$(saturation "$cfg" "$placement" "$family" "$size" "$range")"
	# no loss at saturation: the sender could not offer more than was
	# verdicted (in "split", pktgen shares CPU 0 with the receive path), so
	# the loss-free rate is the saturation's offered rate; no bisection
	if [ "${sat:-0}" != 0 ] && loss_ok "$sat_loss"; then
		echo "$kernel,$placement,$family,$cfg,$size,$range,0,search,$sat_off,$sat,$sat_loss,0,0,0,0,,,,0,0,,,," |
			tee -a "$csv"
		return
	fi
	[ "${sat:-0}" -gt 1000 ] 2>/dev/null || sat=50000
	start_config "$cfg" "$placement" "$range"
	cur_mode=pktgen
	case $cfg in nfqringd-*) cur_mode=daemon ;; *) pktgen_setup "$family" "$size" "$sat" ;; esac
	r=$sat
	while [ "$step" -lt "$search_steps" ]; do
		step=$((step + 1))
		[ "$cur_mode" = daemon ] || pg "ratep $r" g0
		measure "$r" "$search_window"
		check_accounted "$cfg" "$m_unacc"
		m_off=${m_off:-0} m_ver=${m_ver:-0} m_loss=${m_loss:-100} m_pkts=${m_pkts:-0}
		echo "search $cfg: step $step, $r pps asked"
		echo "$kernel,$placement,$family,$cfg,$size,$range,$step,search-step,$m_off,$m_ver,$m_loss,$m_pkts,0,0,0,,,,,,,,,,$m_unacc" |
			tee -a "$csv"
		if loss_ok "$m_loss"; then
			if [ "$m_off" -gt "$best_off" ]; then
				best_off=$m_off best_ver=$m_ver best_loss=$m_loss best_pkts=$m_pkts
			fi
			lo=$r
			if [ "$hi" = 0 ]; then
				# no failure yet: faster, unless the sender is at its limit
				[ "$((m_off * 10))" -lt "$((r * 9))" ] && break
				r=$((r * 5 / 4))
			else
				r=$(((lo + hi) / 2))
			fi
		else
			hi=$r
			if [ "$lo" = 0 ]; then r=$((r * 7 / 10)); else r=$(((lo + hi) / 2)); fi
		fi
		# close enough: within 2 % of the failing rate
		[ "$hi" != 0 ] && [ "$(((hi - lo) * 50))" -lt "$hi" ] && break
	done
	if [ "$cur_mode" = daemon ]; then
		daemon_stop "$cfg"
	elif [ -n "$spid" ]; then
		local total errors hist batch calls bytes copies
		sink_stop
		derr=$errors
	fi
	echo "$kernel,$placement,$family,$cfg,$size,$range,$step,search,$best_off,$best_ver,$best_loss,$best_pkts,0,0,0,,,,${after:-0},${derr:-0},,,,," |
		tee -a "$csv"
}

# resuming after a guest crash: unit NAME ... unit_done around each unit
# of work (bench/units.sh)
units_dir=$out units_files="$csv $lcsv $tcsv $icsv $bcsv"
units_crash() { echo c >/proc/sysrq-trigger; }
. "$top/bench/units.sh"

bad=0
units_resume
mount -t tracefs nodev $T 2>/dev/null
trace_list=$(hist_triggers)
sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1	# perf: kernel symbols
modprobe pktgen || die "no pktgen"
[ -x "$sink" ] || die "$sink missing: make -C bench"
echo "# kernel $kernel, $(nproc --all) CPUs, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "# cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
if [ "$pass" = insn ]; then
	insn_pass
	placements=	# the instruction pass has this boot to itself
	daemon_configs=
fi
# BENCH_DAQ=only: the DAQ pass and nothing else
if [ "$daq" = only ]; then
	cases='' rps_cases='' latency=0 twoq=0 profile=0 tcp=0 daemon=0
fi
if [ "$daq" != 0 ] && [ "$pass" = main ] && [ -n "$daq_configs" ]; then
	if [ ! -x "$daq_sink" ] || [ ! -r "$daq_ring_dir/daq_nfqring.so" ]; then
		die "$daq_sink or $daq_ring_dir/daq_nfqring.so missing: make -C bench with libdaq-dev (BENCH_DAQ=0 skips the DAQ pass)"
	fi
	[ -r "$daq_stock_dir/daq_nfq.so" ] || die "$daq_stock_dir/daq_nfq.so missing: apt-get install libdaq2"
	for c in $daq_cases; do
		IFS=: read -r _ _ range _ <<<"$c"
		[ "$range" = 65535 ] || die "BENCH_DAQ_CASES: $c: the DAQ modules copy whole packets (RANGE 65535)"
	done
	# daq_nfqring's default WHITELIST/BLACKLIST connmarks need it at
	# daq_initialize; loaded now, before any traffic, not in the middle
	# of the run by the first daq_nfqring (a module load patches text)
	modprobe nf_conntrack_netlink || die "modprobe nf_conntrack_netlink (daq_nfqring's connmarks)"
else
	daq_configs=
fi
[ "$pass" = insn ] || [ "$latency" = 0 ] || [ -x "$lat_recv" ] || die "$lat_recv missing: make -C bench"
if [ "$daemon" != 0 ] && [ -n "$daemon_configs" ]; then
	[ -x "$nfqringd" ] || die "$nfqringd missing: make userspace"
	[ -x "$replay" ] || die "$replay missing: make -C bench"
	command -v python3 >/dev/null || die "python3 missing (bench/rulegen.py)"
	daemon_files
	echo "# daemon: $(head -n 1 "$rules.nft" | sed 's/^# //'), $(grep -c . "$rules.nft") lines"
else
	daemon_configs=
fi
[ "$search" != 0 ] || search_steps=0
if [ "$tcp" != 0 ] && [ "$pass" = main ]; then
	command -v iperf3 >/dev/null || die "iperf3 missing (the TCP pass; BENCH_TCP=0 skips it)"
	command -v python3 >/dev/null || die "python3 missing (the TCP pass)"
fi
# throughput_unit UNIT CONFIGS: the saturation windows of the case in
# $placement/$family/$size/$range, each configuration in turn per
# repetition (rep 0: a warm-up, discarded by the report)
throughput_unit() {
	local rep cfg
	unit "$1" || return 0
	for rep in $(seq 0 "$reps"); do
		for cfg in $2; do
			run_one "$cfg" "$placement" "$family" "$size" "$range" "$rep" throughput
		done
	done
	unit_done
}

# search_units PREFIX CONFIGS: the loss-free search of the same case, a
# unit per configuration ("PREFIX CONFIG")
search_units() {
	local cfg
	[ "$search_steps" -gt 0 ] || return 0
	for cfg in $2; do
		unit "$1 $cfg" || continue
		run_search "$cfg" "$placement" "$family" "$size" "$range"
		unit_done
	done
}

for placement in $placements; do
	pcases=$cases
	[ "$placement" = rps ] && pcases=$rps_cases
	for c in $pcases; do
		IFS=: read -r family size range set <<<"$c"
		[ -n "$range" ] || die "BENCH_CASES: $c is not FAMILY:SIZE:RANGE[:pair]"
		ccfgs=$configs
		[ "$set" = pair ] && ccfgs=$(only stock-mnl nfqring-ring)
		throughput_unit "$placement $c throughput" "$ccfgs"
		search_units "$placement $c search" "$ccfgs"
		if unit "$placement $c counts"; then
			case_count_rate=$(counts_rate "$placement" "$family" "$size" "$range" "$ccfgs")
			echo "# counts at $case_count_rate pps"
			trace_arm
			for cfg in $ccfgs; do
				run_one "$cfg" "$placement" "$family" "$size" "$range" 1 counts
			done
			trace_disarm
			unit_done
		fi
	done
	# the DAQ pass, in every placement: saturation and the loss-free rate
	# of the DAQ modules through daq_sink (no counts pass)
	for c in $daq_cases; do
		[ -n "$daq_configs" ] || break
		IFS=: read -r family size range _ <<<"$c"
		throughput_unit "$placement $c daq throughput" "$daq_configs"
		search_units "$placement $c daq search" "$daq_configs"
	done
	# the passes below in the first placement only (time)
	[ "$placement" = "${placements%% *}" ] || continue
	[ "$latency" = 0 ] || for rep in $(seq 1 "$lat_reps"); do
		unit "$placement latency $rep" || continue
		for cfg in $configs; do
			run_latency "$cfg" "$placement" "$lat_size" "$rep"
		done
		unit_done
	done
	if [ "$twoq" != 0 ] && unit "$placement twoq"; then
		for cfg in $(only stock-mnl nfqring-ring); do
			run_twoq "$cfg" "$placement"
		done
		unit_done
	fi
	if [ "$profile" != 0 ] && command -v perf >/dev/null && unit "$placement profile"; then
		for cfg in $(only none stock-mnl nfqring-ring); do
			run_profile "$cfg" "$placement"
		done
		unit_done
	fi
	# TCP bulk: the queue configurations with F_GSO off and on, and the
	# reference once
	if [ "$tcp" != 0 ]; then
		for rep in $(seq 1 "$tcp_reps"); do
			unit "$placement tcp $rep" || continue
			for cfg in $configs; do
				[ "$cfg" = stock-mnl-aa ] && continue
				run_tcp "$cfg" "$placement" off "$rep"
				[ "$cfg" = none ] || run_tcp "$cfg" "$placement" on "$rep"
			done
			unit_done
		done
	fi
	# the daemon: its own traffic (the corpus' sizes), the copy range its
	# rules need
	if [ -n "$daemon_configs" ]; then
		if unit "$placement daemon throughput"; then
			for rep in $(seq 0 "$reps"); do
				for cfg in $daemon_configs; do
					run_daemon "$cfg" "$placement" "$rep"
				done
			done
			unit_done
		fi
		if [ "$search_steps" -gt 0 ]; then
			for cfg in $daemon_configs; do
				unit "$placement daemon search $cfg" || continue
				run_search "$cfg" "$placement" mix 0 65535
				unit_done
			done
		fi
	fi
done
echo "# module swaps: $swaps; MemAvailable after the first ${mem_first:-?} kB, after the last ${mem_last:-?} kB"
ip netns del gen 2>/dev/null
ip netns del dut 2>/dev/null
for m in nfqring nfnetlink_queue; do grep -q "^$m " /proc/modules && rmmod $m; done
exit $bad
