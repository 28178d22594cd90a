/* SPDX-License-Identifier: GPL-2.0-only */
/* The host's nft for the tests: `nft -c -f` on a text, when it can run. */
#ifndef NFQR_TEST_NFT_H
#define NFQR_TEST_NFT_H

#include <stdbool.h>

/* Finds nft; NULL when `nft -c` can check here, else why not. */
const char *nft_find(void);
const char *nft_path(void);
/* `nft -c -f` on text: its exit status (-1: did not run), its messages in
 * *msgs (malloc'd). */
int nft_check(const char *text, char **msgs);
/* Every error of nft's is the kernel not knowing the queue expression
 * (nft_queue not built or loadable here), on a queue rule. */
bool nft_only_queue_missing(const char *msgs);

#endif
