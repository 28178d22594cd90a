#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark inside the VM (scripts/bench boots it), as root.
#
# Kernel pktgen in namespace "gen" sends UDP over a veth pair into namespace
# "dut" (source addresses and ports vary, so flows vary); an nft prerouting
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
#   stock-mnl'   stock again: the A/A pair, the noise floor
# Throughput at saturation: pktgen as fast as it can for the window; the
# verdicted rate is what the counting chain saw.  A second, shorter pass
# per configuration at a fixed rate counts system calls, wake-ups and
# context switches per packet with ftrace (the tracing would slow the
# throughput pass).
#
# A latency pass (BENCH_LATENCY=1, separate from the others: its receiver
# changes what is measured) sends at a fixed moderate rate and delivers to a
# socket (bench/lat_recv): pktgen's send timestamp to the socket, per
# configuration, so that the no-queue figure can be subtracted.
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
# Writes CSV rows to $OUT/results.csv and $OUT/latency.csv (appending).
#   BENCH_REPS (5), BENCH_WINDOW seconds (5), BENCH_SIZES ("64 1500"),
#   BENCH_RANGES ("65535"; 0 = meta only), BENCH_COUNT_RATE pps (20000),
#   BENCH_PLACEMENTS ("split rps"), BENCH_LATENCY (1), BENCH_LAT_RATE (5000),
#   BENCH_DAEMON (1), BENCH_SEARCH (1), BENCH_SEARCH_WINDOW (2),
#   BENCH_SEARCH_STEPS (6), BENCH_CONFIGS (all: a subset of the names above)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sink=$top/build/bench/nfq_sink
out=${OUT:?OUT: the results folder}
reps=${BENCH_REPS:-5}
window=${BENCH_WINDOW:-5}
sizes=${BENCH_SIZES:-64 1500}
ranges=${BENCH_RANGES:-65535}
count_rate=${BENCH_COUNT_RATE:-20000}
placements=${BENCH_PLACEMENTS:-split rps}
latency=${BENCH_LATENCY:-1}
lat_rate=${BENCH_LAT_RATE:-5000}
lat_recv=$top/build/bench/lat_recv
daemon=${BENCH_DAEMON:-1}
search=${BENCH_SEARCH:-1}
search_window=${BENCH_SEARCH_WINDOW:-2}
search_steps=${BENCH_SEARCH_STEPS:-6}
max_loss=0.1	# percent, for the loss-free rate
nfqringd=$top/daemon/build/nfqringd
replay=$top/build/bench/udp_replay
rules=$out/daemon/rules	# rulegen's .nft and .corpus, made once per results folder
sock=/run/nfqringd-bench.sock
nft_table="ip bench"	# the table of the counting chain (nft_rules, nft_daemon_rules)
only() {	# only NAME...: the names BENCH_CONFIGS keeps (all when unset)
	local c
	for c in "$@"; do
		[ -z "${BENCH_CONFIGS:-}" ] || [[ " $BENCH_CONFIGS " == *" $c "* ]] && echo "$c"
	done
}
configs=$(only none stock-mnl nfqring-mnl nfqring-ring stock-mnl-aa)
daemon_configs=$(only nfqringd-ring nfqringd-nl-stock)
kernel=$(uname -r)
G() { ip netns exec gen "$@"; }
D() { ip netns exec dut "$@"; }
T=/sys/kernel/tracing
csv=$out/results.csv
mkdir -p "$out"
[ -s "$csv" ] || echo "kernel,placement,config,size,range,rep,pass,offered_pps,verdicted_pps,loss_pct,packets,syscalls_per_pkt,wakeups_per_pkt,cswitch_per_pkt,sink_calls_per_pkt,mean_batch,busy_us_per_pkt,queue_total_after,errors,batch_hist" >"$csv"
lcsv=$out/latency.csv
[ -s "$lcsv" ] || echo "kernel,placement,config,size,rate,count,p50_us,p90_us,p99_us,p999_us,max_us,lost" >"$lcsv"

die() { echo "bench: $*" >&2; exit 1; }

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
}

