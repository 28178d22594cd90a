// SPDX-License-Identifier: GPL-2.0
/* The cheap time stamp (clock.h): which counter, and its scale. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "clock.h"

DEFINE_STATIC_KEY_FALSE(nfqr_clock_tsc);
u32 nfqr_clock_per_us __ro_after_init = NSEC_PER_USEC;

/*
 * The TSC where the kernel trusts it now (present, calibrated, not found
 * unsynchronised or drifting), at the rate the kernel measured at boot.
 */
void __init nfqr_clock_init(void)
{
#ifdef CONFIG_X86
	u32 per_us = DIV_ROUND_CLOSEST(tsc_khz, 1000);

	if (!boot_cpu_has(X86_FEATURE_TSC) || check_tsc_unstable() || !per_us) {
		pr_info("the TSC is not usable: the idle wake-up reads the kernel's clock\n");
		return;
	}
	nfqr_clock_per_us = per_us;
	static_branch_enable(&nfqr_clock_tsc);
#endif
}
