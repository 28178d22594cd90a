/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Internet checksum (RFC 1071) for the benchmark's packet builders:
 * udp_replay re-aims captured packets, insn_send builds its frame once.
 * Plain byte-by-byte sums, host order: speed does not matter there.
 */
#ifndef NFQR_BENCH_INET_CSUM_H
#define NFQR_BENCH_INET_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* The running sum of n bytes at p (16-bit big-endian words), added to s */
static inline uint32_t inet_sum(uint32_t s, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (; n > 1; n -= 2, b += 2)
		s += (uint32_t)b[0] << 8 | b[1];
	if (n)
		s += (uint32_t)b[0] << 8;
	return s;
}

/* A running sum folded to 16 bits, host order, not inverted */
static inline uint16_t inet_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

#endif
