// SPDX-License-Identifier: GPL-2.0-only
/*
 * The reloader thread: compiles the rule file off the packet path, checks it
 * fits what the queues were configured with, publishes it as the new
 * generation, waits until every worker moved on and retires the old one.
 * The main thread coalesces requests and starts one compile at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "daemon.h"
#include "exitcodes.h"
#include "ruleset.h"

bool nfqd_rules_rewrite(const struct nfqr_ruleset *rs)
{
	for (uint32_t r = 0; r < rs->n_rules; r++)
		for (uint32_t s = 0; s < rs->rules[r].n_stmts; s++)
			if (rs->rules[r].stmts[s].kind == NFQR_S_PAYLOAD_FILL ||
			    rs->rules[r].stmts[s].kind == NFQR_S_PAYLOAD_REPLACE)
				return true;
	return false;
}

static int compile(struct nfqd *d, char *msg, size_t cap)
{
	struct nfqr_diag diag = { 0 };
	struct nfqr_ruleset *rs = nfqr_ruleset_load(d->o.config, &d->lo, &diag);
	struct nfqd_gen *g, *old;
	size_t off;

	if (!rs) {
		off = (size_t)snprintf(msg, cap, "reload of %s refused, the old rules stay in force:\n",
				       d->o.config);
		for (size_t i = 0; i < diag.n && off < cap; i++)
			off += (size_t)snprintf(msg + off, cap - off, "%s\n", diag.msgs[i]);
		nfqr_diag_free(&diag);
		return NFQD_EXIT_RULES;
	}
	nfqr_diag_free(&diag);
	if (!nfqd_copy_range_covers(d->copy_range, nfqr_ruleset_copy_range(rs)) ||
	    (nfqr_ruleset_needs_conntrack(rs) && !d->conntrack) ||
	    (nfqr_ruleset_needs_uid_gid(rs) && !d->uid_gid) ||
	    (d->o.gso && nfqd_rules_rewrite(rs))) {
		snprintf(msg, cap, "reload of %s refused, the old rules stay in force: the new rules "
			 "need %s%s%s%s than the queues were set up with; restart nfqringd to apply them\n",
			 d->o.config,
			 !nfqd_copy_range_covers(d->copy_range, nfqr_ruleset_copy_range(rs)) ?
				 "a larger copy range, " : "",
			 nfqr_ruleset_needs_conntrack(rs) && !d->conntrack ? "conntrack, " : "",
			 nfqr_ruleset_needs_uid_gid(rs) && !d->uid_gid ? "socket uid/gid, " : "",
			 d->o.gso && nfqd_rules_rewrite(rs) ? "no GSO (rewrites), " : "more");
		nfqr_ruleset_free(rs);
		return NFQD_EXIT_CONFIG;
	}
	g = nfqd_gen_new(rs, d->n);
	if (!g) {
		nfqr_ruleset_free(rs);
		snprintf(msg, cap, "reload of %s failed: out of memory; the old rules stay in force\n",
			 d->o.config);
		return NFQD_EXIT_RUNTIME;
	}
	/* link events must not slip between filling the table and the swap */
	pthread_mutex_lock(&d->links.lock);
	nfqd_links_apply(&d->links, rs);
	/* the file's elements of the live sets with the rules that declare them */
	if (nfqr_ruleset_activate_sets(rs, nfqd_mono_ns()))
		fprintf(stderr, "nfqringd: reload: out of memory while updating the live sets' file elements\n");
	old = nfqd_swap_publish(&d->swap, g);
	pthread_mutex_unlock(&d->links.lock);
	while (!nfqd_swap_quiesced(&d->swap, g->gen))
		usleep(2000);
	nfqd_swap_retire(&d->swap, old, g);
	snprintf(msg, cap, "reloaded %s: %u rules (generation %llu, content matcher %s)\n",
		 d->o.config, nfqr_ruleset_rule_count(rs), (unsigned long long)g->gen,
		 nfqr_ruleset_backend(rs));
	return NFQD_EXIT_OK;
}

static void *reloader_main(void *arg)
{
	struct nfqd *d = arg;
	static char msg[sizeof(d->rmsg)];

	pthread_mutex_lock(&d->rlock);
	for (;;) {
		while (!d->rjob && !d->rquit)
			pthread_cond_wait(&d->rcond, &d->rlock);
		if (d->rquit)
			break;
		d->rjob = false;
		pthread_mutex_unlock(&d->rlock);
		int code = compile(d, msg, sizeof(msg));

		atomic_fetch_add(code ? &d->reloads_failed : &d->reloads_ok, 1);
		pthread_mutex_lock(&d->rlock);
		d->rcode = code;
		memcpy(d->rmsg, msg, sizeof(msg));
		eventfd_write(d->refd, 1);
	}
	pthread_mutex_unlock(&d->rlock);
	return NULL;
}

int nfqd_reloader_start(struct nfqd *d)
{
	pthread_mutex_init(&d->rlock, NULL);
	pthread_cond_init(&d->rcond, NULL);
	d->refd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->refd < 0)
		return -errno;
	return -pthread_create(&d->reloader, NULL, reloader_main, d);
}

void nfqd_reloader_kick(struct nfqd *d)
{
	pthread_mutex_lock(&d->rlock);
	d->rjob = true;
	pthread_cond_signal(&d->rcond);
	pthread_mutex_unlock(&d->rlock);
}

/* Waits for a compile under way: its swap must complete before exit. */
void nfqd_reloader_stop(struct nfqd *d)
{
	pthread_mutex_lock(&d->rlock);
	d->rquit = true;
	pthread_cond_signal(&d->rcond);
	pthread_mutex_unlock(&d->rlock);
	pthread_join(d->reloader, NULL);
	close(d->refd);
}
