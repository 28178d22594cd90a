// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation failures, made on purpose on a debug kernel (CONFIG_FAIL_FUNCTION,
 * CONFIG_FAILSLAB; skipped elsewhere):
 *  - fail_function on each of nfqring's packet-path allocation helpers
 *    (ALLOW_ERROR_INJECTION): the packet is dropped and counted as
 *    alloc_failed, the packets around it are delivered, nothing leaks;
 *  - fail_function on the ring block allocation: a clean -ENOMEM, and the
 *    same request succeeds afterwards;
 *  - fail-nth over the process-context set-up (open, rings, mmap, bind,
 *    params, first packet): every slab allocation of the sequence fails in
 *    turn; each failure is a clean error, and the queue is gone afterwards.
 * kmemleak (scanned by vm-run at the end of the debug run) and KASAN watch
 * the error paths.
 */
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "nfqr_test.h"

#define FF	"/sys/kernel/debug/fail_function/"
#define FS	"/sys/kernel/debug/failslab/"
#define FRAME	2048

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -errno;
}

/* Makes the next @times calls of @func return @retval (NULL: "0"). */
static int fail_func(const char *func, const char *retval, unsigned int times)
{
	char path[256], t[16];

	if (put(FF "inject", func))
		return -1;
	snprintf(path, sizeof(path), FF "%s/retval", func);
	snprintf(t, sizeof(t), "%u", times);
	if (put(path, retval) || put(FF "probability", "100") ||
	    put(FF "interval", "1") || put(FF "space", "0") ||
	    put(FF "times", t) ||
	    put(FF "verbose", "0"))
		return -1;
	return 0;
}

static void fail_func_off(void)
{
	put(FF "inject", "\n");
}

FIXTURE(fault) {
	struct tep ep;
	int rcv;
	char buf[MSGBUF];
};

FIXTURE_SETUP(fault)
{
	long pg = sysconf(_SC_PAGESIZE);

	self->ep.fd = -1;
	self->rcv = -1;
	if (access(FF "inject", W_OK))
		SKIP(return, "no fail_function (not a debug kernel)");
	ASSERT_EQ(0, nfqr_modprobe());
	ASSERT_EQ(0, netns_enter());
	ASSERT_EQ(0, nft_queue_udp("queue num 0"));
	self->rcv = udp_receiver();
	ASSERT_LE(0, self->rcv);
	ASSERT_EQ(0, tep_open(&self->ep));
	ASSERT_EQ(0, tep_rings(&self->ep, ring_req(pg, 16, FRAME),
			       ring_req(pg, 4, FRAME)));
	ASSERT_EQ(0, tep_bind(&self->ep, 0, 0xffff));
}

/*
 * 6.1's kselftest_harness.h runs the test body after a SKIP in the
 * fixture set-up: each body starts with this.
 */
#define SKIPPED_IN_SETUP()	do { if (_metadata->skip) return; } while (0)

FIXTURE_TEARDOWN(fault)
{
	fail_func_off();
	tep_close(&self->ep);
	if (self->rcv >= 0)
		close(self->rcv);
}

/*
 * Reads every VALID/COPY frame that arrives within a short wait.  With
 * messages waiting for read() (COPY), poll() reports POLLIN at once and for
 * as long as they wait: then only take the frames already there (@wait
 * false; UDP on loopback is queued within sendto(), so they all are).
 */
static int drain(struct tep *ep, uint32_t *last, bool wait)
{
	struct nl_mmap_hdr *h;
	struct tpkt p;
	int n = 0;

	for (;;) {
		if (!tep_rx_next(ep, &h)) {
			if (!wait || !tep_wait(ep, 300))
				return n;
			continue;
		}
		/* a COPY frame holds no message: read() has it */
		if (frame_status(h) == NFQRING_STATUS_VALID &&
		    tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p) == 0)
			*last = p.id;
		frame_release(h, NFQRING_STATUS_UNUSED);
		n++;
	}
}

/* @func fails 3 times out of 8 packets: 5 queued and delivered, 3 counted. */
static void packet_path(struct __test_metadata *_metadata, struct tep *ep,
			int rcv, char *buf, const char *func)
{
	uint32_t last = 0;

	ASSERT_EQ(0, fail_func(func, "0", 3));
	ASSERT_EQ(0, udp_send(8, 64));
	fail_func_off();
	EXPECT_EQ(5, drain(ep, &last, true));
	EXPECT_EQ(3, proc_stat("alloc_failed"));
	EXPECT_EQ(5, proc_stat("queued"));
	EXPECT_EQ(0, tep_send(ep, msg_verdict(buf, NFQNL_MSG_VERDICT_BATCH, 0,
					      last, NF_ACCEPT)));
	EXPECT_EQ(5, udp_count(rcv, 50));
	EXPECT_EQ(0, proc_stat("in_flight"));
}

TEST_F(fault, packet_alloc)
{
	SKIPPED_IN_SETUP();
	packet_path(_metadata, &self->ep, self->rcv, self->buf, "nfqr_pkt_alloc");
}

