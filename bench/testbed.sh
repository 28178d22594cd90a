# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# bench/testbed.sh, sourced by guest.sh and patch-stress.sh inside the VM:
# namespace "gen" sends through a veth pair (g0 -> d0) into namespace
# "dut", with kernel pktgen on CPU 0 as the sender.  The caller defines
# die MESSAGE.
#   setup split|rps     the namespaces, once per placement
#   pktgen_setup FAMILY SIZE RATE, pg_start, pg_stop
#   G CMD..., D CMD...  CMD in "gen", in "dut"

G() { ip netns exec gen "$@"; }
D() { ip netns exec dut "$@"; }

# setup PLACEMENT: the namespaces, once per placement (re-creating them for
# every run only cost time: seconds per run under TCG)
setup_done=
setup() {
	[ "$setup_done" = "$1" ] && [ -e /run/netns/gen ] && [ -e /run/netns/dut ] && return 0
	ip netns del gen 2>/dev/null
	ip netns del dut 2>/dev/null
	ip netns add gen && ip netns add dut &&
	ip link add g0 netns gen type veth peer name d0 netns dut &&
	quiet gen g0 && quiet dut d0 &&
	# an empty prerouting chain for the namespace's life: replacing the
	# rules never takes the last hook away (a static key, patched code)
	D nft -f - <<<"table inet keep { chain pre { type filter hook prerouting priority -300; }; }" &&
	G ip link set g0 up && D ip link set d0 up && D ip link set lo up &&
	D ip addr add 10.77.0.2/16 dev d0 && G ip addr add 10.77.0.1/16 dev g0 || die "netns setup"
	D sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.d0.rp_filter=0
	# IPv6 (pktgen's IPv6 cases, the daemon's corpus); the sender knows
	# the receiver's MAC: no neighbour discovery on the way
	local mac
	mac=$(D cat /sys/class/net/d0/address)
	D ip addr add fd77::2/64 dev d0 nodad && G ip addr add fd77::1/64 dev g0 nodad &&
	G ip neigh replace 10.77.0.2 lladdr "$mac" dev g0 nud permanent &&
	G ip neigh replace fd77::2 lladdr "$mac" dev g0 nud permanent || die "IPv6 setup"
	# veth hands packets to netif_rx(), which honours RPS: CPU 1 (mask 2)
	local mask=0
	[ "$1" = rps ] && mask=2
	D sh -c "echo $mask >/sys/class/net/d0/queues/rx-0/rps_cpus" || die "rps_cpus"
	setup_done=$1
}

# quiet NETNS DEV: DEV sends no multicast reports, router solicitations or
# address probes of its own: one such packet lands in a backlog the sender
# fills (a backlog drop that is not the sender's) or in g0's transmit count
# (the daemon's offered figure); either unbalanced the books by a packet
quiet() {
	ip netns exec "$1" nft -f - <<-NFT
	table netdev quiet {
		chain out { type filter hook egress device $2 priority 0;
			icmpv6 type { mld-listener-report, mld2-listener-report, mld-listener-done, nd-router-solicit } drop
			ip protocol igmp drop
			ip6 saddr :: drop	# duplicate address detection
		}
	}
	NFT
}

pg() { G sh -c "echo '$1' >/proc/net/pktgen/$2"; }
# pg_start: pktgen sends (in the background: "start" returns when it is
# stopped; it resets pkts-sofar); pg_stop stops it and waits for that
pg_start() {
	pg start pgctrl &
	pg_pid=$!
}
pg_stop() {
	pg stop pgctrl
	wait "$pg_pid" 2>/dev/null
}

# pktgen_setup FAMILY SIZE RATE (0: as fast as it can); one shell in "gen"
# for all the writes (each exec costs a lot under TCG)
pktgen_setup() {
	local mac cmds
	mac=$(D cat /sys/class/net/d0/address)
	cmds=("kpktgend_0 rem_device_all" "kpktgend_0 add_device g0" "g0 count 0"
		"g0 pkt_size $(($2 - 4))"	# pktgen's size includes the 4-byte FCS
		"g0 delay 0" "g0 dst_mac $mac")
	[ "$3" != 0 ] && cmds+=("g0 ratep $3")
	if [ "$1" = 6 ]; then
		cmds+=("g0 dst6 fd77::2" "g0 src6 fd77::1")
	else
		cmds+=("g0 dst 10.77.0.2" "g0 src_min 10.77.1.1" "g0 src_max 10.77.1.254"
			"g0 flag IPSRC_RND")
	fi
	cmds+=("g0 udp_src_min 1000" "g0 udp_src_max 2000" "g0 udp_dst_min 9" "g0 udp_dst_max 9"
		"g0 flag UDPSRC_RND")
	printf '%s\n' "${cmds[@]}" | G sh -c 'while read -r f c; do
		echo "$c" >"/proc/net/pktgen/$f" || exit 1; done' || die "pktgen: $(G cat /proc/net/pktgen/g0 | tail -n 2)"
}
