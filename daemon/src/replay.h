/* SPDX-License-Identifier: GPL-2.0-only */
/* nfqringd --test: offline replay of a capture file through the rules. */
#ifndef NFQD_REPLAY_H
#define NFQD_REPLAY_H

#include "opts.h"

/* Judge every packet of o->capture with the rules of o->config and print a
 * line for each, then the counters (format in nfqringd(8)).  Returns an
 * exit code: 0, NFQD_EXIT_RULES, NFQD_EXIT_INPUT or NFQD_EXIT_RUNTIME. */
int nfqd_replay(const struct nfqd_opts *o);

#endif
