// SPDX-License-Identifier: GPL-2.0-only
/* The per-queue worker thread (see worker.h).  Nothing on the packet path
 * allocates, locks or blocks: the engine and libnfqring promise the same, log
 * lines go through the worker's log ring, counters are single-writer. */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "worker.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* CTA_MARK from the NFQA_CT nest, if there. */
static bool ct_mark_of(const struct nfqring_packet *p, uint32_t *mark)
{
	const struct nlattr *attr;

	if (!(p->present & NFQRING_PKT_CT) || !p->ct)
		return false;
	mnl_attr_for_each_payload(p->ct, p->ct_len) {
		if (mnl_attr_get_type(attr) == CTA_MARK && mnl_attr_get_payload_len(attr) >= 4) {
			*mark = ntohl(mnl_attr_get_u32(attr));
			return true;
		}
	}
	return false;
}

/* One record per rule whose `log` fired, formatted later by the logger. */
static void log_packet(struct nfqd_worker *w, const struct nfqd_gen *g,
		       const struct nfqring_packet *p, const struct nfqr_pkt_meta *meta,
		       const struct nfqr_result *res, uint32_t v, uint64_t now_real)
{
	struct nfqd_pktlog rec;

	for (uint32_t i = 0; i < res->n_log && i < NFQR_MAX_LOG; i++) {
		nfqd_pktlog_fill(&rec, g->rs, res->log_rules[i], (const uint8_t *)p->payload,
				 p->payload_len, meta, p->queue, p->id, v, res->reject, now_real);
		nfqd_pktlog_detect(&rec, res);
		if (w->once && !nfqd_flowonce_first(w->once, &rec, meta->now_ns)) {
			nfqd_ctr_add(&w->st.c[Q_LOG_ONCE], 1);
			continue;
		}
		nfqd_logring_push_pkt(&w->log, &rec);
	}
}

/*
 * A packet came back with reject-mark bits: the chain that queues it has no
 * reject rules.  The engine dropped it; say why, once per 10 s per worker,
 * since a misconfigured chain sends every rejected packet this way.
 */
static void reject_loop(struct nfqd_worker *w, const struct nfqd_gen *g,
			const struct nfqring_packet *p, uint64_t now_ns)
{
	if (w->loop_logged_ns && now_ns - w->loop_logged_ns < 10000000000ull) {
		w->loop_quiet++;
		return;
	}
	/* fits NFQD_LOG_LINE */
	nfqd_logring_push(&w->log, "queue %u: packet %u came back with reject mark 0x%08x "
			  "(field 0x%08x): the nft chain has no reject rules; load what "
			  "'nfqringd --print-nft' prints, same -q and --reject-mark (dropped as "
			  "reject_loop; %llu more)", p->queue, p->id, p->mark,
			  nfqr_ruleset_reject_mark(g->rs), (unsigned long long)w->loop_quiet);
	w->loop_logged_ns = now_ns;
	w->loop_quiet = 0;
}

/*
 * A verdict other than accept that could not be queued, even after a flush
 * to make room: the batch accept must not cover its packet, or a drop would
 * turn into an accept.  The packets before it get their batch accept now
 * and it gets its verdict as a batch of one; when that cannot be queued
 * either, the batch fails closed: it ends with NF_DROP, not NF_ACCEPT.
 */
static void verdict_not_queued(struct nfqd_worker *w, const struct nfqring_packet *p,
			       const struct nfqring_verdict *vd)
{
	struct nfqring_verdict b = { .queue = p->queue, .id = p->id - 1, .verdict = NF_ACCEPT };

	if (!w->batch_accepts || nfqring_verdict_batch(w->h, &b) == 0) {
		w->batch_accepts = 0;
		b.id = p->id;
		b.verdict = vd->verdict;
		b.flags = vd->flags & NFQRING_V_MARK;	/* a reject's code */
		b.mark = vd->mark;
		if (nfqring_verdict_batch(w->h, &b) == 0)
			return;
	}
	if (!w->fail_closed) {
		w->fail_closed = true;
		nfqd_ctr_add(&w->st.c[Q_FAIL_CLOSED], 1);
		nfqd_logring_push(&w->log, "queue %u: verdict for packet %u cannot be queued: %s; "
				  "the packets of this batch are dropped", p->queue, p->id,
				  nfqring_errmsg(w->h));
	}
}

