// SPDX-License-Identifier: GPL-2.0
/*
 * nfqring: the NFQUEUE backend with memory-mapped rings.
 *
 * Init order matters (see also proc.c):
 *  1. per-net state, so that nothing below can see a namespace without it;
 *  2. the NFNL_SUBSYS_QUEUE nfnetlink subsystem, whose -EBUSY is the mutual
 *     exclusion with the stock nfnetlink_queue;
 *  3. a module notifier that refuses nfnetlink_queue from then on (its init
 *     would otherwise trip procfs's duplicate-name WARN before it notices
 *     the subsystem is taken);
 *  4. the proc files, 5. /dev/nfqring, 6. the queue handler, last, so that
 *     no packet arrives before everything it may touch exists.
 * Exit runs the same steps backwards and waits for RCU readers of the queue
 * handler before anything is freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/string.h>

#include "clock.h"
#include "internal.h"

#define NFQR_STOCK_MODULE	"nfnetlink_queue"

static int nfqr_module_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct module *mod = data;

	if (action != MODULE_STATE_COMING || strcmp(mod->name, NFQR_STOCK_MODULE))
		return NOTIFY_DONE;

	pr_notice("refusing to load %s: nfqring serves the NFQUEUE backend; run 'rmmod nfqring' first\n",
		  NFQR_STOCK_MODULE);
	return notifier_from_errno(-EBUSY);
}

static struct notifier_block nfqr_module_nb = {
	.notifier_call = nfqr_module_notify,
};

static int __init nfqr_init(void)
{
	int err;

	nfqr_clock_init();
	err = nfqr_queue_init();
	if (err)
		return err;
	err = nfqr_netlink_init();
	if (err)
		goto err_queue;
	err = register_module_notifier(&nfqr_module_nb);
	if (err)
		goto err_netlink;
	err = nfqr_proc_init();
	if (err)
		goto err_notifier;
	err = nfqr_dev_init();
	if (err)
		goto err_proc;

	nf_register_queue_handler(&nfqr_queue_handler);
	pr_info("serving the NFQUEUE backend (rings on /dev/nfqring)\n");
	return 0;

err_proc:
	nfqr_proc_exit();
err_notifier:
	unregister_module_notifier(&nfqr_module_nb);
err_netlink:
	nfqr_netlink_exit();
err_queue:
	nfqr_queue_exit();
	return err;
}

static void __exit nfqr_exit(void)
{
	nf_unregister_queue_handler();
	/* Enqueue runs under rcu_read_lock(): let it finish before teardown. */
	synchronize_rcu();

	nfqr_dev_exit();
	nfqr_proc_exit();
	unregister_module_notifier(&nfqr_module_nb);
	nfqr_netlink_exit();
	nfqr_queue_exit();
}

module_init(nfqr_init);
module_exit(nfqr_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("The nfqring authors");
MODULE_DESCRIPTION("NFQUEUE backend with memory-mapped RX/TX rings");
MODULE_VERSION(NFQR_VERSION);
