/* SPDX-License-Identifier: GPL-2.0-only */
/* Reject kinds by the names nft gives them after `reject with` (the public
 * part is in nfqr_engine.h). */
#ifndef NFQR_REJECT_H
#define NFQR_REJECT_H

#include <stddef.h>

#include "nfqr_engine.h"

enum nfqr_reject_family { NFQR_RJ_TCP, NFQR_RJ_ICMPX, NFQR_RJ_ICMP, NFQR_RJ_ICMPV6 };

/* The kind `reject with FAMILY NAME` names, or NFQR_REJECT_NONE. */
enum nfqr_reject nfqr_reject_lookup(enum nfqr_reject_family f, const char *name, size_t len);
/* "port-unreachable, admin-prohibited, ...": the names of a family, for errors */
const char *nfqr_reject_names(enum nfqr_reject_family f);

#endif
