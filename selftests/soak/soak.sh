#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The soak (issue #7), inside the test VM, as root: bounded UDP traffic for
# NFQR_SOAK_SECONDS while nfqringd reloads its rules every second, a second
# consumer binds and unbinds queue 2, and a receiving veth goes down and up;
# then every packet is accounted for, the module's counters balance, memory
# is back to its baseline and rmmod is refused, then allowed.
#
#   soak.sh          exit 0: every check passed; 1: a check failed
#
# Environment:
#   NFQR_SOAK_SECONDS   how long traffic runs (default 600)
#   NFQR_SOAK_PACKETS   upper bound on the datagrams sent (default 400000)
#   NFQR_SOAK_BURST     datagrams per flow per round (default 20, 1 ms apart)
#   NFQR_SOAK_CG_KB     memory still charged to the daemons' cgroup once
#                       they exited (default 1024; one leaked ring is 4 MiB)
#   NFQR_SOAK_MEM_KB    tolerated loss of MemAvailable (plus the free pages
#                       on per-cpu lists, which MemFree leaves out), and
#                       growth of Percpu, VmallocUsed, SUnreclaim (16384)
#   NFQR_SOAK_SLAB_OBJS tolerated growth of the objects in the nfqr_pkt
#                       cache's slabs, used or free (default 1024)
#   NFQR_SOAK_QUIET_MS  a receiver ends after this long without a datagram
#                       (default 60000: longer than queue 2 is ever unbound,
#                       also on a slow debug kernel)
#   NFQR_SOAK_FAULT     to see the soak fail: "unbooked" sends 5 datagrams
#                       that the books do not record; "holdmod" keeps
#                       /dev/nfqring open so that the final rmmod is refused;
#                       "ringfig" adds a forged line (rx_in_use above
#                       rx_frame_nr) to one reading of the ring figures
#   NFQR_SOAK_RUSH      datagrams of each rush (below; default 400, 0: none)
#
# Layout: namespace soaks sends; namespace soakd receives, queues and runs
# the daemons.  Two veth pairs join them:
#   stable  sa0 10.77.0.1 fd77::1 -- sa1 10.77.0.2 fd77::2  never touched;
#           permanent neighbour entries, so nothing is lost on it
#   flap    sb0 10.78.0.1 fd78::1 -- sb1 10.78.0.2 fd78::2  sb1 goes down
#           and up; datagrams sent while it is down are lost on the link
# In soakd an input chain counts every datagram at its queue rule (hNNNNN),
# queues IPv4 to queue 0, IPv6 to queue 1 (port 11020: queue 2), all without
# bypass; a later input chain counts what was let through (aNNNNN).
#   11001 stable  nfqringd accepts           receiver checks the data
#   11002 stable  nfqringd drops             no receiver
#   11003 stable  nfqringd fills with "h"    receiver checks every byte
#   11010 flap    nfqringd accepts (batch)   receiver checks the data
#   11020 stable  queue 2: a second nfqringd, started and stopped
# While the traffic runs, the ring figures of /proc/net/netfilter/nfqring
# are read at random moments and must stay within each ring's geometry
# (rx_in_use <= rx_frame_nr, ...; issue 19).  Every 4 s a rush of
# NFQR_SOAK_RUSH datagrams to 11002, back to back, keeps nfqringd's ring
# busy for a while, so that it reads frame after frame without poll():
# the figures are read during each rush too.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${NFQR_BIN:-$TOP/build/selftests/daemon}
NFQRINGD=${NFQRINGD:-$TOP/daemon/build/nfqringd}
TRAFFIC=$BIN/traffic
SECS=${NFQR_SOAK_SECONDS:-600}
MAXPKTS=${NFQR_SOAK_PACKETS:-400000}
BURST=${NFQR_SOAK_BURST:-20}
MEM_KB=${NFQR_SOAK_MEM_KB:-16384}
CG_KB=${NFQR_SOAK_CG_KB:-1024}
SLAB_OBJS=${NFQR_SOAK_SLAB_OBJS:-1024}
FAULT=${NFQR_SOAK_FAULT:-}
RUSH=${NFQR_SOAK_RUSH:-400}
STATS=/proc/net/netfilter/nfqring_stats
PORTS="11001 11002 11003 11010 11020"
RECV_PORTS="11001 11003 11010 11020"
QUIET_MS=${NFQR_SOAK_QUIET_MS:-60000}	# a receiver ends after this long without a datagram
FIRST_MS=$((QUIET_MS * 2 > 120000 ? QUIET_MS * 2 : 120000))	# ... or before the first one
PARK=10			# datagrams parked in queue 0 before each down of sb1

fails=0
mpid='' q2pid='' spid='' holder='' wpid='' rushpid=''
T='' CG=''
CGRUN=()	# prefix that starts a command in the cgroup CG

say() { echo "# $*"; }
die() { echo "soak: $*" >&2; exit 1; }
fail() { echo "not ok: $*"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; }
S() { ip netns exec soaks "$@"; }
D() { ip netns exec soakd "$@"; }

check_eq() {	# check_eq WHAT GOT WANT
	if [ "$2" = "$3" ]; then pass "$1: $2"; else fail "$1: got $2, want $3"; fi
}

# WANT - SLACK <= GOT <= WANT, where SLACK is the packets the module refused
# or could not deliver (0 in a healthy run: then exactly WANT).  Such packets
# are dropped before any verdict, so they can only make GOT smaller.
check_upto() {	# check_upto WHAT GOT WANT
	if [ "$2" -le "$3" ] && [ "$2" -ge $(($3 - slack)) ]; then
		pass "$1: $2${slack:+ (want $3, $slack refused/undelivered)}"
	else
		fail "$1: got $2, want $3 (less at most the $slack refused/undelivered)"
	fi
}

