/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Receiving: walk the RX ring in order, read() COPY messages (or every
 * message without an RX ring), hand out parsed packets, release frames. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <string.h>

#include "internal.h"

/* An NLMSG_ERROR: a refused message we sent (with NLM_F_ACK, or any
 * verdict over netlink).  Zero errors are plain acknowledgments. */
void rx_note_ack(struct nfqring *h, const struct nlmsghdr *nlh, size_t len)
{
	const struct nlmsgerr *e;

	if (len < MNL_NLMSG_HDRLEN + sizeof(*e))
		return;
	e = mnl_nlmsg_get_payload(nlh);
	if (!e->error)
		return;
	h->st.tx_errors++;
	msg_describe(&e->msg, len - MNL_NLMSG_HDRLEN - offsetof(struct nlmsgerr, msg), &h->tx_err);
	h->tx_err.error = e->error;
	h->tx_err.frame = NO_FRAME;
}

/* read() the next message of the backlog into copy_buf.  Returns its length,
 * -EAGAIN when there is none, or another negative errno. */
static ssize_t read_msg(struct nfqring *h)
{
	for (int tries = 0; tries < 64; tries++) {
		ssize_t n = h->ops->read(h->fd, h->copy_buf, h->copy_size);

		if (n >= 0) {
			const struct nlmsghdr *nlh = (const struct nlmsghdr *)h->copy_buf;

			if ((size_t)n >= sizeof(*nlh) && nlh->nlmsg_type == NLMSG_ERROR) {
				rx_note_ack(h, nlh, (size_t)n);
				continue;
			}
			return n;
		}
		switch (errno) {
		case EINTR:
			continue;
		case ENOBUFS:	/* an RX overrun happened; reported once */
			h->st.overruns++;
			continue;
		case EAGAIN:
			return -EAGAIN;
		case EMSGSIZE:
			return seterr(h, -EMSGSIZE, "a message is larger than the %zu-byte read "
				      "buffer: raise copy_buf_size", h->copy_size);
		default:
			return seterr(h, -errno, "read: %s", strerror(errno));
		}
	}
	return seterr(h, -EIO, "read() keeps failing with ENOBUFS");
}

static void release_current(struct nfqring *h)
{
	if (h->cur_frame != NO_FRAME) {
		frame_set_status(ring_frame(&h->rx, h->cur_frame), NFQRING_STATUS_UNUSED);
		h->cur_frame = NO_FRAME;
	}
}

int rx_hand_out(struct nfqring *h, const void *msg, size_t len, struct nfqring_packet *pkt)
{
	int r = packet_parse(msg, len, pkt);

	if (r < 0) {
		h->st.bad_msgs++;
		return seterr(h, r, "malformed PACKET message (%zu bytes) skipped", len);
	}
	seen_note(h, pkt->queue, pkt->id);
	h->st.packets++;
	return 1;
}

static int next_copied(struct nfqring *h, struct nfqring_packet *pkt)
{
	ssize_t n = read_msg(h);

	if (n < 0)
		return (int)n;
	h->st.copies++;
	pkt->frame_ = NO_FRAME;
	return rx_hand_out(h, h->copy_buf, (size_t)n, pkt);
}

int nfqring_next(struct nfqring *h, struct nfqring_packet *pkt)
{
	struct nl_mmap_hdr *hdr;
	uint32_t i, len;
	int r;

	if (!h->set_up)
		return seterr(h, -EINVAL, "nfqring_setup() has not been called");
	release_current(h);
	if (h->backend == NFQRING_BACKEND_NETLINK)
		return nl_next(h, pkt);
	if (!h->rx.base) {
		r = next_copied(h, pkt);
		return r == -EAGAIN ? 0 : r;
	}

	i = h->rx.head;
	hdr = ring_frame(&h->rx, i);
	switch (frame_status(hdr)) {
	case NFQRING_STATUS_VALID:
		h->rx.head = (i + 1) % h->rx.frame_nr;
		h->rx_taken++;		/* published before the next wait */
		/* read nm_len once; never trust it beyond the frame */
		len = __atomic_load_n(&hdr->nm_len, __ATOMIC_RELAXED);
		if (len > h->rx.frame_size - NFQRING_HDRLEN) {
			frame_set_status(hdr, NFQRING_STATUS_UNUSED);
			h->st.bad_msgs++;
			return seterr(h, -EBADMSG, "RX frame %u: nm_len %u exceeds the frame", i, len);
		}
		pkt->frame_ = i;
		r = rx_hand_out(h, (unsigned char *)hdr + NFQRING_HDRLEN, len, pkt);
		if (r < 0)
			frame_set_status(hdr, NFQRING_STATUS_UNUSED);
		else
			h->cur_frame = i;
		return r;
	case NFQRING_STATUS_COPY:
		r = next_copied(h, pkt);
		if (r == -EAGAIN)	/* published before its message was queued */
			return 0;
		if (r == -EMSGSIZE)	/* left queued: the frame stays for a retry */
			return r;
		h->rx.head = (i + 1) % h->rx.frame_nr;
		h->rx_taken++;
		frame_set_status(hdr, NFQRING_STATUS_UNUSED);
		return r;
	default:	/* UNUSED, RESERVED, or SKIP: kept by us, the ring is blocked */
		return 0;
	}
}

int nfqring_keep(struct nfqring *h, struct nfqring_packet *pkt)
{
	if (pkt->frame_ == NO_FRAME || pkt->frame_ != h->cur_frame)
		return seterr(h, -EINVAL, "only the current packet of an RX frame can be kept");
	frame_set_status(ring_frame(&h->rx, pkt->frame_), NFQRING_STATUS_SKIP);
	h->cur_frame = NO_FRAME;
	return 0;
}

void nfqring_release(struct nfqring *h, struct nfqring_packet *pkt)
{
	struct nl_mmap_hdr *hdr;

	if (pkt->frame_ == NO_FRAME || !h->rx.base || pkt->frame_ >= h->rx.frame_nr)
		return;
	hdr = ring_frame(&h->rx, pkt->frame_);
	if (pkt->frame_ == h->cur_frame) {
		h->cur_frame = NO_FRAME;
		frame_set_status(hdr, NFQRING_STATUS_UNUSED);
	} else if (frame_status(hdr) == NFQRING_STATUS_SKIP) {
		frame_set_status(hdr, NFQRING_STATUS_UNUSED);
	}
	pkt->frame_ = NO_FRAME;
}
