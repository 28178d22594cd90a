/* SPDX-License-Identifier: GPL-2.0-only */
/* The bit-vector classifier (with content matching) against a brute-force
 * reference that walks the rules one by one, on random rule sets. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "nfqr_engine.h"
#include "naive_content.h"
#include "nftctx.h"
#include "pkt.h"
#include "ruleset.h"
#include "tap.h"

static unsigned rnd(unsigned n) { return (unsigned)rand() % n; }

static void addr4(char *b, size_t cap)
{
	static const unsigned lens[] = { 8, 16, 22, 24, 28, 30, 32 };

	snprintf(b, cap, "10.%u.%u.%u/%u", rnd(2), rnd(4), rnd(256), lens[rnd(7)]);
}

static void gen_match(char *out, size_t cap)
{
	char a[40], b[40], c[64];
	const char *neg = rnd(4) == 0 ? "!= " : "";

	switch (rnd(16)) {
	case 0: addr4(a, sizeof(a)); snprintf(out, cap, "ip saddr %s%s", neg, a); break;
	case 1: addr4(a, sizeof(a)); addr4(b, sizeof(b));
		snprintf(out, cap, "ip daddr %s{ %s, %s }", neg, a, b); break;
	case 2: snprintf(out, cap, "ip saddr 10.0.%u.0-10.0.%u.255", rnd(2), 2 + rnd(2)); break;
	case 3: snprintf(out, cap, "ip6 saddr %s2001:db8::%x/%u", neg, rnd(16), 120 + rnd(9)); break;
	case 4: snprintf(out, cap, "%s dport %s%u", (const char *[]){ "tcp", "udp", "th" }[rnd(3)], neg, rnd(40)); break;
	case 5: { unsigned lo = rnd(40); snprintf(out, cap, "th sport %s%u-%u", neg, lo, lo + rnd(10)); break; }
	case 6: snprintf(out, cap, "tcp dport { %u, %u-%u }", rnd(40), 10 + rnd(5), 20 + rnd(5)); break;
	case 7: snprintf(out, cap, "meta l4proto %s%s", neg, (const char *[]){ "tcp", "udp", "icmp", "{ tcp, icmp }" }[rnd(4)]); break;
	case 8: { unsigned m = (const unsigned[]){ 0xf, 0xf0, 0xff }[rnd(3)];
		snprintf(out, cap, "meta mark & 0x%x %s0x%x", m, neg, rnd(256) & m); break; }
	case 9: snprintf(out, cap, "meta length %s %u", (const char *[]){ "<", ">", "<=", ">=" }[rnd(4)], 40 + rnd(40)); break;
	case 10: snprintf(out, cap, "%s", (const char *[]){ "tcp flags syn / syn,ack", "tcp flags & (fin|rst) != 0",
			"tcp flags syn", "icmp type echo-request", "icmp type != 3", "tcp flags { ack, syn|ack }" }[rnd(6)]); break;
	case 11: snprintf(out, cap, "%s", (const char *[]){ "ct state established", "ct state new,related",
			"ct state != invalid", "ct state { invalid, new }", "ct state & (established|related) != 0",
			"ct direction reply", "ct direction != original" }[rnd(7)]); break;
	case 12: { unsigned lo = rnd(3) * 500;
		snprintf(out, cap, "meta %s %s%u-%u", rnd(2) ? "skuid" : "skgid", neg, lo, lo + rnd(600)); break; }
	case 13: snprintf(out, cap, "@th,%u,%u %s%u", (const unsigned[]){ 0, 16, 4, 13 }[rnd(4)], 8 + rnd(2) * 8, neg, rnd(45)); break;
	case 14: snprintf(out, cap, "@nh,%u,8 & 0x%x %s0x%x", (const unsigned[]){ 72, 96, 128, 152, 160 }[rnd(5)],
			  0xf0u, neg, (rnd(16) << 4)); break;
	default:
		{
			unsigned i, n = 1 + rnd(3);

			for (i = 0; i < n; i++)
				c[i] = "abAB"[rnd(4)];
			c[n] = 0;
		}
		snprintf(out, cap, "@payload content \"%s\"%s%s", c, rnd(3) == 0 ? " nocase" : "",
			 rnd(3) == 0 ? " offset 1 depth 8" : "");
		break;
	}
}

static char *gen_rules(unsigned n)
{
	size_t cap = (size_t)n * 200 + 64, len = 0;
	char *t = malloc(cap);

	for (unsigned r = 0; r < n; r++) {
		unsigned k = 1 + rnd(3), i;
		char m[256];
		/* match-only payload rules come first on the line, as the syntax wants */
		struct nftctx ctx = { 0, 0 };

		for (i = 0; i < k; i++) {
			gen_match(m, sizeof(m));
			if (nftctx_take(&ctx, m))	/* not after another protocol */
				len += (size_t)snprintf(t + len, cap - len, "%s ", m);
		}
		len += (size_t)snprintf(t + len, cap - len, "%s\n",
					(const char *[]){ "accept", "drop", "counter", "queue num 100" }[rnd(4)]);
	}
	return t;
}