[ "$(id -u)" = 0 ] || die "run as root (inside the test VM: selftests/vm/vm-run ... -- $0)"
[ "${VM_RUN:-}" = 1 ] || [ "${NFQR_SOAK_ON_HOST:-}" = 1 ] ||
	die "loads nfqring: run inside the test VM (selftests/vm/vm-run), or set NFQR_SOAK_ON_HOST=1"
for f in "$TRAFFIC" "$NFQRINGD"; do
	[ -x "$f" ] || die "$f missing: run 'make selftests daemon' in $TOP"
done
for c in nft nsenter timeout ip; do
	command -v "$c" >/dev/null || die "$c missing (apt-get install nftables util-linux coreutils iproute2)"
done
case $FAULT in "" | unbooked | holdmod | ringfig) ;; *) die "NFQR_SOAK_FAULT: unbooked, holdmod or ringfig, not '$FAULT'" ;; esac
for n in SECS MAXPKTS BURST MEM_KB CG_KB SLAB_OBJS QUIET_MS RUSH; do
	[[ ${!n} =~ ^[0-9]+$ ]] || die "$n: '${!n}' is not a number"
done

cleanup() {
	set +e
	[ -n "$wpid" ] && kill "$wpid"
	[ -n "$rushpid" ] && kill "$rushpid"
	[ -n "$mpid" ] && kill -CONT "$mpid" && kill -KILL "$mpid"
	[ -n "$q2pid" ] && kill -KILL "$q2pid"
	[ -n "$spid" ] && kill -- -"$spid" 2>/dev/null
	[ -n "$holder" ] && kill "$holder"
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	ip netns del soaks 2>/dev/null
	ip netns del soakd 2>/dev/null
	[ -n "$T" ] && rm -rf "$T"
	[ -n "$CG" ] && rmdir "$CG"
}
trap cleanup EXIT

T=$(mktemp -d /tmp/nfqr-soak.XXXXXX)

# ---- module and network
lsmod | grep -q '^nfnetlink_queue ' && die "nfnetlink_queue is loaded: nfqring cannot load next to it"
modprobe nfqring || die "modprobe nfqring failed (is nfqring installed with DKMS for $(uname -r)?)"
[ -e /dev/nfqring ] || die "/dev/nfqring missing after modprobe nfqring"
for n in soaks soakd; do
	[ -e /run/netns/$n ] && die "network namespace $n exists: another soak running?"
done

ip netns add soaks
ip netns add soakd
ip link add sa0 netns soaks type veth peer name sa1 netns soakd
ip link add sb0 netns soaks type veth peer name sb1 netns soakd
for ns in soaks soakd; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.keep_addr_on_down=1 \
		net.ipv6.conf.default.keep_addr_on_down=1
	ip -n $ns link set lo up
done
S ip addr add 10.77.0.1/24 dev sa0
S ip addr add fd77::1/64 dev sa0 nodad
S ip addr add 10.78.0.1/24 dev sb0
S ip addr add fd78::1/64 dev sb0 nodad
D ip addr add 10.77.0.2/24 dev sa1
D ip addr add fd77::2/64 dev sa1 nodad
D ip addr add 10.78.0.2/24 dev sb1
D ip addr add fd78::2/64 dev sb1 nodad
for d in sa0 sb0; do S ip link set $d up; S "$TRAFFIC" csum-off $d; done
for d in sa1 sb1; do D ip link set $d up; D "$TRAFFIC" csum-off $d; done
# the stable link resolves nothing: no datagram waits for (or is lost in) ARP/ND
mac0=$(S cat /sys/class/net/sa0/address)
mac1=$(D cat /sys/class/net/sa1/address)
S ip neigh replace 10.77.0.2 lladdr "$mac1" dev sa0 nud permanent
S ip neigh replace fd77::2 lladdr "$mac1" dev sa0 nud permanent
D ip neigh replace 10.77.0.1 lladdr "$mac0" dev sa1 nud permanent
D ip neigh replace fd77::1 lladdr "$mac0" dev sa1 nud permanent

{
	echo "table inet soak {"
	for p in $PORTS; do echo "	counter h$p { }"; echo "	counter a$p { }"; done
	echo "	chain q { type filter hook input priority 0; policy accept;"
	for p in 11001 11002 11003 11010; do
		echo "		meta nfproto ipv4 udp dport $p counter name \"h$p\" queue num 0"
		echo "		meta nfproto ipv6 udp dport $p counter name \"h$p\" queue num 1"
	done
	echo "		udp dport 11020 counter name \"h11020\" queue num 2"
	echo "	}"
	echo "	chain after { type filter hook input priority 10; policy accept;"
	for p in $PORTS; do echo "		udp dport $p counter name \"a$p\""; done
	echo "	}"
	echo "}"
} >"$T/soak.nft"
D nft -f "$T/soak.nft" || die "nft ruleset refused"

ctr() { D nft list counter inet soak "$1" | sed -n 's/.*packets \([0-9]*\) .*/\1/p'; }

# module counters of soakd: "name value" lines; absent file = old module
D test -r $STATS || die "$STATS missing: this nfqring predates the per-namespace counters; reinstall it (scripts/dkms-install) and rerun"
mstat() { D awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }' $STATS; }

