#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host test of bench/report.py, the benchmark's report: canned results
# folders (the CSV headers guest.sh writes, a few rows) and what the report
# must make of them: medians without the warm-up, ratios against stock, the
# bars' verdicts, the TCP and latency tables, and the exit status make bench
# relies on (1 when a row of a checked pass left the queue non-empty, had
# consumer errors or lost packets where we do not look), and the
# instruction pass' tables (bench/insn/: per packet, without spinning and
# ticks, the agreement of runs, the bars, the functions).  REPORT=path tests
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
lhdr=kernel,placement,config,size,rate,rep,count,p50_us,p90_us,p99_us,p999_us,max_us,lost
K=6.12.9-test
# row FAMILY SIZE CONFIG REP PASS OFFERED VERDICTED LOSS [SYSCALLS WAKEUPS]:
# a clean results.csv row (queue empty, no errors, every packet accounted)
# of the placement $PL (split)
row() {
	echo "$K,${PL:-split},$1,$3,$2,65535,$4,$5,$6,$7,$8,1000,${9:-0.500},${10:-0.250},0.250,,${11:-4.0},1.00,0,0,,0.40,0.60,0.10,0"
}

# "clean": IPv4 64 B full: throughput of none, stock and rings, the warm-up
# (rep 0) far off; rings' median is 1.50x stock's, its loss-free rate 1.60x
# (the bar, exactly).  IPv4 1500 B full: rings 1.40x (the bar, exactly),
# nfqring-mnl without a search row and without loss at saturation.  IPv6:
# search rows only, 2x, no bar.  Counts, a search step, two queues, and a
# row of a pass report.py does not check ("probe").  The DAQ pass: at IPv4
# 64 B full daq_nfqring on the rings 1.80x daq_nfq on stock (0.56x
# nfq_sink's rings; daq_nfq 0.50x stock's libmnl client), with a search
# step, and daq_nfq on nfqring's netlink (a search row only, 1.20x); at
# 1500 B daq_nfq without loss at saturation and no search row;
# in rps (no other configuration there) 64 B full, 1.25x.
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
	row 4 64 nfqring-ring 6 search 320000 320000 0.05
	row 4 64 nfqring-ring 1 search-step 400000 380000 5.0
	row 4 64 none 1 counts 100000 100000 0
	row 4 64 stock-mnl 1 counts 100000 100000 0 1.000 0.500
	row 4 64 nfqring-ring 1 counts 100000 100000 0 0.200 0.500 8.0
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
	for rep in 0 1 2 3; do
		row 4 64 daq-nfq-stock $rep throughput 900000 "$(echo 1 90000 100000 110000 | cut -d' ' -f$((rep + 1)))" 80
		row 4 64 daq-nfqring-ring $rep throughput 900000 "$(echo 1 170000 180000 190000 | cut -d' ' -f$((rep + 1)))" 75
		row 4 1500 daq-nfq-stock $rep throughput 60000 60000 0
		row 4 1500 daq-nfqring-ring $rep throughput 500000 90000 80
		PL=rps row 4 64 daq-nfq-stock $rep throughput 900000 80000 90
		PL=rps row 4 64 daq-nfqring-ring $rep throughput 900000 100000 85
	done
	row 4 64 daq-nfq-stock 5 search 100000 100000 0.05
	row 4 64 daq-nfqring-ring 5 search 180000 180000 0.05
	row 4 64 daq-nfqring-ring 2 search-step 200000 190000 5.0
	row 4 64 daq-nfq-nfqring 3 search 120000 120000 0.05
	row 4 1500 daq-nfqring-ring 6 search 90000 90000 0.05
	PL=rps row 4 64 daq-nfq-stock 4 search 80000 80000 0.05
	PL=rps row 4 64 daq-nfqring-ring 4 search 100000 100000 0.05
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
	line clean "| $K | split | IPv4 64 B full | nfqring rings, libnfqring | 300.0k (290.0k-320.0k) | 1.50x | 320.0k | 1.60x | 3 |"
check "  stock's: 200.0k (190.0k-210.0k), 1.00x itself" \
	line clean "| $K | split | IPv4 64 B full | stock nfnetlink_queue, libmnl client | 200.0k (190.0k-210.0k) | 1.00x | 200.0k | 1.00x | 3 |"
check "  no queue: 5.00x stock" \
	line clean "| $K | split | IPv4 64 B full | no queue (accept) | 1000.0k (900.0k-1100.0k) | 5.00x | 1000.0k | 5.00x | 3 |"
check "  no search row, no loss: the loss-free rate is the median offered rate, '(s)'" \
	line clean "| $K | split | IPv4 1500 B full | nfqring netlink, same client | 150.0k (150.0k-150.0k) | 1.50x | 150.0k (s) | 1.50x | 3 |"
