#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs every nfqring selftest (inside the test VM, as root) and prints TAP.
# A test also fails when the kernel logged a warning, oops or lockdep/KASAN
# report while it ran.  Exit status: 0 when nothing failed.
#   run_tests.sh [TEST...]   (default: all of TEST_PROGS and TEST_GEN_PROGS)
set -u
dir=$(cd "$(dirname "$0")" && pwd)
source "$dir/lib.sh"

# NFQR_TEST_TIMEOUT overrides settings (a debug kernel is several times
# slower); the fuzzer gets its own time on top.
timeout=${NFQR_TEST_TIMEOUT:-$(sed -n 's/^timeout=//p' "$dir/settings")}
if [ $# -gt 0 ]; then
	tests=("$@")
else
	read -r -a tests <<<"$(make -s --no-print-directory -C "$dir" list)"
fi

echo "TAP version 13"
echo "1..${#tests[@]}"
n=0 pass=0 failed=0 skipped=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	if [ -x "$dir/$t" ] && [[ $t == *.sh ]]; then
		cmd=("$dir/$t")
	else
		cmd=("$NFQR_BIN/$t")
	fi
	echo "# selftests: nfqring: $t"
	kmsg_mark
	start=$SECONDS
	limit=$timeout
	[ "$t" != abi_fuzz.sh ] || limit=$((timeout + ${NFQR_FUZZ_SECONDS:-60}))
	(cd "$dir" && timeout -k 10 "$limit" "${cmd[@]}") 2>&1 | sed 's/^/# /'
	rc=${PIPESTATUS[0]}
	echo "# $t took $((SECONDS - start)) s"
	bad=$(kmsg_since | grep -E 'WARNING:|BUG:|Oops|Call Trace|KASAN|UBSAN|possible (circular|recursive) locking|inconsistent lock state|general protection' || true)
	if [ -n "$bad" ] && [ "$rc" = 0 ]; then
		echo "$bad" | sed 's/^/# kernel: /'
		rc=1
	fi
	case $rc in
	0) echo "ok $n selftests: nfqring: $t"; pass=$((pass + 1)) ;;
	"$KSFT_SKIP") echo "ok $n selftests: nfqring: $t # SKIP"; skipped=$((skipped + 1)) ;;
	124) echo "not ok $n selftests: nfqring: $t # TIMEOUT ${limit}s"; failed=$((failed + 1)) ;;
	*) echo "not ok $n selftests: nfqring: $t # exit=$rc"; failed=$((failed + 1)) ;;
	esac
done
echo "# nfqring: $pass passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
