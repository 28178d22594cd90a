/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The device behind struct nlm_ops: /dev/nfqring's system calls.  Tests
 * point nlm_ops at a fake endpoint instead. */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "nlmmap.h"

static int sys_open_dev(void)
{
	int fd = open(NFQRING_DEVICE, O_RDWR | O_CLOEXEC | O_NONBLOCK), err;

	if (fd < 0)
		return -errno;
	/* Errors acknowledged, and acknowledgments in COPY frames, as netlink. */
	if (REAL(ioctl)(fd, NFQRING_SET_ACKS, NFQRING_ACKS_NETLINK) < 0) {
		err = errno == ENOTTY ? -ENOPROTOOPT : -errno;
		REAL(close)(fd);
		return err;
	}
	return fd;
}

static int sys_set_ring(int dev, bool tx, const struct nl_mmap_req *req)
{
	int r = REAL(ioctl)(dev, tx ? NFQRING_SET_TX_RING : NFQRING_SET_RX_RING, req);

	return r < 0 ? -errno : 0;
}

static int sys_tx_flush(int dev, struct nfqring_tx_result *res)
{
	int r = REAL(ioctl)(dev, NFQRING_TX_FLUSH, res);

	return r < 0 ? -errno : r;
}

static ssize_t sys_dev_read(int dev, void *buf, size_t len)
{
	ssize_t r = REAL(read)(dev, buf, len);

	return r < 0 ? -errno : r;
}

static ssize_t sys_dev_write(int dev, const void *buf, size_t len)
{
	ssize_t r = REAL(write)(dev, buf, len);

	return r < 0 ? -errno : r;
}

static void *sys_map(void *addr, size_t len, int prot, int flags, int dev, off_t off)
{
	return REAL(mmap)(addr, len, prot, flags, dev, off);
}

const struct nlm_ops nlm_sys_ops = {
	.open_dev = sys_open_dev,
	.set_ring = sys_set_ring,
	.tx_flush = sys_tx_flush,
	.dev_read = sys_dev_read,
	.dev_write = sys_dev_write,
	.map = sys_map,
	.protocol = NETLINK_NETFILTER,
};

const struct nlm_ops *nlm_ops = &nlm_sys_ops;
