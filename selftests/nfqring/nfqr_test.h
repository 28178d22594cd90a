/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the ring selftests: raw access to /dev/nfqring (no library,
 * so that the ABI itself is what is tested), nfnetlink messages built with
 * libmnl, a private network namespace with nft rules, and UDP traffic over
 * loopback that is counted end to end.
 */
#ifndef NFQR_TEST_H
#define NFQR_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <linux/nfqring.h>

#include "common.h"

/* The userspace ABI must match the old netlink mmap constants. */
_Static_assert(NFQRING_HDRLEN == NL_MMAP_HDRLEN, "frame header length");
_Static_assert(NFQRING_FRAME_ALIGN == NL_MMAP_MSG_ALIGNMENT, "frame alignment");
_Static_assert(NFQRING_STATUS_UNUSED == NL_MMAP_STATUS_UNUSED, "UNUSED");
_Static_assert(NFQRING_STATUS_RESERVED == NL_MMAP_STATUS_RESERVED, "RESERVED");
_Static_assert(NFQRING_STATUS_VALID == NL_MMAP_STATUS_VALID, "VALID");
_Static_assert(NFQRING_STATUS_COPY == NL_MMAP_STATUS_COPY, "COPY");
_Static_assert(NFQRING_STATUS_SKIP == NL_MMAP_STATUS_SKIP, "SKIP");

#define TEST_PORT	9999
#define MSGBUF		(128 * 1024)

struct tring {
	uint8_t		*base;
	struct nl_mmap_req req;
};

struct tep {
	int		fd;
	uint8_t		*map;
	size_t		map_len;
	struct tring	rx, tx;
	unsigned int	rx_pos, tx_pos;	/* next frame to look at / fill */
};

static inline struct nl_mmap_req ring_req(unsigned int block_size,
					  unsigned int block_nr,
					  unsigned int frame_size)
{
	struct nl_mmap_req r = {
		.nm_block_size = block_size,
		.nm_block_nr = block_nr,
		.nm_frame_size = frame_size,
		.nm_frame_nr = block_nr * (block_size / frame_size),
	};
	return r;
}

static inline size_t ring_bytes(const struct nl_mmap_req *r)
{
	return (size_t)r->nm_block_size * r->nm_block_nr;
}

static inline struct nl_mmap_hdr *ring_frame(const struct tring *r, unsigned int i)
{
	unsigned int per_block = r->req.nm_block_size / r->req.nm_frame_size;

	i %= r->req.nm_frame_nr;
	return (struct nl_mmap_hdr *)(r->base +
		(size_t)(i / per_block) * r->req.nm_block_size +
		(size_t)(i % per_block) * r->req.nm_frame_size);
}

static inline unsigned int frame_status(const struct nl_mmap_hdr *h)
{
	return __atomic_load_n(&h->nm_status, __ATOMIC_ACQUIRE);
}

static inline void frame_release(struct nl_mmap_hdr *h, unsigned int status)
{
	__atomic_store_n(&h->nm_status, status, __ATOMIC_RELEASE);
}

static inline int tep_open(struct tep *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->fd = open(NFQRING_DEVICE, O_RDWR | O_CLOEXEC);
	return ep->fd < 0 ? -errno : 0;
}

/* Sets up both rings (a zero block_nr leaves one out) and maps them. */
static inline int tep_rings(struct tep *ep, struct nl_mmap_req rx,
			    struct nl_mmap_req tx)
{
	if (rx.nm_block_nr && ioctl(ep->fd, NFQRING_SET_RX_RING, &rx))
		return -errno;
	if (tx.nm_block_nr && ioctl(ep->fd, NFQRING_SET_TX_RING, &tx))
		return -errno;
	ep->map_len = ring_bytes(&rx) + ring_bytes(&tx);
	ep->map = mmap(NULL, ep->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       ep->fd, 0);
	if (ep->map == MAP_FAILED) {
		ep->map = NULL;
		return -errno;
	}
	ep->rx.base = ep->map;
	ep->rx.req = rx;
	ep->tx.base = ep->map + ring_bytes(&rx);
	ep->tx.req = tx;
	return 0;
}

