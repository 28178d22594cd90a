#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test of bench/report.py, the benchmark's report: canned results
# folders (the CSV headers guest.sh writes, a few rows) and what the report
# must make of them: medians without the warm-up, ratios against stock, the
# bars' verdicts, the TCP and latency tables, and the exit status make bench
# relies on (1 when a row of a checked pass left the queue non-empty, had
# consumer errors or lost packets where we do not look).  REPORT=path tests
# another report.py (a broken copy, to see the tests fail).  TAP on stdout.
# shellcheck disable=SC2317	# the helpers are called through check
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
report=${REPORT:-$here/report.py}
# shellcheck source=bench/tap.sh
. "$here/tap.sh"
# check DESCRIPTION COMMAND...: ok when COMMAND succeeds
check() {
	local d=$1
	shift
	"$@" >/dev/null 2>&1
	ok $? "$d"
}
# run NAME: report.py on $tmp/NAME: NAME.out, NAME.err and NAME.rc beside it
run() {
	python3 "$report" "$tmp/$1" >"$tmp/$1.out" 2>"$tmp/$1.err"
	echo $? >"$tmp/$1.rc"
}
rc_is() { [ "$(cat "$tmp/$1.rc")" = "$2" ]; }		# rc_is NAME STATUS
line() { grep -qFx -- "$2" "$tmp/$1.out"; }		# line NAME TEXT: a whole line of the report
has() { grep -qF -- "$2" "$tmp/$1.out"; }		# has NAME TEXT: in a line of the report
rows() { echo $(($(wc -l <"$tmp/$1/results.csv") - 1)); }	# rows NAME: results.csv's rows
# variant NAME FROM: a copy of the folder FROM to change
variant() { cp -r "$tmp/$2" "$tmp/$1"; }
# setf NAME CONFIG,SIZE,RANGE,REP,PASS FIELD VALUE: one cell of results.csv
# (the row must exist, once)
setf() {
	awk -F, -v OFS=, -v key="$2" -v f="$3" -v v="$4" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == f) col = i }
		NR > 1 && col && $4 "," $5 "," $6 "," $7 "," $8 == key { $col = v; hit++ }
		{ print }
		END { exit hit != 1 }' "$tmp/$1/results.csv" >"$tmp/$1/results.new" &&
		mv "$tmp/$1/results.new" "$tmp/$1/results.csv"
}
# problem NAME CONFIG TEXT: a "problem(s)" line names CONFIG's row and TEXT
problem() { grep -E '^- ' "$tmp/$1.out" | grep -F -- "'$2'" | grep -qF -- ": $3"; }

# The headers, as guest.sh writes them
hdr=kernel,placement,family,config,size,range,rep,pass,offered_pps,verdicted_pps,loss_pct,packets,syscalls_per_pkt,wakeups_per_pkt,cswitch_per_pkt,sink_calls_per_pkt,mean_batch,busy_us_per_pkt,queue_total_after,errors,batch_hist,busy0_us_per_pkt,busy1_us_per_pkt,allocs_per_pkt,unaccounted
thdr=kernel,placement,config,gso,rep,goodput_mbps,busy0_us_per_mb,busy1_us_per_mb,packets,bytes_per_pkt,copies,retransmits,queue_total_after,errors
lhdr=kernel,placement,config,size,rate,count,p50_us,p90_us,p99_us,p999_us,max_us,lost
K=6.12.9-test
# row FAMILY SIZE CONFIG REP PASS OFFERED VERDICTED LOSS [SYSCALLS WAKEUPS]:
# a clean results.csv row (queue empty, no errors, every packet accounted)
row() {
	echo "$K,split,$1,$3,$2,65535,$4,$5,$6,$7,$8,1000,${9:-0.500},${10:-0.250},0.250,,4.0,1.00,0,0,,0.40,0.60,0.10,0"
}

