// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 of the ring ABI: the control page, wake-up moderation and the
 * stall watchdog (issue 20), with traffic counted end to end.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <sys/epoll.h>

#include "kselftest_harness.h"
#include "nfqr_test.h"

#define FRAME	2048

FIXTURE(wake) {
	struct tep ep;
	struct nfqring_ctrl *ctrl;
	int rcv;
	char buf[MSGBUF];
};

static struct nfqring_ctrl *ctrl_map(int fd)
{
	void *p = mmap(NULL, NFQRING_CTRL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, NFQRING_CTRL_OFFSET);

	return p == MAP_FAILED ? NULL : p;
}

/* Queue 0 takes UDP in a namespace of our own; its receiver; an endpoint. */
static int queue_and_endpoint(int *rcv, struct tep *ep)
{
	if (nfqr_modprobe() || netns_enter() || nft_queue_udp("queue num 0"))
		return -1;
	*rcv = udp_receiver();
	if (*rcv < 0)
		return -1;
	return tep_open(ep) ? -1 : 0;
}

FIXTURE_SETUP(wake)
{
	long pg = sysconf(_SC_PAGESIZE);

	self->ctrl = NULL;
	self->rcv = -1;
	ASSERT_EQ(0, queue_and_endpoint(&self->rcv, &self->ep));
	ASSERT_EQ(NFQRING_ABI_VERSION_2, ioctl(self->ep.fd, NFQRING_SET_VERSION,
					       NFQRING_ABI_VERSION_2));
	ASSERT_EQ(0, tep_rings(&self->ep, ring_req(pg, 64, FRAME), ring_req(pg, 16, FRAME)));
	self->ctrl = ctrl_map(self->ep.fd);
	ASSERT_NE(NULL, self->ctrl);
	ASSERT_EQ(0, tep_bind(&self->ep, 0, 0xffff));
}

FIXTURE_TEARDOWN(wake)
{
	race_delay("0,0,0,0,0");	/* a test build's windows, after a failed test too */
	if (self->ctrl)
		munmap(self->ctrl, NFQRING_CTRL_SIZE);
	tep_close(&self->ep);
	if (self->rcv >= 0)
		close(self->rcv);
}

static uint32_t ld(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void st(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static int set_wake_idle(int fd, uint32_t nr, uint32_t wm, uint32_t delay_us, uint32_t idle_us,
			 struct nfqring_wake *out)
{
	struct nfqring_wake w = {
		.wake_nr = nr, .watermark = wm, .max_delay_us = delay_us, .idle_us = idle_us,
	};

	if (ioctl(fd, NFQRING_SET_WAKE, &w))
		return -errno;
	if (out)
		*out = w;
	return 0;
}

/*
 * Without the idle wake-up: the tests of the other reasons send into a
 * quiet ring, whose first frame would wake at once otherwise.
 */
static int set_wake(int fd, uint32_t nr, uint32_t wm, uint32_t delay_us,
		    struct nfqring_wake *out)
{
	return set_wake_idle(fd, nr, wm, delay_us, NFQRING_WAKE_IDLE_OFF, out);
}

static int wake_stats(int fd, struct nfqring_wake_stats *s)
{
	return ioctl(fd, NFQRING_GET_WAKE_STATS, s) ? -errno : 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Consumes every ready frame in ring order, advancing rx_cons; returns how
 * many and the last id.
 */
static int consume(struct tep *ep, struct nfqring_ctrl *c, uint32_t *last)
{
	struct nl_mmap_hdr *h;
	struct tpkt p;
	int n = 0;

	while (tep_rx_next(ep, &h)) {
		if (frame_status(h) == NFQRING_STATUS_VALID &&
		    tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p) == 0)
			*last = p.id;
		frame_release(h, NFQRING_STATUS_UNUSED);
		st(&c->rx_cons, ld(&c->rx_cons) + 1);
		n++;
	}
	return n;
}

/* The consumer's half of the protocol; true when poll() may sleep. */
static bool ask_wakeup(struct tep *ep, struct nfqring_ctrl *c)
{
	unsigned int s;

	__atomic_fetch_or(&c->flags, NFQRING_CTRL_NEED_WAKEUP, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	s = frame_status(ring_frame(&ep->rx, ep->rx_pos));
	return s != NFQRING_STATUS_VALID && s != NFQRING_STATUS_COPY;
}

struct later {
	int delay_ms, n;
	pthread_t t;
	struct timespec sent;	/* when the first datagram went */
};

static void *send_later(void *arg)
{
	struct later *l = arg;

	usleep(l->delay_ms * 1000);
	clock_gettime(CLOCK_MONOTONIC, &l->sent);
	udp_send(l->n, 64);
	return NULL;
}

/* Sends @n datagrams from another thread after @delay_ms. */
static void send_after(struct later *l, int delay_ms, int n)
{
	l->delay_ms = delay_ms;
	l->n = n;
	pthread_create(&l->t, NULL, send_later, l);
}

/*
 * Asks to be woken, has @n datagrams sent @delay_ms later from another
 * thread and sleeps in poll(): the ms from the first datagram to the
 * wake-up, -1 when the consumer could not sleep or poll() found nothing.
 */
static long woken_after(struct tep *ep, struct nfqring_ctrl *c, int delay_ms, int n)
{
	struct pollfd pfd = { .fd = ep->fd, .events = POLLIN };
	struct later l;
	int ret;

	if (!ask_wakeup(ep, c))
		return -1;
	send_after(&l, delay_ms, n);
	ret = poll(&pfd, 1, 5000);
	pthread_join(l.t, NULL);
	return ret == 1 ? ms_since(&l.sent) : -1;
}

/* Version 1 is what an endpoint speaks until it asks for more. */
TEST(versions)
{
	struct nfqring_wake w = { 0 };
	struct nfqring_stall s = { .stall_ms = 100, .verdict = NF_ACCEPT };
	struct nfqring_wake_stats ws;
	int fd;

	ASSERT_EQ(0, nfqr_modprobe());
	fd = open(NFQRING_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(NFQRING_ABI_VERSION, ioctl(fd, NFQRING_GET_VERSION));
	EXPECT_EQ(NULL, ctrl_map(fd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, NFQRING_SET_WAKE, &w));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, ioctl(fd, NFQRING_SET_STALL, &s));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, ioctl(fd, NFQRING_GET_WAKE_STATS, &ws));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, ioctl(fd, NFQRING_SET_VERSION, 3));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, NFQRING_SET_VERSION, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(NFQRING_ABI_VERSION, ioctl(fd, NFQRING_SET_VERSION, 1));
	EXPECT_EQ(NFQRING_ABI_VERSION_2, ioctl(fd, NFQRING_SET_VERSION, 2));
	EXPECT_EQ(NFQRING_ABI_VERSION_2, ioctl(fd, NFQRING_SET_VERSION, 2));
	EXPECT_EQ(NFQRING_ABI_VERSION_2, ioctl(fd, NFQRING_GET_VERSION));
	EXPECT_EQ(-1, ioctl(fd, NFQRING_SET_VERSION, 1));
	EXPECT_EQ(EBUSY, errno);
	close(fd);
}

/* The control page: where it is, what it holds, what it refuses. */
TEST_F(wake, control_page_mapping)
{
	struct nfqring_ctrl *c = self->ctrl;
	uint32_t seq = ld(&c->rx_prod);
	void *p;

	EXPECT_EQ(seq, ld(&c->rx_cons));
	EXPECT_EQ(ld(&c->tx_prod), ld(&c->tx_cons));
	EXPECT_EQ(seq_start(), seq);
	/* wrong size, private, not at the offset */
	p = mmap(NULL, 2 * NFQRING_CTRL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->ep.fd, NFQRING_CTRL_OFFSET);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, NFQRING_CTRL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->ep.fd, NFQRING_CTRL_OFFSET);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, NFQRING_CTRL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->ep.fd, NFQRING_CTRL_OFFSET + NFQRING_CTRL_SIZE);
	EXPECT_EQ(MAP_FAILED, p);
	p = mmap(NULL, NFQRING_CTRL_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED,
		 self->ep.fd, NFQRING_CTRL_OFFSET);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, mprotect(c, NFQRING_CTRL_SIZE, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	/* the page is the same for a second mapping */
	p = ctrl_map(self->ep.fd);
	ASSERT_NE(NULL, p);
	EXPECT_EQ(seq, ld(&((struct nfqring_ctrl *)p)->rx_prod));
	munmap(p, NFQRING_CTRL_SIZE);
	/* and it does not stop ring set-up (the rings' own mapping does) */
	tep_close(&self->ep);
	munmap(self->ctrl, NFQRING_CTRL_SIZE);
	self->ctrl = NULL;
	ASSERT_EQ(0, tep_open(&self->ep));
	ASSERT_EQ(2, ioctl(self->ep.fd, NFQRING_SET_VERSION, 2));
	self->ctrl = ctrl_map(self->ep.fd);
	ASSERT_NE(NULL, self->ctrl);
	ASSERT_EQ(0, tep_rings(&self->ep, ring_req(4096, 4, FRAME), ring_req(4096, 2, FRAME)));
	EXPECT_EQ(seq_start(), ld(&self->ctrl->rx_prod));
}

