/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sending: verdict messages go into TX frames (one message per frame, so a
 * failure names exactly one verdict) and leave with one NFQRING_TX_FLUSH;
 * without a TX ring they gather in a buffer that leaves with one write(). */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <string.h>

#include "internal.h"

static void record_failure(struct nfqring *h, const void *msg, size_t len, int error,
			   uint32_t frame)
{
	h->st.tx_errors++;
	msg_describe(msg, len, &h->tx_err);
	h->tx_err.error = error;
	h->tx_err.frame = frame;
}

static int failure_msg(struct nfqring *h, int err)
{
	return seterr(h, err, "%s for packet %u of queue %u refused: %s",
		      h->tx_err.msg_type == NFQNL_MSG_VERDICT_BATCH ? "batch verdict" : "verdict",
		      h->tx_err.id, h->tx_err.queue, strerror(-err));
}

static int flush_ring(struct nfqring *h)
{
	int sent = 0, first_err = 0;

	/* each round processes at least one frame, so this ends */
	for (uint32_t round = 0; h->tx_pending && round <= h->tx.frame_nr; round++) {
		struct nfqring_tx_result res = { 0 };
		int r = h->ops->ioctl(h->fd, NFQRING_TX_FLUSH, &res);

		h->st.tx_flushes++;
		if (r >= 0) {
			sent += r;
			h->tx_pending = (uint32_t)r >= h->tx_pending ? 0 : h->tx_pending - (uint32_t)r;
			if (r == 0)
				break;	/* the kernel sees nothing VALID: nothing left to do */
			continue;
		}
		if (errno == EINTR)
			continue;
		if (res.error >= 0 || res.frame >= h->tx.frame_nr)
			return seterr(h, -errno, "NFQRING_TX_FLUSH: %s", strerror(errno));
		/* frames before res.frame went through; res.frame failed and was released */
		struct nl_mmap_hdr *hdr = ring_frame(&h->tx, res.frame);
		uint32_t len = hdr->nm_len;

		if (len > h->tx.frame_size - NFQRING_HDRLEN)
			len = h->tx.frame_size - NFQRING_HDRLEN;
		record_failure(h, (unsigned char *)hdr + NFQRING_HDRLEN, len, res.error, res.frame);
		if (!first_err)
			first_err = res.error;
		sent += (int)res.processed;
		h->tx_pending -= res.processed + 1 > h->tx_pending ? h->tx_pending : res.processed + 1;
	}
	if (first_err)
		return failure_msg(h, first_err);
	return sent;
}

/* write() one message; 0 or its negative errno.  Not counted in
 * st.writes: that is for verdicts, and configuration comes here too. */
int tx_write_now(struct nfqring *h, const void *msg, size_t len)
{
	for (;;) {
		ssize_t n;

		if (h->backend == NFQRING_BACKEND_NETLINK)
			return nl_send(h, msg, len);
		n = h->ops->write(h->fd, msg, len);
		if (n == (ssize_t)len)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : -EIO;
	}
}

/* write() the buffer; a short count means the message at that offset
 * failed: write it alone to learn its error, then go on after it. */
static int flush_buffer(struct nfqring *h)
{
	size_t off = 0;
	int errors = 0, first_err = 0;

	if (h->backend == NFQRING_BACKEND_NETLINK) {
		int r = nl_send(h, h->wbuf, h->wlen);

		h->st.writes++;

		h->wlen = 0;
		r = r < 0 ? r : (int)h->wcount;
		h->wcount = 0;
		return r;
	}
	while (off < h->wlen) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(h->wbuf + off);
		ssize_t n = h->ops->write(h->fd, h->wbuf + off, h->wlen - off);
		int err;

		h->st.writes++;
		if (n == (ssize_t)(h->wlen - off))
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
		} else {
			off += (size_t)n;
			nlh = (const struct nlmsghdr *)(h->wbuf + off);
			err = tx_write_now(h, nlh, nlh->nlmsg_len);
			h->st.writes++;
		}
		if (err) {
			record_failure(h, nlh, nlh->nlmsg_len, err, NO_FRAME);
			errors++;
			if (!first_err)
				first_err = err;
		}
		off += nlh->nlmsg_len;
	}
	h->wlen = 0;
	errors = (int)h->wcount - errors;
	h->wcount = 0;
	return first_err ? failure_msg(h, first_err) : errors;
}

int nfqring_flush(struct nfqring *h)
{
	int a = 0, b = 0;

	ctrl_publish(h);
	if (h->tx_pending)
		a = flush_ring(h);
	if (h->wlen)
		b = flush_buffer(h);
	if (a < 0)
		return a;
	if (b < 0)
		return b;
	return a + b;
}

