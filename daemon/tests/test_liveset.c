/* SPDX-License-Identifier: GPL-2.0-only */
/* Live sets: declarations, lookups with timeouts, control commands, reloads
 * keeping run-time elements, version reclamation, and the interval sweep
 * against a naive model. */
#include <linux/netfilter.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "liveset.h"
#include "nfqr_engine.h"
#include "pkt.h"
#include "tap.h"

#define S 1000000000ull
#define T0 (1000 * S)               /* "now" at load in these tests */

static uint8_t buf[256], l4[64];

static struct nfqr_ruleset *load(struct nfqr_sets *st, const char *text, struct nfqr_diag *d)
{
	struct nfqr_load_opts o = { .backend = NFQR_CM_AHO_CORASICK, .sets = st };
	struct nfqr_ruleset *rs = nfqr_ruleset_parse("t.nft", text, strlen(text), &o, d);

	if (rs && st && nfqr_ruleset_activate_sets(rs, T0))
		printf("# activation failed\n");
	return rs;
}

static struct nfqr_ruleset *load_ok(struct nfqr_sets *st, const char *text)
{
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs = load(st, text, &d);

	for (size_t i = 0; i < d.n; i++)
		printf("# %s\n", d.msgs[i]);
	nfqr_diag_free(&d);
	return rs;
}

/* The first error of a file that must not load. */
static void load_err(const char *text, const char *want, const char *what)
{
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs = load(NULL, text, &d);

	ok(!rs && d.n && strstr(d.msgs[0], want), "refused: %s", what);
	if (d.n && !strstr(d.msgs[0], want))
		printf("#   got  %s\n#   want ...%s...\n", d.msgs[0], want);
	nfqr_ruleset_free(rs);
	nfqr_diag_free(&d);
}

/* UDP from src to dst:53 with mark, judged at time now */
static uint32_t judge(const struct nfqr_ruleset *rs, struct nfqr_scratch *sc, const char *src,
		      uint32_t mark, uint64_t now)
{
	size_t l = l4_udp(l4, 1234, 53, "x", 1), n;
	struct nfqr_pkt_meta m = { .mark = mark, .now_ns = now };
	struct nfqr_result r;

	if (strchr(src, ':'))
		n = pkt_ipv6(buf, src, "2001:db8::53", 17, NULL, 0, l4, l);
	else
		n = pkt_ipv4(buf, src, "192.0.2.53", 17, l4, l);
	m.pkt_len = (uint32_t)n;
	return nfqr_eval(rs, sc, buf, n, &m, &r);
}

/* Runs a control command; returns its code, output in out[] */
static char out[4096];
static int cmd(struct nfqr_sets *st, const char *c, uint64_t now)
{
	char *o = NULL;
	int rc = nfqr_sets_command(st, c, strlen(c), now, &o);

	snprintf(out, sizeof(out), "%s", o ? o : "");
	free(o);
	return rc;
}

/* out on one line, for test names */
static const char *flat(void)
{
	static char f[sizeof(out)];

	for (size_t i = 0; i < sizeof(f); i++)
		f[i] = out[i] == '\n' ? '|' : out[i];
	return f;
}

static void test_duration(void)
{
	uint64_t ns = 0;

	ok(nfqr_parse_duration("1h30m", 5, &ns) && ns == 5400 * S, "1h30m");
	ok(nfqr_parse_duration("500ms", 5, &ns) && ns == 500000000ull, "500ms");
	ok(nfqr_parse_duration("10", 2, &ns) && ns == 10 * S, "a bare number is seconds");
	ok(nfqr_parse_duration("2d1s", 4, &ns) && ns == (2 * 86400 + 1) * S, "2d1s");
	ok(nfqr_parse_duration("1m5ms", 5, &ns) && ns == 60 * S + 5000000, "1m5ms");
	ok(!nfqr_parse_duration("1m1h", 4, &ns), "units out of order refused");
	ok(!nfqr_parse_duration("5x", 2, &ns), "unknown unit refused");
	ok(!nfqr_parse_duration("h", 1, &ns), "unit without number refused");
	ok(!nfqr_parse_duration("1s1s", 4, &ns), "unit twice refused");
}