static inline void tep_close(struct tep *ep)
{
	if (ep->map)
		munmap(ep->map, ep->map_len);
	if (ep->fd >= 0)
		close(ep->fd);
	ep->map = NULL;
	ep->fd = -1;
}

static inline struct nlmsghdr *nfq_hdr(char *buf, int type, uint16_t queue)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
	return nlh;
}

static inline struct nlmsghdr *msg_cmd(char *buf, uint16_t queue, uint8_t cmd)
{
	struct nfqnl_msg_config_cmd c = { .command = cmd };
	struct nlmsghdr *nlh = nfq_hdr(buf, NFQNL_MSG_CONFIG, queue);

	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(c), &c);
	return nlh;
}

static inline struct nlmsghdr *msg_params(char *buf, uint16_t queue,
					  uint8_t mode, uint32_t range)
{
	struct nfqnl_msg_config_params p = {
		.copy_range = htonl(range), .copy_mode = mode,
	};
	struct nlmsghdr *nlh = nfq_hdr(buf, NFQNL_MSG_CONFIG, queue);

	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(p), &p);
	return nlh;
}

static inline struct nlmsghdr *msg_cfg_u32(char *buf, uint16_t queue,
					   int attr, uint32_t value)
{
	struct nlmsghdr *nlh = nfq_hdr(buf, NFQNL_MSG_CONFIG, queue);

	mnl_attr_put_u32(nlh, attr, htonl(value));
	return nlh;
}

static inline struct nlmsghdr *msg_flags(char *buf, uint16_t queue,
					 uint32_t flags, uint32_t mask)
{
	struct nlmsghdr *nlh = nfq_hdr(buf, NFQNL_MSG_CONFIG, queue);

	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
	return nlh;
}

static inline struct nlmsghdr *msg_verdict(char *buf, int type, uint16_t queue,
					   uint32_t id, uint32_t verdict)
{
	struct nfqnl_msg_verdict_hdr vh = {
		.verdict = htonl(verdict), .id = htonl(id),
	};
	struct nlmsghdr *nlh = nfq_hdr(buf, type, queue);

	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	return nlh;
}

/* write() one message; returns 0 or -errno. */
static inline int tep_send(struct tep *ep, const struct nlmsghdr *nlh)
{
	ssize_t n = write(ep->fd, nlh, nlh->nlmsg_len);

	if (n < 0)
		return -errno;
	return n == (ssize_t)nlh->nlmsg_len ? 0 : -EIO;
}

/* Binds @queue with copy mode PACKET and @range. */
static inline int tep_bind(struct tep *ep, uint16_t queue, uint32_t range)
{
	char buf[256];
	int err;

	err = tep_send(ep, msg_cmd(buf, queue, NFQNL_CFG_CMD_BIND));
	if (err)
		return err;
	return tep_send(ep, msg_params(buf, queue, NFQNL_COPY_PACKET, range));
}

/* Puts one message into the next TX frame and marks it VALID. */
static inline int tep_tx_put(struct tep *ep, const struct nlmsghdr *nlh)
{
	struct nl_mmap_hdr *h = ring_frame(&ep->tx, ep->tx_pos);

	if (frame_status(h) != NFQRING_STATUS_UNUSED)
		return -EBUSY;
	if (nlh->nlmsg_len > ep->tx.req.nm_frame_size - NFQRING_HDRLEN)
		return -EMSGSIZE;
	memcpy((uint8_t *)h + NFQRING_HDRLEN, nlh, nlh->nlmsg_len);
	h->nm_len = nlh->nlmsg_len;
	frame_release(h, NFQRING_STATUS_VALID);
	ep->tx_pos++;
	return 0;
}

static inline int tep_flush(struct tep *ep, struct nfqring_tx_result *res)
{
	int n = ioctl(ep->fd, NFQRING_TX_FLUSH, res);

	return n < 0 ? -errno : n;
}

/*
 * Packet ids.  A queue's first packet gets the id after the module's
 * test_seq_start: 0, except in the test build (make module-test), whose
 * sequences start just below 2^32 so that every test crosses the wrap.
 * Ids skip 0 when they wrap.
 */
