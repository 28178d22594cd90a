// SPDX-License-Identifier: GPL-2.0
/*
 * The ring transport: one endpoint per open /dev/nfqring, with its RX and
 * TX rings, its read() backlog, and its side of the status protocol.
 *
 * Enqueue, per packet (bottom halves off throughout):
 *   1. under the instance lock: take the RX head frame (RESERVED) or a
 *      backlog slot, and the next packet id, in that order, so that ring
 *      order is id order;
 *   2. without locks: write the message into the frame (or backlog slot);
 *   3. under the instance lock again: publish with a store-release of
 *      VALID (or COPY), unless a flush doomed the packet meanwhile.
 * The frame is never RESERVED across a sleep or a preemption.  Whether the
 * message fits a frame is decided in step 1, against the ring taken.
 *
 * Locks: instance lock -> ring_lock -> backlog_lock.  Mutexes: ring_mutex
 * -> tx_mutex -> the queue subsystem's nfnl lock (ring set-up holds all
 * three so that no queue gets bound while a ring changes).  ring_mutex is
 * never held across a user copy, since mmap runs with mmap_lock held.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/personality.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <net/netlink.h>

#include "backlog.h"
#include "endpoint.h"
#include "msg.h"
#include "ring.h"
#include "testing.h"
#include "wake.h"

static struct nfqr_endpoint *nfqr_ep(struct nfqr_peer *peer)
{
	return container_of(peer, struct nfqr_endpoint, peer);
}

static u32 nfqr_status_load(const struct nl_mmap_hdr *hdr)
{
	/* Pairs with userspace's store-release of VALID in a TX frame: the
	 * message and nm_len written before it are visible once VALID is.
	 */
	return smp_load_acquire(&hdr->nm_status);
}

static void nfqr_status_store(struct nl_mmap_hdr *hdr, u32 status)
{
	/* Publishes a frame: what was written into it before is visible to
	 * a userspace load-acquire that sees the new status.
	 */
	smp_store_release(&hdr->nm_status, status);
}

/* Wakes whoever sleeps in poll() or read(): version 1, acks. */
void nfqr_ep_wake(struct nfqr_endpoint *ep)
{
	if (wq_has_sleeper(&ep->wq))
		wake_up_interruptible_poll(&ep->wq, EPOLLIN | EPOLLRDNORM);
}

/* Under backlog_lock: room for @len more bytes? */
static bool nfqr_backlog_room(struct nfqr_endpoint *ep, u32 len)
{
	return ep->backlog_bytes + len <= NFQRING_BACKLOG_BYTES;
}

/* Only the first overrun since the last read() wakes anyone: no storm. */
static void nfqr_overrun(struct nfqr_endpoint *ep)
{
	if (!test_and_set_bit(NFQR_EP_OVERRUN, &ep->flags))
		wake_up_interruptible_poll(&ep->wq, EPOLLERR);
}

/* Frames the enqueue reclaims at a time (nfqr_rx_head_free()). */
#define NFQR_RX_RECLAIM_MAX	64

/*
 * Under ring_lock: moves the tail over frames that userspace released, at
 * most @max of them.  Every walk over the RX ring is bounded by the ring
 * (rx_used <= frame_nr), never by how long nobody looked.
 */
static void nfqr_rx_reclaim(struct nfqr_endpoint *ep, const struct nfqr_ring *ring,
			    u32 max)
{
	while (ep->rx_used && max--) {
		if (READ_ONCE(nfqr_ring_frame(ring, ep->rx_tail)->nm_status) !=
		    NFQRING_STATUS_UNUSED)
			break;
		ep->rx_tail = nfqr_ring_next(ring, ep->rx_tail);
		ep->rx_used--;
	}
}

/*
 * Under ring_lock: rx_used exact again, for a lower watermark, poll(), /proc
 * and SET_VERSION.  Bounded by the ring, and each released frame is walked
 * over once.
 */
void nfqr_ep_rx_reclaim_all(struct nfqr_endpoint *ep)
{
	lockdep_assert_held(&ep->ring_lock);
	if (ep->rx)
		nfqr_rx_reclaim(ep, ep->rx, ep->rx->frame_nr);
}

/*
 * Under tx_mutex and ring_lock: whether frames are in flight either way, RX
 * frames taken and not yet released or a VALID TX frame the next flush
 * would process.  Sequence numbers started now would be out of step with
 * them (nfqr_wake_set_version()).
 */
bool nfqr_ep_frames_in_flight(struct nfqr_endpoint *ep)
{
	if (ep->rx) {
		nfqr_ep_rx_reclaim_all(ep);
		if (ep->rx_used)
			return true;
	}
	return ep->tx && nfqr_status_load(nfqr_ring_frame(ep->tx, ep->tx_head)) ==
		NFQRING_STATUS_VALID;
}

/*
 * Under ring_lock: the RX head frame if it is free to take, else NULL (the
 * ring is full).  nfqr_rx_take() takes it.
 */
