/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the differential NFQUEUE tests.  Everything here talks
 * to the kernel exactly as an ordinary NFQUEUE program would (libmnl and
 * libnetfilter_queue's nfq_nlmsg_* builders), so the same binary judges the
 * stock nfnetlink_queue and nfqring's netlink transport.
 *
 * Each harness test runs in a forked child; nlq_netns() gives that child a
 * fresh network namespace, so queues, nft rules and /proc/net counters of
 * one test never leak into the next.
 */
#ifndef NLQ_H
#define NLQ_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define NLQ_BUFSZ	(0xffff + MNL_SOCKET_BUFFER_SIZE)
#define NLQ_PORT	7777	/* UDP port the nft rules queue */

static inline void nlq_die(const char *what)
{
	fprintf(stderr, "# %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Runs an nft script; any failure aborts the test (a setup error). */
static inline void nft(const char *fmt, ...)
{
	char script[4096];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(script, sizeof(script), fmt, ap);
	va_end(ap);
	p = popen("nft -f -", "w");
	if (!p)
		nlq_die("popen nft");
	fputs(script, p);
	if (pclose(p) != 0) {
		fprintf(stderr, "# nft failed on:\n%s\n", script);
		exit(1);
	}
}

static inline void sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "# command failed: %s\n", cmd);
		exit(1);
	}
}

/* A private network namespace with lo up: the test's own queues and rules.
 * (An ioctl, not "ip link": every exec costs under emulation.) */
static inline void nlq_netns(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd;

	if (unshare(CLONE_NEWNET))
		nlq_die("unshare(CLONE_NEWNET)");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr))
		nlq_die("SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		nlq_die("SIOCSIFFLAGS lo");
	close(fd);
}

static inline long nlq_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* ---- netlink socket ---------------------------------------------------- */

struct nlq_stash;

struct nlq {
	struct mnl_socket *nl;
	unsigned int portid;
	unsigned int seq;
	char *buf;
	struct nlq_stash *stash, **stash_tail;
};

static inline void nlq_open(struct nlq *q)
{
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl)
		nlq_die("mnl_socket_open");
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		nlq_die("mnl_socket_bind");
	q->portid = mnl_socket_get_portid(q->nl);
	q->seq = time(NULL);
	q->buf = malloc(NLQ_BUFSZ);
	if (!q->buf)
		nlq_die("malloc");
	q->stash = NULL;
	q->stash_tail = &q->stash;
}

static inline void nlq_close(struct nlq *q)
{
	mnl_socket_close(q->nl);
	free(q->buf);
}

static inline int nlq_fd(struct nlq *q)
{
	return mnl_socket_get_fd(q->nl);
}

static inline void nlq_setopt(struct nlq *q, int opt, int val)
{
	if (mnl_socket_setsockopt(q->nl, opt, &val, sizeof(val)))
		nlq_die("netlink setsockopt");
}

/* Receives one datagram, waiting at most ms; returns length, 0 on timeout,
 * -errno on a socket error (ENOBUFS is how netlink reports an overrun). */
static inline int nlq_recv(struct nlq *q, int ms)
{
	struct pollfd pfd = { .fd = nlq_fd(q), .events = POLLIN };
	int n;

	n = poll(&pfd, 1, ms);
	if (n < 0 && errno == EINTR)
		return 0;	/* a signal: let the caller look at its flags */
	if (n < 0)
		nlq_die("poll");
	if (n == 0)
		return 0;
	n = recv(nlq_fd(q), q->buf, NLQ_BUFSZ, 0);
	return n < 0 ? -errno : n;
}

/* PACKET messages that arrived while we waited for an ack, in order. */
struct nlq_stash {
	struct nlq_stash *next;
	int len;
	char data[];
};

#define NLQ_NOACK	0	/* send, do not wait */
#define NLQ_ACK		1	/* NLM_F_ACK, return the ack's error */
#define NLQ_ERRACK	2	/* no NLM_F_ACK, but wait 300 ms for an error ack */

