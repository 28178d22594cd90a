/* SPDX-License-Identifier: GPL-2.0-only */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nfqr_diag_add(struct nfqr_diag *d, const char *file, unsigned line, unsigned col,
		   const char *fmt, ...)
{
	char msg[512];
	int n;
	va_list ap;

	if (!d)
		return;
	n = snprintf(msg, sizeof(msg), "%s:%u:%u: ", file, line, col);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 8;
		char **nm = realloc(d->msgs, nc * sizeof(*nm));

		if (!nm)
			return;
		d->msgs = nm;
		d->cap = nc;
	}
	d->msgs[d->n] = malloc(strlen(msg) + 1);
	if (d->msgs[d->n])
		strcpy(d->msgs[d->n++], msg);
}

void nfqr_diag_free(struct nfqr_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->msgs[i]);
	free(d->msgs);
	d->msgs = NULL;
	d->n = d->cap = 0;
}
