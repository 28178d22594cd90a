#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test of bench/units.sh, the benchmark's resume after a guest crash:
# a small run of three units is killed inside a unit and at a unit's end
# (BENCH_CRASH_AT), started again until it finishes, and must leave the
# same CSV rows as a run that never crashed.  TAP on stdout.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/tap.sh
. "$here/tap.sh"

# The run: units "a" (3 rows), "b" (3 rows and a second file's row) and
# "c" (2 rows); CRASH_IN=b kills it after b's second row, as a guest crash
# would, before the unit is done.
cat >"$tmp/run.sh" <<'RUN'
dir=$1
csv=$dir/results.csv lcsv=$dir/latency.csv
[ -s "$csv" ] || echo "header" >"$csv"
[ -s "$lcsv" ] || echo "lheader" >"$lcsv"
units_dir=$dir units_files="$csv $lcsv"
units_crash() { kill -9 $$; }
. "$UNITS"
units_resume
rows() {	# rows UNIT N
	local i
	for i in $(seq 1 "$2"); do
		echo "$1,$i" >>"$csv"
		[ "$1" = "${CRASH_IN:-}" ] && [ "$i" = 2 ] && [ ! -e "$dir/killed" ] &&
			{ : >"$dir/killed"; kill -9 $$; }
	done
}
if unit a; then rows a 3; unit_done; fi
if unit b; then rows b 3; echo "b,lat" >>"$lcsv"; unit_done; fi
if unit c; then rows c 2; unit_done; fi
exit 0
RUN

# run_until_done DIR: boots until one finishes (at most 4); prints the count
run_until_done() {
	local boots=0
	while [ $boots -lt 4 ]; do
		boots=$((boots + 1))
		UNITS=$here/units.sh bash "$tmp/run.sh" "$1" >>"$1.log" 2>&1 && break
	done
	echo $boots
}

mkdir "$tmp/clean" "$tmp/mid" "$tmp/end" "$tmp/both"
ok "$([ "$(run_until_done "$tmp/clean")" = 1 ]; echo $?)" "a run without a crash finishes in one boot"
ok "$([ "$(CRASH_IN=b run_until_done "$tmp/mid")" = 2 ]; echo $?)" "killed inside unit b: a second boot finishes"
ok "$(cmp -s "$tmp/clean/results.csv" "$tmp/mid/results.csv"; echo $?)" "  the rows equal the clean run's (b's partial rows dropped)"
ok "$(cmp -s "$tmp/clean/latency.csv" "$tmp/mid/latency.csv"; echo $?)" "  the second file's rows too"
ok "$(grep -q '^# resumed after a crash: "b" again, 1 units done before' "$tmp/mid.log"; echo $?)" \
	"  the second boot says what it redoes"
ok "$(grep -q '^# a: done before the restart' "$tmp/mid.log"; echo $?)" "  and skips unit a"
ok "$([ "$(BENCH_CRASH_AT=c run_until_done "$tmp/end")" = 2 ]; echo $?)" \
	"BENCH_CRASH_AT=c: killed when c has written its rows, a second boot finishes"
ok "$(cmp -s "$tmp/clean/results.csv" "$tmp/end/results.csv"; echo $?)" "  the rows equal the clean run's"
ok "$([ "$(CRASH_IN=a BENCH_CRASH_AT=b run_until_done "$tmp/both")" = 3 ]; echo $?)" \
	"two crashes (inside a, at the end of b): three boots"
ok "$(cmp -s "$tmp/clean/results.csv" "$tmp/both/results.csv" &&
	cmp -s "$tmp/clean/latency.csv" "$tmp/both/latency.csv"; echo $?)" "  the rows equal the clean run's"
ok "$([ "$(grep -c . "$tmp/both/units.done")" = 3 ] && [ ! -e "$tmp/both/unit.open" ]; echo $?)" \
	"  three units done, none open"
tap_end
