// SPDX-License-Identifier: GPL-2.0
/*
 * The stall watchdog of version-2 endpoints (NFQRING_SET_STALL): a consumer
 * that hangs must not take the host's traffic down with it.
 *
 * A timer looks every quarter of stall_ms.  The consumer moved when a TX
 * frame or write() message of it was processed (whatever its result) or
 * when its rx_cons changed; nothing waiting is not a stall.  When packets
 * waited through a whole stall_ms without a move, the endpoint is stalled:
 * what its queues hold gets the stall verdict, and so does every new packet
 * in nfqr_ep_enqueue(), until the consumer moves again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/netfilter.h>
#include <linux/printk.h>
#include <linux/timer.h>

#include "endpoint.h"

static bool nfqr_stall_waiting(struct nfqr_endpoint *ep)
{
	struct nfqr_net *qn = nfqr_pernet(ep->net);
	struct nfqr_instance *inst;
	bool waiting = false;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < NFQR_QUEUE_HASH_SIZE && !waiting; i++)
		hlist_for_each_entry_rcu(inst, &qn->table[i], node)
			if (nfqr_peer_owns(inst, &ep->peer) && READ_ONCE(inst->total)) {
				waiting = true;
				break;
			}
	rcu_read_unlock();
	return waiting;
}

/* Gives what the endpoint's queues hold the stall verdict. */
static void nfqr_stall_flush(struct nfqr_endpoint *ep, u32 verdict)
{
	struct nfqr_net *qn = nfqr_pernet(ep->net);
	struct nfqr_instance *inst;
	unsigned int i;
	u32 n = 0;

	rcu_read_lock();
	for (i = 0; i < NFQR_QUEUE_HASH_SIZE; i++)
		hlist_for_each_entry_rcu(inst, &qn->table[i], node)
			if (nfqr_peer_owns(inst, &ep->peer))
				n += nfqr_instance_flush_verdict(inst, verdict,
								 NFQR_STAT_STALL_FLUSHED);
	rcu_read_unlock();
	atomic64_add(n, &ep->stall.verdicts);
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
	} else if (!READ_ONCE(s->stalled) &&
		   time_after_eq(jiffies, s->last_move + msecs_to_jiffies(ms))) {
		WRITE_ONCE(s->stalled, true);
		atomic64_inc(&s->stalls);
		pr_warn_ratelimited("consumer pid %d stalled for %u ms with packets waiting: they and new ones are %s until it moves again\n",
				    ep->pid, ms,
				    s->verdict == NF_ACCEPT ? "accepted" : "dropped");
		nfqr_stall_flush(ep, s->verdict);
	}
	mod_timer(&s->timer, jiffies + msecs_to_jiffies(max(ms / 4, 1U)));
}

void nfqr_stall_init(struct nfqr_endpoint *ep)
{
	timer_setup(&ep->stall.timer, nfqr_stall_timer, 0);
}

/* After the last enqueue and verdict (see endpoint.c). */
void nfqr_stall_release(struct nfqr_endpoint *ep)
{
	WRITE_ONCE(ep->stall.ms, 0);	/* the callback re-arms no more */
	del_timer_sync(&ep->stall.timer);
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
	del_timer_sync(&s->timer);
	WRITE_ONCE(s->stalled, false);
	s->verdict = req->verdict;
	WRITE_ONCE(s->ms, ms);
	if (ms) {
		s->seen_moves = atomic64_read(&s->moves);
		s->seen_cons = READ_ONCE(ep->wake.ctrl->rx_cons);
		s->last_move = jiffies;
		mod_timer(&s->timer, jiffies + msecs_to_jiffies(max(ms / 4, 1U)));
	}
	mutex_unlock(&ep->ring_mutex);
	return 0;
}

/* The consumer did something: a TX frame or a write() message processed. */
void nfqr_stall_moved(struct nfqr_endpoint *ep)
{
	struct nfqr_stall *s = &ep->stall;

	if (!READ_ONCE(s->ms))
		return;
	atomic64_inc(&s->moves);
	if (READ_ONCE(s->stalled))
		WRITE_ONCE(s->stalled, false);	/* at once, not at the next look */
}

void nfqr_stall_stats(struct nfqr_endpoint *ep, struct nfqring_wake_stats *st)
{
	st->stalls = atomic64_read(&ep->stall.stalls);
	st->stall_verdicts = atomic64_read(&ep->stall.verdicts);
	st->stalled = READ_ONCE(ep->stall.stalled);
}
