/* SPDX-License-Identifier: GPL-2.0-only */
/* Packet decoder: well-formed packets, fragments, IPv6 extension headers and
 * malformed input (every truncation of valid packets must be handled). */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "pkt.h"
#include "tap.h"

static uint8_t buf[2048], l4[1024];

static void dec(const uint8_t *p, size_t len, struct nfqr_decoded *d)
{
	/* decode from a heap copy of exactly len bytes so ASan sees overreads */
	uint8_t *c = malloc(len ? len : 1);

	memcpy(c, p, len);
	nfqr_decode(c, len, (uint32_t)len, 0, d);
	free(c);
}

static void test_ipv4_tcp(void)
{
	struct nfqr_decoded d;
	size_t n = pkt_ipv4(buf, "10.1.2.3", "192.0.2.9", 6,
			    l4, l4_tcp(l4, 40000, 443, 0x12, "abc", 3));

	dec(buf, n, &d);
	is_int(d.status, NFQR_DEC_OK, "ipv4 tcp decodes");
	is_int(d.family, 4, "family 4");
	is_int(d.l4proto, 6, "l4proto tcp");
	is_int(d.sport, 40000, "sport");
	is_int(d.dport, 443, "dport");
	is_int(d.tcp_flags, 0x12, "tcp flags");
	is_int(d.payload_off, 40, "payload after 20+20");
	is_int(d.end - d.payload_off, 3, "payload length");
	is_int(d.csum_off, 36, "tcp checksum offset");
	ok(d.saddr[0] == 10 && d.saddr[3] == 3 && d.daddr[0] == 192, "addresses");
}

static void test_ipv4_options_and_padding(void)
{
	struct nfqr_decoded d;
	size_t n = l4_udp(l4, 53, 5353, "xy", 2);

	/* IHL 6: one 4-byte option word, skipped */
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x46;
	buf[3] = (uint8_t)(24 + n);
	buf[9] = 17;
	buf[20] = 1; buf[21] = 1; buf[22] = 1; buf[23] = 0;   /* NOPs + EOL */
	memcpy(buf + 24, l4, n);
	dec(buf, 24 + n, &d);
	is_int(d.status, NFQR_DEC_OK, "ip options are skipped");
	is_int(d.l4_off, 24, "l4 after options");
	is_int(d.dport, 5353, "udp dport behind options");
	/* trailing padding beyond the IP total length is not payload */
	dec(buf, 24 + n + 6, &d);
	is_int(d.end, 24 + n, "ethernet padding ignored");
}

static void test_ipv4_malformed(void)
{
	struct nfqr_decoded d;
	size_t n = pkt_ipv4(buf, "10.0.0.1", "10.0.0.2", 6,
			    l4, l4_tcp(l4, 1, 2, 0x02, "", 0));
	uint8_t save;

	dec(buf, 19, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_TRUNCATED, "19 bytes: truncated");
	save = buf[0];
	buf[0] = 0x44;
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_IHL, "IHL 4 is bad");
	buf[0] = 0x4f;                 /* IHL 15 = 60 bytes > total length 40 */
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_LENGTH, "IHL beyond total length");
	buf[0] = save;
	buf[2] = 0x10;                 /* total length 4096 > packet */
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_LENGTH, "total length beyond packet");
	buf[2] = 0; buf[3] = 10;       /* total length < IHL */
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_LENGTH, "total length below IHL");
	buf[3] = (uint8_t)n;
	buf[32] = 0x30;                /* TCP data offset 3 */
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_L4HDR, "tcp doff 3");
	buf[32] = 0xf0;                /* TCP data offset 15 > segment */
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_TRUNCATED, "tcp doff beyond packet");
	buf[32] = 0x50;
	buf[0] = 0x55;
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_VERSION, "version 5");
	buf[0] = 0x45;
	nfqr_decode(buf, n, (uint32_t)n, 0x86DD, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_VERSION, "hw_protocol disagrees");
	nfqr_decode(buf, 0, 0, 0, &d);
	ok(d.status == NFQR_DEC_MALFORMED, "empty buffer");
}

