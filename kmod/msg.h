/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The message writer's per-packet core (msg.c), inline so that the rings'
 * enqueue plans and writes a message without two calls.  What is rare
 * (conntrack, security contexts, sockets' ids, bridge masters, checksum
 * help) stays out of line in msg.c.
 */
#ifndef _NFQR_MSG_H
#define _NFQR_MSG_H

#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/math64.h>
#include <linux/netdevice.h>
#include <linux/netfilter_bridge.h>
#include <linux/skbuff.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <net/cls_cgroup.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "internal.h"

/* A cursor over the flat buffer. */
struct nfqr_wbuf {
	u8	*base;
	u32	len;
};

/*
 * msg.c, out of line: rare attributes, and the checksum help that only
 * locally generated packets copied without F_GSO need.
 */
int nfqr_checksum_help(struct sk_buff *skb);
u32 nfqr_secctx(struct sk_buff *skb, char **secdata);
u32 nfqr_put_uidgid(struct nfqr_wbuf w, struct sock *sk);
#if IS_ENABLED(CONFIG_NF_CONNTRACK)
int nfqr_plan_ct(struct nf_queue_entry *entry, struct nfqr_msg_plan *plan);
#else
static inline int nfqr_plan_ct(struct nf_queue_entry *entry, struct nfqr_msg_plan *plan)
{
	return 0;
}
#endif
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
u32 nfqr_put_master(struct nfqr_wbuf w, u16 type, const struct net_device *dev);
#endif

/*
 * Appends an attribute header, returns where its payload goes.  These
 * helpers run for every attribute of every packet: inline, with the
 * padding zeroed by one store, a constant size makes them a few stores.
 * Out of line, each attribute cost a call to memset() (and nfqr_put() one
 * to memcpy()): about 300 instructions a packet (docs/benchmarks.md).
 */
static __always_inline void *nfqr_put_hdr(struct nfqr_wbuf *w, u16 type, u32 payload_len)
{
	struct nlattr *nla = (struct nlattr *)(w->base + w->len);
	u32 total = nla_total_size(payload_len);

	nla->nla_type = type;
	nla->nla_len = nla_attr_size(payload_len);
	/*
	 * Zero the alignment padding (1-3 bytes, after a payload of at least
	 * one) with one store over the attribute's last word, which starts
	 * past the header: the payload, written next, covers the rest of it.
	 * Attributes start 4-aligned, as the buffers do.
	 */
	if (total > nla_attr_size(payload_len))
		*(u32 *)((u8 *)nla + total - 4) = 0;
	w->len += total;
	return nla_data(nla);
}

static __always_inline void nfqr_put(struct nfqr_wbuf *w, u16 type, const void *data, u32 len)
{
	memcpy(nfqr_put_hdr(w, type, len), data, len);
}

static __always_inline void nfqr_put_be32(struct nfqr_wbuf *w, u16 type, __be32 value)
{
	nfqr_put(w, type, &value, sizeof(value));
}

static __always_inline void nfqr_put_be16(struct nfqr_wbuf *w, u16 type, __be16 value)
{
	nfqr_put(w, type, &value, sizeof(value));
}

static __always_inline u32 nfqr_bridge_size(struct nf_queue_entry *entry)
{
	struct sk_buff *skb = entry->skb;
	u32 size = 0;

	if (entry->state.pf != PF_BRIDGE || !skb_mac_header_was_set(skb))
		return 0;
	if (skb_vlan_tag_present(skb))
		size += nla_total_size(nla_total_size(sizeof(__be16)) +
				       nla_total_size(sizeof(__be16)));
	if (skb->network_header > skb->mac_header)
		size += nla_total_size(skb->network_header - skb->mac_header);
	return size;
}

static __always_inline int __nfqr_msg_plan(struct nfqr_instance *inst,
					   struct nf_queue_entry *entry,
					   struct nfqr_msg_plan *plan)
{
	struct sk_buff *skb = entry->skb;
	u32 size;
	int ct_len;

	/* Every field, no memset(): this runs for every packet. */
	plan->pf = entry->state.pf;
	plan->queue_num = inst->queue_num;
	plan->flags = READ_ONCE(inst->flags);
	plan->data_len = 0;
	plan->cap_len = 0;
	plan->csum_verify = false;
	plan->ct_attrs = NULL;
	plan->secdata = NULL;
	plan->seclen = 0;

