/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ABI version 2 (<linux/nfqring.h>): the control page, waiting with the
 * kernel's wake-up moderation, and the stall watchdog's settings.
 *
 * The sequence numbers this handle writes (rx_cons, tx_prod) are published
 * before it waits and when it flushes: the kernel reads them only to answer
 * poll() and to see that the consumer moves, so a store per packet would
 * buy nothing.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "internal.h"

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

/* After the rings are set up: speak version 2 if the module does. */
int ctrl_setup(struct nfqring *h)
{
	void *m;

	if (h->ops->ioctl(h->fd, NFQRING_SET_VERSION, (void *)(uintptr_t)NFQRING_ABI_VERSION_2) !=
	    NFQRING_ABI_VERSION_2)
		return 0;	/* an older module: version 1, as before */
	m = h->ops->mmap(NULL, NFQRING_CTRL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd,
			 NFQRING_CTRL_OFFSET);
	if (m == MAP_FAILED)
		return seterr(h, -errno, "mapping the control page: %s", strerror(errno));
	h->ctrl = m;
	/* set by the kernel when the rings were set up: not necessarily 0 */
	h->rx_taken = __atomic_load_n(&h->ctrl->rx_cons, __ATOMIC_ACQUIRE);
	h->tx_made = __atomic_load_n(&h->ctrl->tx_prod, __ATOMIC_ACQUIRE);
	h->spin_max_ns = NFQRING_DEFAULT_SPIN_US * 1000u;
	h->spin_ns = h->spin_max_ns;
	return 0;
}

void ctrl_close(struct nfqring *h)
{
	if (h->ctrl)
		h->ops->munmap(h->ctrl, NFQRING_CTRL_SIZE);
	h->ctrl = NULL;
}

bool nfqring_v2(const struct nfqring *h)
{
	return h->ctrl != NULL;
}

/*
 * Spins up to the current budget for the head frame; the clock is read
 * every 64 looks (in a guest whose vDSO falls back to the system call each
 * read is one).  The budget halves (down to an eighth of the maximum) each
 * time the spin finds nothing and goes back to the maximum when it finds
 * something: a consumer that keeps up spins, one that idles hardly does.
 * Only when spin_us asked for it: by default there is no spin.
 */
static bool spin(struct nfqring *h)
{
	uint64_t until;
	unsigned int i;

	if (!h->spin_ns)
		return false;
	until = mono_ns() + h->spin_ns;
	for (i = 1;; i++) {
		if (head_ready(h)) {
			h->spin_ns = h->spin_max_ns;
			return true;
		}
		cpu_relax();
		if (!(i % 64) && mono_ns() >= until)
			break;
	}
	h->spin_ns = h->spin_ns / 2 > h->spin_max_ns / 8 ? h->spin_ns / 2 : h->spin_max_ns / 8;
	return false;
}

/*
 * The consumer's half of the protocol that loses no wake-up: ask, full
 * barrier, look once more (ready()), and only then sleep.  The kernel
 * clears the flag when it wakes us; we clear it whatever woke us.  1 when
 * the second look found what ready() wants, else what wait_poll() says.
 */
static int sleep_asking(struct nfqring *h, bool (*ready)(const struct nfqring *h),
			int timeout_ms)
{
	int r = 1;

	__atomic_fetch_or(&h->ctrl->flags, NFQRING_CTRL_NEED_WAKEUP, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!ready(h)) {
		h->wst.sleeps++;
		r = wait_poll(h, timeout_ms);
	}
	__atomic_fetch_and(&h->ctrl->flags, ~NFQRING_CTRL_NEED_WAKEUP, __ATOMIC_RELAXED);
	return r;
}

int ctrl_wait(struct nfqring *h, int timeout_ms)
{
	h->wst.waits++;
	ctrl_publish(h);
	if (timeout_ms && spin(h)) {
		h->wst.spin_hits++;
		return 1;
	}
	return sleep_asking(h, head_ready, timeout_ms);
}

/* Frames the kernel published that this handle has not taken. */
static uint32_t frames_waiting(const struct nfqring *h)
{
	return __atomic_load_n(&h->ctrl->rx_prod, __ATOMIC_ACQUIRE) - h->rx_taken;
}

static bool batch_ready(const struct nfqring *h)
{
	return frames_waiting(h) >= h->batch_min;
}

/*
 * Frames wait, but fewer than batch_min (nfqring_set_batch()): sleep as if
 * none did, so that the next batch is a batch.  The waiting frames are
 * published as seen (rx_cons past them: a hint, the status words stay the
 * truth), so the kernel's poll() waits for new ones and its moderation
 * counts them from here: woken after wake_nr more, the ring's watermark,
 * or max_delay_us after the first.  If none comes, poll()'s own timeout
 * (max_delay_us, in whole milliseconds) bounds how long the waiting ones
 * wait.
 */
int ctrl_wait_batch(struct nfqring *h, int timeout_ms)
{
	uint32_t waiting = frames_waiting(h);
	uint32_t delay_us = h->wake.max_delay_us ? h->wake.max_delay_us : NFQRING_WAKE_DELAY_US;
	int ms = (int)((delay_us + 999u) / 1000u), r;

	/* none counted (a COPY message alone) or enough: no wait */
	if (!waiting || waiting >= h->batch_min)
		return 1;
	if (timeout_ms >= 0 && timeout_ms < ms)
		ms = timeout_ms;
	__atomic_store_n(&h->ctrl->rx_cons, h->rx_taken + waiting, __ATOMIC_RELEASE);
	__atomic_store_n(&h->ctrl->tx_prod, h->tx_made, __ATOMIC_RELEASE);
	r = sleep_asking(h, batch_ready, ms);
	return r < 0 ? r : 1;
}

