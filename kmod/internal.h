/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the files of the nfqring module.  Each file owns
 * one concept; this header is the map between them.
 *
 * The data path reads in one direction:
 *   queue.c (hook -> instance) -> a peer's enqueue (endpoint.c for rings)
 *   -> msg.c (the PACKET message) -> userspace -> verdict.c -> reinject.c
 */
#ifndef _NFQR_INTERNAL_H
#define _NFQR_INTERNAL_H

#include <linux/bits.h>
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/percpu.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <net/net_namespace.h>
#include <net/netfilter/nf_queue.h>

#include "compat.h"

/* 65535 minus the attribute header, as nfnetlink_queue. */
#define NFQR_MAX_COPY_RANGE	(0xffff - NLA_HDRLEN)
#define NFQR_DEFAULT_MAXLEN	1024

#define NFQR_QUEUE_HASH_BITS	4
#define NFQR_QUEUE_HASH_SIZE	BIT(NFQR_QUEUE_HASH_BITS)
/* Buckets of an instance's id -> packet table; ids are sequential. */
#define NFQR_ID_HASH_BITS	10
#define NFQR_ID_HASH_SIZE	BIT(NFQR_ID_HASH_BITS)

/*
 * Where every packet handed to nfqring went, per namespace, shown in
 * /proc/net/netfilter/nfqring_stats.  A packet that entered a queue
 * (QUEUED) leaves it exactly once: VERDICTS + FLUSHED + UNDELIVERED +
 * STALL_FLUSHED; the rest of the counters are packets that never entered
 * one.
 */
enum nfqr_stat {
	NFQR_STAT_QUEUED,	/* linked into a queue */
	NFQR_STAT_VERDICTS,	/* left by a verdict */
	NFQR_STAT_FLUSHED,	/* left by unbind, close, device down, hook removal */
	NFQR_STAT_UNDELIVERED,	/* left at once: the netlink send failed */
	NFQR_STAT_REFUSED_FULL,	/* not queued: queue full */
	NFQR_STAT_REFUSED_OTHER, /* not queued: overrun, backlog limit, no copy mode */
	NFQR_STAT_ALLOC_FAILED,	/* not queued: an allocation failed */
	NFQR_STAT_NO_LISTENER,	/* not queued: no queue bound */
	NFQR_STAT_FAIL_OPEN,	/* refused or undelivered, then accepted (FAIL_OPEN) */
	/* Version 2, after the older ones: /proc keeps their order. */
	NFQR_STAT_STALL_FLUSHED, /* left with the stall watchdog's verdict */
	NFQR_STAT_STALL_REFUSED, /* not queued: the consumer stalled (watchdog) */
	NFQR_STAT_MAX
};

struct nfqr_stats {
	u64	v[NFQR_STAT_MAX];
};

/* Any context: a per-cpu increment, no lock and no shared cache line. */
static inline void nfqr_stat_inc(struct nfqr_stats __percpu *stats,
				 enum nfqr_stat what)
{
	this_cpu_inc(stats->v[what]);
}

/* queue.c: per network namespace state. */
struct nfqr_net {
	spinlock_t		lock;	/* writers of the table */
	struct hlist_head	table[NFQR_QUEUE_HASH_SIZE];
	/* NULL from pre_exit on: readers (RCU) check it; exit frees stats_mem. */
	struct nfqr_stats __percpu *stats;
	struct nfqr_stats __percpu *stats_mem;
};

struct nfqr_instance;
struct nfqr_pkt;
struct page;

/*
 * Who owns a queue: a /dev/nfqring endpoint or a netlink socket.  queue.c
 * calls the ops; the rings' enqueue, the one that counts, directly where
 * indirect calls are retpolines (INDIRECT_CALL_1).
 */
struct nfqr_peer_ops {
	/*
	 * Deliver @entry: take a packet record (nfqr_pkt_alloc()) and link it
	 * under the instance lock.  Called under rcu_read_lock() with bottom
	 * halves enabled or not.  Returns 0 when the packet is queued (or was
	 * accepted by FAIL_OPEN, or dropped and counted), or -errno for
	 * nf_queue() to act on (-ESRCH: no listener).
	 */
	int (*enqueue)(struct nfqr_instance *inst, struct nf_queue_entry *entry);
};

