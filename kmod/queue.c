// SPDX-License-Identifier: GPL-2.0
/*
 * Queue instances: the per-namespace table that both transports (rings
 * and netlink) share, the packets each instance holds, the flushes, and the
 * netfilter queue handler that feeds them.
 *
 * Locking: nfqr_net.lock guards the table's writers (readers use RCU);
 * nfqr_instance.lock (bottom halves off) guards an instance's settings and
 * packets.  An instance is freed after an RCU grace period, so an enqueue
 * that found it under rcu_read_lock() may still lock it and see ->dead.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/error-injection.h>
#include <linux/indirect_call_wrapper.h>
#include <linux/memcontrol.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/netfilter_bridge.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netns/generic.h>

#include "internal.h"
#include "testing.h"

static unsigned int nfqr_net_id __read_mostly;
static struct kmem_cache *nfqr_pkt_cache __read_mostly;
/* Spare packet records an instance keeps, and has from its bind on. */
#define NFQR_POOL_MAX		1024
#define NFQR_POOL_PREFILL	64

/* Tells the bindings of one queue number apart (64 bits: never wraps). */
static atomic64_t nfqr_bindings = ATOMIC64_INIT(0);

struct nfqr_net *nfqr_pernet(struct net *net)
{
	return net_generic(net, nfqr_net_id);
}

/*
 * net_generic() without its own rcu_read_lock(), for callers under one:
 * the packet path, where on preemptible-RCU kernels (Debian's) the nested
 * pair would be two calls for every packet.
 */
static __always_inline struct nfqr_net *nfqr_pernet_rcu(const struct net *net)
{
	return rcu_dereference(net->gen)->ptr[nfqr_net_id];
}

static struct hlist_head *nfqr_bucket(struct nfqr_net *qn, u16 queue_num)
{
	return &qn->table[((queue_num >> 8) ^ queue_num) % NFQR_QUEUE_HASH_SIZE];
}

/* Under rcu_read_lock() or nfqr_net.lock.  Inline in the enqueue path. */
static __always_inline struct nfqr_instance *
__nfqr_instance_lookup(struct nfqr_net *qn, u16 queue_num)
{
	struct nfqr_instance *inst;

	hlist_for_each_entry_rcu(inst, nfqr_bucket(qn, queue_num), node,
				 lockdep_is_held(&qn->lock))
		if (inst->queue_num == queue_num)
			return inst;
	return NULL;
}

struct nfqr_instance *nfqr_instance_lookup(struct net *net, u16 queue_num)
{
	return __nfqr_instance_lookup(nfqr_pernet(net), queue_num);
}

/*
 * Under inst->lock (the pool's one consumer).  Its own function so that
 * fail_function can make it fail (the debug VM).
 */
noinline struct nfqr_pkt *nfqr_pkt_alloc(struct nfqr_instance *inst)
{
	struct llist_node *spare;
	struct mem_cgroup *old;
	struct nfqr_pkt *pkt;

	lockdep_assert_held(&inst->lock);

	/*
	 * llist_del_first(), without its call: the lock makes us the one
	 * consumer, so the first node cannot go while we read its next.
	 */
	spare = smp_load_acquire(&inst->pool.first);
	while (spare) {
		if (try_cmpxchg(&inst->pool.first, &spare, READ_ONCE(spare->next))) {
			atomic_dec(&inst->pool_nr);
			return llist_entry(spare, struct nfqr_pkt, spare);
		}
	}
	/* The binder pays, as for the records it took at bind time. */
	old = set_active_memcg(inst->memcg);
	pkt = kmem_cache_alloc(nfqr_pkt_cache, NFQR_RECORD_GFP);
	set_active_memcg(old);
	return pkt;
}

ALLOW_ERROR_INJECTION(nfqr_pkt_alloc, NULL);

