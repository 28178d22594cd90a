// SPDX-License-Identifier: GPL-2.0
/*
 * The ring transport at its edges: states that a race, a counter wrap or a
 * long run reaches, and that the other suites never did (issue 19).
 *
 * In the test build (make module-test) packet ids start 200 below 2^32, so
 * these tests cross the wrap, and the module parameter test_delay_us widens
 * the race windows between enqueue, bind/unbind and ring set-up; with the
 * DKMS build the same tests run as plain stress.
 */
#include <pthread.h>
#include <time.h>
#include <sys/stat.h>

#include <sys/utsname.h>
#include <linux/if_ether.h>

#include "kselftest_harness.h"
#include "nfqr_test.h"

FIXTURE(edges) {
	int rcv;
	char buf[MSGBUF];
};

FIXTURE_SETUP(edges)
{
	ASSERT_EQ(0, nfqr_modprobe());
	ASSERT_EQ(0, netns_enter());
	ASSERT_EQ(0, nft_queue_udp("queue num 0"));
	self->rcv = udp_receiver();
	ASSERT_LE(0, self->rcv);
}

FIXTURE_TEARDOWN(edges)
{
	if (self->rcv >= 0)
		close(self->rcv);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/*
 * Waits (without poll(), as a consumer that never sleeps) for frame
 * @index to be published; returns its status or 0 after @ms.
 */
static unsigned int frame_wait(struct tep *ep, unsigned int index, int ms)
{
	struct nl_mmap_hdr *h = ring_frame(&ep->rx, index);
	unsigned int st;

	for (;;) {
		st = frame_status(h);
		if (st == NFQRING_STATUS_VALID || st == NFQRING_STATUS_COPY)
			return st;
		if (ms-- <= 0)
			return 0;
		usleep(1000);
	}
}

/* The rx_in_use column of /proc/net/netfilter/nfqring for @queue, or -1. */
static long proc_rx_in_use(unsigned int queue, unsigned int *frame_nr)
{
	FILE *f = fopen("/proc/net/netfilter/nfqring", "r");
	char line[512], transport[16];
	unsigned int q, pid, nr, fs, tnr, tfs, in_use;
	long found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %15s %u %u %u %u %u %u", &q, transport, &pid,
			   &nr, &fs, &tnr, &tfs, &in_use) != 8 || q != queue)
			continue;
		found = in_use;
		if (frame_nr)
			*frame_nr = nr;
	}
	fclose(f);
	return found;
}

/* --- finding 1: a message sized for one ring, written into another --- */

struct churn {
	int		fd;
	volatile bool	stop;
	unsigned long	cycles, sent;
};

/* BIND + PARAMS, a moment bound, UNBIND: over and over. */
static void *binder(void *arg)
{
	struct churn *c = arg;
	char buf[256];
	struct nlmsghdr *nlh;

	while (!c->stop) {
		nlh = msg_cmd(buf, 0, NFQNL_CFG_CMD_BIND);
		if (write(c->fd, nlh, nlh->nlmsg_len) < 0)
			continue;
		nlh = msg_params(buf, 0, NFQNL_COPY_PACKET, 0xffff);
		if (write(c->fd, nlh, nlh->nlmsg_len) < 0)
			break;
		usleep(300);
		nlh = msg_cmd(buf, 0, NFQNL_CFG_CMD_UNBIND);
		if (write(c->fd, nlh, nlh->nlmsg_len) < 0)
			break;
		c->cycles++;
		/*
		 * Unbound as long: the ring can change.  Every eighth time
		 * long enough for the grace period a set-up waits after a
		 * bind (a bind during it makes the set-up EBUSY), which under
		 * emulation is milliseconds.
		 */
		usleep(c->cycles % 8 ? 300 : 20000);
	}
	return NULL;
}

