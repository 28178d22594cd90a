/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Messages waiting for read() on an endpoint (backlog.c): packets that did
 * not fit their RX frame or had no RX ring, and acknowledgments.
 */
#ifndef _NFQR_BACKLOG_H
#define _NFQR_BACKLOG_H

#include <linux/list.h>
#include <linux/types.h>

#include "internal.h"

struct mem_cgroup;
struct page;

struct nfqr_backlog_msg {
	struct list_head	list;
	u32			len;		/* bytes of the message */
	u32			charge;		/* bytes of memory it takes */
	u32			head_len;	/* bytes of it in head */
	u32			id;		/* a packet's id */
	u64			binding;	/* its queue's binding; 0: an ack */
	u16			queue_num;
	bool			ready;		/* written */
	u8			npages;		/* the payload's pages, if any */
	struct page		**pages;	/* npages of them, in data[] */
	u8			*head;		/* the message, or all but its payload */
	u8			data[];
};

struct nfqr_backlog_msg *nfqr_backlog_alloc(const struct nfqr_msg_plan *plan,
					    struct mem_cgroup *memcg);
struct nfqr_backlog_msg *nfqr_backlog_alloc_ack(u32 len, struct mem_cgroup *memcg);
u32 nfqr_backlog_fill(struct nfqr_backlog_msg *bmsg,
		      const struct nfqr_msg_plan *plan,
		      struct nf_queue_entry *entry, u32 id);
int nfqr_backlog_copy_out(const struct nfqr_backlog_msg *bmsg, char __user *ubuf);
void nfqr_backlog_free(struct nfqr_backlog_msg *bmsg);

#endif /* _NFQR_BACKLOG_H */
