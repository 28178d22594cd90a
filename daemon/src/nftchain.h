/* SPDX-License-Identifier: GPL-2.0-only */
/* nfqringd --print-nft: the nft table that queues to the daemon and does its
 * rejects, from the rule file and the options (format in nfqringd(8)). */
#ifndef NFQD_NFTCHAIN_H
#define NFQD_NFTCHAIN_H

#include <stdio.h>

#include "opts.h"

/* Write the table for o (queues, hooks, flags, table, marks) and the rules
 * rs to f, an `nft -f` file; warnings about the rules and the options go
 * into the file as comments and to warn (if not NULL) as lines. */
void nfqd_nft_chain(FILE *f, FILE *warn, const struct nfqd_opts *o,
		    const struct nfqr_ruleset *rs);

/* --print-nft: load o->config as the daemon would and print its table on
 * stdout.  Returns an exit code: 0, NFQD_EXIT_RULES or NFQD_EXIT_RUNTIME. */
int nfqd_print_nft(const struct nfqd_opts *o);

#endif