/* 9000-byte datagrams through the output hook, as fast as they go. */
static void *jumbo_sender(void *arg)
{
	struct churn *c = arg;
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(TEST_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	static uint8_t data[9000];
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int big = 64 << 20;

	if (s < 0)
		return NULL;
	setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	memset(data, 'j', sizeof(data));
	while (!c->stop) {
		if (sendto(s, data, sizeof(data), 0, (struct sockaddr *)&a,
			   sizeof(a)) == sizeof(data))
			c->sent++;
	}
	close(s);
	return NULL;
}

/*
 * One thread binds and unbinds queue 0, another sends 9000-byte UDP, and
 * this one replaces the RX ring between 16 KiB frames and 4 KiB frames
 * whenever no queue is bound, maps it and checks every frame the kernel
 * publishes: a VALID frame's message must fit its frame.  (A message sized
 * for the old frames, written into the new ones, showed as a VALID frame
 * with nm_len beyond its frame, and wrote past it.)
 */
TEST_F_TIMEOUT(edges, message_fits_its_frame_while_rings_change, 300)
{
	struct nl_mmap_req big = ring_req(1 << 16, 4, 1 << 14);
	struct nl_mmap_req small = ring_req(1 << 15, 1, 1 << 12);
	struct churn c = { 0 };
	unsigned long sets = 0, frames = 0, copies = 0, bad = 0;
	pthread_t tb, ts;
	bool widened;
	double end;
	int i;

	c.fd = open(NFQRING_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, c.fd);
	widened = race_delay("2000,2000,2000,0");
	TH_LOG("race windows %s", widened ? "widened to 2 ms (test build)" : "as they are");
	ASSERT_EQ(0, pthread_create(&tb, NULL, binder, &c));
	ASSERT_EQ(0, pthread_create(&ts, NULL, jumbo_sender, &c));

	end = now_s() + (widened ? 20 : 8);
	for (i = 0; now_s() < end && bad == 0; i++) {
		struct nl_mmap_req *req = i % 2 ? &small : &big;
		struct tring r = { .req = *req };
		unsigned int f, room = req->nm_frame_size - NFQRING_HDRLEN;
		double until;

		if (ioctl(c.fd, NFQRING_SET_RX_RING, req)) {
			ASSERT_EQ(EBUSY, errno);
			usleep(100);
			continue;
		}
		sets++;
		r.base = mmap(NULL, ring_bytes(req), PROT_READ | PROT_WRITE,
			      MAP_SHARED, c.fd, 0);
		ASSERT_NE(MAP_FAILED, r.base);
		until = now_s() + 0.02;
		do {
			for (f = 0; f < req->nm_frame_nr; f++) {
				struct nl_mmap_hdr *h = ring_frame(&r, f);
				unsigned int st = frame_status(h);

				if (st == NFQRING_STATUS_VALID) {
					frames++;
					if (h->nm_len > room) {
						bad++;
						TH_LOG("frame %u of %u-byte frames: VALID with nm_len %u > %u",
						       f, req->nm_frame_size, h->nm_len, room);
					}
				} else if (st == NFQRING_STATUS_COPY) {
					copies++;
				} else {
					continue;
				}
				frame_release(h, NFQRING_STATUS_UNUSED);
			}
		} while (now_s() < until);
		munmap(r.base, ring_bytes(req));
	}
	c.stop = true;
	pthread_join(tb, NULL);
	pthread_join(ts, NULL);
	race_delay("0,0,0,0");
	TH_LOG("%lu ring changes, %lu bind cycles, %lu sent, %lu VALID, %lu COPY",
	       sets, c.cycles, c.sent, frames, copies);
	EXPECT_EQ(0u, bad);
	EXPECT_LE(4u, sets);
	close(c.fd);
}

/* --- finding 2: ring order and ids across the wrap --- */

/*
 * 251 frames (nfqringd's default geometry gives such counts): 800 packets
 * read strictly in ring order, (i + 1) % 251 as every consumer does, ids
 * consecutive (across 2^32 in the test build, skipping 0).
 */
TEST_F_TIMEOUT(edges, ring_order_holds_across_the_wrap, 120)
{
	struct tep ep;
	unsigned int cursor = 0, round, k;
	uint32_t expect = ID(1), last = 0;
	struct tpkt p;

	ASSERT_EQ(0, tep_open(&ep));
	ASSERT_EQ(0, tep_rings(&ep, ring_req(4096, 251, 4096), ring_req(4096, 1, 4096)));
	ASSERT_EQ(251u, ep.rx.req.nm_frame_nr);
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	for (round = 0; round < 8; round++) {
		ASSERT_EQ(0, udp_send(100, 64));
		for (k = 0; k < 100; k++) {
			struct nl_mmap_hdr *h = ring_frame(&ep.rx, cursor);

			ASSERT_EQ(NFQRING_STATUS_VALID, frame_wait(&ep, cursor, 2000)) {
				TH_LOG("round %u packet %u: frame %u never became ready",
				       round, k, cursor);
			}
			ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
			EXPECT_EQ(expect, p.id);
			EXPECT_NE(0u, p.id);
			last = p.id;
			expect = id_add(p.id, 1);
			frame_release(h, NFQRING_STATUS_UNUSED);
			cursor = (cursor + 1) % 251;
		}
		ASSERT_EQ(0, tep_send(&ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						       0, last, NF_ACCEPT)));
		ASSERT_EQ(100, udp_count(self->rcv, 20));
	}
	tep_close(&ep);
}

/*
 * Through read() alone (no RX ring), every packet is marked seen when it is
 * read, so a batch up to the last id releases them all: across the wrap
 * too (a packet whose id was 0 looked like an acknowledgment and was never
 * marked seen).
 */
