# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Sourced by bench's host tests (test-units.sh, test-report.sh): a scratch
# folder $tmp removed on exit, and TAP on stdout.  tap_end prints the plan
# and exits non-zero when a test failed.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0
ok() {	# ok CONDITION-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; bad=1; fi
}
tap_end() {
	echo "1..$n"
	exit $bad
}
