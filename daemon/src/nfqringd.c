// SPDX-License-Identifier: GPL-2.0-only
/*
 * nfqringd - NFQUEUE verdict daemon: process life.
 *
 * Start: load the rules, derive what the queues need (copy range, conntrack,
 * GSO), open one libnfqring handle per queue and bind it, start the logger,
 * reloader and one worker per queue, then tell systemd READY.  The main
 * thread then serves signals, the control socket, link events and the
 * watchdog; it never touches packets.  SIGTERM: workers judge everything
 * already read, drain their ring and unbind; then exit 0.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "control.h"
#include "daemon.h"
#include "exitcodes.h"
#include "nftchain.h"
#include "replay.h"
#include "stall.h"

#define ERR(...) fprintf(stderr, "nfqringd: " __VA_ARGS__)

/* --check of a big file (1 MiB or more, or a load of 0.1 s or more): how
 * long the load took and the process's peak memory, which a reload needs
 * again beside the rules in force. */
static void report_load(const struct nfqd_opts *o, const struct timespec *t0)
{
	struct timespec t1;
	struct rusage ru;
	struct stat st;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
	if ((stat(o->config, &st) || st.st_size < (1 << 20)) && s < 0.1)
		return;
	getrusage(RUSAGE_SELF, &ru);
	printf("%s: loaded in %.2f s, %ld MiB peak memory (a reload needs as much again "
	       "while the old rules serve)\n", o->config, s, ru.ru_maxrss / 1024);
}

static int run_check(const struct nfqd_opts *o)
{
	struct timespec t0;
	struct nfqr_ruleset *rs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rs = nfqd_opts_rules(o);
	if (!rs)
		return NFQD_EXIT_RULES;
	printf("%s: OK, %u rules; copy range %u bytes; conntrack %s; socket uid/gid %s; "
	       "interface names %s; "
	       "rewrites %s; content matcher %s; ", o->config, nfqr_ruleset_rule_count(rs),
	       nfqr_ruleset_copy_range(rs),
	       nfqr_ruleset_needs_conntrack(rs) ? "required (F_CONNTRACK)" : "not needed",
	       nfqr_ruleset_needs_uid_gid(rs) ? "required (F_UID_GID)" : "not needed",
	       nfqr_ruleset_uses_ifnames(rs) ? "used" : "unused",
	       nfqd_rules_rewrite(rs) ? "yes (no F_GSO)" : "no",
	       nfqr_ruleset_backend(rs));
	if (nfqr_ruleset_uses_reject(rs))
		printf("reject yes (mark bits 0x%08x; the nft rules: --print-nft)\n",
		       nfqr_ruleset_reject_mark(rs));
	else
		printf("reject no\n");
	if (nfqr_ruleset_detect_only(rs)) {
		printf("%s: --detect-only: every packet is accepted unchanged; what the rules "
		       "would do is logged and counted\n", o->config);
	} else {
		uint32_t n = 0;

		for (uint32_t r = 0; r < nfqr_ruleset_rule_count(rs); r++)
			n += nfqr_ruleset_rule_detects(rs, r);
		if (n)
			printf("%s: %u rule%s only detect%s (detect): accepted, logged and counted\n",
			       o->config, n, n == 1 ? "" : "s", n == 1 ? "s" : "");
	}
	if (o->stall_ms)
		printf("%s: stall watchdog: %u ms, then %s (needs the ring backend and nfqring's "
		       "ABI version 2)\n", o->config, o->stall_ms, nfqd_stall_action(o->stall_verdict));
	report_load(o, &t0);
	nfqr_ruleset_free(rs);
	return NFQD_EXIT_OK;
}

/* The n-th CPU this process may run on, for --cpu-pin. */
static int nth_cpu(uint32_t n)
{
	cpu_set_t set;
	int count;

	if (sched_getaffinity(0, sizeof(set), &set) || !(count = CPU_COUNT(&set)))
		return -1;
	n %= (uint32_t)count;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && n-- == 0)
			return c;
	return -1;
}