static void test_format(void)
{
	char b[96];

	nfqr_lelem_format(b, sizeof(b), NFQR_LFMT_IPV4, (struct nfqr_key){ 0, 0x0a000000 },
			  (struct nfqr_key){ 0, 0x0affffff });
	is_str(b, "10.0.0.0/8", "IPv4 prefix written as a prefix");
	nfqr_lelem_format(b, sizeof(b), NFQR_LFMT_IPV4, (struct nfqr_key){ 0, 0x0a000001 },
			  (struct nfqr_key){ 0, 0x0a000005 });
	is_str(b, "10.0.0.1-10.0.0.5", "IPv4 range written as a range");
	nfqr_lelem_format(b, sizeof(b), NFQR_LFMT_IPV6, (struct nfqr_key){ 0x20010db800000000ull, 0 },
			  (struct nfqr_key){ 0x20010db8ffffffffull, ~0ull });
	is_str(b, "2001:db8::/32", "IPv6 prefix");
	nfqr_lelem_format(b, sizeof(b), NFQR_LFMT_HEX, (struct nfqr_key){ 0, 0x2a },
			  (struct nfqr_key){ 0, 0x2a });
	is_str(b, "0x2a", "mark in hex");
	nfqr_duration_format(b, sizeof(b), 5400 * S + 20000000);
	is_str(b, "1h30m20ms", "duration written back");
}

static const char *const bl_rules =
	"set bl { type ipv4_addr; flags interval, timeout; timeout 1m;\n"
	"  elements = { 198.51.100.7, 203.0.113.0/24 timeout 10s } }\n"
	"ip saddr @bl drop\n";

static void test_lookup_and_timeouts(void)
{
	struct nfqr_ruleset *rs = load_ok(NULL, bl_rules);
	struct nfqr_scratch *sc = rs ? nfqr_scratch_new(rs) : NULL;

	if (!ok(rs && sc, "a live set loads without a store (its own, in force at once)"))
		return;
	is_int(nfqr_ruleset_live_sets(rs), 1, "one live set");
	/* own store: activated at load with the monotonic clock, so judge with
	 * times relative to a fresh activation at T0 */
	nfqr_ruleset_activate_sets(rs, T0);
	is_int(judge(rs, sc, "198.51.100.7", 0, T0 + S), NF_DROP, "file element matches");
	is_int(judge(rs, sc, "203.0.113.9", 0, T0 + 9 * S), NF_DROP, "prefix element within its timeout");
	is_int(judge(rs, sc, "203.0.113.9", 0, T0 + 10 * S), NF_ACCEPT, "prefix element after its 10 s");
	is_int(judge(rs, sc, "198.51.100.7", 0, T0 + 59 * S), NF_DROP, "default timeout 1m: still in");
	is_int(judge(rs, sc, "198.51.100.7", 0, T0 + 61 * S), NF_ACCEPT, "default timeout 1m: expired");
	is_int(judge(rs, sc, "198.51.100.8", 0, T0), NF_ACCEPT, "other address accepted");
	is_int(judge(rs, sc, "2001:db8::7", 0, T0), NF_ACCEPT, "IPv6 packet: ip saddr absent");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
}

