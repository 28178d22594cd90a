#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nfqringd under systemd, inside a VM booted with systemd as PID 1 (make
# check runs it so):
#   selftests/vm/vm-run --systemd basic.target -k RELEASE -o OUT -- \
#       selftests/daemon/systemd-test.sh
# Installs what a host has after `make install` (sysusers, the udev rule, the
# shipped unit pointed at this tree's binary by a drop-in), then: the
# documented systemd-run line; the unit active only after READY (queue bound,
# running unprivileged); reload under traffic without loss; a bad file
# reported as a failed reload; stop with packets in flight; a hung worker
# restarted by the watchdog.  UDP from namespace "client" to this host, queued
# by an nft input rule without bypass: a moment with no daemon bound would
# drop packets and show.  Prints TAP.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NFQRINGD=$TOP/daemon/build/nfqringd
TRAFFIC=$TOP/build/selftests/daemon/traffic
SOCK=/run/nfqringd/nfqringd.sock
T=$(mktemp -d /tmp/systemd-test.XXXXXX)
n=0 failed=0

tap() {	# tap STATUS NAME [DIAGNOSTIC]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
}
is() { [ "$1" = "$2" ]; tap $? "$3" "got '$1', want '$2'"; }
C() { ip netns exec client "$@"; }
prop() { systemctl show -p "$2" --value "$1"; }
bound() { awk '$1 == 0 { f = 1 } END { exit !f }' /proc/net/netfilter/nfnetlink_queue; }
journal() { journalctl -u "$1" --no-pager -o cat; }

recv_start() {	# recv_start PORT MODE: output in $T/recv.PORT, pid in $rpid
	"$TRAFFIC" recv "$1" 3000 "$2" 20000 >"$T/recv.$1" &
	rpid=$!
	until grep -q ready "$T/recv.$1"; do sleep 0.1; done
}

recv_count() {	# recv_count PID PORT: RES="COUNT BAD" once the receiver finished
	wait "$1"
	RES=$(tail -n 1 "$T/recv.$2")
}

echo "TAP version 13"
echo "1..24"

# ---- what a host has after make install ----
# shellcheck source=vm-host.sh
. "$TOP/selftests/daemon/vm-host.sh"
nfqr_vm_install "$SOCK"
tap $? "make install's files in place (sysusers, udev rule, unit + drop-in)"
is "$(stat -c %G:%a /dev/nfqring)" nfqring:660 "udev rule: /dev/nfqring group nfqring, mode 0660"
cat >/etc/nfqring/rules.nft <<'EOF'
udp dport 10086 drop comment "d86"
udp dport 10010 payload fill "h" accept comment "fill"
policy accept
EOF
nfqr_vm_client
nft -f - <<'NFT'
table inet t {
	chain input {
		type filter hook input priority 0;
		udp dport { 10010, 10020, 10086 } queue num 0
	}
}
NFT

# ---- the systemd-run line of nfqringd(8) ----
systemd-run --unit nfqringd-run -p Type=notify -p ExecReload="$NFQRINGD --reload" \
	"$NFQRINGD" -c /etc/nfqring/rules.nft -q 0 >"$T/run.out" 2>&1
tap $? "systemd-run line of nfqringd(8) starts the daemon" "$(cat "$T/run.out")"
is "$(prop nfqringd-run.service ActiveState)" active "systemd-run: unit active"
recv_start 10020 d; r20=$rpid
recv_start 10086 -; r86=$rpid
C "$TRAFFIC" send 172.31.0.1 10020 100 200
C "$TRAFFIC" send 172.31.0.1 10086 100 200
recv_count $r20 10020; is "$RES" "100 0" "systemd-run: 10020 delivered intact"
recv_count $r86 10086; is "$RES" "0 0" "systemd-run: 10086 dropped"
systemctl reload nfqringd-run.service
tap $? "systemd-run: systemctl reload"
systemctl stop nfqringd-run.service
# a transient unit is gone once stopped: its journal tells how it ended
journal nfqringd-run.service | grep -q "Deactivated successfully" &&
	journal nfqringd-run.service | grep -q "nfqringd: stopped"
