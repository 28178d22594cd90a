/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Waiting with ABI version 2 against the fake kernel: the control page, the
 * consumer's half of the wake-up protocol, the sequence numbers the library
 * publishes, the adaptive spin (when asked for: none by default),
 * nfqring_drain(), and version 1 where the
 * module (or the caller) does not speak 2.
 */
#include <errno.h>
#include <time.h>

#include "fake_kernel.h"
#include "../../tests/tap.h"

static struct nfqring *open_v2(uint32_t seq0)
{
	struct nfqring_ring_params p = { .rx_frame_nr = 8, .tx_frame_nr = 8 };

	struct nfqring *h;

	fk_reset();
	fk.v2_capable = true;
	fk.seq0 = seq0;
	h = fk_open(&p);
	if (h)
		nfqring_bind(h, 0);
	return h;
}

static void queue_n(int n, uint32_t first)
{
	for (int i = 0; i < n; i++) {
		struct fk_pkt pkt = { .queue = 0, .id = first + (uint32_t)i, .payload = "x",
				      .payload_len = 1 };

		fk_queue_packet(&pkt);
	}
}

static void test_v1(void)
{
	struct nfqring_wait_params wp = { 0 };
	struct nfqring_ring_params p = { .flags = NFQRING_ABI_V1 };
	struct nfqring *h;

	fk_reset();
	h = fk_open(NULL);
	ok(h && !nfqring_v2(h), "older module: version 1, no control page");
	is_int(nfqring_set_wait(h, &wp), -EOPNOTSUPP, "older module: set_wait says -EOPNOTSUPP");
	is_int(nfqring_set_stall(h, 100, NF_ACCEPT), -EOPNOTSUPP,
	       "older module: set_stall says -EOPNOTSUPP");
	ok(strstr(nfqring_errmsg(h), "version 2") != NULL, "and says why (%s)", nfqring_errmsg(h));
	is_int(nfqring_wait(h, 0), 0, "version 1: wait with nothing: 0");
	is_int(fk.polls, 1, "version 1: one poll()");
	nfqring_close(h);

	fk_reset();
	fk.v2_capable = true;
	h = fk_open(&p);
	ok(h && !nfqring_v2(h) && !fk.ctrl, "NFQRING_ABI_V1: version 1 on a version-2 module");
	nfqring_close(h);
}

static void on_poll_queue_one(void)
{
	queue_n(1, 100);
	fk.on_poll = NULL;
}

static void test_protocol(void)
{
	struct nfqring_wait_stats ws;
	struct nfqring_packet pkt;
	struct nfqring *h = open_v2(0xfffffffa);

	ok(h && nfqring_v2(h) && fk.ctrl, "version 2: the control page is mapped");
	is_int(fk.ctrl->rx_cons, 0xfffffffa, "rx_cons untouched before any wait");

	/* nothing there: spin, ask, look again, sleep in poll(), stop asking */
	fk.on_poll = on_poll_queue_one;
	is_int(nfqring_wait(h, 1000), 1, "woken for the packet that came while asleep");
	is_int(fk.polls, 1, "one poll()");
	is_int(fk.polls_asking, 1, "poll() was entered with NEED_WAKEUP set");
	is_int(fk.ctrl->flags & NFQRING_CTRL_NEED_WAKEUP, 0, "and the flag is clear once awake");
	nfqring_wait_stats(h, &ws);
	is_int(ws.waits, 1, "one wait that found nothing");
	is_int(ws.sleeps, 1, "it slept");
	is_int(ws.spin_hits, 0, "the spin found nothing");

	/* frames waiting: no system call at all */
	queue_n(6, 101);
	is_int(nfqring_wait(h, 1000), 1, "frames waiting: ready at once");
	is_int(fk.polls, 1, "without poll()");
	for (int i = 0; i < 7; i++)
		nfqring_next(h, &pkt);
	nfqring_batch_seen(h, NF_ACCEPT);
	nfqring_flush(h);
	/* the wrap: 0xfffffffa + 7 */
	is_int(fk.ctrl->rx_cons, 1u, "rx_cons published at the flush, across 2^32");
	is_int(fk.ctrl->tx_prod, 0xfffffffbu, "tx_prod: one TX frame made");
	is_int(fk.ctrl->tx_cons, fk.ctrl->tx_prod, "and the kernel took it");
	nfqring_close(h);
	ok(fk.ctrl == NULL, "the control page is unmapped at close");
}

