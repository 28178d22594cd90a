/* SPDX-License-Identifier: GPL-2.0-only */
/* Rule bit vectors: bit r set = rule r still matches. */
#ifndef NFQR_BITVEC_H
#define NFQR_BITVEC_H

#include <stdbool.h>
#include <stdint.h>

static inline uint32_t bv_words(uint32_t bits) { return (bits + 63) / 64; }
static inline bool bv_test(const uint64_t *b, uint32_t i) { return (b[i / 64] >> (i % 64)) & 1; }
static inline void bv_set(uint64_t *b, uint32_t i) { b[i / 64] |= 1ULL << (i % 64); }
static inline void bv_clear(uint64_t *b, uint32_t i) { b[i / 64] &= ~(1ULL << (i % 64)); }

/* First set bit at or after `from`, or `n` if none. */
static inline uint32_t bv_next(const uint64_t *b, uint32_t from, uint32_t n)
{
	uint32_t w = from / 64, nw = bv_words(n);
	uint64_t x;

	if (from >= n)
		return n;
	x = b[w] & (~0ULL << (from % 64));
	for (;;) {
		if (x) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(x);

			return i < n ? i : n;
		}
		if (++w >= nw)
			return n;
		x = b[w];
	}
}

#endif
