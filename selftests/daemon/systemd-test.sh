#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# nfqringd under systemd, inside a VM booted with systemd as PID 1:
#   selftests/vm/vm-run --systemd multi-user.target --mask postgresql.service \
#       -k RELEASE -o OUT -- selftests/daemon/systemd-test.sh
# The shipped unit (dist/systemd/nfqringd.service), pointed at this tree's
# binary by a drop-in, must become active only after READY, when queue 0 is
# bound; reload through ExecReload; stop cleanly (exit 0).  Prints TAP.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NFQRINGD=$TOP/daemon/build/nfqringd
n=0 failed=0
tap() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=$((failed + 1)); fi; }

echo "TAP version 13"
echo "1..7"
modprobe nfqring
mkdir -p /etc/nfqring /etc/systemd/system/nfqringd.service.d
printf 'udp dport 10086 drop comment "d86"\n' >/etc/nfqring/rules.nft
getent group nfqring >/dev/null || groupadd -r nfqring
getent passwd nfqringd >/dev/null || useradd -r -g nfqring -s /usr/sbin/nologin nfqringd
chgrp nfqring /dev/nfqring && chmod 0660 /dev/nfqring	# what the udev rule does
chmod 0644 /etc/nfqring/rules.nft
cp "$TOP/dist/systemd/nfqringd.service" /etc/systemd/system/
cat >/etc/systemd/system/nfqringd.service.d/test.conf <<EOT
[Service]
ExecStartPre=
ExecStartPre=$NFQRINGD --check /etc/nfqring/rules.nft
ExecStart=
ExecStart=$NFQRINGD -c /etc/nfqring/rules.nft --socket /run/nfqringd/nfqringd.sock -q 0
ExecReload=
ExecReload=$NFQRINGD --reload --socket /run/nfqringd/nfqringd.sock
ProtectHome=no
EOT
systemctl daemon-reload
systemctl start nfqringd.service
rc=$?
tap $rc "systemctl start returns success"
[ "$(systemctl show -p ActiveState --value nfqringd.service)" = active ]
tap $? "unit active"
# READY came after the bind: the queue is bound now that start returned
grep -qE '^ +0 ' /proc/net/netfilter/nfnetlink_queue
tap $? "queue 0 bound when the unit became active"
systemctl show -p NotifyAccess -p Type -p User nfqringd.service | sed 's/^/# /'
systemctl reload nfqringd.service
tap $? "systemctl reload (ExecReload: nfqringd --reload)"
journalctl -u nfqringd.service --no-pager | grep -q "reloaded /etc/nfqring/rules.nft"
tap $? "the journal shows the reload"
systemctl stop nfqringd.service
[ "$(systemctl show -p Result --value nfqringd.service)" = success ]
tap $? "stop: result success (exit 0 after draining)"
journalctl -u nfqringd.service --no-pager | sed 's/^/# /' | tail -20
rmmod nfqring
tap $? "module unloads (queue released)"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