/* endpoint.c: the rings' enqueue (struct nfqr_peer_ops), called directly. */
int nfqr_ep_enqueue(struct nfqr_instance *inst, struct nf_queue_entry *entry);

/*
 * Allocations of the enqueue path charged to someone's memory cgroup
 * (set_active_memcg()), never from the emergency reserves (__GFP_NOMEMALLOC).
 *
 * NFQR_CHARGED_ATOMIC_GFP, the read() backlog (up to 8 MiB per endpoint):
 * GFP_NOWAIT, no __GFP_HIGH, so the cgroup's limit holds; a refusal is
 * handled as a full backlog (counted, FAIL_OPEN honoured).  Only a softirq
 * that interrupts a task in reclaim (PF_MEMALLOC) is charged past the
 * limit: memcg forces those.
 *
 * NFQR_RECORD_GFP, packet records: charged as the stack charges socket
 * memory in softirq, past memory.max if need be (GFP_ATOMIC's __GFP_HIGH),
 * so that a cgroup full of reclaimable cache does not drop packets: the
 * cgroup reclaims at its next allocation.  The overshoot is bounded by the
 * queue's length, 64 bytes a packet whose skb is many times that and
 * charged to nobody.
 */
#define NFQR_CHARGED_ATOMIC_GFP	(GFP_NOWAIT | __GFP_ACCOUNT | __GFP_NOMEMALLOC | \
				 __GFP_NOWARN)
#define NFQR_RECORD_GFP		(GFP_ATOMIC | __GFP_ACCOUNT | __GFP_NOMEMALLOC | \
				 __GFP_NOWARN)

struct nfqr_peer {
	const struct nfqr_peer_ops	*ops;
	u32				portid;	/* netlink portid; 0 for rings */
	u64				binds;	/* rings: queues bound so far (nfnl lock) */
	u32				nr_insts; /* rings: queues bound now (nfnl lock) */
	atomic_t			busy;	/* queues holding packets */
	/*
	 * Rings: the endpoint's queues, so that the watchdog and the set-up
	 * look at them alone, not at every queue of the namespace.  Changed
	 * under the nfnl lock, read under it or under RCU.
	 */
	struct hlist_head		insts;
};

/* One bound queue. */
struct nfqr_instance {
	struct hlist_node	node;		/* nfqr_net.table, RCU */
	struct hlist_node	peer_node;	/* peer->insts (rings), RCU */
	struct rcu_head		rcu;
	struct net		*net;		/* not referenced: lives in it */
	struct nfqr_peer	*peer;		/* the owner */
	struct nfqr_peer	nl_peer;	/* the owner, for netlink */
	struct nfqr_stats __percpu *stats;	/* the namespace's */
	struct mem_cgroup	*memcg;		/* the binder's: pays the records */
	u64			binding;	/* unique per bind, never 0 */
	u16			queue_num;

	spinlock_t		lock;	/* everything below; bottom halves off */
	u8			copy_mode;
	u32			copy_range;
	u32			maxlen;
	u32			flags;
	u32			id_sequence;	/* the last id; ids skip 0 */
	u32			total;		/* packets queued */
	u32			dropped;	/* queue full */
	u32			user_dropped;	/* delivery to userspace failed */
	bool			dead;		/* unbound: deliver nothing more */
	struct list_head	pkts;		/* in id order */
	struct hlist_head	*ids;		/* NFQR_ID_HASH_SIZE buckets */

	/*
	 * Spare packet records, so that no packet costs a slab allocation:
	 * pushed back from anywhere without a lock, taken under ->lock (one
	 * consumer at a time, as llist_del_first() wants).
	 */
	struct llist_head	pool;
	atomic_t		pool_nr;
};

/*
 * A packet leaves FILLING by a cmpxchg(), either to UNSEEN or VISIBLE by
 * its filler, or to DOOMED by a flush: whoever wins decides who drops it,
 * and the filler needs no second trip through the instance lock.
 */
