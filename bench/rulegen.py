#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Deterministic generator of a realistic nfqringd rule file and a packet
corpus aimed at it, for the engine benchmark (engine_bench) and the daemon
benchmark's sender (udp_replay).

    rulegen.py -n RULES [-s SEED] [-p PACKETS] [--patterns K] -o PREFIX

writes PREFIX.nft (RULES rule lines, sets and defines, then `policy accept`)
and PREFIX.corpus (the packets).  The same arguments always give the same
bytes.

Rules (shares of RULES): address rules 50 % (IPv4 saddr/daddr prefixes and
hosts, anonymous and named sets, IPv6 prefixes), port rules 25 %, interface
and mark rules, a mark-setting rule without verdict, a few payload rewrites,
and content rules (RULES/10, at most 100, at least 1; some without a port so
that every UDP packet is scanned).  Each rule owns its address blocks, ports
and mark values, so a packet built for rule k can match no other rule, and
packets built for the policy use addresses, ports and payload bytes that no
rule names: the expected verdict of every packet is known.

Corpus format, all integers little-endian:
    header   "NFQRCORP" u32 version (1) u32 count u32 n_ifnames
             n_ifnames x char[16] (interface index i+1, NUL padded)
    record   u32 len  u32 mark  u32 iif (0 = none)  i32 rule (-1 = policy)
             len bytes: an IPv4 or IPv6 packet with correct checksums