static __always_inline struct nl_mmap_hdr *nfqr_rx_head_free(struct nfqr_endpoint *ep,
							     const struct nfqr_ring *ring)
{
	struct nl_mmap_hdr *hdr;

	/*
	 * Lazily: a frame released and not yet seen so only counts in rx_used
	 * until it matters, which is from one below the wake-up watermark on
	 * (version 2, so that the watermark counts frames really in use) or
	 * when the ring looks full (a full ring's tail is its head).  Up to
	 * NFQR_RX_RECLAIM_MAX at a time: more than one a packet, so that the
	 * count catches up, and few enough for a walk with bottom halves off.
	 */
	if (unlikely(ep->rx_used >= ep->rx_reclaim_at))
		nfqr_rx_reclaim(ep, ring, NFQR_RX_RECLAIM_MAX);
	/*
	 * Still full: the tail, which is the head, was not released when
	 * reclaim looked.  Its status is not read a second time.
	 */
	if (ep->rx_used == ring->frame_nr)
		return NULL;
	nfqr_test_window(NFQR_WIN_RESERVE);
	hdr = nfqr_ring_frame(ring, ep->rx_head);
	/* Read once; anything but UNUSED means the ring is full. */
	if (READ_ONCE(hdr->nm_status) != NFQRING_STATUS_UNUSED)
		return NULL;
	return hdr;
}

/* Under ring_lock: takes @hdr, which nfqr_rx_head_free() just returned. */
static void nfqr_rx_take(struct nfqr_endpoint *ep, const struct nfqr_ring *ring,
			 struct nl_mmap_hdr *hdr)
{
	WRITE_ONCE(hdr->nm_status, NFQRING_STATUS_RESERVED);
	ep->rx_head = nfqr_ring_next(ring, ep->rx_head);
	ep->rx_used++;
}

/* What nfqr_ep_reserve() took for one packet. */
struct nfqr_slot {
	struct nl_mmap_hdr	*hdr;	/* its RX frame; NULL without an RX ring */
	bool			copy;	/* its message goes to read() */
	bool			v2;	/* the endpoint's version when it was taken */
};

/*
 * Under the instance lock, bottom halves off: takes the RX head frame and,
 * for a message that goes to read(), the backlog slot @bmsg, both under
 * ring_lock so that backlog order is ring order across all the endpoint's
 * queues.  Whether the message of @size bytes fits a frame is decided here,
 * against the ring actually taken: the caller's guess may be stale.  The
 * backlog counts the memory @bmsg takes.
 * Returns -EAGAIN when the message needs a backlog slot the caller did not
 * bring, -ENOBUFS when the head frame is busy (an overrun) and -EMSGSIZE
 * when the backlog is full.
 */
static int nfqr_ep_reserve(struct nfqr_endpoint *ep, u32 size,
			   struct nfqr_backlog_msg *bmsg, struct nfqr_slot *slot)
{
	struct nl_mmap_hdr *hdr = NULL;
	struct nfqr_ring *ring;
	int err = 0;

	spin_lock(&ep->ring_lock);
	ring = ep->rx;
	slot->hdr = NULL;
	/*
	 * Counted in the sequences only if version 2 was on when the frame
	 * was taken: SET_VERSION switches under ring_lock, after checking
	 * that no frame taken before is still out.
	 */
	slot->v2 = ep->v2;
	slot->copy = !ring || size > nfqr_ring_frame_room(ring);
	if (slot->copy && !bmsg) {
		err = -EAGAIN;
		goto unlock;
	}
	if (ring) {
		hdr = nfqr_rx_head_free(ep, ring);
		if (!hdr) {
			err = -ENOBUFS;
			goto unlock;
		}
	}
	if (slot->copy) {
		spin_lock(&ep->backlog_lock);
		if (!nfqr_backlog_room(ep, bmsg->charge)) {
			spin_unlock(&ep->backlog_lock);
			err = -EMSGSIZE;
			goto unlock;
		}
		ep->backlog_bytes += bmsg->charge;
		list_add_tail(&bmsg->list, &ep->backlog);
		spin_unlock(&ep->backlog_lock);
	}
	if (hdr) {
		nfqr_rx_take(ep, ring, hdr);
		slot->hdr = hdr;
	}
unlock:
	spin_unlock(&ep->ring_lock);
	return err;
}

/*
 * Bottom halves off around the packet path's locks.  Packets mostly come
 * in a softirq, where they are off already and local_bh_enable() would
 * cost each a call for nothing; from process context (the OUTPUT hook, a
 * verdict's or the stall work's reinjection into the next queue) they are
 * turned off here.  Returns whether they were, for nfqr_bh_on().
 */
static __always_inline bool nfqr_bh_off(void)
{
	if (softirq_count())
		return false;
	local_bh_disable();
	return true;
}

static __always_inline void nfqr_bh_on(bool off)
{
	if (off)
		local_bh_enable();
}

