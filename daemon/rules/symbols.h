/* SPDX-License-Identifier: GPL-2.0-only */
/* Typed values of the rule language: numbers, addresses and the symbolic
 * names nft accepts for protocols, services, ICMP types and TCP flags. */
#ifndef NFQR_SYMBOLS_H
#define NFQR_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* decimal or 0x hex, up to max */
bool nfqr_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out);
bool nfqr_parse_ipv4(const char *s, size_t len, uint8_t out[4]);
bool nfqr_parse_ipv6(const char *s, size_t len, uint8_t out[16]);

/* name tables; return -1 if unknown */
int nfqr_service_port(const char *s, size_t len);     /* inet_service */
int nfqr_proto_number(const char *s, size_t len);     /* inet_proto */
int nfqr_icmp_type(const char *s, size_t len);        /* icmp_type */
int nfqr_icmpv6_type(const char *s, size_t len);      /* icmpv6_type */
int nfqr_tcp_flag(const char *s, size_t len);         /* tcp_flag bit */
int nfqr_ct_state(const char *s, size_t len);         /* ct_state bit, as nft's */
int nfqr_ct_direction(const char *s, size_t len);     /* ct_dir: 0 original, 1 reply */

/* User and group names, resolved when the rules load (as nft resolves them
 * when it loads a ruleset): getpwnam_r/getgrnam_r.  false if unknown. */
bool nfqr_user_id(const char *s, size_t len, uint32_t *uid);
bool nfqr_group_id(const char *s, size_t len, uint32_t *gid);

#endif
