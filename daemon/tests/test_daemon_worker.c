// SPDX-License-Identifier: GPL-2.0-only
/* The worker's batch loop (src/worker.c) against the fake kernel of
 * lib/tests: a queue kept full at saturation, with as many RX frames as the
 * queue is long (nfqringd --ring-frames = queue length).  When a batch's
 * verdicts leave, the worker must hold no RX frame: the kernel refills the
 * ring in order as soon as the verdicts make room, and a frame still held
 * there is an RX overrun (a dropped packet). */
#include <errno.h>
#include <stdlib.h>
#include <linux/netfilter.h>

#include "tap.h"

#include "../lib/tests/fake_kernel.h"
#include "pkt.h"
#include "exitcodes.h"
#include "stall.h"
#include "swap.h"
#include "worker.h"

#define QUEUE		3
#define QLEN		1024	/* queue maxlen and RX frames */
#define DROP_PORT	9	/* every 10th packet: a single verdict */

static uint8_t pkt_accept[128], pkt_drop[128];
static size_t pkt_accept_len, pkt_drop_len;

static uint32_t next_id = 1;
static uint32_t frame_id[QLEN];		/* the id the kernel put in each RX frame */
static bool saturated;			/* refill the queue after each flush */
static unsigned int flushes, held_max, dropped_by_ring, drop_verdicts;

/* Packets the kernel holds for a verdict. */
static unsigned int queued(void)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i < 65536; i++)
		n += fk.queued[i];
	return n;
}

/* Packets arrive as long as the queue has room: each takes the RX head
 * frame, or is dropped as an overrun when that frame is not UNUSED. */
static void fill_queue(void)
{
	unsigned int room = QLEN - queued();

	for (unsigned int i = 0; i < room; i++, next_id++) {
		bool drop = next_id % 10 == 0;
		struct fk_pkt p = {
			.queue = QUEUE, .id = next_id, .hw_protocol = 0x0800, .hook = 1,
			.payload = drop ? pkt_drop : pkt_accept,
			.payload_len = (uint32_t)(drop ? pkt_drop_len : pkt_accept_len),
		};
		uint32_t f = fk.rx_head;

		if (fk_queue_packet(&p) == 0) {
			frame_id[f] = next_id;
		} else {
			fk.queued[next_id & 0xffff] = 0;
			dropped_by_ring++;
		}
	}
}

/* After the kernel took the verdicts sent since recs[first]: how many RX
 * frames still hold a packet they judged, then (at saturation) new packets. */
static void after_flush(unsigned int first)
{
	uint32_t judged = 0;
	unsigned int held = 0;

	for (unsigned int i = first; i < fk.nrecs; i++) {
		const struct fk_rec *r = &fk.recs[i];

		if (r->type != NFQNL_MSG_VERDICT && r->type != NFQNL_MSG_VERDICT_BATCH)
			continue;
		if (r->id > judged)
			judged = r->id;
		if (r->type == NFQNL_MSG_VERDICT && r->verdict == NF_DROP)
			drop_verdicts++;
	}
	if (!judged)
		return;		/* configuration */
	flushes++;
	for (uint32_t f = 0; f < QLEN; f++)
		if (fk_rx_frame(f)->nm_status == NFQRING_STATUS_VALID && frame_id[f] <= judged)
			held++;
	if (held > held_max)
		held_max = held;
	if (saturated)
		fill_queue();
}

/* The fake kernel's flush paths, watched: TX ring ioctl and write(). */
static int watch_ioctl(int fd, unsigned long req, void *arg)
{
	unsigned int first = fk.nrecs;
	int r = fk_ops.ioctl(fd, req, arg);

	if (req == NFQRING_TX_FLUSH)
		after_flush(first);
	return r;
}

static ssize_t watch_write(int fd, const void *buf, size_t len)
{
	unsigned int first = fk.nrecs;
	ssize_t r = fk_ops.write(fd, buf, len);

	after_flush(first);
	return r;
}