int nfqr_ep_enqueue(struct nfqr_instance *inst, struct nf_queue_entry *entry)
{
	struct nfqr_endpoint *ep = nfqr_ep(inst->peer);
	struct nfqr_backlog_msg *bmsg = NULL, *spare = NULL;
	bool fail_open = false, doomed = false, retried = false, copy, bh;
	enum nfqr_stat why = NFQR_STAT_REFUSED_OTHER;
	struct nfqr_pkt *pkt = NULL;
	/* not zeroed (INIT_STACK_ALL_ZERO): __nfqr_msg_plan() sets every field */
	struct nfqr_msg_plan plan __uninitialized;
	struct nfqr_slot slot;
	u32 room, len, id;
	int err;

	/*
	 * The watchdog found the consumer stalled: its verdict, not the ring.
	 * Not for a queue being unbound: that one is as if it never was.
	 */
	if (unlikely(READ_ONCE(ep->stall.stalled)) && !READ_ONCE(inst->dead)) {
		nfqr_stat_inc(inst->stats, NFQR_STAT_STALL_REFUSED);
		atomic64_inc(&ep->stall.verdicts);
		nfqr_reinject(entry, ep->stall.verdict);
		return 0;
	}

	err = __nfqr_msg_plan(inst, entry, &plan);
	if (err) {
		nfqr_stat_inc(inst->stats, NFQR_STAT_ALLOC_FAILED);
		return err;
	}

	/*
	 * Too big for a frame, or no RX ring: the message goes to read().  A
	 * guess, to allocate without locks; nfqr_ep_reserve() decides.
	 */
	room = READ_ONCE(ep->rx_room);
	copy = !room || plan.size > room;
	nfqr_test_window(NFQR_WIN_ENQUEUE_GUESS);
	for (;;) {
		if (copy) {
			bmsg = nfqr_backlog_alloc(&plan, ep->memcg);
			if (bmsg) {
				bmsg->ready = false;
				bmsg->queue_num = inst->queue_num;
				bmsg->binding = inst->binding;
			}
		}

		bh = nfqr_bh_off();
		spin_lock(&inst->lock);
		if (inst->dead) {
			err = -ESRCH;	/* unbound meanwhile: as if it never was */
			goto unlock;
		}
		if (nfqr_instance_full(inst)) {
			fail_open = nfqr_deliver_failed(inst, NFQR_STAT_REFUSED_FULL);
			err = -ENOSPC;
			goto unlock;
		}
		if (copy && !bmsg) {
			/* The memory cgroup (or the allocator) refused it. */
			err = -ENOMEM;
			why = NFQR_STAT_ALLOC_FAILED;
			break;
		}
		pkt = nfqr_pkt_alloc(inst);
		if (unlikely(!pkt)) {
			/* As nfnetlink_queue's own -ENOMEM: no FAIL_OPEN. */
			nfqr_stat_inc(inst->stats, NFQR_STAT_ALLOC_FAILED);
			err = -ENOMEM;
			goto unlock;
		}
		err = nfqr_ep_reserve(ep, plan.size, bmsg, &slot);
		if (err != -EAGAIN || retried)
			break;
		/* The ring changed since the guess: read() takes it after all. */
		nfqr_pkt_free(inst, pkt);
		pkt = NULL;
		spin_unlock(&inst->lock);
		nfqr_bh_on(bh);
		retried = true;
		copy = true;
	}
	if (err) {
		/* Refused as a full backlog or ring is: counted, FAIL_OPEN holds. */
		if (err == -EMSGSIZE || err == -ENOMEM)
			atomic64_inc(&ep->stats.backlog_drops);
		else
			atomic64_inc(&ep->stats.rx_overruns);
		nfqr_overrun(ep);
		fail_open = nfqr_deliver_failed(inst, why);
		goto unlock;
	}
	if (!slot.copy) {
		spare = bmsg;	/* the guess was wrong the other way */
		bmsg = NULL;
	}
	/* Cannot fail now: the queue has room (checked above). */
	nfqr_pkt_link(inst, pkt, entry, NFQR_PKT_FILLING);
	id = pkt->id;
	spin_unlock(&inst->lock);

	/* Each message fits where nfqr_ep_reserve() put it. */
	if (bmsg)
		len = nfqr_backlog_fill(bmsg, &plan, entry, id);
	else
		len = __nfqr_msg_write(&plan, entry, id, (void *)slot.hdr + NFQRING_HDRLEN);

	/*
	 * No second trip through the instance lock: the state leaves FILLING
	 * by cmpxchg, against a flush that may doom it.  From the moment it is
	 * visible a verdict may take the packet: neither pkt nor entry is
	 * touched after that, only the frame and the backlog message.
	 */
	if (cmpxchg(&pkt->state, NFQR_PKT_FILLING,
		    bmsg ? NFQR_PKT_UNSEEN : NFQR_PKT_VISIBLE) != NFQR_PKT_FILLING)
		doomed = true;
	if (bmsg) {
		spin_lock(&ep->backlog_lock);
		bmsg->id = id;
		bmsg->ready = true;
		spin_unlock(&ep->backlog_lock);
		atomic64_inc(&ep->stats.backlog_msgs);
	}
	if (slot.hdr) {
		slot.hdr->nm_len = len;
		slot.hdr->nm_group = 0;
		slot.hdr->nm_pid = 0;
		slot.hdr->nm_uid = 0;
		slot.hdr->nm_gid = 0;
		nfqr_status_store(slot.hdr, bmsg ? NFQRING_STATUS_COPY :
						   NFQRING_STATUS_VALID);
		atomic64_inc(bmsg ? &ep->stats.rx_copy : &ep->stats.rx_frames);
	}
	nfqr_test_window(NFQR_WIN_PUBLISH);
	/*
	 * Before bottom halves come back: no softirq delays the wake-up.  A
	 * queue that holds maxlen now refuses what comes until the consumer
	 * answers: it must not sleep until wake_nr or the timer (a queue
	 * shorter than wake_nr).  Read at publish time, a hint: a frame
	 * published after the one that filled the queue sees it full too.
	 */
	nfqr_wake_published(ep, slot.hdr, slot.v2,
			    nfqr_instance_full(inst) ? NFQR_PUB_FILLED : NFQR_PUB_PACKET);
	nfqr_bh_on(bh);

	nfqr_msg_release(&plan);
	if (unlikely(spare))	/* rare: not even the call */
		nfqr_backlog_free(spare);
	if (doomed) {		/* flushed meanwhile: unlinked, ours to drop */
		nfqr_reinject(entry, NF_DROP);
		nfqr_pkt_free(inst, pkt);
	}
	return 0;

unlock:
	if (pkt)
		nfqr_pkt_free(inst, pkt);
	spin_unlock(&inst->lock);
	nfqr_bh_on(bh);
	nfqr_msg_release(&plan);
	nfqr_backlog_free(bmsg);
	if (fail_open) {
		nfqr_reinject(entry, NF_ACCEPT);
		return 0;
	}
	return err;
}

