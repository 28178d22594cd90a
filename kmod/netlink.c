// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink transport: nfqring registers the NFNL_SUBSYS_QUEUE nfnetlink
 * subsystem, exactly as nfnetlink_queue does.  Only one module can hold it,
 * so a successful registration is also what proves that the stock module is
 * not loaded.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "internal.h"

/* The message handlers of the classic transport are not served yet. */
static int nfqr_nl_unsupported(struct sk_buff *skb, const struct nfnl_info *info,
			       const struct nlattr * const nfqa[])
{
	return -EOPNOTSUPP;
}

static const struct nfnl_callback nfqr_nl_cb[NFQNL_MSG_MAX] = {
	[NFQNL_MSG_PACKET] = {
		.call		= nfqr_nl_unsupported,
		.type		= NFNL_CB_RCU,
		.attr_count	= NFQA_MAX,
	},
	[NFQNL_MSG_VERDICT] = {
		.call		= nfqr_nl_unsupported,
		.type		= NFNL_CB_RCU,
		.attr_count	= NFQA_MAX,
	},
	[NFQNL_MSG_CONFIG] = {
		.call		= nfqr_nl_unsupported,
		.type		= NFNL_CB_MUTEX,
		.attr_count	= NFQA_CFG_MAX,
	},
	[NFQNL_MSG_VERDICT_BATCH] = {
		.call		= nfqr_nl_unsupported,
		.type		= NFNL_CB_RCU,
		.attr_count	= NFQA_MAX,
	},
};

static const struct nfnetlink_subsystem nfqr_nl_subsys = {
	.name		= "nf_queue",
	.subsys_id	= NFNL_SUBSYS_QUEUE,
	.cb_count	= NFQNL_MSG_MAX,
	.cb		= nfqr_nl_cb,
};

int nfqr_netlink_init(void)
{
	int err = nfnetlink_subsys_register(&nfqr_nl_subsys);

	if (err == -EBUSY)
		pr_err("the NFQUEUE backend is taken, most likely by nfnetlink_queue: run 'rmmod nfnetlink_queue' before loading nfqring\n");
	else if (err)
		pr_err("cannot register the nfnetlink queue subsystem: %d\n", err);
	return err;
}

void nfqr_netlink_exit(void)
{
	nfnetlink_subsys_unregister(&nfqr_nl_subsys);
}
