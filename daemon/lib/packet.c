/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing one NFQNL_MSG_PACKET message into struct nfqring_packet.  Every
 * read is bounded by the length the caller vouches for (nm_len, already
 * bounded by the frame, or the read() count): nlmsg_len by it
 * (msg_len_in), each attribute by nlmsg_len (the walk below). */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <string.h>

#include "internal.h"

/* Minimum payload length of each attribute we read; 0: any. */
static const uint16_t min_len[NFQA_MAX + 1] = {
	[NFQA_PACKET_HDR] = sizeof(struct nfqnl_msg_packet_hdr),
	[NFQA_MARK] = 4,
	[NFQA_TIMESTAMP] = sizeof(struct nfqnl_msg_packet_timestamp),
	[NFQA_IFINDEX_INDEV] = 4,
	[NFQA_IFINDEX_OUTDEV] = 4,
	[NFQA_IFINDEX_PHYSINDEV] = 4,
	[NFQA_IFINDEX_PHYSOUTDEV] = 4,
	[NFQA_HWADDR] = sizeof(struct nfqnl_msg_packet_hw),
	[NFQA_CT_INFO] = 4,
	[NFQA_CAP_LEN] = 4,
	[NFQA_SKB_INFO] = 4,
	[NFQA_UID] = 4,
	[NFQA_GID] = 4,
	[NFQA_PRIORITY] = 4,
};

/* The payload of the attribute at a, whose header the walk's bounds vouch for */
static inline const void *payload_of(const struct nlattr *a)
{
	return (const unsigned char *)a + NLA_HDRLEN;
}

static uint32_t be32_at(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, payload_of(a), 4);	/* may be unaligned in odd frames */
	return ntohl(v);
}

static void parse_vlan(const struct nlattr *nest, struct nfqring_packet *pkt)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		uint16_t v;

		if (mnl_attr_get_payload_len(a) < 2)
			continue;
		memcpy(&v, mnl_attr_get_payload(a), 2);
		if (mnl_attr_get_type(a) == NFQA_VLAN_PROTO)
			pkt->vlan_proto = ntohs(v);
		else if (mnl_attr_get_type(a) == NFQA_VLAN_TCI)
			pkt->vlan_tci = ntohs(v);
	}
	pkt->present |= NFQRING_PKT_VLAN;
}

/* A u32 attribute: store it and mark it present. */
#define U32(field, bit) do {						\
		pkt->field = be32_at(a);				\
		pkt->present |= (bit);					\
	} while (0)

/* A byte range: point at it and mark it present (bit 0: nothing to mark). */
#define SPAN(field, len_field, bit) do {				\
		pkt->field = payload_of(a);				\
		pkt->len_field = plen;					\
		pkt->present |= (bit);					\
	} while (0)

/*
 * One pass over the attributes, each stored as it comes (the last of a
 * repeated type wins).  This runs for every packet: a table of attributes
 * filled by msg_attrs' callback, then read type by type, cost 338
 * instructions for a three-attribute message where this costs 211
 * (callgrind).  fuzz/packet_ref.c keeps that parser as the fuzzer's
 * oracle.  The walk bounds every attribute by nlmsg_len, as msg_attrs
 * does; a known attribute shorter than its minimum makes the message
 * malformed.
 */