static const struct nfqr_peer_ops nfqr_ring_peer_ops = {
	.enqueue	= nfqr_ep_enqueue,
};

bool nfqr_peer_is_ring(const struct nfqr_peer *peer)
{
	return peer->ops == &nfqr_ring_peer_ops;
}

struct nfqr_endpoint *nfqr_ep_create(struct net *net)
{
	struct nfqr_endpoint *ep;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return NULL;
	ep->peer.ops = &nfqr_ring_peer_ops;
	INIT_HLIST_HEAD(&ep->peer.insts);
	ep->net = get_net(net);
	ep->pid = task_tgid_vnr(current);
	/* NULL without memory cgroups: nothing to charge then. */
	ep->memcg = get_mem_cgroup_from_mm(current->mm);
	init_waitqueue_head(&ep->wq);
	mutex_init(&ep->ring_mutex);
	mutex_init(&ep->tx_mutex);
	mutex_init(&ep->read_mutex);
	spin_lock_init(&ep->ring_lock);
	spin_lock_init(&ep->backlog_lock);
	INIT_LIST_HEAD(&ep->backlog);
	nfqr_wake_init(ep);
	nfqr_stall_init(ep);
	return ep;
}

void nfqr_ep_release(struct nfqr_endpoint *ep)
{
	struct nfqr_backlog_msg *bmsg, *next;

	/* Closing unbinds the queues and drops what they hold. */
	nfqr_peer_drop(ep->net, &ep->peer);
	/* Enqueues that found an instance before that may still write. */
	synchronize_rcu();
	/* Nothing can arm the timers now (wake.c, stall.c). */
	nfqr_stall_release(ep);
	nfqr_wake_release(ep);

	list_for_each_entry_safe(bmsg, next, &ep->backlog, list)
		nfqr_backlog_free(bmsg);
	nfqr_ring_free(ep->rx);
	nfqr_ring_free(ep->tx);
	kvfree(ep->tx_buf);
	mem_cgroup_put(ep->memcg);
	put_net(ep->net);
	kfree(ep);
}

/* Under the nfnl lock: whether a queue is bound through the endpoint. */
static bool nfqr_ep_bound(struct nfqr_endpoint *ep)
{
	WARN_ON_ONCE(!lockdep_nfnl_is_held(NFNL_SUBSYS_QUEUE));
	return !hlist_empty(&ep->peer.insts);
}

int nfqr_ep_set_ring(struct nfqr_endpoint *ep, bool tx,
		     const struct nl_mmap_req *req)
{
	struct nfqr_backlog_msg *bmsg, *next;
	struct nfqr_ring *ring, *old;
	void *tx_buf = NULL, *old_buf = NULL;
	LIST_HEAD(stale);
	int err = 0;

	ring = nfqr_ring_alloc(req);
	if (IS_ERR(ring))
		return PTR_ERR(ring);
	if (tx && ring) {
		tx_buf = kvmalloc(nfqr_ring_frame_room(ring), GFP_KERNEL_ACCOUNT);
		if (!tx_buf) {
			nfqr_ring_free(ring);
			return -ENOMEM;
		}
	}

	/*
	 * No ring changes while the endpoint is mapped or has a bound queue,
	 * and binding takes the nfnl lock: holding it here keeps a BIND from
	 * slipping in between the check and the swap.  Lock order: ring_mutex,
	 * tx_mutex (a TX flush binds under it, and acknowledgments take RX
	 * frames under it), the nfnl lock, ring_lock.
	 */
	mutex_lock(&ep->ring_mutex);
	mutex_lock(&ep->tx_mutex);
	nfnl_lock(NFNL_SUBSYS_QUEUE);
	if (atomic_read(&ep->mapped) || nfqr_ep_bound(ep)) {
		err = -EBUSY;
		goto busy;
	}
	if (!tx) {
		/*
		 * An enqueue of a queue unbound just before may still be
		 * between its frame and its publish (both under RCU): let it
		 * finish on the old ring, so that it counts in the old
		 * sequences, not the new ones.  Not under the nfnl lock, which
		 * every namespace shares: a queue bound meanwhile (the count
		 * moved) makes the set-up fail as if it had been bound before.
		 */
		u64 binds = ep->peer.binds;

		/* No queue bound since the last wait: none can be in flight. */
		if (binds != ep->rx_synced_binds) {
			nfnl_unlock(NFNL_SUBSYS_QUEUE);
			synchronize_rcu();
			nfnl_lock(NFNL_SUBSYS_QUEUE);
			if (ep->peer.binds != binds || nfqr_ep_bound(ep)) {
				err = -EBUSY;
				goto busy;
			}
			ep->rx_synced_binds = binds;
		}
	}
	nfqr_test_window(NFQR_WIN_SET_RING);
	spin_lock_bh(&ep->ring_lock);
	if (tx) {
		old = ep->tx;
		smp_store_release(&ep->tx, ring);	/* poll() reads it under RCU */
		WRITE_ONCE(ep->tx_head, 0);
		WRITE_ONCE(ep->tx_frame_nr, ring ? ring->frame_nr : 0);
		old_buf = ep->tx_buf;
		ep->tx_buf = tx_buf;
		nfqr_wake_reset_tx(ep);
	} else {
		old = ep->rx;
		ep->rx = ring;
		ep->rx_head = 0;
		ep->rx_tail = 0;
		ep->rx_used = 0;
		WRITE_ONCE(ep->rx_room, ring ? nfqr_ring_frame_room(ring) : 0);
		/* Version 1: reclaim when the ring looks full; version 2 below. */
		ep->rx_reclaim_at = ring ? ring->frame_nr - 1 : 0;
		nfqr_wake_reset_rx(ep);
		/*
		 * Netlink emptied the receive queue when a ring was set: a
		 * message left from before would answer the new ring's first
		 * COPY frame.  No queue is bound, none is in flight (above).
		 */
		if (test_bit(NFQR_EP_NETLINK_ACKS, &ep->flags)) {
			spin_lock(&ep->backlog_lock);
			list_splice_init(&ep->backlog, &stale);
			ep->backlog_bytes = 0;
			ep->backlog_gen++;	/* read() may hold one */
			spin_unlock(&ep->backlog_lock);
		}
	}
	spin_unlock_bh(&ep->ring_lock);
	goto unlock;
busy:
	old = ring;
	old_buf = tx_buf;
unlock:
	nfnl_unlock(NFNL_SUBSYS_QUEUE);
	mutex_unlock(&ep->tx_mutex);
	mutex_unlock(&ep->ring_mutex);
	list_for_each_entry_safe(bmsg, next, &stale, list)
		nfqr_backlog_free(bmsg);

	if (old && !err && tx)
		synchronize_rcu();	/* poll() may still scan it (RCU) */
	nfqr_ring_free(old);
	kvfree(old_buf);
	return err;
}

