/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real system calls behind struct nfqring_ops. */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "internal.h"

static int sys_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg);
}

static long sys_page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static int sys_open(const char *path, int flags)
{
	return open(path, flags);
}

static int sys_nl_socket(void)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK };	/* portid 0: autobind */
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int sys_recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	return recvmmsg(fd, v, n, flags, NULL);
}

const struct nfqring_ops nfqring_sys_ops = {
	.open = sys_open,
	.close = close,
	.ioctl = sys_ioctl,
	.mmap = mmap,
	.munmap = munmap,
	.read = read,
	.write = write,
	.poll = poll,
	.page_size = sys_page_size,
	.nl_socket = sys_nl_socket,
	.setsockopt = setsockopt,
	.recvmmsg = sys_recvmmsg,
	.sendmsg = sendmsg,
};
