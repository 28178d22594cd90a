// SPDX-License-Identifier: GPL-2.0
/*
 * nfq_mmap_client - an NFQUEUE client for memory-mapped netlink sockets.
 *
 * Written for the netlink mmap API of Linux 3.10 to 4.5 (NETLINK_RX_RING /
 * NETLINK_TX_RING, struct nl_mmap_req, struct nl_mmap_hdr), the way programs
 * of that time used it:
 *
 *   socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER), bind()
 *   setsockopt(SOL_NETLINK, NETLINK_RX_RING) and NETLINK_TX_RING
 *   one mmap() of both rings, RX first
 *   PF_UNBIND + PF_BIND (their answers ignored), BIND and PARAMS per queue
 *   poll(); walk the RX ring: VALID frames are read in place, COPY frames
 *   are fetched with recvmsg(); every frame is handed back as UNUSED
 *   verdicts written into TX frames and pushed with sendto(fd, NULL, 0),
 *   or sent as ordinary messages with sendto(), optionally as batches.
 *
 * Usage: see usage() below.  On exit it prints one summary line on stdout:
 *   packets=N accepted=A dropped=D copy=C valid=V overruns=O verdict_msgs=M
 *   batches=B acks=K errors=E q<num>=P ...
 *
 * Exit status: 0 when every packet got its verdict and nothing went wrong;
 * 1 on any failure (the reason on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include <libmnl/libmnl.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define PROG		"nfq_mmap_client"
#define MAX_QUEUES	16
#define RBUF_LEN	(128 * 1024)	/* largest COPY message: 64 KiB packet + attributes */
#define VERDICT_ROOM	64		/* bytes a verdict message needs in a TX frame */
#define BATCH_MAX	256		/* accepted packets held back for one batch verdict */
#define ACK_WAIT_MS	5000		/* how long an answer to a request may take */

struct ring {
	unsigned char	*base;
	unsigned int	block_size;
	unsigned int	block_nr;
	unsigned int	frame_size;
	unsigned int	frame_nr;
	unsigned int	frames_per_block;
	unsigned int	head;
};

struct queue {
	uint16_t		num;
	unsigned long long	packets;
	bool			run;		/* accepted ids waiting for a batch */
	uint32_t		run_last;
	unsigned int		run_len;
};

struct stats {
	unsigned long long packets, accepted, dropped, copy, valid;
	unsigned long long overruns, verdict_msgs, batches, acks, errors;
	unsigned long long empty_frames, empty_wakeups;
};

struct client {
	int			fd;
	uint32_t		portid;
	struct ring		rx, tx;
	bool			have_tx;	/* a TX ring was set up */
	void			*map;
	size_t			map_len;

	bool			use_tx;		/* verdicts through TX frames */
	bool			batch;
	bool			want_ack;
	bool			config_noack;	/* -A: CONFIG without NLM_F_ACK */
	bool			verbose;
	unsigned int		tx_queued;	/* VALID TX frames not pushed yet */
	size_t			tx_bytes;
	bool			flush_warned;

	uint32_t		seq;
	uint32_t		wait_seq;	/* request whose answer we wait for */
	bool			wait_done;
	int			wait_err;
	unsigned long long	outstanding;	/* verdict acks still to come */

	const char		*drop_prefix;
	size_t			drop_prefix_len;
	unsigned long		drop_every;
	unsigned long long	limit;		/* 0: no limit */

	struct queue		queues[MAX_QUEUES];
	unsigned int		nqueues;

	unsigned char		*rbuf;
	struct stats		st;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, PROG ": %s: %s\n", what, strerror(errno));
	exit(EXIT_FAILURE);
}

__attribute__((format(printf, 1, 2)))
static void die_msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

static long long now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		die("clock_gettime");
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- frames ---------------------------------------------------------- */

static struct nl_mmap_hdr *ring_frame(const struct ring *r, unsigned int i)
{
	size_t off = (size_t)(i / r->frames_per_block) * r->block_size +
		     (size_t)(i % r->frames_per_block) * r->frame_size;

	return (struct nl_mmap_hdr *)(void *)(r->base + off);
}

static void ring_advance(struct ring *r)
{
	r->head = r->head + 1 == r->frame_nr ? 0 : r->head + 1;
}