static void nfqr_vm_open(struct vm_area_struct *vma)
{
	struct nfqr_endpoint *ep = vma->vm_private_data;

	atomic_inc(&ep->mapped);
}

static void nfqr_vm_close(struct vm_area_struct *vma)
{
	struct nfqr_endpoint *ep = vma->vm_private_data;

	atomic_dec(&ep->mapped);
}

static const struct vm_operations_struct nfqr_vm_ops = {
	.open	= nfqr_vm_open,
	.close	= nfqr_vm_close,
};

/*
 * One mapping of exactly RX + TX, shared, from offset 0; or (version 2) the
 * control page alone at NFQRING_CTRL_OFFSET, which does not count as a ring
 * mapping: it stays put whatever the rings do.
 */
int nfqr_ep_mmap(struct nfqr_endpoint *ep, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start;
	size_t rx_size, tx_size;
	int err = -EINVAL;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* Memory userspace writes is never code: not now, not by mprotect(). */
	if (vma->vm_flags & VM_EXEC) {
		/* Asked for, unless the personality turned PROT_READ into it. */
		if (!(current->personality & READ_IMPLIES_EXEC))
			return -EPERM;
		vm_flags_clear(vma, VM_EXEC);
	}
	vm_flags_clear(vma, VM_MAYEXEC);
	if (vma->vm_pgoff == NFQRING_CTRL_OFFSET >> PAGE_SHIFT) {
		mutex_lock(&ep->ring_mutex);
		err = nfqr_wake_mmap(ep, vma);
		mutex_unlock(&ep->ring_mutex);
		return err;
	}
	if (vma->vm_pgoff)
		return -EINVAL;

	mutex_lock(&ep->ring_mutex);
	rx_size = ep->rx ? ep->rx->size : 0;
	tx_size = ep->tx ? ep->tx->size : 0;
	if (!rx_size && !tx_size)
		goto unlock;
	if (size != rx_size + tx_size)
		goto unlock;

	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	if (ep->rx) {
		err = nfqr_ring_map(ep->rx, vma, 0);
		if (err)
			goto unlock;
	}
	if (ep->tx) {
		err = nfqr_ring_map(ep->tx, vma, rx_size);
		if (err)
			goto unlock;
	}
	err = 0;
	vma->vm_ops = &nfqr_vm_ops;
	vma->vm_private_data = ep;
	atomic_inc(&ep->mapped);	/* ->open is not called for the first */
unlock:
	mutex_unlock(&ep->ring_mutex);
	return err;
}

/* The NLMSG_ERROR acknowledgment of @nlh: capped, the request not echoed. */
static void nfqr_ack_fill(struct nlmsghdr *ack, u32 len,
			  const struct nlmsghdr *nlh, int error)
{
	struct nlmsgerr *e = nlmsg_data(ack);

	ack->nlmsg_len = len;
	ack->nlmsg_type = NLMSG_ERROR;
	ack->nlmsg_flags = NLM_F_CAPPED;
	ack->nlmsg_seq = nlh->nlmsg_seq;
	ack->nlmsg_pid = nlh->nlmsg_pid;
	e->error = error;
	e->msg = *nlh;
}

/*
 * Acknowledges a request (nfqr_process_msgs() calls for requests with
 * NLM_F_ACK and for every failed one); under tx_mutex, which ring set-up
 * takes too, so the rings cannot change meanwhile.
 * NFQRING_ACKS_REQUESTED: NLM_F_ACK requests only, through read().
 * NFQRING_ACKS_NETLINK: failures too, and with an RX ring the
 * acknowledgment takes the head frame as 3.10-4.5's netlink_ack() did: built
 * in the frame (VALID) when it fits, else COPY with the message for read()
 * (frame and backlog slot taken together under ring_lock: the Nth COPY frame
 * is the Nth message read() returns).  No free frame, or no memory: lost,
 * and an overrun reported, as netlink did.
 */
