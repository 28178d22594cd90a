/* SPDX-License-Identifier: GPL-2.0-only */
/* End-to-end evaluation: rule text + packet bytes + metadata -> result. */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "nfqr_engine.h"
#include "naive_content.h"
#include "nftctx.h"
#include "pkt.h"
#include "ruleset.h"
#include "tap.h"

/* Test hook in eval.c: payloads the content matcher scanned. */
uint64_t nfqr_scratch_content_scans(const struct nfqr_scratch *sc);

static uint8_t buf[2048], l4[1024];

static struct nfqr_ruleset *load(const char *text)
{
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs = nfqr_ruleset_parse("t.nft", text, strlen(text), NULL, &d);

	for (size_t i = 0; i < d.n; i++)
		printf("# %s\n", d.msgs[i]);
	nfqr_diag_free(&d);
	return rs;
}

static struct nfqr_pkt_meta meta(size_t len)
{
	struct nfqr_pkt_meta m = { 0 };

	m.pkt_len = (uint32_t)len;
	return m;
}

static size_t udp4(const char *src, uint16_t dport, const char *payload)
{
	size_t n = pkt_ipv4(buf, src, "192.0.2.100", 17, l4,
			    l4_udp(l4, 5555, dport, payload, strlen(payload)));

	ref_l4_csum_set(buf, n, 20, 17, 26);
	return n;
}

static size_t tcp4(uint16_t dport, const char *payload)
{
	size_t n = pkt_ipv4(buf, "198.51.100.1", "192.0.2.100", 6, l4,
			    l4_tcp(l4, 40000, dport, 0x18, payload, strlen(payload)));

	ref_l4_csum_set(buf, n, 20, 6, 36);
	return n;
}

static const char example[] =
	"define blocked4 = { 10.0.0.0/8, 192.0.2.7 }\n"
	"define blocked6 = { 2001:db8::/32 }\n"
	"udp dport 10086 drop\n"
	"udp dport 10010 payload fill \"h\" accept\n"
	"ip saddr $blocked4 drop\n"
	"ip6 saddr $blocked6 drop\n"
	"tcp dport { 22, 8000-8099 } @payload content \"GET /admin\" drop\n"
	"iifname \"veth0\" meta mark & 0xff == 0x10 meta mark set 0x20 accept\n"
	"tcp dport 443 ct mark set ct mark | 0x1 accept\n"
	"policy accept\n";

static void test_example(void)
{
	struct nfqr_ruleset *rs = load(example);
	struct nfqr_scratch *sc;
	struct nfqr_pkt_meta m;
	struct nfqr_result r;
	size_t n;

	if (!ok(rs != NULL, "example loads"))
		return;
	sc = nfqr_scratch_new(rs);
	n = udp4("203.0.113.1", 10086, "x");
	m = meta(n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_DROP, "udp 10086 dropped");
	ok(r.rule == 0 && r.reason == NFQR_REASON_RULE, "by rule 0");

	n = udp4("203.0.113.1", 10010, "secret");
	m = meta(n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "udp 10010 accepted");
	ok(r.payload_rewritten && memcmp(buf + 28, "hhhhhh", 6) == 0, "payload filled");
	ok(ref_l4_csum_ok(buf, n, 20, 17), "checksum fixed");
	m.skb_info = NFQA_SKB_GSO;
	n = udp4("203.0.113.1", 10010, "secret");
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "GSO: verdict still applies");
	ok(!r.payload_rewritten && memcmp(buf + 28, "secret", 6) == 0, "GSO: rewrite refused");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_REWRITE_REFUSED_GSO), 1, "GSO refusal counted");
	m = meta(n + 100);             /* capture truncated */
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "truncated: verdict");
	ok(!r.payload_rewritten, "truncated: no rewrite");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_REWRITE_REFUSED_TRUNC), 1, "truncation refusal counted");

	n = udp4("10.9.8.7", 53, "q");
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 2, "blocked4 prefix");
	n = udp4("192.0.2.7", 53, "q");
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 2, "blocked4 host");
	n = udp4("192.0.2.8", 53, "q");
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.reason == NFQR_REASON_POLICY, "not blocked");

	n = pkt_ipv6(buf, "2001:db8:1::5", "2001:db9::1", 17, NULL, 0, l4, l4_udp(l4, 1, 53, "", 0));
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 3, "blocked6");
	n = pkt_ipv6(buf, "2001:db9::5", "2001:db8::1", 17, NULL, 0, l4, l4_udp(l4, 1, 53, "", 0));
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT, "ip6 daddr in the block does not count");

	n = tcp4(8042, "GET /admin HTTP/1.0");
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 4, "content on port range");
	n = tcp4(8100, "GET /admin HTTP/1.0");
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT, "content outside port set");
	n = tcp4(22, "GET /index");
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT, "port in set, content absent");

	nfqr_ruleset_ifname_set(rs, 7, "veth0");
	nfqr_ruleset_ifname_set(rs, 8, "veth1");
	n = tcp4(1, "");
	m = meta(n);
	m.iif = 7;
	m.mark = 0x310;
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "veth0 + masked mark: accept");
	ok(r.rule == 5 && r.mark_set && r.mark == 0x20, "mark set to 0x20");
	m.iif = 8;
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.rule == -1 && !r.mark_set, "veth1 does not match");
	nfqr_ruleset_ifname_set(rs, 8, "veth0");   /* renamed */
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.rule == 5, "rename seen through the link table");
	nfqr_ruleset_ifname_del(rs, 8);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.rule == -1, "deleted link no longer matches");
	m.iif = 100000;                            /* large ifindex: hashed part of the table */
	nfqr_ruleset_ifname_set(rs, 100000, "veth0");
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.rule == 5, "large ifindex");

	n = tcp4(443, "");
	m = meta(n);
	m.ct_present = true;
	m.ct_mark = 0x40;
	nfqr_eval(rs, sc, buf, n, &m, &r);
	ok(r.rule == 6 && r.ct_mark_set && r.ct_mark == 0x1 && r.ct_mask == 0x1,
	   "ct mark | 0x1 sent as value 1 mask 1");
	m.ct_present = false;
	nfqr_eval(rs, sc, buf, n, &m, &r);
	ok(r.rule == -1 && !r.ct_mark_set && r.reason == NFQR_REASON_POLICY,
	   "no conntrack: reading ct mark breaks the rule, as in nft");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_CT_NO_CONN), 1, "counted as no connection");

	{
		const struct nfqr_rule_counter *c = nfqr_scratch_rule_counter(sc, 4);

		ok(c && c->hits == 1 && c->bytes == 20 + 20 + 19, "per-rule counter: hits and bytes");
	}
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

static void test_nft_semantics(void)
{
	struct nfqr_ruleset *rs = load(
		"udp dport 1 meta mark set 0x5\n"             /* 0: statement only, continues */
		"meta mark 0x5 counter\n"                     /* 1: sees the new mark */
		"meta mark 0x5 udp dport 1 drop\n"            /* 2: decides */
		"udp dport 2 payload replace \"admin\" \"xxxxx\"\n"   /* 3 */
		"@payload content \"admin\" drop\n"           /* 4: must not see the old bytes */
		"udp dport 3 ct mark set 0x10\n"              /* 5: no ct: skipped, no break */
		"udp dport 3 queue num 9 bypass\n"            /* 6 */
		"udp dport 4 log prefix \"four\" accept\n"    /* 7 */
		"tcp flags syn / syn,ack drop\n"              /* 8 */
		"tcp flags & (fin|rst) != 0 accept\n"         /* 9 */
		"tcp dport != 80 meta length > 100 drop\n"    /* 10 */
		"policy drop\npolicy fragment accept\npolicy malformed accept\n");
	struct nfqr_scratch *sc;
	struct nfqr_pkt_meta m;
	struct nfqr_result r;
	size_t n;
	int logged = 0;

	if (!ok(rs != NULL, "semantics ruleset loads"))
		return;
	sc = nfqr_scratch_new(rs);
	n = udp4("1.1.1.1", 1, "");
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 2, "statements continue; later rules see the new mark");
	ok(r.mark_set && r.mark == 5, "mark change reported");
	ok(nfqr_scratch_rule_counter(sc, 0)->hits == 1 && nfqr_scratch_rule_counter(sc, 1)->hits == 1,
	   "non-terminal rules counted");

	n = udp4("1.1.1.1", 2, "/admin/");
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.reason == NFQR_REASON_POLICY,
	   "content rescanned after the rewrite: rule 4 no longer matches");
	ok(r.payload_rewritten && memcmp(buf + 28, "/xxxxx/", 7) == 0 && ref_l4_csum_ok(buf, n, 20, 17),
	   "replace applied, checksum valid");

	n = udp4("1.1.1.1", 3, "");
	m = meta(n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_QUEUE_NR(9) | NF_VERDICT_FLAG_QUEUE_BYPASS,
	       "ct set without conntrack is skipped; queue verdict encoded for nfqnl");

	n = udp4("1.1.1.1", 4, "");
	m = meta(n);
	for (int i = 0; i < 100; i++) {
		m.now_ns = 1000000000ULL;          /* same instant: only the burst passes */
		nfqr_eval(rs, sc, buf, n, &m, &r);
		logged += (int)r.n_log;
	}
	is_int(logged, 20, "log: burst of 20, then rate limited");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_LOG_SUPPRESSED), 80, "suppressed lines counted");
	m.now_ns += 1000000000ULL;             /* one second later: 10 more */
	logged = 0;
	for (int i = 0; i < 100; i++) {
		nfqr_eval(rs, sc, buf, n, &m, &r);
		logged += (int)r.n_log;
	}
	is_int(logged, 10, "log: 10 lines per second");
	is_str(nfqr_ruleset_log_prefix(rs, (uint32_t)r.rule), "four", "log prefix available");

	n = pkt_ipv4(buf, "1.1.1.1", "2.2.2.2", 6, l4, l4_tcp(l4, 1, 80, 0x02, "", 0));
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 8, "syn without ack");
	n = pkt_ipv4(buf, "1.1.1.1", "2.2.2.2", 6, l4, l4_tcp(l4, 1, 80, 0x12, "", 0));
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.reason == NFQR_REASON_POLICY, "syn+ack: not rule 8");
	n = pkt_ipv4(buf, "1.1.1.1", "2.2.2.2", 6, l4, l4_tcp(l4, 1, 80, 0x14, "", 0));
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.rule == 9, "rst: masked flags != 0");
	n = pkt_ipv4(buf, "1.1.1.1", "2.2.2.2", 6, l4, l4_tcp(l4, 1, 81, 0x10, "", 0));
	m = meta(200);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 10, "negated port and length");
	n = pkt_ipv4(buf, "1.1.1.1", "2.2.2.2", 17, l4, l4_udp(l4, 1, 81, "", 0));
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.reason == NFQR_REASON_POLICY,
	   "tcp dport != 80 does not match UDP (implicit l4proto)");

	/* fragments and malformed packets get their own explicit verdicts */
	n = udp4("1.1.1.1", 1, "abcdefgh");
	buf[7] = 0x08;
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.reason == NFQR_REASON_FRAGMENT,
	   "non-first fragment: policy fragment");
	buf[7] = 0; buf[6] = 0x20; buf[3] = 24;
	m = meta(24);
	ok(nfqr_eval(rs, sc, buf, 24, &m, &r) == NF_DROP && r.reason == NFQR_REASON_FRAG_NO_L4,
	   "first fragment without L4: drop");
	buf[0] = 0x43;
	ok(nfqr_eval(rs, sc, buf, 24, &m, &r) == NF_ACCEPT && r.reason == NFQR_REASON_MALFORMED,
	   "malformed: policy malformed");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_MALFORMED), 1, "malformed counted");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