# "clean": IPv4 64 B full: throughput of none, stock and rings, the warm-up
# (rep 0) far off; rings' median is 1.50x stock's, and so is its loss-free
# rate (the bar, exactly).  IPv4 1500 B full: rings 1.40x (the 1.3x bar),
# nfqring-mnl without a search row and without loss at saturation.  IPv6:
# search rows only, 2x, no bar.  Counts, a search step, two queues, and a
# row of a pass report.py does not check ("probe").
mkdir "$tmp/clean"
{
	echo "$hdr"
	for c in "none 50000 900000 1000000 1100000" "stock-mnl 5000 190000 200000 210000" \
		"nfqring-ring 9000000 290000 300000 320000"; do
		read -ra a <<<"$c"
		for rep in 0 1 2 3; do
			row 4 64 "${a[0]}" $rep throughput 2000000 "${a[rep + 1]}" 50
		done
	done
	row 4 64 none 6 search 1000000 1000000 0.02
	row 4 64 stock-mnl 6 search 200000 200000 0.05
	row 4 64 nfqring-ring 6 search 300000 300000 0.05
	row 4 64 nfqring-ring 1 search-step 400000 380000 5.0
	row 4 64 none 1 counts 100000 100000 0
	row 4 64 stock-mnl 1 counts 100000 100000 0 1.000 0.500
	row 4 64 nfqring-ring 1 counts 100000 100000 0 0.020 0.010
	echo "$K,split,4,nfqring-ring,64,65535,1,two-queues,100000,100000,0,100000,0,0,0,,,,0,0,60000:40000,,,,0"
	row 4 64 nfqring-ring 1 probe 100000 100000 0
	for rep in 0 1 2 3; do
		row 4 1500 stock-mnl $rep throughput 800000 "$([ $rep = 0 ] && echo 1000 || echo 100000)" 80
		row 4 1500 nfqring-ring $rep throughput 800000 "$([ $rep = 0 ] && echo 1000 || echo 140000)" 80
		o=$([ $rep = 0 ] && echo 999000 || echo 150000)
		row 4 1500 nfqring-mnl $rep throughput "$o" "$o" 0
	done
	row 4 1500 stock-mnl 5 search 100000 100000 0.05
	row 4 1500 nfqring-ring 5 search 140000 140000 0.05
	row 6 78 stock-mnl 4 search 100000 100000 0.05
	row 6 78 nfqring-ring 4 search 200000 200000 0.05
} >"$tmp/clean/results.csv"

check "the canned CSV headers are guest.sh's" \
	grep -qF -e "\"$hdr\"" "$here/guest.sh"
check "  (tcp.csv and latency.csv too)" \
	eval "grep -qF -e '\"$thdr\"' '$here/guest.sh' && grep -qF -e '\"$lhdr\"' '$here/guest.sh'"

run clean
N=$(rows clean)
check "a clean folder: exit 0" rc_is clean 0
check "  \"Correctness: all $N rows clean\"" has clean "Correctness: all $N rows clean:"
check "  no \"problem(s)\"" eval "! grep -q 'problem(s)' '$tmp/clean.out'"
check "  summary.md written, what it printed" cmp -s "$tmp/clean.out" "$tmp/clean/summary.md"
check "  plots.gp written, with the ratio and rate PNGs" \
	eval "grep -qF \"set output '$tmp/clean/ratios-$K-split.png'\" '$tmp/clean/plots.gp' &&
		grep -qF \"set output '$tmp/clean/rates-$K-split.png'\" '$tmp/clean/plots.gp'"
check "  nothing on stderr" test ! -s "$tmp/clean.err"
check "  no TCP or latency table without their CSVs" \
	eval "! grep -qE '^(TCP bulk|Latency)' '$tmp/clean.out'"

# Medians of reps 1-3; rep 0 (9M for rings, 5k for stock) would move them
check "saturation: rings' median (min-max) without the warm-up, 1.50x stock, n 3" \
	line clean "| $K | split | IPv4 64 B full | nfqring rings, libnfqring | 300.0k (290.0k-320.0k) | 1.50x | 300.0k | 1.50x | 3 |"
check "  stock's: 200.0k (190.0k-210.0k), 1.00x itself" \
	line clean "| $K | split | IPv4 64 B full | stock nfnetlink_queue, libmnl client | 200.0k (190.0k-210.0k) | 1.00x | 200.0k | 1.00x | 3 |"
check "  no queue: 5.00x stock" \
	line clean "| $K | split | IPv4 64 B full | no queue (accept) | 1000.0k (900.0k-1100.0k) | 5.00x | 1000.0k | 5.00x | 3 |"
check "  no search row, no loss: the loss-free rate is the median offered rate, '(s)'" \
	line clean "| $K | split | IPv4 1500 B full | nfqring netlink, same client | 150.0k (150.0k-150.0k) | 1.50x | 150.0k (s) | 1.50x | 3 |"
check "  the rate plot's data: median, min, max" \
	grep -qE "^[0-9]+ \"IPv4 64 B full: nfqring-ring\" 300000 290000 320000\$" "$tmp/clean/rates-$K-split.dat"
check "  the ratio plot's data: 1.500 for rings" \
	grep -qFx '"IPv4 64 B full" 0.000 1.500 0.000 0.000 0.000' "$tmp/clean/ratios-$K-split.dat"

# The bars: IPv4 64 B full and 1500 B full, on the loss-free ratio
check "bars: rings 1.50x at IPv4 64 B full: met" \
	line clean "- $K, split, IPv4 64 B full: nfqring rings, libnfqring 1.50x the stock backend (bar 1.5x): met"
check "  1.40x at IPv4 1500 B full: met (bar 1.3x)" \
	line clean "- $K, split, IPv4 1500 B full: nfqring rings, libnfqring 1.40x the stock backend (bar 1.3x): met"
check "  IPv6 (2x) is not judged" eval "! grep -q '^- .*IPv6' '$tmp/clean.out'"
check "  the counts line: rings' system calls and wake-ups against stock's" \
	line clean "- $K, split, nfqring rings, libnfqring, per packet at 100.0k pps: system calls 0.020 (stock 1.000), wake-ups 0.010 (stock 0.500)"