static void test_ipv4_fragments(void)
{
	struct nfqr_decoded d;
	size_t n = pkt_ipv4(buf, "10.0.0.1", "10.0.0.2", 17,
			    l4, l4_udp(l4, 1000, 2000, "data", 4));

	buf[6] = 0x20;                 /* MF, offset 0: first fragment with header */
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_OK && d.is_fragment && d.dport == 2000, "first fragment decodes L4");
	buf[6] = 0x00; buf[7] = 0x10;  /* offset 16*8 */
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_NONFIRST_FRAG && !d.l4_present, "non-first fragment");
	ok(d.dport == 0 && d.l4proto == 17, "non-first fragment: no ports, proto kept");
	/* first fragment carrying only 4 bytes of the UDP header */
	buf[6] = 0x20; buf[7] = 0;
	buf[2] = 0; buf[3] = 24;
	dec(buf, 24, &d);
	is_int(d.status, NFQR_DEC_FRAG_NO_L4, "first fragment without L4 header (RFC 7112)");
	/* same, unfragmented: plain truncation */
	buf[6] = 0;
	dec(buf, 24, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_TRUNCATED, "short L4 unfragmented");
}

static size_t ext_hdr(uint8_t *p, uint8_t next, unsigned len8)
{
	memset(p, 0, len8 * 8);
	p[0] = next;
	p[1] = (uint8_t)(len8 - 1);
	return len8 * 8;
}

static void test_ipv6(void)
{
	struct nfqr_decoded d;
	uint8_t ext[512];
	size_t e = 0, n, l;

	l = l4_udp(l4, 5000, 53, "q", 1);
	n = pkt_ipv6(buf, "2001:db8::1", "2001:db8::2", 17, NULL, 0, l4, l);
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_OK && d.family == 6 && d.dport == 53, "ipv6 udp");
	ok(d.saddr[0] == 0x20 && d.saddr[15] == 1, "ipv6 saddr");

	/* hop-by-hop, dstopts, routing, AH, then TCP: the walk stops at AH */
	e = 0;
	e += ext_hdr(ext + e, 60, 1);               /* HBH -> DSTOPTS */
	e += ext_hdr(ext + e, 43, 2);               /* DSTOPTS (16 bytes) -> ROUTING */
	e += ext_hdr(ext + e, 51, 1);               /* ROUTING -> AH */
	memset(ext + e, 0, 24); ext[e] = 6; ext[e + 1] = 4; e += 24;  /* AH: (4+2)*4 = 24 */
	l = l4_tcp(l4, 1, 22, 0x02, "", 0);
	n = pkt_ipv6(buf, "::1", "::2", 0, ext, e, l4, l);
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_OK && d.l4proto == 51 && !d.dport,
	   "ext header chain up to AH: AH is the transport protocol, as nft sees it");
	is_int(d.l4_off, 40 + e - 24, "l4 at AH, after the chain before it");

	/* ESP: stop, opaque */
	n = pkt_ipv6(buf, "::1", "::2", 50, NULL, 0, l4, 16);
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_OK && d.l4proto == 50 && !d.l4_present, "ESP stops the walk");

	/* HBH not first */
	e = ext_hdr(ext, 0, 1);
	e += ext_hdr(ext + e, 17, 1);
	n = pkt_ipv6(buf, "::1", "::2", 60, ext, e, l4, 8);
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_EXTHDR, "hop-by-hop after dstopts");

	/* too many ext headers */
	e = 0;
	for (int i = 0; i < NFQR_MAX_EXTHDRS + 1; i++)
		e += ext_hdr(ext + e, i == NFQR_MAX_EXTHDRS ? 17 : 60, 1);
	l = l4_udp(l4, 1, 2, "", 0);
	n = pkt_ipv6(buf, "::1", "::2", 60, ext, e, l4, l);
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_EXTHDR, "ext header limit");
	e -= 8;                        /* exactly the limit is fine */
	ext[e - 8] = 17;
	n = pkt_ipv6(buf, "::1", "::2", 60, ext, e, l4, l);
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_OK && d.dport == 2, "ext header count at limit");

	/* ext header length running past the packet */
	e = ext_hdr(ext, 17, 1);
	ext[1] = 200;
	n = pkt_ipv6(buf, "::1", "::2", 60, ext, e, l4, l);
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_TRUNCATED, "ext header beyond packet");

	/* fragment header: first fragment, then a later one */
	memset(ext, 0, 8);
	ext[0] = 17; ext[3] = 1;       /* offset 0, M=1 */
	l = l4_udp(l4, 7, 8, "zz", 2);
	n = pkt_ipv6(buf, "::1", "::2", 44, ext, 8, l4, l);
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_OK && d.is_fragment && d.dport == 8, "ipv6 first fragment");
	ext[2] = 0x01; ext[3] = 0x00;  /* offset 32 */
	n = pkt_ipv6(buf, "::1", "::2", 44, ext, 8, l4, l);
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_NONFIRST_FRAG && d.l4proto == 17, "ipv6 non-first fragment");
	/* first fragment whose chain ends before the L4 header */
	ext[2] = 0; ext[3] = 1; ext[0] = 60;
	ext_hdr(ext + 8, 6, 1);
	n = pkt_ipv6(buf, "::1", "::2", 44, ext, 16, NULL, 0);
	dec(buf, n, &d);
	is_int(d.status, NFQR_DEC_FRAG_NO_L4, "ipv6 first fragment without L4 (RFC 7112)");
	/* payload length beyond the packet */
	n = pkt_ipv6(buf, "::1", "::2", 17, NULL, 0, l4, l);
	buf[4] = 0x10;
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_MALFORMED && d.error == NFQR_DERR_LENGTH, "ipv6 payload length too big");
}