/* rx_prod counts published frames, tx_cons processed ones; poll() follows. */
TEST_F(wake, sequences_and_poll)
{
	struct nfqring_ctrl *c = self->ctrl;
	struct pollfd pfd = { .fd = self->ep.fd, .events = POLLIN | POLLOUT };
	uint32_t prod0 = ld(&c->rx_prod), last = 0, i;

	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	/* poll() found nothing to read: it asked for a wake-up itself */
	EXPECT_EQ(NFQRING_CTRL_NEED_WAKEUP, ld(&c->flags) & NFQRING_CTRL_NEED_WAKEUP);

	ASSERT_EQ(0, udp_send(5, 64));
	usleep(100000);
	EXPECT_EQ(5u, ld(&c->rx_prod) - prod0);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, pfd.revents);
	EXPECT_EQ(5, consume(&self->ep, c, &last));
	EXPECT_EQ(ID(5), last);
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);

	/* TX: five frames outstanding, then processed */
	for (i = 1; i <= 5; i++) {
		ASSERT_EQ(0, tep_tx_put(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
							       0, ID(i), NF_ACCEPT)));
		st(&c->tx_prod, ld(&c->tx_prod) + 1);
	}
	EXPECT_EQ(5u, ld(&c->tx_prod) - ld(&c->tx_cons));
	EXPECT_EQ(5, tep_flush(&self->ep, NULL));
	EXPECT_EQ(ld(&c->tx_prod), ld(&c->tx_cons));
	EXPECT_EQ(5, udp_count(self->rcv, 50));
	/* all TX frames outstanding (by the counts): no POLLOUT */
	st(&c->tx_prod, ld(&c->tx_cons) + self->ep.tx.req.nm_frame_nr);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
}

/* Nobody asked to be woken: no wake-up, whatever arrives. */
TEST_F(wake, busy_consumer_is_not_woken)
{
	struct nfqring_wake_stats ws;
	uint32_t last = 0;

	__atomic_store_n(&self->ctrl->flags, 0, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, udp_send(40, 64));
	usleep(100000);
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(0u, ws.wakeups);
	EXPECT_EQ(40u, ws.skipped);
	EXPECT_EQ(40, consume(&self->ep, self->ctrl, &last));
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						     last, NF_ACCEPT)));
	EXPECT_EQ(40, udp_count(self->rcv, 50));
}

/* One packet and a sleeping consumer: woken by the timer, not at once. */
TEST_F(wake, timer_bounds_the_wait)
{
	struct pollfd pfd = { .fd = self->ep.fd, .events = POLLIN };
	struct nfqring_wake_stats ws;
	struct timespec t0;
	struct later l;
	uint32_t last = 0;
	long ms;

	ASSERT_EQ(0, set_wake(self->ep.fd, 8, 0, 80000, NULL));

	ASSERT_TRUE(ask_wakeup(&self->ep, self->ctrl));
	ASSERT_EQ(0, udp_send(1, 64));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the frame is there; poll() sees it at once (it checks first) */
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	__atomic_store_n(&self->ctrl->flags, 0, __ATOMIC_SEQ_CST);	/* running */
	ASSERT_EQ(1, consume(&self->ep, self->ctrl, &last));
	ASSERT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						     last, NF_ACCEPT)));

	/* now sleep first, then the packet comes: the timer wakes us */
	ASSERT_TRUE(ask_wakeup(&self->ep, self->ctrl));
	send_after(&l, 100, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ms = ms_since(&t0);
	TH_LOG("woken after %ld ms (packet at 100 ms, max_delay 80 ms)", ms);
	EXPECT_LE(170, ms);
	EXPECT_GT(2000, ms);
	pthread_join(l.t, NULL);
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(1u, ws.timer_wakeups);
	EXPECT_EQ(0, ld(&self->ctrl->flags) & NFQRING_CTRL_NEED_WAKEUP);
	ASSERT_EQ(1, consume(&self->ep, self->ctrl, &last));
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						     last, NF_ACCEPT)));
	EXPECT_EQ(2, udp_count(self->rcv, 50));
}

/*
 * The first frame after idle_us of quiet wakes a sleeping consumer at once
 * (no batch is coming); one that follows another closely waits for the
 * batch, here the timer.
 */
TEST_F(wake, lone_frame_wakes_at_once)
{
	struct nfqring_wake_stats ws;
	struct nfqring_wake w = { 0 };
	struct timespec t0;
	uint32_t last = 0;
	long ms;

	/* the default quiet (250 us), a timer 100 ms after the first frame */
	ASSERT_EQ(0, set_wake_idle(self->ep.fd, 64, 0, 100000, 0, &w));
	EXPECT_EQ(NFQRING_WAKE_IDLE_US, w.idle_us);
	ms = woken_after(&self->ep, self->ctrl, 100, 1);
	ASSERT_LE(0, ms);
	TH_LOG("woken %ld ms after the lone packet went (the timer: 100 ms)", ms);
	EXPECT_GT(60, ms);
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(1u, ws.idle_wakeups);
	EXPECT_EQ(0u, ws.timer_wakeups);
	EXPECT_EQ(1u, ws.wakeups);
	ASSERT_EQ(1, consume(&self->ep, self->ctrl, &last));

	/*
	 * 100 ms of quiet, the most (a host that stalls the VM for less
	 * cannot make the frame lone): a frame 20 ms after another is no
	 * lone frame, the timer wakes the consumer.
	 */
	ASSERT_EQ(0, set_wake_idle(self->ep.fd, 64, 0, 100000, NFQRING_WAKE_MAX_DELAY_US, &w));
	EXPECT_EQ(NFQRING_WAKE_MAX_DELAY_US, w.idle_us);
	usleep(100000);
	ASSERT_EQ(0, udp_send(1, 64));		/* lone, but nobody sleeps */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(1, consume(&self->ep, self->ctrl, &last));
	ms = woken_after(&self->ep, self->ctrl, 20, 1);
	ASSERT_LE(0, ms);
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	TH_LOG("a frame %ld ms after another: woken %ld ms after it (timer 100 ms)",
	       ms_since(&t0) - ms, ms);
	EXPECT_LE(60, ms);
	EXPECT_EQ(1u, ws.timer_wakeups);
	EXPECT_EQ(1u, ws.idle_wakeups);
	EXPECT_EQ(2u, ws.wakeups);
	ASSERT_EQ(1, consume(&self->ep, self->ctrl, &last));
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						     last, NF_ACCEPT)));
	EXPECT_EQ(3, udp_count(self->rcv, 50));
}

