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

/* ---- reading messages: every length bounded by the bytes that are there ---- */

uint32_t msg_len_in(const void *msg, size_t len)
{
	struct nlmsghdr h;

	/* not mnl_nlmsg_ok(): it casts nlmsg_len to int, so 2^31 and more pass */
	if (len < sizeof(h))
		return 0;
	memcpy(&h, msg, sizeof(h));
	if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len)
		return 0;
	return h.nlmsg_len;
}

int msg_attrs(const void *msg, uint32_t mlen, size_t off,
	      int (*cb)(const struct nlattr *a, uint16_t type, uint16_t plen, void *data),
	      void *data)
{
	const unsigned char *m = msg;

	/* not mnl_attr_for_each(): it walks to the aligned end, up to three
	 * bytes past nlmsg_len and past the buffer */
	while (off + sizeof(struct nlattr) <= mlen) {
		struct nlattr a;
		int r;

		memcpy(&a, m + off, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > mlen - off)
			return -1;
		r = cb((const struct nlattr *)(const void *)(m + off), a.nla_type & NLA_TYPE_MASK,
		       (uint16_t)(a.nla_len - sizeof(a)), data);
		if (r <= 0)
			return r;
		off += MNL_ALIGN(a.nla_len);
	}
	return 1;
}

static int describe_attr(const struct nlattr *a, uint16_t type, uint16_t plen, void *data)
{
	struct nfqring_tx_error *e = data;
	struct nfqnl_msg_verdict_hdr vh;

	if (type == NFQA_VERDICT_HDR && plen >= sizeof(vh)) {
		memcpy(&vh, mnl_attr_get_payload(a), sizeof(vh));
		e->id = ntohl(vh.id);
	}
	return 1;
}

void msg_describe(const void *msg, size_t len, struct nfqring_tx_error *e)
{
	uint32_t mlen = msg_len_in(msg, len);
	struct nlmsghdr h;
	struct nfgenmsg g;

	e->queue = 0;
	e->id = 0;
	e->msg_type = 0;
	if (mlen < MNL_NLMSG_HDRLEN + sizeof(g))
		return;
	memcpy(&h, msg, sizeof(h));
	memcpy(&g, (const unsigned char *)msg + MNL_NLMSG_HDRLEN, sizeof(g));
	e->msg_type = h.nlmsg_type & 0xff;
	e->queue = ntohs(g.res_id);
	msg_attrs(msg, mlen, MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(g)), describe_attr, e);
}