/*
 * A packet record that cannot be allocated is nfnetlink_queue's own -ENOMEM:
 * the packet is dropped even with FAIL_OPEN, which covers a full queue and
 * a message the consumer's side refused, not the kernel's own allocations.
 */
TEST_F(fault, packet_alloc_not_fail_open)
{
	unsigned int user_dropped = 1;
	SKIPPED_IN_SETUP();

	ASSERT_EQ(0, tep_send(&self->ep, msg_flags(self->buf, 0, NFQA_CFG_F_FAIL_OPEN,
						   NFQA_CFG_F_FAIL_OPEN)));
	packet_path(_metadata, &self->ep, self->rcv, self->buf, "nfqr_pkt_alloc");
	EXPECT_EQ(0, proc_stat("fail_open"));
	ASSERT_EQ(0, proc_queue(0, NULL, NULL, &user_dropped, NULL));
	EXPECT_EQ(0u, user_dropped);
}

/*
 * Every message is COPY (frames too small): the backlog message fails.
 */
TEST_F(fault, backlog_alloc)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned int user_dropped = 0;
	uint32_t last = 0;
	struct tpkt p;
	int i, n;
	SKIPPED_IN_SETUP();

	tep_close(&self->ep);
	ASSERT_EQ(0, tep_open(&self->ep));
	ASSERT_EQ(0, tep_rings(&self->ep, ring_req(pg, 4, 64), ring_req(pg, 4, FRAME)));
	ASSERT_EQ(0, tep_bind(&self->ep, 0, 0xffff));
	ASSERT_EQ(0, fail_func("nfqr_backlog_alloc", "0", 3));
	ASSERT_EQ(0, udp_send(8, 64));
	fail_func_off();
	EXPECT_EQ(5, drain(&self->ep, &last, false));
	/* refused like a full backlog: reported once, counted as dropped */
	EXPECT_EQ(-1, read(self->ep.fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(ENOBUFS, errno);
	ASSERT_EQ(0, proc_queue(0, NULL, NULL, &user_dropped, NULL));
	EXPECT_EQ(3u, user_dropped);
	for (i = 0; i < 5; i++) {
		n = read(self->ep.fd, self->buf, sizeof(self->buf));
		ASSERT_LT(0, n);
		ASSERT_EQ(0, tpkt_parse(self->buf, n, &p));
		last = p.id;
	}
	EXPECT_EQ(3, proc_stat("alloc_failed"));
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, last, NF_ACCEPT)));
	EXPECT_EQ(5, udp_count(self->rcv, 50));
	EXPECT_EQ(0, proc_stat("in_flight"));
}

/* With FAIL_OPEN, the packets whose message could not be allocated pass. */
TEST_F(fault, backlog_alloc_fail_open)
{
	uint32_t last = 0;
	struct tpkt p;
	int i, n;
	SKIPPED_IN_SETUP();

	tep_close(&self->ep);
	ASSERT_EQ(0, tep_open(&self->ep));	/* no RX ring: read() for all */
	ASSERT_EQ(0, tep_bind(&self->ep, 0, 0xffff));
	ASSERT_EQ(0, tep_send(&self->ep, msg_flags(self->buf, 0, NFQA_CFG_F_FAIL_OPEN,
						   NFQA_CFG_F_FAIL_OPEN)));
	ASSERT_EQ(0, fail_func("nfqr_backlog_alloc", "0", 3));
	ASSERT_EQ(0, udp_send(8, 64));
	fail_func_off();
	EXPECT_EQ(3, udp_count(self->rcv, 50));
	EXPECT_EQ(3, proc_stat("fail_open"));
	for (i = 0; i < 5; i++) {
		n = read(self->ep.fd, self->buf, sizeof(self->buf));
		if (n < 0 && errno == ENOBUFS)
			n = read(self->ep.fd, self->buf, sizeof(self->buf));
		ASSERT_LT(0, n);
		ASSERT_EQ(0, tpkt_parse(self->buf, n, &p));
		last = p.id;
	}
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, last, NF_ACCEPT)));
	EXPECT_EQ(5, udp_count(self->rcv, 50));
	EXPECT_EQ(0, proc_stat("in_flight"));
}

static int nl_seen;

static int nl_cb(struct nfq_q_handle *qh, struct nfgenmsg *nfmsg,
		 struct nfq_data *nfa, void *data)
{
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);

	nl_seen++;
	return nfq_set_verdict(qh, ntohl(ph->packet_id), NF_ACCEPT, 0, NULL);
}