/*
 * The consumer runs (no NEED_WAKEUP) while @send datagrams come and holds
 * @hold frames without releasing them; then it asks to be woken and one
 * more comes.  The watermark's wake-ups so far, -1 when a step failed.
 */
static long hold_then_one(struct tep *ep, struct nfqring_ctrl *c, int send, int hold)
{
	struct nfqring_wake_stats ws;
	struct nl_mmap_hdr *h;
	int i;

	__atomic_store_n(&c->flags, 0, __ATOMIC_SEQ_CST);
	if (udp_send(send, 64))
		return -1;
	usleep(50000);
	for (i = 0; i < hold; i++)
		if (!tep_rx_next(ep, &h))
			return -1;
	if (!ask_wakeup(ep, c) || udp_send(1, 64))
		return -1;
	usleep(50000);
	return wake_stats(ep->fd, &ws) ? -1 : (long)ws.watermark_hits;
}

/* wake_nr frames wake a sleeping consumer at once, the watermark too. */
TEST_F(wake, thresholds_wake_at_once)
{
	struct pollfd pfd = { .fd = self->ep.fd, .events = POLLIN };
	struct nfqring_wake_stats ws;
	struct timespec t0;
	struct later l;
	uint32_t last = 0;

	ASSERT_EQ(0, set_wake(self->ep.fd, 4, 60, NFQRING_WAKE_MAX_DELAY_US, NULL));
	ASSERT_TRUE(ask_wakeup(&self->ep, self->ctrl));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	send_after(&l, 0, 4);
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_GT(90, ms_since(&t0));	/* well before the 100 ms timer */
	pthread_join(l.t, NULL);
	usleep(50000);
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(1u, ws.wake_nr_hits);
	EXPECT_EQ(4, consume(&self->ep, self->ctrl, &last));

	/* watermark: frames the consumer holds count */
	ASSERT_EQ(0, set_wake(self->ep.fd, 128, 4, NFQRING_WAKE_MAX_DELAY_US, NULL));
	EXPECT_EQ(1, hold_then_one(&self->ep, self->ctrl, 4, 4));
}

/*
 * Frames released count no more toward the watermark, though the enqueue
 * reclaims them lazily: with a watermark of 4, three frames taken and
 * released and one new one are one frame in use, no watermark wake-up (the
 * timer wakes the consumer); that one and two more held, and one new, make
 * four, which wakes it.
 */
TEST_F(wake, released_frames_leave_the_watermark)
{
	struct nfqring_wake_stats ws;
	uint32_t last = 0;

	ASSERT_EQ(0, set_wake(self->ep.fd, 128, 4, NFQRING_WAKE_MAX_DELAY_US, NULL));
	ASSERT_EQ(0, udp_send(3, 64));
	usleep(50000);
	ASSERT_EQ(3, consume(&self->ep, self->ctrl, &last));
	ASSERT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						     last, NF_ACCEPT)));
	ASSERT_TRUE(ask_wakeup(&self->ep, self->ctrl));
	ASSERT_EQ(0, udp_send(1, 64));
	usleep(50000);
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(0u, ws.watermark_hits);
	EXPECT_EQ(0u, ws.wakeups);
	/* the timer (100 ms) wakes it; poll() would not wait: the frame is there */
	usleep(150000);
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(1u, ws.timer_wakeups);
	EXPECT_EQ(0u, ws.watermark_hits);

	/* held this time: the frame from above and two new ones, and one more */
	EXPECT_EQ(1, hold_then_one(&self->ep, self->ctrl, 2, 3));
}

/*
 * A watermark that SET_WAKE lowers does not count frames released under
 * the higher one: 100 frames taken and released with a watermark of 120
 * (the enqueue had no reason to reclaim them), then a watermark of 4 and
 * one frame is one frame in use, no watermark wake-up.
 */
TEST_F(wake, lowered_watermark_leaves_released_frames)
{
	struct nfqring_wake_stats ws;
	uint32_t last = 0;
	int n = 0, i;

	ASSERT_EQ(0, set_wake(self->ep.fd, 128, 120, NFQRING_WAKE_MAX_DELAY_US, NULL));
	ASSERT_EQ(0, udp_send(100, 64));
	for (i = 0; i < 300 && n < 100; i++) {
		n += consume(&self->ep, self->ctrl, &last);
		if (n < 100)
			usleep(10000);
	}
	ASSERT_EQ(100, n);
	ASSERT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						     last, NF_ACCEPT)));
	ASSERT_EQ(0, set_wake(self->ep.fd, 128, 4, NFQRING_WAKE_MAX_DELAY_US, NULL));
	ASSERT_TRUE(ask_wakeup(&self->ep, self->ctrl));
	ASSERT_EQ(0, udp_send(1, 64));
	usleep(50000);
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(0u, ws.watermark_hits);
	EXPECT_EQ(100, udp_count(self->rcv, 50));
}

/*
 * A queue shorter than wake_nr and the watermark: the frame that fills it
 * wakes the sleeping consumer at once.  Before, the timer did (up to
 * max_delay_us later), and the queue refused everything in between.
 */
TEST_F(wake, full_queue_wakes_at_once)
{
	struct pollfd pfd = { .fd = self->ep.fd, .events = POLLIN };
	unsigned int total = 0, dropped = 0;
	struct nfqring_wake_stats ws;
	uint32_t last = 0;
	long ms;

	ASSERT_EQ(0, tep_send(&self->ep, msg_cfg_u32(self->buf, 0, NFQA_CFG_QUEUE_MAXLEN, 4)));
	/* the timer 100 ms after the first frame; the thresholds far above 4 */
	ASSERT_EQ(0, set_wake(self->ep.fd, 64, 100, NFQRING_WAKE_MAX_DELAY_US, NULL));
	ms = woken_after(&self->ep, self->ctrl, 100, 4);	/* exactly maxlen */
	ASSERT_LE(0, ms);
	TH_LOG("woken %ld ms after the first packet went (the timer: 100 ms)", ms);
	EXPECT_GT(90, ms);
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(1u, ws.watermark_hits);
	EXPECT_EQ(0u, ws.timer_wakeups);
	EXPECT_EQ(1u, ws.wakeups);
	ASSERT_EQ(0, proc_queue(0, &total, &dropped, NULL, NULL));
	EXPECT_EQ(4u, total);
	EXPECT_EQ(0u, dropped);
	EXPECT_EQ(4, consume(&self->ep, self->ctrl, &last));
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						     last, NF_ACCEPT)));
	EXPECT_EQ(4, udp_count(self->rcv, 50));

	/* a consumer that sleeps on packets it holds: what the full queue
	 * refuses publishes nothing and wakes nobody */
	ASSERT_EQ(0, udp_send(4, 64));
	usleep(50000);
	EXPECT_EQ(4, consume(&self->ep, self->ctrl, &last));
	ASSERT_TRUE(ask_wakeup(&self->ep, self->ctrl));
	ASSERT_EQ(0, udp_send(3, 64));
	EXPECT_EQ(0, poll(&pfd, 1, 150));
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(1u, ws.wakeups);
	ASSERT_EQ(0, proc_queue(0, &total, &dropped, NULL, NULL));
	EXPECT_EQ(3u, dropped);
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						     last, NF_ACCEPT)));
	EXPECT_EQ(4, udp_count(self->rcv, 50));
}