setup() {	# setup PLACEMENT
	ip netns del gen 2>/dev/null
	ip netns del dut 2>/dev/null
	ip netns add gen && ip netns add dut &&
	ip link add g0 netns gen type veth peer name d0 netns dut &&
	G ip link set g0 up && D ip link set d0 up && D ip link set lo up &&
	D ip addr add 10.77.0.2/16 dev d0 && G ip addr add 10.77.0.1/16 dev g0 || die "netns setup"
	D sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.d0.rp_filter=0
	# veth hands packets to netif_rx(), which honours RPS: CPU 1 (mask 2)
	local mask=0
	[ "$1" = rps ] && mask=2
	D sh -c "echo $mask >/sys/class/net/d0/queues/rx-0/rps_cpus" || die "rps_cpus"
}

nft_rules() {	# nft_rules queue|accept [deliver]: deliver lets packets reach a socket
	local verdict="queue num 0" last=drop
	[ "$1" = accept ] && verdict=accept
	[ "${2:-}" = deliver ] && last=accept
	nft_table="ip bench"
	D nft -f - <<-NFT || die "nft"
	flush ruleset
	table ip bench {
		chain pre { type filter hook prerouting priority 0;
			udp dport 9 $verdict
		}
		chain count { type filter hook prerouting priority 10;
			udp dport 9 counter $last
		}
	}
	NFT
}

# nft_daemon_rules: the same for the daemon's traffic (IPv4 and IPv6, UDP
# and TCP, any port; ARP and neighbour discovery are not queued)
nft_daemon_rules() {
	nft_table="inet bench"
	D nft -f - <<-NFT || die "nft"
	flush ruleset
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

pg() { G sh -c "echo '$1' >/proc/net/pktgen/$2"; }

pktgen_setup() {	# pktgen_setup SIZE RATE (0: as fast as it can)
	local mac
	mac=$(D cat /sys/class/net/d0/address)
	pg "rem_device_all" kpktgend_0
	pg "add_device g0" kpktgend_0
	pg "count 0" g0
	pg "pkt_size $(($1 - 4))" g0	# pktgen's size includes the 4-byte FCS
	pg "delay 0" g0
	[ "$2" != 0 ] && pg "ratep $2" g0
	pg "dst 10.77.0.2" g0
	pg "dst_mac $mac" g0
	pg "src_min 10.77.1.1" g0
	pg "src_max 10.77.1.254" g0
	pg "udp_src_min 1000" g0
	pg "udp_src_max 2000" g0
	pg "udp_dst_min 9" g0
	pg "udp_dst_max 9" g0
	pg "flag IPSRC_RND" g0
	pg "flag UDPSRC_RND" g0
}

sent() { G sed -n 's/.*pkts-sofar: \([0-9]*\).*/\1/p' /proc/net/pktgen/g0; }

queued() { D awk '$1 == 0 { print $3 }' /proc/net/netfilter/nfnetlink_queue 2>/dev/null; }

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
}
replay_stop() {
	kill -TERM "$rpid" 2>/dev/null
	wait "$rpid"
	grep -q '^sent=' "$out/replay.out" || echo "bench: udp_replay: $(cat "$out/replay.out")" >&2
}

