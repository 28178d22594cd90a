/* SPDX-License-Identifier: GPL-2.0-only */
#include "pkt.h"

#include <arpa/inet.h>
#include <string.h>

static uint32_t sum16(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	while (len > 1) {
		s += ((uint32_t)p[0] << 8) + p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fin(uint32_t s)
{
	while (s > 0xffff)
		s = (s >> 16) + (s & 0xffff);
	return (uint16_t)s;
}

size_t pkt_ipv4(uint8_t *buf, const char *src, const char *dst, uint8_t proto,
		const uint8_t *l4, size_t l4len)
{
	uint16_t tot = (uint16_t)(20 + l4len), c;

	memset(buf, 0, 20);
	buf[0] = 0x45;
	buf[2] = (uint8_t)(tot >> 8);
	buf[3] = (uint8_t)tot;
	buf[8] = 64;
	buf[9] = proto;
	inet_pton(AF_INET, src, buf + 12);
	inet_pton(AF_INET, dst, buf + 16);
	c = (uint16_t)~fin(sum16(buf, 20));
	buf[10] = (uint8_t)(c >> 8);
	buf[11] = (uint8_t)c;
	if (l4len)
		memcpy(buf + 20, l4, l4len);
	return tot;
}

size_t pkt_ipv6(uint8_t *buf, const char *src, const char *dst, uint8_t nh,
		const uint8_t *ext, size_t extlen, const uint8_t *l4, size_t l4len)
{
	size_t plen = extlen + l4len;

	memset(buf, 0, 40);
	buf[0] = 0x60;
	buf[4] = (uint8_t)(plen >> 8);
	buf[5] = (uint8_t)plen;
	buf[6] = nh;
	buf[7] = 64;
	inet_pton(AF_INET6, src, buf + 8);
	inet_pton(AF_INET6, dst, buf + 24);
	if (extlen)
		memcpy(buf + 40, ext, extlen);
	if (l4len)
		memcpy(buf + 40 + extlen, l4, l4len);
	return 40 + plen;
}

size_t pkt_ext_chain(uint8_t *h, size_t ext, bool atomic, uint8_t proto, uint8_t *first)
{
	size_t n = 0;

	*first = ext ? 60 : proto;
	if (atomic) {
		memset(h, 0, 8);
		h[0] = *first;
		h[7] = 0x21;                  /* id; offset 0, M 0 */
		*first = 44;
		n = 8;
	}
	if (ext) {
		size_t r = ext - 2;

		memset(h + n, 0, ext);
		h[n] = proto;
		h[n + 1] = (uint8_t)(ext / 8 - 1);
		n += 2;
		while (r) {                   /* PadN of up to 257 bytes, Pad1 for one */
			size_t c = r == 1 ? 1 : r > 257 ? (r - 257 == 1 ? 256 : 257) : r;

			if (c > 1) {
				h[n] = 1;
				h[n + 1] = (uint8_t)(c - 2);
			}
			n += c;
			r -= c;
		}
	}
	return n;
}

size_t l4_udp(uint8_t *out, uint16_t sport, uint16_t dport, const void *payload, size_t plen)
{
	uint16_t len = (uint16_t)(8 + plen);

	out[0] = (uint8_t)(sport >> 8); out[1] = (uint8_t)sport;
	out[2] = (uint8_t)(dport >> 8); out[3] = (uint8_t)dport;
	out[4] = (uint8_t)(len >> 8);   out[5] = (uint8_t)len;
	out[6] = out[7] = 0;
	if (plen)
		memcpy(out + 8, payload, plen);
	return len;
}

size_t l4_tcp(uint8_t *out, uint16_t sport, uint16_t dport, uint8_t flags,
	      const void *payload, size_t plen)
{
	memset(out, 0, 20);
	out[0] = (uint8_t)(sport >> 8); out[1] = (uint8_t)sport;
	out[2] = (uint8_t)(dport >> 8); out[3] = (uint8_t)dport;
	out[7] = 1;                   /* seq 1 */
	out[12] = 5 << 4;
	out[13] = flags;
	out[14] = 0xff; out[15] = 0xff;
	if (plen)
		memcpy(out + 20, payload, plen);
	return 20 + plen;
}

size_t l4_icmp(uint8_t *out, uint8_t type, uint8_t code, const void *payload, size_t plen)
{
	memset(out, 0, 8);
	out[0] = type;
	out[1] = code;
	out[5] = 1;
	if (plen)
		memcpy(out + 8, payload, plen);
	return 8 + plen;
}

static uint32_t pseudo(const uint8_t *pkt, size_t len, size_t l4off, uint8_t proto)
{
	uint32_t l4len = (uint32_t)(len - l4off);

	if ((pkt[0] >> 4) == 4)
		return proto == 1 ? 0 : sum16(pkt + 12, 8) + proto + l4len;
	return sum16(pkt + 8, 32) + (l4len >> 16) + (l4len & 0xffff) + proto;
}

uint16_t ref_l4_csum(const uint8_t *pkt, size_t len, size_t l4off, uint8_t proto)
{
	return (uint16_t)~fin(pseudo(pkt, len, l4off, proto) + sum16(pkt + l4off, len - l4off));
}

void ref_l4_csum_set(uint8_t *pkt, size_t len, size_t l4off, uint8_t proto, size_t csum_off)
{
	uint16_t c;

	pkt[csum_off] = pkt[csum_off + 1] = 0;
	c = ref_l4_csum(pkt, len, l4off, proto);
	if (c == 0 && proto == 17)
		c = 0xffff;
	pkt[csum_off] = (uint8_t)(c >> 8);
	pkt[csum_off + 1] = (uint8_t)c;
}

bool ref_l4_csum_ok(const uint8_t *pkt, size_t len, size_t l4off, uint8_t proto)
{
	return ref_l4_csum(pkt, len, l4off, proto) == 0;
}
