#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Debian's own example program (libnetfilter-queue-dev's nf-queue.c, built
# unchanged against the packaged library): every packet it is given is
# printed, accepted, and its connection marked 42 through NFQA_CT.
set -eu
bin=$NLQ_BIN
ns=nlq-ex-$$
tmp=$(mktemp -d)
pid=
n=10

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
count() { ip netns exec "$ns" nft list counter ip t "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

# the verdict's NFQA_CT only takes effect with ctnetlink present
modprobe nf_conntrack_netlink
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" nft -f - <<NFT
table ip t {
	counter passed {}
	counter ctmarked {}
	chain q { type filter hook input priority 0; udp dport 7777 ct state new,established queue num 0; }
	chain after { type filter hook input priority 10; udp dport 7777 counter name passed; udp dport 7777 ct mark 42 counter name ctmarked; }
}
NFT
ip netns exec "$ns" stdbuf -oL "$bin/nf-queue" 0 >"$tmp/out" 2>&1 &
pid=$!
# the example prints nothing when bound: wait for the queue to show up
for _ in $(seq 100); do
	ip netns exec "$ns" grep -q . /proc/net/netfilter/nfnetlink_queue && break
	sleep 0.1
done
ip netns exec "$ns" bash -c "for i in \$(seq $n); do echo pkt\$i >/dev/udp/127.0.0.1/7777; done"
for _ in $(seq 20); do
	[ "$(grep -c '^packet received' "$tmp/out")" = "$n" ] && break
	sleep 0.5
done
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
cat "$tmp/out"
[ "$(grep -c '^packet received' "$tmp/out")" = "$n" ] || fail "example printed $(grep -c '^packet received' "$tmp/out") packets, sent $n"
[ "$(count passed)" = "$n" ] || fail "$(count passed) of $n packets passed"
[ "$(count ctmarked)" = "$n" ] || fail "$(count ctmarked) of $n packets carried ct mark 42"