static void test_commands(void)
{
	struct nfqr_sets *st = nfqr_sets_new(0);
	struct nfqr_ruleset *rs = load_ok(st,
		"set bl { type ipv4_addr; flags interval, timeout; elements = { 198.51.100.7 } }\n"
		"set allow { type ipv4_addr; flags dynamic; }\n"
		"set marks { type mark; flags dynamic; elements = { 0x2 } }\n"
		"ip saddr @allow accept\n"
		"meta mark & 0xff @marks drop\n"
		"ip saddr @bl drop\n"
		"ip saddr != @allow ip saddr 192.0.2.0/24 drop\n");
	struct nfqr_scratch *sc = rs ? nfqr_scratch_new(rs) : NULL;
	uint64_t now = T0;

	if (!ok(rs && sc, "three live sets load into a store"))
		return;
	is_int(judge(rs, sc, "198.51.100.1", 0, now), NF_ACCEPT, "not yet blocked");
	is_int(cmd(st, "add element bl { 198.51.100.1 timeout 30s, 10.0.0.0/8 }", now), 0,
	       "add element: ok");
	is_str(out, "added 2 elements to set bl (3 now)\n", "add element: message");
	is_int(judge(rs, sc, "198.51.100.1", 0, now + S), NF_DROP, "added element matches at once");
	is_int(judge(rs, sc, "10.200.0.1", 0, now + S), NF_DROP, "added prefix matches");
	is_int(judge(rs, sc, "198.51.100.1", 0, now + 31 * S), NF_ACCEPT, "its timeout ends it");
	is_int(cmd(st, "list set bl", now + S), 0, "list set: ok");
	is_str(out, "10.0.0.0/8\n198.51.100.1 timeout 30s expires 29s\n198.51.100.7\n",
	       "list set: one element per line, with timeouts");
	/* re-adding refreshes the timeout */
	cmd(st, "add element bl { 198.51.100.1 timeout 30s }", now + 20 * S);
	is_int(judge(rs, sc, "198.51.100.1", 0, now + 45 * S), NF_DROP, "re-adding refreshed the timeout");

	/* allow list before the block list; != @allow */
	is_int(judge(rs, sc, "192.0.2.5", 0, now), NF_DROP, "!= @allow: not in allow, dropped");
	is_int(cmd(st, "add element allow 192.0.2.5", now), 0, "add without braces");
	is_int(judge(rs, sc, "192.0.2.5", 0, now), NF_ACCEPT, "allowed now (first rule)");
	is_int(cmd(st, "add element allow { 10.1.2.3 }", now), 0, "allow an address in bl");
	is_int(judge(rs, sc, "10.1.2.3", 0, now), NF_ACCEPT, "allow list wins, as its rule comes first");

	/* masks */
	is_int(judge(rs, sc, "198.51.100.99", 0x302, now), NF_DROP, "meta mark & 0xff in @marks");
	is_int(judge(rs, sc, "198.51.100.99", 0x303, now), NF_ACCEPT, "other mark accepted");

	/* delete: all or nothing */
	is_int(cmd(st, "delete element bl { 10.0.0.0/8, 10.9.9.9 }", now), 1, "delete of a missing element: refused");
	is_str(out, "set bl has no element 10.9.9.9: nothing deleted\n", "delete: names the missing element");
	is_int(judge(rs, sc, "10.200.0.1", 0, now), NF_DROP, "nothing was deleted");
	is_int(cmd(st, "delete element bl { 10.0.0.0/8 }", now), 0, "delete element: ok");
	is_int(judge(rs, sc, "10.200.0.1", 0, now), NF_ACCEPT, "deleted prefix no longer matches");
	is_int(cmd(st, "delete element bl { 10.0.0.1 }", now), 1, "an address inside a prefix is no element");

	/* errors */
	is_int(cmd(st, "add element nope { 1.2.3.4 }", now), 2, "unknown set: code 2");
	ok(strstr(out, "no live set 'nope'") && strstr(out, "live sets: ") && strstr(out, "bl"),
	   "unknown set: message lists the live sets");
	is_int(cmd(st, "add element allow { 10.0.0.0/8 }", now), 1, "prefix in a set without interval");
	ok(strstr(out, "set allow:1:") && strstr(out, "without 'flags interval'"), "... says so: %s", flat());
	is_int(cmd(st, "add element allow { 10.0.0.1 timeout 5s }", now), 1, "timeout in a set without flags timeout");
	ok(strstr(out, "need 'flags timeout'") != NULL, "... says so: %s", flat());
	is_int(cmd(st, "add element bl { 300.1.1.1 }", now), 1, "bad address");
	ok(strstr(out, "expected an IPv4 address") != NULL, "... says so: %s", flat());
	is_int(cmd(st, "add element bl { }", now), 1, "no elements");
	is_int(cmd(st, "frobnicate set bl", now), 1, "unknown command");
	ok(strstr(out, "unknown command") && strstr(out, "add element SET"), "... with the usage: %s", flat());
	is_int(cmd(st, "list set", now), 1, "list set without a name");

	/* load replaces run-time elements, keeps the file's */
	is_int(cmd(st, "load set bl blocklist.txt\n# a comment\n203.0.113.1\n\n203.0.113.2 timeout 1h, 203.0.113.3\n",
		   now), 0, "load set: ok");
	is_str(out, "loaded 3 elements into set bl (4 now)\n", "load set: message");
	is_int(judge(rs, sc, "198.51.100.1", 0, now), NF_ACCEPT, "load replaced the run-time elements");
	is_int(judge(rs, sc, "198.51.100.7", 0, now), NF_DROP, "load kept the file's elements");
	is_int(judge(rs, sc, "203.0.113.3", 0, now), NF_DROP, "loaded element matches");
	is_int(cmd(st, "load set bl blocklist.txt\n203.0.113.1\nnot-an-address\n", now), 1, "load with a bad line");
	ok(strstr(out, "blocklist.txt:2:") != NULL, "load: errors name the file and line: %s", flat());
	is_int(judge(rs, sc, "203.0.113.3", 0, now), NF_DROP, "a bad load changed nothing");

	is_int(cmd(st, "list sets", now), 0, "list sets");
	ok(strstr(out, "set bl: type ipv4_addr, interval, timeout, 4 elements (1 from the file)") != NULL,
	   "list sets: summary line: %s", flat());
	is_int(cmd(st, "flush set bl", now), 0, "flush set");
	is_int(judge(rs, sc, "198.51.100.7", 0, now), NF_ACCEPT, "flush removed the file's elements too");

	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
	nfqr_sets_free(st);
}

