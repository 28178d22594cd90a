/* SPDX-License-Identifier: GPL-2.0-only */
#include "decode.h"

#include <stdbool.h>
#include <string.h>

#define ETH_P_IP_   0x0800
#define ETH_P_IPV6_ 0x86DD

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static void fail(struct nfqr_decoded *d, enum nfqr_dec_error e)
{
	d->status = NFQR_DEC_MALFORMED;
	d->error = (uint8_t)e;
}

/* The capture stops inside a header the IP length says is there: the copy
 * range was too short for this packet, which is no fault of the packet. */
static void capture_short(struct nfqr_decoded *d)
{
	d->status = NFQR_DEC_CAPTURE_SHORT;
}

/* The capture holds fewer than the `need` bytes of a fixed IP header: cut
 * by the copy range when the packet is longer, else malformed. */
static bool fixed_header_short(struct nfqr_decoded *d, size_t caplen, uint32_t pkt_len,
			       uint32_t need)
{
	if (caplen >= need)
		return false;
	if (pkt_len >= need)
		capture_short(d);
	else
		fail(d, NFQR_DERR_TRUNCATED);
	return true;
}

/* A header that does not fit: in a first fragment that is RFC 7112's case
 * (the header chain must be in the first fragment), otherwise truncation. */
static void short_header(struct nfqr_decoded *d)
{
	if (d->is_fragment)
		d->status = NFQR_DEC_FRAG_NO_L4;
	else
		fail(d, NFQR_DERR_TRUNCATED);
}

/* L4 header at d->l4_off; the datagram's bytes are [0, d->end). */
static void decode_l4(const uint8_t *p, struct nfqr_decoded *d)
{
	uint32_t off = d->l4_off;
	uint32_t avail_decl = d->ip_end > off ? d->ip_end - off : 0;
	uint32_t need, hdr;

	switch (d->l4proto) {
	case 6:   need = 20; break;                    /* TCP */
	case 17: case 136: need = 8; break;            /* UDP, UDP-Lite */
	case 132: need = 12; break;                    /* SCTP common header */
	case 33:  need = 12; break;                    /* DCCP generic header */
	case 1:   need = d->family == 4 ? 8 : 0; break;
	case 58:  need = d->family == 6 ? 8 : 0; break;
	default:  need = 0; break;                     /* opaque: payload follows L3 */
	}
	if (need == 0) {
		d->payload_off = off;
		return;
	}
	if (avail_decl < need) {
		short_header(d);
		return;
	}
	if (d->end < off + need) {                      /* capture too short */
		capture_short(d);
		return;
	}
	hdr = need;
	switch (d->l4proto) {
	case 6:
		hdr = (uint32_t)(p[off + 12] >> 4) * 4;
		if (hdr < 20) {
			fail(d, NFQR_DERR_L4HDR);
			return;
		}
		if (avail_decl < hdr) {
			short_header(d);
			return;
		}
		if (d->end < off + hdr) {
			capture_short(d);
			return;
		}
		d->tcp_flags = p[off + 13];
		d->csum_off = off + 16;
		break;
	case 17: case 136:
		d->csum_off = off + 6;
		break;
	case 33:
		hdr = (uint32_t)p[off + 4] * 4;
		if (hdr < 12 || avail_decl < hdr) {
			fail(d, hdr < 12 ? NFQR_DERR_L4HDR : NFQR_DERR_TRUNCATED);
			return;
		}
		if (d->end < off + hdr) {
			capture_short(d);
			return;
		}
		break;
	case 1: case 58:
		d->icmp_type = p[off];
		d->icmp_code = p[off + 1];
		d->csum_off = off + 2;
		break;
	}
	if (d->l4proto == 6 || d->l4proto == 17 || d->l4proto == 136 ||
	    d->l4proto == 132 || d->l4proto == 33) {
		d->has_ports = 1;
		d->sport = rd16(p + off);
		d->dport = rd16(p + off + 2);
	}
	d->l4_present = 1;
	d->payload_off = off + hdr;
}

static void decode_ipv4(const uint8_t *p, size_t caplen, uint32_t pkt_len,
			struct nfqr_decoded *d)
{
	uint32_t ihl, tot, frag;

	if (fixed_header_short(d, caplen, pkt_len, 20))
		return;
	if ((p[0] >> 4) != 4)
		{ fail(d, NFQR_DERR_VERSION); return; }
	ihl = (uint32_t)(p[0] & 0x0f) * 4;
	if (ihl < 20)
		{ fail(d, NFQR_DERR_IHL); return; }
	tot = rd16(p + 2);
	/* GSO superframes may carry 0 or a stale length: trust pkt_len then. */
	if (tot == 0 && pkt_len > 0xffff)
		tot = pkt_len;
	if (tot < ihl || tot > pkt_len)
		{ fail(d, NFQR_DERR_LENGTH); return; }
	d->family = 4;
	memcpy(d->saddr, p + 12, 4);
	memcpy(d->daddr, p + 16, 4);
	if (caplen < ihl)                 /* options cut by the capture */
		{ capture_short(d); return; }
	d->l4proto = p[9];
	d->ip_end = tot;
	d->end = tot < caplen ? tot : (uint32_t)caplen;
	d->l4_off = ihl;                  /* IP options are skipped, not parsed */
	frag = rd16(p + 6);
	if (frag & 0x1fff) {
		d->is_fragment = 1;
		d->status = NFQR_DEC_NONFIRST_FRAG;
		d->payload_off = ihl;
		return;
	}
	if (frag & 0x2000)
		d->is_fragment = 1;
	decode_l4(p, d);
}

