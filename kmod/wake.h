/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The publish path's half of wake-up moderation (wake.c), inline in the
 * enqueue: most frames find the consumer awake and end here, with no call.
 */
#ifndef _NFQR_WAKE_H
#define _NFQR_WAKE_H

#include <linux/atomic.h>
#include <uapi/linux/nfqring.h>

#include "clock.h"
#include "endpoint.h"

/* wake.c: the frame found NEED_WAKEUP set; @idle: the first for idle_us. */
void nfqr_wake_moderate(struct nfqr_endpoint *ep, enum nfqr_pub what, bool idle);

/*
 * After a packet's frame (@frame) or read() message was published: tell the
 * consumer, now, later or not at all.  @v2: version 2 was on when the frame
 * was taken (nfqr_ep_reserve(), under ring_lock, which also makes ->ctrl
 * visible).  @what: a packet, a packet that filled its queue (which
 * refuses what comes until the consumer answers) or an acknowledgment (the
 * answer to a request the consumer waits for); the last two wake a
 * sleeping consumer at once, counted as a watermark hit.  Only packets
 * move the idle clock: a consumer's own requests are no traffic.  Any
 * context, bottom halves off.
 * A message for read() alone is not moderated: the sequences do not count
 * it, so neither poll() nor a consumer looking at them would see it, and a
 * reader blocked in read() never sets NEED_WAKEUP.  Such messages are rare:
 * there is no RX ring.  (A packet too big for its frame takes one, COPY:
 * that frame is counted and moderated like the others.)
 */
static __always_inline void nfqr_wake_published(struct nfqr_endpoint *ep, bool frame,
						bool v2, enum nfqr_pub what)
{
	struct nfqr_wake *w = &ep->wake;
	u64 t = 0, last = 0;

	if (!v2 || !frame) {
		nfqr_ep_wake(ep);
		return;
	}
	/* Ordered after the status store (release semantics). */
	atomic_add_return_release(1, (atomic_t *)&w->ctrl->rx_prod);
	atomic_inc(&w->rx_prod);
	/*
	 * A hint, racy between CPUs by design: two frames published at once
	 * after a quiet spell may both be idle (two wake-ups), an older time
	 * stored over a newer one or a later time another CPU stored makes
	 * the next difference off, and on 32 bits the halves may tear.  Each
	 * only decides whether one frame wakes at once or arms the timer:
	 * no wake-up is lost.  So does a stamp from another CPU's TSC
	 * (clock.h): one instruction where the kernel's clock took 45.
	 */
	if (what != NFQR_PUB_ACK) {
		t = nfqr_clock_stamp();
		last = READ_ONCE(w->last_pub);
		WRITE_ONCE(w->last_pub, t);
	}
	/* Publish, then look at the flag: pairs with the consumer's barrier. */
	smp_mb();
	if (likely(!(READ_ONCE(w->ctrl->flags) & NFQRING_CTRL_NEED_WAKEUP))) {
		atomic64_inc(&w->skipped);
		return;
	}
	nfqr_wake_moderate(ep, what, what != NFQR_PUB_ACK &&
			   (s64)(t - last) >= (s64)READ_ONCE(w->idle_span));
}

#endif /* _NFQR_WAKE_H */
