/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: the engine over sequences of packets, as a worker sees
 * them, with oracles:
 *
 *   - both content matchers (Aho-Corasick, and Hyperscan where built in)
 *     judge the same sequence alike, rewritten bytes included, stream joins
 *     and their per-flow state along;
 *   - a rewrite keeps the length and every byte before the payload but the
 *     checksum, and leaves a checksum that verifies (by the tests' own
 *     checksum code) when it verified before, or in full when the kernel
 *     said CHECKSUM_PARTIAL;
 *   - the packet cut to the copy range, as the kernel hands it over, gets
 *     the verdict of the whole packet or goes to `policy truncated`: a rule
 *     never fails open for bytes the daemon did not ask for;
 *   - every log line (text and JSON) names its rule and verdict.
 *
 * Input: one byte choosing the rule file, then records of 8 bytes that
 * build a packet (family, protocol, ports, flags, sequence number, IPv6
 * extension headers, cut, metadata), each followed by its payload bytes;
 * a record with the top bit of its first byte set takes its bytes as the
 * raw packet instead, for the decoder.
 */
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "nfqr_engine.h"
#include "pkt.h"
#include "pktlog.h"

static const char *const rule_files[] = {
	/* stream joins, contents of both kinds, raw fields, logs */
	"tcp dport 80 @payload content \"GET /admin\" stream drop\n"
	"tcp dport 80 @payload content \"evil\" nocase log prefix \"e: \" accept\n"
	"udp dport 53 @payload content \"ab\" offset 2 depth 4 log drop\n"
	"tcp dport 22 @th,104,8 & 0x02 == 0x02 log drop\n"
	"ip6 saddr 2001:db8::/32 @payload content \"xyz\" depth 20 drop\n"
	"tcp dport 443 @payload content \"tls\" stream log accept\n"
	"meta l4proto udp @payload content \"zz\" meta mark set 0x3\n"
	"meta mark 0x3 log prefix \"m \" drop\n"
	"policy fragment drop\n",
	/* rewrites with checksums */
	"udp dport 10010 payload fill \"h\" accept\n"
	"tcp dport 8080 payload replace \"secret\" \"xxxxxx\" meta mark set 0x1 accept\n"
	"meta l4proto udp @payload content \"zz\" payload replace \"zz\" \"ab\" log\n"
	"@payload content \"ab\" log prefix \"after \" accept\n"
	"icmp type echo-request payload fill \"p\" accept\n"
	"meta l4proto icmpv6 payload replace \"ab\" \"cd\" log accept\n"
	"tcp dport 80 detect payload fill \"q\" drop\n",
	/* bounded windows: the copy range is smaller than the packets */
	"tcp dport 80 @payload content \"EVIL\" depth 100 drop\n"
	"meta l4proto udp @th,352,32 0x45564c21 drop\n"
	"@nh,800,16 0x4142 drop\n"
	"meta l4proto 47 @payload content \"GRE!\" offset 10 depth 50 log drop\n"
	"meta nfproto ipv6 tcp dport 81 @payload content \"x\" depth 1 accept\n"
	"tcp dport 81 drop\n"
	"policy malformed accept\n",
};
#define N_FILES (sizeof(rule_files) / sizeof(rule_files[0]))

struct judge {
	struct nfqr_ruleset *rs;
	struct nfqr_scratch *sc;
};

/* [file][0]: Aho-Corasick, [1]: Hyperscan (or NULL), [2]: AC for the cut packets */
static struct judge J[N_FILES][3];

static struct nfqr_ruleset *load(const char *text, enum nfqr_cm_backend b)
{
	struct nfqr_load_opts o = { .backend = b, .stream_slots = 16 };
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs = nfqr_ruleset_parse("fuzz", text, strlen(text), &o, &d);

	if (!rs && b == NFQR_CM_AHO_CORASICK) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s\n", d.msgs[i]);
		abort();
	}
	nfqr_diag_free(&d);
	return rs;
}

static void setup(void)
{
	for (size_t f = 0; f < N_FILES; f++) {
		J[f][0].rs = load(rule_files[f], NFQR_CM_AHO_CORASICK);
		J[f][1].rs = load(rule_files[f], NFQR_CM_HYPERSCAN);
		J[f][2].rs = load(rule_files[f], NFQR_CM_AHO_CORASICK);
	}
}

/* ---- building packets ---------------------------------------------------- */

struct rec {
	uint8_t kind;       /* bit 7: raw; bits 0-1 family/proto; 2: IPv6; 3-4 ext; 5 atomic; 6 frag */
	uint8_t flags;      /* TCP flags, ICMP type */
	uint8_t port;       /* index into ports[] and the source port */
	uint8_t seq;        /* sequence number step */
	uint8_t cut;        /* capture cut (see below) */
	uint8_t meta;       /* skb_info bits, mark, bad checksum */
	uint16_t plen;      /* payload bytes that follow */
};