static void nfqr_ep_ack(void *ctx, const struct nlmsghdr *nlh, int error)
{
	struct nfqr_endpoint *ep = ctx;
	bool netlink = test_bit(NFQR_EP_NETLINK_ACKS, &ep->flags);
	u32 len = nlmsg_total_size(sizeof(struct nlmsgerr));
	struct nfqr_backlog_msg *bmsg = NULL;
	struct nl_mmap_hdr *hdr = NULL;
	struct nfqr_ring *ring;
	bool in_frame, v2;

	lockdep_assert_held(&ep->tx_mutex);
	if (!(nlh->nlmsg_flags & NLM_F_ACK) && !netlink)
		return;
	/* Stable: ring set-up holds tx_mutex too. */
	ring = netlink ? ep->rx : NULL;
	in_frame = ring && len <= nfqr_ring_frame_room(ring);
	if (!in_frame) {
		bmsg = nfqr_backlog_alloc_ack(len, ep->memcg);
		if (!bmsg) {
			atomic64_inc(&ep->stats.backlog_drops);
			goto lost;
		}
		nfqr_ack_fill((struct nlmsghdr *)bmsg->head, len, nlh, error);
		bmsg->ready = true;	/* binding 0: not a packet */
	}

	/* ring_lock too: keeps backlog order and ring order the same. */
	local_bh_disable();
	spin_lock(&ep->ring_lock);
	v2 = ep->v2;
	if (ring) {
		hdr = nfqr_rx_head_free(ep, ring);
		if (!hdr) {
			atomic64_inc(&ep->stats.rx_overruns);
			goto full;
		}
	}
	if (bmsg) {
		spin_lock(&ep->backlog_lock);
		if (!nfqr_backlog_room(ep, bmsg->charge)) {
			spin_unlock(&ep->backlog_lock);
			atomic64_inc(&ep->stats.backlog_drops);
			goto full;
		}
		ep->backlog_bytes += bmsg->charge;
		list_add_tail(&bmsg->list, &ep->backlog);
		spin_unlock(&ep->backlog_lock);
		atomic64_inc(&ep->stats.backlog_msgs);
	}
	if (hdr) {
		nfqr_rx_take(ep, ring, hdr);
		if (in_frame)
			nfqr_ack_fill((void *)hdr + NFQRING_HDRLEN, len, nlh, error);
		hdr->nm_len = len;
		hdr->nm_group = 0;
		hdr->nm_pid = 0;
		hdr->nm_uid = 0;
		hdr->nm_gid = 0;
		nfqr_status_store(hdr, in_frame ? NFQRING_STATUS_VALID :
						  NFQRING_STATUS_COPY);
		atomic64_inc(in_frame ? &ep->stats.rx_frames : &ep->stats.rx_copy);
	}
	spin_unlock(&ep->ring_lock);
	nfqr_test_window(NFQR_WIN_PUBLISH);
	/* The consumer waits for its answer: no moderation. */
	nfqr_wake_published(ep, hdr, v2, NFQR_PUB_ACK);
	local_bh_enable();
	return;

full:
	spin_unlock(&ep->ring_lock);
	local_bh_enable();
	nfqr_backlog_free(bmsg);
lost:
	if (netlink)
		nfqr_overrun(ep);
}

/*
 * The mode changes only while there is no RX ring: no acknowledgment of
 * the other mode may wait in the backlog of a ring (it has no frame).
 * ring_mutex and tx_mutex: ring set-up and acknowledgments hold them.
 */
int nfqr_ep_set_acks(struct nfqr_endpoint *ep, unsigned long mode)
{
	bool netlink;
	int err = 0;

	if (mode != NFQRING_ACKS_REQUESTED && mode != NFQRING_ACKS_NETLINK)
		return -EINVAL;
	netlink = mode == NFQRING_ACKS_NETLINK;
	mutex_lock(&ep->ring_mutex);
	mutex_lock(&ep->tx_mutex);
	if (netlink != test_bit(NFQR_EP_NETLINK_ACKS, &ep->flags)) {
		if (ep->rx)
			err = -EBUSY;
		else
			assign_bit(NFQR_EP_NETLINK_ACKS, &ep->flags, netlink);
	}
	mutex_unlock(&ep->tx_mutex);
	mutex_unlock(&ep->ring_mutex);
	return err;
}

/*
 * Processes the VALID TX frames in ring order.  Each message is copied into
 * kernel memory, and the frame released, before anything looks at it.
 * Caller holds tx_mutex.  Returns the frames processed or the error of the
 * frame that failed.
 */
static int nfqr_ep_flush_locked(struct nfqr_endpoint *ep,
				struct nfqring_tx_result *res)
{
	struct nfqr_ring *ring = ep->tx;
	u32 n, processed = 0;
	int err = 0;

	memset(res, 0, sizeof(*res));
	if (!ring)
		return 0;

	/* At most one lap, so a busy writer cannot keep us here forever. */
	for (n = 0; n < ring->frame_nr; n++) {
		u32 index = ep->tx_head;
		struct nl_mmap_hdr *hdr = nfqr_ring_frame(ring, index);
		size_t done;
		u32 len;

		if (nfqr_status_load(hdr) != NFQRING_STATUS_VALID)
			break;
		len = READ_ONCE(hdr->nm_len);
		if (len > nfqr_ring_frame_room(ring))
			err = -EINVAL;
		else
			memcpy(ep->tx_buf, (void *)hdr + NFQRING_HDRLEN, len);
		nfqr_status_store(hdr, NFQRING_STATUS_UNUSED);
		WRITE_ONCE(ep->tx_head, nfqr_ring_next(ring, index));

		if (!err)
			err = nfqr_process_msgs(ep->net, &ep->peer, ep->tx_buf, len,
						&done, nfqr_ep_ack, ep);
		if (err) {
			res->frame = index;
			res->error = err;
			atomic64_inc(&ep->stats.tx_errors);
			WRITE_ONCE(ep->stats.tx_last_error, err);
			WRITE_ONCE(ep->stats.tx_last_frame, index);
			break;
		}
		processed++;
		cond_resched();
	}
	res->processed = processed;
	if (processed) {
		atomic64_add(processed, &ep->stats.tx_frames);
		atomic64_inc(&ep->stats.tx_flushes);
	}
	/* The failed frame was released too. */
	nfqr_wake_tx_done(ep, processed + !!err);
	if (processed || err)
		nfqr_stall_moved(ep);
	return err ? err : processed;
}

