#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# libnfqring against the real kernel, inside the test VM, as root.  Prints
# TAP.  Build first on the host: make -C selftests/daemon.
#
#   phase 1: the ring backend on nfqring (modprobe nfqring), then nfqringd
#   phase 2: the netlink backend on the stock nfnetlink_queue, then nfqringd
#   phase 3: the netlink backend on nfqring, when nfqring speaks netlink
# Every scenario runs in its own network namespace.  No queue backend module
# is left loaded at the end.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${NFQR_BIN:-$TOP/build/selftests/daemon}
EXAMPLE=$TOP/daemon/build/nfqring-example
SCENARIOS="batch single write copy norx mark payload overrun"
NL_SCENARIOS="batch single copy mark payload overrun"
# nfqringd itself (nfqringd-test.sh): on the rings, on the stock module's
# netlink (plus "nomodule"), and on nfqring's netlink.  Set to "" to skip.
D_SCENARIOS="${NFQRINGD_SCENARIOS-basic reload sigterm ctmark ctstate reject fragments gso pktgen links livesets multiqueue evasions stall_accept stall_drop}"
# the daemon's logic is the same on both backends: here what differs
D_NL_SCENARIOS="${NFQRINGD_NL_SCENARIOS-basic reload sigterm ctmark ctstate stall_auto}"
D_NLQ_SCENARIOS="${NFQRINGD_NLQ_SCENARIOS-basic}"
DTEST=$TOP/selftests/daemon/nfqringd-test.sh
# a daemon scenario gets 150 s, or RUN_TIMEOUT when that is longer (the
# debug kernel: scripts/check-debug)
D_TIMEOUT=$((${RUN_TIMEOUT:-60} > 150 ? ${RUN_TIMEOUT:-60} : 150))

# shellcheck source=SCRIPTDIR/../lib/tap.sh
. "$TOP/selftests/lib/tap.sh"
# a scenario exits 4 to skip (nfqringd-test.sh)
TAP_SKIP4=1
declare -a names

# run NAME COMMAND...: one test (RUN_TIMEOUT s, 60); its output as diagnostics
run() {
	local name=$1 out rc
	shift
	out=$(timeout -k 10 "${RUN_TIMEOUT:-60}" "$@" 2>&1)
	rc=$?
	# a scenario killed by the timeout cannot clean up: its namespaces
	# would fail the next one
	ip netns del nfqs 2>/dev/null
	ip netns del nfqd 2>/dev/null
	[ -n "$out" ] && printf '%s\n' "$out" | sed -e 's/^# //' -e 's/^/# /'
	tap $rc "$name"
}

# TAP plan first: phase 1 (8 + example + plumbing 2), phase 2 (6 + 2 examples + 1),
# phase 3 (6 + 1), kernel log, unloaded
plan=$(( $(wc -w <<<"$SCENARIOS") + 3 + $(wc -w <<<"$NL_SCENARIOS") + 3 + \
	 $(wc -w <<<"$NL_SCENARIOS") + 1 + 2 + \
	 $(wc -w <<<"$D_SCENARIOS") + $(wc -w <<<"$D_NL_SCENARIOS") + \
	 $(wc -w <<<"$D_NLQ_SCENARIOS") ))
[ -n "$D_SCENARIOS$D_NL_SCENARIOS" ] && plan=$((plan + 1))
[ -n "$D_SCENARIOS" ] && plan=$((plan + 1))
echo "TAP version 13"
echo "1..$plan"
echo "# kernel $(uname -r)"
KMSG_MARK=$(dmesg | wc -l)
start=$SECONDS

# ---- phase 1: ring backend on nfqring ----
backend none
modprobe nfqring
[ -c /dev/nfqring ]
tap $? "ring: modprobe nfqring gives /dev/nfqring"
[ -x "$BIN/e2e" ] && [ -x "$EXAMPLE" ]
tap $? "test programs built (make -C selftests/daemon)"
for s in $SCENARIOS; do
	run "ring: $s" "$BIN/e2e" ring "$s"
done
NFQR_EXPECT=ring run "ring: nfqring-example unchanged (AUTO picks the ring)" \
	"$BIN/run_example" "$EXAMPLE"
for s in $D_SCENARIOS; do
	RUN_TIMEOUT=$D_TIMEOUT run "nfqringd(ring): $s" "$DTEST" "$s" ring
done
# the loader against nft -c, on a kernel with nf_tables and nft_queue (the
# host may lack them: there the comparisons skip)
[ -n "$D_SCENARIOS" ] &&
	RUN_TIMEOUT=$D_TIMEOUT run "nfqringd: rule files accepted and refused as nft -c does (test_nft_diff)" \
		sh -c "cd '$TOP/daemon' && build/tests/test_nft_diff"
echo "# phase 1: $((SECONDS - start)) s"

# ---- phase 2: netlink backend on the stock nfnetlink_queue ----
backend none
modprobe --ignore-install nfnetlink_queue && [ ! -e /dev/nfqring ]
tap $? "netlink: stock nfnetlink_queue loaded, no /dev/nfqring"
for s in $NL_SCENARIOS; do
	run "netlink(stock): $s" "$BIN/e2e" netlink "$s"
done
NFQR_EXPECT=netlink run "netlink(stock): nfqring-example netlink" \
	"$BIN/run_example" "$EXAMPLE" netlink
NFQR_EXPECT=netlink run "netlink(stock): nfqring-example AUTO falls back to netlink" \
	"$BIN/run_example" "$EXAMPLE"
[ -n "$D_SCENARIOS$D_NL_SCENARIOS" ] &&
	RUN_TIMEOUT=$D_TIMEOUT run "nfqringd: ring requested without nfqring: exit 3, says what to install" \
		"$DTEST" nomodule
for s in $D_NL_SCENARIOS; do
	RUN_TIMEOUT=$D_TIMEOUT run "nfqringd(netlink, stock): $s" "$DTEST" "$s" netlink
done
echo "# phase 2: $((SECONDS - start)) s"

# ---- phase 3: netlink backend on nfqring (if it speaks netlink) ----
backend none
modprobe nfqring
if "$BIN/e2e" netlink batch >/dev/null 2>&1; then
	tap 0 "netlink(nfqring): nfqring accepts netlink binding"
	for s in $NL_SCENARIOS; do
		run "netlink(nfqring): $s" "$BIN/e2e" netlink "$s"
	done
else
	tap 4 "netlink(nfqring): nfqring does not take netlink queues yet"
	for s in $NL_SCENARIOS; do
		tap 4 "netlink(nfqring): $s"
	done
fi
for s in $D_NLQ_SCENARIOS; do
	RUN_TIMEOUT=$D_TIMEOUT run "nfqringd(netlink, nfqring): $s" "$DTEST" "$s" netlink
done
echo "# phase 3: $((SECONDS - start)) s"

tap_kernel_log "no kernel warnings"
backend none
tap $? "no queue backend module left loaded"
echo "# $((n - failed)) passed, $failed failed in $((SECONDS - start)) s"
[ "$failed" -eq 0 ]