static inline void nlq_stash_put(struct nlq *q, int len);

/* Sends nlh and returns 0 or the -errno of its ack (see NLQ_*).  Queued
 * packets that come first are kept for nlq_next. */
static inline int nlq_talk(struct nlq *q, struct nlmsghdr *nlh, int how)
{
	long end = nlq_ms() + (how == NLQ_ACK ? 5000 : 300);
	unsigned int seq = ++q->seq;

	nlh->nlmsg_seq = seq;
	if (how == NLQ_ACK)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		nlq_die("mnl_socket_sendto");
	if (how == NLQ_NOACK)
		return 0;
	for (;;) {
		long left = end - nlq_ms();
		struct nlmsghdr *r;
		int n;

		if (left <= 0) {
			if (how == NLQ_ACK) {
				fprintf(stderr, "# no ack for seq %u\n", seq);
				exit(1);
			}
			return 0;
		}
		n = nlq_recv(q, left);
		if (n <= 0) {
			if (n < 0) {
				errno = -n;
				nlq_die("recv ack");
			}
			continue;
		}
		r = (struct nlmsghdr *)q->buf;
		if (r->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
			nlq_stash_put(q, n);
			continue;
		}
		if (r->nlmsg_type != NLMSG_ERROR || r->nlmsg_seq != seq) {
			fprintf(stderr, "# unexpected message type %#x seq %u while waiting for ack %u\n",
				r->nlmsg_type, r->nlmsg_seq, seq);
			exit(1);
		}
		return ((struct nlmsgerr *)mnl_nlmsg_get_payload(r))->error;
	}
}

static inline struct nlmsghdr *nlq_cfg_msg(char *buf, uint16_t queue)
{
	return nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
}

static inline int nlq_cmd(struct nlq *q, uint16_t queue, uint8_t cmd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlq_cfg_msg(buf, queue);

	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, cmd);
	return nlq_talk(q, nlh, NLQ_ACK);
}

static inline int nlq_mode(struct nlq *q, uint16_t queue, uint8_t mode, uint32_t range)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlq_cfg_msg(buf, queue);

	nfq_nlmsg_cfg_put_params(nlh, mode, range);
	return nlq_talk(q, nlh, NLQ_ACK);
}

static inline int nlq_flags(struct nlq *q, uint16_t queue, uint32_t flags, uint32_t mask)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlq_cfg_msg(buf, queue);

	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
	return nlq_talk(q, nlh, NLQ_ACK);
}

static inline int nlq_maxlen(struct nlq *q, uint16_t queue, uint32_t len)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nlq_cfg_msg(buf, queue);

	nfq_nlmsg_cfg_put_qmaxlen(nlh, len);
	return nlq_talk(q, nlh, NLQ_ACK);
}

/* Binds queue and asks for whole packets: what most programs do first. */
static inline void nlq_bind(struct nlq *q, uint16_t queue, uint8_t mode)
{
	int err = nlq_cmd(q, queue, NFQNL_CFG_CMD_BIND);

	if (!err)
		err = nlq_mode(q, queue, mode, 0xffff);
	if (err) {
		errno = -err;
		nlq_die("bind queue");
	}
}

/* ---- queued packets ---------------------------------------------------- */

struct nlq_pkt {
	uint32_t id;
	uint16_t queue;
	uint8_t hook;
	uint64_t attrs;		/* bit n set: attribute type n present */
	uint32_t mark;
	uint32_t cap_len;
	uint32_t skbinfo;
	struct nfqnl_msg_packet_hw hw;	/* zeros without NFQA_HWADDR */
	int plen;
	const unsigned char *payload;
	const struct nlmsghdr *nlh;
};

