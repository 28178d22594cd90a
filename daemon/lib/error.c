/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error messages for humans, kept in the handle. */
#include <stdio.h>

#include "internal.h"

int seterr(struct nfqring *h, int err, const char *fmt, ...)
{
	va_list ap;

	if (!h)
		return err;
	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	return err;
}

const char *nfqring_errmsg(const struct nfqring *h)
{
	return h ? h->err : "no handle";
}