/* The status word is shared with the kernel: read it before the frame's
 * contents, write it after them. */
static unsigned int frame_status(struct nl_mmap_hdr *hdr)
{
	return __atomic_load_n(&hdr->nm_status, __ATOMIC_ACQUIRE);
}

static void frame_set_status(struct nl_mmap_hdr *hdr, unsigned int status)
{
	__atomic_store_n(&hdr->nm_status, status, __ATOMIC_RELEASE);
}

/* ---- socket errors --------------------------------------------------- */

static void overrun(struct client *c)
{
	c->st.overruns++;
	fprintf(stderr, PROG ": ring overrun, the kernel lost messages (%s)\n",
		strerror(ENOBUFS));
}

/* poll() said POLLERR: fetch (and so clear) the pending socket error. */
static void socket_error(struct client *c)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		die("getsockopt(SO_ERROR)");
	if (err == 0)
		return;
	if (err == ENOBUFS) {
		overrun(c);
		return;
	}
	errno = err;
	die("socket error");
}

/* ---- sending ---------------------------------------------------------- */

static void send_msg(struct client *c, const struct nlmsghdr *nlh, const char *what)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	ssize_t n;

	do {
		n = sendto(c->fd, nlh, nlh->nlmsg_len, 0,
			   (const struct sockaddr *)&kernel, sizeof(kernel));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		die(what);
	if ((size_t)n != nlh->nlmsg_len) {
		fprintf(stderr, PROG ": %s: short send (%zd of %u bytes)\n",
			what, n, nlh->nlmsg_len);
		exit(EXIT_FAILURE);
	}
}

/* Hand every VALID TX frame to the kernel. */
static void tx_flush(struct client *c)
{
	ssize_t n;

	if (c->tx_queued == 0)
		return;
	do {
		n = sendto(c->fd, NULL, 0, 0, NULL, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		die("sendto (TX ring)");
	if ((size_t)n != c->tx_bytes && !c->flush_warned) {
		fprintf(stderr, PROG ": warning: sendto (TX ring) returned %zd, "
			"%zu bytes were queued in %u frames\n",
			n, c->tx_bytes, c->tx_queued);
		c->flush_warned = true;
	}
	c->tx_queued = 0;
	c->tx_bytes = 0;
}

/* The TX frame at the head, once it is free. */
static struct nl_mmap_hdr *tx_frame_get(struct client *c)
{
	struct nl_mmap_hdr *hdr = ring_frame(&c->tx, c->tx.head);
	long long deadline = now_ms() + ACK_WAIT_MS;

	while (frame_status(hdr) != NL_MMAP_STATUS_UNUSED) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		long long left;
		int r;

		if (c->tx_queued > 0) {
			tx_flush(c);
			continue;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			fprintf(stderr, PROG ": TX frame %u never came back "
				"(status %u)\n", c->tx.head, frame_status(hdr));
			exit(EXIT_FAILURE);
		}
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			die("poll");
		if (r > 0 && (pfd.revents & POLLERR))
			socket_error(c);
	}
	return hdr;
}

static uint32_t next_seq(struct client *c)
{
	if (++c->seq == 0)
		c->seq = 1;
	return c->seq;
}

static void emit_verdict(struct client *c, uint16_t queue, uint32_t id,
			 uint32_t verdict, bool batch)
{
	union {
		struct nlmsghdr	h;
		unsigned char	b[VERDICT_ROOM];
	} local;
	struct nl_mmap_hdr *frame = NULL;
	struct nfqnl_msg_verdict_hdr vh;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (c->use_tx) {
		frame = tx_frame_get(c);
		nlh = mnl_nlmsg_put_header((unsigned char *)frame + NL_MMAP_HDRLEN);
	} else {
		nlh = mnl_nlmsg_put_header(local.b);
	}
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) |
			  (batch ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT);
	nlh->nlmsg_flags = NLM_F_REQUEST | (c->want_ack ? NLM_F_ACK : 0);
	nlh->nlmsg_seq = next_seq(c);
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
	vh.verdict = htonl(verdict);
	vh.id = htonl(id);
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);

	if (c->use_tx) {
		frame->nm_len = nlh->nlmsg_len;
		c->tx_bytes += nlh->nlmsg_len;
		frame_set_status(frame, NL_MMAP_STATUS_VALID);
		ring_advance(&c->tx);
		c->tx_queued++;
	} else {
		send_msg(c, nlh, batch ? "sendto (batch verdict)" : "sendto (verdict)");
	}
	c->st.verdict_msgs++;
	if (batch)
		c->st.batches++;
	if (c->want_ack)
		c->outstanding++;
}