static struct nfqd_gen *generation(void)
{
	static const char text[] = "udp dport 9 drop\n";
	struct nfqr_load_opts o = { .backend = NFQR_CM_AHO_CORASICK };
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs = nfqr_ruleset_parse("t.nft", text, strlen(text), &o, &d);

	for (size_t i = 0; i < d.n; i++)
		printf("# %s\n", d.msgs[i]);
	nfqr_diag_free(&d);
	return rs ? nfqd_gen_new(rs, 1) : NULL;
}

static size_t udp_pkt(uint8_t *buf, uint16_t dport)
{
	uint8_t l4[64];
	size_t n = l4_udp(l4, 1234, dport, "data", 4);

	return pkt_ipv4(buf, "10.0.0.1", "10.0.0.2", 17, l4, n);
}

static void test_full_batches(const char *name, uint32_t flags)
{
	static struct nfqd_worker w;
	struct nfqring_ring_params rp = { .rx_frame_nr = QLEN, .flags = flags };
	struct nfqring_ops ops = fk_ops;
	char err[NFQRING_ERRBUF_SIZE];
	struct nfqd_gen *g = generation();
	struct nfqring *h;
	int full = 0, n, drained = 0;

	printf("# %s\n", name);
	fk_reset();
	fk.track_ids = true;
	next_id = 1;
	saturated = false;
	flushes = held_max = dropped_by_ring = drop_verdicts = 0;
	ops.ioctl = watch_ioctl;
	ops.write = watch_write;
	if (!ok(g != NULL, "ruleset generation") ||
	    !ok(nfqring_open_ops(&h, &ops, err, sizeof(err)) == 0, "handle on the fake kernel")) {
		printf("# %s\n", err);
		return;
	}
	ok(nfqring_setup(h, &rp) == 0 && rp.rx_frame_nr == QLEN, "%u RX frames", QLEN);
	ok(nfqring_bind(h, QUEUE) == 0, "queue %u bound", QUEUE);
	memset(&w, 0, sizeof(w));
	w.queue = QUEUE;
	w.cpu = -1;
	w.h = h;
	nfqd_logring_init(&w.log);

	fill_queue();
	is_int(queued(), QLEN, "the queue and the ring are full");
	saturated = true;
	for (int b = 0; b < 8; b++)
		full += nfqd_worker_run_batch(&w, g, false) == NFQD_BATCH_MAX;
	saturated = false;
	is_int(full, 8, "8 batches of NFQD_BATCH_MAX with packets left in the ring");
	is_int(held_max, 0, "no RX frame held by the worker when its verdicts went out");
	is_int(dropped_by_ring, 0, "the kernel refilled the room the verdicts made: no overrun");
	is_int(fk.overruns, 0, "  (the fake kernel counted none either)");
	while (drained < 4 * QLEN && (n = nfqd_worker_run_batch(&w, g, true)) > 0)
		drained += n;
	is_int(drained, QLEN, "then the rest drained");
	is_int(queued(), 0, "every packet got its verdict");
	is_int(next_id - 1, (uint32_t)(QLEN + 8 * NFQD_BATCH_MAX), "all %u packets queued",
	       QLEN + 8 * NFQD_BATCH_MAX);
	is_int(drop_verdicts, (next_id - 1) / 10, "every 10th dropped by a single verdict");
	is_int(atomic_load(&w.st.c[Q_VERDICT_ERRORS]), 0, "no verdict refused");
	is_int(flushes, 8 + QLEN / NFQD_BATCH_MAX, "one flush per batch");
	nfqring_close(h);
	nfqd_gen_free(g);
	fk_reset();
}

/* ---- a drop that cannot be queued never becomes an accept -------------------- */

static unsigned int flush_failures;	/* TX_FLUSH calls still to fail */

static int failing_ioctl(int fd, unsigned long req, void *arg)
{
	if (req == NFQRING_TX_FLUSH && flush_failures) {
		flush_failures--;
		errno = EIO;		/* nothing processed, nothing released */
		return -1;
	}
	return fk_ops.ioctl(fd, req, arg);
}

