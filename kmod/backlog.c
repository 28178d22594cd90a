// SPDX-License-Identifier: GPL-2.0
/*
 * A message waiting for read(): its memory.
 *
 * A packet's message is allocated in the enqueue path, in softirq or with
 * bottom halves off, for a process that may hold many endpoints, each with
 * up to NFQRING_BACKLOG_BYTES waiting.  So:
 *  - it is charged to the memory cgroup of the endpoint's opener (not to
 *    whichever task the softirq interrupted), and with GFP_NOWAIT: an atomic
 *    allocation would be let past the cgroup's limit (__GFP_HIGH) and dip
 *    into the reserves the rest of the kernel needs;
 *  - it never needs more than an order-0 page at a time: a small message
 *    lives in one kmalloc() (at most NFQR_BACKLOG_INLINE bytes), a large
 *    one keeps its head there and its payload in single pages;
 *  - what it counts against the endpoint's NFQRING_BACKLOG_BYTES is the
 *    memory it takes, not the message's length.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/error-injection.h>
#include <linux/gfp.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/netlink.h>

#include "backlog.h"

/*
 * The largest allocation that keeps a message in one piece: more would be
 * an order-1 or higher kmalloc() in the enqueue path.
 */
#define NFQR_BACKLOG_INLINE	2048U

/*
 * One allocation: the header, @npages page pointers, @head bytes.  The
 * charge is the memory taken (the kmalloc() bucket and the pages), which is
 * what NFQRING_BACKLOG_BYTES bounds.
 */
static struct nfqr_backlog_msg *nfqr_backlog_kmalloc(u32 head, u32 npages, gfp_t gfp)
{
	struct nfqr_backlog_msg *bmsg;
	size_t size = struct_size(bmsg, data, npages * sizeof(struct page *) + head);

	size = kmalloc_size_roundup(size);
	bmsg = kmalloc(size, gfp);
	if (!bmsg)
		return NULL;
	bmsg->pages = (struct page **)bmsg->data;
	bmsg->head = bmsg->data + npages * sizeof(struct page *);
	bmsg->npages = 0;
	bmsg->charge = size;
	return bmsg;
}

/*
 * Room for the message @plan describes, charged to @memcg (NULL: nobody's).
 * Its own function so that fail_function can make it fail (the debug VM).
 */
noinline struct nfqr_backlog_msg *
nfqr_backlog_alloc(const struct nfqr_msg_plan *plan, struct mem_cgroup *memcg)
{
	struct nfqr_backlog_msg *bmsg;
	struct mem_cgroup *old;
	u32 head = plan->size, npages = 0, i;

	if (sizeof(*bmsg) + plan->size > NFQR_BACKLOG_INLINE && plan->data_len) {
		head = nfqr_msg_head_room(plan);
		npages = DIV_ROUND_UP(plan->data_len, PAGE_SIZE);
	}

	old = set_active_memcg(memcg);
	bmsg = nfqr_backlog_kmalloc(head, npages, NFQR_CHARGED_ATOMIC_GFP);
	for (i = 0; bmsg && i < npages; i++) {
		bmsg->pages[i] = alloc_page(NFQR_CHARGED_ATOMIC_GFP);
		if (!bmsg->pages[i])
			break;
		bmsg->npages++;
		bmsg->charge += PAGE_SIZE;
	}
	set_active_memcg(old);
	if (bmsg && bmsg->npages < npages) {
		nfqr_backlog_free(bmsg);
		return NULL;
	}
	return bmsg;
}

ALLOW_ERROR_INJECTION(nfqr_backlog_alloc, NULL);

/* An acknowledgment (process context), charged like a packet's message. */
struct nfqr_backlog_msg *nfqr_backlog_alloc_ack(u32 len, struct mem_cgroup *memcg)
{
	struct nfqr_backlog_msg *bmsg;
	struct mem_cgroup *old;

	old = set_active_memcg(memcg);
	bmsg = nfqr_backlog_kmalloc(len, 0, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	set_active_memcg(old);
	if (bmsg) {
		bmsg->len = len;
		bmsg->head_len = len;
	}
	return bmsg;
}

/* Writes the message of packet @id; bottom halves off, cannot fail. */
u32 nfqr_backlog_fill(struct nfqr_backlog_msg *bmsg,
		      const struct nfqr_msg_plan *plan,
		      struct nf_queue_entry *entry, u32 id)
{
	if (bmsg->npages) {
		bmsg->len = nfqr_msg_write_paged(plan, entry, id, bmsg->head,
						 &bmsg->head_len, bmsg->pages);
	} else {
		bmsg->len = nfqr_msg_write(plan, entry, id, bmsg->head);
		bmsg->head_len = bmsg->len;
	}
	return bmsg->len;
}

int nfqr_backlog_copy_out(const struct nfqr_backlog_msg *bmsg, char __user *ubuf)
{
	u32 left = bmsg->len - bmsg->head_len, i;

	if (copy_to_user(ubuf, bmsg->head, bmsg->head_len))
		return -EFAULT;
	ubuf += bmsg->head_len;
	for (i = 0; left; i++) {
		u32 chunk = min_t(u32, left, PAGE_SIZE);

		if (copy_to_user(ubuf, page_address(bmsg->pages[i]), chunk))
			return -EFAULT;
		ubuf += chunk;
		left -= chunk;
	}
	return 0;
}

void nfqr_backlog_free(struct nfqr_backlog_msg *bmsg)
{
	u32 i;

	if (!bmsg)
		return;
	for (i = 0; i < bmsg->npages; i++)
		__free_page(bmsg->pages[i]);
	kfree(bmsg);
}
