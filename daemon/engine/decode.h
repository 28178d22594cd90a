/* SPDX-License-Identifier: GPL-2.0-only */
/* Defensive IPv4/IPv6 packet decoder: never reads past caplen, and every
 * packet gets a status the engine turns into a defined verdict. */
#ifndef NFQR_DECODE_H
#define NFQR_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* IPv6 extension headers walked before giving up (malformed). */
#define NFQR_MAX_EXTHDRS 8

enum nfqr_dec_status {
	NFQR_DEC_OK = 0,
	NFQR_DEC_MALFORMED,      /* see .error */
	NFQR_DEC_NONFIRST_FRAG,  /* L3 fields valid, no L4 */
	NFQR_DEC_FRAG_NO_L4,     /* first fragment without the whole L4 header (RFC 7112) */
	NFQR_DEC_CAPTURE_SHORT,  /* the capture (copy range) ends inside the headers that
				  * the IP length says are there: l4_off 0 when it ends in
				  * the IP header or the IPv6 extension headers */
};

enum nfqr_dec_error {
	NFQR_DERR_NONE = 0,
	NFQR_DERR_TRUNCATED,     /* header cut short by the IP length */
	NFQR_DERR_VERSION,       /* not 4/6, or disagrees with hw_protocol */
	NFQR_DERR_IHL,           /* IPv4 IHL < 5 */
	NFQR_DERR_LENGTH,        /* IP length fields inconsistent */
	NFQR_DERR_EXTHDR,        /* IPv6 ext header chain too long or misplaced */
	NFQR_DERR_L4HDR,         /* bad TCP data offset, ... */
};

struct nfqr_decoded {
	uint8_t  status;         /* enum nfqr_dec_status */
	uint8_t  error;          /* enum nfqr_dec_error */
	uint8_t  family;         /* 4 or 6 (0 if unknown) */
	uint8_t  l4proto;        /* final protocol, after IPv6 ext headers */
	uint8_t  is_fragment;    /* any fragment (first or not); an IPv6 atomic fragment
				  * (offset 0, no more fragments: RFC 6946) is none */
	uint8_t  l4_present;     /* the L4 header below is complete */
	uint8_t  has_ports;      /* TCP, UDP, UDP-Lite, SCTP, DCCP */
	uint8_t  tcp_flags;
	uint8_t  icmp_type, icmp_code;   /* ICMP for IPv4, ICMPv6 for IPv6 */
	uint16_t sport, dport;
	uint8_t  saddr[16], daddr[16];   /* IPv4 in the first 4 bytes */
	uint32_t l4_off;         /* start of the L4 header */
	uint32_t payload_off;    /* start of the L4 payload (after the L4 header) */
	uint32_t end;            /* end of IP datagram within the buffer: min(IP length, caplen) */
	uint32_t ip_end;         /* end of IP datagram as the header declares it */
	uint32_t csum_off;       /* offset of the L4 checksum field, 0 = none */
};

/* hw_protocol: ETH_P_IP/ETH_P_IPV6 (host order) or 0 to trust the version
 * nibble; pkt_len: the packet's real length (>= caplen when truncated). */
void nfqr_decode(const uint8_t *p, size_t caplen, uint32_t pkt_len,
		 uint16_t hw_protocol, struct nfqr_decoded *d);

const char *nfqr_dec_error_name(enum nfqr_dec_error e);

#endif
