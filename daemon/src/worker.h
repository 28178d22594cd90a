/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A worker: one thread, one queue, one libnfqring handle.  It judges packets
 * batch by batch with the current ruleset generation; verdicts that are not a
 * plain accept (drop, rewrite, mark, ...) are queued one by one ahead of the
 * batch accept that covers the rest, so they leave first.
 */
#ifndef NFQD_WORKER_H
#define NFQD_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "logring.h"
#include "nfqring.h"
#include "stats.h"
#include "swap.h"

#define NFQD_BATCH_MAX	256	/* packets judged before one flush */

struct nfqd_worker {
	uint32_t idx;
	uint16_t queue;
	int cpu;			/* -1: not pinned */
	struct nfqring *h;
	struct nfqd_swap *swap;
	struct nfqr_sets *sets;		/* live sets: entered between batches */
	const _Atomic bool *stop;	/* set on SIGTERM: drain, unbind, exit */
	_Atomic uint64_t progress;	/* loop iterations: the watchdog looks at it */
	_Atomic bool done;
	int err;			/* fatal error (negative errno), 0 if none */
	char errmsg[256];
	uint64_t lost_at_unbind;	/* packets the kernel dropped at unbind */
	bool test_hang;			/* NFQRINGD_TEST_HANG_QUEUE: see nfqringd(8) */
	unsigned int test_hang_s;	/* ... for this long, then go on; */
	const char *test_hang_until;	/* ... or until this file exists; neither: for good */
	uint32_t stall_ms;		/* the kernel's stall watchdog is on (stall.h), 0: off */
	uint32_t stall_verdict;		/* ... with this verdict */
	uint64_t stall_late_logged;	/* the watchdog's stall count when a late
					   verdict was last logged */
	pthread_t thr;
	struct nfqd_qstats st;
	uint64_t t0[NFQD_BATCH_MAX];	/* enqueue times of the batch, ns realtime */
	struct nfqd_logring log;
	struct nfqd_flowonce *once;	/* --log-once-per-flow; NULL: log every packet */
	uint32_t batch_accepts;		/* packets judged since the last batch verdict that
					   the batch accept is to cover */
	bool fail_closed;		/* a verdict other than accept could not be queued:
					   this batch ends with NF_DROP, not NF_ACCEPT */
	uint64_t loop_logged_ns;	/* last reject-loop line, CLOCK_MONOTONIC */
	uint64_t loop_quiet;		/* reject loops since, not logged */
};

int nfqd_worker_start(struct nfqd_worker *w);
void nfqd_worker_join(struct nfqd_worker *w);
/* One batch of the worker loop: judge up to NFQD_BATCH_MAX packets with g
 * and flush their verdicts; the packets judged, or a negative errno.  For
 * tests: the worker thread calls it itself. */
int nfqd_worker_run_batch(struct nfqd_worker *w, const struct nfqd_gen *g, bool draining);

#endif