check "  the rate plot's data: median, min, max" \
	grep -qE "^[0-9]+ \"IPv4 64 B full: nfqring-ring\" 300000 290000 320000\$" "$tmp/clean/rates-$K-split.dat"
# all_lines FILE LINE...: every LINE is a whole line of FILE
all_lines() { local f=$1 l; shift; for l; do grep -qFx -- "$l" "$f" || return 1; done; }
check "  the ratio plot's data: the columns measured, the bar per case, 1.600 for rings, 1.800 for daq_nfqring (against daq_nfq)" \
	all_lines "$tmp/clean/ratios-$K-split.dat" "case bar nfqring-mnl nfqring-ring daq-nfq-nfqring daq-nfqring-ring" \
		'"IPv4 64 B full" 1.6 0.000 1.600 1.200 1.800' '"IPv6 78 B full" 0 0.000 2.000 0.000 0.000'

# The DAQ pass: its configurations are guest.sh's, their rows in the
# table against daq_nfq on the stock backend, and the DAQ lines
for c in daq-nfq-stock daq-nfq-nfqring daq-nfqring-ring; do
	check "DAQ: $c is a configuration of guest.sh" grep -qE "^[[:space:]]*$c\) backend " "$here/guest.sh"
done
check "DAQ: daq_nfqring's saturation (median, min-max), 1.80x daq_nfq's; loss-free 1.80x" \
	line clean "| $K | split | IPv4 64 B full | DAQ: daq_nfqring, nfqring rings | 180.0k (170.0k-190.0k) | 1.80x | 180.0k | 1.80x | 3 |"
check "  daq_nfq on stock: 1.00x itself (not against stock's libmnl client)" \
	line clean "| $K | split | IPv4 64 B full | DAQ: daq_nfq, stock netlink | 100.0k (90.0k-110.0k) | 1.00x | 100.0k | 1.00x | 3 |"
check "  1500 B: daq_nfq lost nothing at saturation, no search row: '(s)'" \
	line clean "| $K | split | IPv4 1500 B full | DAQ: daq_nfq, stock netlink | 60.0k (60.0k-60.0k) | 1.00x | 60.0k (s) | 1.00x | 3 |"
check "  1500 B: daq_nfqring 1.50x" \
	line clean "| $K | split | IPv4 1500 B full | DAQ: daq_nfqring, nfqring rings | 90.0k (90.0k-90.0k) | 1.50x | 90.0k | 1.50x | 3 |"
check "  rps: the DAQ rows alone in their placement" \
	line clean "| $K | rps | IPv4 64 B full | DAQ: daq_nfqring, nfqring rings | 100.0k (100.0k-100.0k) | 1.25x | 100.0k | 1.25x | 3 |"
check "  the DAQ lines: daq_nfqring against daq_nfq and against nfq_sink on the rings" \
	line clean "- $K, split, IPv4 64 B full: DAQ: daq_nfqring, nfqring rings 180.0k pps loss-free, 1.80x daq_nfq on the stock backend (100.0k); 0.56x the bench's own client (nfqring-ring)"
check "  daq_nfq against nfq_sink's libmnl client on stock" \
	line clean "- $K, split, IPv4 64 B full: DAQ: daq_nfq, stock netlink 0.50x the bench's own client (stock-mnl)"
check "  daq_nfq on nfqring's netlink: 1.20x (no nfqring-mnl row at 64 B here)" \
	line clean "- $K, split, IPv4 64 B full: DAQ: daq_nfq, nfqring netlink 120.0k pps loss-free, 1.20x daq_nfq on the stock backend (100.0k)"
check "  rps: no nfq_sink row to hold it against" \
	line clean "- $K, rps, IPv4 64 B full: DAQ: daq_nfqring, nfqring rings 100.0k pps loss-free, 1.25x daq_nfq on the stock backend (80.0k)"
check "  the rate plot's data has daq_nfqring" \
	grep -qE "^[0-9]+ \"IPv4 64 B full: daq-nfqring-ring\" 180000 170000 190000\$" "$tmp/clean/rates-$K-split.dat"
check "  the DAQ rows are not judged against the bars" eval "! grep -q '^- .*DAQ.*(bar ' '$tmp/clean.out'"

# The bars (issue 20): IPv4 64 B full and 1500 B full, on the loss-free ratio
check "bars: rings 1.60x at IPv4 64 B full: met (bar 1.6x)" \
	line clean "- $K, split, IPv4 64 B full: nfqring rings, libnfqring 1.60x the stock backend (bar 1.6x): met"
check "  1.40x at IPv4 1500 B full: met (bar 1.4x)" \
	line clean "- $K, split, IPv4 1500 B full: nfqring rings, libnfqring 1.40x the stock backend (bar 1.4x): met"
