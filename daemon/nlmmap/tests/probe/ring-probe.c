/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An old-API program at its smallest, built without the library: a
 * NETLINK_NETFILTER socket asks for an RX ring twice and prints what
 * setsockopt() said each time ("0" or the errno's name), then whether the
 * descriptor is still a socket.  test-nlmmap-so.sh runs it with and without
 * nfqring-nlmmap.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

static const char *name(int e)
{
	switch (e) {
	case 0: return "0";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EBUSY: return "EBUSY";
	default: return strerror(e);
	}
}

int main(void)
{
	struct nl_mmap_req req = { 4096, 4, 2048, 8 };
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER), i;
	struct stat st;

	if (fd < 0) {
		perror("socket");
		return 2;
	}
	for (i = 0; i < 2; i++) {
		errno = 0;
		printf("%s\n", name(setsockopt(fd, SOL_NETLINK, NETLINK_RX_RING, &req, sizeof(req)) ? errno : 0));
	}
	printf("%s\n", fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? "socket" : "not a socket");
	return 0;
}