static void judge(struct nfqd_worker *w, const struct nfqd_gen *g,
		  struct nfqring_packet *p, uint64_t now_ns, uint64_t now_real)
{
	struct nfqr_pkt_meta meta = {
		.hw_protocol = p->hw_protocol,
		.pkt_len = p->cap_len > p->payload_len ? p->cap_len : p->payload_len,
		.mark = p->mark,
		.iif = p->indev,
		.oif = p->outdev,
		.skb_info = p->skb_info,
		.ct_present = p->present & NFQRING_PKT_CT,
		/* NFQA_CT_INFO comes with NFQA_CT; UID/GID need F_UID_GID and a
		 * local socket: absent, `meta skuid` fails as in nft */
		.ct_info_present = p->present & NFQRING_PKT_CT_INFO,
		.ct_info = (uint8_t)(p->ct_info > UINT8_MAX ? UINT8_MAX : p->ct_info),
		.uid_present = p->present & NFQRING_PKT_UID,
		.gid_present = p->present & NFQRING_PKT_GID,
		.uid = p->uid,
		.gid = p->gid,
		.now_ns = now_ns,
	};
	struct nfqr_result res;
	uint32_t v;

	ct_mark_of(p, &meta.ct_mark);
	/* The engine rewrites in place: RX frames are mapped writable and the
	 * read() buffer is ours, so the payload is ours until the next packet. */
	v = nfqr_eval(g->rs, g->sc[w->idx], (uint8_t *)p->payload, p->payload_len, &meta, &res);
	nfqd_ctr_add(&w->st.c[Q_PACKETS], 1);
	nfqd_ctr_add(&w->st.c[Q_BYTES], meta.pkt_len);
	switch (v & NF_VERDICT_MASK) {
	case NF_ACCEPT:
		nfqd_ctr_add(&w->st.c[Q_ACCEPT], 1);
		break;
	case NF_DROP:
		nfqd_ctr_add(&w->st.c[Q_DROP], 1);
		break;
	case NF_REPEAT:
		nfqd_ctr_add(&w->st.c[Q_REPEAT], 1);
		break;
	default:
		nfqd_ctr_add(&w->st.c[Q_QUEUE], 1);
	}
	if (res.n_log)
		log_packet(w, g, p, &meta, &res, v, now_real);
	if (res.reason == NFQR_REASON_REJECT_LOOP)
		reject_loop(w, g, p, now_ns);
	if (v == NF_ACCEPT && !res.mark_set && !res.ct_mark_set && !res.payload_rewritten) {
		w->batch_accepts++;
		return;		/* the batch accept covers it */
	}

	struct nfqring_verdict vd = { .queue = p->queue, .id = p->id, .verdict = v };

	if (res.mark_set) {
		vd.flags |= NFQRING_V_MARK;
		vd.mark = res.mark;
		nfqd_ctr_add(&w->st.c[Q_MARK], 1);
	}
	if (res.ct_mark_set) {
		vd.flags |= NFQRING_V_CONNMARK;
		/* only the rule's bits, with CTA_MARK_MASK: a concurrent
		 * change of the other bits (another rule, conntrack tools)
		 * is kept by the kernel */
		vd.connmark = res.ct_mark & res.ct_mask;
		vd.connmark_mask = res.ct_mask == UINT32_MAX ? 0 : res.ct_mask;
		nfqd_ctr_add(&w->st.c[Q_CONNMARK], 1);
	}
	if (res.payload_rewritten) {
		vd.flags |= NFQRING_V_PAYLOAD;
		vd.payload = p->payload;
		vd.payload_len = p->payload_len;
		nfqd_ctr_add(&w->st.c[Q_REWRITE], 1);
	}
	int r = nfqring_verdict(w->h, &vd);

	if (r < 0) {			/* e.g. the TX ring full: flush to make room, once */
		nfqring_flush(w->h);
		r = nfqring_verdict(w->h, &vd);
	}
	if (r < 0) {
		nfqd_ctr_add(&w->st.c[Q_VERDICT_ERRORS], 1);
		nfqd_logring_push(&w->log, "queue %u: verdict for packet %u failed: %s",
				  p->queue, p->id, nfqring_errmsg(w->h));
		if ((v & NF_VERDICT_MASK) != NF_ACCEPT)
			verdict_not_queued(w, p, &vd);
		else
			w->batch_accepts++;	/* accepted without its changes */
	}
}