check "  IPv6 (2x) is not judged" eval "! grep -q '^- .*IPv6' '$tmp/clean.out'"
check "  the counts line: system calls 0.2, wake-ups stock's, mean batch 8: each on its bar, met" \
	line clean "- $K, split, nfqring rings, libnfqring, per packet at 100.0k pps: system calls 0.200 (bar 0.2), wake-ups 0.500 (bar: stock's, 0.500), mean batch 8.0 (bar 8): met"
check "two queues: what each queue took, ok" \
	line clean "- $K, split, nfqring rings, libnfqring: queue 0 took 60000, queue 1 40000, the counting chain saw 100000: ok"
variant low clean
setf low nfqring-ring,64,65535,6,search offered_pps 310000
setf low nfqring-ring,64,65535,1,counts mean_batch 7.9
run low
check "  rings 1.55x at IPv4 64 B full: not met" \
	line low "- $K, split, IPv4 64 B full: nfqring rings, libnfqring 1.55x the stock backend (bar 1.6x): not met"
check "  a mean batch of 7.9: the counts bar not met" \
	line low "- $K, split, nfqring rings, libnfqring, per packet at 100.0k pps: system calls 0.200 (bar 0.2), wake-ups 0.500 (bar: stock's, 0.500), mean batch 7.9 (bar 8): not met"
for f in "syscalls_per_pkt 0.201" "wakeups_per_pkt 0.501"; do
	rm -rf "$tmp/low2"
	variant low2 clean
	setf low2 nfqring-ring,64,65535,1,counts $f
	run low2
	check "  ${f% *} ${f#* }: the counts bar not met" \
		eval "grep -q -- '- $K, split, nfqring rings, libnfqring, per packet at .*: not met\$' '$tmp/low2.out'"
done
check "  (a bar not met is no correctness failure: exit 0)" rc_is low 0

# Correctness: one bad cell each, in each checked pass
for c in "nfqring-ring,64,65535,2,throughput queue_total_after 7" \
	"nfqring-ring,64,65535,0,throughput unaccounted 5" \
	"stock-mnl,64,65535,6,search errors 3" \
	"nfqring-ring,64,65535,1,search-step unaccounted 2" \
	"stock-mnl,64,65535,1,counts errors 1" \
	"nfqring-ring,64,65535,1,two-queues queue_total_after 4" \
	"daq-nfqring-ring,1500,65535,2,throughput errors 6" \
	"daq-nfqring-ring,64,65535,2,search-step unaccounted 8" \
	"daq-nfq-stock,64,65535,5,search queue_total_after 9"; do
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
$K,split,none,64,100000,1,50000,20,30,45,60,80,0
$K,split,stock-mnl,64,100000,1,50000,95,150,300,500,900,3
$K,split,nfqring-ring,64,100000,1,50000,50,70,120,200,400,0
$K,split,nfqring-ring,1500,50000,1,50000,60,80,130,210,420,0
$K,split,nfqring-ring-w4294967295-32-1000,64,100000,1,50000,50,70,1300,1400,1500,0
EOF
run full
check "with tcp.csv and latency.csv: exit 0, all $((N + 6)) rows (and TCP's) clean" \
	eval "rc_is full 0 && has full 'Correctness: all $((N + 6)) rows clean:'"
check "  TCP: medians and min-max of the goodput, F_GSO '-' without a queue" \
	line full "| $K | split | no queue (accept) | - | 9400 (9000-9800) | 110 | 60 | 720000 | 1448 | 0 | 1 | 3 |"
check "  TCP: rings with F_GSO on" \
	line full "| $K | split | nfqring rings, libnfqring | on | 4200 (4000-5000) | 310 | 210 | 31000 | 43000 | 6 | 12 | 3 |"
check "  latency: no queue, added 0" \
	line full "| $K | split | 64 B | 100000 | no queue (accept) | 20 | 30 | 45 | 45-45 | 60 | 80 | 0 | 0 | 0 | 1 |"
check "  latency: stock, added p50 75 and p99 255 (minus no queue's)" \
	line full "| $K | split | 64 B | 100000 | stock nfnetlink_queue, libmnl client | 95 | 150 | 300 | 300-300 | 500 | 900 | 75 | 255 | 3 | 1 |"
check "  latency: rings, added 30 and 75" \
	line full "| $K | split | 64 B | 100000 | nfqring rings, libnfqring | 50 | 70 | 120 | 120-120 | 200 | 400 | 30 | 75 | 0 | 1 |"
check "  latency: no no-queue row of that size: added '-'" \
	line full "| $K | split | 1500 B | 50000 | nfqring rings, libnfqring | 60 | 80 | 130 | 130-130 | 210 | 420 | - | - | 0 | 1 |"
