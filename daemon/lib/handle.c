/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening and closing an endpoint; accessors and statistics. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

static struct nfqring *handle_new(enum nfqring_backend backend, const struct nfqring_ops *ops)
{
	struct nfqring *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->backend = backend;
	h->ops = ops;
	h->fd = -1;
	h->cur_frame = NO_FRAME;
	return h;
}

static void copy_err(char *errbuf, size_t errlen, const char *msg)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "%s", msg);
}

static int open_device(struct nfqring *h)
{
	int v;

	h->fd = h->ops->open(NFQRING_DEVICE, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (h->fd < 0) {
		int e = errno;

		/* ENXIO/ENODEV: a stale node without the driver behind it */
		if (e == ENOENT || e == ENXIO || e == ENODEV)
			return seterr(h, -ENOENT, "%s not found: load the module with "
				      "'modprobe nfqring' (installed by DKMS)", NFQRING_DEVICE);
		if (e == EACCES || e == EPERM)
			return seterr(h, -e, "%s: %s (CAP_NET_ADMIN is needed)",
				      NFQRING_DEVICE, strerror(e));
		return seterr(h, -e, "%s: %s", NFQRING_DEVICE, strerror(e));
	}
	v = h->ops->ioctl(h->fd, NFQRING_GET_VERSION, NULL);
	if (v < 0)
		return seterr(h, -errno, "%s: NFQRING_GET_VERSION: %s", NFQRING_DEVICE,
			      strerror(errno));
	if (v != NFQRING_ABI_VERSION)
		return seterr(h, -EPROTO, "%s speaks ABI version %d, this library %d: "
			      "install matching module and library", NFQRING_DEVICE, v,
			      NFQRING_ABI_VERSION);
	return 0;
}

static int open_with(struct nfqring **hp, enum nfqring_backend backend,
		     const struct nfqring_ops *ops, char *errbuf, size_t errlen)
{
	struct nfqring *h;
	int r;

	*hp = NULL;
	h = handle_new(backend, ops);
	if (!h) {
		copy_err(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	r = backend == NFQRING_BACKEND_NETLINK ? nl_open(h) : open_device(h);
	if (r < 0) {
		copy_err(errbuf, errlen, h->err);
		nfqring_close(h);
		return r;
	}
	*hp = h;
	return 0;
}

int nfqring_open_ops(struct nfqring **hp, const struct nfqring_ops *ops,
		     char *errbuf, size_t errlen)
{
	return open_with(hp, NFQRING_BACKEND_RING, ops, errbuf, errlen);
}

/* AUTO: the ring when the device is there, netlink otherwise. */
static int open_auto(struct nfqring **hp, const struct nfqring_ops *ops, char *errbuf,
		     size_t errlen)
{
	int r = open_with(hp, NFQRING_BACKEND_RING, ops, errbuf, errlen);

	if (r != -ENOENT)
		return r;
	/* keep the ring's message (what to load) if netlink is no better */
	if (open_with(hp, NFQRING_BACKEND_NETLINK, ops, NULL, 0) == 0)
		return 0;
	return r;
}

int nfqring_open_ops_backend(struct nfqring **hp, enum nfqring_backend backend,
			     const struct nfqring_ops *ops, char *errbuf, size_t errlen)
{
	switch (backend) {
	case NFQRING_BACKEND_RING:
	case NFQRING_BACKEND_NETLINK:
		return open_with(hp, backend, ops, errbuf, errlen);
	case NFQRING_BACKEND_AUTO:
		return open_auto(hp, ops, errbuf, errlen);
	}
	*hp = NULL;
	copy_err(errbuf, errlen, "unknown backend");
	return -EINVAL;
}

int nfqring_open(struct nfqring **hp, enum nfqring_backend backend, char *errbuf, size_t errlen)
{
	return nfqring_open_ops_backend(hp, backend, &nfqring_sys_ops, errbuf, errlen);
}

void nfqring_close(struct nfqring *h)
{
	if (!h)
		return;
	if (h->set_up)
		nfqring_flush(h);
	if (h->map)
		h->ops->munmap(h->map, h->map_size);
	ctrl_close(h);
	nl_close(h);
	if (h->fd >= 0)
		h->ops->close(h->fd);
	free(h->copy_buf);
	free(h->wbuf);
	free(h->seen);
	free(h);
}

enum nfqring_backend nfqring_backend(const struct nfqring *h)
{
	return h->backend;
}

int nfqring_fd(const struct nfqring *h)
{
	return h->fd;
}

void nfqring_lib_stats(const struct nfqring *h, struct nfqring_lib_stats *s)
{
	*s = h->st;
}

void nfqring_last_tx_error(const struct nfqring *h, struct nfqring_tx_error *e)
{
	*e = h->tx_err;
}

int nfqring_kernel_stats(struct nfqring *h, struct nfqring_stats *s)
{
	if (h->backend != NFQRING_BACKEND_RING)
		return seterr(h, -EOPNOTSUPP, "kernel ring statistics need the ring backend");
	if (h->ops->ioctl(h->fd, NFQRING_GET_STATS, s) < 0)
		return seterr(h, -errno, "NFQRING_GET_STATS: %s", strerror(errno));
	return 0;
}
