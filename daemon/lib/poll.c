/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Waiting for packets, and clearing RX overruns (POLLERR). */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* Ready without a system call: the RX head frame is VALID or COPY. */
bool head_ready(const struct nfqring *h)
{
	unsigned int st;

	if (h->backend == NFQRING_BACKEND_NETLINK)
		return nl_pending(h);
	if (!h->rx.base)
		return false;
	st = frame_status(ring_frame(&h->rx, h->rx.head));
	return st == NFQRING_STATUS_VALID || st == NFQRING_STATUS_COPY;
}

/* POLLERR: an overrun.  The next read() fails once with ENOBUFS; read with a
 * buffer too small for any message so that a waiting message (COPY) stays
 * queued (EMSGSIZE) instead of being taken out of order. */
static void clear_overrun(struct nfqring *h)
{
	unsigned char tiny[8];

	if (h->ops->read(h->fd, tiny, sizeof(tiny)) < 0 && errno == ENOBUFS)
		h->st.overruns++;
}

short nfqring_poll_events(const struct nfqring *h)
{
	(void)h;
	return POLLIN;
}

int nfqring_handle_revents(struct nfqring *h, short revents)
{
	if (revents & POLLNVAL)
		return seterr(h, -EBADF, "the descriptor is not open");
	if ((revents & POLLERR) && h->backend == NFQRING_BACKEND_RING)
		clear_overrun(h);
	/* netlink: a socket error (ENOBUFS) is taken and counted by the next
	 * nfqring_next(); say ready so that the caller does not spin in poll */
	if ((revents & POLLERR) && h->backend == NFQRING_BACKEND_NETLINK)
		return 1;
	return (revents & POLLIN) || head_ready(h) ? 1 : 0;
}

/* One poll() of the descriptor for POLLIN, its revents handled. */
int wait_poll(struct nfqring *h, int timeout_ms)
{
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	int n = h->ops->poll(&pfd, 1, timeout_ms);

	if (n < 0)
		return seterr(h, -errno, "poll: %s", strerror(errno));
	if (n == 0)
		return 0;
	return nfqring_handle_revents(h, pfd.revents);
}

int nfqring_wait(struct nfqring *h, int timeout_ms)
{
	if (head_ready(h))
		return h->batch_min && timeout_ms ? ctrl_wait_batch(h, timeout_ms) : 1;
	if (h->ctrl)
		return ctrl_wait(h, timeout_ms);	/* version 2: spin if asked, then ask */
	return wait_poll(h, timeout_ms);
}

int nfqring_drain(struct nfqring *h, int timeout_ms, uint32_t verdict,
		  nfqring_packet_fn fn, void *arg)
{
	struct nfqring_packet pkt;
	int r, n = 0, err = 0;

	r = nfqring_wait(h, timeout_ms);
	if (r <= 0)
		return r;
	while ((r = nfqring_next(h, &pkt)) != 0) {
		if (r == -EBADMSG)
			continue;	/* counted and skipped */
		if (r < 0) {
			err = r;
			break;
		}
		n++;
		if (fn && (r = fn(h, &pkt, arg)) < 0) {
			err = r;
			break;
		}
	}
	if (n) {
		r = nfqring_batch_seen(h, verdict);
		if (r >= 0)
			r = nfqring_flush(h);
		if (r < 0 && !err)
			err = r;
	}
	return err ? err : n;
}
