#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything that runs inside one test VM, suite after suite, each printing
# its own TAP: the nfqring selftests, the differential netlink suite against
# the stock module and against nfqring, libnfqring end to end, and (on
# request: make check-debug) the soak.
#   run-in-vm.sh [nfqring|netlink|daemon|soak]...   (default: the first three)
# Exit status: 0 when every suite passed.
here=$(cd "$(dirname "$0")" && pwd)
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(nfqring netlink daemon)
rc=0

for s in "${suites[@]}"; do
	echo "# ==== suite $s"
	case $s in
	nfqring)
		"$here/nfqring/run_tests.sh" ${NFQR_TESTS:-} || rc=1
		;;
	netlink)
		"$here/netlink/run.sh" stock || rc=1
		"$here/netlink/run.sh" nfqring || rc=1
		;;
	daemon)
		"$here/daemon/run.sh" || rc=1
		;;
	soak)
		"$here/soak/soak.sh" || rc=1
		;;
	*)
		echo "not ok - unknown suite $s"
		rc=1
		;;
	esac
done
exit $rc
