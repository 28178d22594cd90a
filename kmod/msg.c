// SPDX-License-Identifier: GPL-2.0
/*
 * The NFQNL_MSG_PACKET message: one writer for every transport.
 *
 * nfqr_msg_plan() runs first, before any slot is taken: it does what may
 * fail (checksum completion, the conntrack attributes, the security
 * context) and computes an upper bound of the message size.
 * nfqr_msg_write() then writes the message into a flat buffer (a ring frame
 * or a buffer that becomes a netlink skb or a read() message), attribute by
 * attribute in nfnetlink_queue's order, and cannot fail.  Every byte it
 * covers is written, padding included: no stale or uninitialised byte ever
 * reaches userspace.  The payload is copied once, from the packet into the
 * buffer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/error-injection.h>
#include <linux/netdevice.h>
#include <linux/netfilter_bridge.h>
#include <linux/security.h>
#include <linux/skbuff.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <net/ip.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <net/netfilter/nf_conntrack.h>

#include "internal.h"
#include "msg.h"

#if IS_ENABLED(CONFIG_NF_CONNTRACK)
/* Its own function so that fail_function can make it fail (the debug VM). */
static noinline struct sk_buff *nfqr_ct_skb_alloc(unsigned int size)
{
	return alloc_skb(size, GFP_ATOMIC);
}

ALLOW_ERROR_INJECTION(nfqr_ct_skb_alloc, NULL);
#endif

int nfqr_checksum_help(struct sk_buff *skb)
{
	if (skb->protocol == htons(ETH_P_IP)) {
		if (!pskb_network_may_pull(skb, sizeof(struct iphdr)) ||
		    ip_check_csum_start(skb))
			return -EINVAL;
	}
	if (skb_csum_is_sctp(skb))
		return skb_crc32c_csum_help(skb);
	return skb_checksum_help(skb);
}

/* Out of line: rare, and &seclen would cost every packet a stack canary. */
noinline u32 nfqr_secctx(struct sk_buff *skb, char **secdata)
{
	u32 seclen = 0;
#if IS_ENABLED(CONFIG_NETWORK_SECMARK)
	if (!skb->sk || !sk_fullsock(skb->sk))
		return 0;
	read_lock_bh(&skb->sk->sk_callback_lock);
	if (skb->secmark)
		security_secid_to_secctx(skb->secmark, secdata, &seclen);
	read_unlock_bh(&skb->sk->sk_callback_lock);
#endif
	return seclen;
}

#if IS_ENABLED(CONFIG_NF_CONNTRACK)
/*
 * ctnetlink builds its attributes into an skb only: a small scratch skb
 * whose bytes are then copied into the message.  Out of line: rare, and
 * its locals would cost every packet a stack canary.
 */
noinline int nfqr_plan_ct(struct nf_queue_entry *entry,
			  struct nfqr_msg_plan *plan)
{
	const struct nfnl_ct_hook *nfnl_ct = rcu_dereference(nfnl_ct_hook);
	enum ip_conntrack_info ctinfo;
	struct sk_buff *ctskb;
	struct nf_conn *ct;

	if (!nfnl_ct)
		return 0;
	ct = nf_ct_get(entry->skb, &ctinfo);
	if (!ct)
		return 0;
	ctskb = nfqr_ct_skb_alloc(nfnl_ct->build_size(ct));
	if (!ctskb)
		return -ENOMEM;
	if (nfnl_ct->build(ctskb, ct, ctinfo, NFQA_CT, NFQA_CT_INFO) < 0) {
		kfree_skb(ctskb);
		return -ENOMEM;
	}
	plan->ct_attrs = ctskb;
	return ctskb->len;
}
#endif

int nfqr_msg_plan(struct nfqr_instance *inst, struct nf_queue_entry *entry,
		  struct nfqr_msg_plan *plan)
{
	return __nfqr_msg_plan(inst, entry, plan);
}

