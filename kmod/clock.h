/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A cheap time stamp for a decision taken on every packet (wake.c's idle
 * wake-up).  On x86 it is the TSC, read with one instruction, where
 * ktime_get_mono_fast_ns() costs a packet about 45 (a sequence count, an
 * indirect call, a multiply and a shift); elsewhere, or when the kernel
 * did not trust the TSC at load, it is that clock.
 * A hint only.  The TSCs of two CPUs may disagree a little, or, once the
 * kernel finds them unsynchronised after load, by more: then the frames
 * that change CPU look idle (a wake-up too many) or busy (left to the
 * max_delay_us timer).  No wake-up is lost, and the timer bounds the delay.
 */
#ifndef NFQR_CLOCK_H
#define NFQR_CLOCK_H

#include <linux/cache.h>
#include <linux/jump_label.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/timex.h>

DECLARE_STATIC_KEY_FALSE(nfqr_clock_tsc);

/* Stamp units per microsecond: the TSC's, or 1,000 (nanoseconds). */
extern u32 nfqr_clock_per_us;

/* Any context, NMI included; comparable only with another stamp. */
static __always_inline u64 nfqr_clock_stamp(void)
{
#ifdef CONFIG_X86
	if (static_branch_likely(&nfqr_clock_tsc))
		return get_cycles();
#endif
	return ktime_get_mono_fast_ns();
}

/* @us in stamp units. */
static inline u64 nfqr_clock_span(u32 us)
{
	return (u64)us * nfqr_clock_per_us;
}

void nfqr_clock_init(void);

#endif /* NFQR_CLOCK_H */