`rule` is the index (0-based, in file order) of the rule that must decide the
packet.  Packet mix: about 60 % reach the policy, 15 % address rules, 10 %
port rules, 10 % content rules, 5 % interface/mark/rewrite rules.
"""
import argparse
import ipaddress
import random
import struct
import sys

IFNAMES = ["eth0", "eth1", "eth2", "veth3"]   # iif 1..4; policy traffic: eth0
IF_ETH0, IF_ETH1, IF_ETH2, IF_VETH3 = 1, 2, 3, 4
MARK_FLAG = 0x100                  # set by the mark-setting rule for eth2
PORT_POOL = (20000, 39999)         # every port a rule names comes from here
POLICY_TEXT = "abcdefghijklmnopqrstuvwxyz .,"  # no digit: no pattern fits


class Gen:
    def __init__(self, n, seed, n_patterns):
        self.n = n
        self.rnd = random.Random(seed)
        self.n_patterns = n_patterns
        self.next_port = PORT_POOL[0]
        self.next_v4 = 0               # /24 blocks of 10.0.0.0/8
        self.next_v4d = 0              # /28 blocks of 172.16.0.0/12
        self.next_v6 = 0               # /48 blocks of 2001:db8::/32
        self.next_mark = 0
        self.sets = []                 # named set declarations
        self.rules = []                # (kind, text, packet builder)

    def port(self):
        p = self.next_port
        if p > PORT_POOL[1]:
            raise SystemExit("rulegen: port pool exhausted")
        self.next_port += 1
        return p

    def v4_block(self):
        b = self.next_v4
        self.next_v4 += 1
        return ipaddress.ip_network((10 << 24 | b << 8, 24))

    def v4d_block(self):
        b = self.next_v4d
        self.next_v4d += 1
        return ipaddress.ip_network(((172 << 24 | 16 << 16) + (b << 4), 28))

    def v6_block(self):
        b = self.next_v6
        self.next_v6 += 1
        return ipaddress.ip_network(((0x20010db8 << 96) | (b << 80), 48))

    def rand_in(self, net):
        return net[self.rnd.randrange(net.num_addresses)]

    # ---- rules; each returns (text, function(rnd) -> packet spec) --------
    def addr_rule(self, i):
        r = self.rnd
        kind = r.choice(["anon4", "anon4", "named4", "daddr4", "anon6", "named6"])
        verdict = r.choice(["drop", "drop", "drop", "accept"])
        cnt = " counter" if r.random() < 0.3 else ""
        if kind in ("anon4", "named4"):
            blocks = [self.v4_block() for _ in range(r.randint(1, 4))]
            elems = []                   # (text, network): prefixes and hosts
            for b in blocks:
                if r.random() < 0.3:         # a single host of the rule's own block
                    host = ipaddress.ip_network((int(self.rand_in(b)), 32))
                    elems.append((str(host.network_address), host))
                else:
                    elems.append((str(b), b))
            text_elems = ", ".join(e[0] for e in elems)
            if kind == "named4":
                name = "blk4_%d" % i
                self.sets.append("set %s { type ipv4_addr; flags interval; elements = { %s } }"
                                 % (name, text_elems))
                match = "ip saddr @%s" % name
            else:
                match = "ip saddr { %s }" % text_elems
            nets = [e[1] for e in elems]
            return ("%s%s %s" % (match, cnt, verdict),
                    lambda rr: dict(fam=4, src=self.rand_in(rr.choice(nets))))
        if kind == "daddr4":
            b = self.v4d_block()
            ports = sorted(self.port() for _ in range(r.randint(1, 3)))
            proto = r.choice(["udp", "tcp"])
            return ("ip daddr %s %s dport { %s }%s %s"
                    % (b, proto, ", ".join(map(str, ports)), cnt, verdict),
                    lambda rr: dict(fam=4, dst=self.rand_in(b), proto=proto,
                                    dport=rr.choice(ports)))
        blocks = [self.v6_block() for _ in range(r.randint(1, 3))]
        text_elems = ", ".join(map(str, blocks))
        if kind == "named6":
            name = "blk6_%d" % i
            self.sets.append("set %s { type ipv6_addr; flags interval; elements = { %s } }"
                             % (name, text_elems))
            match = "ip6 saddr @%s" % name
        else:
            match = "ip6 saddr { %s }" % text_elems
        return ("%s%s %s" % (match, cnt, verdict),
                lambda rr: dict(fam=6, src=self.rand_in(rr.choice(blocks))))

    def port_rule(self, i):
        r = self.rnd
        kind = r.choice(["udp", "tcp", "th", "range", "sport"])
        verdict = r.choice(["drop", "accept"])
        if kind == "range":
            lo = self.port()
            hi = lo
            for _ in range(r.randint(1, 7)):
                hi = self.port()
            p1 = self.port()
            return ("udp dport { %d-%d, %d } %s" % (lo, hi, p1, verdict),
                    lambda rr: dict(proto="udp", dport=rr.choice([rr.randint(lo, hi), p1])))
        if kind == "sport":
            p = self.port()
            return ("udp sport %d %s" % (p, verdict),
                    lambda rr: dict(proto="udp", sport=p))
        ports = [self.port() for _ in range(r.randint(1, 4))]
        ptext = str(ports[0]) if len(ports) == 1 else "{ %s }" % ", ".join(map(str, ports))
        proto = "udp" if kind == "th" else kind
        if kind == "th":
            proto = r.choice(["udp", "tcp"])
        return ("%s dport %s %s" % (kind, ptext, verdict),
                lambda rr: dict(proto=proto, dport=rr.choice(ports)))

    def iface_rule(self, i):
        r = self.rnd
        p = self.port()
        kind = r.choice(["iif", "veth", "mark", "flag"])
        if kind == "iif":
            return ('iifname "eth1" udp dport %d accept' % p,
                    lambda rr: dict(proto="udp", dport=p, iif=IF_ETH1))
        if kind == "veth":
            return ('iifname "veth*" th dport %d drop' % p,
                    lambda rr: dict(proto=rr.choice(["udp", "tcp"]), dport=p, iif=IF_VETH3))
        if kind == "flag":    # sees the mark the mark-setting rule gave eth2 packets
            return ("meta mark & 0x%x == 0x%x udp dport %d accept" % (MARK_FLAG, MARK_FLAG, p),
                    lambda rr: dict(proto="udp", dport=p, iif=IF_ETH2))
        self.next_mark += 1
        m = 0x10000 + self.next_mark
        return ("meta mark 0x%x drop" % m, lambda rr: dict(mark=m))

    def rewrite_rule(self, i):
        p = self.port()
        return ('udp dport %d payload replace "secret" "XXXXXX" accept' % p,
                lambda rr: dict(proto="udp", dport=p, text="a secret for you, secret."))

    def pattern(self, k):
        r = self.rnd
        word = "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(4, 10)))
        return r.choice(["X-Attack-%s-%d", "GET /%s.php?id=%d", "%s%d/bin/sh",
                         "cmd=%s%d", "SELECT %s%d FROM"]) % (word, k)

    def content_rule(self, i, k):
        r = self.rnd
        pat = self.pattern(k)
        hits = k % 4 == 0                 # a quarter of the patterns occur in the corpus
        kind = r.choice(["udp", "udp", "tcpport", "window", "hex"])
        if kind == "udp":                 # no port: every UDP packet is scanned
            text = 'meta l4proto udp @payload content "%s" drop' % pat
            spec = lambda rr: dict(proto="udp", text=self.with_pattern(rr, pat))
        elif kind == "tcpport":
            p = self.port()
            text = 'tcp dport %d @payload content "%s" nocase drop' % (p, pat)
            spec = lambda rr: dict(proto="tcp", dport=p, text=self.with_pattern(rr, pat.upper()))
        elif kind == "window":
            text = '@payload content "%s" offset 0 depth 256 drop' % pat
            spec = lambda rr: dict(proto=rr.choice(["udp", "tcp"]),
                                   text=self.with_pattern(rr, pat, before=64))
        else:
            p = self.port()
            text = "udp dport %d @payload content 0x%s accept" % (p, pat.encode().hex())
            spec = lambda rr: dict(proto="udp", dport=p, text=self.with_pattern(rr, pat))
        return text, (spec if hits else None)

    def with_pattern(self, rr, pat, before=200):
        return self.filler(rr, rr.randint(0, before)) + pat + self.filler(rr, rr.randint(0, 200))

    @staticmethod
    def filler(rr, n):
        return "".join(rr.choice(POLICY_TEXT) for _ in range(n))

    # ---- the file -------------------------------------------------------
    def build(self):
        n, r = self.n, self.rnd
        n_content = self.n_patterns
        n_rewrite = max(1, min(5, n // 1000))
        n_iface = max(1, n // 20)
        n_port = max(1, n // 4)
        n_addr = n - 1 - n_content - n_rewrite - n_iface - n_port
        if n_addr < 1:
            raise SystemExit("rulegen: too few rules for the mix")
        kinds = (["addr"] * n_addr + ["port"] * n_port + ["iface"] * n_iface +
                 ["rewrite"] * n_rewrite + ["content"] * n_content)
        r.shuffle(kinds)
        # the mark-setting rule (no verdict) comes first: later rules see its mark
        self.rules.append(("markset",
                           'iifname "eth2" meta mark set meta mark | 0x%x' % MARK_FLAG, None))
        k = 0
        for i, kind in enumerate(kinds):
            if kind == "content":
                text, spec = self.content_rule(i, k)
                k += 1
            else:
                text, spec = getattr(self, kind + "_rule")(i)
            self.rules.append((kind, '%s comment "%s-%d"' % (text, kind, i), spec))

    def rule_file(self, args):
        out = ["# nfqringd benchmark rules: rulegen.py %s" % args,
               "# %d rules; every rule owns its addresses and ports" % len(self.rules)]
        out += self.sets
        out += [t for _, t, _ in self.rules]
        out.append("policy accept")
        return "\n".join(out) + "\n"

    # ---- packets --------------------------------------------------------
    def policy_spec(self, rr):
        fam = 4 if rr.random() < 0.7 else 6
        return dict(fam=fam, proto="tcp" if rr.random() < 0.3 else "udp",
                    text=self.filler(rr, rr.choice([16, 64, 200, 512, rr.randint(1, 1200)])))

    def packet(self, rr, spec, rule):
        s = self.policy_spec(rr)
        s.update({k: v for k, v in spec.items() if v is not None})
        fam = s["fam"]
        if "src" in spec:
            fam = spec["src"].version
        if "dst" in spec:
            fam = spec["dst"].version
        if fam == 4:
            src = s.get("src") or ipaddress.ip_address((198 << 24 | 18 << 16) + rr.randrange(1 << 17))
            dst = s.get("dst") or ipaddress.ip_address("203.0.113.%d" % rr.randint(1, 254))
        else:
            src = s.get("src") or ipaddress.ip_address((0x2001_0db9 << 96) + rr.randrange(1 << 64))
            dst = s.get("dst") or ipaddress.ip_address("2001:db9:ffff::%x" % rr.randint(1, 0xfff))
        sport = s.get("sport") or rr.randint(40000, 60999)
        dport = s.get("dport") or rr.choice([53, 80, 123, 443, 8080, rr.randint(1024, 19999)])
        payload = s["text"].encode()
        pkt = build_packet(src, dst, s["proto"], sport, dport, payload, rr)
        return dict(pkt=pkt, mark=s.get("mark", 0), iif=s.get("iif", IF_ETH0), rule=rule)

    def corpus(self, count):
        rr = random.Random(self.rnd.random())
        by_kind = {}
        for idx, (kind, _, spec) in enumerate(self.rules):
            if spec:
                by_kind.setdefault(kind, []).append((idx, spec))
        mix = [("policy", 0.60), ("addr", 0.15), ("port", 0.10), ("content", 0.10),
               ("iface", 0.04), ("rewrite", 0.01)]
        pkts = []
        for _ in range(count):
            x, kind = rr.random(), "policy"
            for kind, share in mix:
                if x < share:
                    break
                x -= share
            if kind == "policy" or kind not in by_kind:
                pkts.append(self.packet(rr, {}, -1))
                continue
            idx, spec = rr.choice(by_kind[kind])
            pkts.append(self.packet(rr, spec(rr), idx))
        return pkts


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def build_packet(src, dst, proto, sport, dport, payload, rr):
    pnum = 6 if proto == "tcp" else 17
    if proto == "tcp":
        l4 = struct.pack("!HHIIBBHHH", sport, dport, rr.getrandbits(32), rr.getrandbits(32),
                         5 << 4, 0x18, 65535, 0, 0) + payload
        coff = 16
    else:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        coff = 6
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, pnum, len(l4))
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(l4), pnum)
    c = 0xffff - csum(pseudo + l4)
    if c == 0 and pnum == 17:
        c = 0xffff
    l4 = l4[:coff] + struct.pack("!H", c) + l4[coff + 2:]
    if src.version == 4:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), rr.getrandbits(16), 0x4000,
                          64, pnum, 0, src.packed, dst.packed)
        hdr = hdr[:10] + struct.pack("!H", 0xffff - csum(hdr)) + hdr[12:]
    else:
        hdr = struct.pack("!IHBB16s16s", 6 << 28, len(l4), pnum, 64, src.packed, dst.packed)
    return hdr + l4


def write_corpus(path, pkts):
    with open(path, "wb") as f:
        f.write(b"NFQRCORP" + struct.pack("<III", 1, len(pkts), len(IFNAMES)))
        for name in IFNAMES:
            f.write(name.encode().ljust(16, b"\0"))
        for p in pkts:
            f.write(struct.pack("<IIIi", len(p["pkt"]), p["mark"], p["iif"], p["rule"]))
            f.write(p["pkt"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--rules", type=int, required=True)
    ap.add_argument("-s", "--seed", type=int, default=6)
    ap.add_argument("-p", "--packets", type=int, default=4096)
    ap.add_argument("--patterns", type=int, default=None,
                    help="content rules (default: rules/10, 1 to 100)")
    ap.add_argument("-o", "--output", required=True, help="PREFIX for PREFIX.nft, PREFIX.corpus")
    a = ap.parse_args()
    n_pat = a.patterns if a.patterns is not None else max(1, min(100, a.rules // 10))
    g = Gen(a.rules, a.seed, n_pat)
    g.build()
    with open(a.output + ".nft", "w") as f:
        f.write(g.rule_file("-n %d -s %d -p %d --patterns %d" % (a.rules, a.seed, a.packets, n_pat)))
    write_corpus(a.output + ".corpus", g.corpus(a.packets))
    print("%s.nft: %d rules (%d content); %s.corpus: %d packets"
          % (a.output, len(g.rules), n_pat, a.output, a.packets), file=sys.stderr)


if __name__ == "__main__":
    main()