TEST_F_TIMEOUT(edges, read_backlog_ids_across_the_wrap, 120)
{
	struct tep ep;
	struct tpkt p;
	uint32_t expect = ID(1);
	int i, n;

	ASSERT_EQ(0, tep_open(&ep));
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	for (i = 0; i < 300; i++) {
		if (i % 100 == 0)
			ASSERT_EQ(0, udp_send(100, 64));
		n = read(ep.fd, self->buf, sizeof(self->buf));
		ASSERT_LT(0, n);
		ASSERT_EQ(0, tpkt_parse(self->buf, n, &p));
		ASSERT_EQ(expect, p.id);
		ASSERT_NE(0u, p.id);
		expect = id_add(expect, 1);
	}
	EXPECT_EQ(0, tep_send(&ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
					       p.id, NF_ACCEPT)));
	EXPECT_EQ(300, udp_count(self->rcv, 50));
	tep_close(&ep);
}

/* --- finding 3: the kernel's view of the ring stays within the ring --- */

/*
 * A consumer that never calls poll() (it finds its frames ready) takes 25
 * packets through an 8-frame ring and keeps the last frame: the ring holds
 * one frame in use, never more than 8, whatever the kernel walked before.
 */
TEST_F(edges, rx_in_use_is_bounded_by_the_ring)
{
	unsigned int cursor = 0, nr = 0, sent = 0, k, batch;
	struct nl_mmap_hdr *h = NULL;
	struct tep ep;
	struct tpkt p;
	long in_use;
	struct pollfd pfd;

	ASSERT_EQ(0, tep_open(&ep));
	ASSERT_EQ(0, tep_rings(&ep, ring_req(4096, 1, 512), ring_req(4096, 1, 4096)));
	ASSERT_EQ(8u, ep.rx.req.nm_frame_nr);
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	while (sent < 25) {
		batch = sent + 8 <= 24 ? 8 : 25 - sent;
		ASSERT_EQ(0, udp_send(batch, 64));
		for (k = 0; k < batch; k++) {
			h = ring_frame(&ep.rx, cursor);
			ASSERT_EQ(NFQRING_STATUS_VALID, frame_wait(&ep, cursor, 2000));
			ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
			cursor = (cursor + 1) % 8;
			if (sent + k + 1 < 25)
				frame_release(h, NFQRING_STATUS_UNUSED);
		}
		sent += batch;
		ASSERT_EQ(0, tep_send(&ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						       0, p.id, NF_ACCEPT)));
	}
	in_use = proc_rx_in_use(0, &nr);
	TH_LOG("rx_in_use %ld of %u frames", in_use, nr);
	EXPECT_EQ(8u, nr);
	EXPECT_EQ(1, in_use);
	/* poll() sees the kept frame, and nothing after its release */
	pfd = (struct pollfd){ .fd = ep.fd, .events = POLLIN };
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	frame_release(h, NFQRING_STATUS_UNUSED);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(0, proc_rx_in_use(0, NULL));
	EXPECT_EQ(25, udp_count(self->rcv, 50));
	tep_close(&ep);
}

static void *send_one(void *arg)
{
	(void)arg;
	udp_send(1, 64);
	return NULL;
}

/*
 * A full ring whose held head frame is released while an enqueue is
 * between looking at the tail and taking the head (the test build widens
 * that window): the packet is an overrun, and the ring never counts more
 * frames in use than it has.
 */
TEST_F(edges, full_ring_stays_full_when_released_meanwhile)
{
	unsigned int k, user_dropped = 0;
	struct tep ep;
	pthread_t t;
	long in_use;

	ASSERT_EQ(0, tep_open(&ep));
	ASSERT_EQ(0, tep_rings(&ep, ring_req(4096, 1, 512), ring_req(4096, 1, 4096)));
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	ASSERT_EQ(0, udp_send(8, 64));
	for (k = 0; k < 8; k++)		/* all eight held */
		ASSERT_EQ(NFQRING_STATUS_VALID, frame_wait(&ep, k, 2000));
	if (!race_delay("0,0,0,40000"))
		SKIP(return, "the window needs the test build (make module-test)");
	ASSERT_EQ(0, pthread_create(&t, NULL, send_one, NULL));
	usleep(15000);
	frame_release(ring_frame(&ep.rx, 0), NFQRING_STATUS_UNUSED);
	pthread_join(t, NULL);
	race_delay("0,0,0,0");
	in_use = proc_rx_in_use(0, NULL);
	ASSERT_EQ(0, proc_queue(0, NULL, NULL, &user_dropped, NULL));
	TH_LOG("rx_in_use %ld of 8, %u overrun", in_use, user_dropped);
	EXPECT_GE(8, in_use);
	tep_close(&ep);
}

/* --- finding 4: the read() backlog is charged to the opener's cgroup --- */

static long cg_long(const char *cg, const char *file, const char *key)
{
	char path[256], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!key) {
			v = atol(line);
			break;
		}
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ' ') {
			v = atol(line + strlen(key) + 1);
			break;
		}
	}
	fclose(f);
	return v;
}