# dstat ARRAY: nfqringd's figures for queue 0 into ARRAY: accept drop
# packets batches errors (errors: refused verdicts, ring overruns, malformed
# messages); the batch-size histogram (1:2-3:...:256+) into $dhist
dstat() {
	local _j
	_j=$("$nfqringd" --stats --json -s "$sock" 2>/dev/null) || echo "bench: nfqringd --stats failed" >&2
	_f() { grep -o "\"$1\": [0-9]*" <<<"$_j" | head -n 1 | sed 's/.*: //' | grep . || echo 0; }
	dhist=$(sed -n 's/.*"batch_sizes": {\([^}]*\)}.*/\1/p' <<<"$_j" | grep -o ': [0-9]*' | tr -d ': ' | paste -sd:)
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

# start_config CONFIG PLACEMENT RANGE [deliver]: backend, namespaces, nft
# rules, and the consumer (its pid in $spid, empty for "none")
start_config() {
	local cfg=$1 placement=$2 range=$3 mode dbackend
	spid=
	case $cfg in
	none)	# the module of the queue configurations; stock without nfqring
		if modinfo nfqring >/dev/null 2>&1; then backend nfqring; else backend stock; fi
		mode=accept ;;
	stock-mnl | stock-mnl-aa) backend stock; mode=mnl ;;
	nfqring-mnl) backend nfqring; mode=mnl ;;
	nfqring-ring) backend nfqring; mode=ring ;;
	nfqringd-ring) backend nfqring; mode=daemon; dbackend=ring ;;
	nfqringd-nl-stock) backend stock; mode=daemon; dbackend=netlink ;;
	esac
	setup "$placement"
	if [ "$mode" = daemon ]; then
		local mac6
		mac6=$(D cat /sys/class/net/d0/address)
		D ip addr add fd77::2/64 dev d0 nodad && G ip addr add fd77::1/64 dev g0 nodad &&
		G ip neigh replace 10.77.0.2 lladdr "$mac6" dev g0 nud permanent &&
		G ip neigh replace fd77::2 lladdr "$mac6" dev g0 nud permanent || die "IPv6 setup"
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
		for _ in $(seq 600); do grep -qs 'serving queues' "$out/nfqringd.out" && break; sleep 0.1; done
		grep -q 'serving queues' "$out/nfqringd.out" ||
			die "$cfg: nfqringd did not start: $(cat "$out/nfqringd.out")"
		return
	fi
	nft_rules "$([ "$mode" = accept ] && echo accept || echo queue)" "${4:-}"
	if [ "$mode" != accept ]; then
		# nsenter and taskset exec: $! is the sink itself
		nsenter --net=/run/netns/dut taskset -c 1 "$sink" "$mode" 0 "$range" \
			>"$out/sink.out" 2>&1 &
		spid=$!
		for _ in $(seq 300); do grep -q ready "$out/sink.out" && break; sleep 0.1; done
		grep -q ready "$out/sink.out" || die "$cfg: the sink did not start: $(cat "$out/sink.out")"
	fi
}

# run_latency CONFIG PLACEMENT SIZE: one latency row at $lat_rate pps
run_latency() {
	local cfg=$1 placement=$2 size=$3 lpid line s0 s1 c0 c1
	start_config "$cfg" "$placement" 65535 deliver
	nsenter --net=/run/netns/dut taskset -c 1 "$lat_recv" 9 >"$out/lat.out" 2>&1 &
	lpid=$!
	for _ in $(seq 50); do grep -q ready "$out/lat.out" && break; sleep 0.1; done
	pktgen_setup "$size" "$lat_rate"
	c0=$(counted); s0=$(sent)
	G sh -c 'echo start >/proc/net/pktgen/pgctrl' &
	local gpid=$!
	sleep "$window"
	G sh -c 'echo stop >/proc/net/pktgen/pgctrl'
	wait "$gpid" 2>/dev/null
	sleep 0.5
	c1=$(counted); s1=$(sent)
	kill -TERM "$lpid"; wait "$lpid"
	[ -n "$spid" ] && { kill -TERM "$spid"; wait "$spid"; }
	line=$(tail -n 1 "$out/lat.out")
	get() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$line"; }
	echo "$kernel,$placement,$cfg,$size,$lat_rate,$(get count),$(get p50),$(get p90),$(get p99),$(get p999),$(get max),$((s1 - s0 - (c1 - c0)))" |
		tee -a "$lcsv"
}