static inline uint32_t seq_start(void)
{
	FILE *f = fopen("/sys/module/nfqring/parameters/test_seq_start", "r");
	unsigned int v = 0;

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* The id @n packets after @id (n < 2^31). */
static inline uint32_t id_add(uint32_t id, uint32_t n)
{
	uint32_t r = id + n;

	return r < id ? r + 1 : r;	/* crossed 2^32: 0 is skipped */
}

/* The id of a queue's @n-th packet since it was bound (1, 2, ...). */
static inline uint32_t ID(uint32_t n)
{
	return id_add(seq_start(), n);
}

/* How many ids a queue gave out since @start, its last id being @last. */
static inline uint32_t ids_since(uint32_t start, uint32_t last)
{
	uint32_t n = last - start;

	return last < start ? n - 1 : n;	/* 0 was skipped */
}

/* Does id @a come before id @b?  (Ids wrap.) */
static inline bool id_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/* A parsed PACKET message. */
struct tpkt {
	uint32_t	id;
	uint16_t	queue;
	uint32_t	mark;
	const uint8_t	*payload;
	uint32_t	payload_len;
	uint32_t	cap_len;
	bool		has_ct;
};

static inline int tpkt_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NFQA_MAX) < 0)
		return MNL_CB_OK;
	tb[type] = attr;
	return MNL_CB_OK;
}

/* Parses a PACKET message of @len bytes; 0 on success. */
static inline int tpkt_parse(const void *msg, size_t len, struct tpkt *p)
{
	const struct nlattr *tb[NFQA_MAX + 1] = {};
	const struct nlmsghdr *nlh = msg;
	const struct nfqnl_msg_packet_hdr *ph;
	const struct nfgenmsg *nfg;

	if (len < sizeof(*nlh) || nlh->nlmsg_len > len ||
	    !mnl_nlmsg_ok(nlh, (int)len))
		return -1;
	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
		return -1;
	if (mnl_attr_parse(nlh, sizeof(*nfg), tpkt_attr_cb, tb) < 0)
		return -1;
	if (!tb[NFQA_PACKET_HDR])
		return -1;
	nfg = mnl_nlmsg_get_payload(nlh);
	ph = mnl_attr_get_payload(tb[NFQA_PACKET_HDR]);
	memset(p, 0, sizeof(*p));
	p->id = ntohl(ph->packet_id);
	p->queue = ntohs(nfg->res_id);
	if (tb[NFQA_MARK])
		p->mark = ntohl(mnl_attr_get_u32(tb[NFQA_MARK]));
	if (tb[NFQA_PAYLOAD]) {
		p->payload = mnl_attr_get_payload(tb[NFQA_PAYLOAD]);
		p->payload_len = mnl_attr_get_payload_len(tb[NFQA_PAYLOAD]);
	}
	if (tb[NFQA_CAP_LEN])
		p->cap_len = ntohl(mnl_attr_get_u32(tb[NFQA_CAP_LEN]));
	p->has_ct = tb[NFQA_CT] != NULL;
	return 0;
}

/*
 * Takes the next ready RX frame in ring order.  Returns its status (VALID
 * or COPY) with the frame in *hp, or 0 when the next frame is not ready.
 */
static inline unsigned int tep_rx_next(struct tep *ep, struct nl_mmap_hdr **hp)
{
	struct nl_mmap_hdr *h = ring_frame(&ep->rx, ep->rx_pos);
	unsigned int st = frame_status(h);

	if (st != NFQRING_STATUS_VALID && st != NFQRING_STATUS_COPY)
		return 0;
	*hp = h;
	ep->rx_pos++;
	return st;
}

/* Waits up to @ms for POLLIN; returns the poll revents (0 on timeout). */
static inline int tep_wait(struct tep *ep, int ms)
{
	struct pollfd pfd = { .fd = ep->fd, .events = POLLIN };

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	return pfd.revents;
}

/* --- a private network namespace with nft rules, and UDP traffic --- */

/* Enters a new network namespace with loopback up. */
static inline int netns_enter(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s;

	if (unshare(CLONE_NEWNET))
		return -errno;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return -errno;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return 0;
}

/* Runs nft with @rules on stdin, in the current namespace. */
static inline int nft(const char *rules)
{
	FILE *f = popen("nft -f -", "w");

	if (!f)
		return -1;
	fputs(rules, f);
	return pclose(f) == 0 ? 0 : -1;
}

