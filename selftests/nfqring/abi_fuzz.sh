#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The /dev/nfqring ABI fuzzer (abi_fuzz.c) for a bounded time.
#   NFQR_FUZZ_SECONDS     how long (60)
#   NFQR_FUZZ_SEED        master seed (random, printed)
#   NFQR_FUZZ_ITERATIONS  at most this many rounds (no limit)
#   NFQR_FUZZ_THREADS     threads per round (4)
#   NFQR_FUZZ_ARGS        more abi_fuzz options, e.g. --self-test, -v,
#                         --no-churn (the ops alone), --race-delay US
#                         (with a test build: every round's delay) or
#                         --churn-v2 V,S (the churn's version 2 and stall
#                         watchdog modes, else drawn per round)
# Every round also runs the churn (rings replaced and queues rebound under
# traffic, with its invariants; in some rounds version 2 with its control
# page and a stall watchdog that fires); its checks, and those of version
# 2, are first shown to fire on forged input (--check-checkers).  After each
# round /proc/net/netfilter/nfqring_stats must account for every packet.
# With a test build of the module
# (make module-test, NFQR_MODULE in run-in-vm.sh) a round may widen the
# module's race windows.  A failure names the round's seed, which replays
# that round alone.
source "$(dirname "$0")/lib.sh"
set -u

secs=${NFQR_FUZZ_SECONDS:-60}
seed=${NFQR_FUZZ_SEED:-0x$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')}
threads=${NFQR_FUZZ_THREADS:-4}
iters=${NFQR_FUZZ_ITERATIONS:-0}

command -v nft >/dev/null || skip "nft is not installed"
command -v ip >/dev/null || skip "ip is not installed"
[ -x "$NFQR_BIN/abi_fuzz" ] || fail "$NFQR_BIN/abi_fuzz is not built"

# A known start: no backend loaded, so the module's reference count is ours.
unload_backends
modprobe nfqring || fail "modprobe nfqring"
kmsg_mark
echo "abi_fuzz: nfqring srcversion $(modinfo -F srcversion nfqring)," \
	"$(modinfo -F parm nfqring | grep -c '^test_') test-build parameters"
"$NFQR_BIN/abi_fuzz" --check-checkers >/dev/null ||
	fail "abi_fuzz --check-checkers: a check of the fuzzer did not fire on its forged input"

args=(--seed "$seed" --seconds "$secs" --threads "$threads")
[ "$iters" = 0 ] || args+=(--iterations "$iters")
# shellcheck disable=SC2206 # NFQR_FUZZ_ARGS is a list of words
args+=(${NFQR_FUZZ_ARGS:-})
echo "abi_fuzz: NFQR_FUZZ_SEED=$seed NFQR_FUZZ_SECONDS=$secs NFQR_FUZZ_THREADS=$threads"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$NFQR_BIN/abi_fuzz" "${args[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

if [ "$rc" != 0 ]; then
	round_seed=$(sed -n 's/^abi_fuzz: replay-seed //p' "$log")
	if [ -n "$round_seed" ]; then
		echo "FAIL: abi_fuzz exited with $rc; replay with NFQR_FUZZ_SEED=$round_seed NFQR_FUZZ_ITERATIONS=1 NFQR_FUZZ_THREADS=$threads${NFQR_FUZZ_ARGS:+ NFQR_FUZZ_ARGS='$NFQR_FUZZ_ARGS'} (the whole run: NFQR_FUZZ_SEED=$seed NFQR_FUZZ_SECONDS=$secs)" >&2
	else
		echo "FAIL: abi_fuzz exited with $rc; replay with NFQR_FUZZ_SEED=$seed NFQR_FUZZ_SECONDS=$secs NFQR_FUZZ_THREADS=$threads" >&2
	fi
	exit "$KSFT_FAIL"
fi
# abi_fuzz checks the log after each round; this catches what came later.
bad=$(kmsg_since | grep -E 'WARNING:|BUG:|Oops|Call Trace|KASAN|UBSAN|lockdep|possible (circular|recursive) locking|general protection' || true)
if [ -n "$bad" ]; then
	echo "$bad" >&2
	fail "kernel report during the fuzz run; replay with NFQR_FUZZ_SEED=$seed NFQR_FUZZ_SECONDS=$secs NFQR_FUZZ_THREADS=$threads"
fi
exit "$KSFT_PASS"