	size = nlmsg_total_size(sizeof(struct nfgenmsg))
		+ nla_total_size(sizeof(struct nfqnl_msg_packet_hdr))
		+ 4 * nla_total_size(sizeof(u32))	/* ifindexes */
		+ nla_total_size(sizeof(u32))		/* mark */
		+ nla_total_size(sizeof(u32))		/* priority */
		+ nla_total_size(sizeof(struct nfqnl_msg_packet_hw))
		+ nla_total_size(sizeof(struct nfqnl_msg_packet_timestamp))
		+ 2 * nla_total_size(sizeof(u32))	/* uid, gid */
		+ nla_total_size(sizeof(u32))		/* cgroup classid */
		+ nla_total_size(sizeof(u32))		/* cap_len */
		+ nla_total_size(sizeof(u32))		/* skb_info */
		+ nfqr_bridge_size(entry);

	if (entry->state.hook <= NF_INET_FORWARD ||
	    (entry->state.hook == NF_INET_POST_ROUTING && !skb->sk))
		plan->csum_verify = !skb_csum_unnecessary(skb);

	if (READ_ONCE(inst->copy_mode) == NFQNL_COPY_PACKET) {
		if (!(plan->flags & NFQA_CFG_F_GSO) &&
		    skb->ip_summed == CHECKSUM_PARTIAL &&
		    nfqr_checksum_help(skb))
			return -ENOMEM;
		plan->data_len = min_t(u32, READ_ONCE(inst->copy_range), skb->len);
		plan->cap_len = skb->len;
		size += nla_total_size(plan->data_len);
	}

	if (plan->flags & NFQA_CFG_F_CONNTRACK) {
		ct_len = nfqr_plan_ct(entry, plan);
		if (ct_len < 0)
			return ct_len;
		size += ct_len;
	}
	if ((plan->flags & NFQA_CFG_F_SECCTX) && skb->sk) {
		plan->seclen = nfqr_secctx(skb, &plan->secdata);
		size += nla_total_size(plan->seclen);
	}

	plan->size = size;
	return 0;
}

static __always_inline void nfqr_put_devices(struct nfqr_wbuf *w, struct nf_queue_entry *entry)
{
	struct net_device *in = entry->state.in, *out = entry->state.out;
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
	struct sk_buff *skb = entry->skb;
	int phys;

	if (in) {
		if (entry->state.pf == PF_BRIDGE) {
			/* a bridge hook: in is the port, INDEV its bridge */
			nfqr_put_be32(w, NFQA_IFINDEX_PHYSINDEV, htonl(in->ifindex));
			w->len = nfqr_put_master(*w, NFQA_IFINDEX_INDEV, in);
		} else {
			nfqr_put_be32(w, NFQA_IFINDEX_INDEV, htonl(in->ifindex));
			phys = nf_bridge_get_physinif(skb);
			if (phys)
				nfqr_put_be32(w, NFQA_IFINDEX_PHYSINDEV, htonl(phys));
		}
	}
	if (out) {
		if (entry->state.pf == PF_BRIDGE) {
			nfqr_put_be32(w, NFQA_IFINDEX_PHYSOUTDEV, htonl(out->ifindex));
			w->len = nfqr_put_master(*w, NFQA_IFINDEX_OUTDEV, out);
		} else {
			nfqr_put_be32(w, NFQA_IFINDEX_OUTDEV, htonl(out->ifindex));
			phys = nf_bridge_get_physoutif(skb);
			if (phys)
				nfqr_put_be32(w, NFQA_IFINDEX_PHYSOUTDEV, htonl(phys));
		}
	}
#else
	if (in)
		nfqr_put_be32(w, NFQA_IFINDEX_INDEV, htonl(in->ifindex));
	if (out)
		nfqr_put_be32(w, NFQA_IFINDEX_OUTDEV, htonl(out->ifindex));
#endif
}