/* Bad moderation parameters: refused or clamped, never taken as they are. */
TEST_F(wake, bad_wake_parameters)
{
	struct nfqring_wake w = { 0 };

	EXPECT_EQ(-1, ioctl(self->ep.fd, NFQRING_SET_WAKE, (void *)16));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(0, set_wake(self->ep.fd, 8, 0, 80000, &w));
	EXPECT_EQ(80000u, w.max_delay_us);
	EXPECT_EQ(8u, w.wake_nr);
	EXPECT_EQ(64u, w.watermark);	/* half of 128 frames */
	ASSERT_EQ(0, set_wake(self->ep.fd, 1000000, 1000000, 0xffffffff, &w));
	EXPECT_EQ(128u, w.wake_nr);
	EXPECT_EQ(128u, w.watermark);
	EXPECT_EQ(NFQRING_WAKE_MAX_DELAY_US, w.max_delay_us);
	ASSERT_EQ(0, set_wake(self->ep.fd, 0, 0, 0, &w));
	EXPECT_EQ(NFQRING_WAKE_NR, w.wake_nr);
	EXPECT_EQ(NFQRING_WAKE_DELAY_US, w.max_delay_us);
	ASSERT_EQ(0, set_wake(self->ep.fd, 1, 0, 0, &w));
	EXPECT_EQ(1u, w.wake_nr);
	EXPECT_EQ(0u, w.max_delay_us);
}

/* idle_us: 0 takes the default, OFF stays off, the rest is clamped. */
TEST_F(wake, bad_idle_parameters)
{
	struct nfqring_wake w = { 0 };

	ASSERT_EQ(0, set_wake_idle(self->ep.fd, 0, 0, 0, 0, &w));
	EXPECT_EQ(NFQRING_WAKE_IDLE_US, w.idle_us);
	ASSERT_EQ(0, set_wake(self->ep.fd, 0, 0, 0, &w));
	EXPECT_EQ(NFQRING_WAKE_IDLE_OFF, w.idle_us);
	ASSERT_EQ(0, set_wake_idle(self->ep.fd, 0, 0, 0, NFQRING_WAKE_IDLE_OFF - 1, &w));
	EXPECT_EQ(NFQRING_WAKE_MAX_DELAY_US, w.idle_us);
	ASSERT_EQ(0, set_wake_idle(self->ep.fd, 0, 0, 0, 1, &w));
	EXPECT_EQ(1u, w.idle_us);
}

struct racer {
	struct tep *ep;
	struct nfqring_ctrl *ctrl;
	volatile bool stop;
	int sent, got, timeouts_with_work, overruns;
	uint32_t last;
};

static void *race_sender(void *arg)
{
	struct racer *r = arg;
	unsigned int seed = 7;

	while (r->sent < 3000) {
		udp_send(1, 64);
		r->sent++;
		if (rand_r(&seed) % 4 == 0)
			usleep(rand_r(&seed) % 300);
	}
	r->stop = true;
	return NULL;
}

/*
 * The lost-wake-up race: a consumer that drains, asks to be woken, looks
 * again and sleeps, against a sender with random gaps.  A poll() that runs
 * into its timeout while a frame is ready at the consumer's cursor is a
 * lost wake-up (the timer's 1 ms is far below the 1 s timeout).  The gaps
 * (up to 300 us) straddle idle_us (100 us): every reason to wake races.
 */
TEST_F_TIMEOUT(wake, no_lost_wakeup, 300)
{
	struct racer r = { .ep = &self->ep, .ctrl = self->ctrl };
	struct pollfd pfd = { .fd = self->ep.fd, .events = POLLIN };
	struct nfqring_wake_stats ws;
	struct timespec t0;
	pthread_t t;
	int idle = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(0, tep_send(&self->ep, msg_cfg_u32(self->buf, 0, NFQA_CFG_QUEUE_MAXLEN, 100000)));
	ASSERT_EQ(0, set_wake_idle(self->ep.fd, 4, 0, 1000, 100, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, race_sender, &r));
	while (idle < 3) {
		int n = consume(&self->ep, self->ctrl, &r.last);

		if (n) {
			r.got += n;
			idle = 0;
			tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
							r.last, NF_ACCEPT));
			continue;
		}
		ASSERT_GT(240, ms_since(&t0) / 1000) {
			struct nfqring_stats st = { 0 };

			ioctl(self->ep.fd, NFQRING_GET_STATS, &st);
			TH_LOG("no end after 240 s: sent %d got %d stop %d overruns %llu",
			       r.sent, r.got, r.stop, (unsigned long long)st.rx_overruns);
		}
		if (ask_wakeup(&self->ep, self->ctrl)) {
			int ret = poll(&pfd, 1, 1000);

			if (ret == 0) {
				unsigned int s = frame_status(ring_frame(&self->ep.rx,
									 self->ep.rx_pos));

				if (s == NFQRING_STATUS_VALID || s == NFQRING_STATUS_COPY)
					r.timeouts_with_work++;
				if (r.stop)
					idle++;
			} else if (ret > 0 && (pfd.revents & POLLERR)) {
				/* an overrun: read() reports it and clears it */
				r.overruns++;
				read(self->ep.fd, self->buf, sizeof(self->buf));
			}
		}
		/* running again */
		__atomic_fetch_and(&self->ctrl->flags, ~NFQRING_CTRL_NEED_WAKEUP,
				   __ATOMIC_SEQ_CST);
	}
	pthread_join(t, NULL);
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	TH_LOG("sent %d got %d (%d overruns); wakeups %llu (wake_nr %llu, timer %llu, idle %u), skipped %llu",
	       r.sent, r.got, r.overruns, (unsigned long long)ws.wakeups,
	       (unsigned long long)ws.wake_nr_hits, (unsigned long long)ws.timer_wakeups,
	       ws.idle_wakeups, (unsigned long long)ws.skipped);
	EXPECT_EQ(0, r.timeouts_with_work);
	EXPECT_EQ(r.sent, r.got);
	EXPECT_EQ(r.sent, udp_count(self->rcv, 100));
}

struct scribble {
	struct nfqring_ctrl *ctrl;
	volatile bool stop;
};

static void *ctrl_scribbler(void *arg)
{
	struct scribble *s = arg;
	uint32_t *w = (uint32_t *)s->ctrl;
	unsigned int seed = 99;

	while (!s->stop)
		__atomic_store_n(&w[rand_r(&seed) % (NFQRING_CTRL_SIZE / 4)], rand_r(&seed) *
				 (rand_r(&seed) % 2 ? 1u : 0x10001u), __ATOMIC_RELAXED);
	return NULL;
}

/*
 * A consumer that scribbles over its control page only hurts itself: every
 * packet is still judged or counted, and poll() never blocks for ever.
 */
TEST_F_TIMEOUT(wake, scribbled_control_page_stays_safe, 180)
{
	struct scribble s = { .ctrl = self->ctrl };
	struct pollfd pfd = { .fd = self->ep.fd, .events = POLLIN | POLLOUT };
	unsigned int total = 1, dropped = 0, user_dropped = 0, seq = 0;
	struct nfqring_stall stall = { .stall_ms = 50, .verdict = NF_ACCEPT };
	uint32_t last = 0;
	pthread_t t;
	int i, delivered;

	ASSERT_EQ(0, set_wake(self->ep.fd, 3, 5, 2000, NULL));
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_STALL, &stall));
	ASSERT_EQ(0, pthread_create(&t, NULL, ctrl_scribbler, &s));
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, udp_send(25, 64 + i * 20));
		poll(&pfd, 1, 20);
		consume(&self->ep, self->ctrl, &last);
		tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						last, NF_ACCEPT));
		tep_flush(&self->ep, NULL);
	}
	s.stop = true;
	pthread_join(t, NULL);
	delivered = udp_count(self->rcv, 300);
	ASSERT_EQ(0, proc_queue(0, &total, &dropped, &user_dropped, &seq));
	TH_LOG("ids %u delivered %d queued %u dropped %u user_dropped %u stall-refused %lld",
	       ids_since(seq_start(), seq), delivered, total, dropped, user_dropped,
	       proc_stat("stall_refused"));
	EXPECT_EQ(1000, (long long)ids_since(seq_start(), seq) + dropped + user_dropped +
		  proc_stat("stall_refused"));
	EXPECT_EQ(0, proc_stat("in_flight") - total);
	EXPECT_EQ(delivered, (long long)ids_since(seq_start(), seq) - total +
		  proc_stat("stall_refused"));
	/* the control page's mapping holds the file open too */
	munmap(self->ctrl, NFQRING_CTRL_SIZE);
	self->ctrl = NULL;
	tep_close(&self->ep);
	EXPECT_EQ(-1, proc_queue(0, NULL, NULL, NULL, NULL));
}