# ---- the ring figures (issue 19).  RINGFIG_AWK reads the text of
# /proc/net/netfilter/nfqring and prints "bad: WHY: LINE" for each ring line
# whose figures leave its ring's geometry, then "seen RINGLINES MAX_IN_USE".
# shellcheck disable=SC2016 # an awk program
RINGFIG_AWK='
		$1 == "#" && $2 == "queue" {
			split("", c)
			for (i = 2; i <= NF; i++)
				c[$i] = i - 1
			ncol = NF - 1
			n = split("transport rx_frame_nr rx_frame_size tx_frame_nr tx_frame_size rx_in_use tx_frames tx_batches", need)
			for (i = 1; i <= n; i++)
				if (!(need[i] in c))
					print "bad: the header names no column " need[i] ": " $0
			next
		}
		/^#/ || NF == 0 { next }
		!ncol { print "bad: a queue line before the header naming the columns: " $0; next }
		$c["transport"] != "ring" { next }
		NF != ncol { print "bad: not as many fields as the header names: " $0; next }
		{
			for (i = 2; i <= n; i++)
				if ($c[need[i]] !~ /^[0-9]+$/) {
					print "bad: " need[i] " is no number: " $0
					next
				}
			nr = $c["rx_frame_nr"] + 0; sz = $c["rx_frame_size"] + 0
			tnr = $c["tx_frame_nr"] + 0; tsz = $c["tx_frame_size"] + 0
			use = $c["rx_in_use"] + 0
			why = ""
			if (use > nr)
				why = "rx_in_use " use " above rx_frame_nr " nr ": more frames in use than the ring has"
			else if ((nr == 0) != (sz == 0) || (tnr == 0) != (tsz == 0))
				why = "a frame count without a frame size, or the reverse"
			else if ((nr && (sz < hdrlen || sz % 4)) || (tnr && (tsz < hdrlen || tsz % 4)))
				why = "a frame size the ABI refuses"
			else if (nr > maxframes || tnr > maxframes || nr * sz > maxbytes || tnr * tsz > maxbytes)
				why = "more frames or bytes than a ring may have"
			else if ($c["tx_batches"] + 0 > $c["tx_frames"] + 0)
				why = "tx_batches above tx_frames"
			if (why != "") {
				print "bad: " why ": " $0
				next
			}
			lines++
			if (use > max)
				max = use
		}
		END { print "seen", lines + 0, max + 0 }'
# ring_sample WHEN: one reading of soakd's ring figures (one process);
# violations go to $T/ringfig.bad (and are shown at once), what was seen to
# $T/ringfig.seen.  NFQR_SOAK_FAULT=ringfig forges a line into the first.
ring_sample() {
	local out line forged=/dev/null
	if [ "$FAULT" = ringfig ] && [ ! -e "$T/ringfig.forged" ]; then
		echo '0 ring 1 4 4096 0 0 5 0 0 0 0 0 0 0' >"$T/ringfig.forged"	# 5 of 4 frames in use
		forged=$T/ringfig.forged
	fi
	if ! out=$(D awk -v hdrlen=24 -v maxframes=65536 -v maxbytes=268435456 "$RINGFIG_AWK" \
		   /proc/net/netfilter/nfqring "$forged" 2>&1); then
		echo "$1: cannot read /proc/net/netfilter/nfqring: $out" | tee -a "$T/ringfig.bad"
		return 0
	fi
	while read -r line; do
		case $line in
		"bad: "*) echo "$1: ${line#bad: }" >>"$T/ringfig.bad"
			  echo "# ring figures: $1: ${line#bad: }" ;;
		"seen "*) echo "$line" >>"$T/ringfig.seen" ;;
		esac
	done <<<"$out"
}
# rush N, in the background: NFQR_SOAK_RUSH datagrams to 11002 (dropped by
# nfqringd), back to back, so that the daemon reads frame after frame and
# skips poll() while one is ready; the ring figures are read three times
# meanwhile; the datagrams are booked once all went out
rush() {
	local rpid rc=0 k
	S timeout 60 "$TRAFFIC" send 10.77.0.2 11002 "$RUSH" 200 &
	rpid=$!
	for k in 1 2 3; do
		sleep "0.$((RANDOM % 4))"
		if kill -0 $rpid 2>/dev/null; then ring_sample "in rush $1 ($k)"; fi
	done
	wait $rpid || rc=$?
	if [ $rc = 0 ]; then
		echo "11002 $RUSH" >>"$T/sent"
	else
		echo "rush $1 to 11002: exit $rc, its count is unknown" >>"$T/rush.err"
	fi
}
# in the background until $T/ringfig.stop exists: a reading every 0-2 s
ring_watch() {
	local t0=$SECONDS d
	while [ ! -e "$T/ringfig.stop" ]; do
		printf -v d '%d.%03d' $((RANDOM % 2)) $((RANDOM % 1000))
		sleep "$d"
		ring_sample "at $((SECONDS - t0)) s" || true
	done
}
: >"$T/ringfig.bad"
: >"$T/ringfig.seen"

udp_errs() {	# the UDP error counters of soakd, IPv4 and IPv6, summed
	D awk '
		/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) n[$i] = i; h = 1 }
			  else s += $n["InErrors"] + $n["RcvbufErrors"] + $n["NoPorts"] + $n["InCsumErrors"] }
		END { print s + 0 }' /proc/net/snmp
}
udp6_errs() {
	D awk '$1 ~ /^Udp6(InErrors|RcvbufErrors|NoPorts|InCsumErrors)$/ { s += $2 } END { print s + 0 }' \
		/proc/net/snmp6
}

# ---- memory baseline (before any daemon: no ring, no queue)
meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
slab_objs() {	# in-use objects of the cache nfqr_pkt lives in
	if [ -r /sys/kernel/slab/nfqr_pkt/objects ]; then
		cut -d' ' -f1 /sys/kernel/slab/nfqr_pkt/objects
	elif grep -q '^nfqr_pkt ' /proc/slabinfo 2>/dev/null; then
		awk '$1 == "nfqr_pkt" { print $2 }' /proc/slabinfo
	else
		echo 0
	fi
}
slab_where() {
	local l
	l=$(readlink /sys/kernel/slab/nfqr_pkt 2>/dev/null || true)
	case $l in
	:* | */:*) echo "merged into ${l##*/}: the count includes other users" ;;
	*) [ -d /sys/kernel/slab/nfqr_pkt ] && echo "own cache" || echo "not in /sys/kernel/slab" ;;
	esac
}
mem_snap() {	# PREFIX: sets PREFIX_avail, _percpu, _vmalloc, _sunreclaim, _slab
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	printf -v "${1}_avail" %s "$(meminfo MemAvailable)"
	printf -v "${1}_percpu" %s "$(meminfo Percpu)"
	printf -v "${1}_vmalloc" %s "$(meminfo VmallocUsed)"
	printf -v "${1}_sunreclaim" %s "$(meminfo SUnreclaim)"
	printf -v "${1}_slab" %s "$(slab_objs)"
	# free pages parked on the per-cpu lists are not in MemFree
	printf -v "${1}_pcp" %s "$(awk '$1 == "count:" { s += $2 } END { print s * 4 }' /proc/zoneinfo)"
}

