# shellcheck shell=bash disable=SC2154  # out, top, kernel, bad, spid...: guest.sh's
# SPDX-License-Identifier: GPL-2.0
# bench/insn/pass.sh, sourced by guest.sh: the instruction pass
# (BENCH_PASS=insn), in a boot whose QEMU runs the insn_count plugin
# (scripts/bench: vm-run --plugin ... --plugin-arg out=$OUT/insn-window.txt).
#
# Per configuration and repetition: the consumer starts, then insn_send in
# "gen" on CPU 0 sends BENCH_INSN_WARMUP packets (the warm-up: first
# touches stay out of the window), opens the window, sends
# BENCH_INSN_PACKETS and closes it.  It sends a packet only when the one
# before has come through the queue and reached a socket in "dut" (the
# counting chain accepts here), then sleeps BENCH_INSN_GAP microseconds: a
# closed loop at a moderate rate (at most 1/gap).  A case
# FAMILY:SIZE:RANGE:BURST sends BURST packets back to back instead of one
# and waits for all of them: the loaded path, where a consumer can take
# several per wake-up.  BENCH_INSN_SENDERS picks how insn_send sends: raw
# (the default: frames built once, a burst per sendmmsg() on a packet
# socket that bypasses the qdisc, straight into the veth's transmit, as
# pktgen does; the issue's bars assume pktgen's cost on the enqueue CPU)
# or udp (a UDP socket, one send() per packet: the socket layer's cost on
# CPU 0 in every configuration); "raw udp" runs both.
# BENCH_INSN_RECEIVER puts the closed loop's receiving socket: apart (the
# default: a thread on CPU 2, a vCPU of its own that is not counted; the
# sender waits for its word on an eventfd) or cpu0 (the sender's own
# recvmmsg() on CPU 0, as before 2026-12-06: the socket's system calls,
# copies and frees in the enqueue CPU's figures, where pktgen would receive
# nothing); "apart cpu0" runs both.  The CSV's sender column says which:
# raw or udp with the receiver on CPU 0, raw+rx2 or udp+rx2 with it apart.
# BENCH_INSN_TIME_SCALE (default 20; 0: none) adds nfqring-ring-gtS after
# nfqring-ring in the burst cases: the rings with the default wait whose
# timers (max_delay_us, idle_us) are S times longer.  The kernel's timers run in wall-clock time,
# and this guest runs about 20 times slower than a hardware core (the busy
# windows: 70-150 million instructions a second where a 2.5 GHz core
# retires about 2.5 billion): left as they are, they fire after a
# twentieth of the work they bound on hardware, and split a burst that
# hardware would hand over whole into wake-ups of a few packets (the
# 'idle' wake-up in particular takes the gap between two bursts, tens of
# microseconds on hardware, for quiet).  Stock has no timer to scale.
# Not pktgen: pktgen
# paces by the clock and, when the host has kept a vCPU waiting, catches
# up in a burst, and how packets bunch decides how many of them each
# wake-up, system call and verdict carries: on this shared host two
# pktgen runs at 1 kpps differed by a quarter on CPU 0 without any queue.
# Nothing starts a process inside the window (an exec is millions of
# instructions): the shell waits for insn_send's result line.
#
# One insn.csv row per window: the plugin's figures per vCPU (kernel and
# user instructions), the packets sent, those that came back and those
# the counting chain saw, the consumer's batches, and the files for the
# per-function split (report.py): the window file (insn/TAG.tb:
# instructions per kernel translation block), the module symbols at the
# time (insn/TAG.mods) and the boot's other kernel symbols
# (insn/kallsyms-BOOT.txt); last, for a ring consumer on version 2, the
# kernel's wake-ups by reason over the consumer's whole run, warm-up
# included (PACKETS:ALL:WAKE_NR:WATERMARK:TIMER:IDLE).

insn_gap=${BENCH_INSN_GAP:-500}
insn_packets=${BENCH_INSN_PACKETS:-10000}
insn_reps=${BENCH_INSN_REPS:-2}
insn_warmup=${BENCH_INSN_WARMUP:-500}
insn_cases=${BENCH_INSN_CASES-4:64:65535 4:64:65535:32}
insn_placements=${BENCH_INSN_PLACEMENTS:-split}
insn_senders=${BENCH_INSN_SENDERS:-raw}
insn_receivers=${BENCH_INSN_RECEIVER:-apart}
insn_time_scale=${BENCH_INSN_TIME_SCALE:-20}
if [ "$insn_time_scale" != 0 ]; then
	insn_list=
	for insn_cfg in $insn_configs; do
		insn_list+=" $insn_cfg"
		[ "$insn_cfg" != nfqring-ring ] || insn_list+=" nfqring-ring-gt$insn_time_scale"
	done
	insn_configs=$insn_list
	unset insn_list insn_cfg
