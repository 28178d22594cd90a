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
#     wrapper, which never ask for rings: nothing changes for them;
#   - indep/nfq_mmap_client, a second old-API client written by another
#     author without seeing the library (indep/README.md), driven by
#     indep_drive: ENOPROTOOPT without the wrapper; with it every packet
#     judged and the receivers' counts balance for verdicts in TX frames,
#     sendto verdicts, batches, acks, COPY with frames smaller than some
#     packets (1500 bytes: not a divisor of the block), an RX-only ring and
#     two queues; bad geometry refused with EINVAL as 4.5 did.  The same
#     again with its CONFIG requests sent without NLM_F_ACK (-A), and a
#     ring overrun that must be reported through SO_ERROR as in 4.5.
# Each scenario runs in its own network namespace.  nfqring is unloaded at
# the end.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${NFQR_BIN:-$TOP/build/selftests/nlmmap}
WRAP=$TOP/daemon/build/nfqring-nlmmap
CLIENT=$BIN/old_nfq_mmap
DRIVE=$BIN/nlm_drive
INDEP=$BIN/nfq_mmap_client
IDRIVE=$BIN/indep_drive

# shellcheck source=SCRIPTDIR/../lib/tap.sh
. "$TOP/selftests/lib/tap.sh"

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
echo "1..33"
echo "# kernel $(uname -r)"
KMSG_MARK=$(dmesg | wc -l)

backend nfqring
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

# indep/nfq_mmap_client: built once, run unchanged, every run ends with its
# summary line; -d D drops the datagrams indep_drive marks 'D'.
[ -x "$INDEP" ] && [ -x "$IDRIVE" ]
tap $? "independent client built (make -C selftests/nlmmap)"
indep_fails_with() {	# indep_fails_with MESSAGE COMMAND...: exit 1, MESSAGE on stderr
	local want=$1 out rc
	shift
	out=$(timeout -k 10 "${RUN_TIMEOUT:-90}" unshare -n "$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
	[ "$rc" -eq 1 ] && printf '%s\n' "$out" | grep -q "$want"
}
indep_fails_with "setsockopt(NETLINK_RX_RING): Protocol not available" "$INDEP" -c 10 -w 5
tap $? "independent client without the wrapper: setsockopt fails with ENOPROTOOPT"
run "independent client: verdicts in TX frames, flushed by sendto(fd, NULL, 0)" 0 \
	"$IDRIVE" -n 300 -- "$WRAP" "$INDEP" -c 300 -w 20 -d D
run "independent client: verdicts with sendto, TX ring set up but unused" 0 \
	"$IDRIVE" -n 300 -- "$WRAP" "$INDEP" -c 300 -w 20 -d D -t sendto
run "independent client: batches in TX frames, an ack for every verdict" 0 \
	"$IDRIVE" -K -n 400 -- "$WRAP" "$INDEP" -c 400 -w 20 -d D -b -a
run "independent client: batches with sendto" 0 \
	"$IDRIVE" -n 400 -- "$WRAP" "$INDEP" -c 400 -w 20 -d D -b -t sendto
run "independent client: 1500-byte frames, COPY for 3000-byte datagrams" 0 \
	"$IDRIVE" -m -C -n 300 -- "$WRAP" "$INDEP" -c 300 -w 20 -d D -f 1500
run "independent client: RX ring only, 1024-byte frames, COPY, sendto verdicts" 0 \
	"$IDRIVE" -m -C -n 300 -- "$WRAP" "$INDEP" -c 300 -w 20 -d D -o -f 1024
run "independent client: two queues on one socket" 0 \
	"$IDRIVE" -2 -n 300 -- "$WRAP" "$INDEP" -c 300 -w 20 -d D -q 0,1
run "independent client: two queues, batches, COPY, acks" 0 \
	"$IDRIVE" -2 -m -C -K -n 300 -- "$WRAP" "$INDEP" -c 300 -w 20 -d D -q 0,1 -b -a -f 1024
indep_fails_with "setsockopt(NETLINK_RX_RING): Invalid argument" "$WRAP" "$INDEP" -c 1 -w 5 -f 16
tap $? "independent client: a frame smaller than NL_MMAP_HDRLEN is EINVAL, as in 4.5"
indep_fails_with "setsockopt(NETLINK_RX_RING): Invalid argument" "$WRAP" "$INDEP" -c 1 -w 5 -s 6000
tap $? "independent client: a block size not a multiple of the page is EINVAL, as in 4.5"
# -A: CONFIG without NLM_F_ACK, as libmnl's nf-queue example configured
run "independent client -A: verdicts in TX frames" 0 \
	"$IDRIVE" -n 300 -- "$WRAP" "$INDEP" -A -c 300 -w 20 -d D
run "independent client -A: verdicts with sendto" 0 \
	"$IDRIVE" -n 300 -- "$WRAP" "$INDEP" -A -c 300 -w 20 -d D -t sendto
run "independent client -A: batches in TX frames" 0 \
	"$IDRIVE" -n 400 -- "$WRAP" "$INDEP" -A -c 400 -w 20 -d D -b
run "independent client -A: batches with sendto" 0 \
	"$IDRIVE" -n 400 -- "$WRAP" "$INDEP" -A -c 400 -w 20 -d D -b -t sendto
run "independent client -A: 1500-byte frames, COPY for 3000-byte datagrams" 0 \
	"$IDRIVE" -m -C -n 300 -- "$WRAP" "$INDEP" -A -c 300 -w 20 -d D -f 1500
run "independent client -A: RX ring only, 1024-byte frames, COPY, sendto verdicts" 0 \
	"$IDRIVE" -m -C -n 300 -- "$WRAP" "$INDEP" -A -c 300 -w 20 -d D -o -f 1024
run "independent client -A: two queues, batches, COPY" 0 \
	"$IDRIVE" -2 -m -C -n 300 -- "$WRAP" "$INDEP" -A -c 300 -w 20 -d D -q 0,1 -b -f 1024
run "independent client -A: an ack for every verdict, COPY frames among them" 0 \
	"$IDRIVE" -m -C -K -n 300 -- "$WRAP" "$INDEP" -A -c 300 -w 20 -d D -a -f 1024
run "independent client -A: a 2-frame ring overruns, SO_ERROR says ENOBUFS" 0 \
	"$IDRIVE" -O -n 600 -- "$WRAP" "$INDEP" -A -w 3 -d D -n 1

tap_kernel_log "kernel log clean"
rmmod nfqring 2>/dev/null
echo "# $n tests, $failed failed"
[ "$failed" -eq 0 ]