static inline int nlq_parse(const struct nlmsghdr *nlh, struct nlq_pkt *p)
{
	struct nlattr *a[NFQA_MAX + 1] = {};
	struct nfqnl_msg_packet_hdr *ph;
	const struct nlattr *at;

	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
		return -1;
	if (nfq_nlmsg_parse(nlh, a) < 0 || !a[NFQA_PACKET_HDR])
		return -1;
	memset(p, 0, sizeof(*p));
	p->nlh = nlh;
	/* every attribute type, also those newer than our headers */
	mnl_attr_for_each(at, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(at) < 64)
			p->attrs |= 1ULL << mnl_attr_get_type(at);
	ph = mnl_attr_get_payload(a[NFQA_PACKET_HDR]);
	p->id = ntohl(ph->packet_id);
	p->hook = ph->hook;
	p->queue = ntohs(((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->res_id);
	if (a[NFQA_MARK])
		p->mark = ntohl(mnl_attr_get_u32(a[NFQA_MARK]));
	if (a[NFQA_CAP_LEN])
		p->cap_len = ntohl(mnl_attr_get_u32(a[NFQA_CAP_LEN]));
	if (a[NFQA_SKB_INFO])
		p->skbinfo = ntohl(mnl_attr_get_u32(a[NFQA_SKB_INFO]));
	if (a[NFQA_HWADDR] && mnl_attr_get_payload_len(a[NFQA_HWADDR]) == sizeof(p->hw))
		memcpy(&p->hw, mnl_attr_get_payload(a[NFQA_HWADDR]), sizeof(p->hw));
	p->plen = -1;
	if (a[NFQA_PAYLOAD]) {
		p->plen = mnl_attr_get_payload_len(a[NFQA_PAYLOAD]);
		p->payload = mnl_attr_get_payload(a[NFQA_PAYLOAD]);
	}
	return 0;
}

static inline void nlq_stash_put(struct nlq *q, int len)
{
	struct nlq_stash *st = malloc(sizeof(*st) + len);

	if (!st)
		nlq_die("malloc");
	st->next = NULL;
	st->len = len;
	memcpy(st->data, q->buf, len);
	*q->stash_tail = st;
	q->stash_tail = &st->next;
}

/* Next queued packet within ms: 1, 0 on timeout, -errno on socket error.
 * An ack here was not asked for: the test fails. */
static inline int nlq_next(struct nlq *q, struct nlq_pkt *p, int ms)
{
	const struct nlmsghdr *nlh = (struct nlmsghdr *)q->buf;
	int n;

	if (q->stash) {
		struct nlq_stash *st = q->stash;

		memcpy(q->buf, st->data, st->len);
		q->stash = st->next;
		if (!q->stash)
			q->stash_tail = &q->stash;
		free(st);
	} else {
		n = nlq_recv(q, ms);
		if (n <= 0)
			return n;
	}
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		fprintf(stderr, "# unexpected ack, error %d, seq %u\n",
			((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error, nlh->nlmsg_seq);
		exit(1);
	}
	if (nlq_parse(nlh, p)) {
		fprintf(stderr, "# not a PACKET message (type %#x)\n", nlh->nlmsg_type);
		exit(1);
	}
	return 1;
}

/* Verdict; mark < 0 leaves the mark alone; how is NLQ_*.  Returns the
 * ack's error. */
static inline int nlq_verdict(struct nlq *q, uint16_t queue, uint32_t id,
			      uint32_t verdict, int64_t mark, int how)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, queue);

	nfq_nlmsg_verdict_put(nlh, id, verdict);
	if (mark >= 0)
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	return nlq_talk(q, nlh, how);
}

static inline int nlq_batch(struct nlq *q, uint16_t queue, uint32_t maxid,
			    uint32_t verdict, int how)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT_BATCH, queue);

	nfq_nlmsg_verdict_put(nlh, maxid, verdict);
	return nlq_talk(q, nlh, how);
}

/* ---- /proc/net/netfilter/nfnetlink_queue ------------------------------- */

struct nlq_proc {
	unsigned int queue, portid, total, mode, range, dropped, udropped, idseq;
	int one;
};

