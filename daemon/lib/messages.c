/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Building the messages userspace sends (VERDICT, VERDICT_BATCH, CONFIG)
 * with libmnl.  Sizes are computed first, so a message is either written
 * whole into the buffer or not at all. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <string.h>

#include "internal.h"

#define HDRS	(MNL_ALIGN(sizeof(struct nlmsghdr)) + MNL_ALIGN(sizeof(struct nfgenmsg)))

static struct nlmsghdr *put_header(void *buf, uint32_t seq, uint8_t type, uint16_t flags,
				   uint16_t queue)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = nfq_msg_type(type);
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
	return nlh;
}

size_t msg_verdict_size(uint8_t type, const struct nfqring_verdict *v)
{
	size_t n = HDRS + MNL_ATTR_HDRLEN + MNL_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr));

	if (v->flags & NFQRING_V_MARK)
		n += MNL_ATTR_HDRLEN + 4;
	if (type == NFQNL_MSG_VERDICT && (v->flags & NFQRING_V_CONNMARK))
		n += MNL_ATTR_HDRLEN + (MNL_ATTR_HDRLEN + 4) * (v->connmark_mask ? 2 : 1);
	if (type == NFQNL_MSG_VERDICT && (v->flags & NFQRING_V_PAYLOAD))
		n += MNL_ATTR_HDRLEN + MNL_ALIGN(v->payload_len);
	return n;
}

size_t msg_verdict(void *buf, size_t cap, uint32_t seq, uint8_t type,
		   const struct nfqring_verdict *v)
{
	struct nfqnl_msg_verdict_hdr vh = { htonl(v->verdict), htonl(v->id) };
	size_t need = msg_verdict_size(type, v);
	struct nlmsghdr *nlh;

	if (need > cap)
		return 0;
	nlh = put_header(buf, seq, type, 0, v->queue);
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	if (v->flags & NFQRING_V_MARK)
		mnl_attr_put_u32(nlh, NFQA_MARK, htonl(v->mark));
	if (type == NFQNL_MSG_VERDICT && (v->flags & NFQRING_V_CONNMARK)) {
		struct nlattr *ct = mnl_attr_nest_start(nlh, NFQA_CT);

		/* ctnetlink: new = (old & ~MASK) ^ MARK, so MARK within MASK */
		if (v->connmark_mask) {
			mnl_attr_put_u32(nlh, CTA_MARK, htonl(v->connmark & v->connmark_mask));
			mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(v->connmark_mask));
		} else {
			mnl_attr_put_u32(nlh, CTA_MARK, htonl(v->connmark));
		}
		mnl_attr_nest_end(nlh, ct);
	}
	if (type == NFQNL_MSG_VERDICT && (v->flags & NFQRING_V_PAYLOAD))
		mnl_attr_put(nlh, NFQA_PAYLOAD, v->payload_len, v->payload);
	return nlh->nlmsg_len;
}

size_t msg_config(void *buf, size_t cap, uint32_t seq, uint32_t nlflags,
		  const struct config_req *c)
{
	struct nlmsghdr *nlh;

	if (cap < 128)	/* the largest config message is 64 bytes */
		return 0;
	nlh = put_header(buf, seq, NFQNL_MSG_CONFIG, (uint16_t)nlflags, c->queue);
	if (c->cmd != NFQNL_CFG_CMD_NONE) {
		struct nfqnl_msg_config_cmd cmd = { .command = c->cmd, .pf = htons(AF_UNSPEC) };

		mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	}
	if (c->params) {
		struct nfqnl_msg_config_params par = {
			.copy_range = htonl(c->range), .copy_mode = c->mode,
		};

		mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(par), &par);
	}
	if (c->maxlen)
		mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(c->qmaxlen));
	if (c->flags) {
		mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(c->fmask));
		mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(c->fvalue));
	}
	return nlh->nlmsg_len;
}

void msg_describe(const void *msg, size_t len, struct nfqring_tx_error *e)
{
	const struct nlmsghdr *nlh = msg;
	const struct nlattr *a;

	e->queue = 0;
	e->id = 0;
	e->msg_type = 0;
	if (!mnl_nlmsg_ok(nlh, (int)len) ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return;
	e->msg_type = nlh->nlmsg_type & 0xff;
	e->queue = ntohs(((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->res_id);
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFQA_VERDICT_HDR &&
		    mnl_attr_get_payload_len(a) >= sizeof(struct nfqnl_msg_verdict_hdr)) {
			struct nfqnl_msg_verdict_hdr vh;

			memcpy(&vh, mnl_attr_get_payload(a), sizeof(vh));
			e->id = ntohl(vh.id);
		}
	}
}