void nfqr_pkt_free(struct nfqr_instance *inst, struct nfqr_pkt *pkt)
{
	/* The count is a bound, not a census: a race costs one record. */
	if (atomic_read(&inst->pool_nr) < NFQR_POOL_MAX) {
		atomic_inc(&inst->pool_nr);
		llist_add(&pkt->spare, &inst->pool);
		return;
	}
	kmem_cache_free(nfqr_pkt_cache, pkt);
}

/* Once nobody can take or give back a record. */
static void nfqr_pool_free(struct nfqr_instance *inst)
{
	struct nfqr_pkt *pkt, *next;

	llist_for_each_entry_safe(pkt, next, llist_del_all(&inst->pool), spare)
		kmem_cache_free(nfqr_pkt_cache, pkt);
}

/*
 * Creates the instance for @queue_num owned by @peer, with nfnetlink_queue's
 * defaults.  Serialised by the caller (nfnl_lock of the queue subsystem).
 */
struct nfqr_instance *nfqr_instance_create(struct net *net, u16 queue_num,
					   struct nfqr_peer *peer)
{
	struct nfqr_net *qn = nfqr_pernet(net);
	struct nfqr_instance *inst;
	struct mem_cgroup *old;
	unsigned int i;
	int err;

	WARN_ON_ONCE(!lockdep_nfnl_is_held(NFNL_SUBSYS_QUEUE));
	inst = kzalloc(sizeof(*inst), GFP_KERNEL_ACCOUNT);
	if (!inst)
		return ERR_PTR(-ENOMEM);
	inst->ids = kcalloc(NFQR_ID_HASH_SIZE, sizeof(*inst->ids),
			    GFP_KERNEL_ACCOUNT);
	if (!inst->ids) {
		err = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < NFQR_ID_HASH_SIZE; i++)
		INIT_HLIST_HEAD(&inst->ids[i]);

	inst->net = net;
	/* NULL without memory cgroups: nothing to charge then. */
	inst->memcg = get_mem_cgroup_from_mm(current->mm);
	inst->stats = qn->stats;
	/* A netlink socket has no object of ours: the instance keeps its
	 * portid.  An endpoint outlives its instances: point to it.
	 */
	if (peer->portid) {
		inst->nl_peer = *peer;
		inst->peer = &inst->nl_peer;
	} else {
		inst->peer = peer;
		peer->binds++;
	}
	inst->queue_num = queue_num;
	inst->copy_mode = NFQNL_COPY_NONE;
	inst->copy_range = NFQR_MAX_COPY_RANGE;
	inst->maxlen = NFQR_DEFAULT_MAXLEN;
	inst->id_sequence = NFQR_SEQ_START;
	inst->binding = atomic64_inc_return(&nfqr_bindings);
	spin_lock_init(&inst->lock);
	INIT_LIST_HEAD(&inst->pkts);
	init_llist_head(&inst->pool);
	/* the same memcg as the enqueue path's records (mm->owner's) */
	old = set_active_memcg(inst->memcg);
	for (i = 0; i < NFQR_POOL_PREFILL; i++) {
		struct nfqr_pkt *pkt;

		/* under the nfnl lock of every namespace: no hard reclaim */
		pkt = kmem_cache_alloc(nfqr_pkt_cache, GFP_KERNEL_ACCOUNT |
				       __GFP_NORETRY | __GFP_NOWARN);
		if (!pkt)
			break;	/* the enqueue path allocates what is missing */
		llist_add(&pkt->spare, &inst->pool);
		atomic_inc(&inst->pool_nr);
	}
	set_active_memcg(old);

	/* A bound queue pins the module, as with nfnetlink_queue. */
	if (!try_module_get(THIS_MODULE)) {
		err = -EAGAIN;
		goto err_free;
	}

