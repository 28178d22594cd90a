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
# Writes CSV rows to $OUT/results.csv and $OUT/latency.csv (appending).
#   BENCH_REPS (5), BENCH_WINDOW seconds (5), BENCH_SIZES ("64 1500"),
#   BENCH_RANGES ("65535"; 0 = meta only), BENCH_COUNT_RATE pps (20000),
#   BENCH_PLACEMENTS ("split rps"), BENCH_LATENCY (1), BENCH_LAT_RATE (5000)
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
configs="none stock-mnl nfqring-mnl nfqring-ring stock-mnl-aa"
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

# start_config CONFIG PLACEMENT RANGE [deliver]: backend, namespaces, nft
# rules, and the consumer (its pid in $spid, empty for "none")
start_config() {
	local cfg=$1 placement=$2 range=$3 mode
	spid=
	case $cfg in
	none) backend nfqring; mode=accept ;;
	stock-mnl | stock-mnl-aa) backend stock; mode=mnl ;;
	nfqring-mnl) backend nfqring; mode=mnl ;;
	nfqring-ring) backend nfqring; mode=ring ;;
	esac
	setup "$placement"
	nft_rules "$([ "$mode" = accept ] && echo accept || echo queue)" "${4:-}"
	if [ "$mode" != accept ]; then
		# nsenter and taskset exec: $! is the sink itself
		nsenter --net=/run/netns/dut taskset -c 1 "$sink" "$mode" 0 "$range" \
			>"$out/sink.out" 2>&1 &
		spid=$!
		for _ in $(seq 50); do grep -q ready "$out/sink.out" && break; sleep 0.1; done
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

bad=0
mount -t tracefs nodev $T 2>/dev/null
modprobe pktgen || die "no pktgen"
[ -x "$sink" ] || die "$sink missing: make -C bench"
echo "# kernel $kernel, $(nproc) CPUs, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "# cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
[ "$latency" = 0 ] || [ -x "$lat_recv" ] || die "$lat_recv missing: make -C bench"
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
		done
		if [ "$latency" != 0 ]; then
			for cfg in $configs; do
				run_latency "$cfg" "$placement" "$size"
			done
		fi
	done
done
ip netns del gen 2>/dev/null
ip netns del dut 2>/dev/null
for m in nfqring nfnetlink_queue; do grep -q "^$m " /proc/modules && rmmod $m; done
exit $bad
