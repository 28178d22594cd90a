// SPDX-License-Identifier: GPL-2.0
/*
 * The stall watchdog of version-2 endpoints (NFQRING_SET_STALL): a consumer
 * that hangs must not take the host's traffic down with it.
 *
 * A timer looks every quarter of stall_ms.  The consumer moved when a TX
 * frame or write() message of it was processed (whatever its result), a
 * message of it was read() or its rx_cons changed; nothing waiting is not a
 * stall, nor is waiting for a wake-up the kernel owes.  When packets waited
 * through a whole stall_ms without a move, the endpoint is stalled: what its
 * queues hold gets the stall verdict (a work item, in batches), and so does
 * every new packet in nfqr_ep_enqueue(), until the consumer moves again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/netfilter.h>
#include <linux/printk.h>
#include <linux/timer.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/workqueue.h>

#include "endpoint.h"

/* Packets wait in one of the endpoint's queues, at least. */
static bool nfqr_stall_waiting(struct nfqr_endpoint *ep)
{
	return atomic_read(&ep->peer.busy);
}

/* Packets given the stall verdict between two looks for a reschedule. */
#define NFQR_STALL_BATCH	256U

/*
 * Gives what the endpoint's queues hold the stall verdict, in process
 * context: a queue may hold many thousands of packets, too many to reinject
 * in one softirq.  The nfnl lock keeps the instances (bind, unbind, close
 * and netns exit change the table under it); batches with a reschedule
 * between them keep the CPU's other work going.  It stops as soon as the
 * consumer moves again.
 */
static void nfqr_stall_work(struct work_struct *work)
{
	struct nfqr_endpoint *ep = container_of(work, struct nfqr_endpoint, stall.work);
	struct nfqr_stall *s = &ep->stall;
	u32 verdict = READ_ONCE(s->verdict), k, n = 0;
	struct nfqr_instance *inst;

	nfnl_lock(NFNL_SUBSYS_QUEUE);
	hlist_for_each_entry(inst, &ep->peer.insts, peer_node) {
		do {
			if (!READ_ONCE(s->stalled))
				goto out;
			k = nfqr_instance_flush_verdict(inst, verdict, NFQR_STAT_STALL_FLUSHED,
							NFQR_STALL_BATCH);
			n += k;
			cond_resched();
		} while (k == NFQR_STALL_BATCH);
	}
out:
	nfnl_unlock(NFNL_SUBSYS_QUEUE);
	atomic64_add(n, &s->verdicts);
}

/*
 * Whether the kernel owes the consumer a wake-up: it asked for one and
 * frames it has not seen wait.  Moderation may hold that wake-up for up to
 * max_delay_us, which can be longer than stall_ms: a consumer that waits
 * for the kernel is not stalled.  The watchdog then delivers the wake-up
 * itself and counts from there: a consumer that set the flag and hung
 * before it slept gets the flag cleared and is judged by its moves.  (A
 * consumer that sleeps on packets it has seen and not answered is stalled:
 * then no frame is unseen.)
 */
static bool nfqr_stall_owed_wakeup(struct nfqr_endpoint *ep, u32 cons)
{
	struct nfqr_wake *w = &ep->wake;
	struct nfqr_stall *s = &ep->stall;
	u32 prod = atomic_read(&w->rx_prod);

	if (!(READ_ONCE(w->ctrl->flags) & NFQRING_CTRL_NEED_WAKEUP) || prod == cons)
		return false;
	/*
	 * Once per frame published: a consumer that sets the flag again and
	 * again without taking a frame does not renew the exemption.
	 */
	if (s->owed_valid && s->owed_prod == prod)
		return false;
	s->owed_valid = true;
	s->owed_prod = prod;
	return true;
}