# the latency bar: p99 no worse than stock's plus max_delay_us (the tree's
# default for the rings, the configuration's own for nfqring-ring-w...)
D=$(awk '$2 == "NFQRING_WAKE_DELAY_US" { sub("U", "", $3); print $3 }' "$here/../include/uapi/linux/nfqring.h")
check "  latency bar: rings' p99 120 against stock's 300 + the default max_delay_us ($D): met" \
	line full "- $K, split, 64 B at 100000 pps: nfqring rings, libnfqring, p99 120 us (bar: stock's 300 + max_delay_us $D; medians of 1 and 1 windows): met"
check "  a wait configuration (no spin, wake_nr 32, 1000 us): labelled, p99 1300 = 300 + 1000: met" \
	line full "- $K, split, 64 B at 100000 pps: nfqring rings, spin none, wake_nr 32, max_delay 1000 us, p99 1300 us (bar: stock's 300 + max_delay_us 1000; medians of 1 and 1 windows): met"
variant latbad full
sed -i "s/^\($K,split,nfqring-ring-w4294967295-32-1000,64,100000,1,50000,50,70,\)1300,/\11301,/" "$tmp/latbad/latency.csv"
run latbad
check "  p99 1301: not met (and no correctness failure: exit 0)" \
	eval "rc_is latbad 0 && line latbad '- $K, split, 64 B at 100000 pps: nfqring rings, spin none, wake_nr 32, max_delay 1000 us, p99 1301 us (bar: stock'\\''s 300 + max_delay_us 1000; medians of 1 and 1 windows): not met'"
# repeated windows (BENCH_LAT_REPS): medians per figure, the p99's range,
# lost summed; one rings window at 5 ms (a stalled vCPU) does not move them
variant latreps full
cat >>"$tmp/latreps/latency.csv" <<EOF
$K,split,none,64,100000,2,50000,20,30,45,60,80,0
$K,split,stock-mnl,64,100000,2,50000,105,160,900,600,1000,1
$K,split,nfqring-ring,64,100000,2,50000,55,75,5000,6000,7000,0
$K,split,nfqring-ring,1500,50000,2,,,,,,,0
$K,split,none,64,100000,3,50000,20,30,45,60,80,0
$K,split,stock-mnl,64,100000,3,50000,90,140,200,400,800,0
$K,split,nfqring-ring,64,100000,3,50000,45,65,130,210,420,0
EOF
run latreps
check "latency in three windows: stock's medians, p99 range 200-900, lost 4 in all, n 3" \
	line latreps "| $K | split | 64 B | 100000 | stock nfnetlink_queue, libmnl client | 95 | 150 | 300 | 200-900 | 500 | 900 | 75 | 255 | 4 | 3 |"
check "  the rings' window at 5 ms: the median p99 130, added 85" \
	line latreps "| $K | split | 64 B | 100000 | nfqring rings, libnfqring | 50 | 70 | 130 | 120-5000 | 210 | 420 | 30 | 85 | 0 | 3 |"
check "  a window without figures (the receiver said nothing): counted in n, not in the medians" \
	line latreps "| $K | split | 1500 B | 50000 | nfqring rings, libnfqring | 60 | 80 | 130 | 130-130 | 210 | 420 | - | - | 0 | 2 |"
check "  the bar on the medians" \
	line latreps "- $K, split, 64 B at 100000 pps: nfqring rings, libnfqring, p99 130 us (bar: stock's 300 + max_delay_us $D; medians of 3 and 3 windows): met"
check "  guest.sh runs the latency windows per repetition, interleaved (BENCH_LAT_REPS)" \
	eval "grep -qF 'lat_reps=\${BENCH_LAT_REPS:-\$reps}' '$here/guest.sh' && grep -qF 'unit \"\$placement latency \$rep\"' '$here/guest.sh'"
variant latgt full
echo "$K,split,nfqring-ring-gt20,64,100000,1,50000,50,70,$((300 + 20 * D)),1400,1500,0" >>"$tmp/latgt/latency.csv"
run latgt
check "  the rings with their timers in guest time (x20): labelled, bar at stock's + 20 x max_delay_us" \
	line latgt "- $K, split, 64 B at 100000 pps: nfqring rings, libnfqring, timers x20 (guest time), p99 $((300 + 20 * D)) us (bar: stock's 300 + max_delay_us $((20 * D)); medians of 1 and 1 windows): met"
variant tcpbad full
sed -i "s/^\($K,split,nfqring-ring,on,2,.*\),0,0\$/\1,0,4/" "$tmp/tcpbad/tcp.csv"
run tcpbad
check "errors 4 on a tcp.csv row: exit 1, named" \
	eval "rc_is tcpbad 1 && has tcpbad 'Correctness: 1 problem(s):' &&
		line tcpbad '- tcp nfqring-ring gso on rep 2: queue 0, errors 4'"