static const uint16_t ports[] = { 80, 443, 22, 53, 8080, 10010, 81, 9 };

/* The packet of record r into buf (65535 bytes); returns its length and
 * where its L4 header starts (0: none to check). */
static size_t build(const struct rec *r, const uint8_t *pl, uint32_t *seqs, uint8_t *buf,
		    size_t *l4off, uint8_t *proto)
{
	static uint8_t l4[70000], hdrs[4096];
	static const uint8_t protos[] = { 6, 17, 1, 47 };
	bool v6 = r->kind & 4;
	uint16_t dport = ports[r->port & 7], sport = (uint16_t)(40000 + (r->port >> 3));
	size_t n, len;
	uint8_t first;

	*proto = protos[r->kind & 3];
	if (v6 && *proto == 1)
		*proto = 58;
	switch (*proto) {
	case 6:
		seqs[r->port & 7] += r->seq;
		n = l4_tcp(l4, sport, dport, r->flags, pl, r->plen);
		l4[4] = (uint8_t)(seqs[r->port & 7] >> 24);
		l4[5] = (uint8_t)(seqs[r->port & 7] >> 16);
		l4[6] = (uint8_t)(seqs[r->port & 7] >> 8);
		l4[7] = (uint8_t)seqs[r->port & 7];
		seqs[r->port & 7] += r->plen;
		break;
	case 17:
		n = l4_udp(l4, sport, dport, pl, r->plen);
		break;
	case 47:
		memcpy(l4, pl, r->plen);
		n = r->plen;
		break;
	default:
		n = l4_icmp(l4, v6 ? (r->flags & 1 ? 128 : 129) : (r->flags & 1 ? 8 : 0), 0, pl, r->plen);
	}
	if (!v6) {
		len = pkt_ipv4(buf, "10.0.0.1", "10.0.0.2", *proto, l4, n);
		*l4off = 20;
		if (r->kind & 0x40) {               /* a first or a later fragment */
			buf[6] = r->flags & 1 ? 0x20 : 0x00;
			buf[7] = r->flags & 1 ? 0 : 100;
			*l4off = 0;
		}
	} else {
		size_t e = pkt_ext_chain(hdrs, (r->kind >> 3) & 3 ? (((r->kind >> 3) & 3) * 20u - 1) * 8 : 0,
					 r->kind & 0x20, *proto, &first);

		len = pkt_ipv6(buf, "2001:db8::66", "2001:db8::2", first, hdrs, e, l4, n);
		*l4off = 40 + e;
	}
	if (*l4off && *proto != 47) {
		size_t co = *proto == 6 ? 16 : *proto == 17 ? 6 : 2;

		ref_l4_csum_set(buf, len, *l4off, *proto, *l4off + co);
		if (r->meta & 0x80)
			buf[*l4off + co] ^= 0x5a;   /* arrived with a bad checksum */
	} else {
		*l4off = 0;
	}
	return len;
}

/* ---- oracles ------------------------------------------------------------- */

static bool same_result(const struct nfqr_result *a, const struct nfqr_result *b)
{
	return a->verdict == b->verdict && a->reason == b->reason && a->rule == b->rule &&
	       a->mark_set == b->mark_set && a->mark == b->mark &&
	       a->payload_rewritten == b->payload_rewritten && a->n_log == b->n_log &&
	       a->detect == b->detect;
}

static char line[4096];

/* Every log line names its rule and verdict, in text and in JSON. */
static void check_logs(const struct nfqr_ruleset *rs, const uint8_t *pkt, size_t caplen,
		       const struct nfqr_pkt_meta *m, const struct nfqr_result *res)
{
	for (uint32_t i = 0; i < res->n_log && i < NFQR_MAX_LOG; i++) {
		struct nfqd_pktlog rec;
		FILE *f;
		long n;

		nfqd_pktlog_fill(&rec, rs, res->log_rules[i], pkt, caplen, m, 0, 1, res->verdict,
				 res->reject, 0);
		nfqd_pktlog_detect(&rec, res);
		for (int json = 0; json < 2; json++) {
			f = fmemopen(line, sizeof(line), "w");
			if (!f)
				abort();
			if (json)
				nfqd_pktlog_json(f, &rec, NULL);
			else
				nfqd_pktlog_text(f, &rec, NULL);
			n = ftell(f);
			fclose(f);
			if (n <= 0 || n >= (long)sizeof(line))
				abort();
			line[n] = 0;
			if (!strstr(line, nfqr_ruleset_rule_id(rs, res->log_rules[i])) ||
			    !strstr(line, "verdict") || (json && (line[0] != '{' || line[n - 1] != '}')))
				abort();
		}
	}
}

