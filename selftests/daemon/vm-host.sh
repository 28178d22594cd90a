# SPDX-License-Identifier: GPL-2.0
# Sourced inside a VM booted with systemd as PID 1 (make demo,
# systemd-test.sh).  Needs TOP, the tree.
#
#   nfqr_vm_install SOCKET   what `make install` gives a host: the sysusers
#       file, the udev rule (applied to /dev/nfqring, nfqring loaded), the
#       shipped unit with a drop-in pointing it at this tree's binary (/usr
#       is read-only in the VM), control socket SOCKET.  The rule file
#       /etc/nfqring/rules.nft is the caller's.
#   nfqr_vm_client   namespace "client": veth1 172.31.0.2/24, joined to
#       veth0 172.31.0.1/24 in this namespace

nfqr_vm_install() {
	local bin=$TOP/daemon/build/nfqringd sock=$1

	systemd-sysusers "$TOP/dist/systemd/nfqringd.sysusers" &&
	cp "$TOP/dist/udev/60-nfqring.rules" /etc/udev/rules.d/ &&
	udevadm control --reload &&
	modprobe nfqring &&
	udevadm trigger --action=add --sysname-match=nfqring &&
	udevadm settle &&
	mkdir -p /etc/nfqring /etc/systemd/system/nfqringd.service.d &&
	cp "$TOP/dist/systemd/nfqringd.service" /etc/systemd/system/ &&
	cat >/etc/systemd/system/nfqringd.service.d/tree.conf <<-EOF &&
	[Service]
	ExecStartPre=
	ExecStartPre=-+/sbin/modprobe -q nfqring
	ExecStartPre=$bin --check /etc/nfqring/rules.nft \$NFQRINGD_OPTS
	ExecStart=
	ExecStart=$bin -c /etc/nfqring/rules.nft --socket $sock \$NFQRINGD_OPTS
	ExecReload=
	ExecReload=$bin --reload --socket $sock
	EOF
	systemctl daemon-reload
}

nfqr_vm_client() {
	ip netns add client &&
	ip link add veth0 type veth peer name veth1 netns client &&
	ip addr add 172.31.0.1/24 dev veth0 &&
	ip link set veth0 up &&
	ip -n client link set lo up &&
	ip -n client addr add 172.31.0.2/24 dev veth1 &&
	ip -n client link set veth1 up
}