int nfqr_ep_flush(struct nfqr_endpoint *ep, struct nfqring_tx_result *res)
{
	int ret;

	mutex_lock(&ep->tx_mutex);
	ret = nfqr_ep_flush_locked(ep, res);
	mutex_unlock(&ep->tx_mutex);
	return ret;
}

ssize_t nfqr_ep_write(struct nfqr_endpoint *ep, const char __user *ubuf,
		      size_t len)
{
	struct nfqring_tx_result res;
	size_t done = 0;
	void *buf;
	int err;

	/*
	 * write(fd, NULL, 0) is a flush that reports frames processed; a frame
	 * that fails is counted in the stats, and only NFQRING_TX_FLUSH
	 * returns its error (as the UAPI header says).
	 */
	if (len == 0) {
		nfqr_ep_flush(ep, &res);
		return res.processed;
	}
	if (len > NFQRING_WRITE_MAX)
		return -EMSGSIZE;

	/* Copied before any lock is taken, and parsed only from the copy. */
	buf = vmemdup_user(ubuf, len);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	mutex_lock(&ep->tx_mutex);
	/* Verdicts take effect in the order issued: the TX ring first. */
	nfqr_ep_flush_locked(ep, &res);
	err = nfqr_process_msgs(ep->net, &ep->peer, buf, len, &done,
				nfqr_ep_ack, ep);
	mutex_unlock(&ep->tx_mutex);
	nfqr_stall_moved(ep);
	atomic64_inc(&ep->stats.writes);
	kvfree(buf);

	if (err && !done)
		return err;
	return done;
}

/*
 * Marks the packet of a message that read() handed out as seen: in the
 * binding the message came from, not in a later one that reuses its ids.
 */
static void nfqr_ep_seen(struct nfqr_endpoint *ep,
			 const struct nfqr_backlog_msg *bmsg)
{
	struct nfqr_instance *inst;
	struct nfqr_pkt *pkt;
	u32 id = bmsg->id;

	rcu_read_lock();
	inst = nfqr_instance_lookup(ep->net, bmsg->queue_num);
	if (inst && inst->binding == bmsg->binding &&
	    nfqr_peer_owns(inst, &ep->peer)) {
		spin_lock_bh(&inst->lock);
		pkt = nfqr_pkt_find(inst, id);
		/* UNSEEN was set before the message was ready to be read */
		if (pkt && READ_ONCE(pkt->state) == NFQR_PKT_UNSEEN)
			WRITE_ONCE(pkt->state, NFQR_PKT_VISIBLE);
		spin_unlock_bh(&inst->lock);
	}
	rcu_read_unlock();
}

static bool nfqr_ep_readable(struct nfqr_endpoint *ep)
{
	struct nfqr_backlog_msg *bmsg;
	bool ready;

	if (test_bit(NFQR_EP_OVERRUN, &ep->flags))
		return true;
	spin_lock_bh(&ep->backlog_lock);
	bmsg = list_first_entry_or_null(&ep->backlog, struct nfqr_backlog_msg, list);
	ready = bmsg && bmsg->ready;
	spin_unlock_bh(&ep->backlog_lock);
	return ready;
}

ssize_t nfqr_ep_read(struct nfqr_endpoint *ep, char __user *ubuf, size_t count,
		     bool nonblock)
{
	struct nfqr_backlog_msg *bmsg;
	ssize_t ret;
	u32 gen;

	if (mutex_lock_interruptible(&ep->read_mutex))
		return -ERESTARTSYS;
	for (;;) {
		if (test_and_clear_bit(NFQR_EP_OVERRUN, &ep->flags)) {
			ret = -ENOBUFS;
			goto out;
		}
		spin_lock_bh(&ep->backlog_lock);
		bmsg = list_first_entry_or_null(&ep->backlog,
						struct nfqr_backlog_msg, list);
		if (bmsg && bmsg->ready) {
			if (bmsg->len > count) {
				spin_unlock_bh(&ep->backlog_lock);
				ret = -EMSGSIZE;
				goto out;
			}
			list_del(&bmsg->list);
			ep->backlog_bytes -= bmsg->charge;
			gen = ep->backlog_gen;
			spin_unlock_bh(&ep->backlog_lock);
			break;
		}
		spin_unlock_bh(&ep->backlog_lock);
		if (nonblock) {
			ret = -EAGAIN;
			goto out;
		}
		ret = wait_event_interruptible(ep->wq, nfqr_ep_readable(ep));
		if (ret)
			goto out;
	}

	nfqr_test_window(NFQR_WIN_READ);
	if (nfqr_backlog_copy_out(bmsg, ubuf)) {
		/*
		 * Put it back where it was: nothing is lost to a bad buffer.
		 * Unless RX set-up emptied the backlog meanwhile: then it is
		 * as stale as the rest, and a new ring's first COPY frame
		 * must not find it.
		 */
		spin_lock_bh(&ep->backlog_lock);
		if (gen == ep->backlog_gen) {
			list_add(&bmsg->list, &ep->backlog);
			ep->backlog_bytes += bmsg->charge;
			bmsg = NULL;
		}
		spin_unlock_bh(&ep->backlog_lock);
		nfqr_backlog_free(bmsg);
		ret = -EFAULT;
		goto out;
	}
	ret = bmsg->len;
	if (bmsg->binding)
		nfqr_ep_seen(ep, bmsg);
	nfqr_backlog_free(bmsg);
	nfqr_stall_moved(ep);
out:
	mutex_unlock(&ep->read_mutex);
	return ret;
}

