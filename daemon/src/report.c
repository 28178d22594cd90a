// SPDX-License-Identifier: GPL-2.0-only
/* Statistics of the running daemon: gathered from workers, the engine, the
 * kernel's /proc figures and the ring endpoints, then formatted (stats.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "daemon.h"
#include "stall.h"

static char *read_proc(void)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "re");
	static char buf[65536];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

char *nfqd_report(struct nfqd *d, bool json, size_t *len)
{
	struct nfqd_snap s = {
		.version = NFQR_VERSION,
		.rules_file = d->o.config,
		.fail_open = d->o.fail_open,
		.stall_ms = d->o.stall_ms,
		.stall_action = nfqd_stall_action(d->o.stall_verdict),
		.stall_unavailable = d->o.stall_ms != 0,	/* until a queue has it */
		.reloads_ok = atomic_load(&d->reloads_ok),
		.reloads_failed = atomic_load(&d->reloads_failed),
		.uptime_s = (uint64_t)(time(NULL) - d->started),
		.copy_range = d->copy_range,
		.n_queues = d->n,
		.sets = d->sets,
	};
	const char *proc = read_proc();
	char *out = NULL;
	FILE *f;

	s.q = calloc(d->n, sizeof(*s.q));
	if (!s.q)
		return NULL;
	s.backend = d->n && nfqring_backend(d->w[0].h) == NFQRING_BACKEND_NETLINK ? "netlink" : "ring";
	for (uint32_t i = 0; i < d->n; i++) {
		struct nfqd_worker *w = &d->w[i];
		struct nfqd_qsnap *q = &s.q[i];
		struct nfqring_stats ks;

		q->queue = w->queue;
		q->cpu = w->cpu;
		nfqd_qsnap_take(q, &w->st);
		q->log_dropped = nfqd_logring_dropped(&w->log);
		q->have_proc = proc && !nfqd_proc_parse(proc, w->queue, &q->queue_total,
							&q->queue_dropped, &q->user_dropped);
		/* NFQRING_GET_STATS is a plain ioctl: safe beside the worker */
		if (nfqring_backend(w->h) == NFQRING_BACKEND_RING &&
		    ioctl(nfqring_fd(w->h), NFQRING_GET_STATS, &ks) == 0) {
			q->have_ring = true;
			q->rx_overruns = ks.rx_overruns;
			q->rx_copy = ks.rx_copy;
		}
		if (w->stall_ms) {
			struct nfqring_wake_stats ws;

			s.stall_unavailable = false;
			q->have_stall = nfqd_stall_read(w, &ws);
			q->stalls = ws.stalls;
			q->stall_verdicts = ws.stall_verdicts;
			q->stalled = ws.stalled;
		}
	}
	pthread_mutex_lock(&d->swap.lock);
	struct nfqd_gen *g = atomic_load(&d->swap.cur);

	s.generation = g->gen;
	s.matcher = nfqr_ruleset_backend(g->rs);
	s.n_rules = nfqr_ruleset_rule_count(g->rs);
	s.r = calloc(s.n_rules ? s.n_rules : 1, sizeof(*s.r));
	if (s.r) {
		for (uint32_t i = 0; i < d->n; i++)
			for (int e = 0; e < NFQR_STAT_COUNT; e++)
				s.q[i].eng[e] = nfqd_gen_stat(g, i, (enum nfqr_stat)e);
		for (uint32_t r = 0; r < s.n_rules; r++) {
			struct nfqr_rule_counter c = nfqd_gen_rule_total(g, r);

			s.r[r] = (struct nfqd_rsnap){ nfqr_ruleset_rule_id(g->rs, r),
						      nfqr_ruleset_rule_line(g->rs, r), c.hits, c.bytes };
		}
		f = open_memstream(&out, len);
		if (f) {
			if (json)
				nfqd_stats_json(f, &s);
			else
				nfqd_stats_text(f, &s);
			fclose(f);
		}
	}
	pthread_mutex_unlock(&d->swap.lock);
	free(s.r);
	free(s.q);
	return out;
}
