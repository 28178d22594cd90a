// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/nfqring: the file operations.  Each open file is one endpoint
 * (endpoint.c), bound to the network namespace of its opener for its whole
 * life.  Every operation checks CAP_NET_ADMIN, then copies what userspace
 * passed into kernel memory before anything looks at it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/uaccess.h>

#include "endpoint.h"

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

static struct nfqr_endpoint *nfqr_file_ep(struct file *file)
{
	return file->private_data;
}

static int nfqr_dev_open(struct inode *inode, struct file *file)
{
	struct net *net = current->nsproxy->net_ns;
	struct nfqr_endpoint *ep;
	int err;

	if (!ns_capable(net->user_ns, CAP_NET_ADMIN))
		return -EPERM;

	err = nonseekable_open(inode, file);
	if (err)
		return err;
	/* misc_open() stored the miscdevice here; the endpoint replaces it. */
	ep = nfqr_ep_create(net);
	if (!ep)
		return -ENOMEM;
	file->private_data = ep;
	return 0;
}

static int nfqr_dev_release(struct inode *inode, struct file *file)
{
	nfqr_ep_release(nfqr_file_ep(file));
	return 0;
}

static long nfqr_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct nfqr_endpoint *ep = nfqr_file_ep(file);
	void __user *uarg = (void __user *)arg;
	struct nfqring_wake_stats wst;
	struct nfqring_tx_result res;
	struct nfqring_stall stall;
	struct nfqring_wake wake;
	struct nfqring_stats st;
	struct nl_mmap_req req;
	int ret;

	if (!nfqr_capable(file, ep->net))
		return -EPERM;

	switch (cmd) {
	case NFQRING_GET_VERSION:
		return READ_ONCE(ep->v2) ? NFQRING_ABI_VERSION_2 : NFQRING_ABI_VERSION;
	case NFQRING_SET_VERSION:
		return nfqr_wake_set_version(ep, arg);
	case NFQRING_SET_WAKE:
		if (copy_from_user(&wake, uarg, sizeof(wake)))
			return -EFAULT;
		ret = nfqr_wake_set(ep, &wake);
		if (!ret && copy_to_user(uarg, &wake, sizeof(wake)))
			return -EFAULT;
		return ret;
	case NFQRING_SET_STALL:
		if (copy_from_user(&stall, uarg, sizeof(stall)))
			return -EFAULT;
		return nfqr_stall_set(ep, &stall);
	case NFQRING_GET_WAKE_STATS:
		if (!READ_ONCE(ep->v2))
			return -EOPNOTSUPP;
		memset(&wst, 0, sizeof(wst));
		nfqr_wake_stats(ep, &wst);
		nfqr_stall_stats(ep, &wst);
		if (copy_to_user(uarg, &wst, sizeof(wst)))
			return -EFAULT;
		return 0;
	case NFQRING_SET_RX_RING:
	case NFQRING_SET_TX_RING:
		if (copy_from_user(&req, uarg, sizeof(req)))
			return -EFAULT;
		return nfqr_ep_set_ring(ep, cmd == NFQRING_SET_TX_RING, &req);
	case NFQRING_TX_FLUSH:
		ret = nfqr_ep_flush(ep, &res);
		if (uarg && copy_to_user(uarg, &res, sizeof(res)))
			return -EFAULT;
		return ret;
	case NFQRING_SET_ACKS:
		return nfqr_ep_set_acks(ep, arg);
	case NFQRING_GET_STATS:
		nfqr_ep_stats(ep, &st);
		if (copy_to_user(uarg, &st, sizeof(st)))
			return -EFAULT;
		return 0;
	default:
		return -ENOTTY;
	}
}

static int nfqr_dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct nfqr_endpoint *ep = nfqr_file_ep(file);

	if (!nfqr_capable(file, ep->net))
		return -EPERM;
	return nfqr_ep_mmap(ep, vma);
}

static ssize_t nfqr_dev_read(struct file *file, char __user *buf, size_t count,
			     loff_t *ppos)
{
	struct nfqr_endpoint *ep = nfqr_file_ep(file);

	if (!nfqr_capable(file, ep->net))
		return -EPERM;
	return nfqr_ep_read(ep, buf, count, file->f_flags & O_NONBLOCK);
}

static ssize_t nfqr_dev_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct nfqr_endpoint *ep = nfqr_file_ep(file);

	if (!nfqr_capable(file, ep->net))
		return -EPERM;
	return nfqr_ep_write(ep, buf, count);
}

static __poll_t nfqr_dev_poll(struct file *file, poll_table *wait)
{
	return nfqr_ep_poll(nfqr_file_ep(file), file, wait);
}

static const struct file_operations nfqr_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= nfqr_dev_open,
	.release	= nfqr_dev_release,
	.unlocked_ioctl	= nfqr_dev_ioctl,
	/* Every argument has the same layout for 32-bit callers. */
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= nfqr_dev_mmap,
	.read		= nfqr_dev_read,
	.write		= nfqr_dev_write,
	.poll		= nfqr_dev_poll,
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
