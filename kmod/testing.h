/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hooks of the test build (make module-test: Kbuild's NFQR_TEST_BUILD=y).
 * The DKMS build never defines NFQR_TEST_BUILD, so all of this compiles to
 * nothing there.
 *
 * A test build reaches two kinds of state that the suites cannot reach
 * otherwise:
 *  - counters near their wrap: every sequence (packet ids, the ring
 *    sequence numbers) starts NFQR_TEST_WRAP_AHEAD steps before 2^32, so
 *    every suite runs across the wrap within its first packets;
 *  - wide race windows: nfqr_test_window() marks the places where a race
 *    between two entry points was once possible or is guarded against;
 *    with the module parameter test_delay_us (one value per window, in the
 *    order of enum nfqr_test_win) set it spins there, so that a test which
 *    races those entry points hits the window every time.
 */
#ifndef _NFQR_TESTING_H
#define _NFQR_TESTING_H

#include <linux/types.h>

enum nfqr_test_win {
	NFQR_WIN_ENQUEUE_GUESS,	/* enqueue: between its frame-or-COPY guess and the locks */
	NFQR_WIN_UNBIND,	/* unbind: between marking dead and unhashing */
	NFQR_WIN_SET_RING,	/* ring set-up: between its checks and the swap */
	NFQR_WIN_RESERVE,	/* reserve: between reclaiming the tail and taking the head */
	NFQR_WIN_PUBLISH,	/* enqueue: between the frame's status and its sequence number */
	NFQR_WIN_READ,		/* read(): between taking a message and copying it out */
	NFQR_WIN_MAX
};

#ifdef NFQR_TEST_BUILD
#define NFQR_TEST_WRAP_AHEAD	200U
#define NFQR_SEQ_START		(0U - NFQR_TEST_WRAP_AHEAD)

void nfqr_test_window(enum nfqr_test_win win);
#else
#define NFQR_SEQ_START		0U

static inline void nfqr_test_window(enum nfqr_test_win win) { }
#endif

#endif /* _NFQR_TESTING_H */