int packet_parse(const void *msg, size_t len, struct nfqring_packet *pkt)
{
	const unsigned char *m = msg;
	const struct nfgenmsg *nfg;
	const struct nlattr *a, *vlan = NULL;
	struct nfqnl_msg_packet_hdr ph;
	uint32_t frame = pkt->frame_, mlen = msg_len_in(msg, len);
	size_t off = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg));
	bool have_hdr = false;

	/* an assignment, not memset(): the compiler stores it in place */
	*pkt = (struct nfqring_packet){ .frame_ = frame };
	if (!mlen || ((const struct nlmsghdr *)msg)->nlmsg_type != nfq_msg_type(NFQNL_MSG_PACKET) ||
	    mlen < MNL_NLMSG_HDRLEN + sizeof(*nfg))
		return -EBADMSG;
	nfg = (const void *)(m + MNL_NLMSG_HDRLEN);
	pkt->family = nfg->nfgen_family;
	pkt->queue = ntohs(nfg->res_id);
	while (off + sizeof(struct nlattr) <= mlen) {
		struct nlattr h;
		uint16_t type, plen;

		memcpy(&h, m + off, sizeof(h));
		if (h.nla_len < sizeof(h) || h.nla_len > mlen - off)
			goto bad;
		a = (const void *)(m + off);
		off += MNL_ALIGN(h.nla_len);
		type = h.nla_type & NLA_TYPE_MASK;
		plen = (uint16_t)(h.nla_len - sizeof(h));
		if (type > NFQA_MAX)
			continue;	/* newer kernel: ignore */
		if (plen < min_len[type])
			goto bad;
		switch (type) {
		case NFQA_PACKET_HDR:
			memcpy(&ph, payload_of(a), sizeof(ph));
			have_hdr = true;
			break;
		case NFQA_MARK: U32(mark, NFQRING_PKT_MARK); break;
		case NFQA_IFINDEX_INDEV: U32(indev, NFQRING_PKT_INDEV); break;
		case NFQA_IFINDEX_OUTDEV: U32(outdev, NFQRING_PKT_OUTDEV); break;
		case NFQA_IFINDEX_PHYSINDEV: U32(physindev, NFQRING_PKT_PHYSINDEV); break;
		case NFQA_IFINDEX_PHYSOUTDEV: U32(physoutdev, NFQRING_PKT_PHYSOUTDEV); break;
		case NFQA_SKB_INFO: U32(skb_info, NFQRING_PKT_SKB_INFO); break;
		case NFQA_CT_INFO: U32(ct_info, NFQRING_PKT_CT_INFO); break;
		case NFQA_UID: U32(uid, NFQRING_PKT_UID); break;
		case NFQA_GID: U32(gid, NFQRING_PKT_GID); break;
		case NFQA_PRIORITY: U32(priority, NFQRING_PKT_PRIORITY); break;
		case NFQA_CAP_LEN: U32(cap_len, NFQRING_PKT_CAP_LEN); break;
		case NFQA_PAYLOAD: SPAN(payload, payload_len, 0); break;
		case NFQA_CT: SPAN(ct, ct_len, NFQRING_PKT_CT); break;
		case NFQA_EXP: SPAN(exp, exp_len, NFQRING_PKT_EXP); break;
		case NFQA_SECCTX: SPAN(secctx, secctx_len, NFQRING_PKT_SECCTX); break;
		case NFQA_L2HDR: SPAN(l2hdr, l2hdr_len, NFQRING_PKT_L2HDR); break;
		case NFQA_HWADDR: {
			struct nfqnl_msg_packet_hw hw;
			uint16_t n;

			memcpy(&hw, payload_of(a), sizeof(hw));
			n = ntohs(hw.hw_addrlen) > 8 ? 8 : ntohs(hw.hw_addrlen);
			memset(pkt->hwaddr, 0, sizeof(pkt->hwaddr));
			memcpy(pkt->hwaddr, hw.hw_addr, n);
			pkt->hwaddr_len = (uint8_t)n;
			pkt->present |= NFQRING_PKT_HWADDR;
			break;
		}
		case NFQA_TIMESTAMP: {
			struct nfqnl_msg_packet_timestamp ts;

			memcpy(&ts, payload_of(a), sizeof(ts));
			pkt->ts_sec = be64toh(ts.sec);
			pkt->ts_usec = be64toh(ts.usec);
			pkt->present |= NFQRING_PKT_TIMESTAMP;
			break;
		}
		case NFQA_VLAN:
			vlan = a;	/* the last one, parsed once the walk is done */
			break;
		default:
			break;
		}
	}
	if (!have_hdr)
		goto bad;
	pkt->id = ntohl(ph.packet_id);
	pkt->hw_protocol = ntohs(ph.hw_protocol);
	pkt->hook = ph.hook;
	if (!(pkt->present & NFQRING_PKT_CAP_LEN))
		pkt->cap_len = pkt->payload_len;
	if (vlan)
		parse_vlan(vlan, pkt);
	return 0;
bad:
	/* nothing of a malformed message but where it came from */
	memset(pkt, 0, sizeof(*pkt));
	pkt->frame_ = frame;
	pkt->family = nfg->nfgen_family;
	pkt->queue = ntohs(nfg->res_id);
	return -EBADMSG;
}
