#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The rule-loading benchmark (issue 21): `nfqringd --check` on generated
# rule files (load-gen.py), each run REPS times; prints, per file, the best
# wall time, its CPU time (user + system) and the peak memory (RSS), and
# checks the goals: 100,000 plain rules in under 5 s and 500 MB, 1,000,000
# set elements in under 2 s.  Not a test: `make check` never runs it.
#
#   daemon/bench/load-bench.sh [NFQRINGD]     (default: daemon/build/nfqringd)
#   REPS=5 OUT=DIR ...                        (default 3, daemon/build/load-bench)
#
# Exit status: 0 when every goal is met, 1 when one is not, 2 on an error.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../build/nfqringd}
reps=${REPS:-3}
out=${OUT:-$here/../build/load-bench}
[ -x "$bin" ] || { echo "load-bench: $bin: not built (make -C daemon)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "load-bench: needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
mkdir -p "$out"
lt() { awk "BEGIN { exit !($1 < $2) }"; }

echo "# nfqringd --check, best of $reps; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %10s %9s %9s %9s  %s\n' file bytes wall_s cpu_s peak_MiB goal
fail=0
for spec in rules:10000 rules:20000 rules:40000 rules:100000 rules:250000 set:100000 set:1000000; do
	kind=${spec%:*} n=${spec#*:}
	f=$out/$kind-$n.nft
	[ -s "$f" ] || "$here/load-gen.py" "$kind" "$n" > "$f"
	best=
	for _ in $(seq "$reps"); do
		/usr/bin/time -f '%e %U %S %M' -o "$out/time" "$bin" --check "$f" > "$out/check.out" 2>&1 ||
			{ echo "load-bench: --check $f failed:" >&2; cat "$out/check.out" >&2; exit 2; }
		read -r wall user sys kb < "$out/time"
		if [ -z "$best" ] || lt "$wall" "$best"; then
			best=$wall cpu=$(awk "BEGIN { print $user + $sys }") mib=$((kb / 1024))
		fi
	done
	goal=
	case $spec in
	rules:100000) goal="< 5 s, < 500 MB"
		lt "$best" 5 && [ "$mib" -lt 477 ] || { goal="$goal: MISSED"; fail=1; } ;;
	set:1000000) goal="< 2 s"
		lt "$best" 2 || { goal="$goal: MISSED"; fail=1; } ;;
	esac
	printf '%-22s %10s %9s %9s %9s  %s\n' "$kind-$n" "$(stat -c %s "$f")" "$best" "$cpu" "$mib" "$goal"
done
exit $fail