int nfqring_set_batch(struct nfqring *h, uint32_t *min)
{
	uint32_t nr = h->wake.wake_nr ? h->wake.wake_nr : NFQRING_WAKE_NR;

	if (!h->ctrl)
		return seterr(h, -EOPNOTSUPP, "waiting for a batch needs the module's version 2 "
			      "(an older module, NFQRING_ABI_V1 or the netlink backend)");
	/* more than wake_nr: the kernel's wake-up would not bring enough */
	if (*min > nr)
		*min = nr;
	h->batch_min = *min > 1 ? *min : 0;
	*min = h->batch_min;
	return 0;
}

/* SET_WAKE with w (idle_us included); the kernel's clamped values into
 * h->wake and w */
static int set_wake(struct nfqring *h, struct nfqring_wake *w)
{
	uint32_t asked = w->idle_us;

	if (h->ops->ioctl(h->fd, NFQRING_SET_WAKE, w) < 0) {
		/* a module with idle_us takes any value (it clamps); one from
		 * before refuses all but 0, its "reserved" word */
		if (errno == EINVAL && asked)
			return seterr(h, -EOPNOTSUPP, "this nfqring module has no idle wake-up "
				      "(it refused idle_us %u): update the module, or leave "
				      "idle_us at 0", asked);
		return seterr(h, -errno, "NFQRING_SET_WAKE: %s", strerror(errno));
	}
	h->wake = *w;
	return 0;
}

int nfqring_set_wait(struct nfqring *h, struct nfqring_wait_params *p)
{
	struct nfqring_wake w = {
		.wake_nr = p->wake_nr, .watermark = p->watermark, .max_delay_us = p->max_delay_us,
		.idle_us = h->wake.idle_us,
	};
	uint64_t spin_ns;
	int r;

	if (!h->ctrl)
		return seterr(h, -EOPNOTSUPP, "waiting is version 1 here: no control page "
			      "(an older module, NFQRING_ABI_V1 or the netlink backend)");
	r = set_wake(h, &w);
	if (r < 0)
		return r;
	spin_ns = p->spin_us == NFQRING_NO_SPIN ? 0 :
		  (uint64_t)(p->spin_us ? p->spin_us : NFQRING_DEFAULT_SPIN_US) * 1000u;
	if (spin_ns > 1000000000u)
		spin_ns = 1000000000u;	/* a second at most */
	h->spin_max_ns = (uint32_t)spin_ns;
	h->spin_ns = h->spin_max_ns;
	p->spin_us = spin_ns ? (uint32_t)(spin_ns / 1000u) : NFQRING_NO_SPIN;
	p->wake_nr = w.wake_nr;
	p->watermark = w.watermark;
	p->max_delay_us = w.max_delay_us;
	return 0;
}

int nfqring_set_idle(struct nfqring *h, uint32_t *idle_us)
{
	struct nfqring_wake w = h->wake;
	int r;

	if (!h->ctrl)
		return seterr(h, -EOPNOTSUPP, "the idle wake-up needs the module's version 2 "
			      "(an older module, NFQRING_ABI_V1 or the netlink backend)");
	/* 0 asks for the default; written back as such by the kernel */
	w.idle_us = *idle_us;
	r = set_wake(h, &w);
	if (r < 0)
		return r;
	*idle_us = w.idle_us;
	return 0;
}

int nfqring_set_stall(struct nfqring *h, uint32_t stall_ms, uint32_t verdict)
{
	struct nfqring_stall s = { .stall_ms = stall_ms, .verdict = verdict };

	if (!h->ctrl)
		return seterr(h, -EOPNOTSUPP, "the stall watchdog needs the module's version 2 "
			      "(an older module, NFQRING_ABI_V1 or the netlink backend)");
	if (verdict != NF_ACCEPT && verdict != NF_DROP)
		return seterr(h, -EINVAL, "stall verdict %u: accept or drop", verdict);
	if (stall_ms && (stall_ms < NFQRING_STALL_MIN_MS || stall_ms > NFQRING_STALL_MAX_MS))
		return seterr(h, -EINVAL, "stall time %u ms: 0 (off) or %u to %u", stall_ms,
			      NFQRING_STALL_MIN_MS, NFQRING_STALL_MAX_MS);
	if (h->ops->ioctl(h->fd, NFQRING_SET_STALL, &s) < 0)
		return seterr(h, -errno, "NFQRING_SET_STALL: %s", strerror(errno));
	return 0;
}

void nfqring_wait_stats(struct nfqring *h, struct nfqring_wait_stats *s)
{
	struct nfqring_wake_stats k;

	*s = h->wst;
	if (h->ctrl && h->ops->ioctl(h->fd, NFQRING_GET_WAKE_STATS, &k) == 0) {
		s->kernel_wakeups = k.wakeups;
		s->kernel_skipped = k.skipped;
		s->stalls = k.stalls;
		s->stall_verdicts = k.stall_verdicts;
	}
}