static __always_inline void nfqr_put_hwaddr(struct nfqr_wbuf *w, struct nf_queue_entry *entry)
{
	struct sk_buff *skb = entry->skb;
	const struct header_ops *ops;
	struct nfqnl_msg_packet_hw *phw;
	int len;

	if (!entry->state.in || !skb->dev || !skb_mac_header_was_set(skb) ||
	    skb_mac_header_len(skb) == 0)
		return;
	/*
	 * Parsed in place (hw_addr's 8 bytes, as nfnetlink_queue trusts
	 * header_ops->parse): a buffer on the stack would cost every packet
	 * a copy and a stack canary.  Taken back if there is no address.
	 */
	phw = nfqr_put_hdr(w, NFQA_HWADDR, sizeof(*phw));
	memset(phw, 0, sizeof(*phw));
	/*
	 * Ethernet, nearly always: eth_header_parse()'s copy, without the
	 * indirect call (a retpoline) dev_parse_header() makes.
	 */
	ops = skb->dev->header_ops;
	if (likely(ops && ops->parse == eth_header_parse)) {
		memcpy(phw->hw_addr, eth_hdr(skb)->h_source, ETH_ALEN);
		phw->hw_addrlen = htons(ETH_ALEN);
		return;
	}
	len = dev_parse_header(skb, phw->hw_addr);
	if (len)
		phw->hw_addrlen = htons(len);
	else
		w->len -= nla_total_size(sizeof(*phw));
}

static __always_inline void nfqr_put_bridge(struct nfqr_wbuf *w, struct nf_queue_entry *entry)
{
	struct sk_buff *skb = entry->skb;

	if (entry->state.pf != PF_BRIDGE || !skb_mac_header_was_set(skb))
		return;
	if (skb_vlan_tag_present(skb)) {
		struct nlattr *nest = (struct nlattr *)(w->base + w->len);

		nest->nla_type = NFQA_VLAN | NLA_F_NESTED;
		w->len += NLA_HDRLEN;
		nfqr_put_be16(w, NFQA_VLAN_TCI, htons(skb->vlan_tci));
		nfqr_put_be16(w, NFQA_VLAN_PROTO, skb->vlan_proto);
		nest->nla_len = (u8 *)(w->base + w->len) - (u8 *)nest;
	}
	if (skb->mac_header < skb->network_header)
		nfqr_put(w, NFQA_L2HDR, skb_mac_header(skb),
			 skb->network_header - skb->mac_header);
}

static __always_inline void nfqr_put_classid(struct nfqr_wbuf *w, struct sock *sk)
{
#if defined(NFQR_HAVE_NFQA_CGROUP_CLASSID) && IS_ENABLED(CONFIG_CGROUP_NET_CLASSID)
	/* Only kernels whose nfnetlink_queue sends it: behave the same. */
	if (sk && sk_fullsock(sk)) {
		u32 classid = sock_cgroup_classid(&sk->sk_cgrp_data);

		if (classid)
			nfqr_put_be32(w, NFQA_CGROUP_CLASSID, htonl(classid));
	}
#endif
}

static __always_inline void nfqr_put_skb_info(struct nfqr_wbuf *w, struct sk_buff *skb,
					      bool csum_verify)
{
	u32 flags = 0;

	if (skb->ip_summed == CHECKSUM_PARTIAL)
		flags = NFQA_SKB_CSUMNOTREADY;
	else if (csum_verify)
		flags = NFQA_SKB_CSUM_NOTVERIFIED;
	if (skb_is_gso(skb))
		flags |= NFQA_SKB_GSO;
	if (flags)
		nfqr_put_be32(w, NFQA_SKB_INFO, htonl(flags));
}