/* nfqring_set_idle(): set, kept across set_wait, refused where it cannot be */
static void test_idle(void)
{
	struct nfqring_wait_params wp = { .wake_nr = 8, .max_delay_us = 500 };
	struct nfqring *h = open_v2(0);
	uint32_t idle = 0;

	is_int(nfqring_set_idle(h, &idle), 0, "set_idle 0");
	is_int(idle, NFQRING_WAKE_IDLE_US, "0 is the module's default, written back");
	idle = NFQRING_WAKE_IDLE_OFF;
	is_int(nfqring_set_idle(h, &idle), 0, "set_idle off");
	is_int(fk.wake.idle_us, NFQRING_WAKE_IDLE_OFF, "the kernel was asked for no idle wake-up");
	is_int(nfqring_set_wait(h, &wp), 0, "set_wait after it");
	is_int(fk.wake.idle_us, NFQRING_WAKE_IDLE_OFF, "set_wait keeps the idle setting");
	is_int(fk.wake.wake_nr, 8, "and sets its own");
	idle = 100;
	is_int(nfqring_set_idle(h, &idle), 0, "set_idle 100");
	ok(fk.wake.idle_us == 100 && fk.wake.wake_nr == 8 && fk.wake.max_delay_us == 500,
	   "set_idle keeps set_wait's parameters (idle %u, wake_nr %u, delay %u)",
	   fk.wake.idle_us, fk.wake.wake_nr, fk.wake.max_delay_us);
	nfqring_close(h);

	/* a module from before idle_us: 0 works, anything else is refused */
	h = open_v2(0);
	fk.no_idle = true;
	idle = 0;
	is_int(nfqring_set_idle(h, &idle), 0, "older module: set_idle 0 works");
	is_int(idle, 0, "and says 0: no idle wake-up");
	idle = 100;
	is_int(nfqring_set_idle(h, &idle), -EOPNOTSUPP, "older module: set_idle 100 refused");
	ok(strstr(nfqring_errmsg(h), "no idle wake-up") != NULL, "and says why (%s)",
	   nfqring_errmsg(h));
	is_int(nfqring_set_wait(h, &wp), 0, "set_wait still works there");
	is_int(fk.wake.idle_us, 0, "without an idle_us");
	nfqring_close(h);

	fk_reset();
	h = fk_open(NULL);
	idle = 0;
	is_int(nfqring_set_idle(h, &idle), -EOPNOTSUPP, "version 1: set_idle says -EOPNOTSUPP");
	nfqring_close(h);
}

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void test_spin(void)
{
	struct nfqring_wait_params wp = { .spin_us = 200, .wake_nr = 4, .max_delay_us = 30 };
	struct nfqring_wait_stats ws;
	struct nfqring *h = open_v2(0);

	is_int(nfqring_set_wait(h, &wp), 0, "set_wait");
	is_int(wp.spin_us, 200, "spin written back");
	is_int(fk.wake.wake_nr, 4, "wake_nr reaches the kernel");
	is_int(fk.wake.max_delay_us, 30, "max_delay_us reaches the kernel");
	/* nothing comes: the spin runs its 200 us, then the wait asks and
	 * sleeps (the fake poll() returns at once); the next spin is half */
	uint64_t t0 = now_us();
	is_int(nfqring_wait(h, 1), 0, "spin, then sleep, nothing: 0");
	ok(now_us() - t0 >= 200, "the spin ran its 200 us first");
	nfqring_wait_stats(h, &ws);
	is_int(ws.spin_hits, 0, "the spin found nothing");
	is_int(ws.sleeps, 1, "and the wait slept, asking");
	is_int(fk.polls_asking, 1, "poll() entered with NEED_WAKEUP set");
	t0 = now_us();
	is_int(nfqring_wait(h, 1), 0, "again: 0");
	ok(now_us() - t0 >= 100, "the second spin ran at least half as long");
	wp = (struct nfqring_wait_params){ 0 };
	is_int(nfqring_set_wait(h, &wp), 0, "the defaults");
	is_int(wp.spin_us, NFQRING_NO_SPIN, "no spin by default");
	is_int(wp.wake_nr, NFQRING_WAKE_NR, "wake_nr: the kernel's default");
	wp = (struct nfqring_wait_params){ .spin_us = NFQRING_NO_SPIN };
	is_int(nfqring_set_wait(h, &wp), 0, "no spin");
	is_int(wp.spin_us, NFQRING_NO_SPIN, "no spin written back");
	is_int(nfqring_wait(h, 0), 0, "timeout 0, nothing: 0");
	nfqring_wait_stats(h, &ws);
	is_int(ws.spin_hits + ws.sleeps, 3, "no spin: straight to poll()");
	nfqring_close(h);
}

static void on_poll_queue_six(void)
{
	queue_n(6, 300);
	fk.on_poll = NULL;
}