# ---- rule files: the same fate per port in both, different text (order,
# one rule that never matches), so every reload really swaps the ruleset
cat >"$T/rules-a.nft" <<-'R'
	udp dport 11002 drop comment "drop"
	udp dport 11003 payload fill "h" accept comment "rewrite"
	udp dport { 11001, 11010 } accept comment "pass"
	udp dport 12999 drop comment "only-a"
R
cat >"$T/rules-b.nft" <<-'R'
	udp dport 12998 payload fill "x" accept comment "only-b"
	udp dport { 11001, 11010 } accept comment "pass"
	udp dport 11003 payload fill "h" accept comment "rewrite"
	udp dport 11002 drop comment "drop"
R
echo 'udp dport 11020 accept comment "q2"' >"$T/rules-q2.nft"
cp "$T/rules-a.nft" "$T/rules.nft"

# ---- receivers (one socket per port, IPv4 and IPv6)
for p in $RECV_PORTS; do
	mode=d
	[ $p = 11003 ] && mode=h
	ip netns exec soakd "$TRAFFIC" recv $p $QUIET_MS $mode $FIRST_MS >"$T/recv.$p" &
	echo $! >"$T/recv.$p.pid"
done
for p in $RECV_PORTS; do
	for _ in $(seq 100); do grep -q ready "$T/recv.$p" && break; sleep 0.1; done
	grep -q ready "$T/recv.$p" || die "receiver on port $p did not start"
done

# The daemons run in a cgroup of their own: their rings are charged to it
# (GFP_KERNEL_ACCOUNT), and a ring the module leaked would stay charged
# after they exited.
cgroot=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$cgroot" ] && grep -qw memory "$cgroot/cgroup.controllers"; then
	grep -qw memory "$cgroot/cgroup.subtree_control" ||
		echo +memory >"$cgroot/cgroup.subtree_control"
	CG=$cgroot/nfqr-soak.$$
	mkdir "$CG"
	# shellcheck disable=SC2016
	CGRUN=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG")
else
	say "no cgroup2 memory controller: leaked ring pages show only in MemAvailable"
fi
mem_snap base
declare -A MI0
while read -r k v _; do MI0[${k%:}]=$v; done </proc/meminfo
say "baseline: MemAvailable ${base_avail} kB, Percpu ${base_percpu} kB, VmallocUsed ${base_vmalloc} kB," \
	"SUnreclaim ${base_sunreclaim} kB, nfqr_pkt objects ${base_slab} ($(slab_where))"
udp_base=$(( $(udp_errs) + $(udp6_errs) ))

# ---- the daemons
wait_serving() {	# wait_serving PID LOG
	for _ in $(seq 300); do
		grep -q "serving queues" "$2" && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/# daemon: /' "$2"
	return 1
}

# nsenter execs (a function would add a subshell): signals reach nfqringd
"${CGRUN[@]}" nsenter --net=/run/netns/soakd "$NFQRINGD" -c "$T/rules.nft" -q 0-1 --socket "$T/main.sock" >"$T/main.log" 2>&1 &
mpid=$!
wait_serving $mpid "$T/main.log" || die "nfqringd on queues 0-1 did not start"
say "$(grep -m1 'serving queues' "$T/main.log")"

q2runs=0 q2fail=0 q2judged=0 q2lost=0 q2n=0
q2_start() {
	q2n=$((q2n + 1))
	"${CGRUN[@]}" nsenter --net=/run/netns/soakd "$NFQRINGD" -c "$T/rules-q2.nft" -q 2 --socket "$T/q2.sock" >"$T/q2.log.$q2n" 2>&1 &
	q2pid=$!
	if ! wait_serving $q2pid "$T/q2.log.$q2n"; then
		fail "run $q2n of the queue-2 consumer did not start"
		q2fail=$((q2fail + 1))
		kill -KILL $q2pid 2>/dev/null || true
		wait $q2pid || true
		q2pid=
	fi
}
q2_stop() {
	local rc=0 line j l
	[ -n "$q2pid" ] || return 0
	kill -TERM $q2pid || true
	timeout 60 tail --pid=$q2pid -f /dev/null || { kill -KILL $q2pid; fail "queue-2 consumer ignored SIGTERM"; }
	wait $q2pid || rc=$?
	q2pid=
	q2runs=$((q2runs + 1))
	line=$(grep -m1 '^.*queue 2: [0-9]* packets judged' "$T/q2.log.$q2n" || true)
	j=$(sed -n 's/.*queue 2: \([0-9]*\) packets judged.*/\1/p' <<<"$line")
	l=$(sed -n 's/.*, \([0-9]*\) dropped by the kernel at unbind.*/\1/p' <<<"$line")
	if [ "$rc" != 0 ] || [ -z "$j" ] || [ -z "$l" ]; then
		fail "queue-2 consumer run $q2n: exit $rc, last words: $(tail -n 3 "$T/q2.log.$q2n" | tr '\n' '|')"
		q2fail=$((q2fail + 1))
		return 0
	fi
	q2judged=$((q2judged + j))
	q2lost=$((q2lost + l))
	rm -f "$T/q2.log.$q2n"	# its pages are charged to the cgroup
}