# The instruction pass (vm-*/data/insn.csv of the boot with the plugin,
# the window files and symbols beside it; bench/insn/pass.sh), alone as
# with BENCH_INSN=only: no results.csv.  1000 packets a window.  Symbols:
# fast_func, the tick's first block (tick_sched_timer, 20 instructions),
# the lock slow path (all spinning here), and at ffffffffc0001000 a module
# function that each window's module symbols name (the boot's kallsyms
# has a stale one there).  A busy window per vCPU: a tick costs 3000
# instructions on CPU 0, 2000 on CPU 1.
ihdr=kernel,placement,family,config,size,range,rep,gap_us,burst,packets,received,counted,cpu0_kernel,cpu0_user,cpu1_kernel,cpu1_user,cpu0_kernel_spin,cpu0_user_spin,cpu1_kernel_spin,cpu1_user_spin,window_s,mean_batch,batch_hist,queue_total_after,errors,unaccounted,tb_file,modules,symbols,sender,kernel_wakeups
bhdr=kernel,cpu,turns,seconds,tb_file,modules,symbols
check "the canned insn.csv and insn-busy.csv headers are the pass' (bench/insn/pass.sh)" \
	eval "grep -qF -e '\"$ihdr\"' '$here/insn/pass.sh' && grep -qF -e '\"$bhdr\"' '$here/insn/pass.sh'"
I=$tmp/insn/vm-$K-insn/data
mkdir -p "$I/insn"
printf '%s\n' "ffffffff81000000 T _text" "ffffffff81001000 T fast_func" \
	"ffffffff81002000 T tick_sched_timer" "ffffffff81004000 T native_queued_spin_lock_slowpath" \
	"ffffffff81005000 D some_data" "ffffffffc0001000 t stale_func	[oldmod]" >"$I/insn/kallsyms-b.txt"
# win NAME MODULE K0 U0 KS0 K1 U1 KS1 T0 T1 M0: a window file NAME.tb and
# its module symbols NAME.mods (MODULE's function at ffffffffc0001000, M0
# instructions on CPU 0 there); ticks T0 and T1, spinning (all in the lock
# slow path) KS0 and KS1, the rest of the kernel's in fast_func, and a
# block 3 MiB past the last function (not in any: '?')
win() {
	local f=$I/insn/$1
	printf 'ffffffffc0001000 t %s\t[%s]\n' "${2#*:}" "${2%%:*}" >"$f.mods"
	{
		echo "window 1"
		echo "vcpus 2"
		echo "cpu 0 kernel $3 user $4 kernel_spin $5 user_spin 0"
		echo "cpu 1 kernel $6 user $7 kernel_spin $8 user_spin 0"
		echo "tb ffffffff81002000 20 $((${9} * 20)) $((${10} * 20)) 0 0"
		echo "tb ffffffff81004000 5 $5 $8 $5 $8"
		echo "tb ffffffffc0001000 4 ${11} 0 0 0"
		echo "tb ffffffff81300000 2 1000 0 0 0"
		echo "tb ffffffff81001000 9 $(($3 - ${9} * 20 - $5 - ${11} - 1000)) $(($6 - ${10} * 20 - $8)) 0 0"
	} >"$f.tb"
}
# irow CONFIG REP [RECEIVED [QUEUE_AFTER]]: its insn.csv row (window
# CONFIG-REP); BURST, SENDER (raw+rx2: the receiver on a vCPU of its own)
# from the environment
irow() {
	local w=$1-$2 k
	read -r -a k <"$I/insn/$w.args"
	echo "$K,split,4,$1,64,65535,$2,500,${BURST:-1},1000,${3:-1000},1000,${k[0]},${k[1]},${k[3]},${k[4]},${k[2]},0,${k[5]},0,1.5,1.0,1000:0:0:0:0:0:0:0,${4:-0},0,0,insn/$w.tb,insn/$w.mods,insn/kallsyms-b.txt,${SENDER-raw+rx2},${KW-}"
}
# w CONFIG REP MODULE K0 U0 KS0 K1 U1 KS1 T0 T1 M0: window and its figures
w() {
	local n=$1-$2
	shift 2
	win "$n" "$@"
	shift
	echo "$@" >"$I/insn/$n.args"
}
st=nfnetlink_queue:__nfqnl_enqueue_packet ri=nfqring:nfqr_ep_enqueue
w none 1 "$st" 12000000 100000 0 100000 0 0 40 0 0
w none 2 "$st" 12000000 100000 0 2100000 0 0 40 0 0
w stock-mnl 1 "$st" 21000000 100000 1000000 15000000 2000000 500000 50 100 300000
w stock-mnl 2 "$st" 21200000 100000 1000000 15100000 2000000 500000 50 100 300000
w stock-mnl-aa 1 "$st" 21100000 100000 1000000 15050000 2000000 500000 50 100 300000
w nfqring-ring 1 "$ri" 15500000 100000 0 10000000 1000000 0 50 100 800000
w nfqring-ring 2 "$ri" 15500000 100000 0 10000000 1000000 0 50 100 800000
# the rings with their timers in guest time (BENCH_INSN_TIME_SCALE; only in
# the insn-gt variant's csv): bigger batches, fewer consumer instructions
w nfqring-ring-gt20 1 "$ri" 15400000 100000 0 7000000 1000000 0 50 100 800000
w nfqring-ring-gt20 2 "$ri" 15400000 100000 0 7000000 1000000 0 50 100 800000
win busy-cpu0 "$st" 300000 100000000 0 0 0 0 100 0 0
win busy-cpu1 "$st" 0 0 0 200000 100000000 0 0 100 0
{
	echo "$ihdr"
	irow none 1
	irow none 2
	# the kernel's wake-ups of the ring consumer's runs: 0.02 and 0.04 a
	# packet (bursts of 1), the median 0.03
	irow stock-mnl 1
	KW=2000:40:0:0:20:20 irow nfqring-ring 1
	irow stock-mnl 2
	KW=1000:40:20:0:10:10 irow nfqring-ring 2
	irow stock-mnl-aa 1
} >"$I/insn.csv"
{
	echo "$bhdr"
	echo "$K,0,50000000,1.1,insn/busy-cpu0.tb,insn/busy-cpu0.mods,insn/kallsyms-b.txt"
	echo "$K,1,50000000,1.1,insn/busy-cpu1.tb,insn/busy-cpu1.mods,insn/kallsyms-b.txt"
} >"$I/insn-busy.csv"
run insn
IN=$(($(wc -l <"$I/insn.csv") - 1))
check "instructions alone (no results.csv): exit 0, all $IN rows clean, no saturation table" \
	eval "rc_is insn 0 && has insn 'Correctness: all $IN rows clean:' && ! has insn 'Saturation'"