/* Send what the batch decided: single verdicts were queued first, then one
 * batch accept up to the last packet handed out (a batch drop when the
 * batch failed closed, see verdict_not_queued). */
/*
 * A flush refused with ENOENT while the kernel's stall watchdog is on: when
 * the watchdog has released packets, these verdicts came too late for them
 * (the worker was stalled and now reads the frames that waited).  Counted
 * and logged once per stall, not as an error.  Only on that error path: one
 * ioctl through the handle, from the worker that owns it.
 */
static bool stall_late(struct nfqd_worker *w, int r)
{
	struct nfqring_wait_stats ws;

	if (r != -ENOENT || !w->stall_ms)
		return false;
	nfqring_wait_stats(w->h, &ws);
	if (!ws.stall_verdicts)
		return false;
	nfqd_ctr_add(&w->st.c[Q_STALL_LATE], 1);
	if (ws.stalls != w->stall_late_logged) {
		w->stall_late_logged = ws.stalls;
		/* fits NFQD_LOG_LINE */
		nfqd_logring_push(&w->log, "queue %u: moving again after a stall: %s (the "
				  "watchdog gave those packets %s already; stall_late_verdicts)",
				  w->queue, nfqring_errmsg(w->h),
				  w->stall_verdict == NF_ACCEPT ? "accept" : "drop");
	}
	return true;
}

static void flush(struct nfqd_worker *w)
{
	int r = nfqring_batch_seen(w->h, w->fail_closed ? NF_DROP : NF_ACCEPT);

	w->fail_closed = false;
	w->batch_accepts = 0;

	if (r >= 0)
		r = nfqring_flush(w->h);
	if (r < 0 && !stall_late(w, r)) {
		struct nfqring_tx_error e;

		nfqring_last_tx_error(w->h, &e);
		nfqd_ctr_add(&w->st.c[Q_VERDICT_ERRORS], 1);
		nfqd_logring_push(&w->log, "queue %u: verdicts refused: %s (packet %u)",
				  w->queue, nfqring_errmsg(w->h), e.id);
	}
}

static void sync_lib_stats(struct nfqd_worker *w)
{
	struct nfqring_lib_stats s;

	nfqring_lib_stats(w->h, &s);
	nfqd_ctr_set(&w->st.c[Q_COPIES], s.copies);
	nfqd_ctr_set(&w->st.c[Q_OVERRUNS], s.overruns);
	nfqd_ctr_set(&w->st.c[Q_BAD_MSGS], s.bad_msgs);
}

/* Judge up to one batch; returns the packets judged, or a negative errno. */
static int run_batch(struct nfqd_worker *w, const struct nfqd_gen *g, bool draining)
{
	struct nfqring_packet p;
	uint64_t now_mono = clock_ns(CLOCK_MONOTONIC), now_real = clock_ns(CLOCK_REALTIME);
	int n = 0, r = 0;

	while (n < NFQD_BATCH_MAX) {
		r = nfqring_next(w->h, &p);
		if (r == 0)
			break;
		if (r == -EBADMSG)
			continue;
		if (r < 0)
			break;
		/* enqueue time when the kernel stamped the packet, else read time */
		if (p.present & NFQRING_PKT_TIMESTAMP) {
			w->t0[n] = p.ts_sec * 1000000000ull + p.ts_usec * 1000ull;
		} else {
			w->t0[n] = now_real;
			nfqd_ctr_add(&w->st.c[Q_NO_TSTAMP], 1);
		}
		judge(w, g, &p, now_mono, now_real);
		n++;
	}
	/*
	 * A full batch still holds the last packet's RX frame: nfqring_next()
	 * releases it only at the next call.  Release it before the flush, whose
	 * verdicts make room in the queue: the kernel fills the ring in order and,
	 * with a ring no longer than the queue, would count an overrun on this
	 * frame.  The verdicts no longer need it (copied when queued, the batch
	 * verdict is ids only).
	 */
	if (r > 0)
		nfqring_release(w->h, &p);
	if (n) {
		flush(w);
		now_real = clock_ns(CLOCK_REALTIME);
		for (int i = 0; i < n; i++)
			nfqd_ctr_add(&w->st.lat[nfqd_lat_bucket(now_real > w->t0[i] ?
								  now_real - w->t0[i] : 0)], 1);
		nfqd_ctr_add(&w->st.c[Q_BATCHES], 1);
		nfqd_ctr_add(&w->st.batch[nfqd_batch_bucket((uint32_t)n)], 1);
		if (draining)
			nfqd_ctr_add(&w->st.c[Q_DRAINED], (uint64_t)n);
	}
	sync_lib_stats(w);
	if (r < 0 && r != -EBADMSG) {
		nfqd_logring_push(&w->log, "queue %u: receiving: %s", w->queue, nfqring_errmsg(w->h));
		return r;
	}
	return n;
}

