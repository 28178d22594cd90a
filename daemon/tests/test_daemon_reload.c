// SPDX-License-Identifier: GPL-2.0-only
/* Reload coalescing (src/reload.c) and the ruleset swap (src/swap.c):
 * generations, waiting for every worker, counters carried by rule id, and a
 * reload hammered while worker threads judge packets. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/netfilter.h>

#include "tap.h"

#include "pkt.h"
#include "reload.h"
#include "swap.h"

static struct nfqr_ruleset *parse(const char *text)
{
	struct nfqr_load_opts o = { .backend = NFQR_CM_AHO_CORASICK };
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs = nfqr_ruleset_parse("t.nft", text, strlen(text), &o, &d);

	for (size_t i = 0; i < d.n; i++)
		printf("# %s\n", d.msgs[i]);
	nfqr_diag_free(&d);
	return rs;
}

static size_t udp_pkt(uint8_t *buf, uint16_t dport)
{
	uint8_t l4[64];
	size_t n = l4_udp(l4, 1234, dport, "data", 4);

	return pkt_ipv4(buf, "10.0.0.1", "10.0.0.2", 17, l4, n);
}

static uint32_t judge(struct nfqd_gen *g, uint32_t w, uint16_t dport)
{
	uint8_t buf[128];
	size_t n = udp_pkt(buf, dport);
	struct nfqr_pkt_meta m = { .pkt_len = (uint32_t)n };
	struct nfqr_result res;

	return nfqr_eval(g->rs, g->sc[w], buf, n, &m, &res);
}

static void test_coalescing(void)
{
	struct nfqd_reload r;
	int fds[NFQD_RELOAD_WAITERS];

	nfqd_reload_init(&r);
	ok(!nfqd_reload_start(&r), "nothing asked: no compile");
	nfqd_reload_request(&r, 10);
	nfqd_reload_request(&r, 11);
	nfqd_reload_request(&r, -1);	/* SIGHUP */
	ok(nfqd_reload_start(&r), "three requests: one compile");
	ok(!nfqd_reload_start(&r), "  not a second while it runs");
	nfqd_reload_request(&r, 12);
	nfqd_reload_request(&r, -1);
	ok(!nfqd_reload_start(&r), "requests during a compile wait for it");
	is_int(nfqd_reload_finish(&r, fds), 2, "the compile answers its two clients");
	ok(fds[0] == 10 && fds[1] == 11, "  the right ones");
	ok(nfqd_reload_start(&r), "what came in meanwhile: one more compile");
	is_int(nfqd_reload_finish(&r, fds), 1, "  answering the client that waited");
	is_int(fds[0], 12, "  client 12");
	ok(!nfqd_reload_start(&r), "then nothing");
	is_int(r.requests, 5, "5 requests");
	is_int(r.compiles, 2, "2 compiles");
	for (int i = 0; i < NFQD_RELOAD_WAITERS; i++)
		nfqd_reload_request(&r, 100 + i);
	is_int(nfqd_reload_request(&r, 999), -1, "too many waiting clients: refused");
}