/* A rewrite kept the length, the headers but the checksum, and left a
 * checksum that verifies when it did before (or always, for CHECKSUM_PARTIAL:
 * computed in full). */
static void check_rewrite(const uint8_t *before, const uint8_t *after, size_t len,
			  size_t l4off, uint8_t proto, const struct nfqr_pkt_meta *m)
{
	struct nfqr_decoded d;
	size_t co;

	nfqr_decode(before, len, m->pkt_len, 0, &d);
	if (d.status != NFQR_DEC_OK || !d.csum_off)
		abort();                          /* rewrites refuse those */
	co = d.csum_off;
	for (size_t i = 0; i < d.payload_off; i++)
		if (before[i] != after[i] && i != co && i != co + 1)
			abort();
	if (!l4off || d.l4_off != l4off)
		return;                           /* a raw packet: no reference */
	if (m->skb_info & NFQA_SKB_CSUMNOTREADY) {
		if (!ref_l4_csum_ok(after, len, l4off, proto))
			abort();
	} else if (ref_l4_csum_ok(before, len, l4off, proto) &&
		   !ref_l4_csum_ok(after, len, l4off, proto) &&
		   !(proto == 17 && !before[co] && !before[co + 1])) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t whole[70000], copy[70000], cut[70000], orig[70000];
	struct nfqr_scratch *sc[3] = { NULL };
	uint32_t seqs[8] = { 0 };
	const struct judge *j;
	size_t f;

	if (!J[0][0].rs)
		setup();
	if (size < 1)
		return 0;
	f = data[0] % N_FILES;
	j = J[f];
	for (int k = 0; k < 3; k++)
		if (j[k].rs && !(sc[k] = nfqr_scratch_new(j[k].rs)))
			abort();
	data++;
	size--;
	for (uint64_t t = 1; size >= 8; t++) {
		struct rec r = { data[0], data[1], data[2], data[3], data[4], data[5],
				 (uint16_t)(data[6] | data[7] << 8) };
		struct nfqr_pkt_meta m = { .now_ns = t * 1000000ull };
		struct nfqr_result res[3];
		size_t len, l4off = 0, caplen;
		uint32_t range = nfqr_ruleset_copy_range(j[0].rs);
		uint8_t proto = 0;

		data += 8;
		size -= 8;
		if (r.plen > size)
			r.plen = (uint16_t)size;
		if (r.plen > 1400 && !(r.kind & 0x80))
			r.plen = 1400;
		if (r.kind & 0x80) {
			len = r.plen;
			memcpy(whole, data, len);
			m.hw_protocol = r.flags & 1 ? 0x0800 : r.flags & 2 ? 0x86DD : 0;
		} else {
			len = build(&r, data, seqs, whole, &l4off, &proto);
		}
		data += r.plen;
		size -= r.plen;
		m.pkt_len = (uint32_t)len;
		m.skb_info = r.meta & (NFQA_SKB_CSUMNOTREADY | NFQA_SKB_GSO);
		m.mark = r.meta & 0x40 ? 3 : 0;
		/* a capture cut by the capture itself (tcpdump -s): both judges alike */
		caplen = r.cut < 0x10 && r.cut * 16u < len ? r.cut * 16u : len;

		memcpy(orig, whole, caplen);
		memcpy(copy, whole, caplen);
		nfqr_eval(j[0].rs, sc[0], whole, caplen, &m, &res[0]);
		if (sc[1]) {
			nfqr_eval(j[1].rs, sc[1], copy, caplen, &m, &res[1]);
			if (!same_result(&res[0], &res[1]) || memcmp(whole, copy, caplen))
				abort();
		}
		if (res[0].payload_rewritten) {
			if (caplen != len)
				abort();
			check_rewrite(orig, whole, len, l4off, proto, &m);
		} else if (memcmp(orig, whole, caplen)) {
			abort();                  /* changed without saying so */
		}
		check_logs(j[0].rs, whole, caplen, &m, &res[0]);
		/* as the kernel hands it over: no more than the copy range */
		memcpy(cut, orig, caplen);
		nfqr_eval(j[2].rs, sc[2], cut, caplen < range ? caplen : range, &m, &res[2]);
		if (res[2].verdict != res[0].verdict && res[2].reason != NFQR_REASON_TRUNCATED)
			abort();
	}
	for (int k = 0; k < 3; k++)
		nfqr_scratch_free(sc[k]);
	return 0;
}