check "  the instruction plot: its data (enqueue and consumer CPU per configuration) and PNG" \
	eval "grep -qFx '\"IPv4 64 B full: nfqring-ring\" 15450 10800' '$tmp/insn/insn-$K-split.dat' &&
		grep -qF \"set output '$tmp/insn/insn-$K-split.png'\" '$tmp/insn/plots.gp'"
check "  what a tick costs a busy vCPU, from the busy windows" \
	line insn "A tick costs a busy vCPU 3000 (CPU 0), 2000 (CPU 1) kernel instructions (vm-$K-insn/data)."
check "  stock: medians per packet without spinning and ticks, spinning, ticks, runs 1.0 % apart" \
	line insn "| $K | split | IPv4 64 B full | stock nfnetlink_queue, libmnl client | 19950 | 100 | 14350 | 2000 | 20050 | 1.00x | 16350 | 1.00x | 1000 / 500 | 0.050 / 0.100 | 1.0 % | 2 |"
check "  rings: 0.77x stock's on the enqueue CPU, 0.66x on the consumer's" \
	line insn "| $K | split | IPv4 64 B full | nfqring rings, libnfqring | 15350 | 100 | 9800 | 1000 | 15450 | 0.77x | 10800 | 0.66x | 0 / 0 | 0.050 / 0.100 | 0.0 % | 2 |"
check "  no queue: its runs agree on CPU 0; CPU 1 (100 and 2100: none of the packet's work) does not count" \
	line insn "| $K | split | IPv4 64 B full | no queue (accept) | 11880 | 100 | 1100 | 0 | 11980 | 0.60x | 1100 | 0.07x | 0 / 0 | 0.040 / 0.000 | 0.0 % | 2 |"
check "  bars: the enqueue CPU's 0.77x meets 0.8x" \
	line insn "- $K, split, IPv4 64 B full: nfqring rings, libnfqring, enqueue CPU 15450 instructions per packet, 0.77x stock's 20050 (bar 0.8x): met"
check "  bars: the consumer CPU's 0.66x misses 0.5x" \
	line insn "- $K, split, IPv4 64 B full: nfqring rings, libnfqring, consumer CPU 10800 instructions per packet, 0.66x stock's 16350 (bar 0.5x): not met"
check "  why the kernel woke the rings' consumer: wake-ups a burst by reason, medians of the runs" \
	line insn "- $K, split, IPv4 64 B full: nfqring rings, libnfqring: 0.03 (wake_nr 0.01, watermark 0.00, timer 0.01, idle 0.01)"
check "  no wake-up line for a configuration without the kernel's counts (stock, the rings x20)" \
	eval "! has insn 'libmnl client: 0.' && [ \"\$(grep -c 'watermark 0.00, timer' '$tmp/insn.out')\" = 1 ]"
