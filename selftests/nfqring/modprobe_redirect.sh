#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# With the installed modprobe.d file, every request for the stock backend
# loads nfqring: by name, by the nfnetlink subsystem alias, and when the
# kernel itself asks because a program talks to NFQUEUE.  Without the file,
# the stock module loads again (the documented way back).
source "$(dirname "$0")/lib.sh"
set -u

only_nfqring() {
	loaded nfqring || fail "$1: nfqring is not loaded"
	loaded nfnetlink_queue && fail "$1: nfnetlink_queue is loaded"
	return 0
}

unload_backends
modprobe_conf_install
trap modprobe_conf_remove EXIT
kmsg_mark

modprobe nfnetlink_queue || fail "modprobe nfnetlink_queue"
only_nfqring "modprobe nfnetlink_queue"
# Asked again while nfqring serves: nfqring keeps serving.
modprobe nfnetlink_queue || fail "second modprobe nfnetlink_queue"
only_nfqring "second modprobe nfnetlink_queue"
rmmod nfqring

modprobe nfnetlink-subsys-3 || fail "modprobe nfnetlink-subsys-3"
only_nfqring "modprobe nfnetlink-subsys-3"
rmmod nfqring

# The kernel's own request_module("nfnetlink-subsys-3").
answer=$("$NFQR_BIN/nfq_probe" 0) || fail "nfq_probe"
echo "nfq_probe: $answer"
only_nfqring "a netlink NFQUEUE request"
rmmod nfqring

# Switching back.
modprobe_conf_remove
modprobe nfnetlink_queue || fail "modprobe nfnetlink_queue without the file"
loaded nfnetlink_queue || fail "the stock module did not load without the file"
rmmod nfnetlink_queue
kmsg_assert_clean