int nfqd_worker_run_batch(struct nfqd_worker *w, const struct nfqd_gen *g, bool draining)
{
	return run_batch(w, g, draining);
}

/* Between batches: the current generation and live-set versions are
 * taken up here (no lock); the ones before may be freed once every worker
 * has been here. */
static struct nfqd_gen *between_batches(struct nfqd_worker *w)
{
	nfqr_sets_enter(w->sets, w->idx);
	return nfqd_swap_enter(w->swap, w->idx);
}

/* SIGTERM: judge what is in the ring until it is empty, then unbind; what
 * still arrives after that was dropped by the kernel with the queue. */
static void drain_and_unbind(struct nfqd_worker *w)
{
	struct nfqring_packet p;
	int empty = 0, r;

	while (empty < 2) {
		struct nfqd_gen *g = between_batches(w);

		r = run_batch(w, g, true);
		if (r < 0)
			break;
		empty = r == 0 ? empty + 1 : 0;
		atomic_fetch_add_explicit(&w->progress, 1, memory_order_relaxed);
	}
	nfqd_swap_leave(w->swap, w->idx);
	nfqr_sets_leave(w->sets, w->idx);
	r = nfqring_unbind(w->h, w->queue);
	if (r < 0)
		nfqd_logring_push(&w->log, "queue %u: unbind: %s", w->queue, nfqring_errmsg(w->h));
	while ((r = nfqring_next(w->h, &p)) != 0)
		if (r > 0)
			w->lost_at_unbind++;
		else if (r != -EBADMSG)
			break;
}

static void *worker_main(void *arg)
{
	struct nfqd_worker *w = arg;

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
			nfqd_logring_push(&w->log, "queue %u: cannot pin to CPU %d", w->queue, w->cpu);
	}
	while (!atomic_load_explicit(w->stop, memory_order_acquire)) {
		struct nfqd_gen *g = between_batches(w);
		int r = nfqring_wait(w->h, 100);

		if (r < 0 && r != -EINTR) {
			w->err = r;
			snprintf(w->errmsg, sizeof(w->errmsg), "queue %u: %s", w->queue,
				 nfqring_errmsg(w->h));
			break;
		}
		if (r > 0 && run_batch(w, g, false) < 0 && nfqring_backend(w->h) == NFQRING_BACKEND_RING) {
			w->err = -EIO;
			snprintf(w->errmsg, sizeof(w->errmsg), "queue %u: %s", w->queue,
				 nfqring_errmsg(w->h));
			break;
		}
		atomic_fetch_add_explicit(&w->progress, 1, memory_order_relaxed);
		if (r > 0 && w->test_hang) {
			/* fault injection for the watchdog test: hang as a worker
			 * stuck in a loop would, deaf to SIGTERM */
			nfqd_logring_push(&w->log, "queue %u: NFQRINGD_TEST_HANG_QUEUE: hanging",
					  w->queue);
			if (!w->test_hang_s && !w->test_hang_until)
				for (;;)
					sleep(3600);
			/* ... or for a while, once: a stall the worker recovers from */
			if (w->test_hang_s)
				sleep(w->test_hang_s);
			while (w->test_hang_until && access(w->test_hang_until, F_OK))
				usleep(100000);
			w->test_hang = false;
			nfqd_logring_push(&w->log, "queue %u: NFQRINGD_TEST_HANG_QUEUE: going on",
					  w->queue);
		}
	}
	drain_and_unbind(w);
	atomic_store_explicit(&w->done, true, memory_order_release);
	return NULL;
}

int nfqd_worker_start(struct nfqd_worker *w)
{
	return -pthread_create(&w->thr, NULL, worker_main, w);
}

void nfqd_worker_join(struct nfqd_worker *w)
{
	pthread_join(w->thr, NULL);
}