	spin_lock(&qn->lock);
	if (nfqr_instance_lookup(net, queue_num)) {
		spin_unlock(&qn->lock);
		module_put(THIS_MODULE);
		err = -EEXIST;
		goto err_free;
	}
	hlist_add_head_rcu(&inst->node, nfqr_bucket(qn, queue_num));
	spin_unlock(&qn->lock);
	if (!peer->portid) {
		hlist_add_head_rcu(&inst->peer_node, &peer->insts);
		WRITE_ONCE(peer->nr_insts, peer->nr_insts + 1);
	}
	return inst;

err_free:
	nfqr_pool_free(inst);
	mem_cgroup_put(inst->memcg);
	kfree(inst->ids);
	kfree(inst);
	return ERR_PTR(err);
}

static void nfqr_instance_free_rcu(struct rcu_head *head)
{
	struct nfqr_instance *inst = container_of(head, struct nfqr_instance, rcu);

	/*
	 * Every packet went out with the flush before the grace period, and
	 * its record came back to the pool within an RCU read section.
	 */
	nfqr_pool_free(inst);
	mem_cgroup_put(inst->memcg);
	kfree(inst->ids);
	kfree(inst);
	module_put(THIS_MODULE);
}

/*
 * Unbinds: nothing new is delivered, what the queue holds is dropped, and
 * the memory goes after a grace period.  Serialised like create.  Dead
 * before it leaves the table: an enqueue that found it sees ->dead under
 * its lock, whenever it gets there.
 */
void nfqr_instance_destroy(struct nfqr_instance *inst)
{
	struct nfqr_net *qn = nfqr_pernet(inst->net);

	WARN_ON_ONCE(!lockdep_nfnl_is_held(NFNL_SUBSYS_QUEUE));
	spin_lock_bh(&inst->lock);
	inst->dead = true;
	spin_unlock_bh(&inst->lock);
	nfqr_test_window(NFQR_WIN_UNBIND);

	spin_lock(&qn->lock);
	hlist_del_rcu(&inst->node);
	spin_unlock(&qn->lock);
	if (!inst->peer->portid) {
		hlist_del_rcu(&inst->peer_node);
		WRITE_ONCE(inst->peer->nr_insts, inst->peer->nr_insts - 1);
	}
	nfqr_instance_flush(inst, NULL, 0);

	call_rcu(&inst->rcu, nfqr_instance_free_rcu);
}

int nfqr_instance_set_mode(struct nfqr_instance *inst, u8 mode, u32 range)
{
	int err = 0;

	spin_lock_bh(&inst->lock);
	switch (mode) {
	case NFQNL_COPY_NONE:
	case NFQNL_COPY_META:
		WRITE_ONCE(inst->copy_mode, mode);
		WRITE_ONCE(inst->copy_range, 0);
		break;
	case NFQNL_COPY_PACKET:
		WRITE_ONCE(inst->copy_mode, mode);
		if (range == 0 || range > NFQR_MAX_COPY_RANGE)
			range = NFQR_MAX_COPY_RANGE;
		WRITE_ONCE(inst->copy_range, range);
		break;
	default:
		err = -EINVAL;
	}
	spin_unlock_bh(&inst->lock);
	return err;
}

void nfqr_pkt_unlink(struct nfqr_instance *inst, struct nfqr_pkt *pkt,
		     enum nfqr_stat why)
{
	list_del(&pkt->list);
	nfqr_pkt_unhash(inst, pkt, why);
}

/* Under inst->lock: O(1), whatever order verdicts come in. */
struct nfqr_pkt *nfqr_pkt_find(struct nfqr_instance *inst, u32 id)
{
	struct nfqr_pkt *pkt;

	lockdep_assert_held(&inst->lock);

	hlist_for_each_entry(pkt, &inst->ids[id % NFQR_ID_HASH_SIZE], node)
		if (pkt->id == id)
			return pkt;
	return NULL;
}

/*
 * Under inst->lock, when a transport could not hand a packet to userspace:
 * counts it and says whether FAIL_OPEN wants it accepted instead.  An
 * undelivered packet was counted when it was unlinked.
 */