static void batch_flush(struct client *c, struct queue *q)
{
	if (!q->run)
		return;
	emit_verdict(c, q->num, q->run_last, NF_ACCEPT, true);
	q->run = false;
	q->run_len = 0;
}

/* End of a pass over the RX ring: nothing may stay unjudged. */
static void finish_pass(struct client *c)
{
	unsigned int i;

	for (i = 0; i < c->nqueues; i++)
		batch_flush(c, &c->queues[i]);
	tx_flush(c);
}

/* ---- configuration ---------------------------------------------------- */

static struct nlmsghdr *config_header(void *buf, uint16_t queue, uint8_t family,
				      uint32_t seq, bool ack)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | (ack ? NLM_F_ACK : 0);
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
	return nlh;
}

static int run_until_answer(struct client *c, uint32_t seq);

/* Send a CONFIG command; return the kernel's answer (0 or -errno). */
static int config_cmd(struct client *c, uint16_t queue, uint8_t cmd, uint16_t pf)
{
	union {
		struct nlmsghdr	h;
		unsigned char	b[256];
	} buf;
	struct nfqnl_msg_config_cmd cc = { .command = cmd, .pf = htons(pf) };
	uint32_t seq = next_seq(c);
	struct nlmsghdr *nlh;

	nlh = config_header(buf.b, queue, pf ? (uint8_t)pf : AF_UNSPEC, seq,
			    !c->config_noack);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cc), &cc);
	send_msg(c, nlh, "sendto (config)");
	return c->config_noack ? 0 : run_until_answer(c, seq);
}

static int config_params(struct client *c, uint16_t queue, uint32_t range)
{
	union {
		struct nlmsghdr	h;
		unsigned char	b[256];
	} buf;
	struct nfqnl_msg_config_params p;
	uint32_t seq = next_seq(c);
	struct nlmsghdr *nlh;

	memset(&p, 0, sizeof(p));
	p.copy_range = htonl(range);
	p.copy_mode = NFQNL_COPY_PACKET;
	nlh = config_header(buf.b, queue, AF_UNSPEC, seq, !c->config_noack);
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(p), &p);
	send_msg(c, nlh, "sendto (config)");
	return c->config_noack ? 0 : run_until_answer(c, seq);
}

static void config_unbind(struct client *c, uint16_t queue)
{
	union {
		struct nlmsghdr	h;
		unsigned char	b[256];
	} buf;
	struct nfqnl_msg_config_cmd cc = { .command = NFQNL_CFG_CMD_UNBIND };
	struct nlmsghdr *nlh;

	nlh = config_header(buf.b, queue, AF_UNSPEC, next_seq(c), false);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cc), &cc);
	send_msg(c, nlh, "sendto (unbind)");
}

/* ---- receiving -------------------------------------------------------- */

static struct queue *find_queue(struct client *c, uint16_t num)
{
	unsigned int i;

	for (i = 0; i < c->nqueues; i++)
		if (c->queues[i].num == num)
			return &c->queues[i];
	return NULL;
}

static bool udp_payload_starts_with(const unsigned char *pkt, size_t len,
				    const char *prefix, size_t plen)
{
	size_t off;
	unsigned int proto;

	if (len < 1)
		return false;
	switch (pkt[0] >> 4) {
	case 4: {
		size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;

		if (len < 20 || ihl < 20 || len < ihl)
			return false;
		if ((((unsigned int)pkt[6] << 8) | pkt[7]) & 0x1fff)
			return false;	/* not the first fragment */
		proto = pkt[9];
		off = ihl;
		break;
	}
	case 6:
		if (len < 40)
			return false;
		proto = pkt[6];
		off = 40;
		break;
	default:
		return false;
	}
	if (proto != IPPROTO_UDP || len - off < 8)
		return false;
	off += 8;
	return len - off >= plen && memcmp(pkt + off, prefix, plen) == 0;
}