check "  A/A: stock again lands on stock's medians" \
	line insn "- $K, split, IPv4 64 B full: instructions per packet, stock against stock again (A/A): CPU 0 0.0 %, CPU 1 0.0 % apart"
check "  runs agree within 1.0 %, the bar of 2 % met" \
	line insn "- instructions per packet: two runs of one configuration agree within 1.0 % (worst: stock nfnetlink_queue, libmnl client, $K, IPv4 64 B full; bar 2 %): met"
check "functions: the enqueue CPU's per packet, ticks in, spinning out; rings - stock" \
	line insn "| fast_func | 11998 | 19798 | 14698 | -5100 |"
check "  a module's function by the window's own module symbols (stock)" \
	line insn "| __nfqnl_enqueue_packet [nfnetlink_queue] | 0 | 300 | 0 | -300 |"
check "  ... (rings, at the same address)" \
	line insn "| nfqr_ep_enqueue [nfqring] | 0 | 0 | 800 | +800 |"
check "  the boot's stale module symbol never named, the lock slow path at 0 (all spinning)" \
	eval "! has insn 'stale_func' && line insn '| native_queued_spin_lock_slowpath | 0 | 0 | 0 | +0 |'"
check "  a block 3 MiB past the last function: '?'" line insn "| ? | 1 | 1 | 1 | +0 |"
check "  the tick's block and the sum of all" \
	eval "line insn '| tick_sched_timer | 1 | 1 | 1 | +0 |' && line insn '| (all functions) | 12000 | 20100 | 15500 | -4600 |'"
check "functions: the consumer CPU's too (CPU 1 in split), per packet, ticks in, spinning out" \
	eval "has insn \"Where the consumer CPU's kernel instructions go ($K, split, IPv4 64 B full, CPU 1)\" &&
		line insn '| fast_func | 1100 | 14548 | 9998 | -4550 |' &&
		line insn '| tick_sched_timer | 0 | 2 | 2 | +0 |' &&
		line insn '| (all functions) | 1100 | 14550 | 10000 | -4550 |'"
check "  under each table: nfqring's own functions, and the work both backends do (the smaller per function)" \
	eval "line insn \"nfqring's own functions on CPU 0: 800 instructions a packet; the kernel work both backends do there (per function the smaller of the two): 14700, 0.73x stock's 20100.\" &&
		line insn \"nfqring's own functions on CPU 1: 0 instructions a packet; the kernel work both backends do there (per function the smaller of the two): 10000, 0.69x stock's 14550.\""
variant insn-rps insn
sed -i "s/^\($K\),split,/\1,rps,/" "$tmp/insn-rps/vm-$K-insn/data/insn.csv"
run insn-rps
check "  rps (one CPU enqueues and consumes): one table, CPU 1's, the enqueue CPU's" \
	eval "has insn-rps \"Where the enqueue CPU's kernel instructions go ($K, rps, IPv4 64 B full, CPU 1)\" &&
		! has insn-rps \"Where the consumer CPU's\" && line insn-rps '| fast_func | 1100 | 14548 | 9998 | -4550 |'"
variant insn-aa insn
sed -i "s/^\($K,split,4,stock-mnl-aa,64,65535,1,500,1,1000,1000,1000,\)21100000,/\121700000,/" "$tmp/insn-aa/vm-$K-insn/data/insn.csv"
run insn-aa
check "stock again 600 more on CPU 0: A/A 3.0 %, the 2 % bar not met (exit 0: no correctness failure)" \
	eval "rc_is insn-aa 0 && line insn-aa '- $K, split, IPv4 64 B full: instructions per packet, stock against stock again (A/A): CPU 0 3.0 %, CPU 1 0.0 % apart' &&
		line insn-aa '- instructions per packet: two runs of one configuration agree within 3.0 % (worst: stock again (A/A), $K, IPv4 64 B full; bar 2 %): not met'"
variant insn-loss insn
{ echo "$ihdr"; irow nfqring-ring 1; irow nfqring-ring 2 999; irow stock-mnl 1 1000 3; irow stock-mnl 2; } \
	>"$tmp/insn-loss/vm-$K-insn/data/insn.csv"
run insn-loss
check "a packet that did not come back, a queue left non-empty: exit 1, 2 problem(s), both named" \
	eval "rc_is insn-loss 1 && has insn-loss 'Correctness: 2 problem(s):' &&
		problem insn-loss nfqring-ring 'instructions rep 2: 1000 sent, 999 back, 1000 counted' &&
		problem insn-loss stock-mnl 'instructions rep 1: queue_total_after = 3'"
check "  the run without its packet left out of the medians (rings: n 1)" \
	has insn-loss "| nfqring rings, libnfqring | 15350 | 100 | 9800 | 1000 | 15450 | 0.77x | 10800 | 0.66x | 0 / 0 | 0.050 / 0.100 | - | 1 |"