/* The stall watchdog, accept: what waits and what comes pass; it recovers. */
TEST_F_TIMEOUT(wake, stall_accept_and_recover, 120)
{
	struct nfqring_stall stall = { .stall_ms = 200, .verdict = NF_ACCEPT };
	struct nfqring_wake_stats ws;
	uint32_t last = 0;

	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_STALL, &stall));
	ASSERT_EQ(0, udp_send(10, 64));
	usleep(100000);
	EXPECT_EQ(0, udp_count(self->rcv, 0));	/* queued, consumer hangs */
	usleep(400000);
	EXPECT_EQ(10, udp_count(self->rcv, 0));	/* the watchdog let them pass */
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(1u, ws.stalls);
	EXPECT_EQ(1u, ws.stalled);
	EXPECT_EQ(10, proc_stat("stall_flushed"));
	/* still stalled: new packets pass at once, not queued */
	ASSERT_EQ(0, udp_send(5, 64));
	EXPECT_EQ(5, udp_count(self->rcv, 50));
	EXPECT_EQ(5, proc_stat("stall_refused"));
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(15u, ws.stall_verdicts);

	/* the consumer moves (a verdict, even for a packet gone): queued again */
	EXPECT_EQ(10, consume(&self->ep, self->ctrl, &last));
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
							   0, last, NF_ACCEPT)));
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(0u, ws.stalled);
	ASSERT_EQ(0, udp_send(3, 64));
	EXPECT_EQ(0, udp_count(self->rcv, 50));
	EXPECT_EQ(3, consume(&self->ep, self->ctrl, &last));
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						     last, NF_ACCEPT)));
	EXPECT_EQ(3, udp_count(self->rcv, 50));
	EXPECT_EQ(0, proc_stat("in_flight"));
}

/* The stall watchdog, drop; and its bad parameters. */
TEST_F_TIMEOUT(wake, stall_drop, 120)
{
	struct nfqring_stall stall = { .stall_ms = 100, .verdict = NF_DROP };
	struct nfqring_stall bad[] = {
		{ .stall_ms = 100, .verdict = NF_QUEUE },
		{ .stall_ms = NFQRING_STALL_MIN_MS - 1, .verdict = NF_DROP },
		{ .stall_ms = NFQRING_STALL_MAX_MS + 1, .verdict = NF_ACCEPT },
	};
	struct nfqring_wake_stats ws;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-1, ioctl(self->ep.fd, NFQRING_SET_STALL, &bad[i]));
		EXPECT_EQ(EINVAL, errno);
	}
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_STALL, &stall));
	ASSERT_EQ(0, udp_send(10, 64));
	usleep(500000);
	ASSERT_EQ(0, udp_send(5, 64));
	EXPECT_EQ(0, udp_count(self->rcv, 50));
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(1u, ws.stalls);
	EXPECT_EQ(15u, ws.stall_verdicts);
	EXPECT_EQ(0, proc_stat("in_flight"));
	/* switched off: nothing is stalled any more, packets queue */
	stall.stall_ms = 0;
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_STALL, &stall));
	ASSERT_EQ(0, udp_send(2, 64));
	usleep(300000);
	EXPECT_EQ(2, proc_stat("in_flight"));
}

/*
 * A consumer that sets NEED_WAKEUP itself and sleeps in epoll_wait() (which
 * does not call poll() again) after a round in which it cleared the flag
 * itself: the kernel's count of unannounced frames is stale then, and the
 * next packet must still arm the timer.
 */
TEST_F(wake, epoll_consumer_after_stale_count)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct timespec t0;
	struct later l;
	uint32_t last = 0;
	int efd, n;
	long ms;

	ASSERT_EQ(0, set_wake(self->ep.fd, 64, 0, 20000, NULL));
	efd = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, epoll_ctl(efd, EPOLL_CTL_ADD, self->ep.fd, &ev));

	/* round 1: asks, then finds the frame while spinning and runs */
	ASSERT_TRUE(ask_wakeup(&self->ep, self->ctrl));
	ASSERT_EQ(0, udp_send(1, 64));
	__atomic_store_n(&self->ctrl->flags, 0, __ATOMIC_SEQ_CST);
	ASSERT_EQ(1, consume(&self->ep, self->ctrl, &last));
	ASSERT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						     last, NF_ACCEPT)));
	usleep(100000);		/* the timer fired and found the flag clear */
	/* drain what epoll has queued from round 1, if anything */
	while (epoll_wait(efd, &out, 1, 0) > 0)
		;

	/* round 2: asks, sleeps in epoll_wait(); the packet comes later */
	ASSERT_TRUE(ask_wakeup(&self->ep, self->ctrl));
	send_after(&l, 50, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = epoll_wait(efd, &out, 1, 3000);
	ms = ms_since(&t0);
	pthread_join(l.t, NULL);
	TH_LOG("epoll_wait returned %d after %ld ms (packet at 50 ms, max_delay 20 ms)", n, ms);
	EXPECT_EQ(1, n);
	EXPECT_GT(1000, ms);
	EXPECT_EQ(1, consume(&self->ep, self->ctrl, &last));
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						     last, NF_ACCEPT)));
	EXPECT_EQ(2, udp_count(self->rcv, 50));
	close(efd);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Version 2 asked for while frames are in flight: refused, since the
 * sequence numbers would start out of step with the frames (rx_cons moving
 * past rx_prod, POLLIN for ever).  Once they are back, it works, in step.
 */