tap $? "systemd-run: stopped after draining, exit 0" "$(journal nfqringd-run.service | tail -n 5)"
bound && tap 1 "systemd-run: queue 0 released after stop" || tap 0 "systemd-run: queue 0 released after stop"

# ---- the installed unit ----
systemctl start nfqringd.service
tap $? "systemctl start nfqringd (returns after READY)" "$(journal nfqringd.service | tail -n 5)"
is "$(prop nfqringd.service ActiveState)" active "unit active"
bound
tap $? "queue 0 bound by the time the unit is active (READY after bind)"
pid=$(prop nfqringd.service MainPID)
is "$(ps -o user= -p "$pid" | tr -d ' ')" nfqringd "runs as user nfqringd (CAP_NET_ADMIN ambient)"

# reload under traffic: no packet lost (no bypass: an unbound moment drops)
recv_start 10020 d; r20=$rpid
C "$TRAFFIC" send 172.31.0.1 10020 3000 200 500 &
snd=$!
for i in 1 2 3; do
	sleep 0.5
	systemctl reload nfqringd.service || echo "reload $i failed" >>"$T/reload.err"
done
wait $snd
recv_count $r20 10020; is "$RES" "3000 0" "3 x systemctl reload under traffic: all 3000 delivered"
[ ! -s "$T/reload.err" ]
tap $? "every reload under traffic succeeded" "$(cat "$T/reload.err" 2>/dev/null)"

# a bad file: the reload fails, the old rules stay
cp /etc/nfqring/rules.nft "$T/good.nft"
echo 'udp dport 10086 accept comment "oops" junk' >/etc/nfqring/rules.nft
systemctl reload nfqringd.service 2>"$T/bad.err"
rc=$?
[ "$rc" -ne 0 ]
tap $? "systemctl reload with a bad file fails (exit $rc)" "$(cat "$T/bad.err")"
journal nfqringd.service | grep -q "old rules stay in force"
tap $? "the journal says why and that the old rules stay"
recv_start 10086 -; r86=$rpid
C "$TRAFFIC" send 172.31.0.1 10086 50 200
recv_count $r86 10086; is "$RES" "0 0" "after the bad reload the old rules still drop 10086"
cp "$T/good.nft" /etc/nfqring/rules.nft

# stop with packets in flight: queued while the daemon is stopped
recv_start 10010 h; r10=$rpid
systemctl kill -s SIGSTOP nfqringd.service
C "$TRAFFIC" send 172.31.0.1 10010 200 200
waiting=$(awk '$1 == 0 { print $3 }' /proc/net/netfilter/nfnetlink_queue)
systemctl stop nfqringd.service	# SIGTERM, then SIGCONT
is "$(prop nfqringd.service Result)" success "stop with $waiting packets in flight: result success"
recv_count $r10 10010; is "$RES" "200 0" "the 200 in-flight packets were judged (rewritten) and delivered"
journal nfqringd.service | grep "packets judged" | tail -n 1 | sed 's/^/# /'

# watchdog: a hung worker (fault injection) stops the pings; systemd
# restarts the daemon
cat >/etc/systemd/system/nfqringd.service.d/hang.conf <<EOF
[Service]
Environment=NFQRINGD_TEST_HANG_QUEUE=0
WatchdogSec=4
EOF
systemctl daemon-reload
systemctl start nfqringd.service
before=$(prop nfqringd.service NRestarts)
C "$TRAFFIC" send 172.31.0.1 10020 1 200
for _ in $(seq 60); do
	[ "$(prop nfqringd.service NRestarts)" != "$before" ] && break
	sleep 1
done
is "$(prop nfqringd.service NRestarts)" $((before + 1)) "hung worker: the watchdog got the daemon restarted"
journal nfqringd.service | grep -q "worker made no progress"
tap $? "the daemon said which worker hung"
journal nfqringd.service | grep -iq "watchdog timeout"
tap $? "systemd logged the watchdog timeout"
rm /etc/systemd/system/nfqringd.service.d/hang.conf
systemctl daemon-reload
systemctl stop nfqringd.service
journal nfqringd.service | grep -E "watchdog|no progress|hanging|Main process" | sed 's/^/# /' | tail -n 8

nft delete table inet t
ip netns del client
rmmod nfqring
tap $? "nfqring unloads (nothing left bound)"
rm -rf "$T"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
