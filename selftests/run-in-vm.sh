#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything that runs inside one test VM, suite after suite, each printing
# its own TAP: the nfqring selftests, the differential netlink suite against
# the stock module and against nfqring, libnfqring end to end, the netlink
# mmap API through nfqring-nlmmap, Snort's DAQ (daq_nfqring against
# Debian's daq_nfq), and (on request: make check-debug) the soak.
#   run-in-vm.sh [nfqring|netlink|daemon|nlmmap|daq|soak]...   (default: all but soak)
# Exit status: 0 when every suite passed.
#   NFQR_MODULE=PATH   run with this nfqring.ko (the test build, make
#                      module-test, or make module's) in place of the DKMS
#                      one; without a DKMS install for this kernel it goes
#                      where DKMS would put it
here=$(cd "$(dirname "$0")" && pwd)
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(nfqring netlink daemon nlmmap daq)
rc=0

# The guest's /lib/modules is a writable overlay: the test build takes the
# DKMS module's place (same path, so tests that check where nfqring comes
# from still pass) until the VM powers off.
if [ -n "${NFQR_MODULE:-}" ]; then
	dkms_dir=/lib/modules/$(uname -r)/updates/dkms
	if [ ! -f "$NFQR_MODULE" ]; then
		echo "not ok - NFQR_MODULE=$NFQR_MODULE: no such module"
		exit 1
	fi
	mkdir -p "$dkms_dir"
	rm -f "$dkms_dir"/nfqring.ko*
	install -m 0644 "$NFQR_MODULE" "$dkms_dir/nfqring.ko"
	depmod -a
	echo "# nfqring: $(modinfo -F parm nfqring | grep -c '^test_') test-build parameters, from $NFQR_MODULE"
elif modinfo -F parm nfqring 2>/dev/null | grep -q '^test_'; then
	# what DKMS installs must never carry the test build's hooks
	echo "not ok - the installed nfqring is a test build: $(modinfo -n nfqring)"
	rc=1
fi

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
	nlmmap)
		"$here/nlmmap/run.sh" || rc=1
		;;
	daq)
		"$here/daq/run.sh" || rc=1
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
