/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nfqring: memory-mapped NFQUEUE rings on /dev/nfqring.
 *
 * This header is the ABI.  It is shared by the kernel module and by
 * userspace; the manual page nfqring(4) explains it at length.
 *
 * Each open(2) of /dev/nfqring is one endpoint, bound to the network
 * namespace of the opener.  Queue numbers are per namespace, as with
 * nfnetlink_queue.  Every call needs CAP_NET_ADMIN in the user namespace
 * that owns that network namespace, both for the opener and the caller.
 */
#ifndef _UAPI_LINUX_NFQRING_H
#define _UAPI_LINUX_NFQRING_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define NFQRING_DEVICE		"/dev/nfqring"
#define NFQRING_DEVICE_NAME	"nfqring"

/* Bumped whenever the ABI below changes incompatibly. */
#define NFQRING_ABI_VERSION	1

#define NFQRING_IOC_MAGIC	0xf7

/* Returns NFQRING_ABI_VERSION. */
#define NFQRING_GET_VERSION	_IO(NFQRING_IOC_MAGIC, 0)

#endif /* _UAPI_LINUX_NFQRING_H */
