/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the C selftests. */
#ifndef NFQR_SELFTEST_COMMON_H
#define NFQR_SELFTEST_COMMON_H

#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

/* Loads nfqring the way a user does; 0 on success. */
static inline int nfqr_modprobe(void)
{
	return system("modprobe nfqring");
}

/*
 * Drops CAP_NET_ADMIN from the effective set of the calling thread while
 * staying root, so that only the capability check can refuse what follows.
 */
static inline int nfqr_drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	return syscall(SYS_capset, &hdr, data);
}

#endif