static void test_ct_mark_forms(void)
{
	struct nfqr_ruleset *rs = load(
		"udp dport 1 ct mark set 0x20 accept\n"
		"udp dport 2 ct mark set ct mark & 0xfffffffe accept\n"
		"udp dport 3 ct mark set ct mark ^ 0x3 accept\n"
		"udp dport 4 ct mark set meta mark accept\n");
	struct nfqr_scratch *sc = rs ? nfqr_scratch_new(rs) : NULL;
	struct nfqr_pkt_meta m;
	struct nfqr_result r;
	size_t n;

	if (!ok(sc != NULL, "ct forms load"))
		return;
	for (int port = 1; port <= 4; port++) {
		static const uint32_t want_val[] = { 0x20, 0, 0x6, 0x77 }, want_mask[] = { ~0u, 1, ~0u, ~0u };

		n = udp4("1.1.1.1", (uint16_t)port, "");
		m = meta(n);
		m.ct_present = true;
		m.ct_mark = 0x5;
		m.mark = 0x77;
		nfqr_eval(rs, sc, buf, n, &m, &r);
		ok(r.ct_mark_set && r.ct_mark == want_val[port - 1] && r.ct_mask == want_mask[port - 1],
		   "ct mark form %d: value 0x%x mask 0x%x", port, r.ct_mark, r.ct_mask);
	}
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
	/* matches after a statement are refused, so re-matching is across rules: */
	rs = load("udp dport 5 ct mark set ct mark | 0x10\nct mark 0x11 drop\n");
	sc = nfqr_scratch_new(rs);
	n = udp4("1.1.1.1", 5, "");
	m = meta(n);
	m.ct_present = true;
	m.ct_mark = 0x1;
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 1, "later rule sees the new ct mark");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

/* One rule `MATCH accept` (policy drop) on one packet: did it match? -1 if
 * the rule does not load. */
static int matches(const char *match, uint8_t *pkt, size_t caplen, const struct nfqr_pkt_meta *m)
{
	char text[256];
	struct nfqr_ruleset *rs;
	struct nfqr_scratch *sc;
	struct nfqr_result r;
	int hit;

	snprintf(text, sizeof(text), "%s accept\npolicy drop\n", match);
	rs = load(text);
	if (!rs)
		return -1;
	sc = nfqr_scratch_new(rs);
	nfqr_eval(rs, sc, pkt, caplen, m, &r);
	hit = r.rule == 0 && r.verdict == NF_ACCEPT;
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
	return hit;
}

/* ctinfo -1: no NFQA_CT (no conntrack entry); -2: NFQA_CT without NFQA_CT_INFO */
static struct nfqr_pkt_meta ct_meta(size_t n, int ctinfo)
{
	struct nfqr_pkt_meta m = meta(n);

	m.ct_present = ctinfo != -1;
	m.ct_info_present = ctinfo >= 0;
	m.ct_info = (uint8_t)(ctinfo >= 0 ? ctinfo : 0);
	return m;
}

static void test_ct_state(void)
{
	/* nft's mapping (nft_ct.c): NF_CT_STATE_BIT(ctinfo), reply or not;
	 * no conntrack entry: invalid */
	static const struct {
		const char *match;
		int want[8];   /* ctinfo 0-4 (ESTABLISHED, RELATED, NEW, ESTABLISHED_REPLY,
				  RELATED_REPLY), 5 (bogus), none (-1), CT without CT_INFO (-2) */
	} t[] = {
		{ "ct state established",                  { 1, 0, 0, 1, 0, 0, 0, 0 } },
		{ "ct state related",                      { 0, 1, 0, 0, 1, 0, 0, 0 } },
		{ "ct state new",                          { 0, 0, 1, 0, 0, 0, 0, 0 } },
		{ "ct state invalid",                      { 0, 0, 0, 0, 0, 0, 1, 0 } },
		{ "ct state == new",                       { 0, 0, 1, 0, 0, 0, 0, 0 } },
		{ "ct state != invalid",                   { 1, 1, 1, 1, 1, 0, 0, 0 } },
		{ "ct state != established",               { 0, 1, 1, 0, 1, 0, 1, 0 } },
		{ "ct state established,related",          { 1, 1, 0, 1, 1, 0, 0, 0 } },
		{ "ct state new|invalid",                  { 0, 0, 1, 0, 0, 0, 1, 0 } },
		{ "ct state { new, invalid }",             { 0, 0, 1, 0, 0, 0, 1, 0 } },
		{ "ct state != { established, related }",  { 0, 0, 1, 0, 0, 0, 1, 0 } },
		{ "ct state & (established|related) != 0", { 1, 1, 0, 1, 1, 0, 0, 0 } },
		{ "ct state & (established|related) == 0", { 0, 0, 1, 0, 0, 0, 1, 0 } },
		{ "ct state & new == new",                 { 0, 0, 1, 0, 0, 0, 0, 0 } },
		{ "ct state & 0x9 != 0",                   { 0, 0, 1, 0, 0, 0, 1, 0 } },
		{ "ct direction original",                 { 1, 1, 1, 0, 0, 0, 0, 0 } },
		{ "ct direction reply",                    { 0, 0, 0, 1, 1, 0, 0, 0 } },
		{ "ct direction != original",              { 0, 0, 0, 1, 1, 0, 0, 0 } },
		{ "ct direction != reply",                 { 1, 1, 1, 0, 0, 0, 0, 0 } },
		{ "ct direction { original, reply }",      { 1, 1, 1, 1, 1, 0, 0, 0 } },
		{ "ct state new ct direction original",    { 0, 0, 1, 0, 0, 0, 0, 0 } },
		{ "ct state established ct direction reply", { 0, 0, 0, 1, 0, 0, 0, 0 } },
	};
	static const int ctinfos[8] = { 0, 1, 2, 3, 4, 5, -1, -2 };
	size_t n = udp4("198.51.100.1", 53, "x");

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char got[9] = "", want[9] = "";

		for (int c = 0; c < 8; c++) {
			struct nfqr_pkt_meta m = ct_meta(n, ctinfos[c]);
			int h = matches(t[i].match, buf, n, &m);

			got[c] = h < 0 ? '?' : (char)('0' + h);
			want[c] = (char)('0' + t[i].want[c]);
		}
		is_str(got, want, "%s: ctinfo 0-5, no ct, ct without ctinfo", t[i].match);
	}
	/* the constants are the kernel's */
	ok(NF_CT_STATE_BIT(IP_CT_ESTABLISHED_REPLY) == NF_CT_STATE_BIT(IP_CT_ESTABLISHED) &&
	   NF_CT_STATE_INVALID_BIT == 1 && IP_CT_IS_REPLY == 3, "ctinfo mapping as in the uapi");
	/* a ct mark change does not touch the state: no re-match needed, same verdict */
	{
		struct nfqr_ruleset *rs = load("udp dport 53 ct mark set 0x1\n"
					       "ct state new ct mark 0x1 drop\npolicy accept\n");
		struct nfqr_scratch *sc = rs ? nfqr_scratch_new(rs) : NULL;
		struct nfqr_pkt_meta m = ct_meta(n, IP_CT_NEW);
		struct nfqr_result r;

		if (ok(sc != NULL, "ct state with ct mark set loads")) {
			ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 1,
			   "ct state new and the ct mark set by an earlier rule");
			m = ct_meta(n, IP_CT_ESTABLISHED);
			ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.rule == -1,
			   "established: not rule 1");
		}
		nfqr_scratch_free(sc);
		nfqr_ruleset_free(rs);
	}
}