/* What each packet id got from the verdicts the fake kernel took, in order:
 * a single verdict its own, a batch every queued id up to it left. */
static void fates(uint32_t *fate, uint32_t n)
{
	bool done[64] = { false };

	for (uint32_t i = 0; i < n; i++)
		fate[i] = UINT32_MAX;
	for (unsigned int i = 0; i < fk.nrecs; i++) {
		const struct fk_rec *r = &fk.recs[i];

		if (r->type == NFQNL_MSG_VERDICT && r->id < n && !done[r->id]) {
			fate[r->id] = r->verdict;
			done[r->id] = true;
		} else if (r->type == NFQNL_MSG_VERDICT_BATCH) {
			for (uint32_t id = 1; id <= r->id && id < n; id++)
				if (!done[id]) {
					fate[id] = r->verdict;
					done[id] = true;
				}
		}
	}
}

static void test_drop_not_queued(void)
{
	static struct nfqd_worker w;
	struct nfqring_ring_params rp = { .rx_frame_nr = 64, .tx_block_size = 4096,
					  .tx_frame_nr = 16 };
	struct nfqring_ops ops = fk_ops;
	struct nfqd_gen *g = generation();
	uint32_t fate[41];
	struct nfqring *h;
	bool drops = true, accepts = true;

	fk_reset();
	fk.track_ids = true;
	ops.ioctl = failing_ioctl;
	flush_failures = 0;
	if (!ok(g && nfqring_open_ops(&h, &ops, NULL, 0) == 0, "handle on the fake kernel"))
		return;
	ok(nfqring_setup(h, &rp) == 0 && rp.tx_frame_nr == 16, "16 TX frames");
	nfqring_bind(h, QUEUE);
	memset(&w, 0, sizeof(w));
	w.queue = QUEUE;
	w.cpu = -1;
	w.h = h;
	nfqd_logring_init(&w.log);
	/* 1-5 accepted, 6-30 dropped by single verdicts, 31-40 accepted: the
	 * 17th drop (22) finds the TX ring full, and the flushes that would
	 * make room fail three times: the worker's retry fails too */
	for (uint32_t id = 1; id <= 40; id++) {
		bool drop = id >= 6 && id <= 30;
		struct fk_pkt p = { .queue = QUEUE, .id = id, .hw_protocol = 0x0800, .hook = 1,
				    .payload = drop ? pkt_drop : pkt_accept,
				    .payload_len = (uint32_t)(drop ? pkt_drop_len : pkt_accept_len) };

		fk_queue_packet(&p);
	}
	flush_failures = 3;
	is_int(nfqd_worker_run_batch(&w, g, false), 40, "40 packets judged");
	fates(fate, 41);
	for (uint32_t id = 1; id <= 40; id++) {
		bool drop = id >= 6 && id <= 30;

		if (drop && fate[id] != NF_DROP) {
			drops = false;
			printf("#   packet %u: verdict %d, want drop\n", id, (int)fate[id]);
		}
		if (!drop && fate[id] != NF_ACCEPT) {
			accepts = false;
			printf("#   packet %u: verdict %d, want accept\n", id, (int)fate[id]);
		}
	}
	ok(drops, "every drop left as a drop, the one that could not be queued too");
	ok(accepts, "every other packet accepted");
	is_int(queued(), 0, "no packet left without a verdict");
	ok(atomic_load(&w.st.c[Q_VERDICT_ERRORS]) >= 1, "the failure counted");

	/* the TX ring stays broken: the batch fails closed */
	for (uint32_t id = 41; id <= 60; id++) {
		bool drop = id >= 43;
		struct fk_pkt p = { .queue = QUEUE, .id = id, .hw_protocol = 0x0800, .hook = 1,
				    .payload = drop ? pkt_drop : pkt_accept,
				    .payload_len = (uint32_t)(drop ? pkt_drop_len : pkt_accept_len) };

		fk_queue_packet(&p);
	}
	flush_failures = 1000;
	fk.nrecs = 0;
	is_int(nfqd_worker_run_batch(&w, g, false), 20, "20 more judged while no flush works");
	flush_failures = 0;
	nfqring_flush(h);
	{
		bool none_accepted = true;

		for (unsigned int i = 0; i < fk.nrecs; i++)
			if (fk.recs[i].verdict == NF_ACCEPT && fk.recs[i].id >= 43)
				none_accepted = false;
		ok(none_accepted, "no accept that covers a drop reached the kernel");
	}
	ok(atomic_load(&w.st.c[Q_FAIL_CLOSED]) >= 1, "the batch that failed closed counted");
	nfqring_close(h);
	nfqd_gen_free(g);
	fk_reset();
}

