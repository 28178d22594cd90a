#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nfqring, as installed by DKMS, loads and unloads cleanly 100 times; an open
# file pins it; unloading leaves nothing behind.
#   NFQR_LIFECYCLE_CYCLES   load/unload cycles (default 100); make check-debug
#                           runs 25: under KASAN and lockdep a cycle takes
#                           11-15 s here, and kmemleak watches every one
source "$(dirname "$0")/lib.sh"
set -u

unload_backends
modprobe_conf_remove
modprobe nfnetlink || fail "modprobe nfnetlink"
nfnl_ref=$(refcnt nfnetlink)
kmsg_mark

modprobe nfqring || fail "modprobe nfqring"
file=$(modinfo -F filename nfqring)
case $file in
*/updates/dkms/*) ;;
*) fail "nfqring.ko was loaded from $file, not from the DKMS install" ;;
esac
[ "$(modinfo -F version nfqring)" = "$(cat "$NFQR_TOP/VERSION")" ] ||
	fail "module version $(modinfo -F version nfqring) is not this tree's"
[ "$(modinfo -F license nfqring)" = GPL ] || fail "license is not GPL"
kmsg_since | grep -q 'nfqring: serving the NFQUEUE backend' ||
	fail "no 'serving' line in the kernel log"

[ -c /dev/nfqring ] || fail "/dev/nfqring is not a character device"
for f in nfnetlink_queue nfqring; do
	[ -r /proc/net/netfilter/$f ] || fail "/proc/net/netfilter/$f missing"
done
# Namespaces created later get their proc files too.
ip netns add nfqr-lifecycle || fail "ip netns add"
ip netns exec nfqr-lifecycle test -r /proc/net/netfilter/nfqring ||
	fail "no /proc/net/netfilter/nfqring in a new namespace"
ip netns del nfqr-lifecycle

# An open file holds a module reference: rmmod must refuse, not force.
exec 3<>/dev/nfqring || fail "open /dev/nfqring"
if rmmod nfqring 2>/dev/null; then
	fail "rmmod succeeded while /dev/nfqring was open"
fi
loaded nfqring || fail "nfqring vanished while open"
exec 3<&-
rmmod nfqring || fail "rmmod after close"

[ ! -e /dev/nfqring ] || fail "/dev/nfqring left after rmmod"
[ ! -e /proc/net/netfilter/nfnetlink_queue ] || fail "proc file left after rmmod"

# The cycles load the DKMS-built file directly: modprobe's own work (config,
# dependency files) would dominate under emulation.  nfnetlink stays loaded.
ko=/tmp/nfqring.ko
case $file in
*.xz) xz -dc "$file" >"$ko" ;;
*.zst) zstd -qdc "$file" >"$ko" ;;
*) cp "$file" "$ko" ;;
esac
cycles=${NFQR_LIFECYCLE_CYCLES:-100}
for i in $(seq "$cycles"); do
	insmod "$ko" || fail "load $i"
	[ -c /dev/nfqring ] || fail "no /dev/nfqring after load $i"
	rmmod nfqring || fail "unload $i"
	loaded nfqring && fail "still loaded after unload $i"
done

[ "$(refcnt nfnetlink)" = "$nfnl_ref" ] ||
	fail "nfnetlink refcount $nfnl_ref before, $(refcnt nfnetlink) after"
! grep -qw nfqring /proc/kallsyms || fail "nfqring symbols left in kallsyms"
kmsg_assert_clean
echo "$cycles load/unload cycles, nothing left behind"
