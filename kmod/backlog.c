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
 *    one keeps its head there and its payload in single pages.
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

/* The largest message kept in one piece. */
#define NFQR_BACKLOG_INLINE	2048U

#define NFQR_BACKLOG_GFP	(GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOWARN)

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

	if (plan->size > NFQR_BACKLOG_INLINE && plan->data_len) {
		head = nfqr_msg_head_room(plan);
		npages = DIV_ROUND_UP(plan->data_len, PAGE_SIZE);
	}

	old = set_active_memcg(memcg);
	bmsg = kmalloc(struct_size(bmsg, head, head), NFQR_BACKLOG_GFP);
	if (bmsg) {
		bmsg->npages = 0;
		for (i = 0; i < npages; i++) {
			bmsg->pages[i] = alloc_page(NFQR_BACKLOG_GFP);
			if (!bmsg->pages[i])
				break;
			bmsg->npages++;
		}
	}
	set_active_memcg(old);
	if (bmsg && bmsg->npages < npages) {
		nfqr_backlog_free(bmsg);
		return NULL;
	}
	return bmsg;
}

ALLOW_ERROR_INJECTION(nfqr_backlog_alloc, NULL);

/* An acknowledgment, from process context: the caller's memory. */
struct nfqr_backlog_msg *nfqr_backlog_alloc_ack(u32 len)
{
	struct nfqr_backlog_msg *bmsg;

	bmsg = kzalloc(struct_size(bmsg, head, len), GFP_KERNEL_ACCOUNT);
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
