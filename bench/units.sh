# shellcheck shell=bash disable=SC2154  # units_dir, units_files: set by the sourcing script
# SPDX-License-Identifier: GPL-2.0
# Sourced by bench/guest.sh: resuming a run after a guest crash.
#
# scripts/bench boots a crashed guest again with the same results folder.
# Each unit of work (a case's repetitions, its counts pass, one
# configuration's loss-free search, ...) is named in $units_dir/units.done
# once it completes and skipped on the next boot; the rows a unit cut short
# by a crash wrote are dropped from the CSVs, and the unit runs again.
#
# Before sourcing: units_dir (the results folder) and units_files (the CSV
# files the units append to, which exist).  units_crash, when
# BENCH_CRASH_AT names a unit, is called once that unit has written its
# rows, before it counts as done, on the first boot only: guest.sh defines
# it to panic the guest (tests of the resume), bench/test-units.sh to kill
# itself.

units_progress=$units_dir/units.done
units_open=$units_dir/unit.open

# unit NAME: false if NAME is done; otherwise NAME becomes the open unit
unit() {
	local f
	if grep -qxF "$1" "$units_progress" 2>/dev/null; then
		echo "# $1: done before the restart"
		return 1
	fi
	{
		echo "$1"
		for f in $units_files; do wc -l <"$f"; done
	} >"$units_open"
}

# unit_done: the open unit completed
unit_done() {
	local name
	read -r name <"$units_open"
	if [ "$name" = "${BENCH_CRASH_AT:-}" ] && [ ! -e "$units_dir/crashed" ]; then
		: >"$units_dir/crashed"
		echo "# $name: crashing on purpose (BENCH_CRASH_AT)"
		units_crash
	fi
	echo "$name" >>"$units_progress"
	rm -f "$units_open"
}

# units_resume: at start, drop the rows of a unit a crash cut short
units_resume() {
	local name n f
	[ -s "$units_open" ] || return 0
	{
		read -r name
		for f in $units_files; do
			read -r n
			head -n "$n" "$f" >"$f.tmp" && mv "$f.tmp" "$f"
		done
	} <"$units_open"
	rm -f "$units_open"
	echo "# resumed after a crash: \"$name\" again, $(grep -c . "$units_progress" 2>/dev/null || echo 0) units done before"
}
