// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/netfilter/nfnetlink_queue keeps the stock name and columns so
 * that scripts (the kernel's own selftests among them) keep working;
 * /proc/net/netfilter/nfqring adds the ring figures, and nfqring_stats says
 * where every packet went (enum nfqr_stat).
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

#include "endpoint.h"

#define NFQR_PROC_STOCK	"nfnetlink_queue"
#define NFQR_PROC_RING	"nfqring"
#define NFQR_PROC_STATS	"nfqring_stats"

static const char * const nfqr_stat_names[NFQR_STAT_MAX] = {
	[NFQR_STAT_QUEUED]		= "queued",
	[NFQR_STAT_VERDICTS]		= "verdicts",
	[NFQR_STAT_FLUSHED]		= "flushed",
	[NFQR_STAT_UNDELIVERED]		= "undelivered",
	[NFQR_STAT_STALL_FLUSHED]	= "stall_flushed",
	[NFQR_STAT_REFUSED_FULL]	= "refused_full",
	[NFQR_STAT_REFUSED_OTHER]	= "refused_other",
	[NFQR_STAT_ALLOC_FAILED]	= "alloc_failed",
	[NFQR_STAT_NO_LISTENER]		= "no_listener",
	[NFQR_STAT_FAIL_OPEN]		= "fail_open",
	[NFQR_STAT_STALL_REFUSED]	= "stall_refused",
};

/* The stock columns, one line per bound queue, in the stock order. */
static int nfqr_proc_stock_show(struct seq_file *s, void *v)
{
	struct nfqr_net *qn = nfqr_pernet(seq_file_single_net(s));
	struct nfqr_instance *inst;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < NFQR_QUEUE_HASH_SIZE; i++)
		hlist_for_each_entry_rcu(inst, &qn->table[i], node)
			seq_printf(s, "%5u %6u %5u %1u %5u %5u %5u %8u %2d\n",
				   inst->queue_num, inst->peer->portid,
				   READ_ONCE(inst->total), READ_ONCE(inst->copy_mode),
				   READ_ONCE(inst->copy_range), READ_ONCE(inst->dropped),
				   READ_ONCE(inst->user_dropped),
				   READ_ONCE(inst->id_sequence), 1);
	rcu_read_unlock();
	return 0;
}

/* Ring figures per bound queue; the header names the columns. */
static int nfqr_proc_ring_show(struct seq_file *s, void *v)
{
	struct nfqr_net *qn = nfqr_pernet(seq_file_single_net(s));
	struct nfqr_instance *inst;
	unsigned int i;

	seq_printf(s, "# nfqring abi %u\n", NFQRING_ABI_VERSION);
	seq_puts(s, "# queue transport pid rx_frame_nr rx_frame_size tx_frame_nr tx_frame_size rx_in_use rx_frames rx_copy rx_overruns backlog_drops tx_frames tx_errors tx_batches\n");
	rcu_read_lock();
	for (i = 0; i < NFQR_QUEUE_HASH_SIZE; i++) {
		hlist_for_each_entry_rcu(inst, &qn->table[i], node) {
			seq_printf(s, "%u ", inst->queue_num);
			if (nfqr_peer_is_ring(inst->peer))
				nfqr_ep_show(s, inst->peer);
			else
				seq_printf(s, "netlink %u\n", inst->peer->portid);
		}
	}
	rcu_read_unlock();
	return 0;
}

/*
 * One "name value" line per counter, then in_flight: what the queues hold
 * now (queued minus the three ways out; exact once traffic has stopped).
 */
static int nfqr_proc_stats_show(struct seq_file *s, void *v)
{
	struct nfqr_net *qn = nfqr_pernet(seq_file_single_net(s));
	u64 sum[NFQR_STAT_MAX] = {};
	unsigned int cpu, i;

	for_each_possible_cpu(cpu) {
		const struct nfqr_stats *st = per_cpu_ptr(qn->stats_mem, cpu);

		for (i = 0; i < NFQR_STAT_MAX; i++)
			sum[i] += READ_ONCE(st->v[i]);
	}
	for (i = 0; i < NFQR_STAT_MAX; i++)
		seq_printf(s, "%s %llu\n", nfqr_stat_names[i], sum[i]);
	seq_printf(s, "in_flight %lld\n",
		   (s64)(sum[NFQR_STAT_QUEUED] - sum[NFQR_STAT_VERDICTS] -
			 sum[NFQR_STAT_FLUSHED] - sum[NFQR_STAT_UNDELIVERED] -
			 sum[NFQR_STAT_STALL_FLUSHED]));
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
	if (!proc_create_net_single(NFQR_PROC_STATS, 0444,
				    net->nf.proc_netfilter,
				    nfqr_proc_stats_show, NULL)) {
		remove_proc_entry(NFQR_PROC_RING, net->nf.proc_netfilter);
		remove_proc_entry(NFQR_PROC_STOCK, net->nf.proc_netfilter);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit nfqr_proc_net_exit(struct net *net)
{
	remove_proc_entry(NFQR_PROC_STATS, net->nf.proc_netfilter);
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