bool nfqr_deliver_failed(struct nfqr_instance *inst, enum nfqr_stat why)
{
	lockdep_assert_held(&inst->lock);

	if (why != NFQR_STAT_UNDELIVERED)
		nfqr_stat_inc(inst->stats, why);
	if (inst->flags & NFQA_CFG_F_FAIL_OPEN) {
		nfqr_stat_inc(inst->stats, NFQR_STAT_FAIL_OPEN);
		return true;
	}
	if (why == NFQR_STAT_REFUSED_FULL) {
		inst->dropped++;
		net_warn_ratelimited("nf_queue: full at %d entries, dropping packets(s)\n",
				     inst->total);
	} else {
		inst->user_dropped++;
	}
	return false;
}

/*
 * Gives the packets of @inst that @match selects (all without one), at most
 * @max of them, @verdict, counted as @why; returns how many.  A packet still being
 * filled is unlinked and left to its filler, which drops it.
 */
static u32 nfqr_instance_flush_match(struct nfqr_instance *inst, nfqr_match_fn match,
				     unsigned long data, u32 verdict,
				     enum nfqr_stat why, u32 max)
{
	struct nfqr_pkt *pkt, *next;
	LIST_HEAD(out);
	u32 n = 0;

	/*
	 * One RCU section from the dequeue to the reinject (reinject.c): a
	 * hook removal in between would miss the packet.
	 */
	rcu_read_lock();
	spin_lock_bh(&inst->lock);
	list_for_each_entry_safe(pkt, next, &inst->pkts, list) {
		if (n == max)
			break;
		if (match && !match(pkt->entry, data))
			continue;
		nfqr_pkt_unlink(inst, pkt, why);
		n++;
		/* Still being filled: the filler drops it (see the state enum). */
		if (cmpxchg(&pkt->state, NFQR_PKT_FILLING, NFQR_PKT_DOOMED) !=
		    NFQR_PKT_FILLING)
			list_add_tail(&pkt->list, &out);
	}
	spin_unlock_bh(&inst->lock);

	list_for_each_entry_safe(pkt, next, &out, list) {
		nfqr_reinject(pkt->entry, verdict);
		nfqr_pkt_free(inst, pkt);
	}
	rcu_read_unlock();
	return n;
}

/* Drops the packets of @inst that @match selects (all without one). */
void nfqr_instance_flush(struct nfqr_instance *inst, nfqr_match_fn match,
			 unsigned long data)
{
	nfqr_instance_flush_match(inst, match, data, NF_DROP, NFQR_STAT_FLUSHED, U32_MAX);
}

/* Gives the oldest @max packets of @inst @verdict (the stall watchdog). */
u32 nfqr_instance_flush_verdict(struct nfqr_instance *inst, u32 verdict,
				enum nfqr_stat why, u32 max)
{
	return nfqr_instance_flush_match(inst, NULL, 0, verdict, why, max);
}

/* Every instance of @net.  Takes rcu_read_lock() itself, so it serves both
 * nf_hook_drop() (already under RCU) and the netdevice notifier.
 */
void nfqr_net_flush(struct net *net, nfqr_match_fn match, unsigned long data)
{
	struct nfqr_net *qn = nfqr_pernet(net);
	struct nfqr_instance *inst;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < NFQR_QUEUE_HASH_SIZE; i++)
		hlist_for_each_entry_rcu(inst, &qn->table[i], node)
			nfqr_instance_flush(inst, match, data);
	rcu_read_unlock();
}

/* Unbinds every queue of @peer in @net (its endpoint or socket is going). */
void nfqr_peer_drop(struct net *net, struct nfqr_peer *peer)
{
	struct nfqr_net *qn = nfqr_pernet(net);
	struct nfqr_instance *inst;
	struct hlist_node *tmp;
	unsigned int i;

	nfnl_lock(NFNL_SUBSYS_QUEUE);
	if (!peer->portid) {
		hlist_for_each_entry_safe(inst, tmp, &peer->insts, peer_node)
			nfqr_instance_destroy(inst);
	} else {
		for (i = 0; i < NFQR_QUEUE_HASH_SIZE; i++)
			hlist_for_each_entry_safe(inst, tmp, &qn->table[i], node)
				if (nfqr_peer_owns(inst, peer))
					nfqr_instance_destroy(inst);
	}
	nfnl_unlock(NFNL_SUBSYS_QUEUE);
}