/* nfqring_set_batch(): a few frames waiting sleep as none would */
static void test_batch(void)
{
	struct nfqring_wait_params wp = { .wake_nr = 16, .max_delay_us = 2500 };
	struct nfqring_packet pkt;
	struct nfqring *h = open_v2(0xfffffffe);
	uint32_t min = 64;
	int n = 0;

	is_int(nfqring_set_wait(h, &wp), 0, "set_wait wake_nr 16, max_delay 2.5 ms");
	is_int(nfqring_set_batch(h, &min), 0, "set_batch 64");
	is_int(min, 16, "clamped to wake_nr: the kernel would not bring more");
	min = 8;
	is_int(nfqring_set_batch(h, &min), 0, "set_batch 8");
	is_int(min, 8, "8 in use");

	/* two waiting, fewer than 8: published as seen, then asleep */
	queue_n(2, 200);
	fk.on_poll = on_poll_queue_six;
	is_int(nfqring_wait(h, 1000), 1, "two waiting: woken with more");
	is_int(fk.polls, 1, "one poll()");
	is_int(fk.polls_asking, 1, "entered with NEED_WAKEUP set");
	is_int(fk.poll_rx_cons, 0xfffffffeu + 2, "the two published as seen (across 2^32)");
	is_int(fk.poll_timeout, 3, "its timeout: max_delay_us in whole milliseconds");
	is_int(fk.ctrl->flags & NFQRING_CTRL_NEED_WAKEUP, 0, "the flag clear once awake");
	while (nfqring_next(h, &pkt) > 0)
		n++;
	is_int(n, 8, "all eight handed out");
	nfqring_batch_seen(h, NF_ACCEPT);
	nfqring_flush(h);
	is_int(fk.ctrl->rx_cons, 0xfffffffeu + 8, "rx_cons the truth again at the flush");

	/* enough waiting, a timeout of 0, or nothing waiting: as before */
	queue_n(8, 400);
	is_int(nfqring_wait(h, 1000), 1, "eight waiting: ready at once");
	is_int(fk.polls, 1, "without poll()");
	while (nfqring_next(h, &pkt) > 0)
		;
	queue_n(1, 500);
	is_int(nfqring_wait(h, 0), 1, "one waiting, timeout 0: ready at once");
	is_int(nfqring_wait(h, 2), 1, "one waiting, timeout 2 ms: a wait");
	is_int(fk.poll_timeout, 2, "the caller's shorter timeout is kept");
	is_int(fk.polls, 2, "one more poll()");
	min = 1;
	is_int(nfqring_set_batch(h, &min), 0, "set_batch 1");
	is_int(min, 0, "is off");
	is_int(nfqring_wait(h, 1000), 1, "off: one waiting is ready at once");
	is_int(fk.polls, 2, "without poll()");
	nfqring_close(h);

	fk_reset();
	h = fk_open(NULL);
	min = 8;
	is_int(nfqring_set_batch(h, &min), -EOPNOTSUPP, "version 1: set_batch says -EOPNOTSUPP");
	nfqring_close(h);
}

static int count_cb(struct nfqring *h, struct nfqring_packet *pkt, void *arg)
{
	(void)h;
	(void)pkt;
	(*(int *)arg)++;
	return 0;
}

static void test_drain(void)
{
	struct nfqring *h = open_v2(0);
	unsigned int flushes, nrec;
	int seen = 0;

	fk.track_ids = true;
	queue_n(5, 1);
	flushes = fk.flushes;
	nrec = fk.nrecs;
	is_int(nfqring_drain(h, 1000, NF_ACCEPT, count_cb, &seen), 5, "drain: five packets");
	is_int(seen, 5, "each handed to the callback");
	is_int(fk.flushes - flushes, 1, "one flush for the burst");
	if (is_int(fk.nrecs - nrec, 1, "one message: the batch")) {
		is_int(fk.recs[fk.nrecs - 1].type, NFQNL_MSG_VERDICT_BATCH, "a VERDICT_BATCH");
		is_int(fk.recs[fk.nrecs - 1].id, 5, "up to the last id");
	}
	is_int(nfqring_drain(h, 0, NF_ACCEPT, count_cb, &seen), 0, "nothing more: 0");
	is_int(fk.flushes - flushes, 1, "and no flush");
	is_int(nfqring_set_stall(h, 5, NF_ACCEPT), -EINVAL, "stall 5 ms: -EINVAL");
	is_int(nfqring_set_stall(h, 500, NF_QUEUE), -EINVAL, "stall verdict queue: -EINVAL");
	is_int(nfqring_set_stall(h, 500, NF_DROP), 0, "stall 500 ms drop");
	is_int(fk.stall.stall_ms, 500, "reaches the kernel");
	nfqring_close(h);
}

int main(void)
{
	test_v1();
	test_protocol();
	test_spin();
	test_idle();
	test_drain();
	test_batch();
	fk_reset();
	return tap_done();
}