static int cg_write(const char *cg, const char *file, const char *value)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(value, f);
	return fclose(f);
}

/* Moves this process into @cg ("" for the root). */
static int cg_enter(const char *cg)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	return cg_write(*cg ? cg : "/sys/fs/cgroup", "cgroup.procs", pid);
}

static int cg_make(const char *cg, const char *max)
{
	if (system("grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null"))
		return -1;
	if (system("echo +memory > /sys/fs/cgroup/cgroup.subtree_control"))
		return -1;
	rmdir(cg);
	if (mkdir(cg, 0755))
		return -1;
	return max ? cg_write(cg, "memory.max", max) : 0;
}

/* 60,000-byte datagrams to @port. */
static int udp_send_big(uint16_t port, int n)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	static uint8_t data[60000];
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), i;
	int big = 256 << 20;

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	for (i = 0; i < n; i++)
		sendto(s, data, sizeof(data), 0, (struct sockaddr *)&a, sizeof(a));
	close(s);
	return 0;
}

/*
 * An endpoint opened in a cgroup: the messages waiting for its read() are
 * that cgroup's memory (and no longer once they are gone), even though the
 * packets that made them were sent from elsewhere.
 */
TEST_F_TIMEOUT(edges, backlog_is_charged_to_the_opener, 120)
{
	const char *cg = "/sys/fs/cgroup/nfqr-backlog";
	struct nfqring_stats st;
	long before, after, freed;
	struct tep ep;

	if (cg_make(cg, NULL))
		SKIP(return, "no cgroup2 memory controller");
	ASSERT_EQ(0, cg_enter(cg));
	ASSERT_EQ(0, tep_open(&ep));
	ASSERT_EQ(0, cg_enter(""));
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	ASSERT_EQ(0, tep_send(&ep, msg_cfg_u32(self->buf, 0, NFQA_CFG_QUEUE_MAXLEN, 10000)));

	before = cg_long(cg, "memory.current", NULL);
	ASSERT_EQ(0, udp_send_big(TEST_PORT, 100));
	after = cg_long(cg, "memory.current", NULL);
	ASSERT_EQ(0, ioctl(ep.fd, NFQRING_GET_STATS, &st));
	TH_LOG("backlog %u bytes in %llu messages; memory.current %ld -> %ld",
	       st.backlog_bytes, (unsigned long long)st.backlog_msgs, before, after);
	EXPECT_LT(5u << 20, st.backlog_bytes);
	EXPECT_LE(before + (long)st.backlog_bytes * 9 / 10, after);
	tep_close(&ep);
	freed = cg_long(cg, "memory.current", NULL);
	TH_LOG("after close: %ld", freed);
	EXPECT_GT(before + (1l << 20), freed);
	rmdir(cg);
}

/* UDP to TEST_PORT queued at the input hook: on loopback, in NET_RX softirq. */
static int nft_queue_udp_input(void)
{
	char rules[512];

	snprintf(rules, sizeof(rules),
		 "flush ruleset\n"
		 "table inet t {\n"
		 "  chain in { type filter hook input priority 0;\n"
		 "    udp dport %d queue num 0\n  }\n"
		 "}\n", TEST_PORT);
	return nft(rules);
}

/*
 * Packets queued beyond the records a queue takes at bind time get records
 * allocated as they come: those are the binder's memory, not nobody's,
 * whether the packet is queued in the sender's task (hook output) or in
 * softirq (hook input).  The ring (set up before the count starts) holds
 * every packet, so nothing else is allocated for the endpoint meanwhile.
 * With @full, memory.max leaves room for a quarter of the records: the
 * others are charged past it, as socket memory is in softirq, and not one
 * packet is lost to the limit; the overshoot is the records' and no more.
 */