static int packet_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, NFQA_MAX) < 0)
		return MNL_CB_OK;	/* newer than us: ignore */
	switch (type) {
	case NFQA_PACKET_HDR:
		if (mnl_attr_validate2(attr, MNL_TYPE_UNSPEC,
				       sizeof(struct nfqnl_msg_packet_hdr)) < 0)
			return MNL_CB_ERROR;
		break;
	case NFQA_CAP_LEN:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		break;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

enum source { FROM_VALID, FROM_COPY };

static void handle_packet(struct client *c, const struct nlmsghdr *nlh, enum source src)
{
	const struct nlattr *tb[NFQA_MAX + 1] = { NULL };
	struct nfqnl_msg_packet_hdr ph;
	const struct nfgenmsg *nfg;
	const unsigned char *pkt = NULL;
	size_t pkt_len = 0;
	uint32_t id, verdict;
	uint16_t qnum;
	struct queue *q;
	bool drop = false;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg) ||
	    mnl_attr_parse(nlh, sizeof(*nfg), packet_attr_cb, tb) < 0 ||
	    tb[NFQA_PACKET_HDR] == NULL) {
		fprintf(stderr, PROG ": malformed packet message (%u bytes)\n",
			nlh->nlmsg_len);
		c->st.errors++;
		return;
	}
	nfg = mnl_nlmsg_get_payload(nlh);
	qnum = ntohs(nfg->res_id);
	memcpy(&ph, mnl_attr_get_payload(tb[NFQA_PACKET_HDR]), sizeof(ph));
	id = ntohl(ph.packet_id);
	if (tb[NFQA_PAYLOAD] != NULL) {
		pkt = mnl_attr_get_payload(tb[NFQA_PAYLOAD]);
		pkt_len = mnl_attr_get_payload_len(tb[NFQA_PAYLOAD]);
	}

	c->st.packets++;
	if (src == FROM_COPY)
		c->st.copy++;
	else
		c->st.valid++;

	if (c->drop_every && c->st.packets % c->drop_every == 0)
		drop = true;
	if (c->drop_prefix && pkt &&
	    udp_payload_starts_with(pkt, pkt_len, c->drop_prefix, c->drop_prefix_len))
		drop = true;
	verdict = drop ? NF_DROP : NF_ACCEPT;
	if (drop)
		c->st.dropped++;
	else
		c->st.accepted++;

	q = find_queue(c, qnum);
	if (q == NULL) {
		fprintf(stderr, PROG ": packet %u from queue %u, which we never bound\n",
			id, qnum);
		c->st.errors++;
	} else {
		q->packets++;
	}
	if (c->verbose)
		fprintf(stderr, "queue=%u id=%u len=%zu frame=%s verdict=%s\n",
			qnum, id, pkt_len, src == FROM_COPY ? "copy" : "valid",
			drop ? "drop" : "accept");

	if (!c->batch || q == NULL) {
		emit_verdict(c, qnum, id, verdict, false);
		return;
	}
	if (drop) {
		/* accepted ones before it go as a batch, this one alone */
		batch_flush(c, q);
		emit_verdict(c, qnum, id, NF_DROP, false);
		return;
	}
	if (q->run && id != q->run_last + 1)
		batch_flush(c, q);	/* a gap: never cover ids we did not see */
	q->run = true;
	q->run_last = id;
	if (++q->run_len >= BATCH_MAX)
		batch_flush(c, q);
}

static void handle_error_msg(struct client *c, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(e->error)) {
		fprintf(stderr, PROG ": truncated NLMSG_ERROR message\n");
		c->st.errors++;
		return;
	}
	if (c->wait_seq != 0 && nlh->nlmsg_seq == c->wait_seq) {
		c->wait_done = true;
		c->wait_err = e->error;
		return;
	}
	if (c->outstanding > 0)
		c->outstanding--;
	if (e->error == 0) {
		c->st.acks++;
		return;
	}
	fprintf(stderr, PROG ": the kernel refused request %u: %s\n",
		nlh->nlmsg_seq, strerror(-e->error));
	c->st.errors++;
}