static void decode_ipv6(const uint8_t *p, size_t caplen, uint32_t pkt_len,
			struct nfqr_decoded *d)
{
	uint32_t plen, off, len;
	uint8_t nh;
	unsigned n;

	if (fixed_header_short(d, caplen, pkt_len, 40))
		return;
	if ((p[0] >> 4) != 6)
		{ fail(d, NFQR_DERR_VERSION); return; }
	plen = rd16(p + 4);
	/* payload length 0: jumbogram or BIG TCP superframe; the real length wins */
	if (plen == 0 && pkt_len > 40)
		plen = pkt_len - 40;
	if (40 + plen > pkt_len)
		{ fail(d, NFQR_DERR_LENGTH); return; }
	d->family = 6;
	memcpy(d->saddr, p + 8, 16);
	memcpy(d->daddr, p + 24, 16);
	d->ip_end = 40 + plen;
	d->end = d->ip_end < caplen ? d->ip_end : (uint32_t)caplen;
	nh = p[6];
	off = 40;
	for (n = 0;; n++) {
		switch (nh) {
		case 0:   /* hop-by-hop: only right after the fixed header */
			if (off != 40)
				{ fail(d, NFQR_DERR_EXTHDR); return; }
			/* fall through */
		case 43: case 60: case 135: case 139: case 140:
		case 44:
			break;
		default:  /* an upper layer, ESP (50), No Next Header (59) or AH
			   * (51), where nft stops too (IP6_FH_F_AUTH): stop */
			d->l4proto = nh;
			d->l4_off = off;
			if (nh == 50 || nh == 59) {
				d->payload_off = off;
				return;
			}
			decode_l4(p, d);
			return;
		}
		if (n >= NFQR_MAX_EXTHDRS)
			{ fail(d, NFQR_DERR_EXTHDR); return; }
		if (off + 8 > d->ip_end) {     /* every ext header is >= 8 bytes */
			d->l4_off = off;
			{ short_header(d); return; }
		}
		if (off + 8 > d->end)
			{ capture_short(d); return; }
		if (nh == 44) {
			uint16_t fo = rd16(p + off + 2);

			if (fo & 0xfff8) {
				d->is_fragment = 1;
				d->status = NFQR_DEC_NONFIRST_FRAG;
				d->l4proto = p[off];
				d->l4_off = off + 8;
				d->payload_off = off + 8;
				return;
			}
			/* offset 0: a first fragment when more follow, else an
			 * atomic fragment, a whole packet (RFC 6946) */
			if (fo & 1)
				d->is_fragment = 1;
			len = 8;
		} else {
			len = ((uint32_t)p[off + 1] + 1) * 8;
		}
		if (off + len > d->ip_end) {
			d->l4_off = off;
			{ short_header(d); return; }
		}
		if (off + len > d->end)
			{ capture_short(d); return; }
		nh = p[off];
		off += len;
	}
}

void nfqr_decode(const uint8_t *p, size_t caplen, uint32_t pkt_len,
		 uint16_t hw_protocol, struct nfqr_decoded *d)
{
	unsigned version;

	memset(d, 0, sizeof(*d));
	if (pkt_len < caplen)
		pkt_len = (uint32_t)caplen;
	if (fixed_header_short(d, caplen, pkt_len, 1))
		return;
	version = p[0] >> 4;
	if ((hw_protocol == ETH_P_IP_ && version != 4) ||
	    (hw_protocol == ETH_P_IPV6_ && version != 6))
		{ fail(d, NFQR_DERR_VERSION); return; }
	if (version == 4)
		decode_ipv4(p, caplen, pkt_len, d);
	else if (version == 6)
		decode_ipv6(p, caplen, pkt_len, d);
	else
		fail(d, NFQR_DERR_VERSION);
}

const char *nfqr_dec_error_name(enum nfqr_dec_error e)
{
	switch (e) {
	case NFQR_DERR_NONE: return "none";
	case NFQR_DERR_TRUNCATED: return "truncated";
	case NFQR_DERR_VERSION: return "version";
	case NFQR_DERR_IHL: return "ihl";
	case NFQR_DERR_LENGTH: return "length";
	case NFQR_DERR_EXTHDR: return "exthdr";
	case NFQR_DERR_L4HDR: return "l4hdr";
	}
	return "?";
}
