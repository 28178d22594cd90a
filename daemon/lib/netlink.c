/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The netlink backend: the same calls over a NETLINK_NETFILTER socket, for
 * kernels with only the stock nfnetlink_queue.  Packets come in with one
 * recvmmsg() per burst into buffers allocated by nfqring_setup(); verdicts
 * leave with one sendmsg() per flush (tx.c gathers them); configuration
 * waits for the kernel's acknowledgment.  libmnl walks the messages.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Defaults: a buffer holds the largest PACKET message, so nothing is cut. */
#define NL_DEFAULT_BUFS		64U
#define NL_MAX_BUFS		1024U	/* recvmmsg()'s limit (UIO_MAXIOV) */
#define NL_MIN_RCVBUF		(32U << 20)
#define NL_ACK_TIMEOUT_MS	5000

struct netlink_state {
	struct mmsghdr *msgs;		/* one per buffer */
	struct iovec *iov;
	unsigned char *bufs;
	uint32_t nr, size;		/* buffers and the size of each */
	uint32_t count;			/* buffers holding datagrams */
	uint32_t slot;			/* datagram being handed out */
	uint32_t off;			/* next message in it */
	int rcvbuf;			/* what SO_RCVBUF(FORCE) was given */
};

int nl_open(struct nfqring *h)
{
	int one = 1;

	h->nl = calloc(1, sizeof(*h->nl));
	if (!h->nl)
		return seterr(h, -ENOMEM, "out of memory");
	h->fd = h->ops->nl_socket();
	if (h->fd < 0) {
		int e = errno;

		if (e == EPROTONOSUPPORT || e == EAFNOSUPPORT)
			return seterr(h, -e, "no NETLINK_NETFILTER sockets: this kernel lacks "
				      "nfnetlink (%s)", strerror(e));
		return seterr(h, -e, "NETLINK_NETFILTER socket: %s", strerror(e));
	}
	/* an overflow then costs the packets only (counted by the kernel),
	 * not an error on the socket; an ENOBUFS that still comes is counted */
	h->ops->setsockopt(h->fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	return 0;
}

void nl_close(struct nfqring *h)
{
	if (!h->nl)
		return;
	free(h->nl->msgs);
	free(h->nl->iov);
	free(h->nl->bufs);
	free(h->nl);
	h->nl = NULL;
}

int nl_setup(struct nfqring *h, struct nfqring_ring_params *p)
{
	struct netlink_state *nl = h->nl;
	uint64_t total;
	int rcv;

	if (!p->rx_frame_size)
		p->rx_frame_size = nfqring_frame_size_for(NFQRING_MAX_COPY_RANGE);
	if (!p->rx_frame_nr)
		p->rx_frame_nr = NL_DEFAULT_BUFS;
	if (p->rx_frame_size < 256 || p->rx_frame_size > (16U << 20))
		return seterr(h, -EINVAL, "receive buffer size %u: must be 256 bytes to 16 MiB",
			      p->rx_frame_size);
	if (p->rx_frame_nr > NL_MAX_BUFS)
		return seterr(h, -E2BIG, "%u receive buffers: at most %u", p->rx_frame_nr,
			      NL_MAX_BUFS);
	if (!p->copy_buf_size)
		p->copy_buf_size = NFQRING_DEFAULT_COPY_BUF;
	/* no rings here: say so in what is written back */
	p->rx_block_size = p->tx_block_size = p->tx_frame_size = p->tx_frame_nr = 0;
	p->flags = NFQRING_NO_RX_RING | NFQRING_NO_TX_RING;

	total = (uint64_t)p->rx_frame_size * p->rx_frame_nr;
	nl->msgs = calloc(p->rx_frame_nr, sizeof(*nl->msgs));
	nl->iov = calloc(p->rx_frame_nr, sizeof(*nl->iov));
	nl->bufs = malloc(total);
	if (!nl->msgs || !nl->iov || !nl->bufs)
		return seterr(h, -ENOMEM, "out of memory for %u receive buffers of %u bytes",
			      p->rx_frame_nr, p->rx_frame_size);
	nl->nr = p->rx_frame_nr;
	nl->size = p->rx_frame_size;
	for (uint32_t i = 0; i < nl->nr; i++) {
		nl->iov[i].iov_base = nl->bufs + (size_t)i * nl->size;
		nl->iov[i].iov_len = nl->size;
		nl->msgs[i].msg_hdr.msg_iov = &nl->iov[i];
		nl->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	/* room for bursts several times what one recvmmsg() takes */
	rcv = total * 4 > NL_MIN_RCVBUF ? (total * 4 > INT32_MAX / 2 ? INT32_MAX / 2 : (int)(total * 4))
					: (int)NL_MIN_RCVBUF;
	if (h->ops->setsockopt(h->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		h->ops->setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	nl->rcvbuf = rcv;
	return 0;
}

/* recvmmsg() into buffers from..nr-1.  Returns the number filled, -EAGAIN
 * when nothing waits, or another negative errno. */
static int fill(struct nfqring *h, uint32_t from)
{
	struct netlink_state *nl = h->nl;

	for (int tries = 0; tries < 64; tries++) {
		int n;

		for (uint32_t i = from; i < nl->nr; i++)
			nl->msgs[i].msg_hdr.msg_flags = 0;
		n = h->ops->recvmmsg(h->fd, nl->msgs + from, nl->nr - from,
				     MSG_WAITFORONE | MSG_DONTWAIT);
		if (n >= 0)
			return n;
		switch (errno) {
		case EINTR:
			continue;
		case ENOBUFS:	/* the socket overflowed: packets were dropped */
			h->st.overruns++;
			continue;
		case EAGAIN:
			return -EAGAIN;
		default:
			return seterr(h, -errno, "recvmmsg: %s", strerror(errno));
		}
	}
	return seterr(h, -EIO, "recvmmsg() keeps failing with ENOBUFS");
}

static void next_slot(struct netlink_state *nl)
{
	nl->slot++;
	nl->off = 0;
}

int nl_next(struct nfqring *h, struct nfqring_packet *pkt)
{
	struct netlink_state *nl = h->nl;

	for (;;) {
		while (nl->slot < nl->count) {
			struct mmsghdr *m = &nl->msgs[nl->slot];
			unsigned char *d = nl->iov[nl->slot].iov_base;
			const struct nlmsghdr *nlh = (const struct nlmsghdr *)(d + nl->off);
			size_t rest = m->msg_len > nl->off ? m->msg_len - nl->off : 0;

			if (m->msg_hdr.msg_flags & MSG_TRUNC) {
				next_slot(nl);
				h->st.bad_msgs++;
				return seterr(h, -EMSGSIZE, "a message did not fit in a %u-byte "
					      "receive buffer and was lost: raise rx_frame_size",
					      nl->size);
			}
			if (!rest) {
				next_slot(nl);
				continue;
			}
			uint32_t mlen = msg_len_in(nlh, rest);

			if (!mlen) {	/* the rest of the datagram cannot be walked */
				next_slot(nl);
				h->st.bad_msgs++;
				return seterr(h, -EBADMSG, "malformed netlink datagram (%zu bytes) "
					      "skipped", rest);
			}
			/* mlen <= rest <= the buffer: the offset moves on, without wrapping */
			nl->off += MNL_ALIGN(mlen);
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				rx_note_ack(h, nlh, mlen);
				continue;
			}
			if (nlh->nlmsg_type != nfq_msg_type(NFQNL_MSG_PACKET))
				continue;	/* NLMSG_NOOP: an answer config took */
			pkt->frame_ = NO_FRAME;
			return rx_hand_out(h, nlh, mlen, pkt);
		}
		nl->slot = nl->count = nl->off = 0;
		int n = fill(h, 0);

		if (n == -EAGAIN)
			return 0;
		if (n < 0)
			return n;
		nl->count = (uint32_t)n;
	}
}

bool nl_pending(const struct nfqring *h)
{
	return h->nl && h->nl->slot < h->nl->count;
}

int nl_send(struct nfqring *h, const void *buf, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr m = { .msg_name = &kernel, .msg_namelen = sizeof(kernel),
			    .msg_iov = &iov, .msg_iovlen = 1 };

	for (;;) {
		ssize_t n = h->ops->sendmsg(h->fd, &m, 0);

		if (n == (ssize_t)len)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return seterr(h, -errno, "sendmsg: %s", strerror(errno));
		return seterr(h, -EIO, "sendmsg sent %zd of %zu bytes", n, len);
	}
}

/* Look through the datagrams of buffers from..to-1 for the answer to seq;
 * take it out of the stream (NLMSG_NOOP) and store its error.  Packets and
 * other answers stay for nfqring_next(). */
static bool find_ack(struct nfqring *h, uint32_t from, uint32_t to, uint32_t seq, int *err)
{
	struct netlink_state *nl = h->nl;

	for (uint32_t i = from; i < to; i++) {
		unsigned char *d = nl->iov[i].iov_base;
		size_t len = nl->msgs[i].msg_len, off = 0;
		uint32_t mlen;

		if (nl->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			continue;
		/* each message bounded by the datagram (msg_len_in), as in nl_next */
		for (; off < len && (mlen = msg_len_in(d + off, len - off)); off += MNL_ALIGN(mlen)) {
			struct nlmsghdr *nlh = (struct nlmsghdr *)(d + off);
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq != seq ||
			    mlen < MNL_NLMSG_HDRLEN + sizeof(*e))
				continue;
			*err = e->error;
			nlh->nlmsg_type = NLMSG_NOOP;
			return true;
		}
	}
	return false;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Send one CONFIG message (NLM_F_ACK set) and wait for its answer.  Packets
 * that arrive meanwhile are appended to the receive buffers, in order. */
int nl_config(struct nfqring *h, const void *msg, size_t len)
{
	struct netlink_state *nl = h->nl;
	uint32_t seq = ((const struct nlmsghdr *)msg)->nlmsg_seq;
	long long deadline = now_ms() + NL_ACK_TIMEOUT_MS;
	int r, err = 0;

	if (!nl->nr)
		return seterr(h, -EINVAL, "nfqring_setup() has not been called");
	r = nl_send(h, msg, len);
	if (r < 0)
		return r;
	for (;;) {
		uint32_t from;
		long long left = deadline - now_ms();

		if (nl->slot >= nl->count)
			nl->slot = nl->count = nl->off = 0;
		from = nl->count;
		if (from == nl->nr)
			return seterr(h, -ENOBUFS, "the receive buffers filled with packets while "
				      "waiting for the kernel's answer: call nfqring_next() first");
		r = fill(h, from);
		if (r > 0) {
			nl->count += (uint32_t)r;
			if (find_ack(h, from, nl->count, seq, &err))
				return err;
			continue;
		}
		if (r != -EAGAIN)
			return r;
		if (left <= 0)
			return seterr(h, -ETIMEDOUT, "no answer from the kernel");
		struct pollfd p = { .fd = h->fd, .events = POLLIN };

		if (h->ops->poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return seterr(h, -errno, "poll: %s", strerror(errno));
	}
}