static void test_reload(void)
{
	struct nfqr_sets *st = nfqr_sets_new(0);
	struct nfqr_ruleset *a = load_ok(st,
		"set bl { type ipv4_addr; flags timeout; elements = { 198.51.100.7 } }\n"
		"set gone { type inet_service; flags dynamic; }\n"
		"ip saddr @bl drop\nudp sport @gone drop\n");
	struct nfqr_ruleset *b;
	struct nfqr_scratch *sc;
	int rc;

	if (!ok(a != NULL, "first rules"))
		return;
	cmd(st, "add element bl { 198.51.100.1 }", T0);
	cmd(st, "add element gone { 1234 }", T0);
	b = load_ok(st, "set bl { type ipv4_addr; flags timeout; elements = { 198.51.100.8 } }\n"
			"ip saddr @bl drop\n");
	sc = b ? nfqr_scratch_new(b) : NULL;
	if (!ok(b && sc, "reloaded rules"))
		return;
	is_int(judge(b, sc, "198.51.100.1", 0, T0), NF_DROP, "reload kept the run-time element");
	is_int(judge(b, sc, "198.51.100.8", 0, T0), NF_DROP, "reload brought the new file element");
	is_int(judge(b, sc, "198.51.100.7", 0, T0), NF_ACCEPT, "reload removed the old file element");
	is_int(cmd(st, "list set gone", T0), 2, "a set the new rules lack is gone");
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(a);
	nfqr_ruleset_free(b);
	/* the same name with another type is another set */
	b = load_ok(st, "set bl { type inet_service; flags dynamic; }\nudp sport @bl drop\n");
	rc = cmd(st, "add element bl { 53 }", T0);
	is_int(rc, 0, "same name, new type: a fresh set: %s", flat());
	is_int(cmd(st, "add element bl { 1.2.3.4 }", T0), 1, "... of the new type");
	nfqr_ruleset_free(b);
	nfqr_sets_free(st);
}

