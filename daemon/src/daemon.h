/* SPDX-License-Identifier: GPL-2.0-only */
/* The running daemon's state, shared by its threads' files. */
#ifndef NFQD_DAEMON_H
#define NFQD_DAEMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "links.h"
#include "opts.h"
#include "reload.h"
#include "swap.h"
#include "worker.h"

struct nfqd {
	struct nfqd_opts o;
	struct nfqr_load_opts lo;
	uint32_t n;			/* workers = queues */
	struct nfqd_worker *w;
	struct nfqd_swap swap;
	struct nfqd_links links;
	struct nfqr_sets *sets;		/* live sets' elements, kept across reloads */
	_Atomic bool stop;		/* SIGTERM: workers drain and exit */
	/* what the queues were configured with: reloads must fit in it */
	uint32_t copy_range;
	bool conntrack;
	bool uid_gid;			/* NFQA_CFG_F_UID_GID (meta skuid/skgid) */
	time_t started;

	/* reloads: coalescing (main thread) and the compiling thread */
	struct nfqd_reload rl;
	pthread_t reloader;
	pthread_mutex_t rlock;
	pthread_cond_t rcond;
	bool rjob, rquit;		/* under rlock */
	int rcode;			/* result of the last compile, under rlock */
	char rmsg[4096];
	int refd;			/* eventfd: a compile finished */
	_Atomic uint64_t reloads_ok, reloads_failed;

	pthread_t logger;
	_Atomic bool log_quit;
};

static inline uint64_t nfqd_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* reloader.c */
bool nfqd_rules_rewrite(const struct nfqr_ruleset *rs);
int nfqd_reloader_start(struct nfqd *d);
void nfqd_reloader_kick(struct nfqd *d);		/* start a compile */
void nfqd_reloader_stop(struct nfqd *d);
/* logger.c */
int nfqd_logger_start(struct nfqd *d);
void nfqd_logger_stop(struct nfqd *d);
/* report.c: the statistics as text or JSON, malloc'd; NULL on ENOMEM */
char *nfqd_report(struct nfqd *d, bool json, size_t *len);

#endif
