/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interface names for iifname/oifname: a table ifindex -> name kept from
 * rtnetlink link events (and one dump at start), pushed into the current
 * ruleset's interface table so workers never look a name up.
 */
#ifndef NFQD_LINKS_H
#define NFQD_LINKS_H

#include <net/if.h>
#include <pthread.h>
#include <stdint.h>

#include "swap.h"

struct nfqd_link {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
};

struct nfqd_links {
	int fd;				/* NETLINK_ROUTE, RTMGRP_LINK */
	struct nfqd_link *v;
	uint32_t n, cap;
	uint64_t events;
	/* held while the table changes or a ruleset is filled and published */
	pthread_mutex_t lock;
	struct nfqd_swap *swap;
};

/* Open, subscribe and read the current links.  0 or negative errno. */
int nfqd_links_open(struct nfqd_links *l, struct nfqd_swap *swap);
/* Read pending link events, update the table and the current ruleset. */
void nfqd_links_read(struct nfqd_links *l);
/* Fill rs's interface table; call with l->lock held. */
void nfqd_links_apply(struct nfqd_links *l, struct nfqr_ruleset *rs);
void nfqd_links_close(struct nfqd_links *l);

#endif
