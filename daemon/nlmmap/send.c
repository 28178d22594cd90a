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
 * Errors: netlink answered every failed request with an NLMSG_ERROR, with
 * or without NLM_F_ACK, and with an RX ring each acknowledgment took a COPY
 * frame.  The endpoint does both (NFQRING_ACKS_NETLINK, set at open): the
 * library only ignores a request's error, as netlink's sendmsg did.
 *
 * The TX ring: sendto(fd, NULL, 0) / sendmsg without data is
 * NFQRING_TX_FLUSH, repeated past failed frames (4.5 went on after a
 * failed request too; the endpoint has queued its NLMSG_ERROR).  A frame whose nm_len
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
	size_t bytes = 0;

	if (!nr)
		return 0;
	/* At most one lap of failures: a producer refilling frames as fast as
	 * they fail cannot keep us here. */
	for (rounds = 0; rounds <= nr; rounds++) {
		struct nfqring_tx_result res = { .frame = UINT32_MAX };
		uint32_t start = atomic_load(&s->tx_next) % nr;
		struct nl_mmap_hdr *h;
		int r = nlm_ops->tx_flush(s->dev, &res);

		if (r >= 0) {
			bytes += frame_bytes(s, start, (uint32_t)r);
			atomic_store(&s->tx_next, (start + (uint32_t)r) % nr);
			break;
		}
		if (res.error == 0 || res.frame >= nr)
			return fail(r);	/* the call itself failed: EPERM, EFAULT */
		bytes += frame_bytes(s, start, res.processed);
		atomic_store(&s->tx_next, (res.frame + 1) % nr);
		h = nlm_tx_frame(s, res.frame);
		/* 4.5: nm_len beyond the frame fails the call */
		if (r == -EINVAL && h && __atomic_load_n(&h->nm_len, __ATOMIC_RELAXED) > tx_room(s))
			return fail(-EINVAL);
		/* Any other failure: its NLMSG_ERROR waits for recv(). */
	}
	return (ssize_t)bytes;
}

/* The device processes VALID TX frames before any write() and stops at a
 * failed one: flush them ourselves first, past failures, when there are
 * any (the library's TX head stays in step). */
static void flush_before_write(struct nlm_sock *s)
{
	struct nl_mmap_hdr *h;

	if (!s->tx.nm_block_nr)
		return;
	h = nlm_tx_frame(s, atomic_load(&s->tx_next) % s->tx.nm_frame_nr);
	if (!h || __atomic_load_n(&h->nm_status, __ATOMIC_ACQUIRE) == NL_MMAP_STATUS_VALID)
		nlm_tx_flush(s);
}

/* One queue request to the device; 0, or -errno for the call itself (the
 * request's own error comes back as an NLMSG_ERROR). */
static int send_queue_msg(struct nlm_sock *s, const struct nlmsghdr *nlh)
{
	ssize_t r = nlm_ops->dev_write(s->dev, nlh, nlh->nlmsg_len);

	if (r == -EFAULT || r == -EMSGSIZE)
		return (int)r;
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
