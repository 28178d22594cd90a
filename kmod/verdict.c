// SPDX-License-Identifier: GPL-2.0
/*
 * What userspace sends: NFQNL_MSG_CONFIG, NFQNL_MSG_VERDICT and
 * NFQNL_MSG_VERDICT_BATCH, with nfnetlink_queue's semantics and errors.
 *
 * Everything here works on kernel memory: the ring transport copies a
 * message out of the TX ring or the write() buffer before it gets here, and
 * the netlink transport hands over an skb.  A verdict's dequeue, payload
 * change and reinjection happen inside one RCU read section.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/if_vlan.h>
#include <linux/kmod.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/skbuff.h>
#include <net/netlink.h>
#include <net/netfilter/nf_conntrack.h>

#include "internal.h"

const struct nla_policy nfqr_verdict_policy[NFQA_MAX + 1] = {
	[NFQA_VERDICT_HDR]	= { .len = sizeof(struct nfqnl_msg_verdict_hdr) },
	[NFQA_MARK]		= { .type = NLA_U32 },
	[NFQA_PAYLOAD]		= { .type = NLA_UNSPEC },
	[NFQA_CT]		= { .type = NLA_UNSPEC },
	[NFQA_EXP]		= { .type = NLA_UNSPEC },
	[NFQA_VLAN]		= { .type = NLA_NESTED },
	[NFQA_PRIORITY]		= { .type = NLA_U32 },
};

const struct nla_policy nfqr_batch_policy[NFQA_MAX + 1] = {
	[NFQA_VERDICT_HDR]	= { .len = sizeof(struct nfqnl_msg_verdict_hdr) },
	[NFQA_MARK]		= { .type = NLA_U32 },
	[NFQA_PRIORITY]		= { .type = NLA_U32 },
};

const struct nla_policy nfqr_cfg_policy[NFQA_CFG_MAX + 1] = {
	[NFQA_CFG_CMD]		= { .len = sizeof(struct nfqnl_msg_config_cmd) },
	[NFQA_CFG_PARAMS]	= { .len = sizeof(struct nfqnl_msg_config_params) },
	[NFQA_CFG_QUEUE_MAXLEN]	= { .type = NLA_U32 },
	[NFQA_CFG_MASK]		= { .type = NLA_U32 },
	[NFQA_CFG_FLAGS]	= { .type = NLA_U32 },
};

static const struct nla_policy nfqr_vlan_policy[NFQA_VLAN_MAX + 1] = {
	[NFQA_VLAN_TCI]		= { .type = NLA_U16 },
	[NFQA_VLAN_PROTO]	= { .type = NLA_U16 },
};

/*
 * Under rcu_read_lock(): the instance a verdict message is for, if @peer
 * owns it, and the verdict header.  NF_STOLEN and anything above
 * NF_MAX_VERDICT are not userspace's to give.
 */
static struct nfqr_instance *nfqr_verdict_target(struct net *net,
						 struct nfqr_peer *peer,
						 u16 queue_num,
						 const struct nlattr * const nfqa[],
						 u32 *verdict, u32 *id)
{
	struct nfqr_instance *inst = nfqr_instance_lookup(net, queue_num);
	struct nfqnl_msg_verdict_hdr *vhdr;

	if (!inst)
		return ERR_PTR(-ENODEV);
	if (!nfqr_peer_owns(inst, peer))
		return ERR_PTR(-EPERM);
	if (!nfqa[NFQA_VERDICT_HDR])
		return ERR_PTR(-EINVAL);
	vhdr = nla_data(nfqa[NFQA_VERDICT_HDR]);
	*verdict = ntohl(vhdr->verdict);
	*id = ntohl(vhdr->id);
	if ((*verdict & NF_VERDICT_MASK) > NF_MAX_VERDICT ||
	    (*verdict & NF_VERDICT_MASK) == NF_STOLEN)
		return ERR_PTR(-EINVAL);
	return inst;
}