fi
insn_file=$out/insn-window.txt
insn_dir=$out/insn
insn_send=$top/build/bench/insn_send
insn_mark=$top/build/bench/insn_mark
insn_busy_turns=${BENCH_INSN_BUSY:-50000000}	# the busy windows' user loop
icsv=$out/insn.csv
bcsv=$out/insn-busy.csv
[ -s "$bcsv" ] || echo "kernel,cpu,turns,seconds,tb_file,modules,symbols" >"$bcsv"
[ -s "$icsv" ] || echo "kernel,placement,family,config,size,range,rep,gap_us,burst,packets,received,counted,cpu0_kernel,cpu0_user,cpu1_kernel,cpu1_user,cpu0_kernel_spin,cpu0_user_spin,cpu1_kernel_spin,cpu1_user_spin,window_s,mean_batch,batch_hist,queue_total_after,errors,unaccounted,tb_file,modules,symbols,sender,kernel_wakeups" >"$icsv"

# insn_symbols: the kernel's symbols but the modules', once per boot (the
# addresses change with every boot); sets insn_syms (relative to $out)
insn_symbols() {
	local boot
	read -r boot </proc/sys/kernel/random/boot_id
	insn_syms=insn/kallsyms-$boot.txt
	mkdir -p "$insn_dir"
	[ -s "$out/$insn_syms" ] && return 0
	if ! grep -v '\[' /proc/kallsyms >"$out/$insn_syms.tmp" ||
		! mv "$out/$insn_syms.tmp" "$out/$insn_syms"; then
		die "saving /proc/kallsyms"
	fi
	[ "$(awk '$1 !~ /^0+$/ { n++ } END { print n + 0 }' "$out/$insn_syms")" -gt 1000 ] ||
		die "/proc/kallsyms shows no addresses (kernel.kptr_restrict?)"
}

# run_insn CONFIG PLACEMENT FAMILY SIZE RANGE REP BURST SENDER RECEIVER: one
# window, one insn.csv row
run_insn() {
	local cfg=$1 placement=$2 family=$3 size=$4 range=$5 rep=$6 burst=$7 sender=$8 t=$SECONDS
	# shellcheck disable=SC2034  # sink_stop sets them all
	local after=0 total=0 errors=0 hist='' batch=0 calls=0 bytes copies kwake=''
	local label=$sender tag c0 c1 bd0 qd0 line='' w unacc
	local -a f ik=(0 0) iu=(0 0) iks=(0 0) ius=(0 0) raw=() rx=()
	local -A res=()
	# the receiver apart, on CPU 2: the CSV's sender says so (+rx2)
	if [ "$9" = apart ]; then
		rx=(-R 2)
		label=$sender+rx2
	fi
	tag=$2-$3-$4-$5-b$7-$label-$1-$6
	start_config "$cfg" "$placement" "$range" deliver
	# raw: from g0 to d0's MAC (the namespaces exist now), from pktgen's
	# first source address
	[ "$sender" = raw ] && raw=(-i g0 -m "$(D cat /sys/class/net/d0/address)" \
		-S "$([ "$family" = 6 ] && echo fd77::1 || echo 10.77.1.1)")
	coproc SEND {
		exec ip netns exec gen taskset -c 0 "$insn_send" "-$family" \
			"$([ "$family" = 6 ] && echo fd77::2 || echo 10.77.0.2)" -s "$size" \
			-n "$insn_packets" -w "$insn_warmup" -g "$insn_gap" -b "$burst" \
			"${raw[@]}" "${rx[@]}" -r /run/netns/dut
	}
	read -r -t 120 -u "${SEND[0]}" line
	[ "$line" = ready ] || die "$cfg: insn_send did not start: '$line'"
	c0=$(counted)
	bd0=$(backlog_drops)
	qd0=$(queue_drops)
	rm -f "$insn_file"
	# the warm-up and the window, in insn_send; this shell waits in a builtin
	echo go >&"${SEND[1]}"
	line=
	read -r -t 7200 -u "${SEND[0]}" line
	wait "$SEND_PID" 2>/dev/null
	for w in $line; do res[${w%%=*}]=${w#*=}; done
	[ -n "${res[received]:-}" ] || die "$cfg: insn_send said '$line'"
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ "$(queued)" = 0 ] && break; nap 0.2; done
	c1=$(counted)
	# insn_send's own figures: it rounds to whole bursts
	w=$((res[warmup] + res[sent]))
	unacc=$((w - (c1 - c0) - ($(backlog_drops) - bd0) - ($(queue_drops) - qd0)))
	[ -z "$spid" ] || sink_stop
	# a frame the driver refused (raw sender) is an error of the row too
	errors=$((${errors:-0} + ${res[errors]:-0}))
	check_accounted "$cfg" "$unacc"
	[ -s "$insn_file" ] || die "no window file $insn_file: is QEMU running the insn_count plugin (vm-run --plugin build/bench/insn_count.so --plugin-arg out=$insn_file)?"
	# cpu V kernel K user U kernel_spin KS user_spin US
	while read -r -a f; do
		case ${f[0]} in
		cpu)
			[ "${f[2]} ${f[4]} ${f[6]} ${f[8]}" = "kernel user kernel_spin user_spin" ] &&
				ik[f[1]]=${f[3]} iu[f[1]]=${f[5]} iks[f[1]]=${f[7]} ius[f[1]]=${f[9]}
			;;
		tb) break ;;
		esac
	done <"$insn_file"
	mv "$insn_file" "$insn_dir/$tag.tb" || die "keeping $insn_file"
	grep '\[' /proc/kallsyms >"$insn_dir/$tag.mods"
	awk -v k="$kernel" -v pl="$placement" -v fam="$family" -v cfg="$cfg" -v size="$size" \
	    -v range="$range" -v rep="$rep" -v gap="$insn_gap" -v burst="$burst" \
	    -v sent="${res[sent]}" \
	    -v back="${res[received]}" -v c=$((c1 - c0 - res[warmup])) -v k0="${ik[0]}" \
	    -v u0="${iu[0]}" -v k1="${ik[1]}" -v u1="${iu[1]}" -v ks0="${iks[0]}" -v us0="${ius[0]}" \
	    -v ks1="${iks[1]}" -v us1="${ius[1]}" -v secs="${res[seconds]:-0}" \
	    -v batch="$batch" -v hist="$hist" -v after="${after:-0}" -v err="${errors:-0}" \
	    -v unacc="$unacc" -v tb="insn/$tag.tb" -v mods="insn/$tag.mods" -v syms="$insn_syms" \
	    -v sender="$label" -v kw="${kwake:+$total:$kwake}" 'BEGIN {
		printf "%s,%s,%s,%s,%d,%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n",
			k, pl, fam, cfg, size, range, rep, gap, burst, sent, back, c, k0, u0, k1, u1,
			ks0, us0, ks1, us1, secs, batch, hist, after, err, unacc, tb, mods, syms, sender, kw
	}' | tee -a "$icsv"
	echo "# $cfg instructions: $((SECONDS - t)) s"
}

