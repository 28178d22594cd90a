/* SPDX-License-Identifier: GPL-2.0-only */
/* Payload rewrite and checksum fix-up against known vectors (computed with an
 * independent implementation) and the reference checksum in pkt.c. */
#include <linux/netfilter/nfnetlink_queue.h>
#include <string.h>

#include "checksum.h"
#include "decode.h"
#include "pkt.h"
#include "rewrite.h"
#include "tap.h"

static uint8_t buf[2048], l4[1024];

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static enum nfqr_rw_result fill(uint8_t *p, size_t n, uint32_t info, const char *pat,
				struct nfqr_decoded *d)
{
	struct nfqr_rw_ctx c = { p, d, (uint32_t)n, (uint32_t)n, info, false };

	nfqr_decode(p, n, (uint32_t)n, 0, d);
	return nfqr_payload_fill(&c, (const uint8_t *)pat, (uint32_t)strlen(pat));
}

static size_t udp4(const char *payload, size_t plen)
{
	size_t n = pkt_ipv4(buf, "192.0.2.1", "198.51.100.2", 17,
			    l4, l4_udp(l4, 1234, 10010, payload, plen));

	ref_l4_csum_set(buf, n, 20, 17, 26);
	return n;
}

static void test_rfc1624(void)
{
	/* RFC 1624 section 4 example: HC = 0xDD2F, m 0x5555 -> m' 0x3285 gives 0x0000 */
	is_int(nfqr_csum_update(0xdd2f, 0x5555, 0x3285), 0x0000, "RFC 1624 eqn. 3 example");
	is_int(nfqr_csum_fold(0x1fffe), 0xffff, "fold end-around carry");
}

static void test_udp4_vectors(void)
{
	struct nfqr_decoded d;
	size_t n = udp4("hello world!", 12);

	is_int(rd16(buf + 26), 0x55b3, "udp4 known checksum before");
	is_int(fill(buf, n, 0, "h", &d), NFQR_RW_DONE, "fill done");
	ok(memcmp(buf + 28, "hhhhhhhhhhhh", 12) == 0, "payload filled");
	is_int(rd16(buf + 26), 0x7530, "udp4 incremental checksum = known vector");
	is_int(fill(buf, n, 0, "h", &d), NFQR_RW_UNCHANGED, "second fill changes nothing");

	/* partial checksum (CHECKSUM_PARTIAL): field holds the pseudo-header sum */
	n = udp4("hello world!", 12);
	{
		uint32_t s = 0;
		uint16_t ph;

		s = (uint32_t)nfqr_csum_add(0, buf + 12, 8) + 17 + 20;
		ph = nfqr_csum_fold(s);
		buf[26] = (uint8_t)(ph >> 8); buf[27] = (uint8_t)ph;
	}
	is_int(fill(buf, n, NFQA_SKB_CSUMNOTREADY, "h", &d), NFQR_RW_DONE, "fill partial");
	is_int(rd16(buf + 26), 0x7530, "partial checksum recomputed in full = known vector");

	/* a bad checksum stays bad, by the same amount */
	n = udp4("hello world!", 12);
	buf[27] ^= 0x5a;
	{
		uint16_t resid = ref_l4_csum(buf, n, 20, 17);

		fill(buf, n, 0, "h", &d);
		ok(!ref_l4_csum_ok(buf, n, 20, 17), "bad checksum stays bad");
		is_int(ref_l4_csum(buf, n, 20, 17), resid, "error residue preserved");
	}

	/* UDP checksum 0 (none) stays 0 */
	n = udp4("hello world!", 12);
	buf[26] = buf[27] = 0;
	fill(buf, n, 0, "h", &d);
	is_int(rd16(buf + 26), 0, "ipv4 udp checksum 0 stays 0");
}

/* A payload whose correct UDP checksum computes to 0 must carry 0xffff. */
static void test_udp_zero_result(void)
{
	struct nfqr_decoded d;
	char pat[3] = { 0 };
	size_t n = 0;
	unsigned v;
	int found = 0;

	for (v = 0; v < 65536 && !found; v++) {
		pat[0] = (char)(v >> 8 | 1); pat[1] = (char)(v | 1);
		n = udp4("hello world!", 12);
		for (int i = 0; i < 12; i++)
			buf[28 + i] = (uint8_t)pat[i % 2];
		buf[26] = buf[27] = 0;
		if (ref_l4_csum(buf, n, 20, 17) == 0)
			found = 1;
	}
	ok(found, "found a payload whose checksum computes to 0");
	n = udp4("hello world!", 12);
	fill(buf, n, 0, pat, &d);
	is_int(rd16(buf + 26), 0xffff, "incremental: computed 0 becomes 0xffff");
	ok(ref_l4_csum_ok(buf, n, 20, 17), "and verifies");
	n = udp4("hello world!", 12);
	fill(buf, n, NFQA_SKB_CSUMNOTREADY, pat, &d);
	is_int(rd16(buf + 26), 0xffff, "full: computed 0 becomes 0xffff");
}

