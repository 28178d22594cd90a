/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reject kinds: their nft names, the protocol nft makes them depend on, and
 * their code in the reject mark field (see nfqr_engine.h).  The codes are
 * the enum's values and part of the contract with the nft chain that
 * `nfqringd --print-nft` prints: never renumber them, only append.
 */
#include <string.h>

#include "reject.h"

static const struct {
	const char *name;              /* after `reject with` */
	enum nfqr_reject_family family;
	const char *dep;               /* the match nft adds for it */
} kinds[NFQR_REJECT_COUNT] = {
	[NFQR_REJECT_TCP_RESET] = { "tcp reset", NFQR_RJ_TCP, "meta l4proto tcp" },
	[NFQR_REJECT_ICMPX_PORT_UNREACHABLE] = { "icmpx port-unreachable", NFQR_RJ_ICMPX, "" },
	[NFQR_REJECT_ICMPX_ADMIN_PROHIBITED] = { "icmpx admin-prohibited", NFQR_RJ_ICMPX, "" },
	[NFQR_REJECT_ICMPX_HOST_UNREACHABLE] = { "icmpx host-unreachable", NFQR_RJ_ICMPX, "" },
	[NFQR_REJECT_ICMPX_NO_ROUTE] = { "icmpx no-route", NFQR_RJ_ICMPX, "" },
	[NFQR_REJECT_ICMP_NET_UNREACHABLE] = { "icmp net-unreachable", NFQR_RJ_ICMP, "meta nfproto ipv4" },
	[NFQR_REJECT_ICMP_HOST_UNREACHABLE] = { "icmp host-unreachable", NFQR_RJ_ICMP, "meta nfproto ipv4" },
	[NFQR_REJECT_ICMP_PROT_UNREACHABLE] = { "icmp prot-unreachable", NFQR_RJ_ICMP, "meta nfproto ipv4" },
	[NFQR_REJECT_ICMP_PORT_UNREACHABLE] = { "icmp port-unreachable", NFQR_RJ_ICMP, "meta nfproto ipv4" },
	[NFQR_REJECT_ICMP_NET_PROHIBITED] = { "icmp net-prohibited", NFQR_RJ_ICMP, "meta nfproto ipv4" },
	[NFQR_REJECT_ICMP_HOST_PROHIBITED] = { "icmp host-prohibited", NFQR_RJ_ICMP, "meta nfproto ipv4" },
	[NFQR_REJECT_ICMP_ADMIN_PROHIBITED] = { "icmp admin-prohibited", NFQR_RJ_ICMP, "meta nfproto ipv4" },
	[NFQR_REJECT_ICMPV6_NO_ROUTE] = { "icmpv6 no-route", NFQR_RJ_ICMPV6, "meta nfproto ipv6" },
	[NFQR_REJECT_ICMPV6_ADMIN_PROHIBITED] = { "icmpv6 admin-prohibited", NFQR_RJ_ICMPV6, "meta nfproto ipv6" },
	[NFQR_REJECT_ICMPV6_ADDR_UNREACHABLE] = { "icmpv6 addr-unreachable", NFQR_RJ_ICMPV6, "meta nfproto ipv6" },
	[NFQR_REJECT_ICMPV6_PORT_UNREACHABLE] = { "icmpv6 port-unreachable", NFQR_RJ_ICMPV6, "meta nfproto ipv6" },
	[NFQR_REJECT_ICMPV6_POLICY_FAIL] = { "icmpv6 policy-fail", NFQR_RJ_ICMPV6, "meta nfproto ipv6" },
	[NFQR_REJECT_ICMPV6_REJECT_ROUTE] = { "icmpv6 reject-route", NFQR_RJ_ICMPV6, "meta nfproto ipv6" },
};

static const char *const family_prefix[] = {
	[NFQR_RJ_TCP] = "tcp ", [NFQR_RJ_ICMPX] = "icmpx ", [NFQR_RJ_ICMP] = "icmp ", [NFQR_RJ_ICMPV6] = "icmpv6 ",
};

const char *nfqr_reject_name(enum nfqr_reject k)
{
	return k > NFQR_REJECT_NONE && k < NFQR_REJECT_COUNT ? kinds[k].name : "?";
}

const char *nfqr_reject_dependency(enum nfqr_reject k)
{
	return k > NFQR_REJECT_NONE && k < NFQR_REJECT_COUNT ? kinds[k].dep : "";
}

enum nfqr_reject nfqr_reject_lookup(enum nfqr_reject_family f, const char *name, size_t len)
{
	size_t plen = strlen(family_prefix[f]);

	for (int k = NFQR_REJECT_NONE + 1; k < NFQR_REJECT_COUNT; k++)
		if (kinds[k].family == f && !strncmp(kinds[k].name, family_prefix[f], plen) &&
		    strlen(kinds[k].name) == plen + len && !memcmp(kinds[k].name + plen, name, len))
			return (enum nfqr_reject)k;
	return NFQR_REJECT_NONE;
}

const char *nfqr_reject_names(enum nfqr_reject_family f)
{
	switch (f) {
	case NFQR_RJ_ICMP:
		return "net-unreachable, host-unreachable, prot-unreachable, port-unreachable, "
		       "net-prohibited, host-prohibited, admin-prohibited";
	case NFQR_RJ_ICMPV6:
		return "no-route, admin-prohibited, addr-unreachable, port-unreachable, "
		       "policy-fail, reject-route";
	case NFQR_RJ_TCP:
		return "reset";
	default:
		return "port-unreachable, admin-prohibited, host-unreachable, no-route";
	}
}

bool nfqr_reject_mark_valid(uint32_t field)
{
	uint32_t run;

	if (!field)
		return false;
	run = field >> __builtin_ctz(field);
	/* one run of ones (run + 1 is a power of two), room for the last code */
	return !(run & (run + 1)) && run >= NFQR_REJECT_COUNT - 1;
}

uint32_t nfqr_reject_mark_code(uint32_t field, enum nfqr_reject k)
{
	return field ? ((uint32_t)k << __builtin_ctz(field)) & field : 0;
}
