/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sendto / sendmsg / send / write on an emulated socket.
 *
 * Routing: each message of the buffer is looked at once.  A queue-subsystem
 * request (CONFIG, VERDICT, VERDICT_BATCH) goes to the device, one write()
 * per message, so that its result is exactly its own; a run of other
 * messages goes to the netlink socket in one sendmsg().  A message whose
 * length does not fit ends the buffer silently, as netlink_rcv_skb() did.
 * The call returns the whole length, as 4.5's sendmsg to the kernel did:
 * request errors come back as NLMSG_ERROR messages through recv().
 *
 * Errors nobody asked for: netlink answers every failed request with an
 * NLMSG_ERROR, with or without NLM_F_ACK; the device acknowledges only
 * NLM_F_ACK requests.  For a request that failed without it, the library
 * keeps the error (struct nlm_err, a fixed array: no allocation) and writes
 * a marker to the device, an NLMSG_NOOP with NLM_F_ACK and the socket's
 * cookie (not a request: the device does nothing but acknowledge it).  The
 * marker's acknowledgment takes its place in the device's read() backlog:
 * poll() reports it, and recv() hands out the kept error in its place, in
 * order with the COPY messages around it.
 *
 * The TX ring: sendto(fd, NULL, 0) / sendmsg without data is
 * NFQRING_TX_FLUSH, repeated past failed frames (4.5 went on after a
 * failed request too, reporting it as NLMSG_ERROR).  A frame whose nm_len
 * does not fit the frame ends the flush with EINVAL, as in 4.5.  The result
 * is the bytes of the messages sent, read from the frames when the library
 * knows the mapping (mmap.c), else the number of frames.
 */
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "nlmmap.h"

static ssize_t fail(int err)
{
	errno = -err;
	return -1;
}

bool nlm_pending_push(struct nlm_sock *s, const struct nlmsghdr *req, int error)
{
	bool kept = false;

	pthread_mutex_lock(&s->lock);
	if (s->pend_n == NLM_PENDING) {
		atomic_store(&s->pend_lost, true);	/* the next recv(): ENOBUFS, as an overrun */
	} else {
		struct nlm_err *e = &s->pend[(s->pend_head + s->pend_n) % NLM_PENDING];

		e->req = *req;
		e->error = error;
		s->pend_n++;
		atomic_store(&s->pend_count, s->pend_n);
		kept = true;
	}
	pthread_mutex_unlock(&s->lock);
	return kept;
}

void nlm_pending_mark(struct nlm_sock *s, unsigned int n)
{
	struct nlmsghdr marks[16];
	unsigned int i, k;

	/*
	 * One write() for up to 16 markers.  The device processes the VALID
	 * TX frames before any write(): the callers have flushed them already
	 * (their errors would be the device's alone).  No room for a marker:
	 * the error still comes out when the backlog is empty (recv.c), only
	 * later than its place.
	 */
	while (n) {
		k = n < 16 ? n : 16;
		for (i = 0; i < k; i++)
			marks[i] = (struct nlmsghdr){
				.nlmsg_len = NLMSG_HDRLEN,
				.nlmsg_type = NLMSG_NOOP,
				.nlmsg_flags = NLM_F_ACK,
				.nlmsg_seq = s->cookie_seq,
				.nlmsg_pid = s->cookie_pid,
			};
		nlm_ops->dev_write(s->dev, marks, k * sizeof(marks[0]));
		n -= k;
	}
}

static bool queue_msg(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type >= NLMSG_MIN_TYPE &&
	       NFNL_SUBSYS_ID(nlh->nlmsg_type) == NFNL_SUBSYS_QUEUE;
}

static uint32_t tx_room(const struct nlm_sock *s)
{
	return s->tx.nm_frame_size - NFQRING_HDRLEN;
}

/* Bytes of n frames from index start (their nm_len, bounded). */
static size_t frame_bytes(struct nlm_sock *s, uint32_t start, uint32_t n)
{
	size_t bytes = 0;
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct nl_mmap_hdr *h = nlm_tx_frame(s, (start + i) % s->tx.nm_frame_nr);
		uint32_t len;

		if (!h)
			return n;	/* mapping unknown: count frames */
		len = __atomic_load_n(&h->nm_len, __ATOMIC_RELAXED);
		bytes += len <= tx_room(s) ? len : 0;
	}
	return bytes;
}

ssize_t nlm_tx_flush(struct nlm_sock *s)
{
	uint32_t nr = s->tx.nm_frame_nr, rounds;
	unsigned int marks = 0;
	size_t bytes = 0;
	ssize_t ret;

	if (!nr)
		return 0;
	/* At most one lap of failures: a producer refilling frames as fast as
	 * they fail cannot keep us here. */
	for (rounds = 0; rounds <= nr; rounds++) {
		struct nfqring_tx_result res = { .frame = UINT32_MAX };
		uint32_t start = atomic_load(&s->tx_next) % nr;
		struct nl_mmap_hdr *h;
		struct nlmsghdr req = { 0 };
		uint32_t len;
		int r = nlm_ops->tx_flush(s->dev, &res);

		if (r >= 0) {
			bytes += frame_bytes(s, start, (uint32_t)r);
			atomic_store(&s->tx_next, (start + (uint32_t)r) % nr);
			break;
		}
		if (res.error == 0 || res.frame >= nr) {
			ret = fail(r);	/* the call itself failed: EPERM, EFAULT */
			goto out;
		}
		bytes += frame_bytes(s, start, res.processed);
		atomic_store(&s->tx_next, (res.frame + 1) % nr);
		h = nlm_tx_frame(s, res.frame);
		len = h ? __atomic_load_n(&h->nm_len, __ATOMIC_RELAXED) : 0;
		if (r == -EINVAL && h && len > tx_room(s)) {
			ret = fail(-EINVAL);	/* 4.5: nm_len beyond the frame */
			goto out;
		}
		if (h && len >= NLMSG_HDRLEN)
			memcpy(&req, (unsigned char *)h + NFQRING_HDRLEN, sizeof(req));
		/* With NLM_F_ACK the device has acknowledged it already. */
		if ((!h || !(req.nlmsg_flags & NLM_F_ACK)) && nlm_pending_push(s, &req, r))
			marks++;
	}
	ret = (ssize_t)bytes;
out:
	/* After the flush: a write() in the middle would flush the rest itself. */
	if (marks) {
		int e = errno;

		nlm_pending_mark(s, marks);
		errno = e;
	}
	return ret;
}