# ---- the sender: rounds of bursts, each flow BURST datagrams 1 ms apart,
# until the time is up or the next round would pass NFQR_SOAK_PACKETS.
# Books: $T/sent gets "PORT COUNT" after each burst that completed.
FLOWS=(
	"11001 10.77.0.2 100" "11001 fd77::2 300"
	"11002 10.77.0.2 200" "11002 fd77::2 200"
	"11003 10.77.0.2 300" "11003 fd77::2 1000"
	"11010 10.78.0.2 200" "11010 fd78::2 200"
	"11020 10.77.0.2 150" "11020 fd77::2 150"
)
sender() {
	local end=$(($(date +%s) + SECS)) total=0 round=$((BURST * ${#FLOWS[@]})) f p a sz rc
	while [ "$(date +%s)" -lt "$end" ] && [ $((total + round)) -le "$MAXPKTS" ]; do
		for f in "${FLOWS[@]}"; do
			read -r p a sz <<<"$f"
			rc=0
			S timeout 60 "$TRAFFIC" send "$a" "$p" "$BURST" "$sz" 1000 || rc=$?
			if [ "$p" = 11010 ]; then
				# the flap link: sendto may fail while it is down;
				# count the burst in full (the books need only an
				# upper bound for it)
				echo "$p $BURST" >>"$T/sent"
			elif [ $rc -eq 0 ]; then
				echo "$p $BURST" >>"$T/sent"
			else
				echo "burst of $BURST to [$a]:$p failed (exit $rc): its count is unknown" >"$T/sender.err"
				return 1
			fi
			total=$((total + BURST))
		done
	done
	if [ "$FAULT" = unbooked ]; then
		S "$TRAFFIC" send 10.77.0.2 11001 5 100	# not in the books, on purpose
	fi
	echo "$total" >"$T/sender.total"
}
: >"$T/sent"
set -m	# the sender in its own process group, so cleanup can stop it all
sender &
spid=$!
set +m
say "traffic for ${SECS} s (at most ${MAXPKTS} datagrams), $BURST per flow per round, ${#FLOWS[@]} flows"

# ---- the disturbances, once a second while the sender runs
start=$(date +%s) tick=0 reloads_sock=0 reloads_hup=0 flaps=0 last_rules=a down_at=-1 rushes=0
q2_start
ring_watch &
wpid=$!
while kill -0 $spid 2>/dev/null; do
	tick=$((tick + 1))
	kill -0 $mpid 2>/dev/null || { fail "nfqringd on queues 0-1 died: $(tail -n 3 "$T/main.log" | tr '\n' '|')"; break; }
	now=$(date +%s)
	[ $((start + tick)) -gt "$now" ] && sleep $((start + tick - now))
	if [ "$now" -gt $((start + SECS + 300)) ]; then
		fail "the sender still runs $((SECS + 300)) s after it started: stopped"
		kill -- -$spid || true
		break
	fi
	# reload, alternating the two files; every 4th one by SIGHUP
	if [ $((tick % 2)) = 0 ]; then last_rules=a; else last_rules=b; fi
	cp "$T/rules-$last_rules.nft" "$T/rules.new"
	mv "$T/rules.new" "$T/rules.nft"
	if [ $((tick % 4)) = 0 ]; then
		kill -HUP $mpid || true
		reloads_hup=$((reloads_hup + 1))
	else
		rc=0
		out=$(timeout 30 "$NFQRINGD" --reload --socket "$T/main.sock" 2>&1) || rc=$?
		if [ $rc = 0 ]; then
			reloads_sock=$((reloads_sock + 1))
		else
			fail "reload $tick (rules-$last_rules): exit $rc: $out"
		fi
	fi
	# queue 2: its consumer bound for 3 s, unbound for 3 s
	if [ $((tick % 3)) = 0 ]; then
		if [ -n "$q2pid" ]; then q2_stop; else q2_start; fi
	fi
	# the flap link, every 5 s: with the main daemon paused, PARK more
	# datagrams to 11010 are sent (and booked) and seen at the queue rule,
	# so they wait in queue 0 when sb1 goes down, which must flush them
	# (without the pause the queues are nearly always empty); up 2 s later
	if [ $((tick % 5)) = 0 ]; then
		kill -STOP $mpid || true
		h0=$(ctr h11010)
		S timeout 30 "$TRAFFIC" send 10.78.0.2 11010 $PARK 200 || true
		echo "11010 $PARK" >>"$T/sent"
		for _ in $(seq 100); do
			[ "$(ctr h11010)" -ge $((h0 + PARK)) ] && break
			sleep 0.1
		done
		[ "$(ctr h11010)" -ge $((h0 + PARK)) ] ||
			fail "flap $((flaps + 1)): the $PARK parked datagrams did not reach the queue rule"
		D ip link set sb1 down
		kill -CONT $mpid || true
		flaps=$((flaps + 1))
		down_at=$tick
	elif [ "$down_at" -ge 0 ] && [ $((tick - down_at)) -ge 2 ]; then
		D ip link set sb1 up
		down_at=-1
	fi
	# every 4 s a rush (one at a time)
	if [ "$RUSH" -gt 0 ] && [ $((tick % 4)) = 2 ] &&
		{ [ -z "$rushpid" ] || ! kill -0 "$rushpid" 2>/dev/null; }; then
		rushes=$((rushes + 1))
		rush $rushes &
		rushpid=$!
	fi
done
[ -n "$rushpid" ] && wait "$rushpid"
rushpid=''
: >"$T/ringfig.stop"
wait $wpid || true
wpid=''
[ -s "$T/rush.err" ] && fail "$(cat "$T/rush.err")"
src=0
wait $spid || src=$?
spid=
[ "$down_at" -ge 0 ] && D ip link set sb1 up
q2_stop
[ $src = 0 ] || fail "sender: exit $src: $(cat "$T/sender.err" 2>/dev/null)"
say "traffic over after $(($(date +%s) - start)) s: $tick ticks, $reloads_sock reloads by socket," \
	"$reloads_hup by SIGHUP, $flaps flaps of sb1, $q2runs runs of the queue-2 consumer, $rushes rushes"
[ "$FAULT" = holdmod ] && { sleep 100000 9</dev/nfqring & holder=$!; }

# ---- receivers end QUIET_MS after their last datagram
declare -A R BAD
for p in $RECV_PORTS; do
	pid=$(cat "$T/recv.$p.pid")
	if ! timeout $((QUIET_MS / 1000 + 60)) tail --pid="$pid" -f /dev/null; then
		kill "$pid" || true
		fail "receiver on $p did not finish"
	fi
	wait "$pid" || fail "receiver on $p failed"
	read -r R[$p] BAD[$p] < <(tail -n 1 "$T/recv.$p")
done

# ---- the books, while nfqringd still runs
json=$("$NFQRINGD" --stats --json --socket "$T/main.sock") || { fail "nfqringd --stats"; json='{}'; }
"$NFQRINGD" --stats --socket "$T/main.sock" | sed 's/^/# stats: /' || true
# jsum KEY: the sum of "KEY": N over the stats (each queue's object has one)
jsum() { grep -o "\"$1\": [0-9]*" <<<"$json" | awk '{ s += $2 } END { print s + 0 }'; }
declare -A SENT H A
for p in $PORTS; do
	SENT[$p]=$(awk -v p=$p '$1 == p { s += $2 } END { print s + 0 }' "$T/sent")
	H[$p]=$(ctr h$p)
	A[$p]=$(ctr a$p)
done
d_main=$(jsum drop)
rw_main=$(jsum rewrite)
acc_main=$(jsum accept)
pk_main=$(jsum packets)
verr_main=$(jsum verdict_errors)
reloads_ok=$(jsum reloads_ok)
reloads_failed=$(jsum reloads_failed)
drop_hits=$(grep -o '{"id": "drop", "line": [0-9]*, "hits": [0-9]*' <<<"$json" | awk '{ s += $NF } END { print s + 0 }')

# the rings of nfqringd are charged to its cgroup now: the cgroup check
# below can see them
cg_run_kb=-1
[ -n "$CG" ] && cg_run_kb=$(($(cat "$CG/memory.current") / 1024))

# ---- rmmod is refused while nfqringd runs
rc=0
out=$(rmmod nfqring 2>&1) || rc=$?
if [ $rc != 0 ] && grep -q '^nfqring ' /proc/modules; then
	pass "rmmod refused while nfqringd runs: $out"
else
	fail "rmmod nfqring while nfqringd runs: exit $rc ($out)"
fi

# ---- SIGTERM: nfqringd drains, unbinds and exits 0
kill -TERM $mpid || true
rc=0
timeout 60 tail --pid=$mpid -f /dev/null || { kill -KILL $mpid; fail "nfqringd ignored SIGTERM for 60 s"; }
wait $mpid || rc=$?
mpid=
check_eq "nfqringd exit status after SIGTERM" "$rc" 0
sed 's/^/# daemon: /' "$T/main.log" | grep -v 'reload' || true
mjudged=0 mlost=0 mdrained=0
for q in 0 1; do
	line=$(grep -m1 "queue $q: [0-9]* packets judged" "$T/main.log" || true)
	[ -n "$line" ] || { fail "nfqringd did not report queue $q at exit"; continue; }
	mjudged=$((mjudged + $(sed -n 's/.*queue [0-9]*: \([0-9]*\) packets judged.*/\1/p' <<<"$line")))
	mdrained=$((mdrained + $(sed -n 's/.*(\([0-9]*\) while draining).*/\1/p' <<<"$line")))
	mlost=$((mlost + $(sed -n 's/.*, \([0-9]*\) dropped by the kernel at unbind.*/\1/p' <<<"$line")))
done

# ---- the module's counters, once nothing is bound
declare -A M
for k in queued verdicts flushed undelivered in_flight refused_full refused_other \
	 alloc_failed no_listener fail_open; do
	M[$k]=$(mstat $k)
	[ "${M[$k]}" = missing ] && { fail "$STATS has no '$k' line"; M[$k]=0; }
done
slack=$((M[refused_full] + M[refused_other] + M[alloc_failed] + M[undelivered]))
[ $slack = 0 ] && slack=
left=$(D cat /proc/net/netfilter/nfnetlink_queue)

# ---- memory, once every daemon and receiver is gone
mem_snap fin
declare -A MI1
while read -r k v _; do MI1[${k%:}]=$v; done </proc/meminfo
cg_kb=-1 cg_stat=
if [ -n "$CG" ]; then
	cg_kb=$(($(cat "$CG/memory.current") / 1024))
	cg_stat=$(awk '$2 > 0 { printf "%s %d kB, ", $1, $2 / 1024 }' "$CG/memory.stat" | head -c 600)
fi

sent_stable=0 htot=0 atot=0 rtot=0
for p in $PORTS; do
	htot=$((htot + H[$p]))
	atot=$((atot + A[$p]))
	[ $p != 11010 ] && sent_stable=$((sent_stable + SENT[$p]))
done
for p in $RECV_PORTS; do rtot=$((rtot + R[$p])); done

echo "# ==== summary"
printf '# %-6s %-8s %8s %8s %8s %8s  %s\n' port link sent queue-hit passed received fate
for p in $PORTS; do
	case $p in
	11001) l=stable f="nfqringd: accept" ;;
	11002) l=stable f="nfqringd: drop" ;;
	11003) l=stable f="nfqringd: fill 'h', accept" ;;
	11010) l=flap f="nfqringd: accept; flushed when sb1 goes down" ;;
	11020) l=stable f="queue 2: accept while bound, else no listener" ;;
	esac
	printf '# %-6s %-8s %8s %8s %8s %8s  %s\n' $p $l "${SENT[$p]}" "${H[$p]}" "${A[$p]}" "${R[$p]:--}" "$f"
