/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kernel's stall watchdog (--stall-ms, --stall-action) on the worker
 * handles: set up once per queue endpoint after its rings, read for the
 * statistics.  The watchdog itself is the module's (kmod/stall.c): a worker
 * that hangs with packets waiting does not take its queue's traffic down.
 */
#ifndef NFQD_STALL_H
#define NFQD_STALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opts.h"
#include "worker.h"

/* "accept" or "drop" */
const char *nfqd_stall_action(uint32_t verdict);

/*
 * Turn the watchdog on for worker w's handle (set up, before or after bind)
 * as the options ask.  Returns 0 when it is on, or off as asked; 0 with a
 * warning in msg when it was asked for but the handle has none and
 * --backend auto chose it (netlink, or a module of ABI version 1); else an
 * NFQD_EXIT_* code with the error in msg.  Sets w->stall_ms (0: not on).
 */
int nfqd_stall_apply(struct nfqd_worker *w, const struct nfqd_opts *o, char *msg, size_t len);

/* The watchdog's figures of worker w's endpoint; false when it is not on or
 * they cannot be read.  A plain ioctl on the handle's descriptor: safe from
 * another thread than the worker's. */
bool nfqd_stall_read(const struct nfqd_worker *w, struct nfqring_wake_stats *ws);

#endif