static void records_in_a_cgroup(struct __test_metadata *_metadata, char *buf,
				const char *cg, bool input, bool full)
{
	long page = sysconf(_SC_PAGESIZE);
	long before, after, max = 0, peak = 0, events = 0;
	struct nfqring_stats st;
	struct tep ep;
	char lim[32];
	int n = 12000;

	if (cg_make(cg, NULL))
		SKIP(return, "no cgroup2 memory controller");
	if (input)
		ASSERT_EQ(0, nft_queue_udp_input());
	ASSERT_EQ(0, cg_enter(cg));
	ASSERT_EQ(0, tep_open(&ep));
	ASSERT_EQ(0, tep_rings(&ep, ring_req(page, 16384 / (page / 512), 512), ring_req(0, 0, 0)));
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	ASSERT_EQ(0, tep_send(&ep, msg_cfg_u32(buf, 0, NFQA_CFG_QUEUE_MAXLEN, 20000)));
	ASSERT_EQ(0, cg_enter(""));

	before = cg_long(cg, "memory.current", NULL);
	if (full) {
		/* the peak too: charges stocked per CPU may have gone back since */
		max = cg_long(cg, "memory.peak", NULL);
		max = (max > before ? max : before) + (long)n * 64 / 4;
		snprintf(lim, sizeof(lim), "%ld", max);
		ASSERT_EQ(0, cg_write(cg, "memory.max", lim));
		events = cg_long(cg, "memory.events", "max");
	}
	ASSERT_EQ(0, udp_send(n, 16));
	after = cg_long(cg, "memory.current", NULL);
	ASSERT_EQ(0, ioctl(ep.fd, NFQRING_GET_STATS, &st));
	TH_LOG("hook %s: %llu frames, %llu to read(), alloc_failed %lld; memory.current %ld -> %ld",
	       input ? "input" : "output", (unsigned long long)st.rx_frames,
	       (unsigned long long)st.backlog_msgs, proc_stat("alloc_failed"), before, after);
	ASSERT_EQ((unsigned long long)n, (unsigned long long)st.rx_frames);
	EXPECT_EQ(0u, st.backlog_msgs);
	EXPECT_EQ(0, proc_stat("alloc_failed"));
	/* a record is 56 bytes, charged as 64 (with its cgroup pointer) */
	EXPECT_LE(before + (long)n * 40, after);
	if (full) {
		peak = cg_long(cg, "memory.peak", NULL);
		TH_LOG("memory.max %ld, memory.peak %ld; max events %ld -> %ld", max, peak,
		       events, cg_long(cg, "memory.events", "max"));
		/* the test reached the limit: charges were forced past it */
		EXPECT_LT(events, cg_long(cg, "memory.events", "max"));
		/* by the records alone: 3/4 of n, and a CPU's stocked page */
		EXPECT_GE(max + (long)n * 64 + 2 * page, peak);
	}
	tep_close(&ep);
	rmdir(cg);
}

TEST_F_TIMEOUT(edges, packet_records_are_charged_to_the_binder, 180)
{
	records_in_a_cgroup(_metadata, self->buf, "/sys/fs/cgroup/nfqr-records", false, false);
}

TEST_F_TIMEOUT(edges, packet_records_are_charged_to_the_binder_in_softirq, 180)
{
	records_in_a_cgroup(_metadata, self->buf, "/sys/fs/cgroup/nfqr-records", true, false);
}

/*
 * A binder whose cgroup is at memory.max (in real life: full of page cache
 * the kernel could reclaim) loses no packet to it.
 */
TEST_F_TIMEOUT(edges, packet_records_of_a_full_cgroup_are_queued, 180)
{
	records_in_a_cgroup(_metadata, self->buf, "/sys/fs/cgroup/nfqr-records-max", false, true);
}

TEST_F_TIMEOUT(edges, packet_records_of_a_full_cgroup_are_queued_in_softirq, 180)
{
	records_in_a_cgroup(_metadata, self->buf, "/sys/fs/cgroup/nfqr-records-max", true, true);
}

/*
 * Eight endpoints opened in a cgroup limited to 16 MiB, each fed 9 MB of
 * messages for read() (their own limit is 8 MiB each): together they stay
 * within the cgroup's limit, what does not fit is refused and counted, and
 * the kernel carries on.
 */
TEST_F_TIMEOUT(edges, small_cgroup_bounds_many_backlogs, 300)
{
	const char *cg = "/sys/fs/cgroup/nfqr-small";
	char rules[2048];
	unsigned long long held = 0, msgs = 0;
	struct nfqring_stats st;
	struct tep ep[8];
	long peak, failed0, failed;
	int i, len;

	if (cg_make(cg, "16M"))
		SKIP(return, "no cgroup2 memory controller");
	len = snprintf(rules, sizeof(rules),
		       "flush ruleset\ntable inet t {\n  chain out { type filter hook output priority 0;\n");
	for (i = 0; i < 8; i++)
		len += snprintf(rules + len, sizeof(rules) - len,
				"    udp dport %d queue num %d\n", 20000 + i, i);
	snprintf(rules + len, sizeof(rules) - len, "  }\n}\n");
	ASSERT_EQ(0, nft(rules));

	ASSERT_EQ(0, cg_enter(cg));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, tep_open(&ep[i]));
	ASSERT_EQ(0, cg_enter(""));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, tep_bind(&ep[i], i, 0xffff));
		ASSERT_EQ(0, tep_send(&ep[i], msg_cfg_u32(self->buf, i,
							  NFQA_CFG_QUEUE_MAXLEN, 10000)));
	}
	failed0 = proc_stat("alloc_failed");
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, udp_send_big(20000 + i, 150));
	peak = cg_long(cg, "memory.peak", NULL);
	failed = proc_stat("alloc_failed");
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, ioctl(ep[i].fd, NFQRING_GET_STATS, &st));
		held += st.backlog_bytes;
		msgs += st.backlog_msgs;
	}
	TH_LOG("%llu bytes in %llu messages held; %ld allocations refused; memory.peak %ld; max events %ld",
	       held, msgs, failed - failed0, peak, cg_long(cg, "memory.events", "max"));
	EXPECT_GE(16ull << 20, held);
	EXPECT_LT(0, failed - failed0);
	if (peak >= 0)
		EXPECT_GE(16l << 20, peak);
	/*
	 * Every endpoint reports its refusals once (ENOBUFS), then reads what
	 * it holds, if anything; closed, they give all the memory back.
	 */
	for (i = 0; i < 8; i++) {
		ssize_t n;

		ASSERT_EQ(0, ioctl(ep[i].fd, NFQRING_GET_STATS, &st));
		fcntl(ep[i].fd, F_SETFL, O_NONBLOCK);
		n = read(ep[i].fd, self->buf, sizeof(self->buf));
		if (n < 0 && errno == ENOBUFS)
			n = read(ep[i].fd, self->buf, sizeof(self->buf));
		if (st.backlog_msgs) {
			EXPECT_LT(0, n);
		} else {
			EXPECT_EQ(EAGAIN, errno);
		}
		tep_close(&ep[i]);
	}
	EXPECT_GT(1l << 20, cg_long(cg, "memory.current", NULL));
	rmdir(cg);
}

