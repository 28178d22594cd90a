// SPDX-License-Identifier: GPL-2.0
/*
 * old_nfq_mmap: an NFQUEUE consumer written the way programs were written
 * for the netlink mmap API of Linux 3.10-4.5, against <linux/netlink.h> and
 * <linux/netfilter/nfnetlink_queue.h> alone: one NETLINK_NETFILTER socket,
 * an RX and a TX ring set with setsockopt(SOL_NETLINK), one mmap() of both,
 * BIND and PARAMS configuration acknowledged, poll(), VALID frames read in
 * place, COPY frames through recv(), verdicts written into TX frames and
 * sent with sendto(fd, NULL, 0).  As 4.5 required of a socket with an RX
 * ring, every message - packets, acknowledgments, errors - comes through
 * the ring: built in a VALID frame, or, too big for one, announced by a
 * COPY frame and read with recv() then, and only then (the loop of
 * Documentation/networking/netlink_mmap.txt).  It knows nothing of nfqring: run it under
 * nfqring-nlmmap(1).
 *
 *   old_nfq_mmap [-q QUEUE]... [-c COUNT] [-f FRAME_SIZE] [-n FRAMES] [-b] [-t SECONDS]
 *       judges COUNT packets (default 100) of the queues (default 0): UDP
 *       datagrams whose first four payload bytes (a sequence number, network
 *       order) are odd are dropped, everything else accepted; -b answers the
 *       accepted ones with one VERDICT_BATCH per queue and flush.  Prints
 *       "ready" once bound, then "judged N accepted A dropped D copy C
 *       batches B errors E".  Exit 0 when COUNT were judged without error.
 *   old_nfq_mmap -e
 *       the transport's error semantics of 4.5 (TAP lines); -E the same
 *       without the check that needs a second, plain netlink socket binding
 *       a queue (for the host tests, whose kernel must not be asked).
 * Exit 3 when the kernel has no rings (ENOPROTOOPT).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef NF_DROP
#define NF_DROP		0
#define NF_ACCEPT	1
#endif

struct ring {
	unsigned char *base;
	unsigned int block_size, frame_size, frame_nr, per_block, head;
};

static int fd;
static struct ring rx, tx;
static size_t map_len;
static uint32_t seq = 1;
static struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
static unsigned long judged, accepted, dropped, copied, batches, errors, acks_in_frames;
static bool batch_mode;
#define MAXQ 4
static uint16_t queues[MAXQ];
static int nqueues;
static uint32_t last_id[MAXQ];
static bool pending_batch[MAXQ];
static unsigned char buf[1 << 17];

static struct nl_mmap_hdr *frame(struct ring *r, unsigned int i)
{
	return (void *)(r->base + (i / r->per_block) * r->block_size + (i % r->per_block) * r->frame_size);
}

static int set_ring(int opt, struct ring *r, unsigned int frame_size, unsigned int frames)
{
	struct nl_mmap_req req;

	r->frame_size = frame_size;
	r->block_size = 16384;
	while (r->block_size < frame_size)
		r->block_size += 4096;
	r->per_block = r->block_size / frame_size;
	req.nm_block_size = r->block_size;
	req.nm_frame_size = frame_size;
	req.nm_block_nr = (frames + r->per_block - 1) / r->per_block;
	req.nm_frame_nr = req.nm_block_nr * r->per_block;
	r->frame_nr = req.nm_frame_nr;
	return setsockopt(fd, SOL_NETLINK, opt, &req, sizeof(req));
}

static void *put_hdr(void *b, uint16_t type, uint16_t flags, uint16_t queue)
{
	struct nlmsghdr *nlh = b;
	struct nfgenmsg *g = NLMSG_DATA(nlh);

	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*g));
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq++;
	nlh->nlmsg_pid = 0;
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(queue);
	return nlh;
}

static void put_attr(struct nlmsghdr *nlh, uint16_t type, const void *data, uint16_t len)
{
	struct nlattr *a = (void *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

static void handle(const struct nlmsghdr *nlh, size_t len);

/* The socket with the rings (wait_ack() on another one reads with recv()). */
static int ring_fd = -1;

/* The acknowledgment the ring walk looks for (seq 0: none), and its error. */
static uint32_t ack_seq;
static bool ack_got;
static int ack_err;

/* A message from a frame or from recv(): the awaited acknowledgment, or
 * anything else for handle(). */