enum nfqr_pkt_state {
	NFQR_PKT_FILLING,	/* its message is being written */
	NFQR_PKT_UNSEEN,	/* its message waits in the read() backlog */
	NFQR_PKT_VISIBLE,	/* userspace can have seen it */
	NFQR_PKT_DOOMED,	/* flushed while filling: the filler drops it */
};

/* A queued packet: the kernel's entry plus our bookkeeping. */
struct nfqr_pkt {
	struct list_head	list;
	struct hlist_node	node;
	struct llist_node	spare;		/* in the instance's pool */
	struct nf_queue_entry	*entry;
	u32			id;
	u32			state;		/* enum nfqr_pkt_state */
};

struct nfqr_net *nfqr_pernet(struct net *net);
extern const struct nf_queue_handler nfqr_queue_handler;
int nfqr_queue_init(void);
void nfqr_queue_exit(void);

struct nfqr_instance *nfqr_instance_lookup(struct net *net, u16 queue_num);
struct nfqr_instance *nfqr_instance_create(struct net *net, u16 queue_num,
					   struct nfqr_peer *peer);
void nfqr_instance_destroy(struct nfqr_instance *inst);
int nfqr_instance_set_mode(struct nfqr_instance *inst, u8 mode, u32 range);

/* Under inst->lock: a packet record, from the pool if it has one. */
struct nfqr_pkt *nfqr_pkt_alloc(struct nfqr_instance *inst);
/*
 * Under inst->lock, the caller having checked that the queue has room:
 * accounts @entry to the queue with the next id.  Ids follow the order in
 * which the transports take their slots, because both happen under this
 * lock.  Inline: every packet of every transport.
 */
static inline void nfqr_pkt_link(struct nfqr_instance *inst, struct nfqr_pkt *pkt,
				 struct nf_queue_entry *entry, u32 state)
{
	lockdep_assert_held(&inst->lock);

	pkt->entry = entry;
	/* 0 is nobody's id: userspace reads it as "none". */
	pkt->id = ++inst->id_sequence;
	if (unlikely(!pkt->id))
		pkt->id = ++inst->id_sequence;
	entry->id = pkt->id;
	pkt->state = state;
	list_add_tail(&pkt->list, &inst->pkts);
	hlist_add_head(&pkt->node, &inst->ids[pkt->id % NFQR_ID_HASH_SIZE]);
	/* The stall watchdog looks at the count, not at every queue. */
	if (!inst->total++)
		atomic_inc(&inst->peer->busy);
	nfqr_stat_inc(inst->stats, NFQR_STAT_QUEUED);
}

/*
 * Under inst->lock: takes the packet out of the queue but for its place in
 * inst->pkts, which the caller moves itself (a batch verdict cuts the
 * packets it takes off the head of the list in one go).  @why:
 * NFQR_STAT_VERDICTS, _FLUSHED or _UNDELIVERED.
 */
static inline void nfqr_pkt_unhash(struct nfqr_instance *inst, struct nfqr_pkt *pkt,
				   enum nfqr_stat why)
{
	lockdep_assert_held(&inst->lock);

	hlist_del(&pkt->node);
	if (!--inst->total)
		atomic_dec(&inst->peer->busy);
	nfqr_stat_inc(inst->stats, why);
}

/* Under inst->lock: takes the packet out of the queue.  @why: as above. */
void nfqr_pkt_unlink(struct nfqr_instance *inst, struct nfqr_pkt *pkt,
		     enum nfqr_stat why);
struct nfqr_pkt *nfqr_pkt_find(struct nfqr_instance *inst, u32 id);
/* Any context, before the instance's grace period: back to its pool. */
void nfqr_pkt_free(struct nfqr_instance *inst, struct nfqr_pkt *pkt);
/*
 * Under inst->lock, after a transport could not deliver (@why:
 * NFQR_STAT_REFUSED_FULL, _REFUSED_OTHER or _UNDELIVERED): FAIL_OPEN?
 */
bool nfqr_deliver_failed(struct nfqr_instance *inst, enum nfqr_stat why);

typedef bool (*nfqr_match_fn)(struct nf_queue_entry *entry, unsigned long data);
void nfqr_instance_flush(struct nfqr_instance *inst, nfqr_match_fn match,
			 unsigned long data);
u32 nfqr_instance_flush_verdict(struct nfqr_instance *inst, u32 verdict,
				enum nfqr_stat why, u32 max);
