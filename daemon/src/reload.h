/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reload requests and their coalescing.  Requests (a control client waiting
 * for the answer, or SIGHUP with nobody waiting) pile up while a compile
 * runs; when it ends, its waiters get its result and everything that piled
 * up meanwhile is served by one more compile, which reads the file as it is
 * then.  Owned by the main thread; no locking.
 */
#ifndef NFQD_RELOAD_H
#define NFQD_RELOAD_H

#include <stdbool.h>
#include <stdint.h>

#define NFQD_RELOAD_WAITERS	32

struct nfqd_reload {
	bool running;			/* a compile is under way */
	bool pending;			/* someone asked since it started */
	uint32_t n_pending, n_running;
	int pending_fd[NFQD_RELOAD_WAITERS];	/* clients for the next compile */
	int running_fd[NFQD_RELOAD_WAITERS];	/* clients of the current one */
	uint64_t requests, compiles;
};

void nfqd_reload_init(struct nfqd_reload *r);
/* Ask for a reload; fd < 0 when nobody waits for the answer (SIGHUP).
 * -1 when too many clients wait already (answer them "busy"). */
int nfqd_reload_request(struct nfqd_reload *r, int fd);
/* True when a compile should start now (and marks it running). */
bool nfqd_reload_start(struct nfqd_reload *r);
/* The running compile ended: its waiting clients into fds (at most
 * NFQD_RELOAD_WAITERS), their number returned. */
uint32_t nfqd_reload_finish(struct nfqd_reload *r, int *fds);

#endif
