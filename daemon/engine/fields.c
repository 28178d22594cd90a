/* SPDX-License-Identifier: GPL-2.0-only */
/* Field keys of a decoded packet, with nft's presence rules: a field that the
 * packet does not have (ip saddr of an IPv6 packet, ports of ICMP, ct mark
 * without conntrack) makes every predicate on it fail, negated or not. */
#include <linux/netfilter/nf_conntrack_tuple_common.h>   /* ctinfo, CTINFO2DIR */

#include "decode.h"
#include "ruleset.h"

/*
 * nft's ct state (nft_ct.c): the state bit of the packet's ctinfo, reply or
 * not (NF_CT_STATE_BIT); a packet without a conntrack entry is invalid.
 * Untracked packets have their own bit in nft, but nfnetlink_queue sends
 * neither NFQA_CT nor NFQA_CT_INFO for them (nf_ct_get() gives no entry):
 * here they are packets without a connection, so the parser refuses
 * `untracked`.  NFQA_CT without a usable NFQA_CT_INFO (no kernel sends
 * that) leaves the state unknown: the field is absent.
 */
static bool ct_state(const struct nfqr_view *v, struct nfqr_key *k)
{
	const struct nfqr_pkt_meta *m = v->meta;

	if (!v->ct_present) {
		*k = nfqr_key_u32(NF_CT_STATE_INVALID_BIT);
		return true;
	}
	if (!m->ct_info_present || m->ct_info >= IP_CT_NUMBER)
		return false;
	*k = nfqr_key_u32(NF_CT_STATE_BIT((unsigned)m->ct_info));
	return true;
}

/* Raw payload: the bits [off, off + len) after `base`, big-endian, within
 * the IP datagram as captured (nft: within the skb, whose length is the
 * datagram's).  At most 5 bytes are read for 32 bits at any bit offset. */
static bool raw_bits(const struct nfqr_view *v, uint32_t base, uint32_t arg, struct nfqr_key *k)
{
	uint32_t off = base * 8 + nfqr_raw_off(arg), len = nfqr_raw_len(arg);
	uint32_t first = off / 8, end = (off + len + 7) / 8;     /* bytes [first, end) */
	uint64_t w;

	if (len == 0 || end > v->d->end)
		return false;
	w = nfqr_load_be(v->pkt + first, end - first);
	w >>= end * 8 - (off + len);
	*k = nfqr_key_u32((uint32_t)(w & ((1ULL << len) - 1)));
	return true;
}

bool nfqr_field_key(uint8_t field, uint32_t arg, const struct nfqr_view *v, struct nfqr_key *k)
{
	const struct nfqr_decoded *d = v->d;

	switch (field) {
	case NFQR_F_NFPROTO:
		*k = nfqr_key_u32(d->family == 4 ? 2 : 10);
		return true;
	case NFQR_F_L4PROTO:
		*k = nfqr_key_u32(d->l4proto);
		return true;
	case NFQR_F_IP_SADDR:
	case NFQR_F_IP_DADDR:
		if (d->family != 4)
			return false;
		*k = nfqr_key_from_bytes(field == NFQR_F_IP_SADDR ? d->saddr : d->daddr, 4);
		return true;
	case NFQR_F_IP6_SADDR:
	case NFQR_F_IP6_DADDR:
		if (d->family != 6)
			return false;
		*k = nfqr_key_from_bytes(field == NFQR_F_IP6_SADDR ? d->saddr : d->daddr, 16);
		return true;
	case NFQR_F_SPORT:
	case NFQR_F_DPORT:
		if (d->has_ports) {
			*k = nfqr_key_u32(field == NFQR_F_SPORT ? d->sport : d->dport);
			return true;
		}
		/* nft's th sport/dport are @th,0,16 and @th,16,16: the first bytes
		 * of any transport header (ICMP's type and code, GRE's protocol);
		 * `tcp dport` and `udp dport` add their protocol */
		return d->status == NFQR_DEC_OK &&
		       raw_bits(v, d->l4_off, nfqr_raw_arg(field == NFQR_F_SPORT ? 0 : 16, 16), k);
	case NFQR_F_TCP_FLAGS:
		if (d->l4proto != 6 || !d->l4_present)
			return false;
		*k = nfqr_key_u32(d->tcp_flags);
		return true;
	case NFQR_F_ICMP_TYPE:
	case NFQR_F_ICMP_CODE:
		if (d->family != 4 || d->l4proto != 1 || !d->l4_present)
			return false;
		*k = nfqr_key_u32(field == NFQR_F_ICMP_TYPE ? d->icmp_type : d->icmp_code);
		return true;
	case NFQR_F_ICMP6_TYPE:
	case NFQR_F_ICMP6_CODE:
		if (d->family != 6 || d->l4proto != 58 || !d->l4_present)
			return false;
		*k = nfqr_key_u32(field == NFQR_F_ICMP6_TYPE ? d->icmp_type : d->icmp_code);
		return true;
	case NFQR_F_IIFNAME:
		if (!v->meta->iif)
			return false;
		*k = nfqr_key_u32(v->iif_class);
		return true;
	case NFQR_F_OIFNAME:
		if (!v->meta->oif)
			return false;
		*k = nfqr_key_u32(v->oif_class);
		return true;
	case NFQR_F_MARK:
		*k = nfqr_key_u32(v->mark);
		return true;
	case NFQR_F_CT_MARK:
		if (!v->ct_present)
			return false;
		*k = nfqr_key_u32(v->ct_mark);
		return true;
	case NFQR_F_LENGTH:
		*k = nfqr_key_u32(v->meta->pkt_len);
		return true;
	case NFQR_F_CT_STATE:
		return ct_state(v, k);
	case NFQR_F_CT_DIRECTION:          /* nft: CTINFO2DIR, no conntrack fails */
		if (!v->ct_present || !v->meta->ct_info_present || v->meta->ct_info >= IP_CT_NUMBER)
			return false;
		*k = nfqr_key_u32(CTINFO2DIR((unsigned)v->meta->ct_info));
		return true;
	case NFQR_F_SKUID:                 /* nft: no local socket (forwarded) fails */
		if (!v->meta->uid_present)
			return false;
		*k = nfqr_key_u32(v->meta->uid);
		return true;
	case NFQR_F_SKGID:
		if (!v->meta->gid_present)
			return false;
		*k = nfqr_key_u32(v->meta->gid);
		return true;
	case NFQR_F_RAW_NH:
		return raw_bits(v, 0, arg, k);
	case NFQR_F_RAW_TH:                /* l4_off: after IPv4 options, IPv6 ext headers */
		if (d->status == NFQR_DEC_NONFIRST_FRAG)
			return false;      /* nft: no transport header in a later fragment */
		return raw_bits(v, d->l4_off, arg, k);
	}
	return false;
}