static void test_skuid(void)
{
	static const struct {
		const char *match;
		int want[4];   /* uid/gid 1000/100, 0/0, uid only 1000, neither */
	} t[] = {
		{ "meta skuid 1000",           { 1, 0, 1, 0 } },
		{ "meta skuid != 1000",        { 0, 1, 0, 0 } },
		{ "skuid 0",                   { 0, 1, 0, 0 } },
		{ "meta skuid 500-1500",       { 1, 0, 1, 0 } },
		{ "meta skuid > 999",          { 1, 0, 1, 0 } },
		{ "meta skuid < 1",            { 0, 1, 0, 0 } },
		{ "meta skuid { 0, 2000-3000 }", { 0, 1, 0, 0 } },
		{ "meta skuid root",           { 0, 1, 0, 0 } },
		{ "meta skgid 100",            { 1, 0, 0, 0 } },
		{ "meta skgid != 100",         { 0, 1, 0, 0 } },
		{ "meta skgid root",           { 0, 1, 0, 0 } },
		{ "meta skuid 1000 meta skgid 100", { 1, 0, 0, 0 } },
	};
	size_t n = udp4("198.51.100.1", 53, "x");

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char got[5] = "", want[5] = "";

		for (int c = 0; c < 4; c++) {
			struct nfqr_pkt_meta m = meta(n);

			m.uid_present = c < 3;
			m.gid_present = c < 2;
			m.uid = c == 1 ? 0 : 1000;
			m.gid = c == 1 ? 0 : 100;
			got[c] = (char)('0' + matches(t[i].match, buf, n, &m));
			want[c] = (char)('0' + t[i].want[c]);
		}
		is_str(got, want, "%s: uid/gid, root, uid only, none", t[i].match);
	}
}

/* nft's raw payload, bit by bit: bits [off, off + len) of p as a number */
static int naive_bits(const uint8_t *p, size_t avail, size_t off, unsigned len, uint32_t *v)
{
	*v = 0;
	if (off + len > avail * 8)
		return 0;
	for (unsigned i = 0; i < len; i++)
		*v = *v << 1 | ((p[(off + i) / 8] >> (7 - (off + i) % 8)) & 1);
	return 1;
}

static void test_raw_payload(void)
{
	struct nfqr_pkt_meta m;
	size_t n;

	/* IPv4/UDP 5555 -> 53, payload "x": sport 0x15b3, dport 0x0035, len 9 */
	n = udp4("198.51.100.1", 53, "x");
	m = meta(n);
	ok(matches("@th,16,16 53", buf, n, &m) == 1, "@th,16,16: dport");
	ok(matches("@th,16,16 != 53", buf, n, &m) == 0, "@th,16,16 != 53");
	ok(matches("@th,0,16 5555", buf, n, &m) == 1, "@th,0,16: sport");
	ok(matches("@th,0,32 0x15b30035", buf, n, &m) == 1, "@th,0,32: both ports");
	ok(matches("@th,13,3 3", buf, n, &m) == 1, "@th,13,3: low bits of a byte");
	ok(matches("@th,4,8 0x5b", buf, n, &m) == 1, "@th,4,8: across two bytes");
	ok(matches("@th,12,24 0x300350", buf, n, &m) == 1, "@th,12,24: across four bytes");
	ok(matches("@th,4,32 0x5b300350", buf, n, &m) == 1, "@th,4,32: 32 bits over five bytes");
	ok(matches("@th,0,16 & 0xff00 == 0x1500", buf, n, &m) == 1, "@th under a mask");
	ok(matches("@th,0,16 & 0xff00 == 0x1600", buf, n, &m) == 0, "@th under a mask: other value");
	ok(matches("@th,16,16 < 1024", buf, n, &m) == 1, "@th ordering");
	ok(matches("@th,16,16 { 22, 50-60 }", buf, n, &m) == 1, "@th in a set with a range");
	ok(matches("@th,16,16 { 22, 80 }", buf, n, &m) == 0, "@th not in a set");
	ok(matches("@nh,0,4 4", buf, n, &m) == 1, "@nh,0,4: IP version");
	ok(matches("@nh,72,8 17", buf, n, &m) == 1, "@nh,72,8: protocol");
	ok(matches("@nh,152,16 0x6415", buf, n, &m) == 1, "@nh across the end of the IP header (daddr .100, sport 0x15)");
	ok(matches("@th,64,8 0x78", buf, n, &m) == 1, "@th,64,8: the last byte of the packet");
	ok(matches("@th,72,8 0", buf, n, &m) == 0, "@th past the end: no match");
	ok(matches("@th,72,8 != 0", buf, n, &m) == 0, "@th past the end: negation fails too");
	ok(matches("@th,64,16 != 0", buf, n, &m) == 0, "@th partly past the end: fails");
	ok(matches("@th,71,1 0", buf, n, &m) == 1, "@th: the very last bit");
	ok(matches("@th,71,2 != 7", buf, n, &m) == 0, "@th: one bit past the end fails");
	ok(matches("@nh,224,8 0x78", buf, n, &m) == 1, "@nh,224,8: the last byte");
	ok(matches("@nh,232,8 != 1", buf, n, &m) == 0, "@nh past the end fails");
	/* bytes after the IP datagram (link padding) are not the packet's */
	memset(buf + n, 0xee, 4);
	m = meta(n + 4);
	ok(matches("@th,72,8 0xee", buf, n + 4, &m) == 0, "padding after the datagram is not read");
	ok(matches("@th,64,8 0x78", buf, n + 4, &m) == 1, "... the datagram still is");
	/* capture truncated (NFQA_CAP_LEN): what was not copied cannot match */
	m = meta(n);
	ok(matches("@th,64,8 0x78", buf, n - 1, &m) == 0, "truncated capture: the missing byte fails");
	ok(matches("@th,32,16 9", buf, n - 1, &m) == 1, "truncated capture: bytes before it match");

	/* TCP: data offset and flags; IPv6 with a hop-by-hop header: @th after it */
	n = pkt_ipv4(buf, "198.51.100.1", "192.0.2.100", 6, l4, l4_tcp(l4, 40000, 80, 0x12, "", 0));
	m = meta(n);
	ok(matches("@th,96,4 5", buf, n, &m) == 1, "@th,96,4: TCP data offset");
	ok(matches("@th,104,8 & 0x12 == 0x12", buf, n, &m) == 1, "@th,104,8: SYN+ACK under a mask");
	ok(matches("@th,16,16 80 @th,104,8 & 0x4 != 0", buf, n, &m) == 0, "two raw fields: RST not set");
	{
		static const uint8_t hbh[8] = { 17, 0, 1, 4, 0, 0, 0, 0 };

		n = pkt_ipv6(buf, "2001:db8::1", "2001:db8::2", 0, hbh, sizeof(hbh), l4, l4_udp(l4, 7, 53, "y", 1));
		m = meta(n);
		ok(matches("@th,16,16 53", buf, n, &m) == 1, "IPv6: @th after the extension header");
		ok(matches("@nh,48,8 0", buf, n, &m) == 1, "IPv6: @nh,48,8 is the first next header");
		ok(matches("@nh,320,8 17", buf, n, &m) == 1, "IPv6: @nh reads the extension header");
		ok(matches("@th,64,8 0x79", buf, n, &m) == 1, "IPv6: @th,64,8 the payload byte");
	}
	/* a protocol without ports: @th is the start of its header anyway (nft's thoff) */
	n = pkt_ipv4(buf, "198.51.100.1", "192.0.2.100", 47, (const uint8_t *)"\x00\x00\x08\x00", 4);
	m = meta(n);
	ok(matches("@th,16,16 0x0800", buf, n, &m) == 1, "GRE: @th,16,16 is its protocol field");

	/* against a bit-by-bit reference: every offset and length, past the end too */
	{
		unsigned bad = 0, present = 0, checks = 0;

		for (int pk = 0; pk < 3; pk++) {
			static const uint8_t hbh[8] = { 6, 0, 1, 4, 0, 0, 0, 0 };
			struct nfqr_decoded d;
			struct nfqr_view v = { 0 };
			size_t caplen;

			for (size_t i = 0; i < 40; i++)
				l4[200 + i] = (uint8_t)(i * 37 + 11);
			n = pk == 0 ? pkt_ipv4(buf, "10.1.2.3", "10.4.5.6", 17, l4, l4_udp(l4, 0x8001, 0x7ffe, l4 + 200, 13))
			  : pk == 1 ? pkt_ipv6(buf, "2001:db8::1", "2001:db8::2", 0, hbh, 8, l4,
					       l4_tcp(l4, 0xffff, 1, 0xff, l4 + 200, 7))
			  : pkt_ipv4(buf, "255.255.255.255", "0.0.0.1", 1, l4, l4_icmp(l4, 8, 0, l4 + 200, 3));
			caplen = pk == 2 ? n - 2 : n;          /* the ICMP one truncated */
			m = meta(n);
			nfqr_decode(buf, caplen, m.pkt_len, 0, &d);
			v.d = &d;
			v.pkt = buf;
			v.meta = &m;
			for (unsigned base = 0; base < 2; base++) {
				size_t start = base ? d.l4_off : 0, avail = caplen - start;

				for (size_t off = 0; off < avail * 8 + 40; off++)
					for (unsigned len = 1; len <= 32; len++) {
						struct nfqr_key k;
						uint32_t want;
						int in = naive_bits(buf + start, avail, off, len, &want);
						bool got = nfqr_field_key(base ? NFQR_F_RAW_TH : NFQR_F_RAW_NH,
									  nfqr_raw_arg((uint32_t)off, len), &v, &k);

						checks++;
						present += in;
						if ((got != (in != 0) || (in && k.lo != want)) && bad++ < 3)
							printf("# packet %d %s,%zu,%u: got %d 0x%llx, want %d 0x%x\n",
							       pk, base ? "@th" : "@nh", off, len, got,
							       (unsigned long long)k.lo, in, want);
					}
			}
		}
		is_int(bad, 0, "raw payload = the bit-by-bit reference (%u fields, %u in the packets)",
		       checks, present);
	}
}