/* The line of queue, 0 when found, -1 when the queue is not listed. */
static inline int nlq_proc(uint16_t queue, struct nlq_proc *r)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	char line[256];
	int found = -1;

	memset(r, 0, sizeof(*r));
	if (!f)
		nlq_die("open /proc/net/netfilter/nfnetlink_queue");
	while (fgets(line, sizeof(line), f)) {
		struct nlq_proc x;

		if (sscanf(line, "%u %u %u %u %u %u %u %u %d", &x.queue, &x.portid,
			   &x.total, &x.mode, &x.range, &x.dropped, &x.udropped,
			   &x.idseq, &x.one) == 9 && x.queue == queue) {
			*r = x;
			found = 0;
		}
	}
	fclose(f);
	return found;
}

static inline char *nlq_proc_text(void)
{
	static char text[8192];
	int fd = open("/proc/net/netfilter/nfnetlink_queue", O_RDONLY);
	int n, len = 0;

	if (fd < 0)
		nlq_die("open /proc/net/netfilter/nfnetlink_queue");
	while ((n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += n;
	close(fd);
	text[len] = 0;
	return text;
}

/* Waits until the queue has seen want packets (queued or dropped at the
 * queue), so counts are read only once the softirq side is done. */
static inline struct nlq_proc nlq_proc_wait(uint16_t queue, unsigned int want)
{
	long end = nlq_ms() + 10000;
	struct nlq_proc r = {};

	do {
		if (!nlq_proc(queue, &r) && r.idseq + r.dropped >= want)
			break;
		usleep(20000);
	} while (nlq_ms() < end);
	return r;
}

/* ---- UDP traffic -------------------------------------------------------- */

/* A receiver on addr:port with room for everything a test sends. */
static inline int udp_sink(const char *addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int big = 8 << 20;

	if (fd < 0)
		nlq_die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		nlq_die("bind udp sink");
	return fd;
}

/* Counts datagrams until none came for quiet_ms; the last payload goes to
 * last (may be NULL). */
static inline int udp_count(int fd, int quiet_ms, char *last, size_t lastsz)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[2048];
	int count = 0;

	while (poll(&pfd, 1, quiet_ms) > 0) {
		ssize_t n;

		while ((n = recv(fd, buf, sizeof(buf), 0)) >= 0) {
			count++;
			if (last) {
				size_t k = (size_t)n < lastsz - 1 ? (size_t)n : lastsz - 1;

				memcpy(last, buf, k);
				last[k] = 0;
			}
		}
	}
	return count;
}

/* Sends n datagrams "payload" to addr:port from 127.0.0.1; failures count
 * as test errors since the tests queue on input, after the sender. */
static inline void udp_send(const char *addr, uint16_t port, int n, const char *payload)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	int i;

	if (fd < 0)
		nlq_die("socket");
	inet_pton(AF_INET, addr, &sin.sin_addr);
	for (i = 0; i < n; i++)
		if (sendto(fd, payload, strlen(payload), 0,
			   (struct sockaddr *)&sin, sizeof(sin)) < 0)
			nlq_die("sendto");
	close(fd);
}

/* The usual table: UDP to NLQ_PORT is queued to "target" on the input hook,
 * and a later chain counts what was let through (with its mark/ct mark). */
static inline void nft_queue_input(const char *target)
{
	nft("table ip t {\n"
	    " counter seen {}\n"
	    " counter passed {}\n"
	    " counter marked {}\n"
	    " chain q { type filter hook input priority 0; udp dport %d counter name seen %s; }\n"
	    " chain after { type filter hook input priority 10; udp dport %d counter name passed; meta mark 42 counter name marked; }\n"
	    "}\n", NLQ_PORT, target, NLQ_PORT);
}

/* Packet count of a named counter in table ip t. */
static inline long nft_counter(const char *name)
{
	char cmd[128], line[256];
	long packets = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nft list counter ip t %s", name);
	p = popen(cmd, "r");
	if (!p)
		nlq_die("popen");
	while (fgets(line, sizeof(line), p)) {
		char *s = strstr(line, "packets ");

		if (s)
			packets = strtol(s + 8, NULL, 10);
	}
	pclose(p);
	return packets;
}

#endif