static int queue_msg(struct nfqring *h, uint8_t type, const struct nfqring_verdict *v)
{
	size_t need = msg_verdict_size(type, v);
	size_t len;
	int r;

	if (!h->set_up)
		return seterr(h, -EINVAL, "nfqring_setup() has not been called");
	h->st.verdicts++;
	if (type == NFQNL_MSG_VERDICT_BATCH)
		h->st.batches++;
	if (h->tx.base && need <= h->tx.frame_size - NFQRING_HDRLEN) {
		struct nl_mmap_hdr *hdr = ring_frame(&h->tx, h->tx.head);

		if (frame_status(hdr) != NFQRING_STATUS_UNUSED) {
			/* full: a verdict refused on the way is recorded, not ours to return */
			h->st.tx_full++;
			r = nfqring_flush(h);
			if (frame_status(hdr) != NFQRING_STATUS_UNUSED)
				return r < 0 ? r : seterr(h, -EBUSY, "TX ring still full after a flush");
		}
		len = msg_verdict((unsigned char *)hdr + NFQRING_HDRLEN,
				  h->tx.frame_size - NFQRING_HDRLEN, h->seq++, type, v);
		hdr->nm_len = (unsigned int)len;
		frame_set_status(hdr, NFQRING_STATUS_VALID);
		h->tx.head = (h->tx.head + 1) % h->tx.frame_nr;
		h->tx_made++;		/* published at the flush */
		h->tx_pending++;
		return 0;
	}
	if (h->tx.base) {
		/* too big for a frame: send what is queued, then this, in order */
		nfqring_flush(h);
		len = msg_verdict(h->wbuf, h->wcap, h->seq++, type, v);
		r = tx_write_now(h, h->wbuf, len);
		h->st.writes++;
		if (r < 0) {
			record_failure(h, h->wbuf, len, r, NO_FRAME);
			return failure_msg(h, r);
		}
		return 0;
	}
	if (h->wlen + need > h->wcap)
		nfqring_flush(h);
	len = msg_verdict(h->wbuf + h->wlen, h->wcap - h->wlen, h->seq++, type, v);
	h->wlen += len;
	h->wcount++;
	return 0;
}

int nfqring_verdict(struct nfqring *h, const struct nfqring_verdict *v)
{
	int r;

	if (v->flags & ~(NFQRING_V_MARK | NFQRING_V_CONNMARK | NFQRING_V_PAYLOAD))
		return seterr(h, -EINVAL, "unknown verdict flags %#x", v->flags);
	if ((v->flags & NFQRING_V_PAYLOAD) &&
	    (v->payload_len > NFQRING_MAX_COPY_RANGE || (!v->payload && v->payload_len)))
		return seterr(h, -EMSGSIZE, "replacement payload of %u bytes: at most %u",
			      v->payload_len, NFQRING_MAX_COPY_RANGE);
	r = queue_msg(h, NFQNL_MSG_VERDICT, v);
	if (r == 0)
		seen_judged(h, v->queue, v->id, false);
	return r;
}

int nfqring_verdict_simple(struct nfqring *h, uint16_t queue, uint32_t id, uint32_t verdict)
{
	struct nfqring_verdict v = { .queue = queue, .id = id, .verdict = verdict };
	int r = queue_msg(h, NFQNL_MSG_VERDICT, &v);

	if (r == 0)
		seen_judged(h, queue, id, false);
	return r;
}

int nfqring_verdict_batch(struct nfqring *h, const struct nfqring_verdict *v)
{
	int r;

	if (v->flags & ~NFQRING_V_MARK)
		return seterr(h, -EINVAL, "a batch verdict takes a mark only (flags %#x)", v->flags);
	r = queue_msg(h, NFQNL_MSG_VERDICT_BATCH, v);
	if (r == 0)
		seen_judged(h, v->queue, v->id, true);
	return r;
}

int nfqring_batch_seen(struct nfqring *h, uint32_t verdict)
{
	struct queue_seen *s;
	int n = 0, r;

	for (uint32_t i = 0; (s = seen_at(h, i)); i++) {
		struct nfqring_verdict v = { .queue = s->queue, .id = s->last_id, .verdict = verdict };

		if (!s->fresh)
			continue;
		if (!s->unjudged) {	/* single verdicts covered them all */
			s->fresh = false;
			s->batch_id = s->last_id;
			continue;
		}
		r = queue_msg(h, NFQNL_MSG_VERDICT_BATCH, &v);
		if (r < 0)
			return r;
		s->fresh = false;
		s->unjudged = 0;
		s->batch_id = s->last_id;
		n++;
	}
	return n;
}
