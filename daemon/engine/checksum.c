/* SPDX-License-Identifier: GPL-2.0-only */
#include "checksum.h"

uint64_t nfqr_csum_add(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t nfqr_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t nfqr_csum_update(uint16_t hc, uint16_t old_sum, uint16_t new_sum)
{
	uint64_t s = (uint16_t)~hc;

	s += (uint16_t)~old_sum;
	s += new_sum;
	return (uint16_t)~nfqr_csum_fold(s);
}