static void take(const struct nlmsghdr *nlh, size_t len)
{
	if (len >= NLMSG_HDRLEN && nlh->nlmsg_type == NLMSG_ERROR)
		acks_in_frames++;	/* with an RX ring every message has a frame */
	if (ack_seq && len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
	    nlh->nlmsg_type == NLMSG_ERROR && nlh->nlmsg_seq == ack_seq) {
		ack_err = ((const struct nlmsgerr *)NLMSG_DATA(nlh))->error;
		ack_got = true;
		return;
	}
	handle(nlh, len);
}

/* Every frame that is ready, in ring order; the number taken. */
static int rx_burst(void)
{
	int n = 0;

	for (;;) {
		struct nl_mmap_hdr *h = frame(&rx, rx.head);
		unsigned int status = __atomic_load_n(&h->nm_status, __ATOMIC_ACQUIRE);

		if (status == NL_MMAP_STATUS_VALID) {
			if (h->nm_len)	/* 0: a frame the kernel could not fill */
				take((const void *)((unsigned char *)h + NL_MMAP_HDRLEN), h->nm_len);
		} else if (status == NL_MMAP_STATUS_COPY) {
			/* its message waits in the socket's receive queue */
			ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (r < 0) {
				fprintf(stderr, "old_nfq_mmap: recv for a COPY frame: %s\n", strerror(errno));
				errors++;
			} else {
				if (((const struct nlmsghdr *)buf)->nlmsg_type != NLMSG_ERROR)
					copied++;	/* a packet too big for its frame */
				take((const void *)buf, (size_t)r);
			}
		} else {
			break;
		}
		__atomic_store_n(&h->nm_status, NL_MMAP_STATUS_UNUSED, __ATOMIC_RELEASE);
		rx.head = (rx.head + 1) % rx.frame_nr;
		n++;
	}
	return n;
}

/* Waits for the acknowledgment of seq s, walking the RX ring (where it
 * comes as a COPY frame): its error (0: done), or -ETIMEDOUT. */
static int wait_ack(uint32_t s)
{
	ack_seq = s;
	ack_got = false;
	for (int tries = 0; tries < 50 && !ack_got; tries++) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (fd == ring_fd) {
			if (rx_burst() || ack_got)
				continue;
			poll(&p, 1, 100);
		} else if (poll(&p, 1, 100) > 0) {
			/* a plain netlink socket (no rings): recv() */
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			for (struct nlmsghdr *h = (void *)buf; n > 0 && NLMSG_OK(h, (size_t)n);
			     h = NLMSG_NEXT(h, n))
				take(h, (size_t)h->nlmsg_len);
		}
	}
	ack_seq = 0;
	return ack_got ? ack_err : -ETIMEDOUT;
}

