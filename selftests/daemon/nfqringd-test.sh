#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nfqringd end to end, inside the test VM, as root: UDP from network
# namespace nfqs to nfqd over a veth pair with software checksums, queued by
# an nft input rule in nfqd to the daemon running there.
#
#   nfqringd-test.sh SCENARIO ring|netlink     exit 0 pass, 1 fail, 4 skip
#
#   basic    the rule file of the issue: 10086 dropped, 10010 rewritten to
#            "h" with a valid UDP checksum, 10020 delivered intact; stats
#   reload   reloads (control socket, SIGHUP, concurrent, a bad file) under
#            traffic: no packet lost, old rules kept on error, counters kept
#   sigterm  SIGTERM with packets in flight (queued while the daemon was
#            stopped), then under a flood: exit 0, every packet judged and
#            delivered or counted as dropped by the kernel at unbind
#   ctmark   ct mark set with a mask (CTA_MARK_MASK) on a flow that then
#            bypasses the queue; packets without conntrack counted
#   ctstate  ct state / ct direction on a UDP flow with replies, judged as
#            nft counts them; notrack packets are invalid; meta skuid/skgid
#            of the sending socket (F_UID_GID)
#   reject   the table of nfqringd --print-nft loaded with nft: reject with
#            tcp reset refuses a TCP connection at once, reject (icmpx
#            port-unreachable) and icmpx admin-prohibited answer a connected
#            UDP socket; each packet judged once; then, without the reject
#            rules, the loop guard drops what comes back (reject_loop)
#   fragments non-first fragments get the configured verdict (drop, then
#            accept after a reload); first fragments match the rules
#   gso      queued at the sender's output: partial checksums and UDP GSO
#            segmented for rewrites; --gso refused with rewrites; superframes
#            judged whole with --gso
#   pktgen   pktgen traffic with full checksums rewritten (incremental update)
#   links    iifname follows a live interface rename (rtnetlink events)
#   livesets live sets changed through the control socket while packets
#            flow: add, delete, element timeouts, --load-set, flush, a
#            reload that keeps run-time elements; 40 commands during a
#            steady flow lose nothing; bad commands answered clearly
#   multiqueue  -q 0-1 --cpu-pin: one pinned worker per queue, both used
#   nomodule ring requested without nfqring: exit 3 and what to install
#   stall_accept, stall_drop  --stall-ms: the worker hangs
#            (NFQRINGD_TEST_HANG_QUEUE=0:FILE) and the kernel's stall watchdog
#            gives what waits and what comes the --stall-action verdict: with
#            accept all 200 datagrams sent during the hang pass (those the
#            rules drop too), with drop none does (nft counts after the
#            queue); the watchdog's count is exactly what was sent, the daemon
#            judged none of it; once the worker goes on, the rules judge again
#            and its late verdicts are counted, not errors.
#            NFQR_STALL_MS=0 runs them with the watchdog off (they must fail)
#   stall_auto  (netlink) --backend netlink --stall-ms is refused (exit 2);
#            --backend auto that lands on netlink warns and serves without it
# The daemon's log and stats are printed as "# " diagnostics.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${NFQR_BIN:-$TOP/build/selftests/daemon}
NFQRINGD=${NFQRINGD:-$TOP/daemon/build/nfqringd}
TRAFFIC=$BIN/traffic
scenario=$1 backend=${2:-ring}
T=$(mktemp -d /tmp/nfqringd-test.XXXXXX)
SOCK=$T/nfqringd.sock
fails=0
dpid=

fail() { echo "# FAIL: $*"; fails=$((fails + 1)); }
expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }
S() { ip netns exec nfqs "$@"; }
D() { ip netns exec nfqd "$@"; }

cleanup() {
	[ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	ip netns del nfqs 2>/dev/null
	ip netns del nfqd 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

setup() {	# setup [bypass]
	ip netns add nfqs && ip netns add nfqd &&
	ip link add v0 netns nfqs type veth peer name v1 netns nfqd &&
	S ip addr add 10.99.0.1/24 dev v0 && D ip addr add 10.99.0.2/24 dev v1 &&
	S ip link set lo up && D ip link set lo up &&
	S ip link set v0 up && D ip link set v1 up &&
	{ [ "${SENDER_OFFLOAD:-}" = 1 ] || S "$TRAFFIC" csum-off v0; } &&
	D "$TRAFFIC" csum-off v1 &&
	D nft -f - <<-NFT
	table inet t {
		chain in { type filter hook input priority 0;
			udp dport { 10010, 10020, 10030, 10086 } queue num 0 $1
		}
	}
	NFT
}

rules_issue() {
	cat <<-R
	udp dport 10086 drop comment "d86"
	udp dport 10010 payload fill "h" accept
	R
}

start_daemon() {	# start_daemon RULEFILE [options]
	local f=$1
	shift
	# nsenter execs the daemon (ip netns exec forks): signals reach it
	nsenter --net=/run/netns/"${DAEMON_NS:-nfqd}" "$NFQRINGD" -c "$f" -q 0 --backend "$backend" \
		--socket "$SOCK" "$@" >"$T/log" 2>&1 &
	dpid=$!
	for _ in $(seq 100); do
		grep -q "serving queues" "$T/log" && return 0
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
	done
	fail "daemon did not start"
	sed 's/^/# /' "$T/log"
	return 1
}

stop_daemon() {	# sets drc, the exit status
	kill -TERM "$dpid"
	wait "$dpid"
	drc=$?
	dpid=
	sed 's/^/# daemon: /' "$T/log"
}

recv_start() {	# recv_start PORT QUIET MODE [FIRST [EXPECT]]: output in $T/recv.PORT
	# emptied here, not by the background job: an earlier receiver's
	# "ready" must not pass for this one's
	: >"$T/recv.$1"
	D "$TRAFFIC" recv "$@" >>"$T/recv.$1" &
	for _ in $(seq 100); do
		grep -q ready "$T/recv.$1" && return 0
		sleep 0.1
	done
	fail "receiver on $1 not ready"
}

recv_result() {	# recv_result PORT PID: RES="COUNT BAD" once it finished
	wait "$2" 2>/dev/null
	RES=$(tail -n 1 "$T/recv.$1")
}

udp_csum_errors() {
	D awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) n[$i] = i; h = 1 } else print $n["InCsumErrors"] }' /proc/net/snmp
}

json() { "$NFQRINGD" --stats --json --socket "$SOCK"; }