# run_one CONFIG PLACEMENT SIZE RANGE REP PASS: one measurement, one CSV row
run_one() {
	local cfg=$1 placement=$2 size=$3 range=$4 rep=$5 pass=$6
	local c0 c1 s0 s1 t0 t1 line busy0 busy1 hist=
	start_config "$cfg" "$placement" "$range"
	pktgen_setup "$size" "$([ "$pass" = counts ] && echo "$count_rate" || echo 0)"
	G sh -c 'echo start >/proc/net/pktgen/pgctrl' &
	local gpid=$!
	sleep 1		# ramp up; then the window
	if [ "$pass" = counts ]; then
		echo 0 >$T/tracing_on
		echo "hist:keys=common_pid.execname:vals=hitcount" >$T/events/raw_syscalls/sys_enter/trigger
		echo "hist:keys=pid:vals=hitcount" >$T/events/sched/sched_wakeup/trigger
		echo "hist:keys=prev_pid:vals=hitcount" >$T/events/sched/sched_switch/trigger
		echo 1 >$T/tracing_on
	fi
	busy0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
	c0=$(counted); s0=$(sent); t0=$(date +%s%N)
	sleep "$([ "$pass" = counts ] && echo 2 || echo "$window")"
	c1=$(counted); s1=$(sent); t1=$(date +%s%N)
	busy1=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
	local sys=0 wak=0 csw=0
	if [ "$pass" = counts ]; then
		echo 0 >$T/tracing_on
		# the sink's threads: its pid (one thread)
		sys=$(sed -n "s/.*common_pid: *nfq_sink *\[ *$spid\].*hitcount: *\([0-9]*\).*/\1/p" \
			$T/events/raw_syscalls/sys_enter/hist | head -n 1)
		wak=$(sed -n "s/^{ pid: *$spid } hitcount: *\([0-9]*\).*/\1/p" $T/events/sched/sched_wakeup/hist | head -n 1)
		csw=$(sed -n "s/^{ prev_pid: *$spid } hitcount: *\([0-9]*\).*/\1/p" $T/events/sched/sched_switch/hist | head -n 1)
		echo "!hist:keys=common_pid.execname:vals=hitcount" >$T/events/raw_syscalls/sys_enter/trigger
		echo "!hist:keys=pid:vals=hitcount" >$T/events/sched/sched_wakeup/trigger
		echo "!hist:keys=prev_pid:vals=hitcount" >$T/events/sched/sched_switch/trigger
	fi
	G sh -c 'echo stop >/proc/net/pktgen/pgctrl'
	wait "$gpid" 2>/dev/null
	sleep 0.5
	local errors=0 batch=0 calls=0 total=0 after
	if [ -n "$spid" ]; then
		after=$(queued)
		kill -TERM "$spid"
		wait "$spid"
		line=$(tail -n 1 "$out/sink.out")
		total=$(sed -n 's/.*packets=\([0-9]*\).*/\1/p' <<<"$line")
		errors=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$line")
		hist=$(sed -n 's/.*batch_hist=\([0-9:]*\).*/\1/p' <<<"$line")
		local b rc vc
		b=$(sed -n 's/.*batches=\([0-9]*\).*/\1/p' <<<"$line")
		rc=$(sed -n 's/.*recv_calls=\([0-9]*\).*/\1/p' <<<"$line")
		vc=$(sed -n 's/.*verdict_calls=\([0-9]*\).*/\1/p' <<<"$line")
		[ "${b:-0}" -gt 0 ] && batch=$(awk -v p="$total" -v b="$b" 'BEGIN { printf "%.1f", p / b }')
		[ "${total:-0}" -gt 0 ] && calls=$(awk -v p="$total" -v r="$rc" -v v="$vc" 'BEGIN { printf "%.3f", (r + v) / p }')
	else
		after=0
	fi
	local dt pkts
	pkts=$((c1 - c0))
	dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')
	awk -v cfg="$cfg" -v k="$kernel" -v pl="$placement" -v hist="$hist" -v size="$size" -v range="$range" -v rep="$rep" \
	    -v pass="$pass" -v s=$((s1 - s0)) -v c="$pkts" -v dt="$dt" -v sys="${sys:-0}" \
	    -v wak="${wak:-0}" -v csw="${csw:-0}" -v calls="$calls" -v batch="$batch" \
	    -v busy=$(((busy1 - busy0) * 10000)) -v after="${after:-0}" -v err="${errors:-0}" 'BEGIN {
		loss = s > 0 ? 100 * (s - c) / s : 0
		if (loss < 0) loss = 0
		per = c > 0 ? c : 1
		printf "%s,%s,%s,%d,%d,%s,%s,%.0f,%.0f,%.2f,%d,%.3f,%.3f,%.3f,%s,%s,%.2f,%s,%s,%s\n",
			k, pl, cfg, size, range, rep, pass, s / dt, c / dt, loss, c,
			sys / per, wak / per, csw / per, calls, batch, busy / per, after, err, hist
	}' | tee -a "$csv"
	# correctness: the sink's count is what the counting chain saw, and the
	# queue is empty afterwards
	if [ -n "$spid" ] && [ "${after:-0}" != 0 ] && [ "${after:-}" != "" ]; then
		echo "bench: $cfg: queue_total $after after the run" >&2
		bad=1
	fi
}