TEST(version_2_waits_for_frames_in_flight)
{
	struct pollfd pfd = { .events = POLLIN };
	char *buf = malloc(MSGBUF);
	struct nfqring_ctrl *c;
	struct nl_mmap_hdr *h;
	struct tpkt p;
	struct tep ep;
	uint32_t id;
	int rcv;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, queue_and_endpoint(&rcv, &ep));
	ASSERT_EQ(0, tep_rings(&ep, ring_req(4096, 4, FRAME), ring_req(4096, 2, FRAME)));
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));

	/* an RX frame taken, not released */
	ASSERT_EQ(0, udp_send(1, 64));
	ASSERT_NE(0, tep_wait(&ep, 5000));
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	EXPECT_EQ(-1, ioctl(ep.fd, NFQRING_SET_VERSION, NFQRING_ABI_VERSION_2));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(NFQRING_ABI_VERSION, ioctl(ep.fd, NFQRING_GET_VERSION));
	frame_release(h, NFQRING_STATUS_UNUSED);

	/* a VALID TX frame not flushed */
	ASSERT_EQ(0, tep_tx_put(&ep, msg_verdict(buf, NFQNL_MSG_VERDICT, 0, p.id, NF_ACCEPT)));
	EXPECT_EQ(-1, ioctl(ep.fd, NFQRING_SET_VERSION, NFQRING_ABI_VERSION_2));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(1, tep_flush(&ep, NULL));

	/* nothing in flight: version 2, sequences in step with the frames */
	ASSERT_EQ(NFQRING_ABI_VERSION_2, ioctl(ep.fd, NFQRING_SET_VERSION,
					       NFQRING_ABI_VERSION_2));
	c = ctrl_map(ep.fd);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(ld(&c->rx_prod), ld(&c->rx_cons));
	EXPECT_EQ(ld(&c->tx_prod), ld(&c->tx_cons));
	ASSERT_EQ(0, udp_send(1, 64));
	ASSERT_NE(0, tep_wait(&ep, 5000));
	EXPECT_EQ(1u, ld(&c->rx_prod) - ld(&c->rx_cons));
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	id = p.id;
	frame_release(h, NFQRING_STATUS_UNUSED);
	st(&c->rx_cons, ld(&c->rx_cons) + 1);
	EXPECT_EQ(0, tep_send(&ep, msg_verdict(buf, NFQNL_MSG_VERDICT, 0, id, NF_ACCEPT)));
	/* nothing waits, and poll() says so */
	pfd.fd = ep.fd;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(2, udp_count(rcv, 50));
	munmap(c, NFQRING_CTRL_SIZE);
	tep_close(&ep);
	close(rcv);
	free(buf);
}

/*
 * A shorter max_delay_us holds for a frame already waiting: the timer armed
 * for the old, longer delay is brought forward.  The wake-up is seen where
 * the kernel makes it, in the flag it clears (poll() would return at once:
 * the frame is there).  The fastest of three tries is taken, so that one
 * slow turn of the VM does not decide.
 */
TEST_F(wake, shorter_delay_holds_at_once)
{
	struct nfqring_wake_stats ws;
	uint32_t prod, last = 0;
	long ms, best = 1000000;
	struct timespec t0;
	int i, j;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, set_wake(self->ep.fd, 64, 0, NFQRING_WAKE_MAX_DELAY_US, NULL));
		prod = ld(&self->ctrl->rx_prod);
		ASSERT_TRUE(ask_wakeup(&self->ep, self->ctrl));
		ASSERT_EQ(0, udp_send(1, 64));
		/* published, the long timer armed: now shorten the delay */
		for (j = 0; j < 5000 && ld(&self->ctrl->rx_prod) == prod; j++)
			usleep(1000);
		ASSERT_NE(prod, ld(&self->ctrl->rx_prod));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ASSERT_EQ(0, set_wake(self->ep.fd, 64, 0, 1000, NULL));
		while (ms_since(&t0) < 5000 &&
		       (ld(&self->ctrl->flags) & NFQRING_CTRL_NEED_WAKEUP))
			usleep(200);
		ms = ms_since(&t0);
		TH_LOG("woken %ld ms after max_delay_us went from %u to 1000", ms,
		       NFQRING_WAKE_MAX_DELAY_US);
		EXPECT_EQ(0, ld(&self->ctrl->flags) & NFQRING_CTRL_NEED_WAKEUP);
		if (ms < best)
			best = ms;
		ASSERT_EQ(1, consume(&self->ep, self->ctrl, &last));
		ASSERT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
							     last, NF_ACCEPT)));
	}
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(3u, ws.timer_wakeups);
	/* the old timer had 100 ms to go, less the time the packet took */
	EXPECT_GT(50, best);
	EXPECT_EQ(3, udp_count(self->rcv, 50));
}

/*
 * A version-2 endpoint without an RX ring: every message goes to read(),
 * and a reader blocked there (it never sets NEED_WAKEUP) is woken for it;
 * poll() reports it too.
 */
TEST(v2_read_wakes_blocked_reader)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct pollfd pfd = { .events = POLLIN };
	struct timespec t0;
	struct later l;
	struct tpkt p;
	char *buf = malloc(MSGBUF);
	struct tep ep;
	int rcv;
	ssize_t n;
	long ms;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, queue_and_endpoint(&rcv, &ep));
	ASSERT_EQ(NFQRING_ABI_VERSION_2, ioctl(ep.fd, NFQRING_SET_VERSION,
					       NFQRING_ABI_VERSION_2));
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));

	send_after(&l, 100, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alarm(3);
	n = read(ep.fd, buf, MSGBUF);
	alarm(0);
	ms = ms_since(&t0);
	pthread_join(l.t, NULL);
	TH_LOG("read() returned %zd after %ld ms (packet at 100 ms)", n, ms);
	/* woken by the message, not found at the alarm (3 s) */
	EXPECT_GT(1500, ms);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, tpkt_parse(buf, n, &p));
	EXPECT_EQ(0, tep_send(&ep, msg_verdict(buf, NFQNL_MSG_VERDICT, 0, p.id, NF_ACCEPT)));

	/* poll() sleeps first, the message comes later */
	pfd.fd = ep.fd;
	send_after(&l, 100, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	EXPECT_EQ(1, poll(&pfd, 1, 3000));
	EXPECT_GT(1500, ms_since(&t0));
	pthread_join(l.t, NULL);
	n = read(ep.fd, buf, MSGBUF);
	ASSERT_LT(0, n);
	ASSERT_EQ(0, tpkt_parse(buf, n, &p));
	EXPECT_EQ(0, tep_send(&ep, msg_verdict(buf, NFQNL_MSG_VERDICT, 0, p.id, NF_ACCEPT)));
	EXPECT_EQ(2, udp_count(rcv, 50));
	tep_close(&ep);
	close(rcv);
	free(buf);
}

/*
 * A consumer that asked to be woken and waits for the kernel's moderated
 * wake-up (max_delay_us longer than stall_ms) is not stalled.
 */
TEST_F_TIMEOUT(wake, waiting_for_a_wakeup_is_no_stall, 60)
{
	struct nfqring_stall stall = { .stall_ms = 20, .verdict = NF_DROP };
	struct pollfd pfd = { .fd = self->ep.fd, .events = POLLIN };
	struct nfqring_wake_stats ws;
	uint32_t last = 0;
	int round;

	ASSERT_EQ(0, set_wake(self->ep.fd, 64, 0, 100000, NULL));
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_STALL, &stall));
	for (round = 0; round < 5; round++) {
		struct later l;

		ASSERT_TRUE(ask_wakeup(&self->ep, self->ctrl));
		send_after(&l, 10, 1);
		/* the watchdog's look delivers the owed wake-up (or the 100 ms timer) */
		ASSERT_EQ(1, poll(&pfd, 1, 3000));
		pthread_join(l.t, NULL);
		ASSERT_EQ(1, consume(&self->ep, self->ctrl, &last));
		EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
							     0, last, NF_ACCEPT)));
	}
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(0u, ws.stalls);
	EXPECT_EQ(0u, ws.stall_verdicts);
	EXPECT_EQ(5, udp_count(self->rcv, 50));
}

/*
 * A consumer that asked to be woken with a frame already there and then
 * hung without sleeping: no publish arms the timer, so the watchdog clears
 * the flag itself and judges the consumer by its moves: stalled.
 */
TEST_F_TIMEOUT(wake, hung_with_the_flag_set_is_a_stall, 60)
{
	struct nfqring_stall stall = { .stall_ms = 50, .verdict = NF_DROP };
	struct nfqring_wake_stats ws;

	ASSERT_EQ(0, set_wake(self->ep.fd, 64, 0, 100000, NULL));
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_STALL, &stall));
	ASSERT_EQ(0, udp_send(1, 64));
	EXPECT_FALSE(ask_wakeup(&self->ep, self->ctrl));	/* the frame is there */
	usleep(600000);						/* and it hangs */
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(0, ld(&self->ctrl->flags) & NFQRING_CTRL_NEED_WAKEUP);
	EXPECT_EQ(1u, ws.stalls);
	EXPECT_EQ(1u, ws.stall_verdicts);
	EXPECT_EQ(0, proc_stat("in_flight"));
	EXPECT_EQ(0, udp_count(self->rcv, 50));
}