static void nfqr_set_mark_priority(struct sk_buff *skb,
				   const struct nlattr * const nfqa[])
{
	if (nfqa[NFQA_MARK])
		skb->mark = ntohl(nla_get_be32(nfqa[NFQA_MARK]));
	if (nfqa[NFQA_PRIORITY])
		skb->priority = ntohl(nla_get_be32(nfqa[NFQA_PRIORITY]));
}

/* Replaces the packet's bytes: may shrink to the transport header or grow
 * to 64 KiB; the checksum is userspace's business afterwards.
 */
static int nfqr_mangle(const void *data, u32 len, struct nf_queue_entry *e)
{
	int diff = (int)len - (int)e->skb->len;
	struct sk_buff *nskb;

	if (diff < 0) {
		if (len < skb_transport_offset(e->skb))
			return -EINVAL;
		if (pskb_trim(e->skb, len))
			return -ENOMEM;
	} else if (diff > 0) {
		if (len > 0xffff)
			return -EINVAL;
		if (diff > skb_tailroom(e->skb)) {
			nskb = skb_copy_expand(e->skb, skb_headroom(e->skb),
					       diff, GFP_ATOMIC);
			if (!nskb)
				return -ENOMEM;
			kfree_skb(e->skb);
			e->skb = nskb;
		}
		skb_put(e->skb, diff);
	}
	if (skb_ensure_writable(e->skb, len))
		return -ENOMEM;
	skb_copy_to_linear_data(e->skb, data, len);
	e->skb->ip_summed = CHECKSUM_NONE;
	return 0;
}

static int nfqr_parse_bridge(struct nf_queue_entry *entry,
			     const struct nlattr * const nfqa[])
{
	if (nfqa[NFQA_VLAN]) {
		struct nlattr *tb[NFQA_VLAN_MAX + 1];
		int err;

		err = nla_parse_nested_deprecated(tb, NFQA_VLAN_MAX, nfqa[NFQA_VLAN],
						  nfqr_vlan_policy, NULL);
		if (err < 0)
			return err;
		if (!tb[NFQA_VLAN_TCI] || !tb[NFQA_VLAN_PROTO])
			return -EINVAL;
		__vlan_hwaccel_put_tag(entry->skb, nla_get_be16(tb[NFQA_VLAN_PROTO]),
				       ntohs(nla_get_be16(tb[NFQA_VLAN_TCI])));
	}
	if (nfqa[NFQA_L2HDR]) {
		int mac_len = entry->skb->network_header - entry->skb->mac_header;

		if (mac_len != nla_len(nfqa[NFQA_L2HDR]))
			return -EINVAL;
		if (mac_len > 0)
			memcpy(skb_mac_header(entry->skb),
			       nla_data(nfqa[NFQA_L2HDR]), mac_len);
	}
	return 0;
}

