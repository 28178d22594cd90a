/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ring memory shared with userspace (ring.c).  Everything in it is hostile:
 * each word is read once, validated, and never trusted afterwards.
 */
#ifndef _NFQR_RING_H
#define _NFQR_RING_H

#include <linux/mm_types.h>
#include <linux/types.h>
#include <linux/netlink.h>
#include <uapi/linux/nfqring.h>

struct nfqr_ring_block {
	void	*addr;
	bool	vmalloced;
};

struct nfqr_ring {
	u32			block_size;
	u32			block_nr;
	u32			frame_size;
	u32			frame_nr;
	u32			frames_per_block;
	size_t			size;		/* block_size * block_nr */
	struct nfqr_ring_block	*blocks;
};

/* Validates @req under the old netlink rules and our limits, and allocates
 * zeroed memory charged to the caller's memory cgroup.  A request with no
 * blocks returns NULL (a teardown); errors are ERR_PTR().
 */
struct nfqr_ring *nfqr_ring_alloc(const struct nl_mmap_req *req);
void nfqr_ring_free(struct nfqr_ring *ring);

static inline struct nl_mmap_hdr *
nfqr_ring_frame(const struct nfqr_ring *ring, u32 index)
{
	u32 block = index / ring->frames_per_block;
	u32 slot = index % ring->frames_per_block;

	return ring->blocks[block].addr + (size_t)slot * ring->frame_size;
}

/* The frame after @index, in ring order. */
static inline u32 nfqr_ring_next(const struct nfqr_ring *ring, u32 index)
{
	return index + 1 == ring->frame_nr ? 0 : index + 1;
}

/* Bytes of message a frame can carry. */
static inline u32 nfqr_ring_frame_room(const struct nfqr_ring *ring)
{
	return ring->frame_size - NFQRING_HDRLEN;
}

/* Inserts the pages of @ring into @vma from byte @offset. */
int nfqr_ring_map(const struct nfqr_ring *ring, struct vm_area_struct *vma,
		  unsigned long offset);

#endif /* _NFQR_RING_H */
