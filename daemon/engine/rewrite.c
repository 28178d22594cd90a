/* SPDX-License-Identifier: GPL-2.0-only */
#include "rewrite.h"

#include <linux/netfilter/nfnetlink_queue.h>
#include <stdbool.h>
#include <string.h>

#include "checksum.h"

static enum nfqr_rw_result precheck(const struct nfqr_rw_ctx *c)
{
	const struct nfqr_decoded *d = c->d;

	if (c->skb_info & NFQA_SKB_GSO)
		return NFQR_RW_REFUSED_GSO;
	if (c->pkt_len > c->caplen || d->end < d->ip_end)
		return NFQR_RW_REFUSED_TRUNC;
	if (d->status != NFQR_DEC_OK || d->is_fragment || !d->l4_present ||
	    d->csum_off == 0 || d->l4proto == 136)    /* UDP-Lite: partial coverage */
		return NFQR_RW_REFUSED_PROTO;
	return NFQR_RW_DONE;
}

static uint64_t pseudo_sum(const uint8_t *pkt, const struct nfqr_decoded *d)
{
	uint32_t l4len = d->ip_end - d->l4_off;
	uint64_t s = 0;

	if (d->l4proto == 1)              /* ICMPv4 has no pseudo-header */
		return 0;
	if (d->family == 4) {
		s = nfqr_csum_add(s, pkt + 12, 8);
		s += d->l4proto;
		s += l4len;
	} else {
		s = nfqr_csum_add(s, pkt + 8, 32);
		s += l4len >> 16;
		s += l4len & 0xffff;
		s += d->l4proto;
	}
	return s;
}

uint16_t nfqr_l4_csum_full(const uint8_t *pkt, const struct nfqr_decoded *d)
{
	uint32_t co = d->csum_off, l4 = d->l4_off;
	uint64_t s = pseudo_sum(pkt, d);
	uint16_t r;

	/* the checksum field counts as zero */
	s = nfqr_csum_add(s, pkt + l4, co - l4);
	s = nfqr_csum_add(s, pkt + co + 2, d->ip_end - co - 2);
	r = (uint16_t)~nfqr_csum_fold(s);
	if (r == 0 && d->l4proto == 17)   /* 0 means "no checksum" for UDP */
		r = 0xffff;
	return r;
}

/* Byte range [a, b) about to change, widened to 16-bit words of the packet
 * (L4 always starts at an even offset, so packet parity is checksum parity). */
struct region { uint32_t a, b; };

static struct region word_region(const struct nfqr_decoded *d, uint32_t off, uint32_t len)
{
	struct region r = { off & ~1u, (off + len + 1) & ~1u };

	if (r.b > d->ip_end)
		r.b = d->ip_end;
	return r;
}

static uint16_t region_sum(const uint8_t *pkt, struct region r)
{
	return nfqr_csum_fold(nfqr_csum_add(0, pkt + r.a, r.b - r.a));
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* Write new bytes at off and keep the checksum consistent with NFQA_SKB_INFO. */
static void patch(const struct nfqr_rw_ctx *c, uint32_t off, const uint8_t *src,
		  uint32_t len, bool fill, uint32_t fill_len)
{
	const struct nfqr_decoded *d = c->d;
	uint8_t *pkt = c->pkt;
	struct region r = word_region(d, off, len);
	uint16_t hc = rd16(pkt + d->csum_off), old_sum, nc;
	uint32_t i;

	old_sum = region_sum(pkt, r);
	if (fill) {
		for (i = 0; i < len; i++)
			pkt[off + i] = src[i % fill_len];
	} else {
		memcpy(pkt + off, src, len);
	}
	if (c->skb_info & NFQA_SKB_CSUMNOTREADY)
		return;                   /* recomputed in full by the caller */
	if (hc == 0 && d->l4proto == 17)
		return;                   /* UDP without checksum stays without */
	nc = nfqr_csum_update(hc, old_sum, region_sum(pkt, r));
	if (nc == 0 && d->l4proto == 17)
		nc = 0xffff;
	wr16(pkt + d->csum_off, nc);
}

/* CHECKSUM_PARTIAL: the field held only the pseudo-header sum, and nfqnl's
 * mangle turns the skb into CHECKSUM_NONE, so compute the real checksum. */
static void finish(const struct nfqr_rw_ctx *c)
{
	if (c->skb_info & NFQA_SKB_CSUMNOTREADY)
		wr16(c->pkt + c->d->csum_off, nfqr_l4_csum_full(c->pkt, c->d));
}

enum nfqr_rw_result nfqr_payload_fill(const struct nfqr_rw_ctx *c,
				      const uint8_t *pat, uint32_t len)
{
	const struct nfqr_decoded *d = c->d;
	enum nfqr_rw_result r = precheck(c);
	uint32_t off, n, i;

	if (r != NFQR_RW_DONE)
		return r;
	off = d->payload_off;
	n = d->ip_end - off;
	for (i = 0; i < n; i++)
		if (c->pkt[off + i] != pat[i % len])
			break;
	if (i == n || len == 0)
		return NFQR_RW_UNCHANGED;
	if (c->dry_run)
		return NFQR_RW_DONE;
	patch(c, off, pat, n, true, len);
	finish(c);
	return NFQR_RW_DONE;
}

enum nfqr_rw_result nfqr_payload_replace(const struct nfqr_rw_ctx *c,
					 const uint8_t *from, const uint8_t *to,
					 uint32_t len)
{
	const struct nfqr_decoded *d = c->d;
	enum nfqr_rw_result r = precheck(c);
	uint32_t i, end;
	bool changed = false;

	if (r != NFQR_RW_DONE)
		return r;
	if (len == 0 || memcmp(from, to, len) == 0)
		return NFQR_RW_UNCHANGED;
	end = d->ip_end;
	for (i = d->payload_off; i + len <= end && len <= end;) {
		if (memcmp(c->pkt + i, from, len) == 0) {
			if (c->dry_run)
				return NFQR_RW_DONE;
			patch(c, i, to, len, false, 0);
			changed = true;
			i += len;
		} else {
			i++;
		}
	}
	if (!changed)
		return NFQR_RW_UNCHANGED;
	finish(c);
	return NFQR_RW_DONE;
}
