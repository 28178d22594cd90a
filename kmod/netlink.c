// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink transport: nfqring registers the NFNL_SUBSYS_QUEUE nfnetlink
 * subsystem and serves NETLINK_NETFILTER sockets exactly as nfnetlink_queue
 * does, so that every existing NFQUEUE program keeps working.  Only one
 * module can hold the subsystem, so a successful registration is also what
 * proves that the stock module is not loaded.
 *
 * A queue bound over netlink is owned by the socket's portid.  Its packets
 * are written by the same writer as the rings' (msg.c) into an ordinary
 * skb, and its verdicts go through the same code (verdict.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/error-injection.h>
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <net/netlink.h>

#include "internal.h"

/* Where the packet id sits in a PACKET message: right after the headers. */
#define NFQR_PACKET_HDR_OFFSET \
	(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)) + NLA_HDRLEN)

/* Its own function so that fail_function can make it fail (the debug VM). */
static noinline struct sk_buff *nfqr_nl_skb_alloc(unsigned int size)
{
	return alloc_skb(size, GFP_ATOMIC);
}

ALLOW_ERROR_INJECTION(nfqr_nl_skb_alloc, NULL);

static int nfqr_nl_enqueue(struct nfqr_instance *inst, struct nf_queue_entry *entry)
{
	struct nfqnl_msg_packet_hdr *pmsg;
	struct nfqr_msg_plan plan;
	bool fail_open = false;
	struct nfqr_pkt *pkt;
	struct sk_buff *skb;
	struct nlattr *nla;
	u32 hlen = 0;
	int err;

	err = nfqr_msg_plan(inst, entry, &plan);
	if (err) {
		nfqr_stat_inc(inst->stats, NFQR_STAT_ALLOC_FAILED);
		return err;
	}
	/*
	 * As the stock module: the packet's head is copied into the message,
	 * its page fragments are referenced (skb_zerocopy), so large payloads
	 * are not copied here.
	 */
	if (plan.data_len)
		hlen = min_t(u32, skb_zerocopy_headlen(entry->skb), plan.data_len);
	skb = nfqr_nl_skb_alloc(plan.size - nla_total_size(plan.data_len) +
				NLA_HDRLEN + hlen);
	if (!skb) {
		err = -ENOMEM;
		goto err_plan;
	}
	/* Written before the id is known, as the stock module does. */
	skb_put(skb, nfqr_msg_write_head(&plan, entry, 0, skb->data));
	if (plan.data_len) {
		nla = skb_put(skb, NLA_HDRLEN);
		nla->nla_type = NFQA_PAYLOAD;
		nla->nla_len = nla_attr_size(plan.data_len);
		err = skb_zerocopy(skb, entry->skb, plan.data_len, hlen);
		if (err) {
			kfree_skb(skb);
			goto err_plan;
		}
		nlmsg_hdr(skb)->nlmsg_len = skb->len;
	}
	nfqr_msg_release(&plan);
	pmsg = (void *)skb->data + NFQR_PACKET_HDR_OFFSET;

	spin_lock_bh(&inst->lock);
	if (inst->dead) {
		err = -ESRCH;
		goto free;
	}
	if (nfqr_instance_full(inst)) {
		fail_open = nfqr_deliver_failed(inst, NFQR_STAT_REFUSED_FULL);
		err = -ENOBUFS;
		goto free;
	}
	pkt = nfqr_pkt_alloc(inst);
	if (!pkt) {
		/* As nfnetlink_queue's own -ENOMEM: no FAIL_OPEN. */
		nfqr_stat_inc(inst->stats, NFQR_STAT_ALLOC_FAILED);
		err = -ENOMEM;
		goto free;
	}
	nfqr_pkt_link(inst, pkt, entry, NFQR_PKT_VISIBLE);
	pmsg->packet_id = htonl(pkt->id);
	/* Consumes the skb either way; never sleeps (MSG_DONTWAIT). */
	err = nfnetlink_unicast(skb, inst->net, inst->peer->portid);
	if (err < 0) {
		nfqr_pkt_unlink(inst, pkt, NFQR_STAT_UNDELIVERED);
		nfqr_pkt_free(inst, pkt);
		fail_open = nfqr_deliver_failed(inst, NFQR_STAT_UNDELIVERED);
		goto unlock;
	}
	spin_unlock_bh(&inst->lock);
	return 0;

free:
	kfree_skb(skb);
unlock:
	spin_unlock_bh(&inst->lock);
	if (fail_open) {
		nfqr_reinject(entry, NF_ACCEPT);
		return 0;
	}
	return err;

err_plan:
	nfqr_stat_inc(inst->stats, NFQR_STAT_ALLOC_FAILED);
	skb_tx_error(entry->skb);
	nfqr_msg_release(&plan);
	return err;
}