/* Does the packet reference the device @ifindex in any role? */
bool nfqr_entry_uses_dev(struct nf_queue_entry *entry, unsigned long ifindex)
{
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
	if (nf_bridge_get_physinif(entry->skb) == ifindex ||
	    nf_bridge_get_physoutif(entry->skb) == ifindex)
		return true;
	if (entry->bridge_dev && entry->bridge_dev->ifindex == ifindex)
		return true;
#endif
	if (entry->skb_dev && entry->skb_dev->ifindex == ifindex)
		return true;
	if (entry->state.in && entry->state.in->ifindex == ifindex)
		return true;
	if (entry->state.out && entry->state.out->ifindex == ifindex)
		return true;
	return false;
}

/*
 * As nfnetlink_queue: an unconfirmed conntrack entry that another skb also
 * references (a clone, a GSO sibling) cannot be queued, since conntrack
 * assumes it owns such an entry alone.
 */
static __always_inline bool
__nfqr_ct_drop_unconfirmed(const struct nf_queue_entry *entry, bool *is_unconfirmed)
{
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	struct nf_conn *ct = (void *)skb_nfct(entry->skb);

	if (!ct || nf_ct_is_confirmed(ct))
		return false;
	if (is_unconfirmed)
		*is_unconfirmed = true;
	return refcount_read(&ct->ct_general.use) > 1;
#else
	return false;
#endif
}

bool nfqr_ct_drop_unconfirmed(const struct nf_queue_entry *entry,
			      bool *is_unconfirmed)
{
	return __nfqr_ct_drop_unconfirmed(entry, is_unconfirmed);
}

/* The rings are the transport that counts: a direct call for them (retpolines). */
static int nfqr_enqueue_one(struct nfqr_instance *inst,
			    struct nf_queue_entry *entry)
{
	return INDIRECT_CALL_1(inst->peer->ops->enqueue, nfqr_ep_enqueue, inst, entry);
}

static noinline struct nf_queue_entry *nfqr_entry_dup(struct nf_queue_entry *e)
{
	struct nf_queue_entry *entry = kmemdup(e, e->size, GFP_ATOMIC);

	if (!entry)
		return NULL;
	if (nf_queue_entry_get_refs(entry))
		return entry;
	kfree(entry);
	return NULL;
}

ALLOW_ERROR_INJECTION(nfqr_entry_dup, NULL);

#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
/* From bridge netfilter, segmentation needs skb->data at the MAC header. */
static void nfqr_bridge_push_mac(struct sk_buff *skb)
{
	if (nf_bridge_info_get(skb))
		__skb_push(skb, skb->network_header - skb->mac_header);
}

static void nfqr_bridge_pull_mac(struct sk_buff *skb)
{
	if (nf_bridge_info_get(skb))
		__skb_pull(skb, skb->network_header - skb->mac_header);
}
#else
static void nfqr_bridge_push_mac(struct sk_buff *skb) { }
static void nfqr_bridge_pull_mac(struct sk_buff *skb) { }
#endif

/* Queues one segment; the last one reuses the original entry. */
static int nfqr_enqueue_segment(struct nfqr_instance *inst, struct sk_buff *seg,
				struct nf_queue_entry *entry)
{
	struct nf_queue_entry *seg_entry;
	struct sk_buff *gso_skb;
	int err;

	nfqr_bridge_pull_mac(seg);

	if (!seg->next) {
		gso_skb = entry->skb;
		entry->skb = seg;
		err = nfqr_enqueue_one(inst, entry);
		if (err)
			entry->skb = gso_skb;
		return err;
	}

