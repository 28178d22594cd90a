// SPDX-License-Identifier: GPL-2.0
/*
 * Ring memory: validation of the ring request, allocation (zeroed, charged
 * to the memory cgroup), and insertion of the pages into a mapping.
 *
 * A block is one high-order compound allocation when the allocator has one
 * (as af_packet's rings), else vmalloc memory; either way it is zeroed
 * before anything can map it, so no byte of old kernel memory is visible.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/error-injection.h>

#include "compat.h"
#include "ring.h"

static void nfqr_block_free(struct nfqr_ring_block *b, u32 size)
{
	if (!b->addr)
		return;
	if (b->vmalloced)
		vfree(b->addr);
	else
		free_pages((unsigned long)b->addr, get_order(size));
}

/* noinline and listed: fail_function makes it fail in the debug VM. */
static noinline int nfqr_block_alloc(struct nfqr_ring_block *b, u32 size)
{
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_COMP | __GFP_ZERO |
		    __GFP_NOWARN | __GFP_NORETRY;
	unsigned int order = get_order(size);

	if (order <= NFQR_MAX_PAGE_ORDER) {
		b->addr = (void *)__get_free_pages(gfp, order);
		if (b->addr)
			return 0;
	}
	b->addr = __vmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	b->vmalloced = true;
	return b->addr ? 0 : -ENOMEM;
}

ALLOW_ERROR_INJECTION(nfqr_block_alloc, ERRNO);

struct nfqr_ring *nfqr_ring_alloc(const struct nl_mmap_req *req)
{
	/* Read each field once: the struct came from userspace. */
	u32 block_size = req->nm_block_size, block_nr = req->nm_block_nr;
	u32 frame_size = req->nm_frame_size, frame_nr = req->nm_frame_nr;
	struct nfqr_ring *ring;
	u32 per_block, i;
	size_t size;
	int err;

	if (block_nr == 0)
		return frame_nr == 0 ? NULL : ERR_PTR(-EINVAL);
	if (block_size == 0 || !PAGE_ALIGNED(block_size))
		return ERR_PTR(-EINVAL);
	if (frame_size < NFQRING_HDRLEN ||
	    !IS_ALIGNED(frame_size, NFQRING_FRAME_ALIGN) ||
	    frame_size > block_size)
		return ERR_PTR(-EINVAL);
	per_block = block_size / frame_size;
	if (check_mul_overflow((size_t)block_size, (size_t)block_nr, &size) ||
	    size > NFQRING_MAX_RING_BYTES)
		return ERR_PTR(-EINVAL);
	/* block_nr * per_block cannot overflow: it is at most size / 4. */
	if (frame_nr != block_nr * per_block || frame_nr > NFQRING_MAX_FRAMES)
		return ERR_PTR(-EINVAL);

	ring = kzalloc(sizeof(*ring), GFP_KERNEL_ACCOUNT);
	if (!ring)
		return ERR_PTR(-ENOMEM);
	ring->blocks = kvcalloc(block_nr, sizeof(*ring->blocks),
				GFP_KERNEL_ACCOUNT);
	if (!ring->blocks) {
		kfree(ring);
		return ERR_PTR(-ENOMEM);
	}
	ring->block_size = block_size;
	ring->block_nr = block_nr;
	ring->frame_size = frame_size;
	ring->frame_nr = frame_nr;
	ring->frames_per_block = per_block;
	ring->size = size;

	for (i = 0; i < block_nr; i++) {
		err = nfqr_block_alloc(&ring->blocks[i], block_size);
		if (err) {
			nfqr_ring_free(ring);
			return ERR_PTR(err);
		}
	}
	return ring;
}

void nfqr_ring_free(struct nfqr_ring *ring)
{
	u32 i;

	if (!ring)
		return;
	for (i = 0; i < ring->block_nr; i++)
		nfqr_block_free(&ring->blocks[i], ring->block_size);
	kvfree(ring->blocks);
	kfree(ring);
}

int nfqr_ring_map(const struct nfqr_ring *ring, struct vm_area_struct *vma,
		  unsigned long offset)
{
	unsigned long addr = vma->vm_start + offset;
	u32 i, p, pages = ring->block_size >> PAGE_SHIFT;
	int err;

	for (i = 0; i < ring->block_nr; i++) {
		const struct nfqr_ring_block *b = &ring->blocks[i];

		for (p = 0; p < pages; p++, addr += PAGE_SIZE) {
			void *kaddr = b->addr + ((size_t)p << PAGE_SHIFT);
			struct page *page = b->vmalloced ? vmalloc_to_page(kaddr) :
							   virt_to_page(kaddr);

			err = vm_insert_page(vma, addr, page);
			if (err)
				return err;
		}
	}
	return 0;
}