/* A rewrite changes what @th reads: later rules see the new bytes. */
static void test_raw_after_rewrite(void)
{
	struct nfqr_ruleset *rs = load("udp dport 9 payload fill \"h\"\n"
				       "@th,64,8 0x68 drop\n"
				       "@th,64,8 0x78 queue num 4\n"
				       "policy accept\n");
	struct nfqr_scratch *sc = rs ? nfqr_scratch_new(rs) : NULL;
	struct nfqr_pkt_meta m;
	struct nfqr_result r;
	size_t n;

	if (!ok(sc != NULL, "rewrite + raw loads"))
		return;
	n = udp4("1.1.1.1", 9, "x");
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 1 && r.payload_rewritten,
	   "@th,64,8 sees the 'h' written by rule 0, not the 'x' that was there");
	n = udp4("1.1.1.1", 10, "x");
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_QUEUE_NR(4) && r.rule == 2, "no rewrite: 'x'");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

static void test_backends_agree(void)
{
	static const char text[] = "@payload content \"Evil\" nocase drop\n@payload content \"ok\" offset 2 depth 4 accept\n";
	struct nfqr_load_opts o = { .backend = NFQR_CM_AHO_CORASICK };
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *ac = nfqr_ruleset_parse("t", text, strlen(text), &o, &d);
	struct nfqr_ruleset *au = load(text);
	const char *payloads[] = { "xxEVILxx", "  ok", "ok", "   ok ", "evi" };

	ok(ac && au, "both backends load");
	if (!ac || !au)
		return;
	is_str(nfqr_ruleset_backend(ac), "aho-corasick", "forced fallback");
	struct nfqr_scratch *s1 = nfqr_scratch_new(ac), *s2 = nfqr_scratch_new(au);
	for (size_t i = 0; i < 5; i++) {
		struct nfqr_result r1, r2;
		size_t n = udp4("1.1.1.1", 9, payloads[i]);
		struct nfqr_pkt_meta m = meta(n);

		nfqr_eval(ac, s1, buf, n, &m, &r1);
		nfqr_eval(au, s2, buf, n, &m, &r2);
		ok(r1.rule == r2.rule && r1.verdict == r2.verdict, "payload '%s': backends agree (rule %d)",
		   payloads[i], r1.rule);
	}
	nfqr_scratch_free(s1);
	nfqr_scratch_free(s2);
	nfqr_ruleset_free(ac);
	nfqr_ruleset_free(au);
}

/*
 * A rule indexed by its content (`meta l4proto udp @payload content`) is
 * proposed after a scan; the payload is scanned only when such a rule can
 * still hold on its other predicates, and comes before the rule that
 * decides.  The verdicts must not change.
 */
static void test_content_scan_skipped(void)
{
	struct nfqr_ruleset *rs = load(
		"tcp dport 80 drop\n"                                  /* 0 */
		"udp dport 53 accept\n"                                /* 1: decides before 2 */
		"meta l4proto udp @payload content \"evil\" drop\n"    /* 2: indexed by content */
		"udp dport 54 accept\n"                                /* 3: after 2 */
		"udp dport 7 meta mark set meta mark | 0x1\n"          /* 4 */
		"meta mark & 0x1 == 0x1 @payload content \"bad\" drop\n"   /* 5: indexed by content */
		"policy accept\n");
	struct nfqr_scratch *sc = rs ? nfqr_scratch_new(rs) : NULL;
	struct nfqr_pkt_meta m;
	struct nfqr_result r;
	uint64_t scans;
	size_t n;

	if (!ok(sc != NULL, "content-indexed ruleset loads"))
		return;
	n = tcp4(22, "evil bad");
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.reason == NFQR_REASON_POLICY,
	   "tcp with the udp rule's content: policy");
	is_int(nfqr_scratch_content_scans(sc), 0, "tcp: no content-indexed rule can hold, no scan");
	m.mark = 1;
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 5,
	   "tcp with mark 1 and \"bad\": rule 5");
	is_int(nfqr_scratch_content_scans(sc), 1, "mark 1: rule 5 can hold, scanned");

	n = udp4("1.1.1.1", 9, "some evil here");
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 2, "udp with \"evil\": rule 2");
	is_int(nfqr_scratch_content_scans(sc), 2, "udp: scanned");
	n = udp4("1.1.1.1", 9, "harmless");
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.reason == NFQR_REASON_POLICY,
	   "udp without it: policy");
	is_int(nfqr_scratch_content_scans(sc), 3, "udp: scanned");

	n = udp4("1.1.1.1", 53, "evil");
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.rule == 1, "udp 53 with \"evil\": rule 1 first");
	is_int(nfqr_scratch_content_scans(sc), 3, "rule 1 decides before any content rule: no scan");
	n = udp4("1.1.1.1", 54, "evil");
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 2, "udp 54 with \"evil\": rule 2 before 3");
	is_int(nfqr_scratch_content_scans(sc), 4, "rule 2 comes before the deciding rule: scanned");

	/* rule 4 sets the mark that rule 5 needs: the scan happens on the re-match */
	n = tcp4(7, "bad");
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.reason == NFQR_REASON_POLICY,
	   "tcp 7: rule 4 is udp only");
	is_int(nfqr_scratch_content_scans(sc), 4, "tcp 7, mark 0: no scan");
	n = udp4("1.1.1.1", 7, "bad");
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 5 && r.mark == 1,
	   "udp 7: mark set by rule 4, then rule 5 holds");
	is_int(nfqr_scratch_content_scans(sc), 5, "scanned once");
	scans = nfqr_scratch_content_scans(sc);
	n = udp4("1.1.1.1", 7, "good");
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.reason == NFQR_REASON_POLICY && r.mark == 1,
	   "udp 7 without \"bad\": policy, mark still set");
	is_int(nfqr_scratch_content_scans(sc), scans + 1, "scanned once, not again on the re-match");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);

	/* more rules indexed by content than are checked before the scan */
	{
		char text[2048];
		size_t len = 0;

		for (int i = 0; i < 12; i++)
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"meta mark & 0x%x == 0x%x @payload content \"p%02d\" drop\n",
						1u << (i % 8), 1u << (i % 8), i);
		rs = load(text);
	}
	sc = rs ? nfqr_scratch_new(rs) : NULL;
	if (!ok(sc != NULL, "12 content-indexed rules load"))
		return;
	n = udp4("1.1.1.1", 9, "p11 p10");
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.reason == NFQR_REASON_POLICY, "mark 0: none holds");
	m.mark = 0x8;
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 11, "mark 0x8: rule 11 (p11)");
	m.mark = 0xc;
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 10, "mark 0xc: rule 10 first");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

/* Brute force with statements: rules in order, each predicate by itself,
 * marks changed as the rules go, a rule broken by reading a missing ct mark. */
