// SPDX-License-Identifier: GPL-2.0-only
/* Reload request coalescing (see reload.h). */
#include <string.h>

#include "reload.h"

void nfqd_reload_init(struct nfqd_reload *r)
{
	memset(r, 0, sizeof(*r));
}

int nfqd_reload_request(struct nfqd_reload *r, int fd)
{
	if (fd >= 0) {
		if (r->n_pending == NFQD_RELOAD_WAITERS)
			return -1;
		r->pending_fd[r->n_pending++] = fd;
	}
	r->pending = true;
	r->requests++;
	return 0;
}

bool nfqd_reload_start(struct nfqd_reload *r)
{
	if (r->running || !r->pending)
		return false;
	memcpy(r->running_fd, r->pending_fd, r->n_pending * sizeof(int));
	r->n_running = r->n_pending;
	r->n_pending = 0;
	r->pending = false;
	r->running = true;
	r->compiles++;
	return true;
}

uint32_t nfqd_reload_finish(struct nfqd_reload *r, int *fds)
{
	uint32_t n = r->n_running;

	memcpy(fds, r->running_fd, n * sizeof(int));
	r->n_running = 0;
	r->running = false;
	return n;
}
