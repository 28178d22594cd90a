/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fuzz oracle for lib/packet.c: libnfqring's first PACKET parser, kept
 * as it was (a table of attributes filled by msg_attrs' callback, then
 * read type by type).  The library now parses in one pass, which costs
 * half the instructions; fuzz_libmsg checks that both give the same
 * result, field for field, on every input.  Only the fuzzer builds this.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <string.h>

#include "internal.h"
#include "packet_ref.h"

/* Minimum payload length of each attribute we read; 0: any. */
static const uint16_t ref_min_len[NFQA_MAX + 1] = {
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

struct attrs {
	const struct nlattr *tb[NFQA_MAX + 1];
};

/* msg_attrs() bounds each attribute by nlmsg_len, itself by the frame */
static int ref_attr_cb(const struct nlattr *a, uint16_t type, uint16_t plen, void *data)
{
	struct attrs *at = data;

	if (type > NFQA_MAX)
		return 1;		/* newer kernel: ignore */
	if (plen < ref_min_len[type])
		return -1;
	at->tb[type] = a;
	return 1;
}

static uint32_t ref_be32_at(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, mnl_attr_get_payload(a), 4);	/* may be unaligned in odd frames */
	return ntohl(v);
}

static void ref_parse_vlan(const struct nlattr *nest, struct nfqring_packet *pkt)
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
#define U32(attr, field, bit) do {					\
		if (at.tb[attr]) {					\
			pkt->field = ref_be32_at(at.tb[attr]);		\
			pkt->present |= (bit);				\
		}							\
	} while (0)

int ref_packet_parse(const void *msg, size_t len, struct nfqring_packet *pkt)
{
	const struct nlmsghdr *nlh = msg;
	const struct nfgenmsg *nfg;
	struct nfqnl_msg_packet_hdr ph;
	struct attrs at;
	uint32_t frame = pkt->frame_;

	uint32_t mlen = msg_len_in(msg, len);

	memset(&at, 0, sizeof(at));
	memset(pkt, 0, sizeof(*pkt));
	pkt->frame_ = frame;
	if (!mlen || nlh->nlmsg_type != nfq_msg_type(NFQNL_MSG_PACKET) ||
	    mlen < MNL_NLMSG_HDRLEN + sizeof(*nfg))
		return -EBADMSG;
	nfg = mnl_nlmsg_get_payload(nlh);
	pkt->family = nfg->nfgen_family;
	pkt->queue = ntohs(nfg->res_id);
	if (msg_attrs(msg, mlen, MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg)), ref_attr_cb, &at) != 1)
		return -EBADMSG;
	if (!at.tb[NFQA_PACKET_HDR])
		return -EBADMSG;
	memcpy(&ph, mnl_attr_get_payload(at.tb[NFQA_PACKET_HDR]), sizeof(ph));
	pkt->id = ntohl(ph.packet_id);
	pkt->hw_protocol = ntohs(ph.hw_protocol);
	pkt->hook = ph.hook;

	U32(NFQA_MARK, mark, NFQRING_PKT_MARK);
	U32(NFQA_IFINDEX_INDEV, indev, NFQRING_PKT_INDEV);
	U32(NFQA_IFINDEX_OUTDEV, outdev, NFQRING_PKT_OUTDEV);
	U32(NFQA_IFINDEX_PHYSINDEV, physindev, NFQRING_PKT_PHYSINDEV);
	U32(NFQA_IFINDEX_PHYSOUTDEV, physoutdev, NFQRING_PKT_PHYSOUTDEV);
	U32(NFQA_SKB_INFO, skb_info, NFQRING_PKT_SKB_INFO);
	U32(NFQA_CT_INFO, ct_info, NFQRING_PKT_CT_INFO);
	U32(NFQA_UID, uid, NFQRING_PKT_UID);
	U32(NFQA_GID, gid, NFQRING_PKT_GID);
	U32(NFQA_PRIORITY, priority, NFQRING_PKT_PRIORITY);

	if (at.tb[NFQA_PAYLOAD]) {
		pkt->payload = mnl_attr_get_payload(at.tb[NFQA_PAYLOAD]);
		pkt->payload_len = mnl_attr_get_payload_len(at.tb[NFQA_PAYLOAD]);
	}
	pkt->cap_len = pkt->payload_len;
	U32(NFQA_CAP_LEN, cap_len, NFQRING_PKT_CAP_LEN);
	if (at.tb[NFQA_CT]) {
		pkt->ct = mnl_attr_get_payload(at.tb[NFQA_CT]);
		pkt->ct_len = mnl_attr_get_payload_len(at.tb[NFQA_CT]);
		pkt->present |= NFQRING_PKT_CT;
	}
	if (at.tb[NFQA_EXP]) {
		pkt->exp = mnl_attr_get_payload(at.tb[NFQA_EXP]);
		pkt->exp_len = mnl_attr_get_payload_len(at.tb[NFQA_EXP]);
		pkt->present |= NFQRING_PKT_EXP;
	}
	if (at.tb[NFQA_SECCTX]) {
		pkt->secctx = mnl_attr_get_payload(at.tb[NFQA_SECCTX]);
		pkt->secctx_len = mnl_attr_get_payload_len(at.tb[NFQA_SECCTX]);
		pkt->present |= NFQRING_PKT_SECCTX;
	}
	if (at.tb[NFQA_L2HDR]) {
		pkt->l2hdr = mnl_attr_get_payload(at.tb[NFQA_L2HDR]);
		pkt->l2hdr_len = mnl_attr_get_payload_len(at.tb[NFQA_L2HDR]);
		pkt->present |= NFQRING_PKT_L2HDR;
	}
	if (at.tb[NFQA_HWADDR]) {
		struct nfqnl_msg_packet_hw hw;

		memcpy(&hw, mnl_attr_get_payload(at.tb[NFQA_HWADDR]), sizeof(hw));
		pkt->hwaddr_len = (uint8_t)(ntohs(hw.hw_addrlen) > 8 ? 8 : ntohs(hw.hw_addrlen));
		memcpy(pkt->hwaddr, hw.hw_addr, pkt->hwaddr_len);
		pkt->present |= NFQRING_PKT_HWADDR;
	}
	if (at.tb[NFQA_TIMESTAMP]) {
		struct nfqnl_msg_packet_timestamp ts;

		memcpy(&ts, mnl_attr_get_payload(at.tb[NFQA_TIMESTAMP]), sizeof(ts));
		pkt->ts_sec = be64toh(ts.sec);
		pkt->ts_usec = be64toh(ts.usec);
		pkt->present |= NFQRING_PKT_TIMESTAMP;
	}
	if (at.tb[NFQA_VLAN])
		ref_parse_vlan(at.tb[NFQA_VLAN], pkt);
	return 0;
}
