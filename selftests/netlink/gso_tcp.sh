#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# gso_tcp.sh gso|nogso: TCP bulk transfer between two namespaces over veth,
# every segment queued on the sender's output hook.  With F_GSO the queue
# sees the stack's GSO packets (longer than the MTU, flagged NFQA_SKB_GSO);
# without it, only segments that fit the MTU.  Either way every byte
# arrives and each packet the rule counted was seen by the listener.
set -eu
bin=$NLQ_BIN
mode=$1
bytes=${NLQ_GSO_BYTES:-500000}
a=nlq-gso-a-$$ b=nlq-gso-b-$$
tmp=$(mktemp -d)
lpid=

cleanup() {
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	ip netns del "$a" 2>/dev/null
	ip netns del "$b" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

wait_ready() {	# file
	for _ in $(seq 100); do
		grep -q ready "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$1 never got ready"
}

ip netns add "$a"
ip netns add "$b"
ip link add v0 netns "$a" type veth peer name v1 netns "$b"
ip -n "$a" addr add 10.0.1.1/24 dev v0
ip -n "$b" addr add 10.0.1.2/24 dev v1
for ns in "$a" "$b"; do
	ip -n "$ns" link set lo up
done
ip -n "$a" link set v0 up
ip -n "$b" link set v1 up
ip netns exec "$a" nft -f - <<NFT
table ip t {
	counter q {}
	chain out { type filter hook output priority 0; tcp dport 5201 counter name q queue num 0; }
}
NFT

ip netns exec "$a" "$bin/nlq_listen" 0 "$mode" "$tmp/stats" >"$tmp/listen" 2>&1 &
lpid=$!
wait_ready "$tmp/listen"
ip netns exec "$b" "$bin/nlq_tcp" recv 5201 >"$tmp/recv" 2>&1 &
rpid=$!
wait_ready "$tmp/recv"
ip netns exec "$a" "$bin/nlq_tcp" send 10.0.1.2 5201 $bytes || fail "sender failed"
wait $rpid || fail "receiver failed: $(cat "$tmp/recv")"
# while the listener still owns the queue
proc=$(ip netns exec "$a" cat /proc/net/netfilter/nfnetlink_queue)
kill -TERM "$lpid"
wait "$lpid" || fail "listener failed: $(cat "$tmp/listen")"
lpid=

got=$(tail -n1 "$tmp/recv")
read -r _ packets _ gso _ big _ maxlen <"$tmp/stats"
counted=$(ip netns exec "$a" nft list counter ip t q | sed -n 's/.*packets \([0-9]*\).*/\1/p')
echo "mode $mode: received $got of $bytes bytes; queued $packets packets ($gso gso, $big over 1500, max $maxlen); rule counted $counted"
echo "proc: $proc"

[ "$got" = "$bytes" ] || fail "received $got bytes, sent $bytes"
# the rule sees what the stack sent; without F_GSO the queue gets segments
if [ "$mode" = gso ]; then
	[ "$packets" = "$counted" ] || fail "listener saw $packets packets, rule counted $counted"
else
	[ "$packets" -ge "$counted" ] || fail "listener saw $packets packets, rule counted $counted"
fi
# queue total, dropped and user_dropped all zero; id sequence = packets
read -r _ _ total _ _ dropped udropped idseq _ <<<"$proc"
[ "$total $dropped $udropped" = "0 0 0" ] || fail "queue not clean: $proc"
[ "$idseq" = "$packets" ] || fail "id sequence $idseq, packets $packets"
if [ "$mode" = gso ]; then
	[ "$big" -gt 0 ] || fail "no GSO packet reached the queue with F_GSO"
	[ "$gso" = "$big" ] || fail "$big packets over the MTU but $gso flagged GSO"
else
	[ "$big" = 0 ] && [ "$gso" = 0 ] || fail "GSO packets reached the queue without F_GSO"
fi