check "two queues: what each queue took, ok" \
	line clean "- $K, split, nfqring rings, libnfqring: queue 0 took 60000, queue 1 40000, the counting chain saw 100000: ok"
variant low clean
setf low nfqring-ring,64,65535,6,search offered_pps 290000
run low
check "  rings 1.45x at IPv4 64 B full: not met" \
	line low "- $K, split, IPv4 64 B full: nfqring rings, libnfqring 1.45x the stock backend (bar 1.5x): not met"
check "  (a bar not met is no correctness failure: exit 0)" rc_is low 0

# Correctness: one bad cell each, in each checked pass
for c in "nfqring-ring,64,65535,2,throughput queue_total_after 7" \
	"nfqring-ring,64,65535,0,throughput unaccounted 5" \
	"stock-mnl,64,65535,6,search errors 3" \
	"nfqring-ring,64,65535,1,search-step unaccounted 2" \
	"stock-mnl,64,65535,1,counts errors 1" \
	"nfqring-ring,64,65535,1,two-queues queue_total_after 4"; do
	read -r key f val <<<"$c"
	IFS=, read -r cfg _ _ rep pass <<<"$key"
	v=bad-$pass-$rep-$f
	variant "$v" clean
	setf "$v" "$key" "$f" "$val"
	run "$v"
	check "$f $val on a $pass row (rep $rep): exit 1" rc_is "$v" 1
	check "  1 problem(s), naming $cfg's $pass rep $rep and $f" \
		eval "has '$v' 'Correctness: 1 problem(s):' && problem '$v' '$cfg' '$pass rep $rep: $f = $val'"
done
variant probe clean
for f in queue_total_after errors unaccounted; do setf probe nfqring-ring,64,65535,1,probe $f 9; done
run probe
check "all three non-zero on a row of a pass report.py does not check: exit 0" rc_is probe 0
check "  \"all $N rows clean\"" has probe "Correctness: all $N rows clean:"

# tcp.csv and latency.csv
variant full clean
cat >"$tmp/full/tcp.csv" <<EOF
$thdr
$K,split,none,off,1,9000,100.0,50.0,700000,1448,0,0,0,0
$K,split,none,off,2,9400,110.0,60.0,720000,1448,0,1,0,0
$K,split,none,off,3,9800,120.0,70.0,740000,1448,0,2,0,0
$K,split,nfqring-ring,on,1,4000,300.0,200.0,30000,43000,5,10,0,0
$K,split,nfqring-ring,on,2,4200,310.0,210.0,31000,43000,6,12,0,0
$K,split,nfqring-ring,on,3,5000,320.0,220.0,32000,43000,7,14,0,0
EOF
cat >"$tmp/full/latency.csv" <<EOF
$lhdr
$K,split,none,64,100000,50000,20,30,45,60,80,0
$K,split,stock-mnl,64,100000,50000,95,150,300,500,900,3
$K,split,nfqring-ring,64,100000,50000,50,70,120,200,400,0
$K,split,nfqring-ring,1500,50000,50000,60,80,130,210,420,0
EOF
run full
check "with tcp.csv and latency.csv: exit 0, all $((N + 6)) rows (and TCP's) clean" \
	eval "rc_is full 0 && has full 'Correctness: all $((N + 6)) rows clean:'"
check "  TCP: medians and min-max of the goodput, F_GSO '-' without a queue" \
	line full "| $K | split | no queue (accept) | - | 9400 (9000-9800) | 110 | 60 | 720000 | 1448 | 0 | 1 | 3 |"
check "  TCP: rings with F_GSO on" \
	line full "| $K | split | nfqring rings, libnfqring | on | 4200 (4000-5000) | 310 | 210 | 31000 | 43000 | 6 | 12 | 3 |"
check "  latency: no queue, added 0" \
	line full "| $K | split | 64 B | 100000 | no queue (accept) | 20 | 30 | 45 | 60 | 80 | 0 | 0 | 0 |"
check "  latency: stock, added p50 75 and p99 255 (minus no queue's)" \
	line full "| $K | split | 64 B | 100000 | stock nfnetlink_queue, libmnl client | 95 | 150 | 300 | 500 | 900 | 75 | 255 | 3 |"
check "  latency: rings, added 30 and 75" \
	line full "| $K | split | 64 B | 100000 | nfqring rings, libnfqring | 50 | 70 | 120 | 200 | 400 | 30 | 75 | 0 |"
check "  latency: no no-queue row of that size: added '-'" \
	line full "| $K | split | 1500 B | 50000 | nfqring rings, libnfqring | 60 | 80 | 130 | 210 | 420 | - | - | 0 |"
variant tcpbad full
sed -i "s/^\($K,split,nfqring-ring,on,2,.*\),0,0\$/\1,0,4/" "$tmp/tcpbad/tcp.csv"
run tcpbad
check "errors 4 on a tcp.csv row: exit 1, named" \
	eval "rc_is tcpbad 1 && has tcpbad 'Correctness: 1 problem(s):' &&
		line tcpbad '- tcp nfqring-ring gso on rep 2: queue 0, errors 4'"
tap_end
