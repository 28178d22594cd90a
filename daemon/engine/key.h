/* SPDX-License-Identifier: GPL-2.0-only */
/* 128-bit field key: wide enough for IPv6 addresses, used for every field so
 * one interval table serves addresses, ports, marks and lengths alike. */
#ifndef NFQR_KEY_H
#define NFQR_KEY_H

#include <stdbool.h>
#include <stdint.h>

struct nfqr_key { uint64_t hi, lo; };

static inline int nfqr_key_cmp(struct nfqr_key a, struct nfqr_key b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static inline struct nfqr_key nfqr_key_u32(uint32_t v) { return (struct nfqr_key){ 0, v }; }

/* a + 1; *wrapped set when a was the maximum */
static inline struct nfqr_key nfqr_key_inc(struct nfqr_key a, bool *wrapped)
{
	struct nfqr_key r = a;

	r.lo++;
	if (r.lo == 0)
		r.hi++;
	*wrapped = r.hi == 0 && r.lo == 0;
	return r;
}

/* Big-endian load of n <= 8 bytes, unaligned. */
static inline uint64_t nfqr_load_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	if (n == 8) {
		__builtin_memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		v = __builtin_bswap64(v);
#endif
		return v;
	}
	if (n == 4) {
		uint32_t w;

		__builtin_memcpy(&w, p, 4);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		w = __builtin_bswap32(w);
#endif
		return w;
	}
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* The n <= 16 bytes at p as a big-endian number: the key of an address. */
static inline struct nfqr_key nfqr_key_from_bytes(const uint8_t *p, unsigned n)
{
	if (n > 8)
		return (struct nfqr_key){ nfqr_load_be(p, n - 8), nfqr_load_be(p + n - 8, 8) };
	return (struct nfqr_key){ 0, nfqr_load_be(p, n) };
}

#endif
