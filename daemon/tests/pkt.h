/* SPDX-License-Identifier: GPL-2.0-only */
/* Test packet builders, with their own checksum code (independent of the
 * engine's) so the tests check the engine against something else. */
#ifndef NFQR_TEST_PKT_H
#define NFQR_TEST_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IPv4 header (IHL 5) + l4[]; returns total length. Header checksum set. */
size_t pkt_ipv4(uint8_t *buf, const char *src, const char *dst, uint8_t proto,
		const uint8_t *l4, size_t l4len);
/* IPv6 header + ext[] (already chained, first next header = nh) + l4[]. */
size_t pkt_ipv6(uint8_t *buf, const char *src, const char *dst, uint8_t nh,
		const uint8_t *ext, size_t extlen, const uint8_t *l4, size_t l4len);
/* IPv6 extension headers before upper-layer protocol proto into h: an
 * atomic fragment header (offset 0, no more fragments) when asked, then
 * `ext` bytes of Destination Options (PadN; a multiple of 8, 0: none).
 * Returns the chain's length; *first is the next header that starts it. */
size_t pkt_ext_chain(uint8_t *h, size_t ext, bool atomic, uint8_t proto, uint8_t *first);
size_t l4_udp(uint8_t *out, uint16_t sport, uint16_t dport,
	      const void *payload, size_t plen);
size_t l4_tcp(uint8_t *out, uint16_t sport, uint16_t dport, uint8_t flags,
	      const void *payload, size_t plen);
size_t l4_icmp(uint8_t *out, uint8_t type, uint8_t code, const void *payload, size_t plen);

/* Reference checksum over pseudo-header + L4 of a whole IPv4/IPv6 packet
 * whose L4 starts at l4off with protocol proto. */
uint16_t ref_l4_csum(const uint8_t *pkt, size_t len, size_t l4off, uint8_t proto);
/* Stores a correct checksum at csum_off (UDP 0 -> 0xffff). */
void ref_l4_csum_set(uint8_t *pkt, size_t len, size_t l4off, uint8_t proto, size_t csum_off);
/* True when the stored checksum verifies. */
bool ref_l4_csum_ok(const uint8_t *pkt, size_t len, size_t l4off, uint8_t proto);

#endif