/* The device processes VALID TX frames before any write(), and keeps
 * their errors to itself: flush them ourselves first when there are any. */
static void flush_before_write(struct nlm_sock *s)
{
	struct nl_mmap_hdr *h;

	if (!s->tx.nm_block_nr)
		return;
	h = nlm_tx_frame(s, atomic_load(&s->tx_next) % s->tx.nm_frame_nr);
	if (!h || __atomic_load_n(&h->nm_status, __ATOMIC_ACQUIRE) == NL_MMAP_STATUS_VALID)
		nlm_tx_flush(s);
}

/* One queue request to the device; 0, or -errno for the call itself. */
static int send_queue_msg(struct nlm_sock *s, const struct nlmsghdr *nlh)
{
	ssize_t r = nlm_ops->dev_write(s->dev, nlh, nlh->nlmsg_len);

	if (r >= 0)
		return 0;
	if (r == -EFAULT || r == -EMSGSIZE)
		return (int)r;
	if (!(nlh->nlmsg_flags & NLM_F_ACK) && nlm_pending_push(s, nlh, (int)r))
		nlm_pending_mark(s, 1);
	return 0;
}

static ssize_t send_other(struct nlm_sock *s, const struct msghdr *msg, const void *buf,
			  size_t len, int flags)
{
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = *msg;

	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	return REAL(sendmsg)(s->nl, &m, flags);
}

ssize_t nlm_sendmsg(struct nlm_sock *s, int fd, const struct msghdr *msg, int flags)
{
	const struct sockaddr_nl *to = msg->msg_name;
	unsigned char *buf, *heap = NULL;
	size_t len = 0, off = 0, i;
	ssize_t ret;
	int err = 0;
	bool any_queue = false;

	(void)fd;
	if (msg->msg_iovlen == 0 || msg->msg_iov[0].iov_base == NULL) {
		if (s->tx.nm_block_nr)
			return nlm_tx_flush(s);
		return REAL(sendmsg)(s->nl, msg, flags);
	}
	/* To another socket, or to groups: netlink's business. */
	if (to && msg->msg_namelen >= sizeof(*to) && to->nl_family == AF_NETLINK &&
	    (to->nl_pid || to->nl_groups))
		return REAL(sendmsg)(s->nl, msg, flags);

	for (i = 0; i < msg->msg_iovlen; i++)
		len += msg->msg_iov[i].iov_len;
	if (msg->msg_iovlen == 1) {
		buf = msg->msg_iov[0].iov_base;
	} else {
		heap = malloc(len ? len : 1);
		if (!heap)
			return fail(-ENOBUFS);
		for (i = 0; i < msg->msg_iovlen; i++) {
			memcpy(heap + off, msg->msg_iov[i].iov_base, msg->msg_iov[i].iov_len);
			off += msg->msg_iov[i].iov_len;
		}
		buf = heap;
		off = 0;
	}

	/* Nothing for the queue subsystem: the socket takes the call as it is. */
	for (off = 0; off + NLMSG_HDRLEN <= len;) {
		const struct nlmsghdr *nlh = (const void *)(buf + off);

		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len - off)
			break;
		if (queue_msg(nlh)) {
			any_queue = true;
			break;
		}
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	if (!any_queue) {
		free(heap);
		return REAL(sendmsg)(s->nl, msg, flags);
	}

	flush_before_write(s);
	for (off = 0; off + NLMSG_HDRLEN <= len && !err;) {
		const struct nlmsghdr *nlh = (const void *)(buf + off);
		size_t run = off;

		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len - off)
			break;	/* netlink ignores the rest */
		if (queue_msg(nlh)) {
			err = send_queue_msg(s, nlh);
			off += NLMSG_ALIGN(nlh->nlmsg_len);
			continue;
		}
		/* a run of other messages, to the socket in one call */
		while (run + NLMSG_HDRLEN <= len) {
			const struct nlmsghdr *m = (const void *)(buf + run);

			if (m->nlmsg_len < NLMSG_HDRLEN || m->nlmsg_len > len - run || queue_msg(m))
				break;
			run += NLMSG_ALIGN(m->nlmsg_len);
		}
		if (run > len)
			run = len;
		if (send_other(s, msg, buf + off, run - off, flags) < 0)
			err = -errno;
		off = run;
	}
	free(heap);
	if (err)
		return fail(err);
	ret = (ssize_t)len;
	return ret;
}
