// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/nfqring: each open file is one endpoint, bound to the network
 * namespace of its opener for its whole life.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/slab.h>
#include <uapi/linux/nfqring.h>

#include "internal.h"

struct nfqr_endpoint {
	struct net	*net;	/* the opener's namespace, referenced */
};

/*
 * As netlink does: the capability must be held in the namespace's owning
 * user namespace both by whoever opened the file and by the caller, so a
 * descriptor passed to an unprivileged process is useless to it.
 */
static bool nfqr_capable(struct file *file, struct net *net)
{
	return file_ns_capable(file, net->user_ns, CAP_NET_ADMIN) &&
	       ns_capable(net->user_ns, CAP_NET_ADMIN);
}

static int nfqr_dev_open(struct inode *inode, struct file *file)
{
	struct net *net = current->nsproxy->net_ns;
	struct nfqr_endpoint *ep;
	int err;

	if (!ns_capable(net->user_ns, CAP_NET_ADMIN))
		return -EPERM;

	/* misc_open() stored the miscdevice here; we replace it. */
	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep)
		return -ENOMEM;
	ep->net = get_net(net);
	file->private_data = ep;

	err = nonseekable_open(inode, file);
	if (err) {
		put_net(ep->net);
		kfree(ep);
	}
	return err;
}

static int nfqr_dev_release(struct inode *inode, struct file *file)
{
	struct nfqr_endpoint *ep = file->private_data;

	put_net(ep->net);
	kfree(ep);
	return 0;
}

static long nfqr_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct nfqr_endpoint *ep = file->private_data;

	if (!nfqr_capable(file, ep->net))
		return -EPERM;

	switch (cmd) {
	case NFQRING_GET_VERSION:
		return NFQRING_ABI_VERSION;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations nfqr_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= nfqr_dev_open,
	.release	= nfqr_dev_release,
	.unlocked_ioctl	= nfqr_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice nfqr_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= NFQRING_DEVICE_NAME,
	.fops	= &nfqr_dev_fops,
	.mode	= 0600,
};

int nfqr_dev_init(void)
{
	return misc_register(&nfqr_miscdev);
}

void nfqr_dev_exit(void)
{
	misc_deregister(&nfqr_miscdev);
}
