/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ruleset generations: what workers judge with, swapped by one pointer.
 *
 * A generation is a loaded ruleset plus one engine scratch per worker
 * (allocated by the reloader, so a worker switching generations allocates
 * nothing) and the per-rule counters carried over from earlier generations.
 * Workers pick up the current generation between batches and record which
 * one they use; the old generation is freed only once every worker has moved
 * on, its counters added to the new one by rule id.
 */
#ifndef NFQD_SWAP_H
#define NFQD_SWAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "nfqr_engine.h"

#define NFQD_GEN_STOPPED	UINT64_MAX	/* a worker that no longer runs */

struct nfqd_gen {
	struct nfqr_ruleset *rs;
	uint64_t gen;
	uint32_t n_workers;
	struct nfqr_scratch **sc;		/* [n_workers] */
	struct nfqr_rule_counter *carry;	/* [rule count]: earlier generations */
	uint64_t (*carry_stat)[NFQR_STAT_COUNT];/* [n_workers] */
};

struct nfqd_swap {
	_Atomic(struct nfqd_gen *) cur;
	uint32_t n_workers;
	_Atomic uint64_t *seen;			/* [n_workers]: generation in use */
	/* held while a generation is retired or its counters are read */
	pthread_mutex_t lock;
};

/* A generation for rs (which it then owns); NULL on ENOMEM (rs untouched). */
struct nfqd_gen *nfqd_gen_new(struct nfqr_ruleset *rs, uint32_t n_workers);
void nfqd_gen_free(struct nfqd_gen *g);

int nfqd_swap_init(struct nfqd_swap *sw, struct nfqd_gen *first, uint32_t n_workers);
/* Free the current generation (workers stopped). */
void nfqd_swap_destroy(struct nfqd_swap *sw);

/* Worker side, between batches: the generation to use now (no lock). */
static inline struct nfqd_gen *nfqd_swap_enter(struct nfqd_swap *sw, uint32_t w)
{
	struct nfqd_gen *g = atomic_load_explicit(&sw->cur, memory_order_acquire);

	if (atomic_load_explicit(&sw->seen[w], memory_order_relaxed) != g->gen)
		atomic_store_explicit(&sw->seen[w], g->gen, memory_order_release);
	return g;
}
/* Worker side, when it exits: it holds no generation any more. */
void nfqd_swap_leave(struct nfqd_swap *sw, uint32_t w);

/* Reloader: make g current (numbering it); returns the previous one. */
struct nfqd_gen *nfqd_swap_publish(struct nfqd_swap *sw, struct nfqd_gen *g);
/* True when no worker can still be using a generation older than gen. */
bool nfqd_swap_quiesced(struct nfqd_swap *sw, uint64_t gen);
/* Carry old's counters into new (by rule id), then free old.  Call only
 * once quiesced for new->gen; takes sw->lock. */
void nfqd_swap_retire(struct nfqd_swap *sw, struct nfqd_gen *old, struct nfqd_gen *new);

/* Totals of rule r / stat s of worker w in g (carried + live).  Call with
 * sw->lock held and g current. */
struct nfqr_rule_counter nfqd_gen_rule_total(const struct nfqd_gen *g, uint32_t r);
uint64_t nfqd_gen_stat(const struct nfqd_gen *g, uint32_t w, enum nfqr_stat s);

#endif