static int32_t reference(const struct nfqr_ruleset *rs, const uint8_t *pkt, size_t n,
			 const struct nfqr_pkt_meta *m, uint32_t *mark_out)
{
	struct nfqr_decoded d;
	struct nfqr_view v = { 0 };

	nfqr_decode(pkt, n, m->pkt_len, 0, &d);
	v.d = &d;
	v.pkt = pkt;
	v.meta = m;
	v.mark = m->mark;
	v.ct_present = m->ct_present;
	v.ct_mark = m->ct_mark;
	for (uint32_t r = 0; r < rs->n_rules; r++) {
		const struct nfqr_rule *rule = &rs->rules[r];
		bool match = true, broken = false;

		for (uint32_t i = 0; i < rule->n_preds && match; i++) {
			struct nfqr_key k;

			match = nfqr_field_key(rule->preds[i].field, rule->preds[i].arg, &v, &k) &&
				nfqr_pred_match(&rule->preds[i], k);
		}
		for (uint32_t i = 0; i < rule->n_content && match; i++)
			match = naive_content(&rs->patterns[rule->content[i]], pkt + d.payload_off,
					      d.end - d.payload_off);
		if (!match)
			continue;
		for (uint32_t i = 0; i < rule->n_stmts && !broken; i++) {
			const struct nfqr_stmt *s = &rule->stmts[i];
			uint32_t src, val;

			if (s->kind != NFQR_S_META_MARK_SET && s->kind != NFQR_S_CT_MARK_SET)
				continue;
			if (s->mark.src == NFQR_SRC_CT_MARK && !v.ct_present) {
				broken = true;
				break;
			}
			src = s->mark.src == NFQR_SRC_META_MARK ? v.mark
			    : s->mark.src == NFQR_SRC_CT_MARK ? v.ct_mark : 0;
			val = (src & s->mark.and_mask) ^ s->mark.xor_val;
			if (s->kind == NFQR_S_META_MARK_SET)
				v.mark = val;
			else if (v.ct_present)
				v.ct_mark = val;
		}
		if (!broken && rule->verdict.kind != NFQR_V_NONE) {
			*mark_out = v.mark;
			return (int32_t)r;
		}
	}
	*mark_out = v.mark;
	return -1;
}

static unsigned rnd(unsigned n) { return (unsigned)rand() % n; }

static const char *const rand_matches[] = {
	"meta l4proto udp", "meta l4proto tcp", "meta l4proto != udp", "udp dport 1", "udp dport 2",
	"tcp dport 1", "th dport 3", "meta mark 0x1", "meta mark & 0x2 == 0x2", "meta mark & 0x1 == 0",
	"ct mark 0x5", "ct mark & 0x4 == 0x4", "meta nfproto ipv6", "meta length > 60",
	"ct state established", "ct state != invalid", "ct state new,related", "ct direction reply",
	"ct state & (new|invalid) == 0", "meta skuid 1000", "meta skgid != 100", "skuid 0-999",
	"@th,16,16 1", "@th,0,16 & 0xff00 == 0", "@nh,72,8 17", "@th,64,8 0x61", "@th,60,8 != 0x16",
	"@payload content \"ab\"", "@payload content \"Ba\" nocase", "@payload content \"bb\"",
	"@payload content \"a\" offset 1 depth 3",
};
static const char *const rand_stmts[] = {
	"", "", "", "meta mark set meta mark | 0x1", "meta mark set meta mark ^ 0x2",
	"meta mark set ct mark", "ct mark set 0x5", "ct mark set ct mark | 0x4", "meta mark set 0x0",
	"counter",
};

/* Random rules mixing content, marks and statements: the engine (with its
 * scan skipping and re-matching) against the brute force above. */
static void test_random_vs_reference(void)
{
	for (int set = 0; set < 40; set++) {
		unsigned n_rules = 3 + rnd(set < 30 ? 12 : 60), bad = 0, scans_skipped = 0;
		size_t cap = n_rules * 200 + 64, len = 0;
		char *text = malloc(cap);
		struct nfqr_ruleset *rs;
		struct nfqr_scratch *sc;

		for (unsigned r = 0; r < n_rules; r++) {
			unsigned k = rnd(3), i;
			const char *st = rand_stmts[rnd(sizeof(rand_stmts) / sizeof(*rand_stmts))];
			const char *verdict = (const char *[]){ "accept", "drop", "" }[rnd(3)];

			struct nftctx ctx = { 0, 0 };

			for (i = 0; i < k; i++) {
				const char *m = rand_matches[rnd(sizeof(rand_matches) /
								 sizeof(*rand_matches) - 4)];

				if (nftctx_take(&ctx, m))	/* not after another protocol */
					len += (size_t)snprintf(text + len, cap - len, "%s ", m);
			}
			/* content terms last, as the syntax wants */
			if (rnd(2))
				len += (size_t)snprintf(text + len, cap - len, "%s ",
					rand_matches[sizeof(rand_matches) / sizeof(*rand_matches) - 4 + rnd(4)]);
			if (!*st && !*verdict)
				verdict = "drop";
			len += (size_t)snprintf(text + len, cap - len, "%s %s\n", st, verdict);
		}
		rs = load(text);
		if (!ok(rs != NULL, "random set %d loads", set)) {
			printf("# %s", text);
			free(text);
			continue;
		}
		sc = nfqr_scratch_new(rs);
		for (int i = 0; i < 400; i++) {
			char pay[16];
			size_t pl = rnd(10), l, pn;
			unsigned proto = rnd(3), mark;
			struct nfqr_pkt_meta m;
			struct nfqr_result res;
			int32_t want;
			uint64_t before = nfqr_scratch_content_scans(sc);

			for (size_t j = 0; j < pl; j++)
				pay[j] = "abAB"[rnd(4)];
			l = proto == 0 ? l4_tcp(l4, 9, (uint16_t)rnd(4), 0x10, pay, pl)
			  : proto == 1 ? l4_udp(l4, 9, (uint16_t)rnd(4), pay, pl)
			  : l4_icmp(l4, 8, 0, pay, pl);
			pn = rnd(4) == 0
				? pkt_ipv6(buf, "2001:db8::1", "2001:db8::2", proto == 0 ? 6 : proto == 1 ? 17 : 58,
					   NULL, 0, l4, l)
				: pkt_ipv4(buf, "10.0.0.1", "10.0.0.2", proto == 0 ? 6 : proto == 1 ? 17 : 1, l4, l);
			m = meta(pn);
			m.mark = rnd(4);
			m.ct_present = rnd(2);
			m.ct_mark = m.ct_present ? rnd(8) : 0;
			m.ct_info_present = m.ct_present;
			m.ct_info = (uint8_t)rnd(5);
			m.uid_present = rnd(2);
			m.gid_present = m.uid_present && rnd(4);
			m.uid = (const uint32_t[]){ 0, 1000, 1001 }[rnd(3)];
			m.gid = rnd(2) ? 100 : 0;
			want = reference(rs, buf, pn, &m, &mark);
			nfqr_eval(rs, sc, buf, pn, &m, &res);
			scans_skipped += nfqr_scratch_content_scans(sc) == before;
			if ((res.rule != want || res.mark != mark) && bad++ < 3)
				printf("# set %d packet %d: engine rule %d mark %u, reference %d mark %u\n",
				       set, i, res.rule, res.mark, want, mark);
		}
		if (bad)
			printf("# %s", text);
		is_int(bad, 0, "random set %d (%u rules): engine agrees with brute force, %u of 400 not scanned",
		       set, n_rules, scans_skipped);
		nfqr_scratch_free(sc);
		nfqr_ruleset_free(rs);
		free(text);
	}
}

static size_t udp6(uint16_t dport)
{
	return pkt_ipv6(buf, "2001:db8::1", "2001:db8::2", 17, NULL, 0, l4, l4_udp(l4, 5555, dport, "x", 1));
}

