/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * setsockopt(SOL_NETLINK, NETLINK_RX_RING / NETLINK_TX_RING): the 4.5
 * kernel's rules (netlink_setsockopt, netlink_set_ring), then the ring on a
 * device endpoint, then the descriptor replacement (nlmmap.h).
 *
 * Order of the checks, as in 4.5: the capability (here: opening the
 * device), the option length, copying the request, EBUSY while mapped,
 * EBUSY when the ring exists and this is not a tear-down, the geometry.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "nlmmap.h"

int nlm_check_geometry(const struct nl_mmap_req *req, long page_size)
{
	uint64_t per_block;

	if (!req->nm_block_nr)
		return req->nm_frame_nr ? -EINVAL : 0;
	if ((int)req->nm_block_size <= 0)
		return -EINVAL;
	if (req->nm_block_size % (unsigned long)page_size)
		return -EINVAL;
	if (req->nm_frame_size < NFQRING_HDRLEN)
		return -EINVAL;
	if (req->nm_frame_size % NFQRING_FRAME_ALIGN)
		return -EINVAL;
	per_block = req->nm_block_size / req->nm_frame_size;
	if (per_block == 0)
		return -EINVAL;
	/* 4.5 multiplied in 32 bits; a product that only matched by wrapping
	 * is refused here (the kernel would have failed to allocate it). */
	if (per_block * req->nm_block_nr != req->nm_frame_nr)
		return -EINVAL;
	return 0;
}

/* Is fd a socket of the family and protocol that get rings? */
static bool ring_socket(int fd)
{
	int v = 0;
	socklen_t l = sizeof(v);

	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) < 0 || v != AF_NETLINK)
		return false;
	l = sizeof(v);
	return REAL(getsockopt)(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l) == 0 &&
	       v == nlm_ops->protocol;
}

/* copy_from_user(): EFAULT for a bad pointer instead of a crash. */
static int copy_in(void *dst, const void *src, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)src, len };
	ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		/* no such call here (seccomp): trust the pointer */
		memcpy(dst, src, len);
		return 0;
	}
	return -EFAULT;
}

static void hint_missing(int err)
{
	static atomic_bool said;

	if (getenv("NFQRING_NLMMAP_QUIET") || atomic_exchange(&said, true))
		return;
	nlm_say(err == -ENOENT ?
		"nfqring-nlmmap: " NFQRING_DEVICE " does not exist, so netlink mmap is not available "
		"(NETLINK_RX_RING fails with ENOPROTOOPT). Install the nfqring module "
		"('make dkms-install' in the nfqring sources) and load it: modprobe nfqring" :
		err == -ENOPROTOOPT ?
		"nfqring-nlmmap: the loaded nfqring module is older than this library (it cannot "
		"acknowledge as netlink did), so netlink mmap is not available (NETLINK_RX_RING "
		"fails with ENOPROTOOPT). Install the module from the same sources "
		"('make dkms-install') and reload it: rmmod nfqring; modprobe nfqring" :
		"nfqring-nlmmap: " NFQRING_DEVICE " exists but no module serves it, so netlink mmap "
		"is not available (NETLINK_RX_RING fails with ENOPROTOOPT). Load the nfqring "
		"module: modprobe nfqring");
}

/* The checks after the capability and the copy.  ring: the state of that
 * direction (nm_block_nr 0: none). */
static int check_request(const struct nl_mmap_req *req, const struct nl_mmap_req *ring,
			 bool mapped)
{
	if (mapped)
		return -EBUSY;
	if (req->nm_block_nr && ring->nm_block_nr)
		return -EBUSY;
	return nlm_check_geometry(req, sysconf(_SC_PAGESIZE));
}

static int fail(int err)
{
	errno = -err;
	return -1;
}