static size_t gen_packet(uint8_t *buf)
{
	uint8_t l4[128];
	char pay[24], src[64], dst[64];
	size_t pl = rnd(12), l, n;
	unsigned proto = (const unsigned[]){ 6, 17, 1 }[rnd(3)];

	for (size_t i = 0; i < pl; i++)
		pay[i] = "abAB"[rnd(4)];
	if (proto == 6)
		l = l4_tcp(l4, (uint16_t)rnd(50), (uint16_t)rnd(45), (uint8_t)rnd(64), pay, pl);
	else if (proto == 17)
		l = l4_udp(l4, (uint16_t)rnd(50), (uint16_t)rnd(45), pay, pl);
	else
		l = l4_icmp(l4, (uint8_t)(rnd(2) ? 8 : 3), 0, pay, pl);
	if (rnd(5) == 0) {
		snprintf(src, sizeof(src), "2001:db8::%x", rnd(20));
		return pkt_ipv6(buf, src, "2001:db8::1", (uint8_t)(proto == 1 ? 58 : proto), NULL, 0, l4, l);
	}
	snprintf(src, sizeof(src), "10.%u.%u.%u", rnd(2), rnd(4), rnd(256));
	snprintf(dst, sizeof(dst), "10.%u.%u.%u", rnd(2), rnd(4), rnd(256));
	n = pkt_ipv4(buf, src, dst, (uint8_t)proto, l4, l);
	return n;
}

/*
 * Rules and packets over the whole width of each field, drawn from the same
 * few values and their neighbours so that packets land on interval edges:
 * 0 and the maximum, prefixes /0 to /128, IPv6 edges on both sides of bit
 * 64, ports 0 and 65535, marks with the top bit set.
 */
static const char *const wide4[] = {
	"0.0.0.0", "0.0.0.1", "9.255.255.255", "10.0.0.0", "10.0.0.1", "127.255.255.255",
	"128.0.0.0", "128.0.0.1", "192.168.1.1", "255.255.255.254", "255.255.255.255",
};
static const char *const wide6[] = {
	"::", "::1", "::ffff:ffff:ffff:ffff", "0:0:0:1::", "0:0:0:1::1", "2001:db8::",
	"2001:db8::1", "2001:db8:0:0:8000::", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	"8000::", "ffff:ffff:ffff:ffff::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
	"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
};
static const unsigned wide_ports[] = { 0, 1, 2, 1023, 1024, 32767, 32768, 65533, 65534, 65535 };
static const unsigned wide_marks[] = { 0, 1, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff };

#define PICK(a) (a)[rnd(sizeof(a) / sizeof((a)[0]))]