struct renewer {
	struct nfqring_ctrl *ctrl;
	volatile bool stop;
};

static void *renew_flag(void *arg)
{
	struct renewer *r = arg;

	while (!r->stop) {
		__atomic_fetch_or(&r->ctrl->flags, NFQRING_CTRL_NEED_WAKEUP, __ATOMIC_SEQ_CST);
		usleep(1000);
	}
	return NULL;
}

/*
 * A consumer that sets NEED_WAKEUP again and again without taking a frame:
 * the watchdog's wake-up for it does not renew, it is stalled.
 */
TEST_F_TIMEOUT(wake, renewing_the_flag_is_no_escape, 60)
{
	struct nfqring_stall stall = { .stall_ms = 50, .verdict = NF_DROP };
	struct renewer r = { .ctrl = self->ctrl };
	struct nfqring_wake_stats ws;
	pthread_t t;

	ASSERT_EQ(0, set_wake(self->ep.fd, 64, 0, 100000, NULL));
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_STALL, &stall));
	ASSERT_EQ(0, udp_send(1, 64));
	ASSERT_EQ(0, pthread_create(&t, NULL, renew_flag, &r));
	usleep(600000);
	r.stop = true;
	pthread_join(t, NULL);
	ASSERT_EQ(0, wake_stats(self->ep.fd, &ws));
	EXPECT_EQ(1u, ws.stalls);
	EXPECT_EQ(1u, ws.stall_verdicts);
	EXPECT_EQ(0, proc_stat("in_flight"));
}

static void *send_one(void *arg)
{
	(void)arg;
	udp_send(1, 64);
	return NULL;
}

/*
 * Test build: a version-1 consumer takes and releases a frame whose enqueue
 * is still between the frame's status and its sequence number, then asks
 * for version 2.  The frame was taken under version 1: it must not count in
 * the new sequences, or rx_prod stays one ahead and poll() reports a frame
 * for ever.
 */
TEST(version_2_during_a_publish)
{
	struct pollfd pfd = { .events = POLLIN };
	char *buf = malloc(MSGBUF);
	struct nfqring_ctrl *c;
	struct nl_mmap_hdr *h;
	struct tpkt p;
	struct tep ep;
	pthread_t t;
	int rcv = -1, i;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, queue_and_endpoint(&rcv, &ep));
	ASSERT_EQ(0, tep_rings(&ep, ring_req(4096, 4, FRAME), ring_req(4096, 2, FRAME)));
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	if (!race_delay("0,0,0,0,300000"))
		SKIP(goto out, "not a test build (make module-test)");
	ASSERT_EQ(0, pthread_create(&t, NULL, send_one, NULL));
	for (i = 0; i < 5000 && frame_status(ring_frame(&ep.rx, 0)) != NFQRING_STATUS_VALID; i++)
		usleep(100);
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	frame_release(h, NFQRING_STATUS_UNUSED);
	/* the enqueue is in the window still (300 ms) */
	ASSERT_EQ(NFQRING_ABI_VERSION_2, ioctl(ep.fd, NFQRING_SET_VERSION,
					       NFQRING_ABI_VERSION_2));
	c = ctrl_map(ep.fd);
	ASSERT_NE(NULL, c);
	pthread_join(t, NULL);
	race_delay("0,0,0,0,0");
	TH_LOG("rx_prod %u rx_cons %u", ld(&c->rx_prod), ld(&c->rx_cons));
	EXPECT_EQ(ld(&c->rx_prod), ld(&c->rx_cons));
	pfd.fd = ep.fd;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, tep_send(&ep, msg_verdict(buf, NFQNL_MSG_VERDICT, 0, p.id, NF_ACCEPT)));
	EXPECT_EQ(1, udp_count(rcv, 50));
	munmap(c, NFQRING_CTRL_SIZE);
out:
	race_delay("0,0,0,0,0");
	tep_close(&ep);
	close(rcv);
	free(buf);
}

/*
 * Test build: an enqueue whose queue is unbound while it is between its
 * frame and its sequence number, then the RX ring set up again: the new
 * ring's sequences start equal (nothing of the old ring counts in them),
 * or poll() would report a frame that is not there for ever.
 */
TEST_F_TIMEOUT(wake, new_ring_sequences_after_unbind_race, 60)
{
	struct pollfd pfd = { .fd = self->ep.fd, .events = POLLIN };
	long pg = sysconf(_SC_PAGESIZE);
	struct nl_mmap_req rx = ring_req(pg, 32, FRAME);
	pthread_t t;
	char buf[256];

	if (!race_delay("0,0,0,0,300000"))
		SKIP(return, "not a test build (make module-test)");
	ASSERT_EQ(0, pthread_create(&t, NULL, send_one, NULL));
	usleep(100000);		/* the sender is in the window now */
	ASSERT_EQ(0, tep_send(&self->ep, msg_cmd(buf, 0, NFQNL_CFG_CMD_UNBIND)));
	munmap(self->ep.map, self->ep.map_len);
	self->ep.map = NULL;
	EXPECT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_RX_RING, &rx));
	pthread_join(t, NULL);
	race_delay("0,0,0,0,0");
	TH_LOG("rx_prod %u rx_cons %u", ld(&self->ctrl->rx_prod), ld(&self->ctrl->rx_cons));
	EXPECT_EQ(ld(&self->ctrl->rx_prod), ld(&self->ctrl->rx_cons));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, proc_stat("in_flight"));
	/* the packet was queued, then flushed by the unbind: the window was hit */
	EXPECT_EQ(1, proc_stat("flushed"));
}

static void *bad_verdict_later(void *arg)
{
	struct timed_call *tc = arg;
	char buf[256];

	/* queue 0 is not bound: fails, and the failure is acknowledged */
	tc->start = mono_ms();
	tc->ret = tep_send(tc->ep, msg_verdict(buf, NFQNL_MSG_VERDICT, 0, 31337, NF_ACCEPT));
	tc->end = mono_ms();
	return NULL;
}

/*
 * A version-2 endpoint with NFQRING_ACKS_NETLINK, an RX ring @rx and a TX
 * ring, UDP queued to queue 0 (not bound) and its receiver: the control
 * page, or NULL.
 */
static struct nfqring_ctrl *acks_endpoint(int *rcv, struct tep *ep, struct nl_mmap_req rx)
{
	if (queue_and_endpoint(rcv, ep) ||
	    ioctl(ep->fd, NFQRING_SET_ACKS, NFQRING_ACKS_NETLINK) ||
	    ioctl(ep->fd, NFQRING_SET_VERSION, NFQRING_ABI_VERSION_2) != NFQRING_ABI_VERSION_2 ||
	    tep_rings(ep, rx, ring_req(4096, 2, FRAME)))
		return NULL;
	return ctrl_map(ep->fd);
}

/*
 * NFQRING_ACKS_NETLINK: an acknowledgment answers a request the consumer
 * waits for; it wakes a sleeping consumer at once, not when the
 * moderation's timer runs out (100 ms here).
 */
