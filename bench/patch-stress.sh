#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# patch-stress.sh: inside a VM (selftests/vm/vm-run), as root.  Tells a
# guest crash of the benchmark that comes from QEMU's software emulation
# apart from one nfqring causes: it does what the benchmark does between
# and during its runs, without nfqring unless asked to.
#
# pktgen floods a veth pair into namespace "dut" (RPS moves the receive to
# CPU 1, as the benchmark's rps placement does) while CPU 1 keeps patching
# kernel text: every nft ruleset with a prerouting hook flips the
# nf_hooks_needed static key (every NF_HOOK call site is rewritten),
# enabling the kmem tracepoints rewrites kmem_cache_alloc itself (where the
# benchmark's first 6.12 oops hit), loading and unloading a queue backend
# patches its jump labels; and it forks (the second oops was in fork).
#   STRESS_SECONDS (600)  how long
#   STRESS_MODULES        the modules swapped in and out each round:
#                         "stock" (nfnetlink_queue), "nfqring", "stock nfqring"
#                         or "" (none: text patching only)
#   STRESS_PATCH (1)      0: the control, the same load (pktgen, forks, nft
#                         listing the rules) without patching anything
# Prints one line per 20 rounds and the totals; vm-run checks the kernel log.
set -uo pipefail
secs=${STRESS_SECONDS:-600}
modules=${STRESS_MODULES-stock}
T=/sys/kernel/tracing
top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "patch-stress: $*" >&2; exit 1; }
. "$top/bench/testbed.sh"	# the benchmark's namespaces and pktgen

modprobe pktgen && modprobe veth && modprobe nft_queue || die "modprobe"
mountpoint -q $T || mount -t tracefs nodev $T || die "tracefs"
setup rps
D nft flush ruleset	# setup's permanent hook goes: the rounds flip the key
pktgen_setup 4 64 0
pg_start

# the rules: queue when a backend is loaded (with no listener the packet is
# dropped), accept otherwise; a hook either way
rules() {
	D nft -f - <<-NFT
	flush ruleset
	table inet stress {
		chain pre { type filter hook prerouting priority 0;
			udp dport 9 $1
		}
	}
	NFT
}

swap() {	# swap MODULE: load it, queue to it, unload it
	local m=$1
	[ "$m" = stock ] && m=nfnetlink_queue
	modprobe "$m" || die "modprobe $m"
	rules "queue num 0" || die "nft"
	D nft flush ruleset
	rmmod "$m" || die "rmmod $m"
}

end=$((SECONDS + secs)) rounds=0
patch=${STRESS_PATCH:-1}
[ "$patch" = 1 ] || rules accept || die "nft"
while [ $SECONDS -lt $end ]; do
	if [ "$patch" = 1 ]; then
		rules accept || die "nft"
		echo 1 >$T/events/kmem/kmem_cache_alloc/enable
		echo 1 >$T/events/kmem/kmalloc/enable
		/bin/true
		echo 0 >$T/events/kmem/kmem_cache_alloc/enable
		echo 0 >$T/events/kmem/kmalloc/enable
		D nft flush ruleset	# the last hook goes: the static key flips back
		for m in $modules; do swap "$m"; done
	else	# the control: the same load, no patching
		for _ in 1 2 3 4 5 6 7 8 9 10; do /bin/true; D nft list ruleset >/dev/null; done
	fi
	rounds=$((rounds + 1))
	[ $((rounds % 20)) = 0 ] && echo "patch-stress: $rounds rounds, $SECONDS s"
done
pg_stop
sent=$(G sed -n 's/.*pkts-sofar: \([0-9]*\).*/\1/p' /proc/net/pktgen/g0)
echo "patch-stress: done: $rounds rounds in $secs s, modules '${modules}', pktgen sent ${sent:-?}"