/* ---- the kernel's stall watchdog: set up as the options say --------------------- */

/* nfqd_stall_apply() on a fresh handle of the fake kernel: its result and
 * message; *w is left with the handle (closed by the caller). */
static int stall_apply(struct nfqd_worker *w, bool v2, bool netlink, enum nfqring_backend asked,
		       uint32_t ms, uint32_t verdict, char *msg, size_t len)
{
	struct nfqring_ring_params rp = { .rx_frame_nr = 16 };
	struct nfqd_opts o = { .backend = asked, .stall_ms = ms, .stall_verdict = verdict };

	fk_reset();
	fk.v2_capable = v2;
	fk.track_ids = true;
	memset(w, 0, sizeof(*w));
	w->queue = QUEUE;
	w->cpu = -1;
	w->h = netlink ? fk_open_netlink(&rp) : fk_open(&rp);
	nfqd_logring_init(&w->log);
	msg[0] = 0;
	return w->h ? nfqd_stall_apply(w, &o, msg, len) : -1;
}

static void test_stall_apply(void)
{
	static struct nfqd_worker w;
	char msg[512];

	printf("# --stall-ms: the kernel's stall watchdog set per queue endpoint\n");
	is_int(stall_apply(&w, true, false, NFQRING_BACKEND_RING, 250, NF_DROP, msg, sizeof(msg)),
	       0, "version 2, 250 ms drop: applied");
	ok(!msg[0], "  no message (%s)", msg);
	is_int(fk.stall_sets, 1, "  one NFQRING_SET_STALL");
	ok(fk.stall.stall_ms == 250 && fk.stall.verdict == NF_DROP, "  with 250 ms and NF_DROP "
	   "(got %u, %u)", fk.stall.stall_ms, fk.stall.verdict);
	ok(w.stall_ms == 250 && w.stall_verdict == NF_DROP, "  the worker knows it is on");
	nfqring_close(w.h);

	is_int(stall_apply(&w, true, false, NFQRING_BACKEND_AUTO, 10, NF_ACCEPT, msg, sizeof(msg)),
	       0, "version 2, 10 ms accept, --backend auto: applied");
	ok(fk.stall_sets == 1 && fk.stall.stall_ms == 10 && fk.stall.verdict == NF_ACCEPT,
	   "  with 10 ms and NF_ACCEPT");
	nfqring_close(w.h);

	is_int(stall_apply(&w, true, false, NFQRING_BACKEND_RING, 0, NF_DROP, msg, sizeof(msg)),
	       0, "--stall-ms 0 (the default): nothing to set");
	ok(fk.stall_sets == 0 && !w.stall_ms && !msg[0], "  no NFQRING_SET_STALL, off, no message");
	nfqring_close(w.h);

	is_int(stall_apply(&w, false, false, NFQRING_BACKEND_RING, 250, NF_DROP, msg, sizeof(msg)),
	       NFQD_EXIT_BACKEND, "a module of ABI version 1, --backend ring: exit %d",
	       NFQD_EXIT_BACKEND);
	ok(strstr(msg, "ABI version 1") && strstr(msg, "update the module") &&
	   strstr(msg, "drop --stall-ms"), "  says why and what to do: %s", msg);
	ok(fk.stall_sets == 0 && !w.stall_ms, "  nothing set");
	nfqring_close(w.h);

	is_int(stall_apply(&w, false, false, NFQRING_BACKEND_AUTO, 250, NF_DROP, msg, sizeof(msg)),
	       0, "a module of ABI version 1, --backend auto: serves without it");
	ok(strstr(msg, "ignored") && strstr(msg, "ABI version 1"), "  with a warning: %s", msg);
	ok(fk.stall_sets == 0 && !w.stall_ms, "  nothing set, off");
	nfqring_close(w.h);

	is_int(stall_apply(&w, true, true, NFQRING_BACKEND_AUTO, 250, NF_DROP, msg, sizeof(msg)),
	       0, "--backend auto on netlink: serves without it");
	ok(strstr(msg, "ignored") && strstr(msg, "netlink backend"), "  with a warning: %s", msg);
	ok(fk.stall_sets == 0 && !w.stall_ms, "  nothing set, off");
	nfqring_close(w.h);
	fk_reset();
}