static void gen_wide_match(char *out, size_t cap)
{
	/* mostly long prefixes, so that the first match is not always an early rule */
	static const unsigned len4[] = { 0, 1, 16, 24, 31, 32, 32, 32 };
	static const unsigned len6[] = { 0, 1, 63, 64, 65, 127, 128, 128, 128 };
	const char *neg = rnd(8) == 0 ? "!= " : "";
	unsigned a = PICK(wide_ports), b = PICK(wide_ports);

	switch (rnd(9)) {
	case 7: snprintf(out, cap, "@th,0,32 %s0x%x", neg, a << 16 | b); break;
	case 8: snprintf(out, cap, "@th,16,16 %s%u-%u", neg, a < b ? a : b, a < b ? b : a); break;
	case 0: snprintf(out, cap, "ip saddr %s%s/%u", neg, PICK(wide4), PICK(len4)); break;
	case 1: snprintf(out, cap, "ip daddr %s{ %s/%u, %s }", neg, PICK(wide4), PICK(len4), PICK(wide4)); break;
	case 2: snprintf(out, cap, "ip6 saddr %s%s/%u", neg, PICK(wide6), PICK(len6)); break;
	case 3: snprintf(out, cap, "ip6 daddr %s{ %s/%u, %s }", neg, PICK(wide6), PICK(len6), PICK(wide6)); break;
	case 4: snprintf(out, cap, "th dport %s%u-%u", neg, a < b ? a : b, a < b ? b : a); break;
	case 5: snprintf(out, cap, "th sport %s{ %u, %u }", neg, a, b); break;
	default: snprintf(out, cap, "meta mark %s0x%x", neg, PICK(wide_marks)); break;
	}
}

static char *gen_wide_rules(unsigned n)
{
	size_t cap = (size_t)n * 240 + 64, len = 0;
	char *t = malloc(cap);

	for (unsigned r = 0; r < n; r++) {
		unsigned k = 2 + rnd(2);
		struct nftctx ctx = { 0, 0 };
		char m[256];

		for (unsigned i = 0; i < k; i++) {
			gen_wide_match(m, sizeof(m));
			if (nftctx_take(&ctx, m))	/* not after another protocol */
				len += (size_t)snprintf(t + len, cap - len, "%s ", m);
		}
		len += (size_t)snprintf(t + len, cap - len, "%s\n", rnd(2) ? "accept" : "drop");
	}
	return t;
}

static size_t gen_wide_packet(uint8_t *buf, uint32_t *mark)
{
	uint8_t l4[64];
	size_t l = l4_udp(l4, (uint16_t)PICK(wide_ports), (uint16_t)PICK(wide_ports), "x", 1);

	*mark = PICK(wide_marks);
	if (rnd(2))
		return pkt_ipv6(buf, PICK(wide6), PICK(wide6), 17, NULL, 0, l4, l);
	return pkt_ipv4(buf, PICK(wide4), PICK(wide4), 17, l4, l);
}

/* Brute force: every rule in order, every predicate by itself. */
static int32_t reference(const struct nfqr_ruleset *rs, const uint8_t *buf, size_t n,
			 const struct nfqr_pkt_meta *m)
{
	struct nfqr_decoded d;
	struct nfqr_view v = { 0 };

	nfqr_decode(buf, n, m->pkt_len, 0, &d);
	v.d = &d;
	v.meta = m;
	v.mark = m->mark;
	v.pkt = buf;
	v.ct_present = m->ct_present;
	for (uint32_t r = 0; r < rs->n_rules; r++) {
		const struct nfqr_rule *rule = &rs->rules[r];
		bool match = true;

		for (uint32_t i = 0; i < rule->n_preds && match; i++) {
			struct nfqr_key k;

			match = nfqr_field_key(rule->preds[i].field, rule->preds[i].arg, &v, &k) &&
				nfqr_pred_match(&rule->preds[i], k);
		}
		for (uint32_t i = 0; i < rule->n_content && match; i++)
			match = naive_content(&rs->patterns[rule->content[i]], buf + d.payload_off,
					      d.end - d.payload_off);
		if (match && rule->verdict.kind != NFQR_V_NONE)
			return (int32_t)r;
	}
	return -1;
}

