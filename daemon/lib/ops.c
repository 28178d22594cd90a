/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real system calls behind struct nfqring_ops. */
#include <fcntl.h>
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
};
