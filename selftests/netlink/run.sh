#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Differential NFQUEUE suite: run.sh stock|nfqring (root, inside the test VM).
# Loads the backend, runs every test with the same binaries and the same
# expectations whatever the backend, prints TAP, and unloads the backend.
# The backend is only ever looked at here, to load and unload it.
set -u
dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dir/../.." && pwd)
export NLQ_BIN=${NLQ_BIN:-$top/build/selftests/netlink}
backend=${1:-}

case $backend in
stock)
	rmmod nfqring 2>/dev/null
	load() { modprobe --ignore-install nfnetlink_queue; }
	module=nfnetlink_queue ;;
nfqring)
	rmmod nfnetlink_queue 2>/dev/null
	load() { modprobe nfqring; }
	module=nfqring ;;
*)
	echo "usage: $0 stock|nfqring" >&2
	exit 2 ;;
esac

# C harness programs give one TAP line per TEST(); shell tests one each.
progs=(proto traffic classic)
shells=("gso_tcp.sh gso" "gso_tcp.sh nogso" "debian_example.sh")
plan=${#shells[@]}
for p in "${progs[@]}"; do
	plan=$((plan + $(grep -cE '^TEST(_F)?\(' "$dir/$p.c")))
done

echo "TAP version 13"
echo "1..$plan"
if ! load; then
	echo "Bail out! cannot load $module"
	exit 1
fi
echo "# backend $backend ($module), kernel $(uname -r)"
# Load up front what the rules and tests would autoload: the same for both
# backends, and fewer modprobe runs in the middle of a test.
modprobe -a nft_queue nft_ct nf_conntrack_netlink veth dummy ||
	echo "# warning: could not preload helper modules"

n=0 failed=0
result() {	# result RC NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

start=$SECONDS
for p in "${progs[@]}"; do
	t0=$SECONDS
	want=$(grep -cE '^TEST(_F)?\(' "$dir/$p.c")
	got=0
	# renumber the harness's results into ours, the rest becomes diagnostics
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok\ [0-9]+\ (.*)$ ]]; then
			got=$((got + 1))
			if [ -n "${BASH_REMATCH[1]}" ]; then rc=1; else rc=0; fi
			result $rc "$p: ${BASH_REMATCH[2]}"
		elif [[ $line == "TAP version"* || $line =~ ^1\.\.[0-9]+$ ]]; then
			:
		elif [[ $line == "#"* ]]; then
			echo "$line"
		else
			echo "# $line"
		fi
	done < <(cd /tmp && timeout -k 10 600 "$NLQ_BIN/$p" 2>&1)
	while [ "$got" -lt "$want" ]; do	# a crash must not shrink the plan
		got=$((got + 1))
		result 1 "$p: test $got (no result: program died)"
	done
	echo "# $p took $((SECONDS - t0)) s"
done

for s in "${shells[@]}"; do
	t0=$SECONDS
	# shellcheck disable=SC2086
	(cd /tmp && timeout -k 10 300 "$dir"/$s) 2>&1 | sed 's/^/# /'
	rc=${PIPESTATUS[0]}
	echo "# $s took $((SECONDS - t0)) s"
	result "$rc" "$s"
done
echo "# $backend: $((n - failed)) passed, $failed failed, $((SECONDS - start)) s"

# Leave no backend behind; never rmmod -f.
if grep -q "^$module " /proc/modules && ! rmmod "$module"; then
	echo "# rmmod $module failed: $(grep "^$module " /proc/modules)"
	failed=$((failed + 1))
fi
[ "$failed" = 0 ]
