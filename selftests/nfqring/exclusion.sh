#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Only one NFQUEUE backend can serve.  Both directions refuse cleanly: a
# non-zero modprobe, a clear line in the kernel log, and no warning.
source "$(dirname "$0")/lib.sh"
set -u

unload_backends
modprobe_conf_remove

# 1. The stock module owns the backend: nfqring refuses to load.
modprobe nfnetlink_queue || fail "modprobe nfnetlink_queue"
kmsg_mark
if modprobe nfqring 2>/dev/null; then
	fail "nfqring loaded while nfnetlink_queue owns the backend"
fi
loaded nfqring && fail "nfqring is loaded"
loaded nfnetlink_queue || fail "nfnetlink_queue was unloaded"
kmsg_since | grep -q "nfqring: the NFQUEUE backend is taken, most likely by nfnetlink_queue: run 'rmmod nfnetlink_queue'" ||
	fail "no clear refusal in the kernel log: $(kmsg_since)"
[ -r /proc/net/netfilter/nfnetlink_queue ] || fail "the stock proc file is gone"
kmsg_assert_clean
rmmod nfnetlink_queue || fail "rmmod nfnetlink_queue"

# 2. nfqring serves: the stock module is refused even when asked for
#    directly (no modprobe.d redirection here).
modprobe nfqring || fail "modprobe nfqring"
kmsg_mark
if modprobe nfnetlink_queue 2>/dev/null; then
	fail "nfnetlink_queue loaded while nfqring serves"
fi
loaded nfnetlink_queue && fail "nfnetlink_queue is loaded"
loaded nfqring || fail "nfqring was unloaded"
kmsg_since | grep -q "nfqring: refusing to load nfnetlink_queue: nfqring serves the NFQUEUE backend; run 'rmmod nfqring' first" ||
	fail "no clear refusal in the kernel log: $(kmsg_since)"
[ -c /dev/nfqring ] || fail "/dev/nfqring is gone"
kmsg_assert_clean
rmmod nfqring || fail "rmmod nfqring"

# 3. Both can load again afterwards: a refusal leaves nothing behind.
modprobe nfnetlink_queue || fail "stock module after the refusals"
rmmod nfnetlink_queue
modprobe nfqring || fail "nfqring after the refusals"
rmmod nfqring
kmsg_assert_clean
