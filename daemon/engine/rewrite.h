/* SPDX-License-Identifier: GPL-2.0-only */
/* Length-preserving payload rewrites (`payload fill`, `payload replace`) with
 * the L4 checksum fixed the way NFQA_SKB_INFO says it must be. */
#ifndef NFQR_REWRITE_H
#define NFQR_REWRITE_H

#include <stdbool.h>
#include <stdint.h>
#include "decode.h"

enum nfqr_rw_result {
	NFQR_RW_DONE = 0,          /* bytes changed, checksum fixed */
	NFQR_RW_UNCHANGED,         /* nothing to change */
	NFQR_RW_REFUSED_TRUNC,     /* capture shorter than the packet */
	NFQR_RW_REFUSED_GSO,       /* GSO superframe: the payload is many segments */
	NFQR_RW_REFUSED_PROTO,     /* fragment, or no checksum we know how to fix */
};

struct nfqr_rw_ctx {
	uint8_t *pkt;
	const struct nfqr_decoded *d;
	uint32_t caplen, pkt_len;
	uint32_t skb_info;         /* NFQA_SKB_* */
	bool dry_run;              /* change nothing: DONE says a rewrite would change bytes */
};

/* Overwrite the whole L4 payload with pat repeated. */
enum nfqr_rw_result nfqr_payload_fill(const struct nfqr_rw_ctx *c,
				      const uint8_t *pat, uint32_t len);
/* Replace every non-overlapping occurrence of from[] by to[] (same length). */
enum nfqr_rw_result nfqr_payload_replace(const struct nfqr_rw_ctx *c,
					 const uint8_t *from, const uint8_t *to,
					 uint32_t len);
/* Full L4 checksum of the datagram as it is now (pseudo-header included). */
uint16_t nfqr_l4_csum_full(const uint8_t *pkt, const struct nfqr_decoded *d);

#endif
