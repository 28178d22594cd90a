/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Statistics: per-queue counters written by their worker (single writer,
 * relaxed atomics, no locked instructions), snapshots taken by the main
 * thread, and their text and JSON forms for `nfqringd --stats`.
 */
#ifndef NFQD_STATS_H
#define NFQD_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "nfqr_engine.h"

enum nfqd_qctr {
	Q_PACKETS, Q_BYTES,
	Q_ACCEPT, Q_DROP, Q_REPEAT, Q_QUEUE,	/* verdicts by kind (Q_QUEUE: to another queue) */
	Q_MARK, Q_CONNMARK, Q_REWRITE,		/* verdicts carrying these */
	Q_BATCHES, Q_COPIES, Q_OVERRUNS, Q_BAD_MSGS, Q_VERDICT_ERRORS,
	Q_NO_TSTAMP,				/* packets without a kernel timestamp */
	Q_DRAINED,				/* judged after SIGTERM */
	Q_LOG_ONCE,				/* log lines left out: flow already logged */
	Q_FAIL_CLOSED,				/* batches dropped: a verdict other than
						   accept could not be queued */
	Q_STALL_LATE,				/* flushes refused (ENOENT) because the
						   kernel's stall watchdog had released
						   the packets already */
	Q_COUNT
};

#define NFQD_BATCH_BUCKETS	10	/* 1, 2-3, 4-7, ..., 256+ packets */
#define NFQD_LAT_BUCKETS	22	/* <1 us, <2 us, <4 us, ..., >= 1 s */

struct nfqd_qstats {
	_Atomic uint64_t c[Q_COUNT];
	_Atomic uint64_t batch[NFQD_BATCH_BUCKETS];
	_Atomic uint64_t lat[NFQD_LAT_BUCKETS];
};

/* Single writer: load + store, not a locked read-modify-write. */
static inline void nfqd_ctr_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}
static inline void nfqd_ctr_set(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, v, memory_order_relaxed);
}
unsigned int nfqd_batch_bucket(uint32_t n);
unsigned int nfqd_lat_bucket(uint64_t ns);

/* ---- snapshots -------------------------------------------------------- */

struct nfqd_qsnap {
	uint16_t queue;
	int cpu;				/* pinned CPU, -1: not pinned */
	uint64_t c[Q_COUNT];
	uint64_t batch[NFQD_BATCH_BUCKETS];
	uint64_t lat[NFQD_LAT_BUCKETS];
	uint64_t eng[NFQR_STAT_COUNT];		/* engine counters (rewrites refused, ...) */
	bool have_proc;				/* /proc/net/netfilter/nfnetlink_queue line */
	uint64_t queue_total, queue_dropped, user_dropped;
	bool have_ring;				/* NFQRING_GET_STATS */
	uint64_t rx_overruns, rx_copy;
	bool have_stall;			/* the stall watchdog is on: its figures */
	uint64_t stalls, stall_verdicts;
	bool stalled;
	uint64_t log_dropped;
};

struct nfqd_rsnap {
	const char *id;
	uint32_t line;
	uint64_t hits, bytes;
};

struct nfqd_snap {
	const char *version, *backend, *rules_file, *matcher;
	bool fail_open;
	uint32_t stall_ms;			/* --stall-ms, 0: off */
	const char *stall_action;		/* "accept" or "drop" */
	bool stall_unavailable;			/* asked for, but no queue has it */
	uint64_t generation, reloads_ok, reloads_failed, uptime_s;
	uint32_t copy_range;
	uint32_t n_queues, n_rules;
	struct nfqd_qsnap *q;
	struct nfqd_rsnap *r;
	struct nfqr_sets *sets;		/* live sets, NULL: none */
};

void nfqd_qsnap_take(struct nfqd_qsnap *s, const struct nfqd_qstats *st);
void nfqd_stats_text(FILE *f, const struct nfqd_snap *s);
void nfqd_stats_json(FILE *f, const struct nfqd_snap *s);
/* s as a JSON string, quoted and escaped (also for --test --json) */
void nfqd_json_str(FILE *f, const char *s);

/* Find queue's line in the text of /proc/net/netfilter/nfnetlink_queue.
 * 0, or -1 when the queue is not listed. */
int nfqd_proc_parse(const char *text, uint16_t queue, uint64_t *total,
		    uint64_t *dropped, uint64_t *user_dropped);

#endif
