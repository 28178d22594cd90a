/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the files of the nfqring module.  Each file owns
 * one concept; this header is the map between them.
 */
#ifndef _NFQR_INTERNAL_H
#define _NFQR_INTERNAL_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/list.h>
#include <net/net_namespace.h>
#include <net/netfilter/nf_queue.h>

#include "compat.h"

/* 65535 minus the attribute header, as nfnetlink_queue. */
#define NFQR_MAX_COPY_RANGE	(0xffff - NLA_HDRLEN)

#define NFQR_QUEUE_HASH_BITS	4
#define NFQR_QUEUE_HASH_SIZE	BIT(NFQR_QUEUE_HASH_BITS)

/* queue.c: per network namespace state. */
struct nfqr_net {
	spinlock_t		lock;	/* writers of the table */
	struct hlist_head	table[NFQR_QUEUE_HASH_SIZE];
};

struct nfqr_net *nfqr_pernet(struct net *net);
extern const struct nf_queue_handler nfqr_queue_handler;
int nfqr_queue_init(void);
void nfqr_queue_exit(void);

/* netlink.c: the NFNL_SUBSYS_QUEUE nfnetlink subsystem. */
int nfqr_netlink_init(void);
void nfqr_netlink_exit(void);

/* dev.c: /dev/nfqring. */
int nfqr_dev_init(void);
void nfqr_dev_exit(void);

/* proc.c: /proc/net/netfilter/{nfnetlink_queue,nfqring}. */
int nfqr_proc_init(void);
void nfqr_proc_exit(void);

#endif /* _NFQR_INTERNAL_H */
