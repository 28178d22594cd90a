/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The netlink backend: placeholder until implemented. */
#include <errno.h>

#include "internal.h"

int nl_open(struct nfqring *h)
{
	return seterr(h, -EOPNOTSUPP, "the netlink backend is not available yet");
}

void nl_close(struct nfqring *h)
{
	(void)h;
}

int nl_setup(struct nfqring *h, struct nfqring_ring_params *p)
{
	(void)p;
	return seterr(h, -EOPNOTSUPP, "netlink backend");
}

int nl_next(struct nfqring *h, struct nfqring_packet *pkt)
{
	(void)pkt;
	return seterr(h, -EOPNOTSUPP, "netlink backend");
}

int nl_send(struct nfqring *h, const void *buf, size_t len)
{
	(void)buf;
	(void)len;
	return seterr(h, -EOPNOTSUPP, "netlink backend");
}

int nl_config(struct nfqring *h, const void *msg, size_t len)
{
	(void)msg;
	(void)len;
	return seterr(h, -EOPNOTSUPP, "netlink backend");
}
