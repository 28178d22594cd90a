// SPDX-License-Identifier: GPL-2.0
/*
 * The test build's hooks (testing.h); built only with NFQR_TEST_BUILD=y.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/moduleparam.h>

#include "testing.h"

/* Microseconds to spin in each race window; 0 (the default) spins not. */
static unsigned int test_delay_us[NFQR_WIN_MAX];
module_param_array(test_delay_us, uint, NULL, 0644);
MODULE_PARM_DESC(test_delay_us,
		 "test build: widen the race windows (microseconds each: enqueue guess, unbind, ring set-up, reserve, publish)");

/* The first value of every sequence, for tests that check the wrap. */
static unsigned int test_seq_start = NFQR_SEQ_START;
module_param(test_seq_start, uint, 0444);
MODULE_PARM_DESC(test_seq_start, "test build: where packet ids and ring sequences start");

void nfqr_test_window(enum nfqr_test_win win)
{
	unsigned int us = READ_ONCE(test_delay_us[win]);

	/* Any context, bottom halves off included: spin, never sleep. */
	while (us) {
		unsigned int step = min(us, 1000U);

		udelay(step);
		us -= step;
	}
}