	skb_mark_not_on_list(seg);
	seg_entry = nfqr_entry_dup(entry);
	if (!seg_entry) {
		nfqr_stat_inc(inst->stats, NFQR_STAT_ALLOC_FAILED);
		return -ENOMEM;
	}
	seg_entry->skb = seg;
	err = nfqr_enqueue_one(inst, seg_entry);
	if (err)
		nf_queue_entry_free(seg_entry);
	return err;
}

/*
 * A GSO packet the consumer cannot take whole: queued segment by segment.
 * Out of line, so that the common packet's path keeps a small frame.
 */
static noinline int nfqr_enqueue_gso(struct nfqr_instance *inst,
				     struct nf_queue_entry *entry,
				     bool unconfirmed)
{
	struct sk_buff *skb = entry->skb, *segs, *next;
	unsigned int queued = 0;
	int err = 0;

	nfqr_bridge_push_mac(skb);
	segs = skb_gso_segment(skb, 0);
	/* Keep nf_queue's small set of error codes: -ESRCH means bypass. */
	if (IS_ERR_OR_NULL(segs)) {
		nfqr_stat_inc(inst->stats, NFQR_STAT_ALLOC_FAILED);
		nfqr_bridge_pull_mac(skb);
		return -ENOBUFS;
	}

	skb_list_walk_safe(segs, segs, next) {
		/*
		 * Segmentation took conntrack references: only the first
		 * segment may confirm an unconfirmed entry; the others are
		 * dropped at reinjection if it is still unconfirmed then.
		 */
		if (unconfirmed && queued > 0)
			entry->nf_ct_is_unconfirmed = true;
		if (err == 0)
			err = nfqr_enqueue_segment(inst, segs, entry);
		if (err == 0)
			queued++;
		else
			kfree_skb(segs);
	}

	if (queued) {
		if (err)	/* the last segment did not take the entry */
			nf_queue_entry_free(entry);
		kfree_skb(skb);
		return 0;
	}
	nfqr_bridge_pull_mac(skb);
	return err;
}

/*
 * The queue handler's outfn.  Runs under rcu_read_lock() only, sometimes
 * from process context with bottom halves enabled: nothing here sleeps.
 * With no instance bound to @queuenum the answer is -ESRCH, the one error
 * that --queue-bypass turns into "continue".
 */
static int nfqr_enqueue(struct nf_queue_entry *entry, unsigned int queuenum)
{
	struct nfqr_stats __percpu *stats;
	struct nfqr_instance *inst;
	struct sk_buff *skb = entry->skb;
	bool unconfirmed = false;
	struct nfqr_net *qn;

	/*
	 * Every namespace the handler can see has our per-net data: pernet
	 * registration waits (pernet_ops_rwsem) for a namespace already being
	 * dismantled to finish, and the handler comes after it.
	 */
	qn = nfqr_pernet_rcu(entry->state.net);
	inst = __nfqr_instance_lookup(qn, queuenum);
	if (!inst) {
		/* NULL once the namespace is on its way out (pre_exit) */
		stats = READ_ONCE(qn->stats);
		if (stats)
			nfqr_stat_inc(stats, NFQR_STAT_NO_LISTENER);
		return -ESRCH;
	}
	if (READ_ONCE(inst->copy_mode) == NFQNL_COPY_NONE) {
		nfqr_stat_inc(inst->stats, NFQR_STAT_REFUSED_OTHER);
		return -EINVAL;
	}

	switch (entry->state.pf) {
	case NFPROTO_IPV4:
		skb->protocol = htons(ETH_P_IP);
		break;
	case NFPROTO_IPV6:
		skb->protocol = htons(ETH_P_IPV6);
		break;
	}

	if (__nfqr_ct_drop_unconfirmed(entry, &unconfirmed)) {
		nfqr_stat_inc(inst->stats, NFQR_STAT_REFUSED_OTHER);
		return -EINVAL;
	}

	if (likely(!skb_is_gso(skb)) ||
	    ((READ_ONCE(inst->flags) & NFQA_CFG_F_GSO) && !skb_is_gso_sctp(skb)))
		return nfqr_enqueue_one(inst, entry);
	return nfqr_enqueue_gso(inst, entry, unconfirmed);
}

