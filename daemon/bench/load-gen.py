#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Rule files for the load benchmark (load-bench.sh): the same arguments
always give the same bytes.

    load-gen.py rules N      N plain rules, one per line, then `policy accept`
    load-gen.py set N        one interval set of N IPv4 elements (hosts and
                             prefixes) matched by one rule

Plain rules (shares of N): IPv4 hosts and prefixes by source or destination
address, alone or with a port (55 %), IPv6 prefixes (10 %), ports of TCP and
UDP, single or small sets (15 %), interface, mark and conntrack matches with
a mark or ct mark statement (10 %), rules with a comment (5 %) and content
rules with a depth (5 %): what a big firewall converted to nfqringd holds,
where many rules share a port or a protocol and few share an address.
"""
import sys


def v4(i, base=10):
    return "%d.%d.%d.%d" % (base, (i >> 16) & 255, (i >> 8) & 255, i & 255)


def rules(n):
    out = []
    for i in range(n):
        k = i % 20
        port = 1024 + (i * 7) % 60000
        if k < 6:
            out.append("ip saddr %s drop" % v4(i))
        elif k < 8:
            out.append("ip daddr %s tcp dport %d accept" % (v4(i, 172), port))
        elif k < 10:
            out.append("ip saddr %s/24 udp dport { 53, %d } drop" % (v4(i << 8, 11), port))
        elif k == 10:
            out.append("ip saddr %s/30 ip daddr 192.0.2.0/24 drop" % v4(i << 2, 12))
        elif k == 11:
            out.append("tcp dport %d ip saddr %s drop" % (port, v4(i, 13)))
        elif k < 14:
            out.append("ip6 saddr 2001:db8:%x:%x::/64 drop" % ((i >> 16) & 0xffff, i & 0xffff))
        elif k == 14:
            out.append("tcp dport %d accept" % port)
        elif k == 15:
            out.append("udp dport { %d, %d } drop" % (port, port + 1))
        elif k == 16:
            out.append('iifname "eth%d" meta mark 0x%x meta mark set 0x%x accept'
                       % (i % 8, i & 0xffff, (i + 1) & 0xffff))
        elif k == 17:
            out.append("ct state established ip saddr %s ct mark set 0x%x accept"
                       % (v4(i, 14), i & 0xffff))
        elif k == 18:
            out.append('ip saddr %s drop comment "block %d"' % (v4(i, 15), i))
        else:
            out.append('tcp dport 80 @payload content "needle-%d" depth 256 drop' % i)
    out.append("policy accept")
    return out


def elements(n):
    out = ["set blocklist {", "    type ipv4_addr; flags interval;", "    elements = {"]
    for i in range(n):
        e = v4(i * 4, 10 + (i >> 22))
        out.append("        %s%s," % (e, "/30" if i % 3 == 0 else ""))
    out[-1] = out[-1].rstrip(",")
    out += ["    }", "}", "ip saddr @blocklist drop", "policy accept"]
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("rules", "set"):
        sys.exit(__doc__)
    n = int(sys.argv[2])
    sys.stdout.write("\n".join(rules(n) if sys.argv[1] == "rules" else elements(n)) + "\n")