void nfqr_net_flush(struct net *net, nfqr_match_fn match, unsigned long data);
bool nfqr_entry_uses_dev(struct nf_queue_entry *entry, unsigned long ifindex);
bool nfqr_ct_drop_unconfirmed(const struct nf_queue_entry *entry,
			      bool *is_unconfirmed);
void nfqr_peer_drop(struct net *net, struct nfqr_peer *peer);

/* The queue holds maxlen packets: it refuses new ones until one leaves. */
static inline bool nfqr_instance_full(const struct nfqr_instance *inst)
{
	/*
	 * Exact under ->lock; a hint without it (the publish path looks after
	 * the lock is gone: the instance is RCU-protected there).
	 */
	return data_race(inst->total) >= READ_ONCE(inst->maxlen);
}

/* A ring endpoint is its own peer; netlink sockets are told by portid. */
static inline bool nfqr_peer_owns(const struct nfqr_instance *inst,
				  const struct nfqr_peer *peer)
{
	if (peer->portid)
		return inst->peer->ops == peer->ops &&
		       inst->peer->portid == peer->portid;
	return inst->peer == peer;
}

/*
 * msg.c: the NFQNL_MSG_PACKET message, one writer for every transport.
 * nfqr_msg_plan() sets every field (the rings' enqueue leaves its plan
 * __uninitialized): a new field needs its store there.
 */
struct nfqr_msg_plan {
	u32		size;		/* bytes of the whole message */
	u32		data_len;	/* payload bytes copied */
	u32		cap_len;	/* packet length when truncated */
	u8		pf;
	u32		flags;		/* the instance's flags at planning */
	u16		queue_num;
	bool		csum_verify;
	struct sk_buff	*ct_attrs;	/* CT/CT_INFO, built by ctnetlink */
	char		*secdata;
	u32		seclen;
};

int nfqr_msg_plan(struct nfqr_instance *inst, struct nf_queue_entry *entry,
		  struct nfqr_msg_plan *plan);
u32 nfqr_msg_write(const struct nfqr_msg_plan *plan,
		   struct nf_queue_entry *entry, u32 id, void *buf);
u32 nfqr_msg_write_head(const struct nfqr_msg_plan *plan,
			struct nf_queue_entry *entry, u32 id, void *buf);
u32 nfqr_msg_head_room(const struct nfqr_msg_plan *plan);
u32 nfqr_msg_write_paged(const struct nfqr_msg_plan *plan,
			 struct nf_queue_entry *entry, u32 id, void *head,
			 u32 *head_len, struct page **pages);
void __nfqr_msg_release(struct nfqr_msg_plan *plan);

/* What the plan took, if anything: most packets took nothing. */
static inline void nfqr_msg_release(struct nfqr_msg_plan *plan)
{
	if (unlikely(plan->ct_attrs || plan->seclen))
		__nfqr_msg_release(plan);
}

/* reinject.c: our own nf_reinject(), used on every kernel. */
void nfqr_reinject(struct nf_queue_entry *entry, unsigned int verdict);

/* verdict.c: CONFIG / VERDICT / VERDICT_BATCH from kernel memory. */
/* Called for each message with NLM_F_ACK and each that failed. */
typedef void (*nfqr_ack_fn)(void *ctx, const struct nlmsghdr *nlh, int err);

extern const struct nla_policy nfqr_verdict_policy[];
extern const struct nla_policy nfqr_batch_policy[];
extern const struct nla_policy nfqr_cfg_policy[];
int nfqr_config(struct net *net, struct nfqr_peer *peer, u16 queue_num,
		const struct nlattr * const nfqa[]);
int nfqr_verdict(struct net *net, struct nfqr_peer *peer, u16 queue_num,
		 const struct nlmsghdr *nlh, const struct nlattr * const nfqa[]);
int nfqr_verdict_batch(struct net *net, struct nfqr_peer *peer, u16 queue_num,
		       const struct nlattr * const nfqa[]);
int nfqr_process_msgs(struct net *net, struct nfqr_peer *peer,
		      const void *buf, size_t len, size_t *done,
		      nfqr_ack_fn ack, void *ctx);

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
