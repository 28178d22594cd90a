/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Ring geometry, set-up and mapping. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

uint32_t nfqring_frame_size_for(uint32_t copy_range)
{
	if (copy_range > NFQRING_MAX_COPY_RANGE)
		copy_range = NFQRING_MAX_COPY_RANGE;
	return (uint32_t)((NFQRING_HDRLEN + NFQRING_MSG_OVERHEAD + copy_range +
			   NFQRING_FRAME_ALIGN - 1) & ~(NFQRING_FRAME_ALIGN - 1));
}

static uint64_t round_up(uint64_t v, uint64_t to)
{
	return (v + to - 1) / to * to;
}

/* Fill in and check one ring's geometry (all arithmetic in 64 bits). */
static int resolve_ring(struct nfqring *h, const char *name, uint64_t page,
			uint32_t *block, uint32_t *frame, uint32_t *nr, uint32_t def_frame,
			uint32_t def_nr)
{
	uint64_t fsz = *frame ? *frame : def_frame;
	uint64_t bsz = *block;
	uint64_t want = *nr ? *nr : def_nr;
	uint64_t fpb, blocks;

	if (fsz < NFQRING_HDRLEN + 16 || fsz % NFQRING_FRAME_ALIGN)
		return seterr(h, -EINVAL, "%s frame size %llu: must be at least %zu and a "
			      "multiple of %d", name, (unsigned long long)fsz,
			      NFQRING_HDRLEN + 16, NFQRING_FRAME_ALIGN);
	if (!bsz) {
		bsz = round_up(fsz, page);
		if (bsz < NFQRING_DEFAULT_BLOCK)
			bsz = round_up(NFQRING_DEFAULT_BLOCK, page);
	}
	if (bsz % page || bsz < fsz)
		return seterr(h, -EINVAL, "%s block size %llu: must be a multiple of the page "
			      "size (%llu) and hold a frame (%llu)", name,
			      (unsigned long long)bsz, (unsigned long long)page,
			      (unsigned long long)fsz);
	fpb = bsz / fsz;
	blocks = (want + fpb - 1) / fpb;
	if (!blocks)
		blocks = 1;
	if (bsz > UINT32_MAX || blocks * fpb > NFQRING_MAX_FRAMES ||
	    blocks * bsz > NFQRING_MAX_RING_BYTES)
		return seterr(h, -E2BIG, "%s ring of %llu frames of %llu bytes is beyond the "
			      "limits (%u frames, %u bytes)", name,
			      (unsigned long long)(blocks * fpb), (unsigned long long)fsz,
			      NFQRING_MAX_FRAMES, NFQRING_MAX_RING_BYTES);
	*block = (uint32_t)bsz;
	*frame = (uint32_t)fsz;
	*nr = (uint32_t)(blocks * fpb);
	return 0;
}

int nfqring_ring_params_resolve(struct nfqring *h, struct nfqring_ring_params *p)
{
	const struct nfqring_ops *ops = h ? h->ops : &nfqring_sys_ops;
	long page = ops->page_size();
	int r;

	if (page <= 0)
		return seterr(h, -EINVAL, "cannot tell the page size");
	if (p->flags & ~(NFQRING_NO_RX_RING | NFQRING_NO_TX_RING | NFQRING_ABI_V1))
		return seterr(h, -EINVAL, "unknown ring flags %#x", p->flags);
	if (!(p->flags & NFQRING_NO_RX_RING)) {
		r = resolve_ring(h, "RX", (uint64_t)page, &p->rx_block_size, &p->rx_frame_size,
				 &p->rx_frame_nr, NFQRING_DEFAULT_RX_FRAME,
				 NFQRING_DEFAULT_RX_FRAMES);
		if (r < 0)
			return r;
	} else {
		p->rx_block_size = p->rx_frame_size = p->rx_frame_nr = 0;
	}
	if (!(p->flags & NFQRING_NO_TX_RING)) {
		r = resolve_ring(h, "TX", (uint64_t)page, &p->tx_block_size, &p->tx_frame_size,
				 &p->tx_frame_nr, NFQRING_DEFAULT_TX_FRAME,
				 NFQRING_DEFAULT_TX_FRAMES);
		if (r < 0)
			return r;
	} else {
		p->tx_block_size = p->tx_frame_size = p->tx_frame_nr = 0;
	}
	if (!p->copy_buf_size)
		p->copy_buf_size = NFQRING_DEFAULT_COPY_BUF;
	if (p->copy_buf_size < 256)
		return seterr(h, -EINVAL, "copy_buf_size %u is too small", p->copy_buf_size);
	return 0;
}