/* A ring request on a socket we already serve. */
static int set_ring_tracked(struct nlm_sock *s, bool tx, const struct nl_mmap_req *req)
{
	struct nl_mmap_req *ring = tx ? &s->tx : &s->rx;
	int err;

	pthread_mutex_lock(&s->lock);
	err = check_request(req, ring, atomic_load(&s->map) != NULL);
	if (!err)
		err = nlm_ops->set_ring(s->dev, tx, req);
	if (!err)
		*ring = *req;
	pthread_mutex_unlock(&s->lock);
	return err ? fail(err) : 0;
}

/* The first ring of a socket: a device endpoint, then the replacement. */
static int set_ring_first(int fd, bool tx, const struct nl_mmap_req *req, int dev)
{
	static const struct nl_mmap_req none;
	struct nlm_sock *s;
	int fdflags, v = 0, err;
	socklen_t l = sizeof(v);

	err = check_request(req, &none, false);
	if (err)
		return err;
	if (!req->nm_block_nr)
		return 0;	/* tearing down what does not exist: nothing to serve */
	err = nlm_ops->set_ring(dev, tx, req);
	if (err)
		return err;

	fdflags = REAL(fcntl)(fd, F_GETFD);
	if (fdflags < 0)
		return -errno;
	s = nlm_sock_new();
	if (!s)
		return -ENOMEM;
	s->nl = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, 0);
	if (s->nl < 0) {
		err = -errno;
		nlm_put(s);
		return err;
	}
	nlm_mark_internal(s->nl);
	if (REAL(getsockopt)(s->nl, SOL_NETLINK, NETLINK_NO_ENOBUFS, &v, &l) == 0 && v)
		atomic_store(&s->no_enobufs, true);
	if (tx)
		s->tx = *req;
	else
		s->rx = *req;

	s->dev = dev;

	/* Tracked first: a call that races the dup3() is already emulated. */
	err = nlm_track(fd, s);
	if (!err && REAL(dup3)(dev, fd, (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) {
		err = -errno;
		nlm_untrack(fd);
	}
	if (err) {
		s->dev = -1;	/* the caller closes it */
		nlm_put(s);	/* closes s->nl, the moved-aside copy only */
		return err;
	}
	nlm_mark_internal(dev);
	nlm_put(s);	/* the slot keeps its own reference; dev is the entry's */
	return 1;
}

int nlm_set_ring(int fd, struct nlm_sock *s, int optname, const void *optval,
		 socklen_t optlen)
{
	bool tx = optname == NETLINK_TX_RING;
	struct nl_mmap_req req;
	int dev, err;

	if (s) {
		if (optlen < (socklen_t)sizeof(req))
			return fail(-EINVAL);
		if (copy_in(&req, optval, sizeof(req)))
			return fail(-EFAULT);
		return set_ring_tracked(s, tx, &req);
	}
	if (!ring_socket(fd))
		return REAL(setsockopt)(fd, SOL_NETLINK, optname, optval, optlen);

	pthread_mutex_lock(&nlm_setup_lock);
	s = nlm_get(fd);	/* another thread may have been first */
	if (s) {
		pthread_mutex_unlock(&nlm_setup_lock);
		err = nlm_set_ring(fd, s, optname, optval, optlen);
		nlm_put(s);
		return err;
	}
	dev = nlm_ops->open_dev();
	if (dev < 0) {
		pthread_mutex_unlock(&nlm_setup_lock);
		if (dev == -ENOENT || dev == -ENODEV || dev == -ENXIO || dev == -ENOPROTOOPT) {
			hint_missing(dev);
			/* exactly what this kernel says: ENOPROTOOPT */
			return REAL(setsockopt)(fd, SOL_NETLINK, optname, optval, optlen);
		}
		return fail(dev == -EACCES ? -EPERM : dev);
	}
	if (optlen < (socklen_t)sizeof(req))
		err = -EINVAL;
	else if (copy_in(&req, optval, sizeof(req)))
		err = -EFAULT;
	else
		err = set_ring_first(fd, tx, &req, dev);
	if (err <= 0)
		REAL(close)(dev);
	pthread_mutex_unlock(&nlm_setup_lock);
	return err < 0 ? fail(err) : 0;
}