/*
 * What the backlog counts is the memory its messages take, and that memory
 * is the opener's cgroup's, acknowledgments included: small messages
 * (COPY_META) and acks, charged and counted within a few percent.
 */
/*
 * How much more than the bytes it is asked for the allocator may take, in
 * percent: KASAN (the debug kernel) puts its red zones and metadata around
 * every object, and memory.current counts them.
 */
static long alloc_overhead_pct(void)
{
	char path[300], line[256];
	struct utsname u;
	long pct = 150;
	FILE *f;

	if (uname(&u))
		return pct;
	/* Debian's kernels have the first, the debug kernel the second */
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "r");
	if (!f) {
		snprintf(path, sizeof(path), "/lib/modules/%s/build/.config", u.release);
		f = fopen(path, "r");
	}
	if (!f)
		return pct;
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, "CONFIG_KASAN=y\n"))
			pct = 300;
	fclose(f);
	return pct;
}

TEST_F_TIMEOUT(edges, backlog_counts_the_memory_it_takes, 300)
{
	long pct = alloc_overhead_pct();
	const char *cg = "/sys/fs/cgroup/nfqr-backlog-mem";
	struct nfqring_stats st;
	long before, mid, after;
	char msgs[100 * 64];
	struct nlmsghdr *nlh;
	size_t len = 0;
	struct tep ep;
	int i;

	if (cg_make(cg, NULL))
		SKIP(return, "no cgroup2 memory controller");
	ASSERT_EQ(0, cg_enter(cg));
	ASSERT_EQ(0, tep_open(&ep));
	ASSERT_EQ(0, cg_enter(""));
	ASSERT_EQ(0, tep_send(&ep, msg_cmd(self->buf, 0, NFQNL_CFG_CMD_BIND)));
	ASSERT_EQ(0, tep_send(&ep, msg_params(self->buf, 0, NFQNL_COPY_META, 0)));
	ASSERT_EQ(0, tep_send(&ep, msg_cfg_u32(self->buf, 0, NFQA_CFG_QUEUE_MAXLEN, 20000)));

	before = cg_long(cg, "memory.current", NULL);
	ASSERT_EQ(0, udp_send(12000, 1));
	mid = cg_long(cg, "memory.current", NULL);
	ASSERT_EQ(0, ioctl(ep.fd, NFQRING_GET_STATS, &st));
	TH_LOG("%llu META messages: backlog %u bytes, memory.current %ld -> %ld",
	       (unsigned long long)st.backlog_msgs, st.backlog_bytes, before, mid);
	EXPECT_EQ(12000u, st.backlog_msgs);
	EXPECT_LE((long)st.backlog_bytes * 8 / 10, mid - before);
	EXPECT_GE((long)st.backlog_bytes * pct / 100, mid - before);

	/* acknowledgments asked for from another cgroup: still the opener's */
	for (i = 0; i < 100; i++) {
		nlh = msg_cmd(msgs + len, 0, NFQNL_CFG_CMD_PF_BIND);
		nlh->nlmsg_flags |= NLM_F_ACK;
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	for (i = 0; i < 120; i++)
		ASSERT_EQ((ssize_t)len, write(ep.fd, msgs, len));
	after = cg_long(cg, "memory.current", NULL);
	ASSERT_EQ(0, ioctl(ep.fd, NFQRING_GET_STATS, &st));
	TH_LOG("and 12000 acks: backlog %u bytes, memory.current %ld", st.backlog_bytes, after);
	EXPECT_EQ(24000u, st.backlog_msgs);
	EXPECT_LE((long)st.backlog_bytes * 8 / 10, after - before);
	EXPECT_GE((long)st.backlog_bytes * pct / 100, after - before);
	tep_close(&ep);
	EXPECT_GT(before + (1l << 20), cg_long(cg, "memory.current", NULL));
	rmdir(cg);
}

/*
 * A message the cgroup refuses is a refusal like a full backlog: with
 * FAIL_OPEN the packet passes at once; without, it is counted in
 * queue_user_dropped and backlog_drops and read() says ENOBUFS once.
 */
TEST_F_TIMEOUT(edges, cgroup_refusal_is_a_counted_refusal, 300)
{
	const char *cg = "/sys/fs/cgroup/nfqr-refuse";
	unsigned int total = 0, user_dropped = 0, round;
	struct nfqring_stats st;
	struct tep ep;
	int now, n;

	if (cg_make(cg, "6M"))
		SKIP(return, "no cgroup2 memory controller");
	for (round = 0; round < 2; round++) {
		bool fail_open = round == 0;

		ASSERT_EQ(0, cg_enter(cg));
		ASSERT_EQ(0, tep_open(&ep));
		ASSERT_EQ(0, cg_enter(""));
		ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
		ASSERT_EQ(0, tep_send(&ep, msg_cfg_u32(self->buf, 0, NFQA_CFG_QUEUE_MAXLEN, 10000)));
		if (fail_open)
			ASSERT_EQ(0, tep_send(&ep, msg_flags(self->buf, 0, NFQA_CFG_F_FAIL_OPEN,
							     NFQA_CFG_F_FAIL_OPEN)));
		ASSERT_EQ(0, udp_send_big(TEST_PORT, 150));	/* 9 MB */
		now = udp_count(self->rcv, 50);
		ASSERT_EQ(0, ioctl(ep.fd, NFQRING_GET_STATS, &st));
		ASSERT_EQ(0, proc_queue(0, &total, NULL, &user_dropped, NULL));
		TH_LOG("%s: %u queued, %d passed at once, %u user-dropped, %llu backlog drops",
		       fail_open ? "fail-open" : "closed", total, now, user_dropped,
		       (unsigned long long)st.backlog_drops);
		EXPECT_LT(0u, st.backlog_drops);
		EXPECT_EQ(150u, total + (fail_open ? (unsigned int)now : user_dropped));
		EXPECT_EQ(fail_open ? 0u : st.backlog_drops, user_dropped);
		if (!fail_open) {
			EXPECT_EQ(0, now);
			n = read(ep.fd, self->buf, sizeof(self->buf));
			EXPECT_EQ(-1, n);
			EXPECT_EQ(ENOBUFS, errno);
		}
		tep_close(&ep);
	}
	rmdir(cg);
}

/* --- finding 5: "seen" belongs to a binding --- */

/*
 * A message of queue 0's old binding, still in the read() backlog after
 * UNBIND and BIND, says nothing about the new binding's packet that has
 * the same id: a batch verdict must not release that packet unread.
 */
TEST_F(edges, stale_message_does_not_release_a_new_binding)
{
	struct tep ep;
	struct tpkt p;
	int n;

	ASSERT_EQ(0, tep_open(&ep));
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	ASSERT_EQ(0, udp_send(1, 64));
	ASSERT_EQ(0, tep_send(&ep, msg_cmd(self->buf, 0, NFQNL_CFG_CMD_UNBIND)));
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	ASSERT_EQ(0, udp_send(1, 64));

	/* the old binding's message first; same queue, same id */
	n = read(ep.fd, self->buf, sizeof(self->buf));
	ASSERT_LT(0, n);
	ASSERT_EQ(0, tpkt_parse(self->buf, n, &p));
	EXPECT_EQ(ID(1), p.id);
	EXPECT_EQ(-ENOENT, tep_send(&ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						     p.id, NF_ACCEPT)));
	EXPECT_EQ(0, udp_count(self->rcv, 50));

	/* the new binding's own message, then the batch releases it */
	n = read(ep.fd, self->buf, sizeof(self->buf));
	ASSERT_LT(0, n);
	ASSERT_EQ(0, tpkt_parse(self->buf, n, &p));
	EXPECT_EQ(ID(1), p.id);
	EXPECT_EQ(0, tep_send(&ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
					       p.id, NF_ACCEPT)));
	EXPECT_EQ(1, udp_count(self->rcv, 50));
	tep_close(&ep);
}

