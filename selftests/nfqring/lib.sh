# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the shell selftests.  Runs inside the test VM, as root.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

NFQR_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NFQR_BIN=${NFQR_BIN:-$NFQR_TOP/build/selftests/nfqring}
NFQR_MODPROBE_CONF=/etc/modprobe.d/nfqring.conf

fail() {
	echo "FAIL: $*" >&2
	exit $KSFT_FAIL
}

skip() {
	echo "SKIP: $*" >&2
	exit $KSFT_SKIP
}

# True when module $1 is loaded (/sys/module also lists built-in ones).
loaded() {
	grep -q "^$1 " /proc/modules
}

# Reference count of loaded module $1.
# A module's reference count; "builtin" when it is built into the kernel
# (nfnetlink is, on the debug kernel).
refcnt() {
	if [ -e "/sys/module/$1/refcnt" ]; then
		cat "/sys/module/$1/refcnt"
	else
		echo builtin
	fi
}

# Leaves no queue backend loaded; never forces (rmmod -f could hide a bug).
unload_backends() {
	local m
	for m in nfqring nfnetlink_queue; do
		if loaded $m; then
			rmmod $m || fail "rmmod $m refused"
		fi
	done
}

# The modprobe.d file that `make install` puts in place.
modprobe_conf_install() {
	install -m 0644 "$NFQR_TOP/dist/modprobe.d/nfqring.conf" "$NFQR_MODPROBE_CONF"
}

modprobe_conf_remove() {
	rm -f "$NFQR_MODPROBE_CONF"
}

# kmsg_mark, then kmsg_since prints what the kernel logged after the mark.
kmsg_mark() {
	KMSG_MARK=$(dmesg | wc -l)
}

kmsg_since() {
	dmesg | tail -n "+$((KMSG_MARK + 1))"
}

# Fails when the kernel logged a warning, oops or similar since the mark.
kmsg_assert_clean() {
	local bad
	bad=$(kmsg_since | grep -E 'WARNING:|BUG:|Oops|Call Trace|KASAN|UBSAN|lockdep|possible (circular|recursive) locking|general protection' || true)
	[ -z "$bad" ] || fail "kernel log since the test began: $bad"
}