/* Queues UDP to TEST_PORT on loopback to @queue at the output hook. */
static inline int nft_queue_udp(const char *queue_stmt)
{
	char rules[512];

	snprintf(rules, sizeof(rules),
		 "flush ruleset\n"
		 "table inet t {\n"
		 "  chain out { type filter hook output priority 0;\n"
		 "    udp dport %d %s\n  }\n"
		 "}\n", TEST_PORT, queue_stmt);
	return nft(rules);
}

/* A receiver bound to TEST_PORT; non-blocking. */
static inline int udp_receiver(void)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(TEST_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int big = 4 << 20;

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(s, (struct sockaddr *)&a, sizeof(a))) {
		close(s);
		return -1;
	}
	return s;
}

/*
 * Sends @n datagrams of @len bytes from 127.0.0.@src_host (0: any);
 * bytes 0..3 of each carry its number.
 */
static inline int udp_send_from(int src_host, int n, size_t len)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(TEST_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct sockaddr_in from = { .sin_family = AF_INET };
	static uint8_t buf[65536];
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), i;
	int big = 64 << 20;

	if (s < 0)
		return -1;
	/* Queued packets stay charged to this socket: never block on that. */
	setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (src_host) {
		from.sin_addr.s_addr = htonl(0x7f000000 | src_host);
		if (bind(s, (struct sockaddr *)&from, sizeof(from))) {
			close(s);
			return -1;
		}
	}
	memset(buf, 'x', len);
	for (i = 0; i < n; i++) {
		uint32_t seq = htonl(i);

		memcpy(buf, &seq, sizeof(seq));
		if (sendto(s, buf, len, 0, (struct sockaddr *)&a, sizeof(a)) < 0 &&
		    errno != EPERM) {
			close(s);
			return -1;
		}
	}
	close(s);
	return 0;
}

static inline int udp_send(int n, size_t len)
{
	return udp_send_from(0, n, len);
}

/* Counts datagrams waiting on @s (drains them). */
static inline int udp_count(int s, int wait_ms)
{
	static uint8_t buf[65536];
	int n = 0;

	if (wait_ms)
		usleep(wait_ms * 1000);
	while (recv(s, buf, sizeof(buf), 0) >= 0)
		n++;
	return n;
}

/* Reads one line of /proc/net/netfilter/nfnetlink_queue for @queue. */
static inline int proc_queue(unsigned int queue, unsigned int *total,
			     unsigned int *dropped, unsigned int *user_dropped,
			     unsigned int *id_seq)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	unsigned int q, portid, t, mode, range, d, ud, seq;
	int one, found = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%u %u %u %u %u %u %u %u %d", &q, &portid, &t, &mode,
		      &range, &d, &ud, &seq, &one) == 9) {
		if (q != queue)
			continue;
		if (total)
			*total = t;
		if (dropped)
			*dropped = d;
		if (user_dropped)
			*user_dropped = ud;
		if (id_seq)
			*id_seq = seq;
		found = 0;
	}
	fclose(f);
	return found;
}

/* One counter of /proc/net/netfilter/nfqring_stats, or -1. */
static inline long long proc_stat(const char *name)
{
	FILE *f = fopen("/proc/net/netfilter/nfqring_stats", "r");
	long long v, found = -1;
	char key[64];

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

/* --- the test build (make module-test) --- */

#define DELAY_PARAM	"/sys/module/nfqring/parameters/test_delay_us"

/*
 * Sets the test build's race delays, one per window in the order of
 * kmod/testing.h's enum nfqr_test_win ("2000,2000,2000,0,0"); false when
 * this is not a test build.
 */
static inline bool race_delay(const char *us)
{
	FILE *f = fopen(DELAY_PARAM, "w");

	if (!f)
		return false;
	fprintf(f, "%s\n", us);
	return fclose(f) == 0;
}

/* Milliseconds on the monotonic clock: race tests prove their timing. */
static inline double mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/*
 * A call made by a second thread into a race window, and when it ran: a
 * race test checks that the other side began while this call was still
 * in its window, or it proved nothing.
 */
struct timed_call {
	struct tep *ep;
	long ret;
	int err;		/* errno when ret is -1 */
	double start, end;	/* mono_ms() */
};

#endif