variant insn-burst insn
{
	echo "$ihdr"
	for r in 1 2; do irow stock-mnl $r; irow nfqring-ring $r; done
	for r in 1 2; do BURST=32 irow stock-mnl $r; BURST=32 irow nfqring-ring $r; done
} >"$tmp/insn-burst/vm-$K-insn/data/insn.csv"
run insn-burst
check "bursts: a group of their own, named by the burst, judged like the lone packets" \
	eval "rc_is insn-burst 0 && has insn-burst '| $K | split | IPv4 64 B full, bursts of 32 | nfqring rings, libnfqring | 15350 |' &&
		has insn-burst '| $K | split | IPv4 64 B full | nfqring rings, libnfqring | 15350 |' &&
		has insn-burst '- $K, split, IPv4 64 B full, bursts of 32: nfqring rings, libnfqring, enqueue CPU 15450 instructions per packet, 0.77x'"
variant insn-sender insn
{
	echo "$ihdr"
	for r in 1 2; do irow stock-mnl $r; irow nfqring-ring $r; done
	for r in 1 2; do SENDER=udp irow stock-mnl $r; SENDER=udp irow nfqring-ring $r; done
	# a row of a csv from before the sender column: the UDP socket
	for r in 1 2; do SENDER= irow stock-mnl $r; done
	for r in 1 2; do SENDER=udp+rx2 irow nfqring-ring $r; SENDER=raw irow nfqring-ring $r; done
} >"$tmp/insn-sender/vm-$K-insn/data/insn.csv"
run insn-sender
check "senders: the UDP socket's rows (and those of a csv without the column) a group of their own, named" \
	eval "rc_is insn-sender 0 && has insn-sender '| $K | split | IPv4 64 B full, UDP socket sender, receiver on CPU 0 | nfqring rings, libnfqring | 15350 |' &&
		has insn-sender '| $K | split | IPv4 64 B full | nfqring rings, libnfqring | 15350 |' &&
		has insn-sender '| $K | split | IPv4 64 B full, UDP socket sender, receiver on CPU 0 | stock nfnetlink_queue, libmnl client | 19950 | 100 | 14350 | 2000 | 20050 | 1.00x | 16350 | 1.00x | 1000 / 500 | 0.050 / 0.100 | 1.0 % | 4 |'"
check "  receivers: on CPU 0 (raw, udp: before 2026-12-06) or apart (+rx2), each a group of its own" \
	eval "has insn-sender '| $K | split | IPv4 64 B full, receiver on CPU 0 | nfqring rings, libnfqring | 15350 |' &&
		has insn-sender '| $K | split | IPv4 64 B full, UDP socket sender | nfqring rings, libnfqring | 15350 |'"
variant insn-gt insn
{
	echo "$ihdr"
	for r in 1 2; do irow stock-mnl $r; irow nfqring-ring $r; irow nfqring-ring-gt20 $r; done
} >"$tmp/insn-gt/vm-$K-insn/data/insn.csv"
run insn-gt
check "timers in guest time: a row of its own, labelled with the scale" \
	eval "rc_is insn-gt 0 && has insn-gt '| $K | split | IPv4 64 B full | nfqring rings, libnfqring, timers x20 (guest time) | 15250 | 100 | 6800 | 1000 | 15350 | 0.77x | 7800 | 0.48x |'"
check "  after the rings' own row" \
	eval "[ \$(grep -n 'timers x20' '$tmp/insn-gt.out' | head -1 | cut -d: -f1) -gt \$(grep -n '| nfqring rings, libnfqring |' '$tmp/insn-gt.out' | head -1 | cut -d: -f1) ]"
check "  bar lines of their own; the rings' own lines stay" \
	eval "line insn-gt \"- $K, split, IPv4 64 B full: nfqring rings, libnfqring, timers x20 (guest time), consumer CPU 7800 instructions per packet, 0.48x stock's 16350 (bar 0.5x): met\" &&
		line insn-gt \"- $K, split, IPv4 64 B full: nfqring rings, libnfqring, consumer CPU 10800 instructions per packet, 0.66x stock's 16350 (bar 0.5x): not met\""
variant insn-nobusy insn
rm "$tmp/insn-nobusy/vm-$K-insn/data/insn-busy.csv"
run insn-nobusy
check "no busy windows: said so, the ticks stay in (stock CPU 0 kernel 20100)" \
	eval "line insn-nobusy 'No busy windows in vm-$K-insn/data: ticks left in there.' &&
		has insn-nobusy '| stock nfnetlink_queue, libmnl client | 20100 | 100 | 14550 | 2000 |'"
# KEEP=DIR keeps the canned folders and the reports, to look at a failure
[ -n "${KEEP:-}" ] && cp -r "$tmp" "$KEEP"
tap_end
