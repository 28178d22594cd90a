/* SPDX-License-Identifier: GPL-2.0-only */
/* `@payload content "..." stream`: patterns split across in-order TCP segments. */
#include <linux/netfilter.h>
#include <stdlib.h>
#include <string.h>

#include "content.h"
#include "nfqr_engine.h"
#include "pkt.h"
#include "tap.h"

size_t nfqr_scratch_stream_bytes(const struct nfqr_scratch *sc);

static uint8_t buf[2048], l4[1024];
static enum nfqr_cm_backend backend;
static struct nfqr_result last;     /* of seg() */
static const char *bname;

static struct nfqr_ruleset *load_slots(const char *text, uint32_t slots)
{
	struct nfqr_diag d = { 0 };
	struct nfqr_load_opts o = { .backend = backend, .stream_slots = slots };
	struct nfqr_ruleset *rs = nfqr_ruleset_parse("t.nft", text, strlen(text), &o, &d);

	for (size_t i = 0; i < d.n; i++)
		printf("# %s\n", d.msgs[i]);
	nfqr_diag_free(&d);
	return rs;
}

/* One TCP segment of 198.51.100.1:sport -> 192.0.2.100:80 (or back with rev). */
static uint32_t seg(const struct nfqr_ruleset *rs, struct nfqr_scratch *sc, uint16_t sport,
		    bool rev, uint8_t flags, uint32_t seq, const char *payload)
{
	size_t n, l = l4_tcp(l4, rev ? 80 : sport, rev ? sport : 80, flags, payload, strlen(payload));
	struct nfqr_pkt_meta m = { 0 };
	struct nfqr_result r;

	l4[4] = (uint8_t)(seq >> 24); l4[5] = (uint8_t)(seq >> 16);
	l4[6] = (uint8_t)(seq >> 8);  l4[7] = (uint8_t)seq;
	n = rev ? pkt_ipv4(buf, "192.0.2.100", "198.51.100.1", 6, l4, l)
		: pkt_ipv4(buf, "198.51.100.1", "192.0.2.100", 6, l4, l);
	m.pkt_len = (uint32_t)n;
	nfqr_eval(rs, sc, buf, n, &m, &r);
	last = r;
	return r.verdict;
}

#define ACK 0x10
#define PSH 0x18
#define FIN 0x11
#define SYN 0x02

static uint64_t stat(struct nfqr_scratch *sc, enum nfqr_stat s)
{
	return nfqr_scratch_stat(sc, s);
}

