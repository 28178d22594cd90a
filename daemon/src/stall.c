// SPDX-License-Identifier: GPL-2.0-only
/* The kernel's stall watchdog on the worker handles (see stall.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "exitcodes.h"
#include "stall.h"

const char *nfqd_stall_action(uint32_t verdict)
{
	return verdict == NF_ACCEPT ? "accept" : "drop";
}

int nfqd_stall_apply(struct nfqd_worker *w, const struct nfqd_opts *o, char *msg, size_t len)
{
	const char *why = NULL;
	int r;

	msg[0] = 0;
	w->stall_ms = 0;
	if (!o->stall_ms)
		return 0;
	if (nfqring_backend(w->h) != NFQRING_BACKEND_RING)
		why = "the netlink backend has no stall watchdog";
	else if (!nfqring_v2(w->h))
		why = "the loaded nfqring module speaks ABI version 1, which has no stall "
		      "watchdog (version 2 has)";
	if (why && o->backend == NFQRING_BACKEND_AUTO) {
		snprintf(msg, len, "queue %u: --stall-ms ignored: %s (--backend auto); a hung "
			 "worker holds its packets until the queue is full (then --fail-open "
			 "decides) or the daemon is restarted", w->queue, why);
		return 0;
	}
	if (why) {
		snprintf(msg, len, "queue %u: --stall-ms: %s: update the module (make "
			 "dkms-install, then rmmod nfqring; modprobe nfqring) or drop --stall-ms",
			 w->queue, why);
		return NFQD_EXIT_BACKEND;
	}
	r = nfqring_set_stall(w->h, o->stall_ms, o->stall_verdict);
	if (r < 0) {
		snprintf(msg, len, "queue %u: --stall-ms %u --stall-action %s: %s", w->queue,
			 o->stall_ms, nfqd_stall_action(o->stall_verdict), nfqring_errmsg(w->h));
		return r == -EPERM || r == -EACCES ? NFQD_EXIT_PERM : NFQD_EXIT_BIND;
	}
	w->stall_ms = o->stall_ms;
	w->stall_verdict = o->stall_verdict;
	return 0;
}

bool nfqd_stall_read(const struct nfqd_worker *w, struct nfqring_wake_stats *ws)
{
	memset(ws, 0, sizeof(*ws));
	return w->stall_ms && ioctl(nfqring_fd(w->h), NFQRING_GET_WAKE_STATS, ws) == 0;
}