static int config_cmd(uint16_t queue, uint8_t cmd, uint16_t pf)
{
	unsigned char m[64] = { 0 };
	struct nfqnl_msg_config_cmd c = { .command = cmd, .pf = htons(pf) };
	struct nlmsghdr *nlh = put_hdr(m, NFQNL_MSG_CONFIG, NLM_F_ACK, queue);

	put_attr(nlh, NFQA_CFG_CMD, &c, sizeof(c));
	if (sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return wait_ack(nlh->nlmsg_seq);
}

static int config_params(uint16_t queue)
{
	unsigned char m[64] = { 0 };
	struct nfqnl_msg_config_params p = { .copy_range = htonl(0xffff), .copy_mode = NFQNL_COPY_PACKET };
	struct nlmsghdr *nlh = put_hdr(m, NFQNL_MSG_CONFIG, NLM_F_ACK, queue);

	put_attr(nlh, NFQA_CFG_PARAMS, &p, sizeof(p));
	if (sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return wait_ack(nlh->nlmsg_seq);
}

/* Makes the next TX frame VALID with msg; flushes when the ring is full. */
static int tx_put(const struct nlmsghdr *msg)
{
	struct nl_mmap_hdr *h = frame(&tx, tx.head);

	if (__atomic_load_n(&h->nm_status, __ATOMIC_ACQUIRE) != NL_MMAP_STATUS_UNUSED) {
		if (sendto(fd, NULL, 0, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
			return -errno;
		if (__atomic_load_n(&h->nm_status, __ATOMIC_ACQUIRE) != NL_MMAP_STATUS_UNUSED)
			return -ENOBUFS;
	}
	memcpy((unsigned char *)h + NL_MMAP_HDRLEN, msg, msg->nlmsg_len);
	h->nm_len = msg->nlmsg_len;
	__atomic_store_n(&h->nm_status, NL_MMAP_STATUS_VALID, __ATOMIC_RELEASE);
	tx.head = (tx.head + 1) % tx.frame_nr;
	return 0;
}

static int verdict(uint16_t type, uint16_t queue, uint32_t id, uint32_t v, uint16_t flags, uint32_t *s)
{
	unsigned char m[64] = { 0 };
	struct nfqnl_msg_verdict_hdr vh = { .verdict = htonl(v), .id = htonl(id) };
	struct nlmsghdr *nlh = put_hdr(m, type, flags, queue);

	put_attr(nlh, NFQA_VERDICT_HDR, &vh, sizeof(vh));
	if (s)
		*s = nlh->nlmsg_seq;
	return tx_put(nlh);
}

static int qindex(uint16_t q)
{
	for (int i = 0; i < nqueues; i++)
		if (queues[i] == q)
			return i;
	return -1;
}

/* One message from a frame or from recv(). */
static void handle(const struct nlmsghdr *nlh, size_t len)
{
	const struct nfqnl_msg_packet_hdr *ph = NULL;
	const unsigned char *payload = NULL;
	size_t plen = 0;
	const struct nfgenmsg *g = NLMSG_DATA(nlh);
	const struct nlattr *a;
	uint32_t v = NF_ACCEPT, id;
	int attrlen, qi;

	if (len < NLMSG_HDRLEN || nlh->nlmsg_len > len)
		return;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nlh);

		if (e->error) {
			errors++;
			fprintf(stderr, "old_nfq_mmap: error %d (%s) for seq %u\n", e->error,
				strerror(-e->error), nlh->nlmsg_seq);
		}
		return;
	}
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
		return;
	attrlen = (int)nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*g));
	for (a = (const void *)((const char *)g + NLMSG_ALIGN(sizeof(*g)));
	     attrlen >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= attrlen;
	     attrlen -= NLA_ALIGN(a->nla_len), a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len))) {
		if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR)
			ph = (const void *)((const char *)a + NLA_HDRLEN);
		else if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PAYLOAD) {
			payload = (const unsigned char *)a + NLA_HDRLEN;
			plen = a->nla_len - NLA_HDRLEN;
		}
	}
	if (!ph)
		return;
	id = ntohl(ph->packet_id);
	if (payload && plen >= sizeof(struct iphdr)) {
		const struct iphdr *ip = (const void *)payload;
		size_t off = ip->ihl * 4U;

		if (ip->protocol == IPPROTO_UDP && plen >= off + sizeof(struct udphdr) + 4) {
			uint32_t s;

			memcpy(&s, payload + off + sizeof(struct udphdr), 4);
			if (ntohl(s) & 1)
				v = NF_DROP;
		}
	}
	judged++;
	qi = qindex(ntohs(g->res_id));
	if (v == NF_DROP || !batch_mode || qi < 0) {
		if (verdict(NFQNL_MSG_VERDICT, ntohs(g->res_id), id, v, 0, NULL) < 0)
			errors++;
	} else {
		last_id[qi] = id;
		pending_batch[qi] = true;
	}
	if (v == NF_DROP)
		dropped++;
	else
		accepted++;
}

static void flush(void)
{
	for (int i = 0; i < nqueues; i++) {
		if (!pending_batch[i])
			continue;
		if (verdict(NFQNL_MSG_VERDICT_BATCH, queues[i], last_id[i], NF_ACCEPT, 0, NULL) < 0)
			errors++;
		pending_batch[i] = false;
	}
	if (sendto(fd, NULL, 0, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		fprintf(stderr, "old_nfq_mmap: sendto(NULL, 0): %s\n", strerror(errno));
		errors++;
	}
	batches++;
}

static int open_rings(unsigned int frame_size, unsigned int frames)
{
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("old_nfq_mmap: socket");
		exit(1);
	}
	if (set_ring(NETLINK_RX_RING, &rx, frame_size, frames) < 0) {
		fprintf(stderr, "old_nfq_mmap: setsockopt(NETLINK_RX_RING): %s\n", strerror(errno));
		exit(errno == ENOPROTOOPT ? 3 : 1);
	}
	if (set_ring(NETLINK_TX_RING, &tx, 512, 256) < 0) {
		fprintf(stderr, "old_nfq_mmap: setsockopt(NETLINK_TX_RING): %s\n", strerror(errno));
		exit(1);
	}
	map_len = (size_t)rx.block_size * (rx.frame_nr / rx.per_block) +
		  (size_t)tx.block_size * (tx.frame_nr / tx.per_block);
	rx.base = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (rx.base == MAP_FAILED) {
		perror("old_nfq_mmap: mmap");
		exit(1);
	}
	tx.base = rx.base + (size_t)rx.block_size * (rx.frame_nr / rx.per_block);
	ring_fd = fd;
	return 0;
}

