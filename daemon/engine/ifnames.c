/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Interface names without per-packet string work.  The names and `prefix*`
 * wildcards used by the rules split all possible interface names into a few
 * classes: (exact name, longest matching wildcard) for each exact name, and
 * (no exact name, wildcard w) for each wildcard, plus class 0 for the rest.
 * Link events store ifindex -> class; a packet only indexes that table.
 */
#include <string.h>

#include "ruleset.h"

static bool is_prefix(const char *p, const char *s)
{
	return strncmp(p, s, strlen(p)) == 0;
}

uint32_t nfqr_ifnames_class_of(const struct nfqr_ifnames *ifn, const char *name)
{
	uint32_t i, best = UINT32_MAX;
	size_t best_len = 0;

	for (i = 0; i < ifn->n_exact; i++)
		if (strcmp(ifn->exact[i], name) == 0)
			return ifn->exact_class[i];
	for (i = 0; i < ifn->n_prefix; i++)
		if (is_prefix(ifn->prefix[i], name) &&
		    (best == UINT32_MAX || strlen(ifn->prefix[i]) > best_len)) {
			best = i;
			best_len = strlen(ifn->prefix[i]);
		}
	return best == UINT32_MAX ? 0 : ifn->prefix_class[best];
}

/* Classes are the values stored; +1 so that 0 means "unknown ifindex". */
static void store(struct nfqr_ifnames *ifn, uint32_t ifindex, uint32_t val)
{
	uint32_t h, i;

	if (ifindex < NFQR_IFTABLE_DIRECT) {
		atomic_store_explicit(&ifn->direct[ifindex], val, memory_order_relaxed);
		return;
	}
	h = (ifindex * 2654435761u) % NFQR_IFTABLE_HASH;
	for (i = 0; i < NFQR_IFTABLE_HASH; i++) {
		uint32_t s = (h + i) % NFQR_IFTABLE_HASH;
		uint64_t e = atomic_load_explicit(&ifn->hash[s], memory_order_relaxed);

		/* slots are never freed (a deleted link keeps its key with class 0),
		 * so readers never miss an entry that moved */
		if (e == 0 || (uint32_t)(e >> 32) == ifindex) {
			atomic_store_explicit(&ifn->hash[s], (uint64_t)ifindex << 32 | val,
					      memory_order_relaxed);
			return;
		}
	}
	/* table full: such links match as class 0 (no name in the rules) */
}

uint32_t nfqr_ifnames_lookup(const struct nfqr_ifnames *ifn, uint32_t ifindex)
{
	uint32_t h, i, v = 0;

	if (!ifn)
		return 0;
	if (ifindex < NFQR_IFTABLE_DIRECT) {
		v = atomic_load_explicit(&ifn->direct[ifindex], memory_order_relaxed);
	} else {
		h = (ifindex * 2654435761u) % NFQR_IFTABLE_HASH;
		for (i = 0; i < NFQR_IFTABLE_HASH; i++) {
			uint64_t e = atomic_load_explicit(&ifn->hash[(h + i) % NFQR_IFTABLE_HASH],
							  memory_order_relaxed);

			if (e == 0)
				break;
			if ((uint32_t)(e >> 32) == ifindex) {
				v = (uint32_t)e;
				break;
			}
		}
	}
	return v ? v - 1 : 0;
}

void nfqr_ruleset_ifname_set(struct nfqr_ruleset *rs, uint32_t ifindex, const char *name)
{
	if (rs->ifn && ifindex)
		store(rs->ifn, ifindex, nfqr_ifnames_class_of(rs->ifn, name) + 1);
}

void nfqr_ruleset_ifname_del(struct nfqr_ruleset *rs, uint32_t ifindex)
{
	if (rs->ifn && ifindex)
		store(rs->ifn, ifindex, 1);   /* class 0 */
}