/* Caller holds rcu_read_lock(). */
int nfqr_verdict(struct net *net, struct nfqr_peer *peer, u16 queue_num,
		 const struct nlmsghdr *nlh, const struct nlattr * const nfqa[])
{
	const struct nfnl_ct_hook *nfnl_ct = rcu_dereference(nfnl_ct_hook);
	enum ip_conntrack_info ctinfo = 0;
	struct nf_queue_entry *entry;
	struct nfqr_instance *inst;
	struct nf_conn *ct = NULL;
	struct nfqr_pkt *pkt;
	u32 verdict, id;
	int err;

	inst = nfqr_verdict_target(net, peer, queue_num, nfqa, &verdict, &id);
	if (IS_ERR(inst))
		return PTR_ERR(inst);

	spin_lock_bh(&inst->lock);
	pkt = nfqr_pkt_find(inst, id);
	/* A packet still being written cannot have been seen. */
	if (pkt && READ_ONCE(pkt->state) == NFQR_PKT_FILLING)
		pkt = NULL;
	if (pkt)
		nfqr_pkt_unlink(inst, pkt, NFQR_STAT_VERDICTS);
	spin_unlock_bh(&inst->lock);
	if (!pkt)
		return -ENOENT;
	entry = pkt->entry;
	nfqr_pkt_free(inst, pkt);

#if IS_ENABLED(CONFIG_NF_CONNTRACK)
	if (nfqa[NFQA_CT] && nfnl_ct) {
		ct = nf_ct_get(entry->skb, &ctinfo);
		if (ct && nfnl_ct->parse(nfqa[NFQA_CT], ct) < 0)
			ct = NULL;
		if (ct && nfqa[NFQA_EXP])
			nfnl_ct->attach_expect(nfqa[NFQA_EXP], ct, peer->portid,
					       nlmsg_report(nlh));
	}
#endif

	if (entry->state.pf == PF_BRIDGE) {
		err = nfqr_parse_bridge(entry, nfqa);
		if (err < 0) {
			nfqr_reinject(entry, NF_DROP);
			return err;
		}
	}

	if (nfqa[NFQA_PAYLOAD]) {
		u16 len = nla_len(nfqa[NFQA_PAYLOAD]);
		int diff = (int)len - (int)entry->skb->len;

		if (nfqr_mangle(nla_data(nfqa[NFQA_PAYLOAD]), len, entry) < 0)
			verdict = NF_DROP;
		if (ct && diff)
			nfnl_ct->seq_adjust(entry->skb, ct, ctinfo, diff);
	}

	nfqr_set_mark_priority(entry->skb, nfqa);
	nfqr_reinject(entry, verdict);
	return 0;
}

/* Is @id at or before @max, with wrap-around? */
static bool nfqr_id_upto(u32 id, u32 max)
{
	return (s32)(id - max) <= 0;
}

/*
 * Releases every packet up to the given id that userspace can have seen:
 * packets whose message waits in the read() backlog are left queued.
 * Caller holds rcu_read_lock().
 */
int nfqr_verdict_batch(struct net *net, struct nfqr_peer *peer, u16 queue_num,
		       const struct nlattr * const nfqa[])
{
	struct nfqr_pkt *pkt, *next, *last = NULL;
	struct nfqr_instance *inst;
	bool gap = false;
	u32 verdict, maxid;
	LIST_HEAD(batch);
	LIST_HEAD(rest);

	inst = nfqr_verdict_target(net, peer, queue_num, nfqa, &verdict, &maxid);
	if (IS_ERR(inst))
		return PTR_ERR(inst);

	/*
	 * Mostly every packet from the head on: they stay in place and go in
	 * one cut at the end, instead of a list_del() and a list_add() each
	 * (with their list checks, 40 instructions a packet).  After a packet
	 * left queued, those taken move one by one.
	 */
	spin_lock_bh(&inst->lock);
	list_for_each_entry_safe(pkt, next, &inst->pkts, list) {
		if (!nfqr_id_upto(pkt->id, maxid))
			break;
		if (READ_ONCE(pkt->state) != NFQR_PKT_VISIBLE) {
			gap = true;
			continue;
		}
		nfqr_pkt_unhash(inst, pkt, NFQR_STAT_VERDICTS);
		if (gap)
			list_move_tail(&pkt->list, &rest);
		else
			last = pkt;
	}
	if (last)
		list_cut_position(&batch, &inst->pkts, &last->list);
	list_splice_tail(&rest, &batch);
	spin_unlock_bh(&inst->lock);

	if (list_empty(&batch))
		return -ENOENT;

	/*
	 * Each record back to the pool before its packet goes on: one that
	 * comes back to this queue (NF_REPEAT, NF_QUEUE) takes it again.
	 */
	list_for_each_entry_safe(pkt, next, &batch, list) {
		struct nf_queue_entry *entry = pkt->entry;

		nfqr_pkt_free(inst, pkt);
		nfqr_set_mark_priority(entry->skb, nfqa);
		nfqr_reinject(entry, verdict);
	}
	return 0;
}

/*
 * NFQNL_MSG_CONFIG.  Caller holds nfnl_lock(NFNL_SUBSYS_QUEUE), which
 * serialises configuration of both transports as in the stock module.
 */
