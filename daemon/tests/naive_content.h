/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The brute-force content check the engine tests compare against: every
 * start position, the pattern's offset/depth window, byte by byte.  Written
 * apart from the engine's own window code on purpose.
 */
#ifndef NFQR_TESTS_NAIVE_CONTENT_H
#define NFQR_TESTS_NAIVE_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "content.h"

static inline int naive_lc(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static inline bool naive_content(const struct nfqr_cm_pattern *p, const uint8_t *d, size_t len)
{
	for (size_t s = 0; s + p->len <= len; s++) {
		size_t i;

		if (s < p->offset || (p->depth && s + p->len > (size_t)p->offset + p->depth))
			continue;
		for (i = 0; i < p->len; i++)
			if (p->nocase ? naive_lc(d[s + i]) != naive_lc(p->bytes[i]) :
					d[s + i] != p->bytes[i])
				break;
		if (i == p->len)
			return true;
	}
	return false;
}

#endif
