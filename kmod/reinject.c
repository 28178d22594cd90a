// SPDX-License-Identifier: GPL-2.0
/*
 * Reinjection: a packet leaves the queue with its verdict and continues
 * through the remaining netfilter hooks.
 *
 * nfqring carries its own implementation on every kernel: 6.12 no longer
 * exports nf_reinject(), and calling it on 6.1 would skip the checks that
 * nfnetlink_queue makes first (bridge ports still valid, the conntrack
 * update, unconfirmed conntrack entries shared by GSO segments).  One code
 * path everywhere means the debug-kernel runs cover what production runs.
 *
 * Callers hold rcu_read_lock() from the dequeue to here: hook removal
 * relies on that, or hook_index could point into a shrunk hook table.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <net/ip.h>
#include <net/route.h>

#include "internal.h"

static bool nfqr_bridge_port_valid(const struct net_device *dev)
{
	return !dev || netif_is_bridge_port(dev);
}

/*
 * Queued packets hold references on their devices, but a port may have
 * left its bridge meanwhile (and its rx_handler_data may no longer be a
 * bridge port): such packets are dropped.
 */
static bool nfqr_bridge_ports_valid(const struct nf_queue_entry *entry)
{
#if IS_ENABLED(CONFIG_BRIDGE_NETFILTER)
	if (!nfqr_bridge_port_valid(entry->physin) ||
	    !nfqr_bridge_port_valid(entry->physout))
		return false;
#endif
	if (entry->state.pf != PF_BRIDGE)
		return true;
	return nfqr_bridge_port_valid(entry->state.in) &&
	       nfqr_bridge_port_valid(entry->state.out);
}

/*
 * Gives conntrack its say on an accepted packet.  Returns the verdict to
 * go on with; NF_STOLEN means conntrack consumed the skb.
 */
static unsigned int nfqr_ct_update(struct nf_queue_entry *entry,
				   unsigned int verdict)
{
	const struct nf_ct_hook *ct_hook = rcu_dereference(nf_ct_hook);
	int ret;

	if (!ct_hook)
		return verdict;
	ret = ct_hook->update(entry->state.net, entry->skb);
#if NFQR_CT_UPDATE_RETURNS_VERDICT
	switch (ret & NF_VERDICT_MASK) {
	case NF_ACCEPT:
		return verdict;	/* userspace's, which may be NF_REPEAT */
	case NF_STOLEN:
		return NF_STOLEN;
	default:
		return ret & NF_VERDICT_MASK;
	}
#else
	return ret < 0 ? NF_DROP : verdict;
#endif
}

static struct nf_hook_entries *nfqr_hooks(const struct net *net, u8 pf, u8 hook)
{
	switch (pf) {
#ifdef CONFIG_NETFILTER_FAMILY_BRIDGE
	case NFPROTO_BRIDGE:
		return rcu_dereference(net->nf.hooks_bridge[hook]);
#endif
	case NFPROTO_IPV4:
		return rcu_dereference(net->nf.hooks_ipv4[hook]);
	case NFPROTO_IPV6:
		return rcu_dereference(net->nf.hooks_ipv6[hook]);
	default:
		return NULL;
	}
}

/* Locally generated packets whose routing keys changed are routed again. */
static int nfqr_reroute(struct sk_buff *skb, const struct nf_queue_entry *entry)
{
	const struct nf_ipv6_ops *v6ops;

	if (entry->state.hook != NF_INET_LOCAL_OUT)
		return 0;

	switch (entry->state.pf) {
#ifdef CONFIG_INET
	case NFPROTO_IPV4: {
		const struct ip_rt_info *rt = nf_queue_entry_reroute(entry);
		const struct iphdr *iph = ip_hdr(skb);

		if (iph->tos != rt->tos || skb->mark != rt->mark ||
		    iph->daddr != rt->daddr || iph->saddr != rt->saddr)
			return ip_route_me_harder(entry->state.net, entry->state.sk,
						  skb, RTN_UNSPEC);
		return 0;
	}
#endif
	case NFPROTO_IPV6:
		v6ops = rcu_dereference(nf_ipv6_ops);
		return v6ops ? v6ops->reroute(skb, entry) : 0;
	default:
		return 0;
	}
}