int nfqr_config(struct net *net, struct nfqr_peer *peer, u16 queue_num,
		const struct nlattr * const nfqa[])
{
	struct nfqnl_msg_config_cmd *cmd = NULL;
	struct nfqr_instance *inst;
	u32 flags = 0, mask = 0;

	if (nfqa[NFQA_CFG_CMD]) {
		cmd = nla_data(nfqa[NFQA_CFG_CMD]);
		/* Obsolete commands without a queue: accepted no-ops. */
		if (cmd->command == NFQNL_CFG_CMD_PF_BIND ||
		    cmd->command == NFQNL_CFG_CMD_PF_UNBIND)
			return 0;
	}

	if (nfqa[NFQA_CFG_FLAGS]) {
		if (!nfqa[NFQA_CFG_MASK])
			return -EINVAL;	/* which flags change? */
		flags = ntohl(nla_get_be32(nfqa[NFQA_CFG_FLAGS]));
		mask = ntohl(nla_get_be32(nfqa[NFQA_CFG_MASK]));
		if (flags >= NFQA_CFG_F_MAX)
			return -EOPNOTSUPP;
#if !IS_ENABLED(CONFIG_NETWORK_SECMARK)
		if (flags & mask & NFQA_CFG_F_SECCTX)
			return -EOPNOTSUPP;
#endif
		if ((flags & mask & NFQA_CFG_F_CONNTRACK) &&
		    !rcu_access_pointer(nfnl_ct_hook)) {
#ifdef CONFIG_MODULES
			nfnl_unlock(NFNL_SUBSYS_QUEUE);
			request_module("ip_conntrack_netlink");
			nfnl_lock(NFNL_SUBSYS_QUEUE);
			if (rcu_access_pointer(nfnl_ct_hook))
				return -EAGAIN;
#endif
			return -EOPNOTSUPP;
		}
	}

	/* The nfnl lock keeps the instance alive past the RCU section. */
	rcu_read_lock();
	inst = nfqr_instance_lookup(net, queue_num);
	if (inst && !nfqr_peer_owns(inst, peer)) {
		rcu_read_unlock();
		return -EPERM;
	}
	rcu_read_unlock();

	if (cmd) {
		switch (cmd->command) {
		case NFQNL_CFG_CMD_BIND:
			if (inst)
				return -EBUSY;
			inst = nfqr_instance_create(net, queue_num, peer);
			if (IS_ERR(inst))
				return PTR_ERR(inst);
			break;
		case NFQNL_CFG_CMD_UNBIND:
			if (!inst)
				return -ENODEV;
			nfqr_instance_destroy(inst);
			return 0;
		default:
			return -EOPNOTSUPP;
		}
	}

	if (!inst)
		return -ENODEV;

	if (nfqa[NFQA_CFG_PARAMS]) {
		struct nfqnl_msg_config_params *params = nla_data(nfqa[NFQA_CFG_PARAMS]);

		/* Like the stock module, an unknown mode is ignored here. */
		nfqr_instance_set_mode(inst, params->copy_mode,
				       ntohl(params->copy_range));
	}
	if (nfqa[NFQA_CFG_QUEUE_MAXLEN]) {
		spin_lock_bh(&inst->lock);
		/* Read without the lock by the publish path (nfqr_instance_full()). */
		WRITE_ONCE(inst->maxlen, ntohl(nla_get_be32(nfqa[NFQA_CFG_QUEUE_MAXLEN])));
		spin_unlock_bh(&inst->lock);
	}
	if (nfqa[NFQA_CFG_FLAGS]) {
		spin_lock_bh(&inst->lock);
		WRITE_ONCE(inst->flags, (inst->flags & ~mask) | (flags & mask));
		spin_unlock_bh(&inst->lock);
	}
	return 0;
}

