# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by the runners of the VM suites (selftests/daq, nlmmap and daemon
# run.sh), inside the test VM, as root: TAP lines numbered in $n with the
# failures counted in $failed, and the module helpers they all need.
#
# tap() fails any non-zero status.  Set TAP_SKIP4=1 after sourcing to report
# status 4 as "ok N NAME # SKIP" instead: the daemon suite's scenarios exit 4
# to skip (nfqringd-test.sh); in the daq and nlmmap suites 4 is a failure
# like any other.

n=0
failed=0
# not taken from the environment: an exported one must not turn failures
# of the other suites into skips
TAP_SKIP4=

tap() {	# tap STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	elif [ -n "$TAP_SKIP4" ] && [ "$1" -eq 4 ]; then
		echo "ok $n $2 # SKIP"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

loaded() {	# loaded MODULE: true when MODULE is in /proc/modules
	grep -q "^$1 " /proc/modules
}

# backend stock|nfqring|none: exactly that NFQUEUE backend loaded
backend() {
	local m
	for m in nfqring nfnetlink_queue; do
		loaded $m && rmmod $m
	done
	case $1 in
	stock) modprobe --ignore-install nfnetlink_queue ;;
	nfqring) modprobe nfqring && [ -c /dev/nfqring ] ;;
	none) ! loaded nfqring && ! loaded nfnetlink_queue ;;
	esac
}

# tap_kernel_log NAME: ok when the kernel logged no warning, oops or
# lockdep splat since the tests began (KMSG_MARK=$(dmesg | wc -l) then);
# what it logged goes out as diagnostics
tap_kernel_log() {
	local bad
	bad=$(dmesg | tail -n "+$((KMSG_MARK + 1))" |
		grep -E 'WARNING:|BUG:|Oops|Call Trace|KASAN|UBSAN|possible (circular|recursive) locking|general protection' || true)
	[ -n "$bad" ] && printf '%s\n' "$bad" | sed 's/^/# /'
	[ -z "$bad" ]
	tap $? "$1"
}