static void nfqr_stall_timer(struct timer_list *t)
{
	struct nfqr_endpoint *ep = from_timer(ep, t, stall.timer);
	struct nfqr_stall *s = &ep->stall;
	u32 ms = READ_ONCE(s->ms), cons;
	u64 moves = atomic64_read(&s->moves);

	if (!ms)
		return;		/* switched off, or the endpoint is closing */
	cons = READ_ONCE(ep->wake.ctrl->rx_cons);
	if (moves != s->seen_moves || cons != s->seen_cons) {
		s->owed_valid = false;
		s->seen_moves = moves;
		s->seen_cons = cons;
		s->last_move = jiffies;
		if (READ_ONCE(s->stalled)) {
			WRITE_ONCE(s->stalled, false);
			pr_info_ratelimited("consumer pid %d moves again: its queues take packets again\n",
					    ep->pid);
		}
	} else if (!nfqr_stall_waiting(ep)) {
		s->last_move = jiffies;		/* idle is not a stall */
	} else if (nfqr_stall_owed_wakeup(ep, cons)) {
		nfqr_wake_owed(ep);		/* waiting for us: wake it now */
		s->last_move = jiffies;
	} else if (READ_ONCE(s->stalled)) {
		/* Packets that raced past the stalled check got queued. */
		schedule_work(&s->work);
	} else if (time_after_eq(jiffies, s->last_move + msecs_to_jiffies(ms))) {
		WRITE_ONCE(s->stalled, true);
		/*
		 * Pairs with nfqr_stall_moved(): a move that came after the
		 * count was read either sees stalled and clears it, or is seen
		 * here; no packet is flushed for a consumer that moved.
		 */
		smp_mb();
		if (atomic64_read(&s->moves) != moves) {
			WRITE_ONCE(s->stalled, false);
		} else {
			atomic64_inc(&s->stalls);
			pr_warn_ratelimited("consumer pid %d stalled for %u ms with packets waiting: they and new ones are %s until it moves again\n",
					    ep->pid, ms,
					    s->verdict == NF_ACCEPT ? "accepted" : "dropped");
			schedule_work(&s->work);
		}
	}
	mod_timer(&s->timer, jiffies + msecs_to_jiffies(max(ms / 4, 1U)));
}

void nfqr_stall_init(struct nfqr_endpoint *ep)
{
	timer_setup(&ep->stall.timer, nfqr_stall_timer, 0);
	INIT_WORK(&ep->stall.work, nfqr_stall_work);
}

/* After the last enqueue and verdict (see endpoint.c). */
void nfqr_stall_release(struct nfqr_endpoint *ep)
{
	WRITE_ONCE(ep->stall.ms, 0);	/* the callback re-arms no more */
	del_timer_sync(&ep->stall.timer);
	cancel_work_sync(&ep->stall.work);	/* only the timer queues it */
}

int nfqr_stall_set(struct nfqr_endpoint *ep, const struct nfqring_stall *req)
{
	struct nfqr_stall *s = &ep->stall;
	u32 ms = req->stall_ms;

	if (!READ_ONCE(ep->v2))
		return -EOPNOTSUPP;
	if (req->verdict != NF_ACCEPT && req->verdict != NF_DROP)
		return -EINVAL;
	if (ms && (ms < NFQRING_STALL_MIN_MS || ms > NFQRING_STALL_MAX_MS))
		return -EINVAL;

	mutex_lock(&ep->ring_mutex);
	WRITE_ONCE(s->ms, 0);
	del_timer_sync(&s->timer);
	WRITE_ONCE(s->stalled, false);
	cancel_work_sync(&s->work);	/* takes the nfnl lock, never ring_mutex */
	WRITE_ONCE(s->verdict, req->verdict);
	WRITE_ONCE(s->ms, ms);
	if (ms) {
		s->seen_moves = atomic64_read(&s->moves);
		s->seen_cons = READ_ONCE(ep->wake.ctrl->rx_cons);
		s->owed_valid = false;
		s->last_move = jiffies;
		mod_timer(&s->timer, jiffies + msecs_to_jiffies(max(ms / 4, 1U)));
	}
	mutex_unlock(&ep->ring_mutex);
	return 0;
}

/*
 * The consumer did something: a TX frame or a write() message processed, a
 * message read().
 */
void nfqr_stall_moved(struct nfqr_endpoint *ep)
{
	struct nfqr_stall *s = &ep->stall;

	if (!READ_ONCE(s->ms))
		return;
	atomic64_inc(&s->moves);
	smp_mb__after_atomic();		/* pairs with the timer's smp_mb() */
	if (READ_ONCE(s->stalled))
		WRITE_ONCE(s->stalled, false);	/* at once, not at the next look */
}

void nfqr_stall_stats(struct nfqr_endpoint *ep, struct nfqring_wake_stats *st)
{
	st->stalls = atomic64_read(&ep->stall.stalls);
	st->stall_verdicts = atomic64_read(&ep->stall.verdicts);
	st->stalled = READ_ONCE(ep->stall.stalled);
}
