/* SPDX-License-Identifier: GPL-2.0-only */
/* Internet checksum (RFC 1071) helpers and the RFC 1624 incremental update. */
#ifndef NFQR_CHECKSUM_H
#define NFQR_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* One's complement sum of p[0..len) as big-endian 16-bit words; an odd
 * trailing byte is padded with zero.  p must start at an even offset of the
 * checksummed area. */
uint64_t nfqr_csum_add(uint64_t sum, const uint8_t *p, size_t len);
uint16_t nfqr_csum_fold(uint64_t sum);
/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), m/m' folded sums of old/new data. */
uint16_t nfqr_csum_update(uint16_t hc, uint16_t old_sum, uint16_t new_sum);

#endif