bool nfqr_pred_match(const struct nfqr_pred *p, struct nfqr_key k)
{
	bool in = false;

	if (p->field != NFQR_F_IP6_SADDR && p->field != NFQR_F_IP6_DADDR)
		k.lo &= p->mask;
	for (uint32_t i = 0; i < p->n_ranges && !in; i++)
		in = nfqr_key_cmp(p->ranges[i].lo, k) <= 0 && nfqr_key_cmp(k, p->ranges[i].hi) <= 0;
	return in != p->negated;
}

const char *nfqr_field_name(uint8_t field)
{
	static const char *const names[NFQR_F_COUNT] = {
		[NFQR_F_NFPROTO] = "meta nfproto", [NFQR_F_L4PROTO] = "meta l4proto",
		[NFQR_F_IP_SADDR] = "ip saddr", [NFQR_F_IP_DADDR] = "ip daddr",
		[NFQR_F_IP6_SADDR] = "ip6 saddr", [NFQR_F_IP6_DADDR] = "ip6 daddr",
		[NFQR_F_SPORT] = "th sport", [NFQR_F_DPORT] = "th dport",
		[NFQR_F_TCP_FLAGS] = "tcp flags",
		[NFQR_F_ICMP_TYPE] = "icmp type", [NFQR_F_ICMP_CODE] = "icmp code",
		[NFQR_F_ICMP6_TYPE] = "icmpv6 type", [NFQR_F_ICMP6_CODE] = "icmpv6 code",
		[NFQR_F_IIFNAME] = "iifname", [NFQR_F_OIFNAME] = "oifname",
		[NFQR_F_MARK] = "meta mark", [NFQR_F_CT_MARK] = "ct mark",
		[NFQR_F_LENGTH] = "meta length",
		[NFQR_F_CT_STATE] = "ct state", [NFQR_F_CT_DIRECTION] = "ct direction",
		[NFQR_F_SKUID] = "meta skuid", [NFQR_F_SKGID] = "meta skgid",
		[NFQR_F_RAW_NH] = "@nh", [NFQR_F_RAW_TH] = "@th",
	};
	return field < NFQR_F_COUNT ? names[field] : "?";
}

bool nfqr_rule_allows_slot(const struct nfqr_rule *rule, uint32_t slot)
{
	struct nfqr_key nfproto = nfqr_key_u32(slot < 256 ? 2 : 10);
	struct nfqr_key l4proto = nfqr_key_u32(slot & 255);

	for (uint32_t i = 0; i < rule->n_preds; i++) {
		const struct nfqr_pred *p = &rule->preds[i];

		if ((p->field == NFQR_F_NFPROTO && !nfqr_pred_match(p, nfproto)) ||
		    (p->field == NFQR_F_L4PROTO && !nfqr_pred_match(p, l4proto)))
			return false;
	}
	return true;
}