TEST(ack_wakes_at_once)
{
	struct pollfd pfd = { .events = POLLIN };
	struct nfqring_wake_stats ws = { 0 };
	struct timed_call tc = { 0 };
	struct nfqring_ctrl *c = NULL;
	double woken;
	struct tep ep;
	pthread_t t;
	int rcv = -1;

	c = acks_endpoint(&rcv, &ep, ring_req(4096, 4, FRAME));
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, set_wake(ep.fd, 64, 0, 100000, NULL));
	ASSERT_TRUE(ask_wakeup(&ep, c));
	tc.ep = &ep;
	usleep(20000);
	ASSERT_EQ(0, pthread_create(&t, NULL, bad_verdict_later, &tc));
	pfd.fd = ep.fd;
	EXPECT_EQ(1, poll(&pfd, 1, 5000));
	woken = mono_ms();
	pthread_join(t, NULL);
	ASSERT_EQ(0, wake_stats(ep.fd, &ws));
	TH_LOG("woken %.0f ms after the request went (the timer: 100 ms)", woken - tc.start);
	EXPECT_EQ(-ENODEV, tc.ret);
	EXPECT_GT(60, woken - tc.start);
	EXPECT_EQ(0u, ws.timer_wakeups);
	EXPECT_EQ(1u, ws.watermark_hits);
	munmap(c, NFQRING_CTRL_SIZE);
	tep_close(&ep);
	close(rcv);
}

/*
 * An acknowledgment answers the consumer's own request: it is no traffic,
 * and a packet after it is as lone as the last packet makes it.
 */
TEST(acks_do_not_move_the_idle_clock)
{
	struct nfqring_wake_stats ws = { 0 };
	struct nfqring_ctrl *c;
	uint32_t last = 0;
	char buf[256];
	struct tep ep;
	int rcv = -1;
	long ms;

	c = acks_endpoint(&rcv, &ep, ring_req(4096, 4, FRAME));
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	ASSERT_EQ(0, set_wake_idle(ep.fd, 64, 0, 100000, 60000, NULL));
	ASSERT_EQ(0, udp_send(1, 64));		/* nobody sleeps */
	usleep(80000);
	/* queue 1 is not bound: the request fails, its acknowledgment takes a frame */
	EXPECT_EQ(-ENODEV, tep_send(&ep, msg_verdict(buf, NFQNL_MSG_VERDICT, 1, 31337, NF_ACCEPT)));
	EXPECT_EQ(2, consume(&ep, c, &last));	/* the packet and the acknowledgment */
	/* a packet 20 ms after the acknowledgment, 100 ms after the last packet */
	ms = woken_after(&ep, c, 20, 1);
	ASSERT_LE(0, ms);
	ASSERT_EQ(0, wake_stats(ep.fd, &ws));
	TH_LOG("woken %ld ms after the packet (idle_us 60 ms, the timer 100 ms)", ms);
	EXPECT_GT(60, ms);
	EXPECT_EQ(1u, ws.idle_wakeups);
	EXPECT_EQ(0u, ws.timer_wakeups);
	EXPECT_EQ(1, consume(&ep, c, &last));
	EXPECT_EQ(0, tep_send(&ep, msg_verdict(buf, NFQNL_MSG_VERDICT_BATCH, 0, last, NF_ACCEPT)));
	EXPECT_EQ(2, udp_count(rcv, 50));
	munmap(c, NFQRING_CTRL_SIZE);
	tep_close(&ep);
	close(rcv);
}

/*
 * Test build: NFQRING_ACKS_NETLINK, an acknowledgment between its frame and
 * its sequence number while the RX ring is set up again.  Set-up must wait
 * for it (both hold tx_mutex): else the new ring's sequences start equal and
 * the old ring's acknowledgment then moves rx_prod, and poll() reports a
 * frame that is not there for ever.
 */
TEST(ack_during_ring_set_up)
{
	struct pollfd pfd = { .events = POLLIN };
	struct nl_mmap_req rx = ring_req(4096, 4, FRAME);
	struct timed_call tc = { 0 };
	struct nfqring_ctrl *c = NULL;
	struct nfqring_stats st;
	double set_start, set_end;
	struct tep ep;
	pthread_t t;
	int rcv = -1;

	c = acks_endpoint(&rcv, &ep, rx);
	ASSERT_NE(NULL, c);
	if (!race_delay("0,0,0,0,300000"))
		SKIP(goto out, "not a test build (make module-test)");
	tc.ep = &ep;
	ASSERT_EQ(0, pthread_create(&t, NULL, bad_verdict_later, &tc));
	usleep(100000);		/* the acknowledgment is in the window now */
	munmap(ep.map, ep.map_len);
	ep.map = NULL;
	set_start = mono_ms();
	EXPECT_EQ(0, ioctl(ep.fd, NFQRING_SET_RX_RING, &rx));
	set_end = mono_ms();
	pthread_join(t, NULL);
	race_delay("0,0,0,0,0");
	ASSERT_EQ(0, ioctl(ep.fd, NFQRING_GET_STATS, &st));
	TH_LOG("write() 0..%.0f ms, set-up %.0f..%.0f ms, ack frames %llu",
	       tc.end - tc.start, set_start - tc.start, set_end - tc.start,
	       (unsigned long long)st.rx_frames);
	/* The state was reached: the ack took a frame and set-up began in its window. */
	EXPECT_EQ(-ENODEV, tc.ret);
	EXPECT_EQ(1, st.rx_frames);
	EXPECT_LE(250, tc.end - tc.start);
	EXPECT_LT(set_start, tc.end);
	/* Set-up waited for the acknowledgment: for its whole window. */
	EXPECT_LE(250, set_end - tc.start);
	TH_LOG("rx_prod %u rx_cons %u", ld(&c->rx_prod), ld(&c->rx_cons));
	EXPECT_EQ(ld(&c->rx_prod), ld(&c->rx_cons));
	pfd.fd = ep.fd;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
out:
	race_delay("0,0,0,0,0");
	if (c)
		munmap(c, NFQRING_CTRL_SIZE);
	tep_close(&ep);
	close(rcv);
}

/*
 * Both timers armed, then the endpoint closed and the module unloaded
 * before they would fire: nothing runs afterwards (a debug kernel would
 * report it), and the module comes back.
 */
TEST(timers_after_close_and_rmmod)
{
	struct nfqring_stall stall = { .stall_ms = 100, .verdict = NF_ACCEPT };
	struct nfqring_ctrl *c;
	char buf[256];
	struct tep ep;
	int i, tries;

	ASSERT_EQ(0, nfqr_modprobe());
	ASSERT_EQ(0, netns_enter());
	ASSERT_EQ(0, nft_queue_udp("queue num 0"));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, tep_open(&ep));
		ASSERT_EQ(2, ioctl(ep.fd, NFQRING_SET_VERSION, 2));
		ASSERT_EQ(0, tep_rings(&ep, ring_req(4096, 4, FRAME), ring_req(4096, 1, FRAME)));
		c = ctrl_map(ep.fd);
		ASSERT_NE(NULL, c);
		ASSERT_EQ(0, set_wake(ep.fd, 8, 0, 80000, NULL));
		ASSERT_EQ(0, ioctl(ep.fd, NFQRING_SET_STALL, &stall));
		ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
		__atomic_store_n(&c->flags, NFQRING_CTRL_NEED_WAKEUP, __ATOMIC_SEQ_CST);
		ASSERT_EQ(0, udp_send(1, 64));		/* arms the wake timer */
		if (i % 2)	/* unbind first, then close */
			ASSERT_EQ(0, tep_send(&ep, msg_cmd(buf, 0, NFQNL_CFG_CMD_UNBIND)));
		munmap(c, NFQRING_CTRL_SIZE);
		tep_close(&ep);
	}
	/* the last instance's memory goes after a grace period, with its pin */
	for (tries = 0; tries < 100; tries++) {
		if (system("rmmod nfqring 2>/dev/null") == 0)
			break;
		usleep(10000);
	}
	ASSERT_GT(100, tries);
	usleep(300000);
	ASSERT_EQ(0, nfqr_modprobe());
}

TEST_HARNESS_MAIN
