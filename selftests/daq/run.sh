#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# daq_nfqring.so against Debian's daq_nfq.so, inside the test VM, as root.
# Prints TAP.  Build first on the host: make -C selftests/daq.
#
# The DAQ driver (daq_drive.c) runs each scenario through three
# configurations and they must come out the same at the receivers:
#   a) Debian's daq_nfq.so on the stock nfnetlink_queue,
#   b) daq_nfq.so on nfqring's netlink transport,
#   c) daq_nfqring.so on nfqring's rings.
# Scenarios: verdicts (PASS, BLOCK, REPLACE with valid checksums), bypass
# (WHITELIST, IGNORE, BLACKLIST: the "fates" alike, and with daq_nfqring
# the later packets never queued), retry (what each module does with
# RETRY: checked per module, daq_nfq drops it), full (queue_len reached
# while the callback stalls), stop (packets in flight at stop), errors
# (unknown variable, bad queue, queue bound already: refused, nothing left
# bound); then daq_nfqring alone: failopen (fail_open=1, a ring of 16
# frames) and noload (no module).  Each run is in its own network
# namespace; no backend is left loaded at the end.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${NFQR_BIN:-$TOP/build/selftests/daq}
DRIVE=$BIN/daq_drive
DEBIAN_DAQ=/usr/lib/x86_64-linux-gnu/daq
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=SCRIPTDIR/../lib/tap.sh
. "$TOP/selftests/lib/tap.sh"

# drive CONFIG NAME MODULE SCENARIO [ARGS...]: one driver run; its output
# kept as $tmp/SCENARIO.CONFIG and shown as diagnostics
drive() {
	local cfg=$1 name=$2 module=$3 scen=$4 rc
	shift 4
	timeout -k 10 "${RUN_TIMEOUT:-300}" "$DRIVE" -m "$module" -d "$BIN/modules" \
		-d "$DEBIAN_DAQ" -s "$scen" "$@" >"$tmp/$scen.$cfg" 2>&1
	rc=$?
	sed -e 's/^# //' -e 's/^/# /' "$tmp/$scen.$cfg"
	tap $rc "$name: $scen"
}

scenarios=(verdicts bypass retry full stop errors)
declare -A args=(
	[verdicts]="-n 50" [bypass]="-n 30" [retry]="-n 30"
	[full]="-n 50 -v queue_len=16" [stop]="-n 50" [errors]=""
)

echo "TAP version 13"
echo "# kernel $(uname -r)"
KMSG_MARK=$(dmesg | wc -l)
[ -x "$DRIVE" ] && [ -r "$BIN/modules/daq_nfqring.so" ] && [ -r "$DEBIAN_DAQ/daq_nfq.so" ]
tap $? "built (make -C selftests/daq) and Debian's daq_nfq.so installed (libdaq2)"
modprobe -a nft_queue nft_ct nf_conntrack_netlink
tap $? "nft_queue, nft_ct, nf_conntrack_netlink"

for cfg in a b c; do
	case $cfg in
	a) be=stock module=nfq name="daq_nfq on nfnetlink_queue" ;;
	b) be=nfqring module=nfq name="daq_nfq on nfqring's netlink" ;;
	c) be=nfqring module=nfqring name="daq_nfqring on the rings" ;;
	esac
	backend "$be"
	tap $? "$name: backend $be loaded"
	for s in "${scenarios[@]}"; do
		# shellcheck disable=SC2086
		drive $cfg "$name" $module "$s" ${args[$s]}
	done
	if [ $cfg = c ]; then
		drive c "$name" nfqring failopen -n 50 -v fail_open=1 -v frames=16
	fi
done

# RETRY is not compared: Debian's daq_nfq maps it to NF_DROP (its verdict
# table), daq_nfqring to NF_REPEAT; daq_drive checks each module's own
for s in verdicts bypass full stop errors; do
	for cfg in a b c; do
		grep '^fates' "$tmp/$s.$cfg" >"$tmp/$s.$cfg.fates" 2>/dev/null
	done
	if [ -s "$tmp/$s.a.fates" ] && cmp -s "$tmp/$s.a.fates" "$tmp/$s.b.fates" &&
	   cmp -s "$tmp/$s.a.fates" "$tmp/$s.c.fates"; then
		tap 0 "$s: the same fates and counts in all three"
	else
		for cfg in a b c; do
			sed "s/^/# $cfg: /" "$tmp/$s.$cfg.fates"
		done
		tap 1 "$s: the same fates and counts in all three"
	fi
done

backend none
tap $? "no backend loaded"
drive n "daq_nfqring without the module" nfqring noload

tap_kernel_log "kernel log clean"
echo "1..$n"
echo "# $n tests, $failed failed"
[ "$failed" -eq 0 ]
