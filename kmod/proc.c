// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/netfilter/nfnetlink_queue keeps the stock name and columns so
 * that scripts (the kernel's own selftests among them) keep working;
 * /proc/net/netfilter/nfqring adds the ring figures.
 *
 * The stock name can only be created once nfnetlink_queue is known to be
 * absent (procfs WARNs on a duplicate name), so these files come from their
 * own pernet operations, registered after the nfnetlink subsystem.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <uapi/linux/nfqring.h>

#include "internal.h"

#define NFQR_PROC_STOCK	"nfnetlink_queue"
#define NFQR_PROC_RING	"nfqring"

static int nfqr_proc_stock_show(struct seq_file *s, void *v)
{
	/* One line per bound queue; none can be bound yet. */
	return 0;
}

static int nfqr_proc_ring_show(struct seq_file *s, void *v)
{
	seq_printf(s, "# nfqring abi %u\n", NFQRING_ABI_VERSION);
	return 0;
}

static int __net_init nfqr_proc_net_init(struct net *net)
{
	if (!proc_create_net_single(NFQR_PROC_STOCK, 0440,
				    net->nf.proc_netfilter,
				    nfqr_proc_stock_show, NULL))
		return -ENOMEM;
	if (!proc_create_net_single(NFQR_PROC_RING, 0440,
				    net->nf.proc_netfilter,
				    nfqr_proc_ring_show, NULL)) {
		remove_proc_entry(NFQR_PROC_STOCK, net->nf.proc_netfilter);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit nfqr_proc_net_exit(struct net *net)
{
	remove_proc_entry(NFQR_PROC_RING, net->nf.proc_netfilter);
	remove_proc_entry(NFQR_PROC_STOCK, net->nf.proc_netfilter);
}

static struct pernet_operations nfqr_proc_net_ops = {
	.init	= nfqr_proc_net_init,
	.exit	= nfqr_proc_net_exit,
};

int nfqr_proc_init(void)
{
	return register_pernet_subsys(&nfqr_proc_net_ops);
}

void nfqr_proc_exit(void)
{
	unregister_pernet_subsys(&nfqr_proc_net_ops);
}
