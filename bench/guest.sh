#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark inside the VM (scripts/bench boots it), as root.
#
# Kernel pktgen in namespace "gen" sends UDP over a veth pair into namespace
# "dut" (source addresses and ports vary, so flows vary); an nft prerouting
# chain there queues it (or accepts it: the reference) and a later chain
# counts and drops what came back.  pktgen runs on CPU 0, the consumer is
# pinned to CPU 1, every configuration the same way.
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
# Writes CSV rows to $OUT/results.csv (appending).
#   BENCH_REPS (5), BENCH_WINDOW seconds (5), BENCH_SIZES ("64 1500"),
#   BENCH_RANGES ("65535"; 0 = meta only), BENCH_COUNT_RATE pps (20000)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
sink=$top/build/bench/nfq_sink
out=${OUT:?OUT: the results folder}
reps=${BENCH_REPS:-5}
window=${BENCH_WINDOW:-5}
sizes=${BENCH_SIZES:-64 1500}
ranges=${BENCH_RANGES:-65535}
count_rate=${BENCH_COUNT_RATE:-20000}
configs="none stock-mnl nfqring-mnl nfqring-ring stock-mnl-aa"
kernel=$(uname -r)
G() { ip netns exec gen "$@"; }
D() { ip netns exec dut "$@"; }
T=/sys/kernel/tracing
csv=$out/results.csv
mkdir -p "$out"
[ -s "$csv" ] || echo "kernel,config,size,range,rep,pass,offered_pps,verdicted_pps,loss_pct,packets,syscalls_per_pkt,wakeups_per_pkt,cswitch_per_pkt,sink_calls_per_pkt,mean_batch,busy_us_per_pkt,queue_total_after,errors" >"$csv"

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

setup() {
	ip netns del gen 2>/dev/null
	ip netns del dut 2>/dev/null
	ip netns add gen && ip netns add dut &&
	ip link add g0 netns gen type veth peer name d0 netns dut &&
	G ip link set g0 up && D ip link set d0 up && D ip link set lo up &&
	D ip addr add 10.77.0.2/16 dev d0 && G ip addr add 10.77.0.1/16 dev g0 || die "netns setup"
	D sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.d0.rp_filter=0
}

nft_rules() {	# nft_rules queue|accept
	local verdict="queue num 0"
	[ "$1" = accept ] && verdict=accept
	D nft -f - <<-NFT || die "nft"
	flush ruleset
	table ip bench {
		chain pre { type filter hook prerouting priority 0;
			udp dport 9 $verdict
		}
		chain count { type filter hook prerouting priority 10;
			udp dport 9 counter drop
		}
	}
	NFT
}

counted() { D nft list chain ip bench count | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

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

# run_one CONFIG SIZE RANGE REP PASS: one measurement, one CSV row
run_one() {
	local cfg=$1 size=$2 range=$3 rep=$4 pass=$5 mode spid=
	local c0 c1 s0 s1 t0 t1 line busy0 busy1
	case $cfg in
	none) backend nfqring; mode=accept ;;
	stock-mnl | stock-mnl-aa) backend stock; mode=mnl ;;
	nfqring-mnl) backend nfqring; mode=mnl ;;
	nfqring-ring) backend nfqring; mode=ring ;;
	esac
	setup
	nft_rules "$([ "$mode" = accept ] && echo accept || echo queue)"
	if [ "$mode" != accept ]; then
		# nsenter and taskset exec: $! is the sink itself
		nsenter --net=/run/netns/dut taskset -c 1 "$sink" "$mode" 0 "$range" \
			>"$out/sink.out" 2>&1 &
		spid=$!
		for _ in $(seq 50); do grep -q ready "$out/sink.out" && break; sleep 0.1; done
		grep -q ready "$out/sink.out" || die "$cfg: the sink did not start: $(cat "$out/sink.out")"
	fi
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
	awk -v cfg="$cfg" -v k="$kernel" -v size="$size" -v range="$range" -v rep="$rep" \
	    -v pass="$pass" -v s=$((s1 - s0)) -v c="$pkts" -v dt="$dt" -v sys="${sys:-0}" \
	    -v wak="${wak:-0}" -v csw="${csw:-0}" -v calls="$calls" -v batch="$batch" \
	    -v busy=$(((busy1 - busy0) * 10000)) -v after="${after:-0}" -v err="${errors:-0}" 'BEGIN {
		loss = s > 0 ? 100 * (s - c) / s : 0
		if (loss < 0) loss = 0
		per = c > 0 ? c : 1
		printf "%s,%s,%d,%d,%s,%s,%.0f,%.0f,%.2f,%d,%.3f,%.3f,%.3f,%s,%s,%.2f,%s,%s\n",
			k, cfg, size, range, rep, pass, s / dt, c / dt, loss, c,
			sys / per, wak / per, csw / per, calls, batch, busy / per, after, err
	}' | tee -a "$csv"
	# correctness: the sink's count is what the counting chain saw, and the
	# queue is empty afterwards
	if [ -n "$spid" ] && [ "${after:-0}" != 0 ] && [ "${after:-}" != "" ]; then
		echo "bench: $cfg: queue_total $after after the run" >&2
		bad=1
	fi
}

bad=0
mount -t tracefs nodev $T 2>/dev/null
modprobe pktgen || die "no pktgen"
[ -x "$sink" ] || die "$sink missing: make -C bench"
echo "# kernel $kernel, $(nproc) CPUs, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "# cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
for size in $sizes; do
	for range in $ranges; do
		for rep in $(seq 0 "$reps"); do	# rep 0: warm-up, discarded by the report
			for cfg in $configs; do
				run_one "$cfg" "$size" "$range" "$rep" throughput
			done
		done
		for cfg in $configs; do
			run_one "$cfg" "$size" "$range" 1 counts
		done
	done
done
ip netns del gen 2>/dev/null
ip netns del dut 2>/dev/null
for m in nfqring nfnetlink_queue; do grep -q "^$m " /proc/modules && rmmod $m; done
exit $bad
