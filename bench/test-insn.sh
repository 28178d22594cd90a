#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Test of the instruction counter (bench/insn/): one VM boot with the
# insn_count plugin, known work in windows, and what the plugin and
# insn_funcs.py must make of it.  TAP on stdout.
#
#   bench/test-insn.sh [-k RELEASE]     (default: $KVER, else the first of
#                                        scripts/kernels); make -C bench test-insn
#
# In the guest (this script with --guest), insn_mark runs:
#   loop N       2N user instructions between the marks, on one vCPU
#   spin N       N turns of a wait loop (PAUSE): 3N user instructions, as
#                good as all of them spinning
#   syscalls N   N getppid() calls: kernel instructions, mostly in the
#                system call path and sys_getppid
#   the coprocess protocol: "start", "stop"
# and each window file is kept with the guest's /proc/kallsyms.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
mark=$top/build/bench/insn_mark
plugin=$top/build/bench/insn_count.so
loop_n=20000000
sys_n=20000

if [ "${1:-}" = --guest ]; then
	out=${VM_RUN_OUTDIR:?}
	win=$out/insn-window.txt
	sysctl -qw kernel.kptr_restrict=0
	cat /proc/kallsyms >"$out/kallsyms" || exit 1
	# keep WINDOW NAME: the window the plugin just wrote, as NAME
	keep() { mv "$win" "$out/$1" 2>/dev/null || echo "no window file after $1"; }
	"$mark" loop "$loop_n" && keep loop
	"$mark" spin "$loop_n" && keep spin
	taskset -c 1 "$mark" syscalls "$sys_n" && keep syscalls
	coproc M { "$mark"; }
	read -r -t 30 -u "${M[0]}" ready
	echo "insn_mark: $ready"
	for c in start stop; do
		echo "$c" >&"${M[1]}"
		read -r -t 30 -u "${M[0]}" reply
		echo "$c: $reply"
	done
	keep coproc
	# a closing mark with no window open writes nothing
	"$mark" stop
	[ ! -e "$win" ] || echo "a window file after a lone stop"
	exit 0
fi

kver=${KVER:-}
[ "${1:-}" = -k ] && kver=${2:-}
[ -n "$kver" ] || kver=$("$top/scripts/kernels" | head -n 1)
# shellcheck source=bench/tap.sh
. "$here/tap.sh"
if [ ! -x "$mark" ] || [ ! -f "$plugin" ]; then echo "build first: make -C bench" >&2; exit 2; fi
vm=$tmp/vm
cd "$top" || exit 2	# vm-run's initramfs cache: build/vm
"$top/selftests/vm/vm-run" -q -k "$kver" -o "$vm" -t 900 \
	--plugin "$plugin" --plugin-arg "out=$vm/insn-window.txt" -- "$here/test-insn.sh" --guest
ok $? "a boot of $kver with the plugin, the guest's windows run"
sed 's/^/# /' "$vm/output.log"
! grep -q '^no window\|^a window file' "$vm/output.log"
ok $? "  every window written, and none after a lone closing mark"

# cpu W V: vCPU V's kernel and user instructions in window W, and their
# spinning ones
cpu() { awk -v v="$2" '$1 == "cpu" && $2 == v { print $4, $6, $8, $10 }' "$vm/$1"; }
# users W [SPIN]: the user instructions of all vCPUs (SPIN: the spinning ones)
users() { awk -v c="$([ -n "${2:-}" ] && echo 10 || echo 6)" '$1 == "cpu" { s += $c } END { print s + 0 }' "$vm/$1"; }
within() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

u=$(users loop)
within "$u" $((2 * loop_n)) $((2 * loop_n + 20000))
ok $? "loop $loop_n: user instructions $u, 2N plus a little (2N..2N+20000)"
s=$(users loop spin)
[ "$s" = 0 ]
ok $? "  none of them spinning: $s"
u=$(users spin)
s=$(users spin spin)
# an interrupt between two turns makes one of them count as work
within "$u" $((3 * loop_n)) $((3 * loop_n + 20000)) && within "$s" $((3 * loop_n * 999 / 1000)) "$u"
ok $? "spin $loop_n: user instructions $u, 3N plus a little; spinning $s (99.9 % of 3N at least)"
read -r k1 u1 ks1 _ < <(cpu syscalls 1)
within "$((u1 / sys_n))" 5 200
ok $? "getppid x $sys_n on vCPU 1: $((u1 / sys_n)) user instructions per call (5..200)"
within "$((k1 / sys_n))" 30 5000
ok $? "  $((k1 / sys_n)) kernel instructions per call (30..5000)"
within "$ks1" 0 $((k1 / 100))
ok $? "  $ks1 of them spinning (under 1 %: nothing to wait for)"
python3 "$here/insn/insn_funcs.py" "$vm/syscalls" "$vm/kallsyms" >"$tmp/funcs"
ok $? "insn_funcs.py on the getppid window"
head -n 8 "$tmp/funcs" | sed 's/^/# /'
g=$(awk '$1 ~ /^(__x64_|__do_)?sys_getppid$/ { s += $3 } END { print s + 0 }' "$tmp/funcs")
within "$g" "$sys_n" $((40 * sys_n))
ok $? "  sys_getppid on vCPU 1: $g instructions, 1..40 per call"
d=$(awk '$1 == "do_syscall_64" { print $3 }' "$tmp/funcs")
within "${d:-0}" $((5 * sys_n)) $((400 * sys_n))
ok $? "  do_syscall_64 on vCPU 1: ${d:-0}, 5..400 per call"
q=$(awk '$1 == "?" { s += $2 + $3 } NR > 1 && $1 != "?" { t += $2 + $3 } END { print s + 0, t + 0 }' "$tmp/funcs")
read -r unk known <<<"$q"
within "$unk" 0 $((known / 1000))
ok $? "  blocks outside any function: $unk instructions of $known (under 0.1 %)"
grep -q '^start: started$' "$vm/output.log" && grep -q '^stop: stopped$' "$vm/output.log" &&
	[ "$(awk '$1 == "window" { print $2 }' "$vm/coproc")" = 4 ]
ok $? "coprocess: start and stop answered, the window file of the fourth window"
c=$(users coproc)
within "$c" 0 2000000
ok $? "  a window around two builtins: $c user instructions (under 2M: no exec inside)"

# the plugin refuses what it cannot do, and QEMU says why
"$top/selftests/vm/vm-run" -q -k "$kver" -o "$tmp/bad" -t 120 --plugin "$plugin" -- true >"$tmp/bad.out" 2>&1
rc=$?
[ "$rc" = 125 ] && grep -q 'insn_count: no output file' "$tmp/bad/qemu.log"
ok $? "without out=: QEMU does not start (vm-run 125), the plugin's message in qemu.log"
tap_end