# daemon_stop CONFIG: after the sender stopped and the queue drained, check
# nfqringd (its accepts against the counting chain, the queue empty) and stop
# it; sets $after, $derr (errors, plus any accept mismatch) and $dhist
daemon_stop() {
	local cfg=$1 fin c
	after=$(queued)
	dstat fin
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
	local cfg=$1 placement=$2 rep=$3 range=65535
	local c0 c1 s0 s1 t0 t1 d0 d1 busy0 busy1 after derr dhist
	start_config "$cfg" "$placement" "$range"
	replay_start 0
	sleep 1		# ramp up; then the window
	busy0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
	dstat d0
	c0=$(counted); s0=$(offered); t0=$(date +%s%N)
	sleep "$window"
	dstat d1
	c1=$(counted); s1=$(offered); t1=$(date +%s%N)
	busy1=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
	replay_stop
	sleep 0.5
	daemon_stop "$cfg"
	awk -v k="$kernel" -v pl="$placement" -v cfg="$cfg" -v range="$range" -v rep="$rep" \
	    -v s=$((s1 - s0)) -v c=$((c1 - c0)) -v dr=$((${d1[1]:-0} - ${d0[1]:-0})) \
	    -v p=$((${d1[2]:-0} - ${d0[2]:-0})) -v b=$((${d1[3]:-0} - ${d0[3]:-0})) \
	    -v t0="$t0" -v t1="$t1" -v busy=$(((busy1 - busy0) * 10000)) -v after="${after:-0}" \
	    -v err="$derr" -v hist="$dhist" 'BEGIN {
		dt = (t1 - t0) / 1e9
		v = c + dr			# verdicted: accepted (counted) and dropped
		loss = s > 0 ? 100 * (s - v) / s : 0
		if (loss < 0) loss = 0
		per = v > 0 ? v : 1
		printf "%s,%s,%s,0,%d,%s,throughput,%.0f,%.0f,%.2f,%d,0,0,0,,%.1f,%.2f,%s,%s,%s\n",
			k, pl, cfg, range, rep, s / dt, v / dt, loss, v,
			(b > 0 ? p / b : 0), busy / per, after, err, hist
	}' | tee -a "$csv"
}

# measure RATE: one window of the loss-free search at RATE pps on the
# running configuration ($cur_mode: pktgen or daemon; consumer $spid); sets
# m_off (offered pps), m_ver (verdicted pps), m_loss (%), m_pkts (verdicted
# packets).  The counters are read with the sender stopped and the queue
# drained at both ends (reading them while packets flow would skew the
# figures by what passes between two reads), so every packet offered is
# verdicted or lost in the window; the offered rate is the sender's own.
measure() {
	local r=$1 c0 c1 s0=0 s1 d0 d1 gpid pps
	c0=$(counted)
	if [ "$cur_mode" = daemon ]; then
		dstat d0
		s0=$(offered)
		replay_start "$r"
	else
		pg "ratep $r" g0
		G sh -c 'echo start >/proc/net/pktgen/pgctrl' &	# resets pkts-sofar
		gpid=$!
	fi
	sleep "$search_window"
	if [ "$cur_mode" = daemon ]; then
		replay_stop
		pps=$(sed -n 's/.* pps=\([0-9]*\).*/\1/p' "$out/replay.out")
		s1=$(offered)
	else
		G sh -c 'echo stop >/proc/net/pktgen/pgctrl'
		wait "$gpid" 2>/dev/null
		pps=$(G sed -n 's/^ *\([0-9]*\)pps .*/\1/p' /proc/net/pktgen/g0)
		s1=$(sent)
	fi
	sleep 0.5	# the queue drains
	c1=$(counted)
	[ "$cur_mode" = daemon ] && dstat d1
	read -r m_off m_ver m_loss m_pkts < <(awk -v s=$((s1 - s0)) -v c=$((c1 - c0)) \
		-v dr=$((${d1[1]:-0} - ${d0[1]:-0})) -v pps="${pps:-0}" 'BEGIN {
		v = c + dr
		loss = s > 0 ? 100 * (s - v) / s : 0
		if (loss < 0) loss = 0
		printf "%.0f %.0f %.3f %d\n", pps, (s > 0 ? pps * v / s : 0), loss, v
	}')
}