/* ---- -e: the transport's errors -------------------------------------------- */

static int tap_n, tap_bad;

static void check(bool okay, const char *what, int got)
{
	printf("%sok %d - %s", okay ? "" : "not ", ++tap_n, what);
	if (!okay)
		printf(" (got %d: %s)", got, got ? strerror(got < 0 ? -got : got) : "no error");
	printf("\n");
	tap_bad += !okay;
}

static int ring_err(int opt, unsigned int bs, unsigned int bn, unsigned int fs, unsigned int fn)
{
	struct nl_mmap_req r = { bs, bn, fs, fn };

	return setsockopt(fd, SOL_NETLINK, opt, &r, sizeof(r)) < 0 ? errno : 0;
}

/* The next message on the socket: its NLMSG_ERROR error, or 1 if none came. */
static int next_error(uint32_t s)
{
	int e = wait_ack(s);

	return e == -ETIMEDOUT ? 1 : e;
}

static int error_checks(bool with_other)
{
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };
	unsigned char m[64] = { 0 };
	struct nlmsghdr *nlh;
	struct nl_mmap_hdr *h;
	uint32_t s;
	int other, e;
	void *p;

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		return 1;
	e = ring_err(NETLINK_RX_RING, 4096, 2, 2048, 4);
	if (e == ENOPROTOOPT) {
		printf("not ok 1 - no netlink mmap here: ENOPROTOOPT (run under nfqring-nlmmap)\n");
		return 3;
	}
	check(e == 0, "RX ring 2 x 4096, frames of 2048", e);
	e = ring_err(NETLINK_RX_RING, 4096, 2, 2048, 4);
	check(e == EBUSY, "RX ring again: EBUSY", e);
	e = ring_err(NETLINK_TX_RING, 4096, 1, 2046, 2);
	check(e == EINVAL, "TX frame size not 4-aligned: EINVAL", e);
	e = ring_err(NETLINK_TX_RING, 6000, 1, 2000, 3);
	check(e == EINVAL, "TX block not page aligned: EINVAL", e);
	e = ring_err(NETLINK_TX_RING, 4096, 2, 1024, 7);
	check(e == EINVAL, "TX frame count wrong: EINVAL", e);
	e = ring_err(NETLINK_TX_RING, 4096, 1, 8192, 0);
	check(e == EINVAL, "TX frame bigger than the block: EINVAL", e);
	e = ring_err(NETLINK_TX_RING, 0, 0, 0, 3);
	check(e == EINVAL, "TX tear-down with frames: EINVAL", e);
	e = ring_err(NETLINK_TX_RING, 4096, 1, 1024, 4);
	check(e == 0, "TX ring 1 x 4096, frames of 1024", e);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(p == MAP_FAILED && errno == EINVAL, "mmap of the RX ring alone: EINVAL", p == MAP_FAILED ? errno : 0);
	p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	check(p == MAP_FAILED && errno == EINVAL, "mmap at an offset: EINVAL", p == MAP_FAILED ? errno : 0);
	rx = (struct ring){ .block_size = 4096, .frame_size = 2048, .frame_nr = 4, .per_block = 2 };
	tx = (struct ring){ .block_size = 4096, .frame_size = 1024, .frame_nr = 4, .per_block = 4 };
	rx.base = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(rx.base != MAP_FAILED, "mmap of RX + TX", errno);
	if (rx.base == MAP_FAILED)
		return 1;
	tx.base = rx.base + 2 * 4096;
	ring_fd = fd;
	e = ring_err(NETLINK_RX_RING, 0, 0, 0, 0);
	check(e == EBUSY, "RX tear-down while mapped: EBUSY", e);
	e = ring_err(NETLINK_TX_RING, 4096, 1, 1024, 4);
	check(e == EBUSY, "second TX set-up while mapped: EBUSY", e);

	e = config_cmd(5, NFQNL_CFG_CMD_PF_UNBIND, AF_INET);
	check(e == 0, "PF_UNBIND (3.10 style): accepted", e);
	e = config_cmd(5, NFQNL_CFG_CMD_PF_BIND, AF_INET);
	check(e == 0, "PF_BIND (3.10 style): accepted", e);
	e = config_cmd(5, NFQNL_CFG_CMD_BIND, AF_INET);
	check(e == 0, "BIND queue 5", e);
	e = config_params(5);
	check(e == 0, "PARAMS copy packet", e);
	e = config_cmd(5, NFQNL_CFG_CMD_BIND, AF_INET);
	check(e == -EBUSY, "BIND queue 5 again: EBUSY", e);

	/* Acknowledgments take RX frames: five with a ring of four lose the
	 * last one, an overrun, which SO_ERROR reports once (4.5's sk_err). */
	{
		struct nfqnl_msg_config_params pp = { .copy_range = htonl(0xffff),
						      .copy_mode = NFQNL_COPY_PACKET };
		uint32_t first = seq;
		struct pollfd pfd = { fd, POLLIN, 0 };
		socklen_t l = sizeof(e);
		int got = 0, in_order = 1;

		for (int i = 0; i < 5; i++) {
			nlh = put_hdr(m, NFQNL_MSG_CONFIG, NLM_F_ACK, 5);
			put_attr(nlh, NFQA_CFG_PARAMS, &pp, sizeof(pp));
			sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
		}
		poll(&pfd, 1, 1000);
		/* (-E: the host tests' fake device cannot say POLLERR) */
		if (with_other)
			check(pfd.revents & POLLERR, "five acknowledgments, four RX frames: POLLERR",
			      pfd.revents);
		e = 0;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
		check(e == ENOBUFS, "... SO_ERROR: ENOBUFS", e);
		e = 0;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l);
		pfd.revents = 0;
		poll(&pfd, 1, 0);
		check(e == 0 && !(pfd.revents & POLLERR), "... once: then 0, and no POLLERR", e);
		for (;;) {
			struct nlmsghdr *a = (void *)((unsigned char *)frame(&rx, rx.head) + NL_MMAP_HDRLEN);

			h = frame(&rx, rx.head);
			if (__atomic_load_n(&h->nm_status, __ATOMIC_ACQUIRE) != NL_MMAP_STATUS_VALID)
				break;
			/* 4.5's netlink_ack() built it in the frame */
			if (h->nm_len < NLMSG_HDRLEN || a->nlmsg_type != NLMSG_ERROR ||
			    a->nlmsg_seq != first + got)
				in_order = 0;
			__atomic_store_n(&h->nm_status, NL_MMAP_STATUS_UNUSED, __ATOMIC_RELEASE);
			rx.head = (rx.head + 1) % rx.frame_nr;
			got++;
		}
		check(got == 4 && in_order, "... four frames, each with its acknowledgment, in order", got);
		e = recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 ? errno : 0;
		check(e == EAGAIN, "... the fifth was lost: nothing more to read", e);
	}

	verdict(NFQNL_MSG_VERDICT, 5, 12345, NF_ACCEPT, 0, &s);
	e = sendto(fd, NULL, 0, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0 ? errno : 0;
	check(e == 0, "verdict for no packet in a TX frame: the flush succeeds", e);
	e = next_error(s);
	check(e == -ENOENT, "... and an RX frame brings its NLMSG_ERROR: ENOENT", e);

	nlh = put_hdr(m, NFQNL_MSG_VERDICT, 0, 5);
	{
		struct nfqnl_msg_verdict_hdr vh = { .verdict = htonl(NF_ACCEPT), .id = htonl(54321) };

		put_attr(nlh, NFQA_VERDICT_HDR, &vh, sizeof(vh));
	}
	e = sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) == (ssize_t)nlh->nlmsg_len ? 0 : errno;
	check(e == 0, "verdict for no packet by sendto(), no NLM_F_ACK: sent", e);
	e = next_error(nlh->nlmsg_seq);
	check(e == -ENOENT, "... and an RX frame brings its NLMSG_ERROR anyway: ENOENT", e);

	h = frame(&tx, tx.head);
	h->nm_len = tx.frame_size;	/* more than the frame holds */
	__atomic_store_n(&h->nm_status, NL_MMAP_STATUS_VALID, __ATOMIC_RELEASE);
	e = sendto(fd, NULL, 0, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0 ? errno : 0;
	check(e == EINVAL, "a TX frame with nm_len beyond the frame: EINVAL", e);
	tx.head = (tx.head + 1) % tx.frame_nr;

	e = config_cmd(5, NFQNL_CFG_CMD_UNBIND, AF_INET);
	check(e == 0, "UNBIND queue 5", e);
	e = config_cmd(5, NFQNL_CFG_CMD_UNBIND, AF_INET);
	check(e == -ENODEV, "UNBIND queue 5 again: ENODEV", e);

	/* a queue another socket (plain netlink, no rings) holds */
	if (with_other) {
		other = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
		bind(other, (struct sockaddr *)&me, sizeof(me));
		{
			int keep = fd;

			fd = other;
			e = config_cmd(6, NFQNL_CFG_CMD_BIND, AF_INET);
			fd = keep;
		}
		check(e == 0, "another socket binds queue 6 over netlink", e);
		e = config_cmd(6, NFQNL_CFG_CMD_BIND, AF_INET);
		check(e == -EPERM, "BIND queue 6 through the rings: EPERM", e);
		close(other);
	}

	munmap(rx.base, 3 * 4096);
	e = ring_err(NETLINK_RX_RING, 0, 0, 0, 0);
	check(e == 0, "RX tear-down after munmap", e);
	e = ring_err(NETLINK_TX_RING, 0, 0, 0, 0);
	check(e == 0, "TX tear-down after munmap", e);
	close(fd);
	printf("1..%d\n", tap_n);
	return tap_bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long count = 100;
	unsigned int frame_size = 4096, frames = 256, timeout = 30;
	time_t start;
	int c;

	while ((c = getopt(argc, argv, "q:c:f:n:bt:eE")) != -1) {
		switch (c) {
		case 'q':
			if (nqueues < MAXQ)
				queues[nqueues++] = (uint16_t)atoi(optarg);
			break;
		case 'c': count = strtoul(optarg, NULL, 0); break;
		case 'f': frame_size = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'n': frames = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'b': batch_mode = true; break;
		case 't': timeout = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'e': return error_checks(true);
		case 'E': return error_checks(false);
		default:
			fprintf(stderr, "usage: old_nfq_mmap [-q QUEUE]... [-c COUNT] [-f FRAME_SIZE] [-n FRAMES] [-b] [-t SECONDS] | -e | -E\n");
			return 2;
		}
	}
	if (!nqueues)
		queues[nqueues++] = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	open_rings(frame_size, frames);
	if (config_cmd(0, NFQNL_CFG_CMD_PF_UNBIND, AF_INET) || config_cmd(0, NFQNL_CFG_CMD_PF_BIND, AF_INET)) {
		fprintf(stderr, "old_nfq_mmap: PF_UNBIND/PF_BIND refused\n");
		return 1;
	}
	for (int i = 0; i < nqueues; i++) {
		int e = config_cmd(queues[i], NFQNL_CFG_CMD_BIND, AF_INET);

		if (!e)
			e = config_params(queues[i]);
		if (e) {
			fprintf(stderr, "old_nfq_mmap: queue %u: %s\n", queues[i], strerror(-e));
			return 1;
		}
	}
	printf("ready\n");

	start = time(NULL);
	while (judged < count && time(NULL) - start < (time_t)timeout) {
		struct pollfd p = { fd, POLLIN | POLLERR, 0 };

		if (rx_burst()) {
			flush();
			continue;
		}
		if (poll(&p, 1, 200) <= 0)
			continue;
		if (p.revents & POLLERR) {
			/* an overrun: recv() reports ENOBUFS once */
			if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == ENOBUFS) {
				fprintf(stderr, "old_nfq_mmap: overrun (ENOBUFS)\n");
				errors++;
			}
		}
		if (rx_burst())
			flush();
	}
	flush();
	printf("judged %lu accepted %lu dropped %lu copy %lu batches %lu errors %lu acks-in-frames %lu\n",
	       judged, accepted, dropped, copied, batches, errors, acks_in_frames);
	munmap(rx.base, map_len);
	close(fd);
	return judged == count && !errors ? 0 : 1;
}