static void ring_init(struct ring *r, uint32_t block, uint32_t frame, uint32_t nr)
{
	memset(r, 0, sizeof(*r));
	if (!nr)
		return;
	r->block_size = block;
	r->frame_size = frame;
	r->frame_nr = nr;
	r->frames_per_block = block / frame;
	r->size = (size_t)block * (nr / r->frames_per_block);
}

static int set_ring(struct nfqring *h, unsigned long req, const char *name, const struct ring *r)
{
	struct nl_mmap_req m = {
		.nm_block_size = r->block_size,
		.nm_block_nr = r->frame_nr ? r->frame_nr / r->frames_per_block : 0,
		.nm_frame_size = r->frame_size,
		.nm_frame_nr = r->frame_nr,
	};

	if (h->ops->ioctl(h->fd, req, &m) < 0)
		return seterr(h, -errno, "setting up the %s ring (%u frames of %u bytes): %s",
			      name, m.nm_frame_nr, m.nm_frame_size, strerror(errno));
	return 0;
}

static int map_rings(struct nfqring *h, const struct nfqring_ring_params *p)
{
	static const struct ring none;
	void *m;
	int r;

	ring_init(&h->rx, p->rx_block_size, p->rx_frame_size, p->rx_frame_nr);
	ring_init(&h->tx, p->tx_block_size, p->tx_frame_size, p->tx_frame_nr);
	if (h->rx.frame_nr && (r = set_ring(h, NFQRING_SET_RX_RING, "RX", &h->rx)) < 0)
		return r;
	if (h->tx.frame_nr && (r = set_ring(h, NFQRING_SET_TX_RING, "TX", &h->tx)) < 0)
		goto undo_rx;
	h->map_size = h->rx.size + h->tx.size;	/* each <= 256 MiB: no overflow */
	if (!h->map_size)
		return 0;
	m = h->ops->mmap(NULL, h->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, 0);
	if (m == MAP_FAILED) {
		r = seterr(h, -errno, "mapping the rings (%zu bytes): %s", h->map_size,
			   strerror(errno));
		goto undo_tx;
	}
	h->map = m;
	h->rx.base = h->rx.frame_nr ? m : NULL;
	h->tx.base = h->tx.frame_nr ? (unsigned char *)m + h->rx.size : NULL;
	return 0;

undo_tx:
	if (h->tx.frame_nr)
		set_ring(h, NFQRING_SET_TX_RING, "TX", &none);
undo_rx:
	if (h->rx.frame_nr)
		set_ring(h, NFQRING_SET_RX_RING, "RX", &none);
	memset(&h->rx, 0, sizeof(h->rx));
	memset(&h->tx, 0, sizeof(h->tx));
	h->map_size = 0;
	return r;
}

int nfqring_setup(struct nfqring *h, struct nfqring_ring_params *p)
{
	struct nfqring_ring_params q = { 0 };
	int r;

	if (h->set_up)
		return seterr(h, -EBUSY, "rings are already set up");
	if (p)
		q = *p;
	if (h->backend == NFQRING_BACKEND_NETLINK) {
		r = nl_setup(h, &q);
		if (r < 0)
			return r;
	} else {
		r = nfqring_ring_params_resolve(h, &q);
		if (r < 0)
			return r;
	}
	h->copy_size = q.copy_buf_size;
	h->copy_buf = malloc(h->copy_size);
	h->wcap = NFQRING_MAX_MSG;
	h->wbuf = malloc(h->wcap);
	if (!h->copy_buf || !h->wbuf) {
		free(h->copy_buf);
		free(h->wbuf);
		h->copy_buf = h->wbuf = NULL;
		return seterr(h, -ENOMEM, "out of memory for %zu-byte buffers", h->copy_size);
	}
	if (h->backend == NFQRING_BACKEND_RING) {
		r = map_rings(h, &q);
		if (r >= 0 && !(q.flags & NFQRING_ABI_V1))
			r = ctrl_setup(h);
		if (r < 0) {
			free(h->copy_buf);
			free(h->wbuf);
			h->copy_buf = h->wbuf = NULL;
			return r;
		}
	}
	if (p)
		*p = q;
	h->set_up = true;
	return 0;
}