# saturation CONFIG PLACEMENT SIZE RANGE: median verdicted pps of this
# run's throughput rows (0 when there is none)
saturation() {
	awk -F, -v k="$kernel" -v c="$1" -v p="$2" -v s="$3" -v r="$4" \
		'$1 == k && $2 == p && $3 == c && $4 == s && $5 == r && $7 == "throughput" && $6 >= 1 { print $9 }' "$csv" |
		sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
}

# run_search CONFIG PLACEMENT SIZE RANGE: the loss-free rate, by bisection on
# the sender's rate from the saturation figure; a row per step, one result row
run_search() {
	local cfg=$1 placement=$2 size=$3 range=$4
	local sat r lo=0 hi=0 step=0 best_off=0 best_ver=0 best_loss=0 best_pkts=0 after=0 derr=0 dhist=
	local m_off m_ver m_loss m_pkts
	sat=$(saturation "$cfg" "$placement" "$size" "$range")
	[ "${sat:-0}" -gt 1000 ] 2>/dev/null || sat=50000
	start_config "$cfg" "$placement" "$range"
	cur_mode=pktgen
	case $cfg in nfqringd-*) cur_mode=daemon ;; *) pktgen_setup "$size" "$sat" ;; esac
	r=$sat
	while [ "$step" -lt "$search_steps" ]; do
		step=$((step + 1))
		measure "$r"
		m_off=${m_off:-0} m_ver=${m_ver:-0} m_loss=${m_loss:-100} m_pkts=${m_pkts:-0}
		echo "search $cfg: step $step, $r pps asked"
		echo "$kernel,$placement,$cfg,$size,$range,$step,search-step,$m_off,$m_ver,$m_loss,$m_pkts,0,0,0,,,,,," |
			tee -a "$csv"
		if awk -v l="$m_loss" -v m="$max_loss" 'BEGIN { exit !(l <= m) }'; then
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
		after=$(queued)
		kill -TERM "$spid"
		wait "$spid"
		derr=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$(tail -n 1 "$out/sink.out")")
		if [ "${after:-0}" != 0 ]; then
			echo "bench: $cfg: queue_total $after after the search" >&2
			bad=1
		fi
	fi
	echo "$kernel,$placement,$cfg,$size,$range,$step,search,$best_off,$best_ver,$best_loss,$best_pkts,0,0,0,,,,${after:-0},${derr:-0}," |
		tee -a "$csv"
}

bad=0
mount -t tracefs nodev $T 2>/dev/null
modprobe pktgen || die "no pktgen"
[ -x "$sink" ] || die "$sink missing: make -C bench"
echo "# kernel $kernel, $(nproc) CPUs, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "# cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
[ "$latency" = 0 ] || [ -x "$lat_recv" ] || die "$lat_recv missing: make -C bench"
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
for placement in $placements; do
	for size in $sizes; do
		for range in $ranges; do
			for rep in $(seq 0 "$reps"); do	# rep 0: warm-up, discarded by the report
				for cfg in $configs; do
					run_one "$cfg" "$placement" "$size" "$range" "$rep" throughput
				done
			done
			for cfg in $configs; do
				run_one "$cfg" "$placement" "$size" "$range" 1 counts
			done
			if [ "$search_steps" -gt 0 ]; then
				for cfg in $configs; do
					run_search "$cfg" "$placement" "$size" "$range"
				done
			fi
		done
		if [ "$latency" != 0 ]; then
			for cfg in $configs; do
				run_latency "$cfg" "$placement" "$size"
			done
		fi
	done
	# the daemon: its own traffic (the corpus' sizes), the copy range its
	# rules need
	if [ -n "$daemon_configs" ]; then
		for rep in $(seq 0 "$reps"); do
			for cfg in $daemon_configs; do
				run_daemon "$cfg" "$placement" "$rep"
			done
		done
		if [ "$search_steps" -gt 0 ]; then
			for cfg in $daemon_configs; do
				run_search "$cfg" "$placement" 0 65535
			done
		fi
	fi
done
ip netns del gen 2>/dev/null
ip netns del dut 2>/dev/null
for m in nfqring nfnetlink_queue; do grep -q "^$m " /proc/modules && rmmod $m; done
exit $bad
