/* SPDX-License-Identifier: GPL-2.0-only */
/* Field keys of a decoded packet, with nft's presence rules: a field that the
 * packet does not have (ip saddr of an IPv6 packet, ports of ICMP, ct mark
 * without conntrack) makes every predicate on it fail, negated or not. */
#include "decode.h"
#include "ruleset.h"

bool nfqr_field_key(uint8_t field, const struct nfqr_view *v, struct nfqr_key *k)
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
		if (!d->has_ports)
			return false;
		*k = nfqr_key_u32(field == NFQR_F_SPORT ? d->sport : d->dport);
		return true;
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
	};
	return field < NFQR_F_COUNT ? names[field] : "?";
}