static void test_split(void)
{
	struct nfqr_ruleset *rs = load_slots("tcp dport 80 @payload content \"GET /admin\" stream drop\n", 0);
	struct nfqr_scratch *sc;

	if (!ok(rs != NULL, "%s: stream rule loads", bname))
		return;
	is_str(nfqr_ruleset_backend(rs), bname, "%s: backend", bname);
	sc = nfqr_scratch_new(rs);
	ok(nfqr_scratch_stream_bytes(sc) == NFQR_STREAM_SLOTS_DEFAULT * 64,
	   "%s: table of the default %u slots x 64 bytes (maxlen 10)", bname, NFQR_STREAM_SLOTS_DEFAULT);
	is_int(nfqr_ruleset_copy_range(rs), 0xffff, "%s: stream content needs the whole packet", bname);
	/* whole pattern in one segment: per packet, as usual */
	is_int(seg(rs, sc, 1000, false, PSH, 100, "xx GET /admin yy"), NF_DROP, "%s: in one segment", bname);
	/* split: the second segment completes it */
	is_int(seg(rs, sc, 1001, false, SYN, 499, ""), NF_ACCEPT, "%s: SYN", bname);
	is_int(seg(rs, sc, 1001, false, PSH, 500, "hello GET /ad"), NF_ACCEPT, "%s: first half passes", bname);
	is_int(seg(rs, sc, 1001, false, PSH, 513, "min HTTP/1.1"), NF_DROP, "%s: second half completes it: drop", bname);
	is_int(stat(sc, NFQR_STAT_STREAM_JOINS), 1, "%s: one join", bname);
	/* dropped: the resent segment is joined again */
	is_int(seg(rs, sc, 1001, false, PSH, 513, "min HTTP/1.1"), NF_DROP, "%s: resent after a drop: drop again", bname);
	/* no false match across a boundary: the pattern wholly in the tail */
	is_int(seg(rs, sc, 1002, false, PSH, 1, "GET /admin"), NF_DROP, "%s: whole in the first", bname);
	is_int(seg(rs, sc, 1003, false, PSH, 1, "a GET /admi"), NF_ACCEPT, "%s: near miss 1", bname);
	is_int(seg(rs, sc, 1003, false, PSH, 12, "X"), NF_ACCEPT, "%s: near miss 2: not across", bname);
	is_int(seg(rs, sc, 1003, false, PSH, 13, "n"), NF_ACCEPT, "%s: 'GET /admiXn' no match", bname);
	is_int(stat(sc, NFQR_STAT_STREAM_FLOWS), 2, "%s: two flows in the table (drops keep no state)", bname);
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

static void test_order(void)
{
	struct nfqr_ruleset *rs = load_slots("@payload content \"GET /admin\" stream drop\n", 0);
	struct nfqr_scratch *sc;

	if (!ok(rs != NULL, "%s: rule without port loads", bname))
		return;
	sc = nfqr_scratch_new(rs);
	/* gap: no join */
	seg(rs, sc, 2000, false, PSH, 100, "...GET /ad");
	is_int(seg(rs, sc, 2000, false, PSH, 111, "min"), NF_ACCEPT, "%s: seq gap: not joined", bname);
	is_int(stat(sc, NFQR_STAT_STREAM_OUT_OF_ORDER), 1, "%s: out of order counted", bname);
	/* the gap resynchronized the flow: from the new segment on, joins work */
	is_int(seg(rs, sc, 2000, false, PSH, 114, "GET /ad"), NF_ACCEPT, "%s: after the gap", bname);
	is_int(seg(rs, sc, 2000, false, PSH, 121, "min"), NF_DROP, "%s: joined after the gap", bname);
	/* a resent first segment does not break the later join */
	seg(rs, sc, 2001, false, PSH, 100, "zzGET /");
	is_int(seg(rs, sc, 2001, false, PSH, 100, "zzGET /"), NF_ACCEPT, "%s: resent first segment", bname);
	is_int(seg(rs, sc, 2001, false, PSH, 107, "admin"), NF_DROP, "%s: join after a resend", bname);
	/* the other direction is independent */
	seg(rs, sc, 2002, false, PSH, 100, "GET /a");
	is_int(seg(rs, sc, 2002, true, PSH, 106, "dmin"), NF_ACCEPT, "%s: other direction: no join", bname);
	is_int(seg(rs, sc, 2002, false, PSH, 106, "dmin"), NF_DROP, "%s: same direction joins", bname);
	/* FIN clears */
	seg(rs, sc, 2003, false, PSH, 100, "GET /a");
	is_int(stat(sc, NFQR_STAT_STREAM_FLOWS), 5, "%s: five flows (2002 has two)", bname);
	seg(rs, sc, 2003, false, FIN, 106, "");
	is_int(stat(sc, NFQR_STAT_STREAM_FLOWS), 4, "%s: FIN evicts", bname);
	is_int(seg(rs, sc, 2003, false, PSH, 106, "dmin"), NF_ACCEPT, "%s: after FIN: no join", bname);
	/* seq wraps around 2^32 */
	seg(rs, sc, 2004, false, PSH, 0xfffffffcu, "GET /a");
	is_int(seg(rs, sc, 2004, false, PSH, 2, "dmin"), NF_DROP, "%s: join across seq wrap", bname);
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

static void test_thirds(void)
{
	/* 24 bytes, maxlen-1 = 23: a short middle segment must combine with the old tail */
	struct nfqr_ruleset *rs = load_slots(
		"@payload content \"abcdefgh12345678ABCDEFGH\" stream drop\n"
		"@payload content \"XY\" stream nocase accept\n", 0);
	struct nfqr_scratch *sc;

	if (!ok(rs != NULL, "%s: long stream pattern loads", bname))
		return;
	sc = nfqr_scratch_new(rs);
	is_int(seg(rs, sc, 3000, false, PSH, 1, "--abcdefgh"), NF_ACCEPT, "%s: third 1", bname);
	is_int(seg(rs, sc, 3000, false, PSH, 11, "12345678"), NF_ACCEPT, "%s: third 2", bname);
	is_int(seg(rs, sc, 3000, false, PSH, 19, "ABCDEFGH--"), NF_DROP, "%s: third 3 completes it", bname);
	/* one byte at a time */
	{
		const char *pat = "abcdefgh12345678ABCDEFGH";
		uint32_t v = NF_ACCEPT, i;
		char one[2] = { 0 };

		for (i = 0; i < 24 && v == NF_ACCEPT; i++) {
			one[0] = pat[i];
			v = seg(rs, sc, 3001, false, PSH, 50 + i, one);
		}
		is_int(i, 24, "%s: byte by byte, the last byte decides", bname);
		is_int(v, NF_DROP, "%s: byte by byte: drop", bname);
	}
	/* a short stream pattern, nocase */
	seg(rs, sc, 3002, false, PSH, 1, "...x");
	is_int(seg(rs, sc, 3002, false, PSH, 5, "y..."), NF_ACCEPT, "%s: nocase short stream pattern", bname);
	is_int(stat(sc, NFQR_STAT_POLICY), 2 + 23 + 1, "%s: only the matches left policy", bname);
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

static void test_eviction(void)
{
	struct nfqr_ruleset *rs = load_slots("@payload content \"GET /admin\" stream drop\n", 4);
	struct nfqr_scratch *sc;

	if (!ok(rs != NULL, "%s: table of 4 slots", bname))
		return;
	sc = nfqr_scratch_new(rs);
	is_int(nfqr_scratch_stream_bytes(sc), 4 * 64, "%s: 4 x 64 bytes", bname);
	for (uint16_t p = 0; p < 4; p++)
		seg(rs, sc, (uint16_t)(4000 + p), false, PSH, 1, "GET /");
	is_int(stat(sc, NFQR_STAT_STREAM_FLOWS), 4, "%s: full", bname);
	is_int(stat(sc, NFQR_STAT_STREAM_EVICTIONS), 0, "%s: no eviction yet", bname);
	/* flow 4001..4003 are used again: 4000 is the oldest */
	for (uint16_t p = 1; p < 4; p++)
		seg(rs, sc, (uint16_t)(4000 + p), false, PSH, 6, "x");
	seg(rs, sc, 4100, false, PSH, 1, "hello");
	is_int(stat(sc, NFQR_STAT_STREAM_EVICTIONS), 1, "%s: a fifth flow evicts one", bname);
	is_int(stat(sc, NFQR_STAT_STREAM_FLOWS), 4, "%s: still 4 in use", bname);
	is_int(seg(rs, sc, 4000, false, PSH, 6, "admin"), NF_ACCEPT, "%s: the oldest was evicted", bname);
	seg(rs, sc, 4002, false, PSH, 7, "GET /");
	is_int(seg(rs, sc, 4002, false, PSH, 12, "admin"), NF_DROP, "%s: a recent one stays", bname);
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

static void test_no_stream(void)
{
	struct nfqr_ruleset *rs = load_slots("@payload content \"GET /admin\" drop\n", 0);
	struct nfqr_scratch *sc;

	if (!ok(rs != NULL, "%s: plain content loads", bname))
		return;
	sc = nfqr_scratch_new(rs);
	is_int(nfqr_scratch_stream_bytes(sc), 0, "%s: no stream content: no table", bname);
	seg(rs, sc, 5000, false, PSH, 1, "GET /ad");
	is_int(seg(rs, sc, 5000, false, PSH, 8, "min"), NF_ACCEPT, "%s: plain content is per packet", bname);
	is_int(seg(rs, sc, 5001, false, PSH, 1, "GET /admin"), NF_DROP, "%s: per packet still matches", bname);
	is_int(stat(sc, NFQR_STAT_STREAM_JOINS), 0, "%s: no joins", bname);
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
	/* the same string plain and stream: two patterns, only the stream rule joins */
	rs = load_slots("@payload content \"GET /admin\" meta mark set 1\n"
			"@payload content \"GET /admin\" stream drop\n", 0);
	if (!ok(rs != NULL, "%s: plain and stream of one string", bname))
		return;
	sc = nfqr_scratch_new(rs);
	seg(rs, sc, 5002, false, PSH, 1, "GET /ad");
	{
		struct nfqr_pkt_meta m = { 0 };
		struct nfqr_result r;
		size_t n, l = l4_tcp(l4, 5002, 80, PSH, "min", 3);

		l4[7] = 8;
		n = pkt_ipv4(buf, "198.51.100.1", "192.0.2.100", 6, l4, l);
		m.pkt_len = (uint32_t)n;
		nfqr_eval(rs, sc, buf, n, &m, &r);
		is_int(r.verdict, NF_DROP, "%s: stream rule joins", bname);
		ok(!r.mark_set, "%s: plain rule did not", bname);
	}
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

/* Only occurrences across the boundary count: not one wholly in the tail. */
static void test_across_only(void)
{
	/* maxlen 10: "abc" fits wholly in a tail of 9 */
	struct nfqr_ruleset *rs = load_slots("@payload content \"abc\" stream meta mark set 7\n"
					     "@payload content \"0123456789\" stream drop\n", 0);
	struct nfqr_scratch *sc;

	if (!ok(rs != NULL, "%s: marking stream rule loads", bname))
		return;
	sc = nfqr_scratch_new(rs);
	seg(rs, sc, 7000, false, PSH, 1, "xabc");
	ok(last.mark_set && last.mark == 7, "%s: whole pattern: marked", bname);
	seg(rs, sc, 7000, false, PSH, 5, "yy");
	ok(!last.mark_set, "%s: next segment: the pattern wholly in the tail does not count", bname);
	seg(rs, sc, 7000, false, PSH, 7, "abc");
	ok(last.mark_set, "%s: wholly in the new payload: per packet", bname);
	is_int(stat(sc, NFQR_STAT_STREAM_JOINS), 2, "%s: two joins", bname);
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

/* detect: would-be drop is accepted, so the state goes on */
static void test_rewrite_and_detect(void)
{
	struct nfqr_ruleset *rs = load_slots(
		"tcp dport 80 payload replace \"GET /ad\" \"XXXXXXX\"\n"
		"@payload content \"GET /admin\" stream drop\n", 0);
	struct nfqr_scratch *sc;

	if (!ok(rs != NULL, "%s: rewrite + stream loads", bname))
		return;
	sc = nfqr_scratch_new(rs);
	is_int(seg(rs, sc, 6000, false, PSH, 1, "GET /ad"), NF_ACCEPT, "%s: rewritten first half", bname);
	is_int(seg(rs, sc, 6000, false, PSH, 8, "min"), NF_DROP,
	       "%s: the tail is the payload as it arrived, before rewrites", bname);
	is_int(stat(sc, NFQR_STAT_REWRITE_DONE), 1, "%s: the first half was rewritten", bname);
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

static void test_parser(void)
{
	static const struct { const char *text, *err; } bad[] = {
		{ "@payload content \"abc\" depth 10 stream drop\n", "expected no 'offset' or 'depth' with 'stream'" },
		{ "@payload content \"abc\" stream offset 2 drop\n", "expected no 'offset' or 'depth' with 'stream'" },
		{ "udp dport 53 @payload content \"abc\" stream drop\n", "expected matches that let TCP packets through" },
		{ "meta l4proto != tcp @payload content \"abc\" stream drop\n", "expected matches that let TCP packets through" },
		{ "icmp type echo-request @payload content \"abc\" stream drop\n", "expected matches that let TCP" },
	};
	char longpat[600];
	struct nfqr_ruleset *rs;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nfqr_diag d = { 0 };

		rs = nfqr_ruleset_parse("t.nft", bad[i].text, strlen(bad[i].text), NULL, &d);
		ok(!rs && d.n >= 1 && strstr(d.msgs[0], bad[i].err), "refused: %s", bad[i].text);
		if (d.n)
			printf("# %s\n", d.msgs[0]);
		nfqr_ruleset_free(rs);
		nfqr_diag_free(&d);
	}
	snprintf(longpat, sizeof(longpat), "@payload content \"%0*d\" stream drop\n", 257, 0);
	{
		struct nfqr_diag d = { 0 };

		rs = nfqr_ruleset_parse("t.nft", longpat, strlen(longpat), NULL, &d);
		ok(!rs && d.n && strstr(d.msgs[0], "at most 256 bytes with 'stream', got 257"),
		   "refused: a stream content over 256 bytes");
		nfqr_ruleset_free(rs);
		nfqr_diag_free(&d);
	}
	rs = load_slots("@payload content \"abc\" nocase stream stream drop\n", 0);
	ok(!rs, "'stream' twice is refused");
	nfqr_ruleset_free(rs);
	rs = load_slots("tcp dport 80 @payload content \"abc\" stream nocase @payload content \"d\" drop\n", 0);
	ok(rs != NULL, "stream and nocase in any order, with another content");
	nfqr_ruleset_free(rs);
	/* implied meta l4proto tcp: a UDP packet carrying the pattern is not matched */
	rs = load_slots("@payload content \"abc\" stream drop\n", 0);
	if (ok(rs != NULL, "stream without other matches loads")) {
		struct nfqr_scratch *sc = nfqr_scratch_new(rs);
		struct nfqr_pkt_meta m = { 0 };
		struct nfqr_result r;
		size_t n = pkt_ipv4(buf, "198.51.100.1", "192.0.2.100", 17, l4, l4_udp(l4, 1, 2, "abc", 3));

		m.pkt_len = (uint32_t)n;
		is_int(nfqr_eval(rs, sc, buf, n, &m, &r), NF_ACCEPT, "stream implies meta l4proto tcp");
		nfqr_scratch_free(sc);
		nfqr_ruleset_free(rs);
	}
	ok(strcmp(nfqr_stat_name(NFQR_STAT_STREAM_JOINS), "stream_joins") == 0 &&
	   strcmp(nfqr_stat_name(NFQR_STAT_STREAM_FLOWS), "stream_flows") == 0 &&
	   strcmp(nfqr_stat_name(NFQR_STAT_STREAM_EVICTIONS), "stream_evictions") == 0 &&
	   strcmp(nfqr_stat_name(NFQR_STAT_STREAM_OUT_OF_ORDER), "stream_out_of_order") == 0,
	   "stat names");
}

static void run(enum nfqr_cm_backend be, const char *name)
{
	backend = be;
	bname = name;
	test_split();
	test_order();
	test_thirds();
	test_eviction();
	test_no_stream();
	test_rewrite_and_detect();
	test_across_only();
}

int main(void)
{
	run(NFQR_CM_AHO_CORASICK, "aho-corasick");
	if (nfqr_cm_hyperscan_available())
		run(NFQR_CM_HYPERSCAN, "hyperscan");
	else
		ok(1, "# SKIP hyperscan not available");
	test_parser();
	return tap_done();
}