/* The message but its payload: nfqr_msg_write_head() and __nfqr_msg_write(). */
static __always_inline u32 __nfqr_msg_write_head(const struct nfqr_msg_plan *plan,
						 struct nf_queue_entry *entry,
						 u32 id, void *buf)
{
	struct sk_buff *skb = entry->skb;
	struct nfqr_wbuf w = { .base = buf };
	struct nfqnl_msg_packet_hdr *pmsg;
	struct nlmsghdr *nlh = buf;
	struct nfgenmsg *nfg;
	ktime_t tstamp;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET;
	nlh->nlmsg_flags = 0;
	nlh->nlmsg_seq = 0;
	nlh->nlmsg_pid = 0;
	w.len = NLMSG_HDRLEN;
	nfg = (struct nfgenmsg *)(w.base + w.len);
	memset(nfg, 0, NLMSG_ALIGN(sizeof(*nfg)));
	nfg->nfgen_family = plan->pf;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(plan->queue_num);
	w.len += NLMSG_ALIGN(sizeof(*nfg));

	pmsg = nfqr_put_hdr(&w, NFQA_PACKET_HDR, sizeof(*pmsg));
	pmsg->packet_id = htonl(id);
	pmsg->hw_protocol = skb->protocol;
	pmsg->hook = entry->state.hook;

	nfqr_put_devices(&w, entry);
	if (skb->mark)
		nfqr_put_be32(&w, NFQA_MARK, htonl(skb->mark));
	if (skb->priority)
		nfqr_put_be32(&w, NFQA_PRIORITY, htonl(skb->priority));
	nfqr_put_hwaddr(&w, entry);
	nfqr_put_bridge(&w, entry);

	tstamp = skb_tstamp_cond(skb, false);
	if (entry->state.hook <= NF_INET_FORWARD && tstamp) {
		struct nfqnl_msg_packet_timestamp *ts;
		s64 sec;
		u32 nsec;

		/*
		 * A stamp after 1970, always but for a bogus one: one
		 * division where ns_to_timespec64() costs a call and checks.
		 */
		if (likely(tstamp > 0)) {
			sec = div_u64_rem(tstamp, NSEC_PER_SEC, &nsec);
		} else {
			struct timespec64 kts = ktime_to_timespec64(tstamp);

			sec = kts.tv_sec;
			nsec = kts.tv_nsec;
		}
		/* In place, as the hardware address: no canary. */
		ts = nfqr_put_hdr(&w, NFQA_TIMESTAMP, sizeof(*ts));
		/* Attributes are 4-aligned, the struct's fields 8-aligned. */
		put_unaligned_be64(sec, &ts->sec);
		put_unaligned_be64(nsec / NSEC_PER_USEC, &ts->usec);
	}

	if ((plan->flags & NFQA_CFG_F_UID_GID) && skb->sk)
		w.len = nfqr_put_uidgid(w, skb->sk);
	nfqr_put_classid(&w, skb->sk);
	if (plan->seclen)
		nfqr_put(&w, NFQA_SECCTX, plan->secdata, plan->seclen);
	if (plan->ct_attrs) {
		memcpy(w.base + w.len, plan->ct_attrs->data, plan->ct_attrs->len);
		w.len += plan->ct_attrs->len;
	}
	if (plan->cap_len > plan->data_len)
		nfqr_put_be32(&w, NFQA_CAP_LEN, htonl(plan->cap_len));
	nfqr_put_skb_info(&w, skb, plan->csum_verify);

	nlh->nlmsg_len = w.len;
	return w.len;
}

/*
 * The whole message, payload copied once from the packet.  As from the
 * stock module, the message ends where the payload ends: its attribute
 * padding (zeroed) is not counted in nlmsg_len.
 */
static __always_inline u32 __nfqr_msg_write(const struct nfqr_msg_plan *plan,
					    struct nf_queue_entry *entry, u32 id, void *buf)
{
	struct nfqr_wbuf w = { .base = buf };
	struct nlmsghdr *nlh = buf;
	void *data;

	w.len = __nfqr_msg_write_head(plan, entry, id, buf);
	if (!plan->data_len)
		return w.len;
	data = nfqr_put_hdr(&w, NFQA_PAYLOAD, plan->data_len);
	/*
	 * Mostly in the linear head (small packets, or a copy range that
	 * stops in it): copied without the call to skb_copy_bits(), which
	 * cost 42 instructions a 64-byte packet besides the copy.  Cannot
	 * fail: data_len <= skb->len.
	 */
	if (likely(plan->data_len <= skb_headlen(entry->skb)))
		skb_copy_from_linear_data(entry->skb, data, plan->data_len);
	else if (WARN_ON_ONCE(skb_copy_bits(entry->skb, 0, data, plan->data_len)))
		memset(data, 0, plan->data_len);
	/* Not read back: @buf may be a frame userspace writes to. */
	w.len = (u8 *)data + plan->data_len - (u8 *)buf;
	nlh->nlmsg_len = w.len;
	return w.len;
}

#endif /* _NFQR_MSG_H */