static void test_reclaim(void)
{
	struct nfqr_sets *st = nfqr_sets_new(2);
	struct nfqr_ruleset *rs = load_ok(st, "set bl { type ipv4_addr; flags dynamic; }\nip saddr @bl drop\n");
	uint32_t n = 0;

	if (!ok(rs != NULL, "rules for reclamation"))
		return;
	nfqr_sets_enter(st, 0);
	nfqr_sets_enter(st, 1);
	cmd(st, "add element bl { 1.1.1.1 }", T0);
	for (struct nfqr_lset_ver *v = st->retired; v; v = v->next)
		n++;
	is_int(n, 1, "the replaced version waits for the readers");
	nfqr_sets_enter(st, 0);
	nfqr_sets_tick(st, T0);
	ok(st->retired != NULL, "one reader moved on: still kept");
	nfqr_sets_leave(st, 1);
	nfqr_sets_tick(st, T0);
	ok(st->retired == NULL, "both moved on (one left): freed");
	/* expiry: tick drops expired elements and counts them */
	cmd(st, "add element bl { 2.2.2.2 }", T0);
	nfqr_ruleset_free(rs);
	rs = load_ok(st, "set bl { type ipv4_addr; flags timeout; timeout 5s; }\nip saddr @bl drop\n");
	cmd(st, "add element bl { 3.3.3.3 }", T0);
	nfqr_sets_tick(st, T0 + 6 * S);
	is_int(cmd(st, "list sets", T0 + 6 * S), 0, "list sets after expiry");
	ok(strstr(out, "2 elements") && strstr(out, "1 expired"), "tick dropped the expired element: %s", flat());
	nfqr_ruleset_free(rs);
	nfqr_sets_free(st);
}

/* The sweep against a model: random overlapping intervals with expiries. */
static void test_sweep(void)
{
	struct nfqr_sets *st = nfqr_sets_new(0);
	struct nfqr_ruleset *rs = load_ok(st, "set p { type inet_service; flags interval, timeout; }\n"
					  "udp dport @p drop\n");
	struct nfqr_lset *s;
	unsigned seed = 12345, bad = 0, checks = 0;

	if (!ok(rs != NULL, "rules for the sweep"))
		return;
	s = nfqr_sets_find(st, "p", 1);
	for (int round = 0; round < 200; round++) {
		struct nfqr_lelem el[12];
		uint32_t n = 1 + rand_r(&seed) % 12;
		uint64_t exp[512];

		memset(exp, 0, sizeof(exp));
		for (uint32_t i = 0; i < n; i++) {
			uint32_t a = rand_r(&seed) % 300, len = rand_r(&seed) % 4 ? rand_r(&seed) % 40 : 0;

			memset(&el[i], 0, sizeof(el[i]));
			el[i].lo = nfqr_key_u32(a);
			el[i].hi = nfqr_key_u32(a + len);
			el[i].timeout_ns = rand_r(&seed) % 3 ? (1 + rand_r(&seed) % 5) * S : 0;
		}
		pthread_mutex_lock(&st->lock);
		nfqr_lset_replace(st, s, el, n, T0, false);
		pthread_mutex_unlock(&st->lock);
		/* model: the later of equal elements wins, then max over covering */
		for (uint32_t i = 0; i < n; i++) {
			bool later = false;

			for (uint32_t j = i + 1; j < n; j++)
				later |= !nfqr_key_cmp(el[i].lo, el[j].lo) && !nfqr_key_cmp(el[i].hi, el[j].hi);
			if (later)
				continue;
			for (uint64_t k = el[i].lo.lo; k <= el[i].hi.lo; k++) {
				uint64_t e = el[i].timeout_ns ? T0 + el[i].timeout_ns : NFQR_NEVER;

				if (e > exp[k])
					exp[k] = e;
			}
		}
		for (uint64_t t = 0; t <= 6; t++)
			for (uint32_t k = 0; k < 400; k++) {
				bool want = exp[k] > T0 + t * S, got = nfqr_lset_has(s, nfqr_key_u32(k), T0 + t * S);

				checks++;
				if (want != got && bad++ < 5)
					printf("# round %d key %u t %llu: got %d want %d\n", round, k,
					       (unsigned long long)t, got, want);
			}
	}
	ok(!bad, "interval sweep agrees with the model (%u lookups, %u wrong)", checks, bad);
	nfqr_ruleset_free(rs);
	nfqr_sets_free(st);
}

/*
 * Readers looking up while a writer changes the set: every version a
 * reader can reach stays whole until it has moved on (under ASan a version
 * freed too early is a use after free), and an element never touched by
 * the writer is always found.
 */
struct stress {
	struct nfqr_sets *st;
	struct nfqr_lset *s;
	uint32_t id;
	_Atomic bool stop;
	uint64_t lookups, misses;
};