/*
 * Under ring_lock: moves the tail over released frames and counts the
 * frames in use (at most frame_nr); *@readable when one of them waits.
 */
static u32 nfqr_rx_in_use(struct nfqr_endpoint *ep, bool *readable)
{
	struct nfqr_ring *ring = ep->rx;
	u32 i, index;

	*readable = false;
	if (!ring)
		return 0;
	nfqr_ep_rx_reclaim_all(ep);
	for (i = 0, index = ep->rx_tail; i < ep->rx_used;
	     i++, index = nfqr_ring_next(ring, index)) {
		u32 status = READ_ONCE(nfqr_ring_frame(ring, index)->nm_status);

		if (status == NFQRING_STATUS_VALID || status == NFQRING_STATUS_COPY) {
			*readable = true;
			break;
		}
	}
	return ep->rx_used;
}

__poll_t nfqr_ep_poll(struct nfqr_endpoint *ep, struct file *file,
		      poll_table *wait)
{
	struct nfqr_ring *tx;
	__poll_t mask = 0;
	bool readable;
	u32 i, index;

	poll_wait(file, &ep->wq, wait);

	if (test_bit(NFQR_EP_OVERRUN, &ep->flags))
		mask |= EPOLLERR;
	if (nfqr_ep_readable(ep))
		mask |= EPOLLIN | EPOLLRDNORM;
	/* Pairs with the release in nfqr_wake_set_version(): ctrl is set. */
	if (smp_load_acquire(&ep->v2))
		return mask | nfqr_wake_poll(ep);

	/* Version 1: the status words, in at most one lap of each ring. */
	spin_lock_bh(&ep->ring_lock);
	nfqr_rx_in_use(ep, &readable);
	spin_unlock_bh(&ep->ring_lock);
	if (readable)
		mask |= EPOLLIN | EPOLLRDNORM;

	/*
	 * No lock for the TX scan (the enqueue path must not wait for it): a
	 * replaced ring is freed only after a grace period.
	 */
	rcu_read_lock();
	tx = READ_ONCE(ep->tx);
	if (!tx) {
		mask |= EPOLLOUT | EPOLLWRNORM;
	} else {
		index = READ_ONCE(ep->tx_head) % tx->frame_nr;
		for (i = 0; i < tx->frame_nr; i++, index = nfqr_ring_next(tx, index)) {
			if (READ_ONCE(nfqr_ring_frame(tx, index)->nm_status) ==
			    NFQRING_STATUS_UNUSED) {
				mask |= EPOLLOUT | EPOLLWRNORM;
				break;
			}
		}
	}
	rcu_read_unlock();
	return mask;
}

void nfqr_ep_stats(struct nfqr_endpoint *ep, struct nfqring_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->rx_frames = atomic64_read(&ep->stats.rx_frames);
	st->rx_copy = atomic64_read(&ep->stats.rx_copy);
	st->rx_overruns = atomic64_read(&ep->stats.rx_overruns);
	st->backlog_msgs = atomic64_read(&ep->stats.backlog_msgs);
	st->backlog_drops = atomic64_read(&ep->stats.backlog_drops);
	st->tx_frames = atomic64_read(&ep->stats.tx_frames);
	st->tx_errors = atomic64_read(&ep->stats.tx_errors);
	st->tx_flushes = atomic64_read(&ep->stats.tx_flushes);
	st->writes = atomic64_read(&ep->stats.writes);
	st->tx_last_error = READ_ONCE(ep->stats.tx_last_error);
	st->tx_last_frame = READ_ONCE(ep->stats.tx_last_frame);

	spin_lock_bh(&ep->ring_lock);
	if (ep->rx) {
		st->rx_frame_nr = ep->rx->frame_nr;
		st->rx_frame_size = ep->rx->frame_size;
	}
	if (ep->tx) {
		st->tx_frame_nr = ep->tx->frame_nr;
		st->tx_frame_size = ep->tx->frame_size;
	}
	spin_unlock_bh(&ep->ring_lock);
	spin_lock_bh(&ep->backlog_lock);
	st->backlog_bytes = ep->backlog_bytes;
	spin_unlock_bh(&ep->backlog_lock);
	st->queues = READ_ONCE(ep->peer.nr_insts);
}

/* One line of /proc/net/netfilter/nfqring for a queue bound to a ring. */
void nfqr_ep_show(struct seq_file *s, struct nfqr_peer *peer)
{
	struct nfqr_endpoint *ep = nfqr_ep(peer);
	struct nfqring_stats st;
	bool readable;
	u32 in_use;

	nfqr_ep_stats(ep, &st);
	spin_lock_bh(&ep->ring_lock);
	in_use = nfqr_rx_in_use(ep, &readable);
	spin_unlock_bh(&ep->ring_lock);
	seq_printf(s, "ring %d %u %u %u %u %u %llu %llu %llu %llu %llu %llu %llu\n",
		   ep->pid, st.rx_frame_nr, st.rx_frame_size, st.tx_frame_nr,
		   st.tx_frame_size, in_use, st.rx_frames, st.rx_copy,
		   st.rx_overruns, st.backlog_drops, st.tx_frames, st.tx_errors,
		   st.tx_flushes);
}