scenario_basic() {
	setup || { fail "setup"; return; }
	rules_issue >"$T/rules.nft"
	start_daemon "$T/rules.nft" || return
	recv_start 10086 500 - 3000; r86=$!
	S "$TRAFFIC" send 10.99.0.2 10086 200 200
	recv_start 10010 1000 h; r10=$!
	recv_start 10020 1000 d; r20=$!
	S "$TRAFFIC" send 10.99.0.2 10010 200 300
	S "$TRAFFIC" send 10.99.0.2 10020 200 1000
	recv_result 10086 $r86; expect_eq "$RES" "0 0" "10086: received, bad"
	recv_result 10010 $r10; expect_eq "$RES" "200 0" "10010 (all 'h'): received, bad"
	recv_result 10020 $r20; expect_eq "$RES" "200 0" "10020 (intact): received, bad"
	expect_eq "$(udp_csum_errors)" 0 "UDP checksum errors at the receiver"
	j=$(json)
	"$NFQRINGD" --stats --socket "$SOCK" | sed 's/^/# stats: /'
	grep -q '"drop": 200,' <<<"$j" || fail "stats: 200 drop verdicts"
	grep -q '"rewrite": 200,' <<<"$j" || fail "stats: 200 rewrites"
	grep -q '"packets": 600,' <<<"$j" || fail "stats: 600 packets"
	grep -q '{"id": "d86", "line": 1, "hits": 200,' <<<"$j" || fail "stats: rule d86 200 hits"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

scenario_reload() {
	setup || { fail "setup"; return; }
	rules_issue >"$T/rules.nft"
	start_daemon "$T/rules.nft" || return
	S "$TRAFFIC" send 10.99.0.2 10086 20 100
	recv_start 10020 2000 d; r20=$!
	S "$TRAFFIC" send 10.99.0.2 10020 1500 200 300 &
	snd=$!
	for i in 1 2 3; do
		{ rules_issue; echo "udp dport 10030 drop comment \"r$i\""; } >"$T/new.nft"
		mv "$T/new.nft" "$T/rules.nft"
		out=$("$NFQRINGD" --reload --socket "$SOCK" 2>&1)
		rc=$?
		echo "# reload $i: rc $rc: $out"
		expect_eq "$rc" 0 "reload $i exit status"
		kill -HUP "$dpid"
		sleep 0.2
	done
	# concurrent requests coalesce; every client gets an answer
	pids=
	for i in 1 2 3 4; do
		"$NFQRINGD" --reload --socket "$SOCK" >"$T/c$i" 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do
		wait "$p" || fail "a concurrent reload failed"
	done
	for i in 1 2 3 4; do
		grep -q "reloaded" "$T/c$i" || fail "concurrent reload $i: $(cat "$T/c$i")"
	done
	echo 'udp dport bogus drop' >"$T/bad.nft"
	cp "$T/rules.nft" "$T/good.nft"
	mv "$T/bad.nft" "$T/rules.nft"
	out=$("$NFQRINGD" --reload --socket "$SOCK" 2>&1)
	rc=$?
	echo "# bad reload: rc $rc: $out"
	expect_eq "$rc" 1 "reload of a bad file: exit status"
	grep -q "old rules stay" <<<"$out" || fail "bad reload does not say the old rules stay"
	wait "$snd"
	recv_result 10020 $r20; expect_eq "$RES" "1500 0" "10020 under reloads: received, bad"
	# the old rules are in force, and d86 kept its counters over the reloads
	S "$TRAFFIC" send 10.99.0.2 10086 30 100
	sleep 1
	j=$(json)
	grep -q '{"id": "d86", "line": 1, "hits": 50,' <<<"$j" || fail "rule d86: 50 hits carried over reloads: $j"
	grep -q '"reloads_failed": 1,' <<<"$j" || fail "stats: one failed reload"
	mv "$T/good.nft" "$T/rules.nft"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

queued() {	# queued QUEUE: packets waiting in the kernel for a verdict
	D awk -v q="$1" '$1 == q { print $3 }' /proc/net/netfilter/nfnetlink_queue
}

scenario_sigterm() {
	setup bypass || { fail "setup"; return; }
	rules_issue >"$T/rules.nft"
	# 1: packets in flight for certain: queued while the daemon is stopped,
	# SIGTERM before it runs again; every one is judged (rewrites too)
	start_daemon "$T/rules.nft" || return
	# the first datagram comes only after both senders and the SIGTERM:
	# seconds under emulation, more than the default 20 s on a debug kernel
	recv_start 10020 2000 d 120000 150; r20=$!
	recv_start 10010 2000 h 120000 50; r10=$!
	kill -STOP "$dpid"
	S "$TRAFFIC" send 10.99.0.2 10020 150 100
	S "$TRAFFIC" send 10.99.0.2 10010 50 100
	expect_eq "$(queued 0)" 200 "packets waiting in queue 0 while the daemon is stopped"
	kill -TERM "$dpid"
	kill -CONT "$dpid"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM (in flight)"
	recv_result 10020 $r20; expect_eq "$RES" "150 0" "10020 in flight: received, bad"
	recv_result 10010 $r10; expect_eq "$RES" "50 0" "10010 in flight (rewritten): received, bad"
	grep -q "queue 0: 200 packets judged" "$T/log" || fail "the daemon did not judge the 200 packets"
	expect_eq "$(queued 0)" "" "queue 0 unbound after exit"
	# 2: SIGTERM under a flood, fail-open and bypass: every datagram arrives
	# or is counted as dropped by the kernel at unbind
	start_daemon "$T/rules.nft" --fail-open || return
	recv_start 10020 2000 d; r20=$!
	S "$TRAFFIC" send 10.99.0.2 10020 20000 100 100 &	# lasts seconds
	snd=$!
	sleep 1
	kill -0 "$snd" 2>/dev/null || fail "the flood ended before SIGTERM"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM (flood)"
	wait "$snd"
	recv_result 10020 $r20
	read -r got bad <<<"$RES"
	lost=$(sed -n 's/.* \([0-9]*\) dropped by the kernel at unbind/\1/p' "$T/log")
	drained=$(sed -n 's/.*(\([0-9]*\) while draining).*/\1/p' "$T/log")
	echo "# flood: sent 20000, received $got, judged while draining $drained, dropped at unbind $lost"
	expect_eq "$bad" 0 "corrupted datagrams"
	expect_eq "$((got + lost))" 20000 "received + dropped at unbind"
}

scenario_ctmark() {
	setup || { fail "setup"; return; }
	# conntrack for 10040 (nft sets bit 0x100 of the ct mark first), none
	# for 10050 (notrack); flows whose ct mark has bit 0x1 skip the queue
	D nft -f - <<-'NFT' || { fail "nft"; return; }
	table inet ctm {
		chain notrk { type filter hook prerouting priority -300;
			udp dport 10050 notrack
		}
		chain premark { type filter hook prerouting priority -150;
			udp dport 10040 ct mark set ct mark or 0x100
		}
		chain qin { type filter hook input priority -10;
			ct mark & 0x1 == 0x1 accept
			udp dport { 10040, 10050 } queue num 0
		}
		chain after { type filter hook input priority 10;
			udp dport 10040 ct mark 0x101 counter
		}
	}
	NFT
	cat >"$T/rules.nft" <<-'R'
	udp dport 10040 ct mark set ct mark | 0x1 accept comment "bypass"
	udp dport 10050 ct mark set 0x5 accept comment "nocon"
	R
	start_daemon "$T/rules.nft" || return
	grep -q "conntrack" "$T/log" || fail "the daemon did not ask for F_CONNTRACK"
	recv_start 10040 1000 d; r40=$!
	# 10050 is sent after 10040's flow: wait for it as long as a slow
	# (debug) kernel needs; it ends 1 s after its last datagram anyway
	recv_start 10050 1000 d 120000; r50=$!
	# one flow (one socket, one source port): the first packet is judged,
	# the rest bypass the queue once the verdict set bit 0x1
	S "$TRAFFIC" send 10.99.0.2 10040 50 100 20000
	S "$TRAFFIC" send 10.99.0.2 10050 20 100
	recv_result 10040 $r40; expect_eq "$RES" "50 0" "10040: received, bad"
	recv_result 10050 $r50; expect_eq "$RES" "20 0" "10050 (no conntrack): received, bad"
	j=$(json)
	"$NFQRINGD" --stats --socket "$SOCK" | sed 's/^/# stats: /'
	hits=$(sed -n 's/.*{"id": "bypass", "line": 1, "hits": \([0-9]*\),.*/\1/p' <<<"$j")
	echo "# 10040: $hits of 50 packets queued before the flow bypassed the queue"
	[ -n "$hits" ] && [ "$hits" -ge 1 ] && [ "$hits" -le 10 ] ||
		fail "bypass: $hits packets judged, want 1-10 (the rest skip the queue)"
	# CTA_MARK_MASK: bit 0x1 set, nft's 0x100 kept
	marked=$(D nft list chain inet ctm after | sed -n 's/.*packets \([0-9]*\).*/\1/p')
	expect_eq "$marked" 50 "packets seen with ct mark 0x101 after the queue"
	grep -q '"ct_no_connection": 20,' <<<"$j" || fail "stats: 20 packets without a connection to mark"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

# hits of rule ID in the stats JSON $j
rule_hits() {
	sed -n "s/.*{\"id\": \"$1\", \"line\": [0-9]*, \"hits\": \([0-9]*\),.*/\1/p" <<<"$j"
}

# packets counted by the nft rule with comment ID in chain CHAIN of table
# inet cts (namespace nfqs)
nft_hits() {
	S nft list chain inet cts "$1" | sed -n "s/.*packets \([0-9]*\) .*comment \"$2\".*/\1/p"
}

scenario_ctstate() {
	# the daemon in the sender's namespace judges its output and input: a
	# flow to an echo server gives new and established packets in the
	# original direction and established ones in reply; nft counts the same
	# expressions after the queue, so the daemon's hits must be nft's
	DAEMON_NS=nfqs
	setup || { fail "setup"; return; }
	S nft -f - <<-'NFT' || { fail "nft"; return; }
	table inet cts {
		chain notrk { type filter hook output priority -300;
			udp dport 10072 notrack
		}
		chain qout { type filter hook output priority 0;
			udp dport { 10070, 10071, 10072 } queue num 0
		}
		chain qin { type filter hook input priority 0;
			udp sport 10071 queue num 0
		}
		chain aout { type filter hook output priority 10;
			udp dport 10071 ct state new ct direction original counter comment "o-new"
			udp dport 10071 ct state established ct direction original counter comment "o-est"
		}
		chain ain { type filter hook input priority 10;
			udp sport 10071 ct state established ct direction reply counter comment "r-est"
		}
	}
	NFT
	cat >"$T/rules.nft" <<-'R'
	udp dport 10070 meta skuid nobody meta skgid nogroup drop comment "nobody"
	udp dport 10070 meta skuid != 65534 accept comment "not-nobody"
	udp dport 10071 ct state new ct direction original accept comment "o-new"
	udp dport 10071 ct state established ct direction original accept comment "o-est"
	udp sport 10071 ct state established,related ct direction reply accept comment "r-est"
	udp dport 10072 ct direction original accept comment "nocon-dir"
	udp dport 10072 ct state invalid drop comment "nocon-invalid"
	policy drop
	R
	start_daemon "$T/rules.nft" || return
	grep -q "conntrack" "$T/log" || fail "the daemon did not ask for F_CONNTRACK"

	# meta skuid/skgid: 20 datagrams sent as nobody:nogroup are dropped,
	# 30 sent as root pass (a copy of traffic that nobody may run)
	cp "$TRAFFIC" "$T/traffic" && chmod 711 "$T" || { fail "copy traffic"; return; }
	recv_start 10070 1000 d; r70=$!
	S setpriv --reuid=65534 --regid=65534 --clear-groups "$T/traffic" send 10.99.0.2 10070 20 100 ||
		fail "send as nobody"
	S "$TRAFFIC" send 10.99.0.2 10070 30 100
	recv_result 10070 $r70; expect_eq "$RES" "30 0" "10070 (nobody's dropped by meta skuid): received, bad"

	# ct state / ct direction: one socket, 20 datagrams 200 ms apart, each
	# echoed back: the first is new, those after the first echo established
	D "$TRAFFIC" echo 10071 2000 >"$T/echo" &
	epid=$!
	for _ in $(seq 100); do
		grep -q ready "$T/echo" && break
		sleep 0.1
	done
	S "$TRAFFIC" send 10.99.0.2 10071 20 100 200000
	wait "$epid"
	expect_eq "$(tail -n 1 "$T/echo")" 20 "10071: datagrams echoed"

	# notrack: no conntrack information, so invalid; ct direction fails
	recv_start 10072 500 - 3000; r72=$!
	S "$TRAFFIC" send 10.99.0.2 10072 20 100
	recv_result 10072 $r72; expect_eq "$RES" "0 0" "10072 (notrack, ct state invalid): received, bad"

	j=$(json)
	"$NFQRINGD" --stats --socket "$SOCK" | sed 's/^/# stats: /'
	expect_eq "$(rule_hits nobody)" 20 "rule nobody (meta skuid nobody meta skgid nogroup): hits"
	expect_eq "$(rule_hits not-nobody)" 30 "rule not-nobody (meta skuid != 65534): hits"
	onew=$(rule_hits o-new) oest=$(rule_hits o-est) rest=$(rule_hits r-est)
	echo "# 10071: daemon new/original $onew, established/original $oest, established/reply $rest;" \
		"nft $(nft_hits aout o-new) $(nft_hits aout o-est) $(nft_hits ain r-est)"
	[ -n "$onew" ] && [ "$onew" -ge 1 ] || fail "no packet judged ct state new"
	expect_eq "$((onew + oest))" 20 "10071: new + established in the original direction"
	expect_eq "$rest" 20 "10071: established replies"
	expect_eq "$onew" "$(nft_hits aout o-new)" "ct state new ct direction original: daemon = nft"
	expect_eq "$oest" "$(nft_hits aout o-est)" "ct state established ct direction original: daemon = nft"
	expect_eq "$rest" "$(nft_hits ain r-est)" "ct state established ct direction reply: daemon = nft"
	expect_eq "$(rule_hits nocon-dir)" 0 "rule nocon-dir (ct direction without conntrack): hits"
	expect_eq "$(rule_hits nocon-invalid)" 20 "rule nocon-invalid (ct state invalid): hits"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

# TCP or UDP "connect" from nfqs to 10.99.0.2 PORT: "WHAT MS" in $RES
client() {	# client tcp|udp PORT TIMEOUT_MS
	RES=$(S "$TRAFFIC" "$1-connect" 10.99.0.2 "$2" "$3")
	echo "# $1 to $2: $RES"
}

# engine counter NAME of queue 0 in the stats JSON $j
eng() {
	sed -n "s/.*\"$1\": \([0-9]*\),.*/\1/p" <<<"$j" | head -n 1
}

scenario_reject() {
	# the daemon answers a reject with NF_REPEAT and a code in the packet
	# mark; the nft table it prints rejects by that code before its queue
	# rule, in the namespace where the daemon judges the packets
	setup || { fail "setup"; return; }
	D nft delete table inet t
	cat >"$T/rules.nft" <<-'R'
	tcp dport 10090 reject with tcp reset comment "rst"
	udp dport 10091 reject comment "unreach"
	udp dport 10092 reject with icmpx admin-prohibited comment "admin"
	tcp dport 10093 accept comment "open"
	R
	start_daemon "$T/rules.nft" || return
	"$NFQRINGD" --print-nft -c "$T/rules.nft" -q 0 --bypass >"$T/table.nft" ||
		{ fail "nfqringd --print-nft"; return; }
	grep -v 'reject with' "$T/table.nft" | sed 's/^/# table: /'
	D nft -f "$T/table.nft" || { fail "nft -f of the --print-nft table"; return; }
	# a listener on every port until told to stop (a loaded VM is slow):
	# what is refused is refused by the reject, not by a closed port
	D "$TRAFFIC" tcp-listen 10090 120000 120000 >"$T/listen.10090" &
	l90=$!
	D "$TRAFFIC" tcp-listen 10093 120000 120000 >"$T/listen.10093" &
	l93=$!
	for _ in $(seq 100); do
		grep -q ready "$T/listen.10090" && grep -q ready "$T/listen.10093" && break
		sleep 0.1
	done
	recv_start 10091 2000 - 10000; r91=$!
	recv_start 10092 2000 - 10000; r92=$!
	client udp 10091 2000
	expect_eq "${RES% *}" refused "connected UDP to 10091 (reject: ICMP port unreachable)"
	client udp 10092 2000
	expect_eq "${RES% *}" unreachable "connected UDP to 10092 (reject with icmpx admin-prohibited)"
	for i in 1 2 3; do
		client tcp 10090 1500
		read -r what ms <<<"$RES"
		expect_eq "$what" refused "TCP to 10090 (reject with tcp reset), try $i"
		[ "${ms:-9999}" -lt 500 ] || fail "TCP to 10090, try $i: $RES, want refused at once"
	done
	client tcp 10093 1500
	expect_eq "${RES% *}" connected "TCP to 10093 (accepted by the rules)"
	# $l90/$l93 are the subshells of D: signal the listeners themselves
	pkill -TERM -f "tcp-listen 1009[03] "
	wait "$l90" "$l93"
	expect_eq "$(tail -n 1 "$T/listen.10090")" 0 "connections accepted on 10090"
	expect_eq "$(tail -n 1 "$T/listen.10093")" 1 "connections accepted on 10093"
	recv_result 10091 $r91; expect_eq "$RES" "0 0" "10091: datagrams received, bad"
	recv_result 10092 $r92; expect_eq "$RES" "0 0" "10092: datagrams received, bad"
	j=$(json)
	"$NFQRINGD" --stats --socket "$SOCK" | sed 's/^/# stats: /'
	# each rejected packet judged once: a SYN each, a datagram each
	expect_eq "$(rule_hits rst)" 3 "rule rst: hits (one SYN per connect, none looped)"
	expect_eq "$(rule_hits unreach)" 1 "rule unreach: hits"
	expect_eq "$(rule_hits admin)" 1 "rule admin: hits"
	expect_eq "$(eng reject)" 5 "stats: reject verdicts"
	expect_eq "$(eng reject_loop)" 0 "stats: packets back with a reject code"

	# the same table without the jump to the reject rules: a rejected SYN
	# comes back with its code, and the loop guard drops it
	sed '/jump reject_marked/d' "$T/table.nft" >"$T/nojump.nft"
	D nft -f "$T/nojump.nft" || { fail "nft -f without the reject jump"; return; }
	client tcp 10090 2500
	expect_eq "${RES% *}" timeout "TCP to 10090 without the reject rules"
	j=$(json)
	loops=$(eng reject_loop) hits=$(rule_hits rst)
	echo "# without the reject rules: rule rst $((hits - 3)) more hits, reject_loop $loops"
	if [ -z "$loops" ] || [ "$loops" -lt 1 ]; then
		fail "stats: no packet counted by the loop guard"
	fi
	expect_eq "$((hits - 3))" "$loops" "each SYN: rejected once, dropped when it came back"
	sleep 1
	grep -q -- "--print-nft" "$T/log" || fail "the daemon did not log that the nft table lacks the reject rules"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

scenario_fragments() {
	setup || { fail "setup"; return; }
	# no conntrack in this namespace: prerouting sees the fragments
	D nft -f - <<-'NFT' || { fail "nft"; return; }
	table ip fragq {
		chain qpre { type filter hook prerouting priority 0;
			ip frag-off & 0x1fff != 0 queue num 0
			udp dport 10060 queue num 0
		}
	}
	NFT
	printf 'udp dport 10060 accept comment "first"\npolicy fragment drop\n' >"$T/rules.nft"
	start_daemon "$T/rules.nft" || return
	# 3000-byte datagrams over a 1500 MTU: three fragments each
	recv_start 10060 1000 d 3000; r60=$!
	S "$TRAFFIC" send 10.99.0.2 10060 20 3000 1000
	recv_result 10060 $r60; expect_eq "$RES" "0 0" "policy fragment drop: datagrams received"
	j=$(json)
	grep -q '"fragment": 40,' <<<"$j" || fail "stats: 40 non-first fragments judged by the fragment policy: $j"
	grep -q '{"id": "first", "line": 1, "hits": 20,' <<<"$j" || fail "rule first: 20 first fragments"
	printf 'udp dport 10060 accept comment "first"\npolicy fragment accept\n' >"$T/rules.nft"
	"$NFQRINGD" --reload --socket "$SOCK" >/dev/null || fail "reload"
	recv_start 10060 1000 d; r60=$!
	S "$TRAFFIC" send 10.99.0.2 10060 20 3000 1000
	recv_result 10060 $r60; expect_eq "$RES" "20 0" "policy fragment accept: datagrams received, bad"
	expect_eq "$(udp_csum_errors)" 0 "UDP checksum errors at the receiver"
	"$NFQRINGD" --stats --socket "$SOCK" | sed 's/^/# stats: /'
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

scenario_gso() {
	# the sender keeps its offloads: its output hook sees CHECKSUM_PARTIAL
	# packets (NFQA_SKB_CSUMNOTREADY) and UDP GSO superframes, queued there
	# to a daemon in the sender's namespace
	SENDER_OFFLOAD=1 DAEMON_NS=nfqs
	setup || { fail "setup"; return; }
	D nft delete table inet t	# the receiver queues nothing here
	S nft -f - <<-'NFT' || { fail "nft"; return; }
	table inet out {
		chain out { type filter hook output priority 0;
			udp dport { 10010, 10020 } queue num 0
		}
	}
	NFT
	# 1: rewrite rules, so no F_GSO: the kernel segments before queueing;
	# every segment is rewritten, its checksum computed in full
	rules_issue >"$T/rules.nft"
	start_daemon "$T/rules.nft" || return
	recv_start 10010 5000 h 20000 180; r10=$!	# two senders: a slow start is no end
	S "$TRAFFIC" send 10.99.0.2 10010 100 300
	S "$TRAFFIC" send-gso 10.99.0.2 10010 20 1000 4 || fail "UDP GSO send to 10010"
	recv_result 10010 $r10; expect_eq "$RES" "180 0" "10010 (partial csum, GSO segmented): received, bad"
	expect_eq "$(udp_csum_errors)" 0 "UDP checksum errors at the receiver"
	j=$(json)
	grep -q '"rewrite_done": 180,' <<<"$j" || fail "stats: 180 rewrites: $j"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
	# 2: --gso with rewrite rules is refused before anything is bound
	S timeout 20 "$NFQRINGD" -c "$T/rules.nft" -q 0 --gso --backend "$backend" \
		--socket "$SOCK" >"$T/gso.out" 2>&1
	rc=$?
	sed 's/^/# --gso with rewrites: /' "$T/gso.out"
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "--gso with rewrite rules was accepted ($rc)"
	# 3: --gso without rewrites: superframes judged whole, delivered intact
	echo 'udp dport 10086 drop' >"$T/rules.nft"
	start_daemon "$T/rules.nft" --gso || return
	recv_start 10020 5000 d 20000 80; r20=$!
	S "$TRAFFIC" send-gso 10.99.0.2 10020 20 1000 4 || fail "UDP GSO send to 10020"
	recv_result 10020 $r20; expect_eq "$RES" "80 0" "10020 (F_GSO): segments received, bad"
	j=$(json)
	pk=$(sed -n 's/.*"packets": \([0-9]*\),.*/\1/p' <<<"$j" | head -n 1)
	echo "# F_GSO: 20 superframes of 4 segments reached the daemon as $pk packets"
	[ -n "$pk" ] && [ "$pk" -lt 80 ] || fail "with F_GSO the daemon saw $pk packets, want superframes (< 80)"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

scenario_pktgen() {
	# pktgen: full UDP checksums made by the kernel (UDPCSUM, offload off),
	# straight to the driver; queued at the receiver's input and rewritten
	# with an incremental checksum update
	modprobe pktgen || { echo "# no pktgen"; return 4; }
	setup || { fail "setup"; return; }
	rules_issue >"$T/rules.nft"
	start_daemon "$T/rules.nft" || return
	recv_start 10010 1000 h; r10=$!
	mac=$(D cat /sys/class/net/v1/address)
	S sh -e -c "
		echo rem_device_all >/proc/net/pktgen/kpktgend_0
		echo add_device v0 >/proc/net/pktgen/kpktgend_0
		pg() { echo \"\$1\" >/proc/net/pktgen/v0; }
		pg 'count 200'; pg 'pkt_size 300'; pg 'delay 200000'
		pg 'dst 10.99.0.2'; pg 'src_min 10.99.0.1'; pg 'src_max 10.99.0.1'
		pg 'dst_mac $mac'; pg 'udp_src_min 9000'; pg 'udp_src_max 9000'
		pg 'udp_dst_min 10010'; pg 'udp_dst_max 10010'; pg 'flag UDPCSUM'
		echo start >/proc/net/pktgen/pgctrl
	" || { fail "pktgen"; return; }
	S grep -E 'Result|pkts-sofar' /proc/net/pktgen/v0 | sed 's/^/# pktgen: /'
	recv_result 10010 $r10; expect_eq "$RES" "200 0" "10010 (pktgen, full csum): received, bad"
	expect_eq "$(udp_csum_errors)" 0 "UDP checksum errors at the receiver"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

scenario_links() {
	# iifname is resolved from rtnetlink link events, not per packet: a
	# rename while the daemon runs changes which packets the rule matches
	setup || { fail "setup"; return; }
	echo 'iifname "vx" udp dport 10020 drop comment "vx"' >"$T/rules.nft"
	start_daemon "$T/rules.nft" || return
	recv_start 10020 1000 d; r20=$!
	S "$TRAFFIC" send 10.99.0.2 10020 20 100
	recv_result 10020 $r20; expect_eq "$RES" "20 0" "before the rename (v1): received, bad"
	D ip link set v1 down && D ip link set v1 name vx && D ip link set vx up ||
		{ fail "rename"; return; }
	sleep 1
	recv_start 10020 1000 d 3000; r20=$!
	S "$TRAFFIC" send 10.99.0.2 10020 20 100
	recv_result 10020 $r20; expect_eq "$RES" "0 0" "after renaming v1 to vx: received"
	grep -q '{"id": "vx", "line": 1, "hits": 20,' <<<"$(json)" || fail "rule vx: 20 hits"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

ctl() {	# ctl COMMAND: the daemon's answer, exit status in crc
	out=$("$NFQRINGD" --control "$1" --socket "$SOCK" 2>&1)
	crc=$?
	echo "# control '$1': rc $crc: $out"
}

count_to() {	# count_to PORT N EXPECT WHAT: send N datagrams, expect EXPECT received
	local first=20000 r
	# nothing should come: the rule counters at the end prove the drops
	[ "$3" = 0 ] && first=1500
	recv_start "$1" 600 d "$first"; r=$!
	S "$TRAFFIC" send 10.99.0.2 "$1" "$2" 100 || fail "$4: the sender failed"
	recv_result "$1" $r
	[ "$RES" = "$3 0" ] && return
	fail "$4: received, bad: got '$RES', want '$3 0'"
	S ip neigh show dev v0 | sed 's/^/# neighbour: /'
	D sed 's/^/# kernel queue: /' /proc/net/netfilter/nfnetlink_queue
	D grep -E '^(Ip|Udp):' /proc/net/snmp | sed 's/^/# receiver: /'
}

scenario_livesets() {
	setup || { fail "setup"; return; }
	cat >"$T/rules.nft" <<-R
	set bl { type ipv4_addr; flags interval, timeout; }
	set ports { type inet_service; flags dynamic; elements = { 10030 } }
	ip saddr @bl drop comment "bl"
	udp dport @ports drop comment "ports"
	R
	start_daemon "$T/rules.nft" || return
	t0=$SECONDS
	count_to 10020 30 30 "10020, empty block list"
	# An element's timeout must outlast a count (a debug kernel under
	# emulation takes seconds to start a sender): three counts' time.
	tmo=$((3 * (SECONDS - t0 + 1)))
	((tmo >= 3)) || tmo=3
	ctl "add element bl { 10.99.0.1 }"
	expect_eq "$crc" 0 "add element: exit status"
	count_to 10020 30 0 "10020, sender in the block list"
	ctl "delete element bl { 10.99.0.1 }"
	count_to 10020 30 30 "10020, sender deleted from the block list"
	# a timeout ends an element without any command
	ctl "add element bl { 10.99.0.0/24 timeout ${tmo}s }"
	count_to 10020 20 0 "10020, sender's prefix added for $tmo s"
	sleep "$tmo"
	count_to 10020 20 20 "10020, after the element's timeout"
	ctl "list sets"
	grep -q "set bl: type ipv4_addr, interval, timeout, 0 elements" <<<"$out" ||
		fail "list sets: the expired element is gone: $out"
	# --load-set: a file of elements replaces the run-time ones at once
	printf '# blocked\n192.0.2.1\n10.99.0.1 timeout 1h\n198.51.100.0/24\n' >"$T/bl.txt"
	out=$("$NFQRINGD" --load-set bl "$T/bl.txt" --socket "$SOCK" 2>&1)
	expect_eq "$?" 0 "--load-set: exit status ($out)"
	count_to 10020 20 0 "10020, sender loaded from a file"
	ctl "list set bl"
	grep -q "^10.99.0.1 timeout 1h expires" <<<"$out" || fail "list set: the element and its timeout"
	ctl "flush set bl"
	count_to 10020 20 20 "10020, after flush set"
	# ports: the file's 10030, then 10010 added; a reload whose file names
	# 10086 instead keeps the run-time 10010
	count_to 10030 20 0 "10030, in the file's port set"
	ctl "add element ports { 10010 }"
	count_to 10010 20 0 "10010, added to the port set"
	sed -i 's/elements = { 10030 }/elements = { 10086 }/' "$T/rules.nft"
	out=$("$NFQRINGD" --reload --socket "$SOCK" 2>&1)
	expect_eq "$?" 0 "reload: exit status ($out)"
	count_to 10010 20 0 "10010, run-time element kept by the reload"
	count_to 10030 20 20 "10030, gone with the old file"
	count_to 10086 20 0 "10086, from the new file"
	# changes while a steady flow passes the same rules: nothing lost
	recv_start 10020 2000 d; r20=$!
	S "$TRAFFIC" send 10.99.0.2 10020 2000 100 1000 &
	snd=$!
	for i in $(seq 1 20); do
		"$NFQRINGD" --control "add element bl { 192.0.2.$i timeout 1m }" --socket "$SOCK" >/dev/null ||
			fail "add under traffic $i"
		"$NFQRINGD" --control "delete element bl { 192.0.2.$i }" --socket "$SOCK" >/dev/null ||
			fail "delete under traffic $i"
	done
	wait "$snd"
	recv_result 10020 $r20; expect_eq "$RES" "2000 0" "10020 during 40 set changes: received, bad"
	# clear errors, nothing changed
	ctl "add element nosuch { 1.2.3.4 }"
	expect_eq "$crc" 2 "unknown set: exit status"
	grep -q "no live set 'nosuch'" <<<"$out" || fail "unknown set: message"
	ctl "add element bl { 10.99.0.300 }"
	expect_eq "$crc" 2 "bad element: exit status"
	grep -q "expected an IPv4 address" <<<"$out" || fail "bad element: message"
	count_to 10020 20 20 "10020, after the refused commands"
	j=$(json)
	grep -q '"name":"bl","type":"ipv4_addr","interval":true,"elements":0,.*"added":22,"deleted":21' <<<"$j" ||
		fail "stats: live set bl added 22 and deleted 21 elements: $j"
	"$NFQRINGD" --stats --socket "$SOCK" | sed -n '/^live sets:/,$p' | sed 's/^/# stats: /'
	D sed 's/^/# kernel queue: /' /proc/net/netfilter/nfnetlink_queue
	grep -q '{"id": "bl", "line": 3, "hits": 70,' <<<"$j" || fail "rule bl: 70 hits: $j"
	grep -q '{"id": "ports", "line": 4, "hits": 80,' <<<"$j" || fail "rule ports: 80 hits: $j"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

scenario_multiqueue() {
	# two queues, a pinned worker each; nft balances by address hash, so
	# two sources are needed to reach both
	setup || { fail "setup"; return; }
	D nft flush chain inet t in
	D nft add rule inet t in udp dport 10020 queue num 0-1
	for i in $(seq 3 10); do S ip addr add 10.99.0.$i/24 dev v0; done
	rules_issue >"$T/rules.nft"
	start_daemon "$T/rules.nft" -q 0-1 --cpu-pin || return
	cpus=$(cat /proc/"$dpid"/task/*/status | sed -n 's/^Cpus_allowed_list:\s*//p' | sort)
	echo "# threads' CPUs:" $cpus
	grep -qx 0 <<<"$cpus" && grep -qx 1 <<<"$cpus" || fail "no worker pinned to CPU 0 and CPU 1:" $cpus
	recv_start 10020 5000 d 20000 200; r20=$!	# eight senders
	for i in $(seq 3 10); do
		S "$TRAFFIC" send 10.99.0.2 10020 25 100 0 10.99.0.$i
	done
	recv_result 10020 $r20; expect_eq "$RES" "200 0" "10020 over two queues: received, bad"
	j=$(json)
	n=$(grep -o '"packets": [0-9]*' <<<"$j" | awk '$2 > 0' | wc -l)
	echo "# queues that judged packets: $n"
	expect_eq "$n" 2 "queues that judged packets"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

scenario_nomodule() {
	[ -e /dev/nfqring ] && { echo "# nfqring is loaded"; return 4; }
	setup || { fail "setup"; return; }
	rules_issue >"$T/rules.nft"
	D "$NFQRINGD" -c "$T/rules.nft" -q 0 --socket "$SOCK" >"$T/log" 2>&1
	rc=$?
	sed 's/^/# /' "$T/log"
	expect_eq "$rc" 3 "exit status without nfqring"
	grep -q "modprobe nfqring" "$T/log" || fail "the error does not say what to load"
	grep -q -- "--backend netlink" "$T/log" || fail "the error does not mention --backend netlink"
	[ -e "$SOCK" ] && fail "control socket left behind"
}

# packets counted by nft after the queue (priority 10): what the daemon let through
after_queue() {	# after_queue PORT
	D nft list chain inet ev after | awk -v p="dport $1 " 'index($0, p) {
		for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

scenario_evasions() {
	local evil x80 a=fd00:99::1 b=fd00:99::2
	setup || { fail "setup"; return; }
	S ip -6 addr add $a/64 dev v0 nodad && D ip -6 addr add $b/64 dev v1 nodad ||
		{ fail "IPv6 addresses"; return; }
	D nft -f - <<-'NFT' || { fail "nft"; return; }
	table inet ev {
		chain in { type filter hook input priority 0;
			tcp dport { 80, 81 } queue num 0
		}
		chain after { type filter hook input priority 10;
			tcp dport 80 counter
			tcp dport 81 counter
		}
	}
	NFT
	x80=$(printf 'x%.0s' $(seq 75))
	evil="GET /${x80}EVIL"
	# copy range 612: 512 bytes of headers and the window of 100
	printf 'tcp dport 80 @payload content "EVIL" depth 100 drop comment "evil"\npolicy malformed accept\n' \
		>"$T/rules.nft"
	start_daemon "$T/rules.nft" || return
	S "$TRAFFIC" tcp6-raw $a $b 80 472 0 18 1 "$evil" || fail "send"	# past the copy range
	S "$TRAFFIC" tcp6-raw $a $b 80 600 0 18 1 "$evil" || fail "send"	# cut in the options
	S "$TRAFFIC" tcp6-raw $a $b 80 0 0 18 1 "$evil" || fail "send"		# no options: the rule
	S "$TRAFFIC" tcp6-raw $a $b 80 472 0 18 1 "GET /${x80}" || fail "send"	# 612 bytes: judged
	sleep 0.5
	j=$(json)
	"$NFQRINGD" --stats --socket "$SOCK" | sed 's/^/# stats: /'
	expect_eq "$(after_queue 80)" 1 "port 80: segments let through (only the one without EVIL)"
	grep -q '"truncated": 2,' <<<"$j" || fail "stats: 2 judged by policy truncated"
	grep -q '"malformed": 0,' <<<"$j" || fail "stats: none malformed"
	grep -q '{"id": "evil", "line": 1, "hits": 1,' <<<"$j" || fail "rule evil: 1 hit"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
	# stream contents across atomic fragments: the second half is dropped
	printf 'tcp dport 81 @payload content "GET /admin" stream drop comment "admin"\n' >"$T/rules.nft"
	start_daemon "$T/rules.nft" || return
	S "$TRAFFIC" tcp6-raw $a $b 81 0 1 02 499 "" || fail "send"
	S "$TRAFFIC" tcp6-raw $a $b 81 0 1 18 500 "hello GET /ad" || fail "send"
	S "$TRAFFIC" tcp6-raw $a $b 81 0 1 18 513 "min HTTP/1.1" || fail "send"
	sleep 0.5
	j=$(json)
	expect_eq "$(after_queue 81)" 2 "port 81: SYN and the first half let through"
	grep -q '"stream_joins": 1,' <<<"$j" || fail "stats: one stream join"
	grep -q '{"id": "admin", "line": 1, "hits": 1,' <<<"$j" || fail "rule admin: 1 hit"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

# the value of "KEY": N in the stats JSON $j (the first one)
jnum() {
	grep -o "\"$1\": [0-9a-z]*" <<<"$j" | head -n 1 | sed 's/.*: //'
}

log_wait() {	# log_wait TEXT SECONDS: the daemon's log says TEXT
	for _ in $(seq $(($2 * 10 + 1))); do
		grep -q "$1" "$T/log" && return 0
		sleep 0.1
	done
	return 1
}

# datagrams to PORT counted by nft after the queue (chain inet st after):
# what the verdicts, the daemon's or the watchdog's, let through
passed() {	# passed PORT
	D nft list chain inet st after | awk -v p="dport $1 " 'index($0, p) {
		for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

stall_wait() {	# stall_wait KEY VALUE SECONDS: the stats JSON (in $j) says "KEY": VALUE
	local end=$((SECONDS + $3))
	while :; do
		j=$(json)
		[ "$(jnum "$1")" = "$2" ] && return 0
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}

stall_scenario() {	# stall_scenario accept|drop
	local act=$1 ms=${NFQR_STALL_MS:-200} want h0 p20 p86 end
	[ "$backend" = ring ] || { echo "# the stall watchdog is the rings'"; return 4; }
	setup || { fail "setup"; return; }
	D nft -f - <<-'NFT' || { fail "nft"; return; }
	table inet st {
		chain after { type filter hook input priority 10;
			udp dport 10020 counter
			udp dport 10086 counter
		}
	}
	NFT
	rules_issue >"$T/rules.nft"
	echo "# --stall-ms $ms --stall-action $act; the worker hangs until told to go on"
	export NFQRINGD_TEST_HANG_QUEUE=0:$T/go
	start_daemon "$T/rules.nft" --stall-ms "$ms" --stall-action "$act" || return
	unset NFQRINGD_TEST_HANG_QUEUE
	grep -q "stall watchdog: a worker that does not move for $ms ms" "$T/log" ||
		fail "the start line does not say the watchdog is on"
	S "$TRAFFIC" send 10.99.0.2 10030 1 100	# judged, then the worker hangs
	log_wait "NFQRINGD_TEST_HANG_QUEUE: hanging" 20 || { fail "the worker did not hang"; return; }
	# while it hangs: 100 datagrams the rules accept, 100 they drop; each
	# gets the watchdog's verdict (counted by the module), and what that
	# verdict lets through is counted by nft after the queue
	S "$TRAFFIC" send 10.99.0.2 10020 100 100 2000
	S "$TRAFFIC" send 10.99.0.2 10086 100 100 2000
	stall_wait stall_verdicts 200 30 ||
		fail "the watchdog did not give the 200 datagrams its verdict (stall_verdicts $(jnum stall_verdicts))"
	"$NFQRINGD" --stats --socket "$SOCK" | sed -n 's/^/# stats (hung): /; /stall\|^# stats (hung): queue/p'
	# one hang is one stall; a second one in it was seen once on a loaded
	# 6.1 host (not understood yet): logged, not failed; the verdicts are
	# counted exactly all the same
	[ "$(jnum stalls)" -ge 1 ] 2>/dev/null || fail "stalls: $(jnum stalls), not at least 1"
	[ "$(jnum stalls)" = 1 ] || echo "# NOTE: $(jnum stalls) stalls in one hang"
	expect_eq "$(jnum stalled)" true "stalled while the worker hangs"
	expect_eq "$(jnum packets)" 1 "packets the daemon judged (only the one before the hang)"
	want=$([ "$act" = accept ] && echo 100 || echo 0)
	expect_eq "$(passed 10020)" "$want" "10020 (rules: accept) let through during the hang"
	expect_eq "$(passed 10086)" "$want" "10086 (rules: drop) let through during the hang"
	# the worker goes on: it reads the frames that waited (their verdicts
	# come too late), the watchdog lets go, the rules judge again
	touch "$T/go"
	[ "$fails" -eq 0 ] || { echo "# no watchdog at work: the checks after the hang would only wait"; return; }
	log_wait "NFQRINGD_TEST_HANG_QUEUE: going on" 20 || { fail "the worker did not go on"; return; }
	stall_wait stalled false 20 || fail "still stalled after the worker went on"
	h0=$(rule_hits d86)
	p20=$(passed 10020)
	p86=$(passed 10086)
	recv_start 10020 1000 d 20000 50; r20=$!
	S "$TRAFFIC" send 10.99.0.2 10020 50 100 2000
	S "$TRAFFIC" send 10.99.0.2 10086 50 100 2000
	recv_result 10020 $r20; expect_eq "$RES" "50 0" "10020 after the hang: received, bad"
	end=$((SECONDS + 20))
	while j=$(json); [ "$(rule_hits d86)" != $((h0 + 50)) ] && [ $SECONDS -lt $end ]; do
		sleep 0.2
	done
	"$NFQRINGD" --stats --socket "$SOCK" | sed -n 's/^/# stats (after): /; /stall\|^# stats (after): queue/p'
	expect_eq "$(rule_hits d86)" $((h0 + 50)) "rule d86 hits after the hang (judged by the rules again)"
	expect_eq "$(passed 10020)" $((p20 + 50)) "10020 let through after the hang"
	expect_eq "$(passed 10086)" "$p86" "10086 let through after the hang (the rule drops)"
	expect_eq "$(jnum stall_verdicts)" 200 "no stall verdict after the hang"
	[ "$(jnum stalls)" -ge 1 ] 2>/dev/null || fail "stalls after the hang: $(jnum stalls)"
	expect_eq "$(jnum verdict_errors)" 0 "verdict errors"
	[ "$(jnum stall_late_verdicts)" -ge 1 ] 2>/dev/null ||
		fail "late verdicts for the frames that waited not counted (stall_late_verdicts $(jnum stall_late_verdicts))"
	grep -q "moving again after a stall" "$T/log" || fail "the log does not say the worker moves again"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
	grep -Eq "queue 0: stall watchdog: [0-9]+ stalls, 200 packets given its verdict \($act\)" "$T/log" ||
		fail "the exit line does not give the watchdog's figures"
	expect_eq "$(queued 0)" "" "queue 0 unbound after exit"
}

scenario_stall_accept() { stall_scenario accept; }
scenario_stall_drop() { stall_scenario drop; }

scenario_stall_auto() {
	# the watchdog is the rings': refused with --backend netlink; where
	# --backend auto ends up on netlink, a warning, and served without it
	setup || { fail "setup"; return; }
	rules_issue >"$T/rules.nft"
	D "$NFQRINGD" -c "$T/rules.nft" -q 0 --backend netlink --stall-ms 200 \
		--socket "$SOCK" >"$T/log" 2>&1
	expect_eq "$?" 2 "--backend netlink --stall-ms 200: exit status"
	sed 's/^/# /' "$T/log"
	grep -q "netlink backend has no stall watchdog" "$T/log" || fail "the error does not say why"
	[ -e /dev/nfqring ] && { echo "# nfqring is loaded: --backend auto takes the rings"; return 4; }
	backend=auto
	start_daemon "$T/rules.nft" --stall-ms 200 || return
	grep -q "warning: queue 0: --stall-ms ignored: the netlink backend" "$T/log" ||
		fail "--backend auto on netlink: no warning that the watchdog is off"
	recv_start 10020 1000 d 20000 20; r20=$!
	S "$TRAFFIC" send 10.99.0.2 10020 20 100
	recv_result 10020 $r20; expect_eq "$RES" "20 0" "--backend auto on netlink: 10020 received, bad"
	j=$(json)
	grep -q '"stall_watchdog": {"stall_ms": 200, "action": "drop", "available": false}' <<<"$j" ||
		fail "stats: the watchdog not shown as unavailable: $j"
	stop_daemon
	expect_eq "$drc" 0 "exit status after SIGTERM"
}

case $scenario in
basic | reload | sigterm | ctmark | ctstate | reject | fragments | gso | pktgen | links | livesets | multiqueue | nomodule | evasions | stall_accept | stall_drop | stall_auto)
	"scenario_$scenario"
	[ $? -eq 4 ] && exit 4
	;;
*) echo "usage: $0 basic|reload|sigterm|ctmark|ctstate|reject|fragments|gso|pktgen|links|livesets|multiqueue|nomodule|evasions|stall_accept|stall_drop|stall_auto [ring|netlink]"; exit 2 ;;
esac
[ "$fails" -eq 0 ]