/*
 * Every rule the classifier lists for a packet, not only the first: rules
 * of the wide sets have no content, so the lists must equal the rules
 * whose predicates all hold.  Returns the number of packets that differ.
 */
static unsigned compare_lists(const struct nfqr_ruleset *rs, const uint8_t *buf, size_t n,
			      const struct nfqr_pkt_meta *m, struct nfqr_cls_scratch *cs, uint32_t *out)
{
	struct nfqr_decoded d;
	struct nfqr_view v = { 0 };
	uint32_t got, k = 0, r;

	nfqr_decode(buf, n, m->pkt_len, 0, &d);
	v.d = &d;
	v.meta = m;
	v.mark = m->mark;
	v.pkt = buf;
	v.ct_present = m->ct_present;
	got = nfqr_classifier_match(rs->cls, cs, &v, out);
	for (r = 0; r < rs->n_rules; r++) {
		const struct nfqr_rule *rule = &rs->rules[r];
		bool match = true;

		for (uint32_t i = 0; i < rule->n_preds && match; i++) {
			struct nfqr_key key;

			match = nfqr_field_key(rule->preds[i].field, rule->preds[i].arg, &v, &key) &&
				nfqr_pred_match(&rule->preds[i], key);
		}
		if (!match)
			continue;
		if (k >= got || out[k] != r)
			return 1;
		k++;
	}
	return k != got;
}

static void compare(unsigned n_rules, unsigned n_packets, enum nfqr_cm_backend be, bool wide)
{
	char *text = wide ? gen_wide_rules(n_rules) : gen_rules(n_rules);
	struct nfqr_load_opts o = { .backend = be };
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs = nfqr_ruleset_parse("random", text, strlen(text), &o, &d);
	struct nfqr_scratch *sc;
	struct nfqr_cls_scratch *cs = NULL;
	uint32_t *lists = NULL;
	unsigned bad = 0, bad_lists = 0, decided = 0;
	uint8_t buf[256];

	if (!ok(rs != NULL, "%u random rules load", n_rules)) {
		for (size_t i = 0; i < d.n && i < 3; i++)
			printf("#   %s\n", d.msgs[i]);
		nfqr_diag_free(&d);
		free(text);
		return;
	}
	sc = nfqr_scratch_new(rs);
	if (wide) {
		cs = nfqr_classifier_scratch_new(rs->cls);
		lists = calloc(rs->n_rules + 1, sizeof(*lists));
	}
	for (unsigned i = 0; i < n_packets; i++) {
		uint32_t mark = rnd(256);
		size_t n = wide ? gen_wide_packet(buf, &mark) : gen_packet(buf);
		struct nfqr_pkt_meta m = { .pkt_len = (uint32_t)n, .mark = mark };

		/* conntrack and socket: sometimes absent, ctinfo 0-4 */
		m.ct_present = rnd(3) != 0;
		m.ct_info_present = m.ct_present;
		m.ct_info = (uint8_t)rnd(5);
		m.uid_present = rnd(3) != 0;
		m.gid_present = m.uid_present;
		m.uid = rnd(1600);
		m.gid = rnd(1600);
		struct nfqr_result res;
		int32_t want = reference(rs, buf, n, &m);

		nfqr_eval(rs, sc, buf, n, &m, &res);
		if (res.rule != want && bad++ < 3)
			printf("#   packet %u: classifier rule %d, reference %d\n", i, res.rule, want);
		decided += want >= 0;
		if (wide)
			bad_lists += compare_lists(rs, buf, n, &m, cs, lists);
	}
	ok(decided > n_packets / 10, "%u rules: packets decided by rules: %u of %u", n_rules, decided, n_packets);
	is_int(bad, 0, "%u rules (%s): classifier agrees with brute force on %u packets",
	       n_rules, nfqr_ruleset_backend(rs), n_packets);
	if (wide)
		is_int(bad_lists, 0, "%u wide rules: every matching rule listed for %u packets",
		       n_rules, n_packets);
	nfqr_classifier_scratch_free(cs);
	free(lists);
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
	free(text);
}