/* reject: NF_REPEAT with the code in the reject field, the loop guard */
static void test_reject(void)
{
	struct nfqr_ruleset *rs = load(
		"tcp dport 80 reject with tcp reset comment \"rst\"\n"                   /* 0 */
		"udp dport 53 meta mark set meta mark | 0x20 reject\n"                    /* 1 */
		"udp dport 54 reject with icmp port-unreachable\n"                        /* 2 */
		"udp dport 55 reject with icmpv6 admin-prohibited\n"                      /* 3 */
		"meta l4proto { tcp, udp } th dport 56 reject with tcp reset\n"          /* 4 */
		"udp dport 56 drop\n"                                                     /* 5 */
		"udp dport 57 ct mark set ct mark | 0x1 reject with icmpx admin-prohibited\n" /* 6 */
		"policy accept\n");
	struct nfqr_load_opts o = { .reject_mark = 0xf8 };
	struct nfqr_diag d = { 0 };
	struct nfqr_scratch *sc;
	struct nfqr_pkt_meta m;
	struct nfqr_result r;
	size_t n;

	if (!ok(rs != NULL, "reject rules load"))
		return;
	sc = nfqr_scratch_new(rs);
	n = tcp4(80, "");
	m = meta(n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_REPEAT, "tcp reset: NF_REPEAT");
	ok(r.rule == 0 && r.reason == NFQR_REASON_RULE && r.reject == NFQR_REJECT_TCP_RESET,
	   "  by rule 0, kind tcp reset");
	ok(r.mark_set && r.mark == 0x01000000, "  mark 0x01000000 (code 1): 0x%x", r.mark);
	m.mark = 0x80000042;
	nfqr_eval(rs, sc, buf, n, &m, &r);
	ok(r.mark_set && r.mark == 0x81000042 && r.reject == NFQR_REJECT_TCP_RESET,
	   "  the other mark bits kept: 0x%x", r.mark);

	n = udp4("198.51.100.1", 53, "q");
	m = meta(n);
	m.mark = 0x3;
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_REPEAT, "plain reject: NF_REPEAT");
	ok(r.reject == NFQR_REJECT_ICMPX_PORT_UNREACHABLE && r.mark == 0x02000023,
	   "  icmpx port-unreachable, after the rule's meta mark set: 0x%x", r.mark);

	n = udp4("198.51.100.1", 54, "q");
	m = meta(n);
	nfqr_eval(rs, sc, buf, n, &m, &r);
	ok(r.verdict == NF_REPEAT && r.reject == NFQR_REJECT_ICMP_PORT_UNREACHABLE && r.mark == 0x09000000,
	   "icmp port-unreachable on IPv4: code 9");
	n = udp6(54);
	m = meta(n);
	nfqr_eval(rs, sc, buf, n, &m, &r);
	ok(r.verdict == NF_ACCEPT && r.reason == NFQR_REASON_POLICY && !r.reject && !r.mark_set,
	   "  not on IPv6 (nft's meta nfproto ipv4)");
	nfqr_eval(rs, sc, buf, udp6(55), &m, &r);
	ok(r.verdict == NF_REPEAT && r.reject == NFQR_REJECT_ICMPV6_ADMIN_PROHIBITED && r.mark == 0x0e000000,
	   "icmpv6 admin-prohibited on IPv6: code 14");
	n = udp4("198.51.100.1", 55, "q");
	m = meta(n);
	nfqr_eval(rs, sc, buf, n, &m, &r);
	ok(r.verdict == NF_ACCEPT && r.reason == NFQR_REASON_POLICY, "  not on IPv4");

	n = udp4("198.51.100.1", 56, "q");
	m = meta(n);
	nfqr_eval(rs, sc, buf, n, &m, &r);
	ok(r.verdict == NF_DROP && r.rule == 5 && !r.reject, "tcp reset does not match UDP: next rule drops");
	n = tcp4(56, "");
	m = meta(n);
	nfqr_eval(rs, sc, buf, n, &m, &r);
	ok(r.verdict == NF_REPEAT && r.rule == 4 && r.reject == NFQR_REJECT_TCP_RESET, "  but TCP");

	n = udp4("198.51.100.1", 57, "q");
	m = meta(n);
	m.ct_present = true;
	m.ct_mark = 0x40;
	nfqr_eval(rs, sc, buf, n, &m, &r);
	ok(r.verdict == NF_REPEAT && r.reject == NFQR_REJECT_ICMPX_ADMIN_PROHIBITED &&
	   r.mark == 0x03000000 && r.ct_mark_set && r.ct_mark == 0x1 && r.ct_mask == 0x1,
	   "reject with a ct mark set: both sent");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_REJECT), 7, "rejects counted");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_REJECT_LOOP), 0, "no loop yet");

	/* the packet comes back with its code: the chain has no reject rule */
	n = udp4("198.51.100.1", 53, "q");
	m = meta(n);
	m.mark = 0x02000023;
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_DROP, "back with its code: dropped");
	ok(r.reason == NFQR_REASON_REJECT_LOOP && r.rule == -1 && !r.reject && !r.mark_set,
	   "  by the loop guard, no rule, no mark sent");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_REJECT_LOOP), 1, "  counted");
	is_int(nfqr_scratch_rule_counter(sc, 1)->hits, 1, "  the rule's hits unchanged");
	m.mark = 0x10000000;		/* any bit of the field, any packet */
	n = tcp4(443, "");
	m.pkt_len = (uint32_t)n;
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.reason == NFQR_REASON_REJECT_LOOP,
	   "  any field bit on any packet");
	m.mark = 0xe0ffffff;		/* every bit but the field's */
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.reason == NFQR_REASON_POLICY,
	   "  bits outside the field pass");
	buf[0] = 0x44;			/* malformed: the guard comes first */
	m.mark = 0x01000000;
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.reason == NFQR_REASON_REJECT_LOOP,
	   "  before decoding");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_REJECT_LOOP), 3, "  all counted");
	is_str(nfqr_stat_name(NFQR_STAT_REJECT), "reject", "stat name reject");
	is_str(nfqr_stat_name(NFQR_STAT_REJECT_LOOP), "reject_loop", "stat name reject_loop");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);

	/* a file without reject reserves nothing */
	rs = load("udp dport 53 accept\n");
	sc = rs ? nfqr_scratch_new(rs) : NULL;
	if (ok(sc != NULL, "no reject: loads")) {
		n = udp4("198.51.100.1", 53, "q");
		m = meta(n);
		m.mark = 0x1f000000;
		ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT && r.rule == 0,
		   "  field bits on arrival: judged as usual");
	}
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);

	/* another field: --reject-mark 0xf8 */
	rs = nfqr_ruleset_parse("t.nft", "tcp dport 80 reject with tcp reset\n", 35, &o, &d);
	nfqr_diag_free(&d);
	sc = rs ? nfqr_scratch_new(rs) : NULL;
	if (ok(sc != NULL, "field 0xf8: loads")) {
		n = tcp4(80, "");
		m = meta(n);
		m.mark = 0x01000000;
		nfqr_eval(rs, sc, buf, n, &m, &r);
		ok(r.verdict == NF_REPEAT && r.mark == 0x01000008, "  code 1 at bit 3: 0x%x", r.mark);
		m.mark = 0x08;
		ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.reason == NFQR_REASON_REJECT_LOOP,
		   "  guard on bit 3");
	}
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

static struct nfqr_ruleset *load_opts(const char *text, const struct nfqr_load_opts *o)
{
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs = nfqr_ruleset_parse("t.nft", text, strlen(text), o, &d);

	for (size_t i = 0; i < d.n; i++)
		printf("# %s\n", d.msgs[i]);
	nfqr_diag_free(&d);
	return rs;
}

/* `detect` per rule: every verdict kind is reported, not given; nothing is
 * changed; the would-be verdict ends evaluation; counters count. */
static void test_detect(void)
{
	struct nfqr_ruleset *rs;
	struct nfqr_scratch *sc;
	struct nfqr_pkt_meta m;
	struct nfqr_result r;
	uint8_t copy[2048];
	size_t n;

	rs = load("udp dport 1 detect drop\n"
		  "udp dport 2 detect reject with icmpx admin-prohibited\n"
		  "udp dport 3 detect meta mark set 0x10 repeat\n"
		  "udp dport 4 detect queue num 7 bypass\n"
		  "udp dport 5 detect payload fill \"X\" accept\n"
		  "udp dport 6 detect ct mark set ct mark | 0x4 meta mark set 0x3\n"
		  "udp dport 6 log drop comment \"real\"\n"
		  "udp dport 8 detect payload replace \"zz\" \"yy\" drop\n"
		  "udp dport 1-8 log prefix \"later\" drop comment \"later\"\n"
		  "udp dport 9 detect log meta mark set 0x1 accept\n");
	if (!ok(rs != NULL, "detect: rules load"))
		return;
	sc = nfqr_scratch_new(rs);
	ok(nfqr_ruleset_rule_detects(rs, 0) && !nfqr_ruleset_rule_detects(rs, 6) &&
	   !nfqr_ruleset_detect_only(rs), "detect: which rules detect");

	n = udp4("10.1.1.1", 1, "hello");
	m = meta(n);
	memcpy(copy, buf, n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "detect drop: accepted");
	ok(r.detect == NFQR_DETECT_VERDICT && r.detect_verdict == NF_DROP && r.rule == 0 &&
	   r.reason == NFQR_REASON_RULE && !r.reject, "detect drop: would drop, by rule 0");
	ok(!r.mark_set && !r.ct_mark_set && !r.payload_rewritten && memcmp(copy, buf, n) == 0,
	   "detect drop: nothing changed");
	is_int(r.n_log, 0, "detect drop: ends evaluation, the later rule's log does not fire");
	is_int(nfqr_scratch_rule_counter(sc, 0)->hits, 1, "detect drop: the rule counts a hit");
	is_int(nfqr_scratch_rule_counter(sc, 8)->hits, 0, "detect drop: the later rule is not reached");

	n = udp4("10.1.1.1", 2, "hello");
	m = meta(n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "detect reject: accepted");
	ok(r.detect == NFQR_DETECT_VERDICT && r.detect_verdict == NF_REPEAT &&
	   r.detect_reject == NFQR_REJECT_ICMPX_ADMIN_PROHIBITED && r.reject == NFQR_REJECT_NONE,
	   "detect reject: would reject with icmpx admin-prohibited");
	ok(!r.mark_set && r.mark == 0, "detect reject: no reject code in the mark");

	n = udp4("10.1.1.1", 3, "hello");
	m = meta(n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "detect repeat: accepted");
	ok(r.detect == (NFQR_DETECT_VERDICT | NFQR_DETECT_MARK) && r.detect_verdict == NF_REPEAT &&
	   r.detect_mark == 0x10 && !r.mark_set, "detect repeat: would repeat with mark 0x10, mark not set");

	n = udp4("10.1.1.1", 4, "hello");
	m = meta(n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "detect queue: accepted");
	ok(r.detect == NFQR_DETECT_VERDICT &&
	   r.detect_verdict == (NF_QUEUE_NR(7) | NF_VERDICT_FLAG_QUEUE_BYPASS),
	   "detect queue: would queue to 7 with bypass");

	n = udp4("10.1.1.1", 5, "hello");
	m = meta(n);
	memcpy(copy, buf, n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "detect fill: accepted");
	ok(r.detect == NFQR_DETECT_REWRITE && r.detect_verdict == NF_ACCEPT && !r.payload_rewritten,
	   "detect fill: would rewrite, verdict accept");
	ok(memcmp(copy, buf, n) == 0, "detect fill: the buffer is unchanged");

	/* statements without a verdict: evaluation goes on, the later real rule drops */
	n = udp4("10.1.1.1", 6, "hello");
	m = meta(n);
	m.ct_present = true;
	m.ct_mark = 0x1;
	m.mark = 0x8;
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_DROP, "detect marks, then a real drop");
	ok(r.detect == (NFQR_DETECT_MARK | NFQR_DETECT_CT_MARK) && r.detect_mark == 0x3 &&
	   r.detect_ct_mark == 0x4 && r.detect_ct_mask == 0x4 && r.detect_verdict == NF_DROP,
	   "detect marks: would set mark 0x3 and ct mark bit 0x4; would-be verdict = the real one");
	ok(!r.mark_set && !r.ct_mark_set && r.mark == 0x8, "detect marks: marks not set");
	ok(r.rule == 6 && r.n_log == 1 && r.log_rules[0] == 6, "detect marks: the real rule decided and logged");

	/* replace with nothing to replace: no detection, and it ends evaluation as drop would */
	n = udp4("10.1.1.1", 8, "hello");
	m = meta(n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "detect replace+drop: accepted");
	ok(r.detect == NFQR_DETECT_VERDICT && r.detect_verdict == NF_DROP, "  nothing to replace: only the drop");
	n = udp4("10.1.1.1", 8, "azzb");
	m = meta(n);
	memcpy(copy, buf, n);
	nfqr_eval(rs, sc, buf, n, &m, &r);
	ok(r.detect == (NFQR_DETECT_VERDICT | NFQR_DETECT_REWRITE) && memcmp(copy, buf, n) == 0,
	   "  with \"zz\": would rewrite and drop, buffer unchanged");

	/* log still runs in a detecting rule; accept + mark: detect without verdict bit */
	n = udp4("10.1.1.1", 9, "hello");
	m = meta(n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "detect log+mark+accept: accepted");
	ok(r.n_log == 1 && r.log_rules[0] == 9 && r.detect == NFQR_DETECT_MARK &&
	   r.detect_mark == 0x1 && !r.mark_set, "  the log fires, would set mark 0x1");

	is_int(nfqr_scratch_stat(sc, NFQR_STAT_DETECT_DROP), 3, "stat detect_drop");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_DETECT_REJECT), 1, "stat detect_reject");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_DETECT_REPEAT), 1, "stat detect_repeat");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_DETECT_QUEUE), 1, "stat detect_queue");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_DETECT_MARK), 3, "stat detect_mark");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_DETECT_REWRITE), 2, "stat detect_rewrite");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_REJECT), 0, "stat reject: none given");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_REWRITE_DONE), 0, "stat rewrite_done: none done");
	is_str(nfqr_stat_name(NFQR_STAT_DETECT_DROP), "detect_drop", "stat name detect_drop");
	is_str(nfqr_stat_name(NFQR_STAT_DETECT_REWRITE), "detect_rewrite", "stat name detect_rewrite");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