/* The netlink transport: the message skb fails. */
TEST_F(fault, netlink_skb_alloc)
{
	struct nfq_q_handle *qh;
	struct nfq_handle *h;
	char pkt[4096];
	int fd, n, i;
	SKIPPED_IN_SETUP();

	tep_close(&self->ep);
	h = nfq_open();
	ASSERT_NE(NULL, h);
	qh = nfq_create_queue(h, 0, nl_cb, NULL);
	ASSERT_NE(NULL, qh);
	ASSERT_EQ(0, nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff));
	fd = nfq_fd(h);
	ASSERT_EQ(0, fail_func("nfqr_nl_skb_alloc", "0", 3));
	ASSERT_EQ(0, udp_send(8, 64));
	fail_func_off();
	nl_seen = 0;
	for (i = 0; i < 20 && nl_seen < 5; i++) {
		n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT);
		if (n < 0) {
			usleep(50000);
			continue;
		}
		nfq_handle_packet(h, pkt, n);
	}
	EXPECT_EQ(5, nl_seen);
	EXPECT_EQ(3, proc_stat("alloc_failed"));
	EXPECT_EQ(5, udp_count(self->rcv, 50));
	EXPECT_EQ(0, proc_stat("in_flight"));
	nfq_destroy_queue(qh);
	nfq_close(h);
}

/* A ring whose memory cannot be had: -ENOMEM, and then it can. */
TEST_F(fault, ring_block_alloc)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct nl_mmap_req rx = ring_req(pg, 8, FRAME);
	char minus12[32];
	int fd;
	SKIPPED_IN_SETUP();

	fd = open(NFQRING_DEVICE, O_RDWR);
	ASSERT_LE(0, fd);
	snprintf(minus12, sizeof(minus12), "%#lx", (unsigned long)-ENOMEM);
	ASSERT_EQ(0, fail_func("nfqr_block_alloc", minus12, 1));
	EXPECT_EQ(-1, ioctl(fd, NFQRING_SET_RX_RING, &rx));
	EXPECT_EQ(ENOMEM, errno);
	fail_func_off();
	EXPECT_EQ(0, ioctl(fd, NFQRING_SET_RX_RING, &rx));
	close(fd);
}

/* One pass of the set-up; returns 0, or the errno of the step that failed. */
static int setup_sequence(char *buf)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct tep ep;
	int err;

	err = tep_open(&ep);
	if (err)
		return -err;
	err = tep_rings(&ep, ring_req(pg, 4, FRAME), ring_req(pg, 2, FRAME));
	if (!err)
		err = tep_bind(&ep, 0, 0xffff);
	if (!err)
		err = tep_send(&ep, msg_cfg_u32(buf, 0, NFQA_CFG_QUEUE_MAXLEN, 64));
	tep_close(&ep);
	return -err;
}

/*
 * fail-nth: the Nth slab allocation of this thread fails.  failslab's cache
 * filter keeps the kmalloc caches only in play, so that kmemleak's and
 * debugobjects' own caches never fail (they would switch themselves off).
 * On 6.1 a cache's failslab flag is read-only in sysfs: it comes from the
 * boot parameter slub_debug=A,kmalloc-*,nfqr_pkt (check-debug passes it).
 */
TEST_F(fault, fail_nth_setup)
{
	char path[64], val[16];
	int nth, fd, err, injected = 0;

	tep_close(&self->ep);
	if (access(FS "cache-filter", W_OK))
		SKIP(return, "no failslab");
	fd = open("/sys/kernel/slab/kmalloc-64/failslab", O_RDONLY);
	memset(val, 0, sizeof(val));
	if (fd < 0 || read(fd, val, sizeof(val) - 1) <= 0 || val[0] != '1') {
		if (fd >= 0)
			close(fd);
		SKIP(return, "kmalloc caches not marked for failslab: boot with slub_debug=A,kmalloc-*");
	}
	close(fd);
	ASSERT_EQ(0, put(FS "cache-filter", "Y"));
	ASSERT_EQ(0, put(FS "ignore-gfp-wait", "N"));
	ASSERT_EQ(0, put(FS "verbose", "0"));

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth", (long)syscall(SYS_gettid));
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	for (nth = 1; nth < 200; nth++) {
		snprintf(val, sizeof(val), "%d", nth);
		ASSERT_EQ((ssize_t)strlen(val), pwrite(fd, val, strlen(val), 0));
		err = setup_sequence(self->buf);
		memset(val, 0, sizeof(val));
		ASSERT_LT(0, pread(fd, val, sizeof(val) - 1, 0));
		if (atoi(val) != 0) {
			/* the sequence made fewer than nth allocations: done */
			ASSERT_EQ(0, pwrite(fd, "0", 1, 0) < 0);
			EXPECT_EQ(0, err);
			break;
		}
		injected++;
		/* a failed allocation is a clean error, never anything else */
		if (err)
			EXPECT_TRUE(err == ENOMEM || err == ENOBUFS) {
				TH_LOG("allocation %d: errno %d", nth, err);
			}
		EXPECT_EQ(-1, proc_queue(0, NULL, NULL, NULL, NULL));
	}
	close(fd);
	TH_LOG("%d allocations failed in turn", injected);
	EXPECT_LT(3, injected);
	EXPECT_LT(nth, 200);
	EXPECT_EQ(0, setup_sequence(self->buf));
	put(FS "ignore-gfp-wait", "Y");
	put(FS "cache-filter", "N");
}

TEST_HARNESS_MAIN