/* After a stall the worker reads frames whose packets the watchdog already
 * released: the kernel refuses their verdicts (ENOENT).  That is counted as
 * stall_late_verdicts, not as a verdict error; without a stall it is one. */
static void test_stall_late(bool watchdog_released)
{
	static struct nfqd_worker w;
	struct nfqd_gen *g = generation();
	char msg[512], line[NFQD_LOG_LINE];
	bool said = false;

	printf("# verdicts refused after %s\n", watchdog_released ?
	       "the watchdog released the packets" : "no stall");
	is_int(stall_apply(&w, true, false, NFQRING_BACKEND_RING, 100, NF_ACCEPT, msg, sizeof(msg)),
	       0, "watchdog on");
	ok(g && nfqring_bind(w.h, QUEUE) == 0, "queue bound");
	for (uint32_t id = 1; id <= 5; id++) {
		struct fk_pkt p = { .queue = QUEUE, .id = id, .hw_protocol = 0x0800, .hook = 1,
				    .payload = pkt_accept, .payload_len = (uint32_t)pkt_accept_len };

		fk_queue_packet(&p);
		fk.queued[id] = 0;	/* gone: released by the watchdog, or never queued */
	}
	if (watchdog_released) {
		fk.stalls = 1;
		fk.stall_verdicts = 5;
	}
	is_int(nfqd_worker_run_batch(&w, g, false), 5, "the worker reads the 5 frames");
	if (watchdog_released) {
		is_int(atomic_load(&w.st.c[Q_STALL_LATE]), 1, "  its refused batch: stall_late_verdicts");
		is_int(atomic_load(&w.st.c[Q_VERDICT_ERRORS]), 0, "  not a verdict error");
	} else {
		is_int(atomic_load(&w.st.c[Q_STALL_LATE]), 0, "  not stall_late_verdicts");
		is_int(atomic_load(&w.st.c[Q_VERDICT_ERRORS]), 1, "  a verdict error");
	}
	while (nfqd_logring_pop(&w.log, line, sizeof(line))) {
		printf("# log: %s\n", line);
		said |= strstr(line, "moving again after a stall") != NULL;
	}
	ok(said == watchdog_released, "  the log %s", watchdog_released ?
	   "says it moves again after a stall" : "says nothing of a stall");
	nfqring_close(w.h);
	nfqd_gen_free(g);
	fk_reset();
}

int main(void)
{
	pkt_accept_len = udp_pkt(pkt_accept, 80);
	pkt_drop_len = udp_pkt(pkt_drop, DROP_PORT);
	test_full_batches("TX ring: verdicts leave with NFQRING_TX_FLUSH", 0);
	test_full_batches("no TX ring: verdicts leave with write()", NFQRING_NO_TX_RING);
	test_drop_not_queued();
	test_stall_apply();
	test_stall_late(true);
	test_stall_late(false);
	return tap_done();
}