static void handle_msgs(struct client *c, const void *buf, size_t len, enum source src)
{
	const struct nlmsghdr *nlh = buf;
	int rem = (int)len;

	if (!mnl_nlmsg_ok(nlh, rem)) {
		fprintf(stderr, PROG ": %s frame holds no netlink message "
			"(%zu bytes)\n", src == FROM_COPY ? "COPY" : "VALID", len);
		c->st.errors++;
		return;
	}
	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
		switch (nlh->nlmsg_type) {
		case NLMSG_ERROR:
			handle_error_msg(c, nlh);
			break;
		case NLMSG_NOOP:
		case NLMSG_DONE:
			break;
		case (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
			handle_packet(c, nlh, src);
			break;
		default:
			fprintf(stderr, PROG ": unexpected message type 0x%x\n",
				nlh->nlmsg_type);
			c->st.errors++;
			break;
		}
	}
}

/* The message behind a COPY frame waits on the socket. Returns its length,
 * 0 when it has to be ignored, -1 when nothing is there yet. */
static ssize_t copy_recv(struct client *c)
{
	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = { .iov_base = c->rbuf, .iov_len = RBUF_LEN };
		struct msghdr msg = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
		};
		ssize_t n;

		memset(&from, 0, sizeof(from));
		n = recvmsg(c->fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				overrun(c);
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return -1;
			die("recvmsg");
		}
		if (msg.msg_flags & MSG_TRUNC) {
			fprintf(stderr, PROG ": recvmsg: message truncated\n");
			c->st.errors++;
			return 0;
		}
		if (msg.msg_namelen != sizeof(from) || from.nl_family != AF_NETLINK) {
			fprintf(stderr, PROG ": recvmsg: no netlink sender address\n");
			c->st.errors++;
			return 0;
		}
		if (from.nl_pid != 0) {
			fprintf(stderr, PROG ": recvmsg: message from port %u, "
				"not from the kernel\n", from.nl_pid);
			c->st.errors++;
			return 0;
		}
		return n;
	}
}

static bool limit_reached(const struct client *c)
{
	return c->limit != 0 && c->st.packets >= c->limit;
}

/* One pass over the RX ring; returns the number of frames consumed.  Past
 * the packet limit only while acks are awaited: they come through the ring
 * too, after the last packet's frame. */
static unsigned int rx_walk(struct client *c, bool past_limit)
{
	unsigned int done = 0;

	while (done < c->rx.frame_nr && (past_limit || !limit_reached(c))) {
		struct nl_mmap_hdr *hdr = ring_frame(&c->rx, c->rx.head);
		unsigned int status = frame_status(hdr);

		if (status == NL_MMAP_STATUS_VALID) {
			unsigned int len = hdr->nm_len;

			if (len == 0) {
				c->st.empty_frames++;	/* reserved, never filled */
			} else if (len > c->rx.frame_size - NL_MMAP_HDRLEN) {
				fprintf(stderr, PROG ": RX frame %u: nm_len %u "
					"exceeds the frame\n", c->rx.head, len);
				c->st.errors++;
			} else {
				handle_msgs(c, (unsigned char *)hdr + NL_MMAP_HDRLEN,
					    len, FROM_VALID);
			}
		} else if (status == NL_MMAP_STATUS_COPY) {
			ssize_t n = copy_recv(c);

			if (n < 0)
				break;	/* not queued yet: after the next poll */
			if (n > 0 && (size_t)n != hdr->nm_len) {
				fprintf(stderr, PROG ": RX frame %u: COPY of %u bytes, "
					"recvmsg returned %zd\n", c->rx.head,
					hdr->nm_len, n);
				c->st.errors++;
			}
			if (n > 0)
				handle_msgs(c, c->rbuf, (size_t)n, FROM_COPY);
		} else {
			break;
		}
		frame_set_status(hdr, NL_MMAP_STATUS_UNUSED);
		ring_advance(&c->rx);
		done++;
	}
	return done;
}

enum goal { UNTIL_LIMIT, UNTIL_ANSWER, UNTIL_ACKS };

static bool goal_met(const struct client *c, enum goal g)
{
	switch (g) {
	case UNTIL_LIMIT:
		return limit_reached(c);
	case UNTIL_ANSWER:
		return c->wait_done;
	case UNTIL_ACKS:
		return c->outstanding == 0;
	}
	return true;
}

/* Walk, judge, poll; until the goal is met, a signal arrives, or nothing
 * happens for idle_ms (0: wait forever). Returns true when the goal is met. */