static void test_icmp(void)
{
	struct nfqr_decoded d;
	size_t n = pkt_ipv4(buf, "10.0.0.1", "10.0.0.2", 1, l4, l4_icmp(l4, 8, 0, "ping", 4));

	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_OK && d.icmp_type == 8 && d.payload_off == 28, "icmp echo");
	n = pkt_ipv6(buf, "::1", "::2", 58, NULL, 0, l4, l4_icmp(l4, 135, 0, "", 0));
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_OK && d.icmp_type == 135, "icmpv6 neighbor solicit");
	n = pkt_ipv4(buf, "10.0.0.1", "10.0.0.2", 1, l4, 4);
	dec(buf, n, &d);
	ok(d.status == NFQR_DEC_MALFORMED, "icmp header of 4 bytes");
}

/* Every prefix of valid packets, and random bytes: no crash, no overread
 * (ASan build), and a status in range. */
static void test_truncations_and_noise(void)
{
	struct nfqr_decoded d;
	uint8_t ext[64];
	size_t lens[4], i, k;
	static uint8_t pk[4][512];
	int bad = 0;

	lens[0] = pkt_ipv4(pk[0], "1.2.3.4", "5.6.7.8", 6, l4, l4_tcp(l4, 1, 2, 0, "abcdef", 6));
	lens[1] = pkt_ipv4(pk[1], "1.2.3.4", "5.6.7.8", 17, l4, l4_udp(l4, 1, 2, "abcdef", 6));
	ext_hdr(ext, 6, 2);
	lens[2] = pkt_ipv6(pk[2], "::1", "::2", 60, ext, 16, l4, l4_tcp(l4, 1, 2, 0, "x", 1));
	lens[3] = pkt_ipv6(pk[3], "::1", "::2", 58, NULL, 0, l4, l4_icmp(l4, 128, 0, "x", 1));
	for (k = 0; k < 4; k++)
		for (i = 0; i < lens[k]; i++) {
			dec(pk[k], i, &d);
			if (d.status == NFQR_DEC_OK && d.end > i)
				bad++;
			/* capture truncated but the real length known: never OK past caplen */
			nfqr_decode(pk[k], i, (uint32_t)lens[k], 0, &d);
			if (d.end > i)
				bad++;
		}
	is_int(bad, 0, "every truncation stays within the capture");
	srand(7);
	for (i = 0; i < 20000; i++) {
		size_t len = (size_t)rand() % 120;

		for (k = 0; k < len; k++)
			buf[k] = (uint8_t)rand();
		if (len)
			buf[0] = (uint8_t)((rand() & 1 ? 0x40 : 0x60) | (buf[0] & 0x0f));
		dec(buf, len, &d);
		if (d.status > NFQR_DEC_FRAG_NO_L4 || d.end > len || d.payload_off > len + 0u ||
		    (d.status == NFQR_DEC_OK && d.payload_off > d.end))
			bad++;
	}
	is_int(bad, 0, "random packets decode to consistent results");
}

int main(void)
{
	test_ipv4_tcp();
	test_ipv4_options_and_padding();
	test_ipv4_malformed();
	test_ipv4_fragments();
	test_ipv6();
	test_icmp();
	test_truncations_and_noise();
	return tap_done();
}
