// SPDX-License-Identifier: GPL-2.0
/*
 * Version 2 of the ring ABI (include/uapi/linux/nfqring.h): the control page
 * and wake-up moderation.
 *
 * The control page carries sequence numbers both ways and the consumer's
 * NEED_WAKEUP flag.  What userspace writes there (rx_cons, tx_prod, flags)
 * is read once per use, as a hint: it decides when to wake and what poll()
 * reports, never which frame the kernel touches.
 *
 * Moderation (the kernel's half of the lost-wake-up protocol):
 *   publish the frame (store-release of its status, then of rx_prod);
 *   full barrier; load flags; if NEED_WAKEUP: count the frame as
 *   unannounced and wake when wake_nr are, or the ring passes its
 *   watermark, or the frame filled its queue (maxlen), or it is the first
 *   for idle_us (no batch is coming: a lone packet should not pay the
 *   timer's latency, nor the enqueue CPU its cost); else arm the timer for
 *   max_delay_us unless it is pending.
 * Messages for read() alone are not moderated (nfqr_wake_published()).
 * The timer is a per-endpoint hrtimer in softirq mode, armed from the
 * enqueue path; it touches only the endpoint, and nfqr_wake_release()
 * cancels it once no enqueue can arm it again.  Queues unbinding and
 * namespaces going need nothing: the endpoint, which owns the timer, holds
 * its namespace and outlives its queues, and the module cannot go while an
 * endpoint is open.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/poll.h>

#include "clock.h"
#include "endpoint.h"
#include "ring.h"
#include "testing.h"
#include "wake.h"

static struct nfqr_endpoint *nfqr_timer_ep(struct hrtimer *t)
{
	return container_of(t, struct nfqr_endpoint, wake.timer);
}

/* Wakes the consumer and clears its request; any context. */
static void nfqr_wake_now(struct nfqr_endpoint *ep, atomic64_t *why)
{
	struct nfqr_wake *w = &ep->wake;

	atomic_set(&w->unannounced, 0);
	/* One locked instruction: userspace may be writing the word too. */
	atomic_andnot(NFQRING_CTRL_NEED_WAKEUP, (atomic_t *)&w->ctrl->flags);
	atomic64_inc(why);
	atomic64_inc(&w->wakeups);
	wake_up_interruptible_poll(&ep->wq, EPOLLIN | EPOLLRDNORM);
}

static enum hrtimer_restart nfqr_wake_timer(struct hrtimer *t)
{
	struct nfqr_endpoint *ep = nfqr_timer_ep(t);
	struct nfqr_wake *w = &ep->wake;

	/* From here on a publish arms the timer again. */
	atomic_set(&w->armed, 0);
	/* Pairs with the consumer's barrier after it set the flag. */
	smp_mb();
	if ((READ_ONCE(w->ctrl->flags) & NFQRING_CTRL_NEED_WAKEUP) &&
	    atomic_read(&w->unannounced))
		nfqr_wake_now(ep, &w->timer_wakeups);
	return HRTIMER_NORESTART;
}

/* The stall watchdog found a consumer waiting for a wake-up (stall.c). */
void nfqr_wake_owed(struct nfqr_endpoint *ep)
{
	nfqr_wake_now(ep, &ep->wake.timer_wakeups);
}