static bool run(struct client *c, enum goal g, int idle_ms)
{
	long long last = now_ms();
	unsigned int empty = 0;
	bool woke = false;

	while (!stop) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN | POLLERR };
		unsigned int n = rx_walk(c, g == UNTIL_ACKS);
		int timeout = -1, r;

		finish_pass(c);
		if (goal_met(c, g))
			return true;
		if (n > 0) {
			last = now_ms();
			empty = 0;
			woke = false;
			continue;
		}
		if (woke && ++empty >= 1000) {
			/* poll keeps saying POLLIN, the ring has nothing for us */
			struct timespec ms = { .tv_sec = 0, .tv_nsec = 1000000 };

			c->st.empty_wakeups++;
			empty = 0;
			if (nanosleep(&ms, NULL) < 0 && errno != EINTR)
				die("nanosleep");
		}
		if (idle_ms > 0) {
			long long left = last + idle_ms - now_ms();

			if (left <= 0)
				return false;
			timeout = (int)left;
		}
		r = poll(&pfd, 1, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		woke = r > 0;
		if (r > 0 && (pfd.revents & POLLNVAL)) {
			fprintf(stderr, PROG ": poll: socket descriptor not valid\n");
			exit(EXIT_FAILURE);
		}
		if (r > 0 && (pfd.revents & POLLERR))
			socket_error(c);
	}
	return false;
}

static int run_until_answer(struct client *c, uint32_t seq)
{
	c->wait_seq = seq;
	c->wait_done = false;
	c->wait_err = 0;
	if (!run(c, UNTIL_ANSWER, ACK_WAIT_MS)) {
		c->wait_seq = 0;
		if (stop)
			die_msg("interrupted while waiting for the kernel");
		die_msg("no answer from the kernel to config request %u", seq);
	}
	c->wait_seq = 0;
	return c->wait_err;
}

/* ---- set-up ----------------------------------------------------------- */

static unsigned long parse_ulong(const char *s, const char *what, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > max)
		die_msg("bad %s", what);
	return v;
}

static void add_queues(struct client *c, const char *arg)
{
	char *copy = strdup(arg), *tok, *save = NULL;

	if (copy == NULL)
		die("strdup");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint16_t num = (uint16_t)parse_ulong(tok, "queue number", 65535);

		if (find_queue(c, num) != NULL)
			continue;
		if (c->nqueues == MAX_QUEUES)
			die_msg("too many queues (at most %d)", MAX_QUEUES);
		c->queues[c->nqueues++].num = num;
	}
	free(copy);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: " PROG " [options]\n"
"  -q QUEUE[,QUEUE...]  queue numbers to bind, on one socket (default 0)\n"
"  -f SIZE      frame size in bytes (default 2048)\n"
"  -s SIZE      block size in bytes (default: page size, or the frame size\n"
"               rounded up to pages)\n"
"  -n COUNT     blocks per ring (default 64)\n"
"  -o           RX ring only (no TX ring; verdicts with sendto)\n"
"  -t tx|sendto verdict path: TX ring frames + sendto(fd, NULL, 0), or\n"
"               ordinary messages with sendto() (default tx)\n"
"  -b           batch verdicts (NFQNL_MSG_VERDICT_BATCH) for accepted packets\n"
"  -a           ask for an ack on every verdict and count them\n"
"  -A           configure without NLM_F_ACK (fire and forget): no wait for\n"
"               the answers to CONFIG requests\n"
"  -d PREFIX    drop packets whose UDP payload starts with PREFIX\n"
"  -e N         drop every Nth packet\n"
"  -r RANGE     copy range (default 65535)\n"
"  -c COUNT     exit after COUNT packets\n"
"  -w SECONDS   exit after SECONDS without a packet (default: wait forever)\n"
"  -N           set NETLINK_NO_ENOBUFS\n"
"  -v           one line per packet on stderr\n"
"Summary on stdout at exit: packets=N accepted=A dropped=D copy=C valid=V ...\n");
}