/*
 * Bytes past the end of the attribute at @off in @msg up to its 4-byte
 * alignment, bounded by @len: the first that is not zero, or -1.
 */
static int pad_byte_set(const uint8_t *msg, size_t len, size_t off)
{
	const struct nlattr *a = (const void *)(msg + off);
	size_t i;

	for (i = off + a->nla_len; i < off + NLA_ALIGN(a->nla_len) && i < len; i++)
		if (msg[i])
			return (int)i;
	return -1;
}

/*
 * Walks the attributes of the PACKET message @m (@mlen bytes, the bytes
 * after it up to @end readable) and checks each one's padding; returns
 * how many there were.
 */
static unsigned int check_pads(struct __test_metadata *_metadata, const char *where,
			       const uint8_t *m, size_t mlen, size_t end)
{
	const struct nlattr *a;
	unsigned int attrs = 0;
	size_t off;
	int bad;

	for (off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)); off + NLA_HDRLEN <= mlen;
	     off += NLA_ALIGN(a->nla_len), attrs++) {
		a = (const void *)(m + off);
		EXPECT_LE(NLA_HDRLEN, a->nla_len) {
			TH_LOG("%s: attribute %u: nla_len %u", where, attrs, a->nla_len);
		}
		if (a->nla_len < NLA_HDRLEN)
			break;
		bad = pad_byte_set(m, end, off);
		EXPECT_EQ(-1, bad) {
			TH_LOG("%s: attribute %u (type %u) has padding byte %d = 0x%02x", where,
			       attrs, a->nla_type, bad, m[bad]);
		}
	}
	return attrs;
}

