#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test of bench/daq_sink, the DAQ pass' consumer, against a module
# that plays the DAQ (bench/daq_fake.c: no kernel, no queue): the
# configuration it gives a module (inline, snaplen, 1000 ms timeout,
# the queue), the figures line guest.sh's sink_stop reads, its errors
# (failed acquires, a module that miscounts its PASS verdicts, the ring
# figures of daq_nfqring), and that SIGTERM ends it even when the module
# forgets a breakloop and sleeps through signals, as both NFQUEUE modules
# may.  Needs libdaq-dev (skipped without it).  TAP on stdout.
# shellcheck disable=SC2317	# the helpers are called through check
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/tap.sh
. "$here/tap.sh"
check() {	# check DESCRIPTION COMMAND...: ok when COMMAND succeeds
	local d=$1
	shift
	"$@" >/dev/null 2>&1
	ok $? "$d"
}
if [ ! -e /usr/include/daq.h ]; then
	echo "ok 1 # SKIP libdaq-dev is not installed (scripts/install-deps)"
	echo "1..1"
	exit 0
fi
CC=${CC:-cc}
CFLAGS="-O2 -g -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE"
mkdir -p "$tmp/mods"
# shellcheck disable=SC2086
check "daq_sink builds (C11, -Wall -Wextra -Werror)" \
	$CC $CFLAGS -o "$tmp/daq_sink" "$here/daq_sink.c" -ldaq -ldl
# shellcheck disable=SC2086
check "the fake module builds" \
	$CC $CFLAGS -fPIC -shared -fvisibility=hidden -o "$tmp/mods/daq_fake.so" "$here/daq_fake.c"

# sink NAME [ARGS...]: daq_sink -m fake ARGS in the background, its
# output in $tmp/NAME.out, pid in $pid; ok when it said ready and the
# module has handed out its packets (within 10 s)
sink() {
	local name=$1 i
	shift
	"$tmp/daq_sink" -m fake -d "$tmp/mods" "$@" >"$tmp/$name.out" 2>&1 &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		grep -q '^ready$' "$tmp/$name.out" && grep -q '^fake: handed out' "$tmp/$name.out" &&
			return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
# term NAME: SIGTERM; ok when it exits 0 within 5 s (seconds in $tmp/NAME.s)
term() {
	local i t0=$EPOCHREALTIME rc
	kill -TERM "$pid"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid"
		return 1
	fi
	wait "$pid"
	rc=$?
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", b - a }' >"$tmp/$1.s"
	return $rc
}
# fig NAME KEY: KEY's value in the last line of NAME's output
fig() { tail -n 1 "$tmp/$1.out" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
# figs NAME KEY=VALUE...: each figure as given
figs() {
	local n=$1 kv
	shift
	for kv in "$@"; do [ "$(fig "$n" "${kv%%=*}")" = "${kv#*=}" ] || return 1; done
}

check "plain: ready" sink plain 3 1500
check "  the module got queue 3, snaplen 1500, timeout 1000 ms, inline" \
	grep -qx "fake: queue=3 snaplen=1500 timeout=1000 mode=inline" "$tmp/plain.out"
check "  SIGTERM: exit 0" term plain
check "  100 packets of 64 bytes, all IPv4, no errors; one receive and one verdict each" \
	figs plain packets=100 bytes=6400 not_ip=0 errors=0 copies=0 batches=100 recv_calls=100 \
		verdict_calls=100 received=100 hw_received=100 hw_dropped=0 pass=100
check "  the line sink_stop reads: packets= first, batch_hist absent (empty)" \
	eval "tail -n 1 '$tmp/plain.out' | grep -q '^packets=100 ' && ! grep -q batch_hist '$tmp/plain.out'"

check "deaf (the first breakloop lost, signals slept through): ready" sink deaf -v deaf=1 0 65535
check "  SIGTERM still ends it (the breakloop again on SIGALRM), exit 0" term deaf
check "  within 1-3 s (the alarm's second)" \
	awk -v s="$(cat "$tmp/deaf.s" 2>/dev/null)" 'BEGIN { exit !(s >= 0.8 && s <= 3) }'
check "  its packets counted" figs deaf packets=100 errors=0

check "not IP: ready" sink notip -v notip=5 0 65535
term notip
check "  5 packets without an IP version: not_ip=5, no error" figs notip not_ip=5 errors=0 packets=100

check "failing acquires: ready" sink fail -v fail=3 0 65535
term fail
check "  3 failed acquires: errors=3, the module's message once on stderr" \
	eval "figs fail errors=3 packets=100 && [ \$(grep -c 'daq_acquire: .*failing on purpose' '$tmp/fail.out') = 1 ]"

check "a module that counts a PASS less: ready" sink miscount -v miscount=1 0 65535
term miscount
check "  errors=1, and said on stderr" \
	eval "figs miscount errors=1 pass=99 && grep -q '100 callbacks, the module counted 99 PASS' '$tmp/miscount.out'"

check "daq_nfqring's ring figures: ready" sink ring -v ring=1 -v overruns=2 0 65535
term ring
check "  overruns are errors; batches = bursts, verdict calls = flushes, no receive calls" \
	figs ring errors=2 batches=7 verdict_calls=7 recv_calls=0 packets=100

# exits STATUS NAME ARGS...: daq_sink ARGS exits with STATUS, never
# ready; its output in $tmp/NAME.out
exits() {
	local want=$1 name=$2 rc
	shift 2
	"$tmp/daq_sink" "$@" >"$tmp/$name.out" 2>&1
	rc=$?
	[ "$rc" = "$want" ] && ! grep -q '^ready' "$tmp/$name.out"
}
check "no arguments: usage, exit 2" \
	eval "exits 2 usage && grep -q '^usage: daq_sink' '$tmp/usage.out'"
check "queue 70000: exit 2" exits 2 q -m fake -d "$tmp/mods" 70000 1500
check "snaplen 0: exit 2" exits 2 snap -m fake -d "$tmp/mods" 0 0
check "an unknown module: exit 1, named" \
	eval "exits 1 nomod -m nosuch -d '$tmp/mods' 0 1500 && grep -q \"no DAQ module 'nosuch'\" '$tmp/nomod.out'"
check "daq_initialize refused: exit 1 with the module's message" \
	eval "exits 1 refused -m fake -d '$tmp/mods' -v bogus=1 0 1500 &&
		grep -q \"daq_initialize: fake: unknown variable 'bogus'\" '$tmp/refused.out'"
tap_end