/* --detect-only: every rule and the policies detect. */
static void test_detect_only(void)
{
	struct nfqr_load_opts o = { .detect_only = true };
	struct nfqr_ruleset *rs = load_opts("udp dport 1 meta mark set 0x5 drop\n"
					    "udp dport 2 payload fill \"Q\" accept\n"
					    "udp dport 3 reject\n"
					    "policy drop\n", &o);
	struct nfqr_scratch *sc;
	struct nfqr_pkt_meta m;
	struct nfqr_result r;
	uint8_t copy[2048];
	size_t n;

	if (!ok(rs != NULL, "detect-only: rules load"))
		return;
	sc = nfqr_scratch_new(rs);
	ok(nfqr_ruleset_detect_only(rs) && nfqr_ruleset_rule_detects(rs, 1), "detect-only: flagged");
	n = udp4("10.1.1.1", 1, "hello");
	m = meta(n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "detect-only drop: accepted");
	ok(r.detect == (NFQR_DETECT_VERDICT | NFQR_DETECT_MARK) && r.detect_verdict == NF_DROP &&
	   r.detect_mark == 0x5 && !r.mark_set, "  would drop with mark 0x5");
	n = udp4("10.1.1.1", 2, "hello");
	m = meta(n);
	memcpy(copy, buf, n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "detect-only fill: accepted");
	ok(r.detect == NFQR_DETECT_REWRITE && memcmp(copy, buf, n) == 0 && !r.payload_rewritten,
	   "  would rewrite, buffer unchanged");
	n = udp4("10.1.1.1", 3, "hello");
	m = meta(n);
	nfqr_eval(rs, sc, buf, n, &m, &r);
	ok(r.verdict == NF_ACCEPT && r.detect_reject == NFQR_REJECT_ICMPX_PORT_UNREACHABLE &&
	   !r.mark_set, "detect-only reject: accepted, would reject");
	n = udp4("10.1.1.1", 99, "hello");
	m = meta(n);
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "detect-only policy drop: accepted");
	ok(r.reason == NFQR_REASON_POLICY && r.detect == NFQR_DETECT_VERDICT &&
	   r.detect_verdict == NF_DROP, "  would be dropped by the policy");
	m = meta(n);
	m.mark = 0x02000000;       /* a reject code: the loop guard would drop */
	is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "detect-only reject loop guard: accepted");
	ok(r.reason == NFQR_REASON_REJECT_LOOP && r.detect_verdict == NF_DROP, "  would be dropped");
	buf[0] = 0x45;
	m = meta(10);
	is_int(nfqr_eval(rs, sc, buf, 10, &m, &r), NF_ACCEPT, "detect-only malformed: accepted");
	ok(r.reason == NFQR_REASON_MALFORMED && r.detect_verdict == NF_DROP, "  would be dropped (policy malformed)");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_DETECT_DROP), 4, "detect-only: detect_drop 4");
	is_int(nfqr_scratch_stat(sc, NFQR_STAT_REJECT_LOOP), 1, "detect-only: reject_loop still counted");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
	/* the same rules without the option act */
	rs = load("udp dport 1 meta mark set 0x5 drop\n");
	sc = nfqr_scratch_new(rs);
	n = udp4("10.1.1.1", 1, "hello");
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.detect == 0 && r.mark_set,
	   "without --detect-only: dropped, nothing detected");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

/* ---- issue 21: every form of tcp flags nft 1.0.6 accepts, with nft's meaning ---- */

/* The forms and what nft compiles each to (nft --debug=netlink): the flags
 * under a mask, compared with a value (== or !=), or looked up in a set. */
static const struct flags_form {
	const char *rule;
	unsigned mask, value;
	bool neq;
	unsigned set[2];          /* a lookup when set[0] | set[1] */
} flags_forms[] = {
	{ "tcp flags & (fin|syn) == (fin|syn)", 0x03, 0x03, false, { 0, 0 } },
	{ "tcp flags & (fin|syn) == fin|syn", 0x03, 0x03, false, { 0, 0 } },
	{ "tcp flags & (syn|ack) == syn|ack", 0x12, 0x12, false, { 0, 0 } },
	{ "tcp flags & (syn | ack) == syn", 0x12, 0x02, false, { 0, 0 } },
	{ "tcp flags & (syn|fin) != (syn|fin)", 0x03, 0x03, true, { 0, 0 } },
	{ "tcp flags & (syn|rst) != 0", 0x06, 0, true, { 0, 0 } },
	{ "tcp flags & syn == 0", 0x02, 0, false, { 0, 0 } },
	{ "tcp flags & 0x3 == 0x3", 0x03, 0x03, false, { 0, 0 } },
	{ "tcp flags syn", 0x02, 0, true, { 0, 0 } },
	{ "tcp flags syn,ack", 0x12, 0, true, { 0, 0 } },
	{ "tcp flags syn|ack", 0x12, 0, true, { 0, 0 } },
	{ "tcp flags (syn|ack)", 0x12, 0, true, { 0, 0 } },
	{ "tcp flags ! syn", 0x02, 0, false, { 0, 0 } },
	{ "tcp flags == syn|ack", 0xff, 0x12, false, { 0, 0 } },
	{ "tcp flags == (syn|ack)", 0xff, 0x12, false, { 0, 0 } },
	{ "tcp flags == 0x12", 0xff, 0x12, false, { 0, 0 } },
	{ "tcp flags != syn", 0xff, 0x02, true, { 0, 0 } },
	{ "tcp flags != syn,ack", 0xff, 0x12, true, { 0, 0 } },
	{ "tcp flags syn / syn,ack", 0x12, 0x02, false, { 0, 0 } },
	{ "tcp flags syn,ack / syn,ack,rst", 0x16, 0x12, false, { 0, 0 } },
	{ "tcp flags { syn, syn|ack }", 0xff, 0, false, { 0x02, 0x12 } },
	{ "tcp flags == { syn, ack }", 0xff, 0, false, { 0x02, 0x10 } },
	{ "tcp flags != { syn, ack }", 0xff, 0, true, { 0x02, 0x10 } },
};

static bool flags_want(const struct flags_form *ff, unsigned f)
{
	bool in = ff->set[0] | ff->set[1] ? f == ff->set[0] || f == ff->set[1]
					 : (f & ff->mask) == ff->value;

	return in != ff->neq;
}