# insn_busy: a window per vCPU busy in a user loop and nothing else: its
# kernel instructions are the time's, not the work's (the timer tick and
# what it starts), so the report can take the ticks of a busy vCPU out of
# the packet windows (report.py); one insn-busy.csv row each
insn_busy() {
	local v e0
	for v in 0 1; do
		rm -f "$insn_file"
		e0=$EPOCHREALTIME
		taskset -c "$v" "$insn_mark" loop "$insn_busy_turns" || die "insn_mark loop"
		[ -s "$insn_file" ] || die "no window file $insn_file after insn_mark loop"
		mv "$insn_file" "$insn_dir/busy-cpu$v.tb" || die "keeping $insn_file"
		grep '\[' /proc/kallsyms >"$insn_dir/busy-cpu$v.mods"
		echo "$kernel,$v,$insn_busy_turns,$(awk -v a="$e0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'),insn/busy-cpu$v.tb,insn/busy-cpu$v.mods,$insn_syms" |
			tee -a "$bcsv"
	done
}

# insn_pass: every case, placement and configuration (insn_configs)
insn_pass() {
	local placement c family size range burst rep cfg f sender receiver
	for f in "$insn_send" "$insn_mark"; do [ -x "$f" ] || die "$f missing: make -C bench"; done
	for sender in $insn_senders; do
		case $sender in raw | udp) ;; *) die "BENCH_INSN_SENDERS: $sender is not raw or udp" ;; esac
	done
	for receiver in $insn_receivers; do
		case $receiver in cpu0) ;;
		apart) [ "$(nproc --all)" -ge 3 ] ||
			die "BENCH_INSN_RECEIVER=apart wants a third vCPU (scripts/bench boots one)" ;;
		*) die "BENCH_INSN_RECEIVER: $receiver is not apart or cpu0" ;;
		esac
	done
	insn_symbols
	# quieter time: no timer migration between the vCPUs, vmstat's
	# per-CPU work once a minute rather than every second
	sysctl -qw kernel.timer_migration=0 vm.stat_interval=60
	if unit "instructions busy"; then
		insn_busy
		unit_done
	fi
	echo "# instructions: $insn_packets packets per window in bursts (1: one at a time), $insn_gap us apart, after $insn_warmup; $insn_reps repetitions; senders: $insn_senders; receiver: $insn_receivers"
	for placement in $insn_placements; do
		for c in $insn_cases; do
			IFS=: read -r family size range burst _ <<<"$c"
			[ -n "$range" ] || die "BENCH_INSN_CASES: $c is not FAMILY:SIZE:RANGE[:BURST]"
			burst=${burst:-1}
			for sender in $insn_senders; do
				for receiver in $insn_receivers; do
					unit "$placement $c $sender $receiver instructions" || continue
					for rep in $(seq 1 "$insn_reps"); do
						for cfg in $insn_configs; do
							# lone packets: the pass' gap is wall-clock
							# time too, and scaling the timers alone would
							# hold each packet max_delay_us
							[[ $cfg != nfqring-ring-gt* || $burst != 1 ]] || continue
							run_insn "$cfg" "$placement" "$family" "$size" \
								"$range" "$rep" "$burst" "$sender" "$receiver"
						done
					done
					unit_done
				done
			done
		done
	done
}