static double ns_per_packet(unsigned n_rules)
{
	char *text;
	size_t len = 0, cap = (size_t)n_rules * 64 + 64;
	struct nfqr_ruleset *rs;
	struct nfqr_scratch *sc;
	struct nfqr_diag d = { 0 };
	uint8_t pk[8][256];
	size_t pn[8];
	struct timespec a, b;
	enum { ITER = 200000 };

	text = malloc(cap);
	/* realistic shape: host/prefix blocks and port rules, none hit */
	for (unsigned r = 0; r < n_rules; r++)
		len += (size_t)snprintf(text + len, cap - len, r % 2 ? "ip saddr 172.%u.%u.0/24 drop\n"
					: "tcp dport %u ip daddr 172.%u.0.0/16 accept\n",
					16 + r % 16, (r / 16) % 256);
	rs = nfqr_ruleset_parse("bench", text, len, NULL, &d);
	free(text);
	if (!rs)
		return -1;
	sc = nfqr_scratch_new(rs);
	for (int i = 0; i < 8; i++)
		pn[i] = gen_packet(pk[i]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < ITER; i++) {
		struct nfqr_pkt_meta m = { .pkt_len = (uint32_t)pn[i & 7] };
		struct nfqr_result r;

		nfqr_eval(rs, sc, pk[i & 7], pn[i & 7], &m, &r);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
	return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / ITER;
}

/* The classifier of n host rules (a class each in their dimension). */
static size_t bytes_for(unsigned n)
{
	size_t len = 0, cap = (size_t)n * 64 + 64, b;
	char *text = malloc(cap);
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs;

	for (unsigned r = 0; r < n; r++)
		len += (size_t)snprintf(text + len, cap - len, "ip saddr 10.%u.%u.%u %s\n",
					r >> 16, (r >> 8) & 255, r & 255, r % 3 ? "drop" : "accept");
	rs = nfqr_ruleset_parse("scale", text, len, NULL, &d);
	free(text);
	nfqr_diag_free(&d);
	b = rs ? nfqr_classifier_bytes(rs->cls) : 0;
	nfqr_ruleset_free(rs);
	return b;
}

/* Memory grows with the rules, not with their square (issue 21: class bit
 * vectors of n bits each, one class per host, made 40,000 rules 446 MB). */
static void test_scaling(void)
{
	size_t a = bytes_for(2000), b = bytes_for(16000);

	printf("# classifier: %zu bytes for 2,000 host rules, %zu for 16,000\n", a, b);
	ok(a && b && b < 12 * a, "8x the rules, less than 12x the memory (%.1fx)", (double)b / (double)a);
	ok(b < 16000u * 200, "under 200 bytes per rule for 16,000 (%zu)", b / 16000);
}

int main(void)
{
	srand(1234);
	test_scaling();
	compare(10, 3000, NFQR_CM_AUTO, false);
	compare(100, 3000, NFQR_CM_AUTO, false);
	compare(1000, 2000, NFQR_CM_AUTO, false);
	compare(300, 2000, NFQR_CM_AHO_CORASICK, false);
	compare(20, 3000, NFQR_CM_AUTO, true);
	compare(400, 3000, NFQR_CM_AUTO, true);
	{
		double t10 = ns_per_packet(10), t10k = ns_per_packet(10000);

		printf("# cost per packet: %.0f ns with 10 rules, %.0f ns with 10000 rules\n", t10, t10k);
		/* a linear scan would be ~1000x; bit vectors grow only by n/64 words */
		ok(t10 > 0 && t10k > 0 && t10k < 20 * t10 + 2000,
		   "10,000 rules cost within 20x of 10 rules (%.0f vs %.0f ns)", t10k, t10);
	}
	return tap_done();
}