static int open_error(int r, enum nfqring_backend b, const char *msg)
{
	ERR("%s\n", msg);
	if (r == -ENOENT && b == NFQRING_BACKEND_RING) {
		ERR("the nfqring module is not loaded: install it (make dkms-install, or the "
		    "nfqring-dkms package) and run 'modprobe nfqring'; or start nfqringd with "
		    "--backend netlink to use the stock nfnetlink_queue\n");
		return NFQD_EXIT_BACKEND;
	}
	if (r == -EACCES || r == -EPERM) {
		ERR("needs CAP_NET_ADMIN in its network namespace and read-write access to "
		    "/dev/nfqring (run as root, or see nfqringd(8) for the systemd unit)\n");
		return NFQD_EXIT_PERM;
	}
	return NFQD_EXIT_BACKEND;
}

/* Open, set up, bind and configure the handle of worker w. */
static int open_queue(struct nfqd *d, struct nfqd_worker *w, bool rewrites)
{
	char err[NFQRING_ERRBUF_SIZE], smsg[512];
	struct nfqring_ring_params p = { 0 };
	uint32_t flags = 0, mask = NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_CONNTRACK | NFQA_CFG_F_GSO |
			 NFQA_CFG_F_UID_GID;
	int r;

	r = nfqring_open(&w->h, d->o.backend, err, sizeof(err));
	if (r < 0)
		return open_error(r, d->o.backend, err);
	/* frames big enough that every packet of the copy range stays on the
	 * fast path; rewrite verdicts carry the packet back, so bigger TX frames */
	p.rx_frame_size = nfqring_frame_size_for(d->copy_range);
	if (nfqring_backend(w->h) == NFQRING_BACKEND_RING) {
		p.rx_frame_nr = d->o.ring_frames ? d->o.ring_frames :
			p.rx_frame_size <= NFQRING_DEFAULT_RX_FRAME ? NFQRING_DEFAULT_RX_FRAMES :
			(16u << 20) / p.rx_frame_size;
		if (rewrites) {
			p.tx_frame_size = 4096;
			p.tx_frame_nr = 256;
		}
	}
	r = nfqring_setup(w->h, &p);
	if (r < 0) {
		ERR("queue %u: setting up the rings: %s\n", w->queue, nfqring_errmsg(w->h));
		return r == -EPERM || r == -EACCES ? NFQD_EXIT_PERM : NFQD_EXIT_BIND;
	}
	/* before the bind: the watchdog is on from the queue's first packet */
	r = nfqd_stall_apply(w, &d->o, smsg, sizeof(smsg));
	if (r) {
		ERR("%s\n", smsg);
		return r;
	}
	if (smsg[0])
		ERR("warning: %s\n", smsg);
	r = nfqring_bind(w->h, w->queue);
	if (r < 0) {
		ERR("queue %u: cannot bind: %s%s\n", w->queue, nfqring_errmsg(w->h),
		    r == -EBUSY ? " (another program serves it: see /proc/net/netfilter/nfnetlink_queue)" : "");
		return r == -EPERM || r == -EACCES ? NFQD_EXIT_PERM : NFQD_EXIT_BIND;
	}
	if (d->o.fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	if (d->conntrack)
		flags |= NFQA_CFG_F_CONNTRACK;
	if (d->uid_gid)
		flags |= NFQA_CFG_F_UID_GID;
	if (d->o.gso)
		flags |= NFQA_CFG_F_GSO;
	if ((r = nfqring_set_mode(w->h, w->queue, NFQNL_COPY_PACKET, d->copy_range)) < 0 ||
	    (r = nfqring_set_flags(w->h, w->queue, flags, mask)) < 0) {
		ERR("queue %u: configuring: %s\n", w->queue, nfqring_errmsg(w->h));
		return NFQD_EXIT_BIND;
	}
	return 0;
}

static int setup_signals(void)
{
	sigset_t set;

	/* every thread inherits the mask: signals reach only the signalfd */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* A live-set command: its result, and a log line for a change */
static void sets_request(struct nfqd *d, int fd, const char *cmd, size_t len)
{
	static const int code[] = { NFQD_EXIT_OK, NFQD_EXIT_USAGE, NFQD_EXIT_USAGE,
				    NFQD_EXIT_RUNTIME };
	char *out = NULL;
	int rc = nfqr_sets_command(d->sets, cmd, len, nfqd_mono_ns(), &out);

	if (rc == 0 && strncmp(cmd, "list", 4))
		ERR("%s", out ? out : "live set changed\n");
	if (!out)
		nfqd_control_reply(fd, NFQD_EXIT_RUNTIME, "out of memory\n", 14);
	else
		nfqd_control_reply(fd, code[rc >= 0 && rc <= 3 ? rc : 3], out, strlen(out));
	free(out);
}

static void control_request(struct nfqd *d, int lfd)
{
	enum nfqd_cmd cmd;
	char *text, *cmdtext;
	size_t len, cmdlen;
	int fd = nfqd_control_accept(lfd, &cmd, &cmdtext, &cmdlen);

	if (fd < 0)
		return;
	switch (cmd) {
	case NFQD_CMD_SETS:
		sets_request(d, fd, cmdtext, cmdlen);
		break;
	case NFQD_CMD_TOO_LONG:
		nfqd_control_reply(fd, NFQD_EXIT_USAGE, "command too long (at most 64 MiB)\n", 34);
		break;
	case NFQD_CMD_RELOAD:
		if (atomic_load(&d->stop))
			nfqd_control_reply(fd, NFQD_EXIT_CONTROL, "nfqringd is stopping\n", 21);
		else if (nfqd_reload_request(&d->rl, fd) < 0)
			nfqd_control_reply(fd, NFQD_EXIT_CONTROL, "too many reloads waiting, try again\n", 36);
		break;
	case NFQD_CMD_STATS:
	case NFQD_CMD_STATS_JSON:
		text = nfqd_report(d, cmd == NFQD_CMD_STATS_JSON, &len);
		if (text)
			nfqd_control_reply(fd, 0, text, len);
		else
			nfqd_control_reply(fd, NFQD_EXIT_RUNTIME, "out of memory\n", 14);
		free(text);
		break;
	default:
		text = "unknown command (reload, stats, stats json, add element, delete element, "
		       "flush set, list set, list sets, load set)\n";
		nfqd_control_reply(fd, NFQD_EXIT_USAGE, text, strlen(text));
	}
	free(cmdtext);
}

static void reload_finished(struct nfqd *d)
{
	int fds[NFQD_RELOAD_WAITERS], code;
	uint32_t n = nfqd_reload_finish(&d->rl, fds);
	eventfd_t v;

	eventfd_read(d->refd, &v);
	pthread_mutex_lock(&d->rlock);
	code = d->rcode;
	ERR("%s", d->rmsg);
	for (uint32_t i = 0; i < n; i++)
		nfqd_control_reply(fds[i], code, d->rmsg, strlen(d->rmsg));
	pthread_mutex_unlock(&d->rlock);
	sd_notifyf(0, "READY=1\nSTATUS=%s", code ? "reload refused, old rules in force" : "serving");
}

static void maybe_start_reload(struct nfqd *d)
{
	if (!atomic_load(&d->stop) && nfqd_reload_start(&d->rl)) {
		sd_notify(0, "RELOADING=1\nSTATUS=compiling rules\nEXTEND_TIMEOUT_USEC=30000000");
		nfqd_reloader_kick(d);
	}
}

/* The watchdog is fed only while every worker makes progress (each loops at
 * least every 100 ms when idle). */
static bool workers_alive(struct nfqd *d, uint64_t *last)
{
	bool ok = true;

	for (uint32_t i = 0; i < d->n; i++) {
		uint64_t p = atomic_load(&d->w[i].progress);

		if (p == last[i] && !atomic_load(&d->w[i].done)) {
			ERR("queue %u: worker made no progress for a watchdog period\n", d->w[i].queue);
			ok = false;
		}
		last[i] = p;
	}
	return ok;
}

static int main_loop(struct nfqd *d, int sfd, int lfd)
{
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	uint64_t wd_usec = 0, *last = calloc(d->n, sizeof(*last));
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	unsigned int ticks = 0, stopped_at = 0;
	int rc = NFQD_EXIT_OK;

	if (!last || tfd < 0) {
		ERR("out of resources for the main loop\n");
		return NFQD_EXIT_RUNTIME;
	}
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec / 2 < 1000000) {
		its.it_interval.tv_sec = its.it_value.tv_sec = 0;
		its.it_interval.tv_nsec = its.it_value.tv_nsec = (long)(wd_usec / 2 * 1000);
	}
	timerfd_settime(tfd, 0, &its, NULL);
	for (;;) {
		struct pollfd p[5] = {
			{ .fd = sfd, .events = POLLIN }, { .fd = lfd, .events = POLLIN },
			{ .fd = d->links.fd, .events = POLLIN }, { .fd = d->refd, .events = POLLIN },
			{ .fd = tfd, .events = POLLIN },
		};
		uint32_t done = 0;

		if (poll(p, 5, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP) {
					nfqd_reload_request(&d->rl, -1);
				} else if (!atomic_load(&d->stop)) {
					ERR("signal %u: judging what was read, draining the queues, stopping\n",
					    si.ssi_signo);
					sd_notify(0, "STOPPING=1\nSTATUS=draining");
					atomic_store(&d->stop, true);
					stopped_at = ticks;
				}
			}
		}
		if (p[1].revents & POLLIN)
			control_request(d, lfd);
		if (p[2].revents & POLLIN)
			nfqd_links_read(&d->links);
		if (p[3].revents & POLLIN)
			reload_finished(d);
		maybe_start_reload(d);
		if (p[4].revents & POLLIN) {
			uint64_t n;

			if (read(tfd, &n, sizeof(n)) > 0)
				ticks++;
			/* expired live-set elements out, old versions freed */
			nfqr_sets_tick(d->sets, nfqd_mono_ns());
			if (d->rl.running)
				sd_notify(0, "EXTEND_TIMEOUT_USEC=30000000");
			if (wd_usec && workers_alive(d, last))
				sd_notify(0, "WATCHDOG=1");
		}
		for (uint32_t i = 0; i < d->n; i++)
			if (atomic_load(&d->w[i].done)) {
				done++;
				if (d->w[i].err && rc == NFQD_EXIT_OK) {
					ERR("%s; stopping\n", d->w[i].errmsg);
					rc = NFQD_EXIT_RUNTIME;
					atomic_store(&d->stop, true);
					stopped_at = ticks;
				}
			}
		if (done == d->n && !d->rl.running)
			break;
		(void)stopped_at;
	}
	close(tfd);
	free(last);
	return rc;
}