/*
 * The padding is zeroed before the payload is written, not over it: the
 * packet header's protocol and the datagram's bytes (udp_send(): its
 * number, 0, then 'x's) are intact.
 */
static void check_content(struct __test_metadata *_metadata, const uint8_t *m,
			  const struct tpkt *p, size_t udp_len)
{
	struct nfqnl_msg_packet_hdr ph;
	size_t i;

	memcpy(&ph, m + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)) + NLA_HDRLEN,
	       sizeof(ph));
	EXPECT_EQ(htons(ETH_P_IP), ph.hw_protocol);
	ASSERT_EQ(28 + udp_len, p->payload_len);
	for (i = 0; i < udp_len; i++)
		EXPECT_EQ(i < 4 ? 0 : 'x', p->payload[28 + i]);
}

/*
 * Every attribute's alignment padding is zero: PACKET_HDR's (7 bytes of
 * payload: 1) and the payload's (33-36 bytes: 3, 2, 1 and none), whatever
 * the frame held before (userspace may write anything into a frame it
 * owns); the frame is checked up to the payload's aligned end, past
 * nlmsg_len.  Also for the message read() returns, from a kernel buffer:
 * on kernels that zero allocations (init_on_alloc, Debian's default) that
 * half cannot fail, elsewhere stale padding there would be a leak.
 */
TEST_F(edges, attribute_padding_is_zero)
{
	struct nl_mmap_hdr *h;
	unsigned int i, k;
	struct tep ep;
	const uint8_t *m;
	struct tpkt p;
	size_t len;
	int n;

	ASSERT_EQ(0, tep_open(&ep));
	ASSERT_EQ(0, tep_rings(&ep, ring_req(4096, 4, 2048), ring_req(4096, 1, 4096)));
	for (i = 0; i < ep.rx.req.nm_frame_nr; i++)
		memset((uint8_t *)ring_frame(&ep.rx, i) + NFQRING_HDRLEN, 0xa5,
		       2048 - NFQRING_HDRLEN);
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	for (k = 0, len = 5; len <= 8; k++, len++) {
		ASSERT_EQ(0, udp_send(1, len));
		ASSERT_EQ(NFQRING_STATUS_VALID, frame_wait(&ep, k, 2000));
		h = ring_frame(&ep.rx, k);
		m = (const uint8_t *)h + NFQRING_HDRLEN;
		ASSERT_EQ(0, tpkt_parse(m, h->nm_len, &p));
		check_content(_metadata, m, &p, len);
		/* the payload is last: its padding follows nlmsg_len */
		EXPECT_LE(3u, check_pads(_metadata, "ring", m, h->nm_len,
					 NLA_ALIGN(h->nm_len)));
		frame_release(h, NFQRING_STATUS_UNUSED);
		ASSERT_EQ(0, tep_send(&ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0, p.id,
						       NF_ACCEPT)));
		EXPECT_EQ(1, udp_count(self->rcv, 50));
	}
	tep_close(&ep);

	ASSERT_EQ(0, tep_open(&ep));
	ASSERT_EQ(0, tep_bind(&ep, 0, 0xffff));
	memset(self->buf, 0xa5, sizeof(self->buf));
	ASSERT_EQ(0, udp_send(1, 5));
	n = read(ep.fd, self->buf, sizeof(self->buf));
	ASSERT_LT(0, n);
	m = (const uint8_t *)self->buf;
	ASSERT_EQ(0, tpkt_parse(m, n, &p));
	check_content(_metadata, m, &p, 5);
	EXPECT_LE(3u, check_pads(_metadata, "read()", m, n, n));
	ASSERT_EQ(0, tep_send(&ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0, p.id, NF_ACCEPT)));
	EXPECT_EQ(1, udp_count(self->rcv, 50));
	tep_close(&ep);
}

TEST_HARNESS_MAIN
