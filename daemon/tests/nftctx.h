/* SPDX-License-Identifier: GPL-2.0-only */
/* For the tests' random rules: nft's protocol context, so that a generated
 * rule has no header of another protocol after one (nft refuses those:
 * conflicting protocols, and so does nfqringd). */
#ifndef NFQR_TEST_NFTCTX_H
#define NFQR_TEST_NFTCTX_H

#include <stdbool.h>
#include <string.h>

struct nftctx { int net, l4; };     /* 0: none yet */

static inline int nftctx_l4(const char *w)
{
	static const struct { const char *name; int proto; } p[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 },
	};

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (!strncmp(w, p[i].name, strlen(p[i].name)) &&
		    (w[strlen(p[i].name)] == ' ' || !w[strlen(p[i].name)]))
			return p[i].proto;
	return 0;
}

/* Match m (its text) may follow what c says: then c takes it in. */
static inline bool nftctx_take(struct nftctx *c, const char *m)
{
	int net = !strncmp(m, "ip ", 3) ? 4 : !strncmp(m, "ip6 ", 4) ? 6 : 0;
	int l4 = nftctx_l4(m);

	if ((net && c->net && net != c->net) || (l4 && c->l4 && l4 != c->l4))
		return false;
	if (!strncmp(m, "meta l4proto ", 13) && nftctx_l4(m + 13) && !c->l4)
		c->l4 = nftctx_l4(m + 13);
	if (!strncmp(m, "meta nfproto ipv", 16) && !c->net)
		c->net = m[16] == '4' ? 4 : 6;
	if (net)
		c->net = net;
	if (l4)
		c->l4 = l4;
	return true;
}

#endif