void nfqr_wake_init(struct nfqr_endpoint *ep)
{
	hrtimer_init(&ep->wake.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	ep->wake.timer.function = nfqr_wake_timer;
}

/* After the last enqueue that could arm the timer (see the top). */
void nfqr_wake_release(struct nfqr_endpoint *ep)
{
	hrtimer_cancel(&ep->wake.timer);
	if (ep->wake.page)
		__free_page(ep->wake.page);
}

/* Under ring_lock, which orders it against a change of delay_us. */
static void nfqr_wake_arm(struct nfqr_wake *w)
{
	hrtimer_start(&w->timer, ns_to_ktime((u64)w->delay_us * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_SOFT);
}

/* Under ring_mutex and ring_lock: the effective thresholds for the ring. */
static void nfqr_wake_apply(struct nfqr_endpoint *ep)
{
	struct nfqr_wake *w = &ep->wake;
	u32 frames = ep->rx ? ep->rx->frame_nr : NFQRING_MAX_FRAMES;
	u32 wm = clamp(w->req.watermark ?: max(frames / 2, 1U), 1U, frames);

	u32 delay = min(w->req.max_delay_us ?: NFQRING_WAKE_DELAY_US, NFQRING_WAKE_MAX_DELAY_US);

	if (!w->req.max_delay_us && w->req.wake_nr == 1)
		delay = 0;
	/*
	 * From one below the watermark on, the enqueue reclaims released
	 * frames (endpoint.c), so that they do not count toward it.  Up to
	 * NFQR_RX_RECLAIM_MAX a packet: a watermark lowered by more would
	 * count released frames for a while, hence the reclaim here, before
	 * it applies.
	 */
	if (ep->rx) {
		ep->rx_reclaim_at = wm - 1;
		nfqr_ep_rx_reclaim_all(ep);
	}
	/* Read by the publish path without a lock. */
	WRITE_ONCE(w->nr, clamp(w->req.wake_nr ?: NFQRING_WAKE_NR, 1U, frames));
	WRITE_ONCE(w->watermark, wm);
	WRITE_ONCE(w->delay_us, delay);
	w->idle_us = w->req.idle_us == NFQRING_WAKE_IDLE_OFF ? NFQRING_WAKE_IDLE_OFF :
		     min(w->req.idle_us ?: NFQRING_WAKE_IDLE_US, NFQRING_WAKE_MAX_DELAY_US);
	/* Off: more than any two stamps of this boot lie apart. */
	WRITE_ONCE(w->idle_span, w->idle_us == NFQRING_WAKE_IDLE_OFF ? S64_MAX :
		   nfqr_clock_span(w->idle_us));
}

int nfqr_wake_set_version(struct nfqr_endpoint *ep, unsigned long version)
{
	struct page *page;
	int ret = NFQRING_ABI_VERSION_2;

	if (version != NFQRING_ABI_VERSION && version != NFQRING_ABI_VERSION_2)
		return -EINVAL;
	mutex_lock(&ep->ring_mutex);
	if (version == NFQRING_ABI_VERSION) {
		mutex_unlock(&ep->ring_mutex);
		return ep->wake.page ? -EBUSY : NFQRING_ABI_VERSION;
	}
	/* tx_mutex: a TX flush updates tx_cons under it (lock order: ring_mutex, tx_mutex). */
	mutex_lock(&ep->tx_mutex);
	if (!ep->wake.page) {
		page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!page) {
			ret = -ENOMEM;
			goto unlock;
		}
		spin_lock_bh(&ep->ring_lock);
		/*
		 * The sequences start equal: no frame may be in flight.  A
		 * frame taken after this section publishes with ->v2 seen
		 * (ring_lock orders the two), so it is counted.
		 */
		if (nfqr_ep_frames_in_flight(ep)) {
			spin_unlock_bh(&ep->ring_lock);
			__free_page(page);
			ret = -EBUSY;
			goto unlock;
		}
		ep->wake.page = page;
		ep->wake.ctrl = page_address(page);
		nfqr_wake_apply(ep);
		nfqr_wake_reset_rx(ep);
		nfqr_wake_reset_tx(ep);
		/* Published last: enqueue and poll test ->v2 alone. */
		smp_store_release(&ep->v2, true);
		spin_unlock_bh(&ep->ring_lock);
	}
unlock:
	mutex_unlock(&ep->tx_mutex);
	mutex_unlock(&ep->ring_mutex);
	return ret;
}

int nfqr_wake_set(struct nfqr_endpoint *ep, struct nfqring_wake *req)
{
	if (!READ_ONCE(ep->v2))
		return -EOPNOTSUPP;
	mutex_lock(&ep->ring_mutex);
	spin_lock_bh(&ep->ring_lock);
	ep->wake.req = *req;
	nfqr_wake_apply(ep);
	/* A shorter delay holds from now on, for a timer already running too. */
	if (hrtimer_is_queued(&ep->wake.timer) &&
	    ktime_to_us(hrtimer_get_remaining(&ep->wake.timer)) > ep->wake.delay_us)
		nfqr_wake_arm(&ep->wake);
	req->wake_nr = ep->wake.nr;
	req->watermark = ep->wake.watermark;
	req->max_delay_us = ep->wake.delay_us;
	req->idle_us = ep->wake.idle_us;
	spin_unlock_bh(&ep->ring_lock);
	mutex_unlock(&ep->ring_mutex);
	return 0;
}

/* Under ring_lock, when the RX ring is set up: both sequences restart. */
void nfqr_wake_reset_rx(struct nfqr_endpoint *ep)
{
	struct nfqr_wake *w = &ep->wake;

	if (!w->ctrl)
		return;
	atomic_set(&w->rx_prod, NFQR_SEQ_START);
	WRITE_ONCE(w->ctrl->rx_prod, NFQR_SEQ_START);
	WRITE_ONCE(w->ctrl->rx_cons, NFQR_SEQ_START);
	atomic_set(&w->unannounced, 0);
	nfqr_wake_apply(ep);
}

/* Under ring_lock, when the TX ring is set up. */
void nfqr_wake_reset_tx(struct nfqr_endpoint *ep)
{
	struct nfqr_wake *w = &ep->wake;

	if (!w->ctrl)
		return;
	WRITE_ONCE(w->tx_cons, NFQR_SEQ_START);
	WRITE_ONCE(w->ctrl->tx_prod, NFQR_SEQ_START);
	WRITE_ONCE(w->ctrl->tx_cons, NFQR_SEQ_START);
}

/* Under tx_mutex: @n more TX frames processed. */
void nfqr_wake_tx_done(struct nfqr_endpoint *ep, u32 n)
{
	struct nfqr_wake *w = &ep->wake;

	/* Pairs with the release in nfqr_wake_set_version(): ctrl is set. */
	if (!n || !smp_load_acquire(&ep->v2))
		return;
	WRITE_ONCE(w->tx_cons, w->tx_cons + n);
	/* The frames were released (UNUSED) before the count says so. */
	smp_store_release(&w->ctrl->tx_cons, w->tx_cons);
}

/* The rest of nfqr_wake_published() (wake.h): the consumer asked. */
void nfqr_wake_moderate(struct nfqr_endpoint *ep, enum nfqr_pub what, bool idle)
{
	struct nfqr_wake *w = &ep->wake;
	u32 n;

	n = atomic_inc_return(&w->unannounced);
	if (n >= READ_ONCE(w->nr) || !READ_ONCE(w->delay_us)) {
		nfqr_wake_now(ep, &w->nr_hits);
	} else if (what != NFQR_PUB_PACKET ||
		   READ_ONCE(ep->rx_used) >= READ_ONCE(w->watermark)) {
		nfqr_wake_now(ep, &w->watermark_hits);
	} else if (idle) {
		nfqr_wake_now(ep, &w->idle_wakeups);
	} else if (!atomic_xchg(&w->armed, 1)) {
		/*
		 * Not "n == 1": the count may be stale when the consumer set
		 * the flag itself, and a consumer that sleeps in epoll_wait()
		 * never calls poll() to reset it.  The timer then wakes it
		 * early, never late.  Under ring_lock (once per delay at the
		 * most): SET_WAKE changes the delay and moves a queued timer
		 * under it, so the timer never runs on a delay it replaced.
		 */
		spin_lock(&ep->ring_lock);
		nfqr_wake_arm(w);
		spin_unlock(&ep->ring_lock);
	}
}

/* Version 2's mapping: the control page alone. */
int nfqr_wake_mmap(struct nfqr_endpoint *ep, struct vm_area_struct *vma)
{
	if (!READ_ONCE(ep->v2))
		return -EINVAL;
	if (vma->vm_end - vma->vm_start != PAGE_SIZE)
		return -EINVAL;
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	return vm_insert_page(vma, vma->vm_start, ep->wake.page);
}

/*
 * poll() of a version-2 endpoint, O(1): RX frames wait when rx_prod and
 * the consumer's rx_cons differ; TX frames are free when fewer than the
 * ring's are outstanding.  Nothing to report means the caller is going to
 * sleep: ask to be woken on its behalf, then look once more (the kernel's
 * half of the protocol, run by the consumer's thread).
 */
__poll_t nfqr_wake_poll(struct nfqr_endpoint *ep)
{
	struct nfqr_wake *w = &ep->wake;
	__poll_t mask = 0;
	u32 tx_nr;

	tx_nr = READ_ONCE(ep->tx_frame_nr);
	/* tx_cons: the kernel's own count, not the shared copy. */
	if (!tx_nr || (u32)(READ_ONCE(w->ctrl->tx_prod) - READ_ONCE(w->tx_cons)) < tx_nr)
		mask |= EPOLLOUT | EPOLLWRNORM;
	if (atomic_read(&w->rx_prod) != READ_ONCE(w->ctrl->rx_cons))
		return mask | EPOLLIN | EPOLLRDNORM;
	atomic_set(&w->unannounced, 0);
	atomic_or(NFQRING_CTRL_NEED_WAKEUP, (atomic_t *)&w->ctrl->flags);
	/* Flag, then look again: pairs with nfqr_wake_published()'s barrier. */
	smp_mb();
	if (atomic_read(&w->rx_prod) != READ_ONCE(w->ctrl->rx_cons))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

void nfqr_wake_stats(struct nfqr_endpoint *ep, struct nfqring_wake_stats *st)
{
	struct nfqr_wake *w = &ep->wake;

	st->wakeups = atomic64_read(&w->wakeups);
	st->wake_nr_hits = atomic64_read(&w->nr_hits);
	st->watermark_hits = atomic64_read(&w->watermark_hits);
	st->timer_wakeups = atomic64_read(&w->timer_wakeups);
	st->skipped = atomic64_read(&w->skipped);
	st->idle_wakeups = (u32)atomic64_read(&w->idle_wakeups);
}