static void test_tcp_flags_forms(void)
{
	for (size_t i = 0; i < sizeof(flags_forms) / sizeof(flags_forms[0]); i++) {
		const struct flags_form *ff = &flags_forms[i];
		char text[160];
		struct nfqr_ruleset *rs;
		struct nfqr_scratch *sc;
		unsigned bad = 0, f;

		snprintf(text, sizeof(text), "%s drop\n", ff->rule);
		rs = load(text);
		if (!ok(rs != NULL, "nft's form loads: %s", ff->rule))
			continue;
		sc = nfqr_scratch_new(rs);
		for (f = 0; f < 256; f++) {
			size_t n = pkt_ipv4(buf, "198.51.100.1", "192.0.2.100", 6, l4,
					    l4_tcp(l4, 40000, 80, (uint8_t)f, NULL, 0));
			struct nfqr_pkt_meta m = meta(n);
			struct nfqr_result r;

			if ((nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP) != flags_want(ff, f) && !bad++)
				printf("#   flags 0x%02x: %s, nft: %s\n", f, r.verdict == NF_DROP ?
				       "matches" : "does not", flags_want(ff, f) ? "matches" : "does not");
		}
		is_int(bad, 0, "  as nft over all 256 flag values: %s", ff->rule);
		nfqr_scratch_free(sc);
		nfqr_ruleset_free(rs);
	}
	/* ct state ! established,related: in neither state (nft: & (them) == 0) */
	{
		struct nfqr_ruleset *rs = load("ct state ! established,related drop\n");
		struct nfqr_scratch *sc = rs ? nfqr_scratch_new(rs) : NULL;
		static const struct { bool ct; uint8_t info; bool drop; } c[] = {
			{ false, 0, true }, { true, IP_CT_NEW, true },
			{ true, IP_CT_ESTABLISHED, false }, { true, IP_CT_RELATED_REPLY, false },
		};
		unsigned bad = 0;

		for (size_t i = 0; sc && i < sizeof(c) / sizeof(c[0]); i++) {
			size_t n = tcp4(80, "");
			struct nfqr_pkt_meta m = meta(n);
			struct nfqr_result r;

			m.ct_present = m.ct_info_present = c[i].ct;
			m.ct_info = c[i].info;
			bad += (nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP) != c[i].drop;
		}
		ok(sc && !bad, "ct state ! established,related: invalid and new, not the others");
		nfqr_scratch_free(sc);
		nfqr_ruleset_free(rs);
	}
}

/* ---- issue 21: th sport/dport read any transport header, as nft's @th,0,16 ------- */

static void test_th_ports_any_protocol(void)
{
	struct nfqr_ruleset *rs = load("th sport 2048 drop comment \"echo\"\n"
				       "th dport 0x6558 drop comment \"gre\"\n");
	struct nfqr_scratch *sc = rs ? nfqr_scratch_new(rs) : NULL;
	struct nfqr_result r;
	struct nfqr_pkt_meta m;
	size_t n;

	if (!ok(sc != NULL, "th ports load"))
		return;
	/* ICMP echo request: type 8, code 0 are the first 16 bits */
	n = pkt_ipv4(buf, "198.51.100.1", "192.0.2.100", 1, l4, l4_icmp(l4, 8, 0, "x", 1));
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 0,
	   "th sport 2048 matches an ICMP echo request (type 8 code 0), as in nft");
	/* GRE: flags/version 0, protocol 0x6558 (transparent Ethernet bridging) */
	memcpy(l4, "\x00\x00\x65\x58", 4);
	n = pkt_ipv4(buf, "198.51.100.1", "192.0.2.100", 47, l4, 4);
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_DROP && r.rule == 1,
	   "th dport 0x6558 matches GRE's protocol field, as in nft");
	/* a GRE header cut to 3 bytes: the field is not there */
	n = pkt_ipv4(buf, "198.51.100.1", "192.0.2.100", 47, l4, 3);
	m = meta(n);
	ok(nfqr_eval(rs, sc, buf, n, &m, &r) == NF_ACCEPT, "  not when the header is shorter");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

/* ---- issue 21: the examples of nfqringd.rules(5) load, and every rule is reached -- */

static void test_man_examples(void)
{
	FILE *f = fopen("man/nfqringd.rules.5", "r");
	static char page[1 << 17], text[4096];
	size_t n = f ? fread(page, 1, sizeof(page) - 1, f) : 0;
	const char *a, *b;
	struct nfqr_ruleset *rs;
	struct nfqr_scratch *sc;
	uint8_t dns[12] = { 0, 1, 0x81, 0x80 };      /* a response: QR set */
	/* one packet aimed at each rule, in order: proto, dport, payload, source,
	 * input interface, mark, connection state (-1: none), socket uid */
	static const struct { uint8_t proto; uint16_t dport; const char *pl, *src;
			      uint32_t iif, mark; int ct, uid; } t[] = {
		{ 17, 10086, "x", "198.51.100.1", 0, 0, IP_CT_NEW, -1 },
		{ 17, 10010, "x", "198.51.100.1", 0, 0, IP_CT_NEW, -1 },
		{ 17, 5, "x", "10.1.2.3", 0, 0, IP_CT_NEW, -1 },
		{ 17, 5, "x", "2001:db8::1", 0, 0, IP_CT_NEW, -1 },
		{ 6, 22, "GET /admin", "198.51.100.1", 0, 0, IP_CT_NEW, -1 },
		{ 17, 5, "x", "198.51.100.1", 7, 0x10, IP_CT_NEW, -1 },
		{ 6, 443, "", "198.51.100.1", 0, 0, IP_CT_NEW, -1 },
		{ 17, 5, "x", "198.51.100.1", 0, 0, -1, -1 },
		{ 17, 5, "x", "198.51.100.1", 0, 0, IP_CT_ESTABLISHED, -1 },
		{ 6, 8443, "", "198.51.100.1", 0, 0, IP_CT_NEW, 1000 },
		{ 17, 53, NULL, "198.51.100.1", 0, 0, IP_CT_NEW, -1 },
		{ 6, 23, "", "198.51.100.1", 0, 0, IP_CT_NEW, -1 },
		{ 17, 69, "x", "198.51.100.1", 0, 0, IP_CT_NEW, -1 },
		{ 6, 25, "", "198.51.100.1", 0, 0, IP_CT_NEW, -1 },
	};
	unsigned missed = 0;

	if (f)
		fclose(f);
	page[n] = 0;
	a = strstr(page, ".SH EXAMPLES\n.nf\n");
	b = a ? strstr(a, "\n.fi\n") : NULL;
	if (!ok(a && b && b - a < (long)sizeof(text), "nfqringd.rules(5) has its EXAMPLES"))
		return;
	a += strlen(".SH EXAMPLES\n.nf\n");
	snprintf(text, sizeof(text), "%.*s\n", (int)(b - a), a);
	rs = load(text);
	if (!ok(rs != NULL, "  they load") ||
	    !is_int(nfqr_ruleset_rule_count(rs), sizeof(t) / sizeof(t[0]), "  %zu rules",
		    sizeof(t) / sizeof(t[0]))) {
		nfqr_ruleset_free(rs);
		return;
	}
	nfqr_ruleset_ifname_set(rs, 7, "veth0");
	sc = nfqr_scratch_new(rs);
	for (uint32_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		bool v6 = strchr(t[i].src, ':') != NULL;
		size_t l = t[i].proto == 6 ? l4_tcp(l4, 40000, t[i].dport, 0x02, t[i].pl, strlen(t[i].pl))
			 : t[i].pl ? l4_udp(l4, 40000, t[i].dport, t[i].pl, strlen(t[i].pl))
			 : l4_udp(l4, 40000, t[i].dport, dns, sizeof(dns));
		size_t len = v6 ? pkt_ipv6(buf, t[i].src, "2001:db8:1::2", t[i].proto, NULL, 0, l4, l)
				: pkt_ipv4(buf, t[i].src, "192.0.2.100", t[i].proto, l4, l);
		struct nfqr_pkt_meta m = meta(len);
		struct nfqr_result r;

		m.iif = t[i].iif;
		m.mark = t[i].mark;
		m.ct_present = m.ct_info_present = t[i].ct >= 0;
		m.ct_info = (uint8_t)(t[i].ct >= 0 ? t[i].ct : 0);
		m.uid_present = t[i].uid >= 0;
		m.uid = (uint32_t)t[i].uid;
		nfqr_eval(rs, sc, buf, len, &m, &r);
		if (r.rule != (int32_t)i) {
			missed++;
			printf("#   rule %u (line %u) not reached: decided by %d\n", i,
			       nfqr_ruleset_rule_line(rs, i), r.rule);
		}
	}
	is_int(missed, 0, "  every rule reached by a packet aimed at it");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

int main(void)
{
	test_example();
	test_nft_semantics();
	test_ct_mark_forms();
	test_ct_state();
	test_skuid();
	test_raw_payload();
	test_raw_after_rewrite();
	test_backends_agree();
	test_content_scan_skipped();
	test_reject();
	test_detect();
	test_detect_only();
	test_tcp_flags_forms();
	test_th_ports_any_protocol();
	test_man_examples();
	srand(4321);
	test_random_vs_reference();
	return tap_done();
}