done
echo "# module ($STATS):" $(for k in queued verdicts flushed undelivered in_flight refused_full \
	refused_other alloc_failed no_listener fail_open; do printf '%s=%s ' $k "${M[$k]}"; done)
echo "# nfqringd 0-1: judged $pk_main (accept $acc_main incl. rewrite $rw_main, drop $d_main)," \
	"verdict errors $verr_main, reloads ok $reloads_ok failed $reloads_failed;" \
	"at exit: judged $mjudged, $mdrained while draining, $mlost dropped at unbind"
echo "# queue 2: $q2runs runs, judged $q2judged, $q2lost dropped by the kernel at unbind"
echo "# memory (kB) baseline -> end: MemAvailable $base_avail -> $fin_avail, Percpu $base_percpu -> $fin_percpu," \
	"VmallocUsed $base_vmalloc -> $fin_vmalloc, SUnreclaim $base_sunreclaim -> $fin_sunreclaim;" \
	"nfqr_pkt objects $base_slab -> $fin_slab ($(slab_where))"
echo "# free pages on per-cpu lists (/proc/zoneinfo): $base_pcp -> $fin_pcp kB"
echo "# /proc/meminfo lines that moved by more than 1 MiB:" $(for k in "${!MI0[@]}"; do
	d=$((${MI1[$k]} - ${MI0[$k]}))
	[ ${d#-} -gt 1024 ] && printf '%s %+d kB, ' "$k" $d
done)
[ -n "$CG" ] && echo "# the daemons' cgroup after they exited: $cg_kb kB charged; memory.stat: $cg_stat"

echo "# ==== checks"
# the module: everything that entered a queue left it exactly once
check_eq "in_flight (queued - verdicts - flushed - undelivered) after exit" "${M[in_flight]}" 0
check_eq "queued = verdicts + flushed + undelivered" "${M[queued]}" \
	$((M[verdicts] + M[flushed] + M[undelivered]))
check_eq "fail_open (no --fail-open anywhere)" "${M[fail_open]}" 0
# every datagram that met a queue rule is counted once by the module: queued,
# refused, or without a listener
check_eq "hits on the queue rules = queued + refused_full + refused_other + alloc_failed + no_listener" \
	"$htot" $((M[queued] + M[refused_full] + M[refused_other] + M[alloc_failed] + M[no_listener]))
# a verdict lets a packet through (counted after the queue) or drops it;
# nfqringd on 0-1 gives the only drop verdicts, all to 11002 on the stable
# link, which no flush can reach, so each of them took effect
check_eq "module verdicts = passed after the queue + drop verdicts of nfqringd" \
	"${M[verdicts]}" $((atot + d_main))
# the stable link loses nothing (permanent neighbours, never down)
for p in 11001 11002 11003 11020; do
	check_eq "$p: sent = hits on its queue rule (stable link)" "${H[$p]}" "${SENT[$p]}"
done
if [ "${H[11010]}" -le "${SENT[11010]}" ] && [ "${H[11010]}" -gt 0 ]; then
	pass "11010: 0 < hits ${H[11010]} <= sent ${SENT[11010]} ($((SENT[11010] - H[11010])) lost on the link while sb1 was down)"
else
	fail "11010: hits ${H[11010]}, sent ${SENT[11010]}: want 0 < hits <= sent"
fi
# per fate
check_eq "11002: passed the queue" "${A[11002]}" 0
check_upto "11002: drop verdicts of nfqringd = its hits" "$d_main" "${H[11002]}"
check_eq "rule 'drop' hits = drop verdicts" "$drop_hits" "$d_main"
check_upto "11001: passed = hits (stable, accepted)" "${A[11001]}" "${H[11001]}"
check_upto "11003: passed = hits (stable, rewritten)" "${A[11003]}" "${H[11003]}"
check_upto "11003: rewrites by nfqringd = its hits" "$rw_main" "${H[11003]}"
# 11010 (accepted by a batch verdict, so a stale one does no harm) and the
# unbinds of nfqringd are the only packets a flush may take
check_upto "flushed = 11010 hits - 11010 passed + dropped at unbind (queue 2 and nfqringd's exit)" \
	"${M[flushed]}" $((H[11010] - A[11010] + q2lost + mlost))
# queues 0-1 are bound from before the first datagram to after the last:
# only queue 2 is ever without a listener; its consumer accepts everything
check_eq "11020: passed = judged by the queue-2 consumers" "${A[11020]}" "$q2judged"
check_upto "no_listener = 11020 hits - passed - dropped at unbind (queue 2)" \
	"${M[no_listener]}" $((H[11020] - A[11020] - q2lost))
# what passed reached the receivers, intact (or all 'h'), with valid checksums
for p in $RECV_PORTS; do
	check_eq "$p: received = passed the queue" "${R[$p]}" "${A[$p]}"
	check_eq "$p: datagrams not as sent (or not all 'h')" "${BAD[$p]}" 0
done
check_eq "UDP errors in soakd (InErrors, RcvbufErrors, NoPorts, InCsumErrors; IPv4 + IPv6)" \
	$(( $(udp_errs) + $(udp6_errs) - udp_base )) 0
# end to end: every datagram sent on the stable link, and every one that
# arrived over the flap link, was received or dropped by a counted cause
check_eq "sent (stable) + arrived (flap) = received + drop verdicts + flushed + no_listener + refused + undelivered" \
	$((sent_stable + H[11010])) \
	$((rtot + d_main + M[flushed] + M[no_listener] + M[refused_full] + M[refused_other] + \
	   M[alloc_failed] + M[undelivered]))
# every fate occurred
for x in "drop verdicts:$d_main" "rewrites:$rw_main" "11001 received:${R[11001]}" \
	 "flushed:${M[flushed]}" "no_listener:${M[no_listener]}" "queue-2 judged:$q2judged"; do
	[ "${x#*:}" -gt 0 ] && pass "fate seen: $x" || fail "fate never seen: ${x%%:*} is 0"
done
# each down of sb1 flushed at least the datagrams parked for it
if [ $((H[11010] - A[11010])) -ge $((flaps * PARK)) ] && [ "$flaps" -gt 0 ]; then
	pass "flushed by the downs of sb1 (11010 hits - passed): $((H[11010] - A[11010])), >= $flaps downs x $PARK parked"
else
	fail "flushed by the downs of sb1 (11010 hits - passed): $((H[11010] - A[11010])), want >= $flaps downs x $PARK parked"
fi
# nfqringd
check_eq "nfqringd judged at exit = judged in the last stats (nothing came later)" "$mjudged" "$pk_main"
check_eq "packets dropped by the kernel at nfqringd's unbind (traffic was over)" "$mlost" 0
check_eq "failed reloads" "$reloads_failed" 0
if [ "$reloads_ok" -ge "$reloads_sock" ] && [ "$reloads_ok" -le $((reloads_sock + reloads_hup)) ] &&
	[ "$reloads_sock" -gt 0 ]; then
	pass "reloads: $reloads_ok done for $reloads_sock answered requests and $reloads_hup SIGHUPs"
else
	fail "reloads: $reloads_ok done, want $reloads_sock..$((reloads_sock + reloads_hup))"
fi
check_eq "queue-2 consumer runs that failed" "$q2fail" 0
[ "$q2runs" -ge 2 ] && pass "queue 2 bound and unbound $q2runs times" || fail "queue 2 bound only $q2runs times"
[ "$flaps" -ge 2 ] && pass "sb1 went down $flaps times" || fail "sb1 went down only $flaps times"
check_eq "queues left in /proc/net/netfilter/nfnetlink_queue" "$(grep -c . <<<"$left" || true)" 0
# the ring figures, read at random moments and in each rush, stayed within
# each ring's geometry (and the readings saw rings, so the check can fail)
nsamples=$(grep -c . "$T/ringfig.seen" || true)
read -r nlines maxuse < <(awk '{ l += $2; if ($3 > m) m = $3 } END { print l + 0, m + 0 }' "$T/ringfig.seen")
if [ -s "$T/ringfig.bad" ]; then
	fail "ring figures out of their ring's geometry in $(grep -c . "$T/ringfig.bad") of $nsamples readings of /proc/net/netfilter/nfqring: $(head -n 3 "$T/ringfig.bad" | tr '\n' '|')"
elif [ "$nlines" -gt 0 ]; then
	pass "ring figures within each ring's geometry in $nsamples readings at random moments and in $rushes rushes ($nlines ring lines, largest rx_in_use $maxuse)"
else
	fail "ring figures: no ring line in $nsamples readings of /proc/net/netfilter/nfqring"
fi
# memory back to its baseline: what the daemons' rings were charged to is
# released (exact to a page or so: a leaked ring is 4 MiB), and the
# system's figures are within a tolerance of the start
if [ -n "$CG" ]; then
	[ $cg_run_kb -ge 4096 ] && pass "charged to the daemons' cgroup while nfqringd ran: $cg_run_kb kB (its rings)" ||
		fail "charged to the daemons' cgroup while nfqringd ran: $cg_run_kb kB: where are its rings?"
	[ $cg_kb -le "$CG_KB" ] && pass "memory charged to the daemons' cgroup after they exited: $cg_kb kB (tolerance $CG_KB)" ||
		fail "memory charged to the daemons' cgroup after they exited: $cg_kb kB (tolerance $CG_KB kB): ring pages leaked?"
fi
dm=$((base_avail + base_pcp - fin_avail - fin_pcp))
[ $dm -le "$MEM_KB" ] && pass "MemAvailable + per-cpu free pages: $dm kB less than at the start (tolerance $MEM_KB)" ||
	fail "MemAvailable + per-cpu free pages: $dm kB less than at the start (tolerance $MEM_KB kB): pages leaked?"
for k in percpu vmalloc sunreclaim; do
	b=base_$k f=fin_$k
	d=$((${!f} - ${!b}))
	[ $d -le "$MEM_KB" ] && pass "$k: grew $d kB (tolerance $MEM_KB)" ||
		fail "$k: grew $d kB (tolerance $MEM_KB kB)"
done
# (objects the cache's slabs hold, used or not: a coarse figure; in_flight
# above is the exact one, and rmmod destroys an own cache, where the kernel
# reports any object still allocated, which vm-run fails on)
d=$((fin_slab - base_slab))
case $(slab_where) in
merged*) say "nfqr_pkt cache $(slab_where), $d objects more: not checked (boot with slab_nomerge to check it)" ;;
*)
	[ $d -le "$SLAB_OBJS" ] && pass "nfqr_pkt cache: $d objects more than at the start (tolerance $SLAB_OBJS)" ||
		fail "nfqr_pkt cache: $d objects more than at the start (tolerance $SLAB_OBJS)"
	;;
esac

# ---- rmmod succeeds once nothing uses the module (the nft rules stay)
rc=0
out=$(rmmod nfqring 2>&1) || rc=$?
if [ $rc = 0 ] && ! grep -q '^nfqring ' /proc/modules; then
	pass "rmmod nfqring after nfqringd exited"
else
	fail "rmmod nfqring after nfqringd exited: exit $rc ($out); $(grep '^nfqring ' /proc/modules || true)"
fi

if [ $fails -eq 0 ]; then
	echo "# soak passed: every datagram accounted for"
	exit 0
fi
echo "# soak FAILED: $fails checks"
exit 1