/* Runs under rcu_read_lock(); our per-net data exists (see nfqr_enqueue()). */
static void nfqr_hook_drop(struct net *net)
{
	nfqr_net_flush(net, NULL, 0);
}

const struct nf_queue_handler nfqr_queue_handler = {
	.outfn		= nfqr_enqueue,
	.nf_hook_drop	= nfqr_hook_drop,
};

static int nfqr_netdev_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	/* Packets that reference a device going down are dropped. */
	if (event == NETDEV_DOWN)
		nfqr_net_flush(dev_net(dev), nfqr_entry_uses_dev, dev->ifindex);
	return NOTIFY_DONE;
}

static struct notifier_block nfqr_netdev_nb = {
	.notifier_call = nfqr_netdev_event,
};

static int __net_init nfqr_net_init(struct net *net)
{
	struct nfqr_net *qn = nfqr_pernet(net);
	unsigned int i;

	spin_lock_init(&qn->lock);
	for (i = 0; i < NFQR_QUEUE_HASH_SIZE; i++)
		INIT_HLIST_HEAD(&qn->table[i]);
	qn->stats_mem = alloc_percpu(struct nfqr_stats);
	qn->stats = qn->stats_mem;
	return qn->stats ? 0 : -ENOMEM;
}

/*
 * A dying namespace may still send through its hooks after our exit ran:
 * exits run in reverse order of registration, and the kernel sockets of
 * subsystems registered before us (a netns' in-kernel TCP clients, say)
 * close in exits that come after ours, while nf_tables, if it came first,
 * still holds the queue rule.  So the stats pointer goes first (pre_exit),
 * and its memory only after the grace period that cleanup_net() waits
 * between pre_exit and exit.
 */
static void __net_exit nfqr_net_pre_exit(struct net *net)
{
	WRITE_ONCE(nfqr_pernet(net)->stats, NULL);
}

static void __net_exit nfqr_net_exit(struct net *net)
{
	struct nfqr_net *qn = nfqr_pernet(net);
	unsigned int i;

	/* Endpoints hold their namespace; netlink sockets unbind first. */
	for (i = 0; i < NFQR_QUEUE_HASH_SIZE; i++)
		WARN_ON_ONCE(!hlist_empty(&qn->table[i]));
	free_percpu(qn->stats_mem);
}

static struct pernet_operations nfqr_net_ops = {
	.init	= nfqr_net_init,
	.pre_exit = nfqr_net_pre_exit,
	.exit	= nfqr_net_exit,
	.id	= &nfqr_net_id,
	.size	= sizeof(struct nfqr_net),
};

int nfqr_queue_init(void)
{
	int err;

	nfqr_pkt_cache = KMEM_CACHE(nfqr_pkt, 0);
	if (!nfqr_pkt_cache)
		return -ENOMEM;
	err = register_pernet_subsys(&nfqr_net_ops);
	if (err)
		goto err_cache;
	err = register_netdevice_notifier(&nfqr_netdev_nb);
	if (err)
		goto err_pernet;
	return 0;

err_pernet:
	unregister_pernet_subsys(&nfqr_net_ops);
err_cache:
	kmem_cache_destroy(nfqr_pkt_cache);
	return err;
}

void nfqr_queue_exit(void)
{
	unregister_netdevice_notifier(&nfqr_netdev_nb);
	unregister_pernet_subsys(&nfqr_net_ops);
	/* Instances are freed by call_rcu(): wait for the callbacks. */
	rcu_barrier();
	kmem_cache_destroy(nfqr_pkt_cache);
}
