// SPDX-License-Identifier: GPL-2.0
/*
 * Queue instances: the per-namespace table that both transports (rings
 * and netlink) share, and the netfilter queue handler that feeds it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <net/netns/generic.h>

#include "internal.h"

static unsigned int nfqr_net_id __read_mostly;

struct nfqr_net *nfqr_pernet(struct net *net)
{
	return net_generic(net, nfqr_net_id);
}

/*
 * Called under rcu_read_lock() only, sometimes from process context with
 * bottom halves enabled: nothing here may sleep.  With no instance bound
 * to @queuenum the answer is -ESRCH, the one error that --queue-bypass
 * turns into "continue".
 */
static int nfqr_enqueue(struct nf_queue_entry *entry, unsigned int queuenum)
{
	return -ESRCH;
}

/* Runs under rcu_read_lock(), possibly before our per-net init. */
static void nfqr_hook_drop(struct net *net)
{
}

const struct nf_queue_handler nfqr_queue_handler = {
	.outfn		= nfqr_enqueue,
	.nf_hook_drop	= nfqr_hook_drop,
};

static int __net_init nfqr_net_init(struct net *net)
{
	struct nfqr_net *qn = nfqr_pernet(net);
	unsigned int i;

	spin_lock_init(&qn->lock);
	for (i = 0; i < NFQR_QUEUE_HASH_SIZE; i++)
		INIT_HLIST_HEAD(&qn->table[i]);
	return 0;
}

static void __net_exit nfqr_net_exit(struct net *net)
{
	struct nfqr_net *qn = nfqr_pernet(net);
	unsigned int i;

	for (i = 0; i < NFQR_QUEUE_HASH_SIZE; i++)
		WARN_ON_ONCE(!hlist_empty(&qn->table[i]));
}

static struct pernet_operations nfqr_net_ops = {
	.init	= nfqr_net_init,
	.exit	= nfqr_net_exit,
	.id	= &nfqr_net_id,
	.size	= sizeof(struct nfqr_net),
};

int nfqr_queue_init(void)
{
	return register_pernet_subsys(&nfqr_net_ops);
}

void nfqr_queue_exit(void)
{
	unregister_pernet_subsys(&nfqr_net_ops);
}