void __nfqr_msg_release(struct nfqr_msg_plan *plan)
{
	kfree_skb(plan->ct_attrs);
	plan->ct_attrs = NULL;
	if (plan->seclen)
		security_release_secctx(plan->secdata, plan->seclen);
	plan->seclen = 0;
}

#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
/*
 * The bridge a port belongs to, for the INDEV/OUTDEV of bridge hooks.  The
 * buffer by value, the new length back (as nfqr_put_uidgid()): a pointer
 * to the caller's would cost every packet a stack canary.
 */
u32 nfqr_put_master(struct nfqr_wbuf w, u16 type, const struct net_device *dev)
{
	const struct net_device *upper;

	if (dev && !netif_is_bridge_port(dev))
		return w.len;
	upper = netdev_master_upper_dev_get_rcu((struct net_device *)dev);
	if (upper)
		nfqr_put_be32(&w, type, htonl(upper->ifindex));
	return w.len;
}
#endif

/* Out of line (rare), so the buffer by value and its new length back. */
noinline u32 nfqr_put_uidgid(struct nfqr_wbuf w, struct sock *sk)
{
	const struct cred *cred;

	if (!sk_fullsock(sk))
		return w.len;
	read_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_socket && sk->sk_socket->file) {
		cred = sk->sk_socket->file->f_cred;
		nfqr_put_be32(&w, NFQA_UID,
			      htonl(from_kuid_munged(&init_user_ns, cred->fsuid)));
		nfqr_put_be32(&w, NFQA_GID,
			      htonl(from_kgid_munged(&init_user_ns, cred->fsgid)));
	}
	read_unlock_bh(&sk->sk_callback_lock);
	return w.len;
}

/*
 * Writes the message for packet @id into @buf (plan->size bytes at most),
 * all but the payload, and returns its length so far.  Any context, under
 * rcu_read_lock(); cannot fail.
 */
u32 nfqr_msg_write_head(const struct nfqr_msg_plan *plan,
			struct nf_queue_entry *entry, u32 id, void *buf)
{
	return __nfqr_msg_write_head(plan, entry, id, buf);
}

u32 nfqr_msg_write(const struct nfqr_msg_plan *plan,
		   struct nf_queue_entry *entry, u32 id, void *buf)
{
	return __nfqr_msg_write(plan, entry, id, buf);
}

/* Bytes of the message before its payload, payload attribute header included. */
u32 nfqr_msg_head_room(const struct nfqr_msg_plan *plan)
{
	return plan->size - nla_total_size(plan->data_len) + NLA_HDRLEN;
}

/*
 * The whole message with its payload in @pages (single pages, enough for
 * plan->data_len bytes) and the rest in @head (nfqr_msg_head_room() bytes):
 * for a message that must not need a high-order allocation.  *@head_len is
 * what went into @head.
 */
u32 nfqr_msg_write_paged(const struct nfqr_msg_plan *plan,
			 struct nf_queue_entry *entry, u32 id, void *head,
			 u32 *head_len, struct page **pages)
{
	struct nlmsghdr *nlh = head;
	struct nlattr *nla;
	u32 len, off, chunk;

	len = nfqr_msg_write_head(plan, entry, id, head);
	nla = head + len;
	nla->nla_type = NFQA_PAYLOAD;
	nla->nla_len = nla_attr_size(plan->data_len);
	len += NLA_HDRLEN;
	*head_len = len;
	for (off = 0; off < plan->data_len; off += chunk) {
		void *to = page_address(pages[off >> PAGE_SHIFT]);

		chunk = min_t(u32, plan->data_len - off, PAGE_SIZE);
		/* Cannot fail: data_len <= skb->len. */
		if (WARN_ON_ONCE(skb_copy_bits(entry->skb, off, to, chunk)))
			memset(to, 0, chunk);
	}
	nlh->nlmsg_len = len + plan->data_len;
	return nlh->nlmsg_len;
}
