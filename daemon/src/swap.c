// SPDX-License-Identifier: GPL-2.0-only
/* Ruleset generations and their atomic swap (see swap.h). */
#include <errno.h>
#include <stdlib.h>

#include "swap.h"

struct nfqd_gen *nfqd_gen_new(struct nfqr_ruleset *rs, uint32_t n_workers)
{
	struct nfqd_gen *g = calloc(1, sizeof(*g));
	uint32_t n_rules = nfqr_ruleset_rule_count(rs);

	if (!g)
		return NULL;
	g->n_workers = n_workers;
	g->sc = calloc(n_workers ? n_workers : 1, sizeof(*g->sc));
	g->carry = calloc(n_rules ? n_rules : 1, sizeof(*g->carry));
	g->carry_stat = calloc(n_workers ? n_workers : 1, sizeof(*g->carry_stat));
	if (!g->sc || !g->carry || !g->carry_stat)
		goto fail;
	for (uint32_t w = 0; w < n_workers; w++)
		if (!(g->sc[w] = nfqr_scratch_new(rs)))
			goto fail;
	g->rs = rs;
	return g;
fail:
	nfqd_gen_free(g);
	return NULL;
}

void nfqd_gen_free(struct nfqd_gen *g)
{
	if (!g)
		return;
	if (g->sc)
		for (uint32_t w = 0; w < g->n_workers; w++)
			nfqr_scratch_free(g->sc[w]);
	free(g->sc);
	free(g->carry);
	free(g->carry_stat);
	nfqr_ruleset_free(g->rs);
	free(g);
}

int nfqd_swap_init(struct nfqd_swap *sw, struct nfqd_gen *first, uint32_t n_workers)
{
	sw->seen = calloc(n_workers ? n_workers : 1, sizeof(*sw->seen));
	if (!sw->seen)
		return -ENOMEM;
	for (uint32_t w = 0; w < n_workers; w++)
		atomic_init(&sw->seen[w], 1);
	first->gen = 1;
	atomic_init(&sw->cur, first);
	sw->n_workers = n_workers;
	pthread_mutex_init(&sw->lock, NULL);
	return 0;
}

void nfqd_swap_destroy(struct nfqd_swap *sw)
{
	nfqd_gen_free(atomic_load(&sw->cur));
	atomic_store(&sw->cur, NULL);
	free(sw->seen);
	sw->seen = NULL;
	pthread_mutex_destroy(&sw->lock);
}

void nfqd_swap_leave(struct nfqd_swap *sw, uint32_t w)
{
	atomic_store_explicit(&sw->seen[w], NFQD_GEN_STOPPED, memory_order_release);
}

struct nfqd_gen *nfqd_swap_publish(struct nfqd_swap *sw, struct nfqd_gen *g)
{
	struct nfqd_gen *old = atomic_load_explicit(&sw->cur, memory_order_relaxed);

	g->gen = old->gen + 1;
	atomic_store_explicit(&sw->cur, g, memory_order_release);
	return old;
}

bool nfqd_swap_quiesced(struct nfqd_swap *sw, uint64_t gen)
{
	for (uint32_t w = 0; w < sw->n_workers; w++)
		if (atomic_load_explicit(&sw->seen[w], memory_order_acquire) < gen)
			return false;
	return true;
}

void nfqd_swap_retire(struct nfqd_swap *sw, struct nfqd_gen *old, struct nfqd_gen *new)
{
	uint32_t n = nfqr_ruleset_rule_count(old->rs);

	pthread_mutex_lock(&sw->lock);
	for (uint32_t r = 0; r < n; r++) {
		struct nfqr_rule_counter t = nfqd_gen_rule_total(old, r);
		int32_t j = nfqr_ruleset_find_rule(new->rs, nfqr_ruleset_rule_id(old->rs, r));

		if (j < 0)
			continue;
		new->carry[j].hits += t.hits;
		new->carry[j].bytes += t.bytes;
	}
	for (uint32_t w = 0; w < old->n_workers && w < new->n_workers; w++)
		for (int s = 0; s < NFQR_STAT_COUNT; s++)
			if (s != NFQR_STAT_STREAM_FLOWS)   /* a gauge: the new table starts empty */
				new->carry_stat[w][s] += nfqd_gen_stat(old, w, (enum nfqr_stat)s);
	pthread_mutex_unlock(&sw->lock);
	nfqd_gen_free(old);
}

/* Live counters are read while the worker writes them: aligned 64-bit loads,
 * good enough for statistics (a value is at worst one packet behind). */
struct nfqr_rule_counter nfqd_gen_rule_total(const struct nfqd_gen *g, uint32_t r)
{
	struct nfqr_rule_counter t = g->carry[r];

	for (uint32_t w = 0; w < g->n_workers; w++) {
		const struct nfqr_rule_counter *c = nfqr_scratch_rule_counter(g->sc[w], r);

		if (c) {
			t.hits += c->hits;
			t.bytes += c->bytes;
		}
	}
	return t;
}

uint64_t nfqd_gen_stat(const struct nfqd_gen *g, uint32_t w, enum nfqr_stat s)
{
	return g->carry_stat[w][s] + nfqr_scratch_stat(g->sc[w], s);
}