int main(int argc, char **argv)
{
	static struct client cl;
	struct client *c = &cl;
	struct sockaddr_nl addr;
	socklen_t addr_len;
	struct nl_mmap_req req;
	struct sigaction sa;
	unsigned long frame_size = 2048, block_size = 0, block_nr = 64;
	unsigned long copy_range = 65535, idle_s = 0;
	unsigned long long frame_nr, ring_bytes;
	bool rx_only = false, no_enobufs = false, done, failed = false;
	long page;
	unsigned int i;
	int opt, err;

	c->use_tx = true;
	while ((opt = getopt(argc, argv, "q:f:s:n:ot:baAd:e:r:c:w:Nvh")) != -1) {
		switch (opt) {
		case 'q':
			add_queues(c, optarg);
			break;
		case 'f':
			frame_size = parse_ulong(optarg, "frame size", UINT_MAX);
			break;
		case 's':
			block_size = parse_ulong(optarg, "block size", UINT_MAX);
			break;
		case 'n':
			block_nr = parse_ulong(optarg, "block count", UINT_MAX);
			break;
		case 'o':
			rx_only = true;
			break;
		case 't':
			if (strcmp(optarg, "tx") == 0)
				c->use_tx = true;
			else if (strcmp(optarg, "sendto") == 0)
				c->use_tx = false;
			else
				die_msg("bad verdict path %s (tx or sendto)", optarg);
			break;
		case 'b':
			c->batch = true;
			break;
		case 'a':
			c->want_ack = true;
			break;
		case 'A':
			c->config_noack = true;
			break;
		case 'd':
			c->drop_prefix = optarg;
			c->drop_prefix_len = strlen(optarg);
			break;
		case 'e':
			c->drop_every = parse_ulong(optarg, "drop interval", ULONG_MAX);
			break;
		case 'r':
			copy_range = parse_ulong(optarg, "copy range", 65535);
			break;
		case 'c':
			c->limit = parse_ulong(optarg, "packet count", ULONG_MAX);
			break;
		case 'w':
			idle_s = parse_ulong(optarg, "idle time", INT_MAX / 1000);
			break;
		case 'N':
			no_enobufs = true;
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_FAILURE;
	}
	if (c->nqueues == 0)
		add_queues(c, "0");
	if (rx_only)
		c->use_tx = false;

	page = sysconf(_SC_PAGESIZE);
	if (page <= 0)
		die("sysconf(_SC_PAGESIZE)");
	if (block_size == 0) {
		block_size = (unsigned long)page;
		while (block_size < frame_size && block_size <= UINT_MAX - (unsigned long)page)
			block_size += (unsigned long)page;
	}
	/* a bad geometry is the kernel's to refuse (EINVAL) */
	frame_nr = frame_size == 0 ? 0 :
		   (unsigned long long)(block_size / frame_size) * block_nr;
	if (frame_nr > UINT_MAX)
		die_msg("too many frames");
	ring_bytes = (unsigned long long)block_size * block_nr;
	if (ring_bytes > SIZE_MAX / 2)
		die_msg("rings too large");

	c->rbuf = malloc(RBUF_LEN);
	if (c->rbuf == NULL)
		die("malloc");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (sigemptyset(&sa.sa_mask) < 0 ||
	    sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0)
		die("sigaction");

	c->fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	if (c->fd < 0)
		die("socket");
	if (no_enobufs) {
		int one = 1;

		if (setsockopt(c->fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one)) < 0)
			die("setsockopt(NETLINK_NO_ENOBUFS)");
	}
	memset(&addr, 0, sizeof(addr));
	addr.nl_family = AF_NETLINK;
	if (bind(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		die("bind");
	addr_len = sizeof(addr);
	if (getsockname(c->fd, (struct sockaddr *)&addr, &addr_len) < 0)
		die("getsockname");
	if (addr_len != sizeof(addr) || addr.nl_family != AF_NETLINK)
		die_msg("getsockname: not a netlink address");
	c->portid = addr.nl_pid;

	memset(&req, 0, sizeof(req));
	req.nm_block_size = (unsigned int)block_size;
	req.nm_block_nr = (unsigned int)block_nr;
	req.nm_frame_size = (unsigned int)frame_size;
	req.nm_frame_nr = (unsigned int)frame_nr;
	if (setsockopt(c->fd, SOL_NETLINK, NETLINK_RX_RING, &req, sizeof(req)) < 0)
		die("setsockopt(NETLINK_RX_RING)");
	if (!rx_only) {
		if (setsockopt(c->fd, SOL_NETLINK, NETLINK_TX_RING, &req, sizeof(req)) < 0)
			die("setsockopt(NETLINK_TX_RING)");
		c->have_tx = true;
	}
	if (frame_size < NL_MMAP_HDRLEN + VERDICT_ROOM && c->use_tx)
		die_msg("frame size %lu is too small to carry a verdict", frame_size);

	if (frame_nr == 0)
		die_msg("setsockopt accepted a ring without frames");

	c->map_len = (size_t)ring_bytes * (c->have_tx ? 2 : 1);
	c->map = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->map == MAP_FAILED)
		die("mmap");
	c->rx.base = c->map;
	c->rx.block_size = (unsigned int)block_size;
	c->rx.block_nr = (unsigned int)block_nr;
	c->rx.frame_size = (unsigned int)frame_size;
	c->rx.frame_nr = (unsigned int)frame_nr;
	c->rx.frames_per_block = (unsigned int)(block_size / frame_size);
	if (c->have_tx) {
		c->tx = c->rx;
		c->tx.base = (unsigned char *)c->map + ring_bytes;
	}

	/* what every nfqueue program did first; the answers do not matter */
	(void)config_cmd(c, 0, NFQNL_CFG_CMD_PF_UNBIND, AF_INET);
	(void)config_cmd(c, 0, NFQNL_CFG_CMD_PF_BIND, AF_INET);

	for (i = 0; i < c->nqueues; i++) {
		char num[8];

		snprintf(num, sizeof(num), "%u", c->queues[i].num);
		err = config_cmd(c, c->queues[i].num, NFQNL_CFG_CMD_BIND, 0);
		if (err != 0) {
			errno = -err;
			fprintf(stderr, PROG ": bind to queue %s: %s\n", num, strerror(errno));
			return EXIT_FAILURE;
		}
		err = config_params(c, c->queues[i].num, (uint32_t)copy_range);
		if (err != 0) {
			errno = -err;
			fprintf(stderr, PROG ": copy mode for queue %s: %s\n", num,
				strerror(errno));
			return EXIT_FAILURE;
		}
	}
	fprintf(stderr, PROG ": port %u, %u queue(s) bound, rings of %u x %u-byte "
		"frames (%lu-byte blocks)%s, verdicts via %s%s; waiting for packets\n",
		c->portid, c->nqueues, c->rx.frame_nr, c->rx.frame_size, block_size,
		c->have_tx ? " rx+tx" : " rx only", c->use_tx ? "TX ring" : "sendto",
		c->batch ? " in batches" : "");

	done = run(c, UNTIL_LIMIT, (int)(idle_s * 1000));
	if (!done && c->limit != 0) {
		fprintf(stderr, PROG ": %s after %llu of %llu packets\n",
			stop ? "interrupted" : "idle timeout", c->st.packets, c->limit);
		failed = true;
	}
	finish_pass(c);
	if (c->want_ack && c->outstanding > 0) {
		stop = 0;
		if (!run(c, UNTIL_ACKS, ACK_WAIT_MS)) {
			fprintf(stderr, PROG ": %llu verdict acks never came\n",
				c->outstanding);
			failed = true;
		}
	}
	for (i = 0; i < c->nqueues; i++)
		config_unbind(c, c->queues[i].num);
	if (munmap(c->map, c->map_len) < 0)
		die("munmap");
	if (close(c->fd) < 0)
		die("close");

	printf("packets=%llu accepted=%llu dropped=%llu copy=%llu valid=%llu "
	       "overruns=%llu verdict_msgs=%llu batches=%llu acks=%llu errors=%llu",
	       c->st.packets, c->st.accepted, c->st.dropped, c->st.copy, c->st.valid,
	       c->st.overruns, c->st.verdict_msgs, c->st.batches, c->st.acks,
	       c->st.errors);
	for (i = 0; i < c->nqueues; i++)
		printf(" q%u=%llu", c->queues[i].num, c->queues[i].packets);
	printf("\n");
	if (fflush(stdout) == EOF)
		die("stdout");
	if (c->st.empty_frames || c->st.empty_wakeups)
		fprintf(stderr, PROG ": %llu empty frames, %llu idle wake-up rounds\n",
			c->st.empty_frames, c->st.empty_wakeups);
	free(c->rbuf);
	return failed || c->st.errors ? EXIT_FAILURE : EXIT_SUCCESS;
}