static void test_tcp6_replace(void)
{
	struct nfqr_decoded d;
	const char *req = "GET /admin HTTP/1.0\r\n";
	size_t n = pkt_ipv6(buf, "2001:db8::1", "2001:db8::2", 6, NULL, 0,
			    l4, l4_tcp(l4, 40000, 80, 0x18, req, strlen(req)));
	struct nfqr_rw_ctx c = { buf, &d, (uint32_t)n, (uint32_t)n, 0, false };

	ref_l4_csum_set(buf, n, 40, 6, 56);
	is_int(rd16(buf + 56), 0xef07, "tcp6 known checksum before");
	nfqr_decode(buf, n, (uint32_t)n, 0, &d);
	is_int(nfqr_payload_replace(&c, (const uint8_t *)"admin", (const uint8_t *)"xxxxx", 5),
	       NFQR_RW_DONE, "replace done");
	ok(memcmp(buf + 60, "GET /xxxxx HTTP", 15) == 0, "payload replaced");
	is_int(rd16(buf + 56), 0xcbdb, "tcp6 incremental checksum = known vector");
	/* odd offset replacement */
	is_int(nfqr_payload_replace(&c, (const uint8_t *)"T /", (const uint8_t *)"T_/", 3),
	       NFQR_RW_DONE, "replace at odd offset");
	ok(ref_l4_csum_ok(buf, n, 40, 6), "odd offset checksum verifies");
	is_int(nfqr_payload_replace(&c, (const uint8_t *)"nope", (const uint8_t *)"yes!", 4),
	       NFQR_RW_UNCHANGED, "no occurrence, no change");
}

static void test_odd_lengths_and_icmp(void)
{
	struct nfqr_decoded d;
	int bad = 0;

	for (size_t plen = 1; plen < 40; plen++) {
		char p[64];
		size_t n;

		for (size_t i = 0; i < plen; i++)
			p[i] = (char)('a' + i);
		n = udp4(p, plen);
		fill(buf, n, 0, "XYZ", &d);
		bad += !ref_l4_csum_ok(buf, n, 20, 17);
		n = pkt_ipv6(buf, "fe80::1", "ff02::1", 17, NULL, 0, l4, l4_udp(l4, 9, 9, p, plen));
		ref_l4_csum_set(buf, n, 40, 17, 46);
		fill(buf, n, 0, "Q", &d);
		bad += !ref_l4_csum_ok(buf, n, 40, 17);
		n = pkt_ipv4(buf, "10.0.0.1", "10.0.0.2", 1, l4, l4_icmp(l4, 8, 0, p, plen));
		ref_l4_csum_set(buf, n, 20, 1, 22);
		fill(buf, n, 0, "pq", &d);
		bad += !ref_l4_csum_ok(buf, n, 20, 1);
		n = pkt_ipv6(buf, "::1", "::2", 58, NULL, 0, l4, l4_icmp(l4, 128, 0, p, plen));
		ref_l4_csum_set(buf, n, 40, 58, 42);
		fill(buf, n, NFQA_SKB_CSUMNOTREADY, "pq", &d);
		bad += !ref_l4_csum_ok(buf, n, 40, 58);
	}
	is_int(bad, 0, "odd/even payload lengths, udp4/udp6/icmp/icmpv6, incremental and full");
}

static void test_refusals(void)
{
	struct nfqr_decoded d;
	size_t n = udp4("hello world!", 12);
	struct nfqr_rw_ctx c = { buf, &d, (uint32_t)n - 4, (uint32_t)n, 0, false };
	uint8_t before[64];

	memcpy(before, buf, n);
	nfqr_decode(buf, n - 4, (uint32_t)n, 0, &d);
	is_int(nfqr_payload_fill(&c, (const uint8_t *)"h", 1), NFQR_RW_REFUSED_TRUNC,
	       "truncated capture refused");
	c.caplen = (uint32_t)n;
	nfqr_decode(buf, n, (uint32_t)n, 0, &d);
	c.skb_info = NFQA_SKB_GSO;
	is_int(nfqr_payload_fill(&c, (const uint8_t *)"h", 1), NFQR_RW_REFUSED_GSO, "GSO refused");
	ok(memcmp(before, buf, n) == 0, "refused rewrites leave the packet alone");
	buf[6] = 0x20;                 /* first fragment */
	c.skb_info = 0;
	nfqr_decode(buf, n, (uint32_t)n, 0, &d);
	is_int(nfqr_payload_fill(&c, (const uint8_t *)"h", 1), NFQR_RW_REFUSED_PROTO,
	       "fragment refused");
	n = pkt_ipv4(buf, "10.0.0.1", "10.0.0.2", 47, l4, 12);   /* GRE */
	c.caplen = c.pkt_len = (uint32_t)n;
	nfqr_decode(buf, n, (uint32_t)n, 0, &d);
	is_int(nfqr_payload_fill(&c, (const uint8_t *)"h", 1), NFQR_RW_REFUSED_PROTO,
	       "protocol without known checksum refused");
}

int main(void)
{
	test_rfc1624();
	test_udp4_vectors();
	test_udp_zero_result();
	test_tcp6_replace();
	test_odd_lengths_and_icmp();
	test_refusals();
	return tap_done();
}
