#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nfqring-nlmmap(1) against the real module, inside the test VM, as root.
# Prints TAP.  Build first on the host: make -C selftests/nlmmap.
#
#   - old_nfq_mmap, a client written for the netlink mmap API of 3.10-4.5
#     and built once without the library: without the wrapper it fails with
#     ENOPROTOOPT; with it every packet is judged and the receivers' counts
#     balance (single verdicts in TX frames, COPY fallback with frames
#     smaller than some packets, verdict batches, two queues on one socket);
#   - the same client's checks of the transport's errors (old_nfq_mmap -e);
#   - a libnetfilter_queue program and Debian's nf-queue example under the
#     wrapper, which never ask for rings: nothing changes for them.
# Each scenario runs in its own network namespace.  nfqring is unloaded at
# the end.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${NFQR_BIN:-$TOP/build/selftests/nlmmap}
WRAP=$TOP/daemon/build/nfqring-nlmmap
CLIENT=$BIN/old_nfq_mmap
DRIVE=$BIN/nlm_drive

n=0
failed=0

tap() {	# tap STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

# run NAME WANT_STATUS COMMAND...: one test (RUN_TIMEOUT s, 90); output as diagnostics
run() {
	local name=$1 want=$2 out rc
	shift 2
	out=$(timeout -k 10 "${RUN_TIMEOUT:-90}" "$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed -e 's/^# //' -e 's/^/# /'
	[ "$rc" -eq "$want" ]
	tap $? "$name"
}

loaded() {
	grep -q "^$1 " /proc/modules
}

# Debian's nf-queue example accepts every packet and prints each: under the
# wrapper, in a namespace, 10 datagrams must all be printed and pass.
nf_queue_example() {
	local ns=nlm-nfq-$$ tmp pid cnt k=10
	tmp=$(mktemp -d)
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	ip netns exec "$ns" nft -f - <<NFT || { ip netns del "$ns"; return 1; }
table ip t {
	counter passed {}
	chain q { type filter hook input priority 0; udp dport 7777 queue num 0; }
	chain after { type filter hook input priority 10; udp dport 7777 counter name passed; }
}
NFT
	ip netns exec "$ns" stdbuf -oL "$WRAP" "$BIN/nf-queue" 0 >"$tmp/out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		ip netns exec "$ns" grep -q . /proc/net/netfilter/nfnetlink_queue && break
		sleep 0.1
	done
	ip netns exec "$ns" bash -c "for i in \$(seq $k); do echo pkt\$i >/dev/udp/127.0.0.1/7777; done"
	for _ in $(seq 20); do
		[ "$(grep -c '^packet received' "$tmp/out")" = "$k" ] && break
		sleep 0.5
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	cnt=$(ip netns exec "$ns" nft list counter ip t passed | sed -n 's/.*packets \([0-9]*\).*/\1/p')
	sed 's/^/# /' "$tmp/out" | tail -5
	echo "# printed $(grep -c '^packet received' "$tmp/out") of $k, passed $cnt"
	ip netns del "$ns"
	[ "$(grep -c '^packet received' "$tmp/out")" = "$k" ] && [ "$cnt" = "$k" ]
	local rc=$?
	rm -rf "$tmp"
	return $rc
}

echo "TAP version 13"
echo "1..12"
echo "# kernel $(uname -r)"
KMSG_MARK=$(dmesg | wc -l)

for m in nfqring nfnetlink_queue; do
	loaded $m && rmmod $m
done
modprobe nfqring && [ -c /dev/nfqring ]
tap $? "modprobe nfqring gives /dev/nfqring"
[ -x "$CLIENT" ] && [ -x "$DRIVE" ] && [ -x "$WRAP" ] && [ -r "$TOP/daemon/build/libnfqring-nlmmap.so" ]
tap $? "built (make -C selftests/nlmmap)"

run "old client without the wrapper: ENOPROTOOPT (exit 3)" 3 \
	"$DRIVE" -n 10 -- "$CLIENT" -c 10
run "old client: single verdicts in TX frames, every packet judged" 0 \
	"$DRIVE" -n 200 -- "$WRAP" "$CLIENT" -c 200
run "old client: frames of 2048, COPY fallback for 3000-byte datagrams" 0 \
	"$DRIVE" -m -C -n 300 -- "$WRAP" "$CLIENT" -c 300 -f 2048
run "old client: VERDICT_BATCH for the accepted, drops single" 0 \
	"$DRIVE" -n 400 -- "$WRAP" "$CLIENT" -c 400 -b
run "old client: two queues on one socket" 0 \
	"$DRIVE" -2 -n 200 -- "$WRAP" "$CLIENT" -c 200 -q 0 -q 1
run "old client: two queues, batches, COPY" 0 \
	"$DRIVE" -2 -m -C -n 300 -- "$WRAP" "$CLIENT" -c 300 -q 0 -q 1 -b -f 2048
run "old client: the transport's errors as 4.5 (old_nfq_mmap -e)" 0 \
	unshare -n "$WRAP" "$CLIENT" -e
run "a libnetfilter_queue program under the wrapper: unchanged" 0 \
	"$DRIVE" -n 100 -- "$WRAP" "$BIN/lnfq_count" 100
nf_queue_example
tap $? "Debian's nf-queue under the wrapper: unchanged"

problems=$(dmesg | tail -n "+$((KMSG_MARK + 1))" |
	grep -E 'WARNING:|BUG:|Oops|Call Trace|KASAN|UBSAN|possible (circular|recursive) locking|general protection' || true)
[ -n "$problems" ] && printf '%s\n' "$problems" | sed 's/^/# /'
[ -z "$problems" ]
tap $? "kernel log clean"
rmmod nfqring 2>/dev/null
echo "# $n tests, $failed failed"
[ "$failed" -eq 0 ]