static const struct nfqr_peer_ops nfqr_nl_peer_ops = {
	.enqueue	= nfqr_nl_enqueue,
};

/* The sender of @skb as a peer, for ownership checks. */
static struct nfqr_peer nfqr_nl_sender(const struct sk_buff *skb)
{
	struct nfqr_peer peer = {
		.ops	= &nfqr_nl_peer_ops,
		.portid	= NETLINK_CB(skb).portid,
	};

	return peer;
}

static int nfqr_nl_config(struct sk_buff *skb, const struct nfnl_info *info,
			  const struct nlattr * const nfqa[])
{
	struct nfqr_peer peer = nfqr_nl_sender(skb);

	return nfqr_config(info->net, &peer, ntohs(info->nfmsg->res_id), nfqa);
}

static int nfqr_nl_verdict(struct sk_buff *skb, const struct nfnl_info *info,
			   const struct nlattr * const nfqa[])
{
	struct nfqr_peer peer = nfqr_nl_sender(skb);

	return nfqr_verdict(info->net, &peer, ntohs(info->nfmsg->res_id),
			    info->nlh, nfqa);
}

static int nfqr_nl_verdict_batch(struct sk_buff *skb, const struct nfnl_info *info,
				 const struct nlattr * const nfqa[])
{
	struct nfqr_peer peer = nfqr_nl_sender(skb);

	return nfqr_verdict_batch(info->net, &peer, ntohs(info->nfmsg->res_id),
				  nfqa);
}

/* PACKET is the kernel's to send; the stock module answers the same. */
static int nfqr_nl_unsupported(struct sk_buff *skb, const struct nfnl_info *info,
			       const struct nlattr * const nfqa[])
{
	return -ENOTSUPP;
}

static const struct nfnl_callback nfqr_nl_cb[NFQNL_MSG_MAX] = {
	[NFQNL_MSG_PACKET] = {
		.call		= nfqr_nl_unsupported,
		.type		= NFNL_CB_RCU,
		.attr_count	= NFQA_MAX,
	},
	[NFQNL_MSG_VERDICT] = {
		.call		= nfqr_nl_verdict,
		.type		= NFNL_CB_RCU,
		.attr_count	= NFQA_MAX,
		.policy		= nfqr_verdict_policy,
	},
	[NFQNL_MSG_CONFIG] = {
		.call		= nfqr_nl_config,
		.type		= NFNL_CB_MUTEX,
		.attr_count	= NFQA_CFG_MAX,
		.policy		= nfqr_cfg_policy,
	},
	[NFQNL_MSG_VERDICT_BATCH] = {
		.call		= nfqr_nl_verdict_batch,
		.type		= NFNL_CB_RCU,
		.attr_count	= NFQA_MAX,
		.policy		= nfqr_batch_policy,
	},
};

static const struct nfnetlink_subsystem nfqr_nl_subsys = {
	.name		= "nf_queue",
	.subsys_id	= NFNL_SUBSYS_QUEUE,
	.cb_count	= NFQNL_MSG_MAX,
	.cb		= nfqr_nl_cb,
};

/* A netlink socket went away: its queues are unbound, their packets dropped. */
static int nfqr_nl_event(struct notifier_block *nb, unsigned long event,
			 void *ptr)
{
	struct netlink_notify *n = ptr;
	struct nfqr_peer peer = {
		.ops	= &nfqr_nl_peer_ops,
		.portid	= n->portid,
	};

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_NETFILTER &&
	    n->portid)
		nfqr_peer_drop(n->net, &peer);
	return NOTIFY_DONE;
}

static struct notifier_block nfqr_nl_notifier = {
	.notifier_call	= nfqr_nl_event,
};

int nfqr_netlink_init(void)
{
	int err;

	netlink_register_notifier(&nfqr_nl_notifier);
	err = nfnetlink_subsys_register(&nfqr_nl_subsys);
	if (err == -EBUSY)
		pr_err("the NFQUEUE backend is taken, most likely by nfnetlink_queue: run 'rmmod nfnetlink_queue' before loading nfqring\n");
	else if (err)
		pr_err("cannot register the nfnetlink queue subsystem: %d\n", err);
	if (err)
		netlink_unregister_notifier(&nfqr_nl_notifier);
	return err;
}

void nfqr_netlink_exit(void)
{
	nfnetlink_subsys_unregister(&nfqr_nl_subsys);
	netlink_unregister_notifier(&nfqr_nl_notifier);
}