static void test_swap(void)
{
	struct nfqd_swap sw;
	struct nfqd_gen *g1, *g2, *old;

	g1 = nfqd_gen_new(parse("udp dport 1 drop comment \"one\"\nudp dport 2 accept\n"
				"udp dport 3 drop comment \"three\"\n"), 2);
	ok(g1 != NULL, "generation 1");
	nfqd_swap_init(&sw, g1, 2);
	ok(nfqd_swap_enter(&sw, 0) == g1 && nfqd_swap_enter(&sw, 1) == g1, "workers use it");
	judge(g1, 0, 1);
	judge(g1, 1, 1);
	judge(g1, 1, 3);
	judge(g1, 0, 2);
	is_int(nfqd_gen_rule_total(g1, 0).hits, 2, "rule one: 2 hits over both workers");

	/* rule "one" moves, "three" goes, the hashed rule 2 stays the same */
	g2 = nfqd_gen_new(parse("udp dport 9 drop\nudp dport 2 accept\n"
				"udp dport 1 drop comment \"one\"\n"), 2);
	old = nfqd_swap_publish(&sw, g2);
	ok(old == g1, "publish returns the old generation");
	is_int(g2->gen, 2, "  numbered 2");
	ok(!nfqd_swap_quiesced(&sw, 2), "not quiesced while workers use generation 1");
	ok(nfqd_swap_enter(&sw, 0) == g2, "worker 0 picks up generation 2");
	ok(!nfqd_swap_quiesced(&sw, 2), "  still waiting for worker 1");
	judge(old, 1, 1);	/* worker 1 still finishing its batch with g1 */
	nfqd_swap_leave(&sw, 1);	/* and stops */
	ok(nfqd_swap_quiesced(&sw, 2), "quiesced once worker 1 moved on (stopped)");
	nfqd_swap_retire(&sw, old, g2);
	judge(g2, 0, 1);
	is_int(nfqd_gen_rule_total(g2, 2).hits, 4, "rule one kept its 3 hits by id, plus 1");
	is_int(nfqd_gen_rule_total(g2, 1).hits, 1, "the unchanged hashed rule kept its hit");
	is_int(nfqd_gen_rule_total(g2, 0).hits, 0, "the new rule starts at 0");
	is_int(nfqd_gen_stat(g2, 0, NFQR_STAT_PACKETS) + nfqd_gen_stat(g2, 1, NFQR_STAT_PACKETS), 6,
	       "engine packet counters carried per worker");
	nfqd_swap_destroy(&sw);
}

/* Workers judge without pause while the main thread swaps generations:
 * every packet is judged by a whole ruleset (port 7 dropped by both
 * versions), and no generation is freed under a worker (ASan). */
static struct nfqd_swap hsw;
static atomic_bool hstop;
static atomic_ulong hbad, hpackets;

static void *hworker(void *arg)
{
	uint32_t w = (uint32_t)(uintptr_t)arg;

	while (!atomic_load(&hstop)) {
		struct nfqd_gen *g = nfqd_swap_enter(&hsw, w);

		for (int i = 0; i < 50; i++) {
			if (judge(g, w, 7) != NF_DROP)
				atomic_fetch_add(&hbad, 1);
			atomic_fetch_add(&hpackets, 1);
		}
	}
	nfqd_swap_leave(&hsw, w);
	return NULL;
}

static void test_hammer(void)
{
	static const char *v[2] = { "udp dport 7 drop comment \"seven\"\n",
				    "udp dport 8 accept\nudp dport 7 drop comment \"seven\"\n" };
	pthread_t t[3];
	int swaps = 0;

	nfqd_swap_init(&hsw, nfqd_gen_new(parse(v[0]), 3), 3);
	for (uintptr_t i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, hworker, (void *)i);
	for (; swaps < 200; swaps++) {
		struct nfqd_gen *g = nfqd_gen_new(parse(v[swaps % 2 ? 0 : 1]), 3);
		struct nfqd_gen *old = nfqd_swap_publish(&hsw, g);

		while (!nfqd_swap_quiesced(&hsw, g->gen))
			sched_yield();
		nfqd_swap_retire(&hsw, old, g);
	}
	atomic_store(&hstop, true);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	struct nfqd_gen *g = atomic_load(&hsw.cur);
	int32_t r = nfqr_ruleset_find_rule(g->rs, "seven");

	is_int(atomic_load(&hbad), 0, "200 swaps under 3 judging threads: every packet dropped");
	is_int(nfqd_gen_rule_total(g, (uint32_t)r).hits, atomic_load(&hpackets),
	       "  and every hit counted over all generations");
	nfqd_swap_destroy(&hsw);
}

int main(void)
{
	test_coalescing();
	test_swap();
	test_hammer();
	return tap_done();
}