/* Runs hooks from *index on; stops at the first verdict that is not ACCEPT. */
static unsigned int nfqr_iterate(struct sk_buff *skb, struct nf_hook_state *state,
				 const struct nf_hook_entries *hooks,
				 unsigned int *index)
{
	unsigned int verdict, i = *index;

	while (i < hooks->num_hook_entries) {
		const struct nf_hook_entry *hook = &hooks->hooks[i];

		do {
			verdict = nf_hook_entry_hookfn(hook, skb, state);
		} while (verdict == NF_REPEAT);
		if (verdict != NF_ACCEPT) {
			*index = i;
			return verdict;
		}
		i++;
	}
	*index = i;
	return NF_ACCEPT;
}

/* What nf_reinject() does, for kernels that do not export it. */
static void nfqr_continue(struct nf_queue_entry *entry, unsigned int verdict)
{
	struct sk_buff *skb = entry->skb;
	const struct nf_hook_entries *hooks;
	unsigned int i;

	/*
	 * A drop needs no hook (and is all that flushes do, some of them
	 * outside an RCU read-side section).  And when a hook is unregistered,
	 * the hook table shrinks (or goes) before nf_hook_drop() flushes the
	 * queues, so a flushed packet may find its index out of range: it is
	 * dropped quietly, as 6.12's nfnetlink_queue does (6.1's WARNs there).
	 */
	hooks = verdict == NF_DROP ? NULL :
		nfqr_hooks(entry->state.net, entry->state.pf, entry->state.hook);
	i = entry->hook_index;
	if (!hooks || i >= hooks->num_hook_entries) {
		kfree_skb(skb);
		nf_queue_entry_free(entry);
		return;
	}

	if (verdict == NF_REPEAT)
		verdict = nf_hook_entry_hookfn(&hooks->hooks[i], skb, &entry->state);

	if (verdict == NF_ACCEPT && nfqr_reroute(skb, entry) < 0)
		verdict = NF_DROP;

	if (verdict == NF_ACCEPT) {
next_hook:
		++i;
		verdict = nfqr_iterate(skb, &entry->state, hooks, &i);
	}

	switch (verdict & NF_VERDICT_MASK) {
	case NF_ACCEPT:
	case NF_STOP:
		local_bh_disable();
		entry->state.okfn(entry->state.net, entry->state.sk, skb);
		local_bh_enable();
		break;
	case NF_QUEUE:
		/* nf_queue() returns 1 when --queue-bypass says continue. */
		if (nf_queue(skb, &entry->state, i, verdict) == 1)
			goto next_hook;
		break;
	case NF_STOLEN:
		break;
	default:
		kfree_skb(skb);
	}
	nf_queue_entry_free(entry);
}

/* Caller holds rcu_read_lock(). */
void nfqr_reinject(struct nf_queue_entry *entry, unsigned int verdict)
{
	if (!nfqr_bridge_ports_valid(entry))
		verdict = NF_DROP;

	if (verdict == NF_ACCEPT || verdict == NF_REPEAT || verdict == NF_STOP) {
		verdict = nfqr_ct_update(entry, verdict);
		if (verdict == NF_STOLEN) {
			nf_queue_entry_free(entry);
			return;
		}
	}

	/*
	 * A GSO segment marked unconfirmed shares its conntrack entry with a
	 * sibling; if that one did not confirm it first (out-of-order or
	 * parallel verdicts, or it was dropped), this one cannot go on.
	 */
	if (verdict != NF_DROP && entry->nf_ct_is_unconfirmed &&
	    nfqr_ct_drop_unconfirmed(entry, NULL))
		verdict = NF_DROP;

	nfqr_continue(entry, verdict);
}