static void *reader(void *arg)
{
	struct stress *x = arg;

	while (!atomic_load(&x->stop)) {
		nfqr_sets_enter(x->st, x->id);
		for (int i = 0; i < 64; i++) {
			x->misses += !nfqr_lset_has(x->s, nfqr_key_u32(0x0a000001), T0);
			nfqr_lset_has(x->s, nfqr_key_u32(0xc0000200 | (uint32_t)(i & 0xff)), T0);
			x->lookups += 2;
		}
	}
	nfqr_sets_leave(x->st, x->id);
	return NULL;
}

static void test_concurrent(void)
{
	struct nfqr_sets *st = nfqr_sets_new(2);
	struct nfqr_ruleset *rs = load_ok(st, "set bl { type ipv4_addr; flags interval, timeout; "
					  "elements = { 10.0.0.1 } }\nip saddr @bl drop\n");
	struct stress x[2];
	pthread_t t[2];
	char c[96];
	int bad = 0;

	if (!ok(rs != NULL, "rules for the concurrent test"))
		return;
	for (uint32_t i = 0; i < 2; i++) {
		x[i] = (struct stress){ .st = st, .s = nfqr_sets_find(st, "bl", 2), .id = i };
		pthread_create(&t[i], NULL, reader, &x[i]);
	}
	for (int i = 0; i < 3000; i++) {
		snprintf(c, sizeof(c), "add element bl { 192.0.2.%d timeout 1s, 198.51.%d.0/24 }",
			 i & 0xff, i & 0xff);
		bad += cmd(st, c, T0 + (uint64_t)i * 1000000) != 0;
		snprintf(c, sizeof(c), "delete element bl { 198.51.%d.0/24 }", i & 0xff);
		bad += cmd(st, c, T0 + (uint64_t)i * 1000000) != 0;
		if (i % 16 == 0)
			nfqr_sets_tick(st, T0 + (uint64_t)i * 1000000);
	}
	for (uint32_t i = 0; i < 2; i++) {
		atomic_store(&x[i].stop, true);
		pthread_join(t[i], NULL);
	}
	nfqr_sets_tick(st, T0 + 3 * S);
	is_int(bad, 0, "6000 changes while two threads look up");
	ok(x[0].lookups && x[1].lookups, "both readers ran (%llu, %llu lookups)",
	   (unsigned long long)x[0].lookups, (unsigned long long)x[1].lookups);
	is_int(x[0].misses + x[1].misses, 0, "the untouched element was always found");
	ok(st->retired == NULL, "every retired version freed once the readers left");
	nfqr_ruleset_free(rs);
	nfqr_sets_free(st);
}

static void test_errors(void)
{
	load_err("set x { type ifname; flags dynamic; }\n", "expected a type a live set can hold",
		 "a live set of interface names");
	load_err("set x { type ipv4_addr; elements = { 1.2.3.4 timeout 1s } }\n", "expected",
		 "element timeout in a constant set");
	load_err("set x { type ipv4_addr; flags dynamic; elements = { 1.2.3.4 timeout 1s } }\n",
		 "need 'flags timeout'", "element timeout without flags timeout");
	load_err("set x { type ipv4_addr; flags timeout; elements = { 10.0.0.0/8 } }\n",
		 "without 'flags interval'", "prefix in a live set without interval");
	load_err("set x { type ipv4_addr; flags dynamic; }\nip saddr { 1.2.3.4, @x } drop\n",
		 "a live set stands alone", "live set inside braces");
	load_err("set x { type ipv4_addr; flags dynamic; }\ntcp dport @x drop\n",
		 "expected a set of type inet_service, got @x of type ipv4_addr", "type mismatch");
	load_err("set x { type ipv4_addr; timeout 0s; }\n", "a duration of 1ms or more", "zero timeout");
	load_err("set x { type ipv4_addr; flags bogus; }\n", "'interval', 'timeout', 'dynamic' or 'constant'",
		 "unknown flag");
}

int main(void)
{
	test_duration();
	test_format();
	test_lookup_and_timeouts();
	test_commands();
	test_reload();
	test_reclaim();
	test_sweep();
	test_concurrent();
	test_errors();
	return tap_done();
}