/* One message of the ring transport, in kernel memory, already bounded. */
static int nfqr_process_one(struct net *net, struct nfqr_peer *peer,
			    const struct nlmsghdr *nlh)
{
	struct nlattr *tb[NFQA_MAX + 1];
	const struct nla_policy *policy;
	const struct nfgenmsg *nfg;
	u16 type = nlh->nlmsg_type;
	int maxtype, err, retry;

	/* As netlink: what is not a request is not acted upon. */
	if (!(nlh->nlmsg_flags & NLM_F_REQUEST))
		return 0;
	if (NFNL_SUBSYS_ID(type) != NFNL_SUBSYS_QUEUE)
		return -EINVAL;
	if (nlmsg_len(nlh) < (int)sizeof(struct nfgenmsg))
		return -EINVAL;

	switch (NFNL_MSG_TYPE(type)) {
	case NFQNL_MSG_VERDICT:
		policy = nfqr_verdict_policy;
		maxtype = NFQA_MAX;
		break;
	case NFQNL_MSG_VERDICT_BATCH:
		policy = nfqr_batch_policy;
		maxtype = NFQA_MAX;
		break;
	case NFQNL_MSG_CONFIG:
		policy = nfqr_cfg_policy;
		maxtype = NFQA_CFG_MAX;
		break;
	case NFQNL_MSG_PACKET:
		return -EOPNOTSUPP;	/* the kernel's to send */
	default:
		return -EINVAL;
	}

	err = nlmsg_parse_deprecated(nlh, sizeof(*nfg), tb, maxtype, policy, NULL);
	if (err < 0)
		return err;
	nfg = nlmsg_data(nlh);

	switch (NFNL_MSG_TYPE(type)) {
	case NFQNL_MSG_VERDICT:
		rcu_read_lock();
		err = nfqr_verdict(net, peer, ntohs(nfg->res_id), nlh,
				   (const struct nlattr * const *)tb);
		rcu_read_unlock();
		return err;
	case NFQNL_MSG_VERDICT_BATCH:
		rcu_read_lock();
		err = nfqr_verdict_batch(net, peer, ntohs(nfg->res_id),
					 (const struct nlattr * const *)tb);
		rcu_read_unlock();
		return err;
	default:
		/* -EAGAIN: nfqr_config() loaded a module (conntrack's netlink
		 * hook) and asks for the message again, as nfnetlink replays
		 * it on the netlink transport.  The second pass finds the hook.
		 */
		for (retry = 0; retry < 2; retry++) {
			nfnl_lock(NFNL_SUBSYS_QUEUE);
			err = nfqr_config(net, peer, ntohs(nfg->res_id),
					  (const struct nlattr * const *)tb);
			nfnl_unlock(NFNL_SUBSYS_QUEUE);
			if (err != -EAGAIN)
				break;
		}
		return err;
	}
}

/*
 * Processes the messages in @buf (kernel memory) in order and stops at the
 * first one that fails.  *@done is the length of the messages processed
 * without error.  @ack (may be NULL) is called, with its result, for each
 * message that asks for an acknowledgment with NLM_F_ACK and for the one
 * that failed.
 */
int nfqr_process_msgs(struct net *net, struct nfqr_peer *peer,
		      const void *buf, size_t len, size_t *done,
		      nfqr_ack_fn ack, void *ctx)
{
	size_t off = 0;
	int err = 0;

	while (off < len) {
		const struct nlmsghdr *nlh = buf + off;
		size_t rest = len - off;
		u32 msglen;

		if (rest < NLMSG_HDRLEN) {
			err = -EINVAL;
			break;
		}
		msglen = nlh->nlmsg_len;
		if (msglen < NLMSG_HDRLEN || msglen > rest) {
			err = -EINVAL;
			break;
		}
		err = nfqr_process_one(net, peer, nlh);
		/* The callback decides on errors without NLM_F_ACK. */
		if (ack && ((nlh->nlmsg_flags & NLM_F_ACK) || err))
			ack(ctx, nlh, err);
		if (err)
			break;
		off += min_t(size_t, NLMSG_ALIGN(msglen), rest);
		cond_resched();
	}
	*done = off;
	return err;
}