static int run(struct nfqd *d)
{
	struct nfqr_diag diag = { 0 };
	struct nfqr_ruleset *rs;
	struct nfqd_gen *g;
	bool rewrites;
	const char *hang;
	int rc, sfd, lfd;
	uint32_t need;

	d->started = time(NULL);
	nfqd_opts_load(&d->o, &d->lo);
	d->n = (uint32_t)(d->o.q_last - d->o.q_first + 1);
	d->sets = nfqr_sets_new(d->n);
	if (!d->sets) {
		ERR("out of memory\n");
		return NFQD_EXIT_RUNTIME;
	}
	d->lo.sets = d->sets;
	sd_notify(0, "STATUS=compiling rules\nEXTEND_TIMEOUT_USEC=60000000");
	rs = nfqr_ruleset_load(d->o.config, &d->lo, &diag);
	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.msgs[i]);
	nfqr_diag_free(&diag);
	if (!rs) {
		ERR("%s: not loaded (fix the errors above; 'nfqringd --check FILE' checks a file)\n",
		    d->o.config);
		return NFQD_EXIT_RULES;
	}
	if (nfqr_ruleset_activate_sets(rs, nfqd_mono_ns())) {
		ERR("out of memory\n");
		nfqr_ruleset_free(rs);
		return NFQD_EXIT_RUNTIME;
	}
	need = nfqr_ruleset_copy_range(rs);
	rewrites = nfqd_rules_rewrite(rs);
	d->conntrack = nfqr_ruleset_needs_conntrack(rs);
	d->uid_gid = nfqr_ruleset_needs_uid_gid(rs);
	d->copy_range = d->o.copy_range ? d->o.copy_range : need;
	if (!nfqd_copy_range_covers(d->copy_range, need)) {
		ERR("--copy-range %u is smaller than the %u bytes the rules need: raise it or drop "
		    "the option\n", d->copy_range, need);
		nfqr_ruleset_free(rs);
		return NFQD_EXIT_CONFIG;
	}
	if (d->o.gso && rewrites) {
		ERR("--gso: the rules rewrite payloads, which GSO superframes refuse; drop --gso\n");
		nfqr_ruleset_free(rs);
		return NFQD_EXIT_CONFIG;
	}
	d->w = calloc(d->n, sizeof(*d->w));
	g = d->w ? nfqd_gen_new(rs, d->n) : NULL;
	if (!g || nfqd_swap_init(&d->swap, g, d->n)) {
		ERR("out of memory\n");
		return NFQD_EXIT_RUNTIME;
	}
	sfd = setup_signals();
	lfd = nfqd_control_listen(d->o.socket);
	if (sfd < 0 || lfd < 0) {
		if (lfd == -EADDRINUSE)
			ERR("another nfqringd answers on %s: stop it, or give this one its own --socket\n",
			    d->o.socket);
		else
			ERR("control socket %s: %s\n", d->o.socket, strerror(-lfd));
		return NFQD_EXIT_CONTROL;
	}
	if ((rc = nfqd_links_open(&d->links, &d->swap)) < 0) {
		ERR("rtnetlink (interface names): %s\n", strerror(-rc));
		return NFQD_EXIT_RUNTIME;
	}
	nfqd_links_apply(&d->links, rs);
	hang = getenv("NFQRINGD_TEST_HANG_QUEUE");
	for (uint32_t i = 0; i < d->n; i++) {
		struct nfqd_worker *w = &d->w[i];

		w->idx = i;
		w->queue = (uint16_t)(d->o.q_first + i);
		w->cpu = d->o.cpu_pin ? nth_cpu(w->queue) : -1;
		/* N: hang for good; N:S: for S seconds, once; N:PATH: until PATH exists */
		w->test_hang = hang && atoi(hang) == w->queue;
		if (w->test_hang && strchr(hang, ':')) {
			const char *arg = strchr(hang, ':') + 1;

			if (*arg && strspn(arg, "0123456789") == strlen(arg))
				w->test_hang_s = (unsigned int)atoi(arg);
			else if (*arg)
				w->test_hang_until = arg;
		}
		w->swap = &d->swap;
		w->sets = d->sets;
		w->stop = &d->stop;
		nfqd_logring_init(&w->log);
		if (d->o.log_once_s) {
			/* allocated here, once: the packet path only looks it up */
			w->once = calloc(1, sizeof(*w->once));
			if (!w->once) {
				ERR("out of memory\n");
				return NFQD_EXIT_RUNTIME;
			}
			w->once->timeout_s = d->o.log_once_s;
		}
		rc = open_queue(d, w, rewrites);
		if (rc) {
			for (uint32_t j = 0; j <= i; j++)
				nfqring_close(d->w[j].h);
			unlink(d->o.socket);
			return rc;
		}
	}
	nfqd_reload_init(&d->rl);
	if (nfqd_logger_start(d) || nfqd_reloader_start(d)) {
		ERR("cannot start threads\n");
		return NFQD_EXIT_RUNTIME;
	}
	for (uint32_t i = 0; i < d->n; i++)
		if ((rc = nfqd_worker_start(&d->w[i])) < 0) {
			ERR("cannot start the worker of queue %u: %s\n", d->w[i].queue, strerror(-rc));
			atomic_store(&d->stop, true);
			d->n = i;
			break;
		}
	if (d->o.stall_ms && d->w[0].stall_ms)
		ERR("stall watchdog: a worker that does not move for %u ms while packets wait gets "
		    "them and its new packets %s by the kernel until it moves again\n",
		    d->o.stall_ms, d->o.stall_verdict == NF_ACCEPT ? "accepted" : "dropped");
	ERR("serving queues %u-%u (%s backend) with %s: %u rules, copy range %u%s%s%s%s%s\n",
	    d->o.q_first, d->o.q_last,
	    nfqring_backend(d->w[0].h) == NFQRING_BACKEND_RING ? "ring" : "netlink",
	    d->o.config, nfqr_ruleset_rule_count(rs), d->copy_range,
	    d->conntrack ? ", conntrack" : "", d->uid_gid ? ", socket uid/gid" : "",
	    d->o.fail_open ? ", fail-open" : "",
	    d->o.cpu_pin ? ", pinned" : "", d->o.detect_only ? ", detect-only" : "");
	/* every queue is bound by now */
	sd_notifyf(0, "READY=1\nSTATUS=serving queues %u-%u\nMAINPID=%d", d->o.q_first,
		   d->o.q_last, (int)getpid());
	rc = main_loop(d, sfd, lfd);
	for (uint32_t i = 0; i < d->n; i++) {
		struct nfqd_worker *w = &d->w[i];

		nfqd_worker_join(w);
		ERR("queue %u: %llu packets judged (%llu while draining), %llu dropped by the "
		    "kernel at unbind\n", w->queue,
		    (unsigned long long)atomic_load(&w->st.c[Q_PACKETS]),
		    (unsigned long long)atomic_load(&w->st.c[Q_DRAINED]),
		    (unsigned long long)w->lost_at_unbind);
		if (w->stall_ms) {
			struct nfqring_wait_stats ws;

			nfqring_wait_stats(w->h, &ws);
			ERR("queue %u: stall watchdog: %llu stalls, %llu packets given its verdict "
			    "(%s)\n", w->queue, (unsigned long long)ws.stalls,
			    (unsigned long long)ws.stall_verdicts, nfqd_stall_action(w->stall_verdict));
		}
	}
	nfqd_reloader_stop(d);
	nfqd_logger_stop(d);
	for (uint32_t i = 0; i < d->n; i++) {
		nfqring_close(d->w[i].h);
		free(d->w[i].once);
	}
	close(lfd);
	unlink(d->o.socket);
	nfqd_links_close(&d->links);
	nfqd_swap_destroy(&d->swap);
	nfqr_sets_free(d->sets);	/* after the last ruleset that used it */
	free(d->w);
	ERR("stopped\n");
	return rc;
}

int main(int argc, char **argv)
{
	static struct nfqd d;
	char err[256];
	int rc = nfqd_opts_parse(&d.o, argc, argv, err, sizeof(err));

	if (rc) {
		ERR("%s\n", err);
		fprintf(stderr, "Try 'nfqringd --help'.\n");
		return rc;
	}
	switch (d.o.mode) {
	case NFQD_HELP:
		nfqd_usage(stdout);
		return 0;
	case NFQD_VERSION:
		printf("nfqringd %s\n", NFQR_VERSION);
		return 0;
	case NFQD_CHECK:
		return run_check(&d.o);
	case NFQD_TEST:
		return nfqd_replay(&d.o);
	case NFQD_PRINT_NFT:
		return nfqd_print_nft(&d.o);
	case NFQD_RELOAD:
		return nfqd_control_client(d.o.socket, "reload");
	case NFQD_STATS:
		return nfqd_control_client(d.o.socket, d.o.json ? "stats json" : "stats");
	case NFQD_CONTROL:
		return nfqd_control_client(d.o.socket, d.o.control);
	case NFQD_LOAD_SET:
		return nfqd_control_load_set(d.o.socket, d.o.set_name, d.o.set_file);
	case NFQD_RUN:
		break;
	}
	return run(&d);
}
