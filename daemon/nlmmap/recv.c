/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * recv / recvfrom / recvmsg / read on an emulated socket: the device's
 * read() backlog first (COPY messages and acknowledgments, each with its
 * COPY frame while there is an RX ring), then the netlink socket's queue
 * (replies of other subsystems).
 *
 * The device hands out one message per read() and refuses a buffer too
 * small (EMSGSIZE, the message stays); netlink truncates it (MSG_TRUNC) and
 * drops the rest.  The common case, one buffer big enough, is one read()
 * straight into the caller's buffer.  Small buffers, several iovecs and
 * MSG_PEEK go through the socket's stash, under its lock.
 *
 * Blocking: the library keeps the device descriptor non-blocking and honours
 * the socket's own O_NONBLOCK, MSG_DONTWAIT and SO_RCVTIMEO by poll()ing
 * both.  The device is also readable while an RX frame waits, which is no
 * message for recv(): then the wait looks again every few milliseconds.
 *
 * No lock and no allocation when the message fits the caller's one buffer:
 * read() of a ring socket stays async-signal-safe on that path.  The stash
 * and MSG_PEEK take the socket's mutex.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "nlmmap.h"

#define STASH_MIN	(128U << 10)
#define STASH_MAX	(16U << 20)

static ssize_t fail(int err)
{
	errno = -err;
	return -1;
}

uint32_t nlm_portid(struct nlm_sock *s)
{
	uint32_t p = atomic_load_explicit(&s->portid, memory_order_relaxed);
	struct sockaddr_nl a;
	socklen_t l = sizeof(a);

	if (p)
		return p;
	if (REAL(getsockname)(s->nl, (struct sockaddr *)&a, &l) == 0 && a.nl_pid) {
		p = a.nl_pid;
		atomic_store_explicit(&s->portid, p, memory_order_relaxed);
	}
	return p;
}

/* A message just read from the device: acknowledgments get the socket's
 * portid, as netlink_ack() set it. */
static void fix_msg(struct nlm_sock *s, void *buf, size_t len)
{
	struct nlmsghdr *nlh = buf;

	if (len >= NLMSG_HDRLEN && nlh->nlmsg_type == NLMSG_ERROR)
		nlh->nlmsg_pid = nlm_portid(s);
}

/* Copies len bytes of data into msg's iovecs; the recvmsg() result. */
static ssize_t deliver(struct msghdr *msg, int flags, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t done = 0, i;

	for (i = 0; i < msg->msg_iovlen && done < len; i++) {
		size_t n = msg->msg_iov[i].iov_len;

		if (n > len - done)
			n = len - done;
		if (n)	/* recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC) asks for the length */
			memcpy(msg->msg_iov[i].iov_base, p + done, n);
		done += n;
	}
	msg->msg_flags = done < len ? MSG_TRUNC : 0;
	return (flags & MSG_TRUNC) ? (ssize_t)len : (ssize_t)done;
}

static void from_kernel(struct msghdr *msg)
{
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };

	if (msg->msg_name && msg->msg_namelen) {
		memcpy(msg->msg_name, &k, msg->msg_namelen < sizeof(k) ? msg->msg_namelen : sizeof(k));
		msg->msg_namelen = sizeof(k);
	}
	msg->msg_controllen = 0;
}

/* Under s->lock: one device message into the stash.  Length or -errno. */
static ssize_t stash_fill(struct nlm_sock *s)
{
	for (;;) {
		ssize_t r;

		if (!s->stash_cap) {
			s->stash = malloc(STASH_MIN);
			if (!s->stash)
				return -ENOMEM;
			s->stash_cap = STASH_MIN;
		}
		r = nlm_ops->dev_read(s->dev, s->stash, s->stash_cap);
		if (r != -EMSGSIZE)
			return r;
		if (s->stash_cap >= STASH_MAX)
			return -EMSGSIZE;
		{
			unsigned char *bigger = realloc(s->stash, s->stash_cap * 2);

			if (!bigger)
				return -ENOMEM;
			s->stash = bigger;
			s->stash_cap *= 2;
		}
	}
}

/* The stash's message to the caller (kept with MSG_PEEK). */
static ssize_t stash_deliver(struct nlm_sock *s, struct msghdr *msg, int flags)
{
	ssize_t r = deliver(msg, flags, s->stash, s->stash_len);

	if (!(flags & MSG_PEEK)) {
		s->stash_len = 0;
		atomic_store(&s->has_stash, false);
	}
	from_kernel(msg);
	return r;
}

/* The device's next message; -EAGAIN when its backlog is empty. */
static ssize_t from_device(struct nlm_sock *s, struct msghdr *msg, int flags)
{
	ssize_t r;

	if (msg->msg_iovlen == 1 && !(flags & MSG_PEEK) && !atomic_load(&s->has_stash)) {
		r = nlm_ops->dev_read(s->dev, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len);
		if (r >= 0) {
			fix_msg(s, msg->msg_iov[0].iov_base, (size_t)r);
			msg->msg_flags = 0;
			from_kernel(msg);
			return r;
		}
		if (r != -EMSGSIZE)
			return r;
	}
	pthread_mutex_lock(&s->lock);
	if (!s->stash_len) {
		r = stash_fill(s);
		if (r < 0) {
			pthread_mutex_unlock(&s->lock);
			return r;
		}
		fix_msg(s, s->stash, (size_t)r);
		s->stash_len = (size_t)r;
		atomic_store(&s->has_stash, true);
	}
	r = stash_deliver(s, msg, flags);
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int rcv_timeout_ms(struct nlm_sock *s)
{
	struct timeval tv = { 0 };
	socklen_t l = sizeof(tv);

	if (REAL(getsockopt)(s->nl, SOL_SOCKET, SO_RCVTIMEO, &tv, &l) < 0 ||
	    (tv.tv_sec == 0 && tv.tv_usec == 0))
		return -1;
	if (tv.tv_sec > 1000000)
		return 1000000000;
	return (int)(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
}

ssize_t nlm_recvmsg(struct nlm_sock *s, struct msghdr *msg, int flags)
{
	int timeout = -2, wait_ms = 1;	/* -2: not looked up yet */
	bool frames_only = false;

	for (;;) {
		struct pollfd p[2];
		ssize_t r;
		int n, t;

		r = from_device(s, msg, flags & ~MSG_DONTWAIT);
		if (r >= 0)
			return r;
		if (r == -ENOBUFS) {
			if (atomic_load(&s->no_enobufs))
				continue;	/* NETLINK_NO_ENOBUFS: overruns are silent */
			return fail(r);
		}
		if (r != -EAGAIN)
			return fail(r);

		r = REAL(recvmsg)(s->nl, msg, flags | MSG_DONTWAIT);
		if (r >= 0 || errno != EAGAIN)
			return r;

		if ((flags & MSG_DONTWAIT) || (REAL(fcntl)(s->nl, F_GETFL) & O_NONBLOCK))
			return fail(-EAGAIN);
		if (timeout == -2)
			timeout = rcv_timeout_ms(s);

		p[0] = (struct pollfd){ .fd = s->dev, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = s->nl, .events = POLLIN };
		if (frames_only) {
			/* The device was readable for an RX frame, which is no
			 * message for recv(): wait for the socket a few
			 * milliseconds, then look at the device again. */
			t = timeout < 0 || timeout > wait_ms ? wait_ms : timeout;
			if (REAL(poll)(&p[1], 1, t) < 0)
				return -1;
			if (timeout > 0 && (timeout -= t) == 0)
				return fail(-EAGAIN);
			wait_ms = wait_ms < 16 ? wait_ms * 2 : 16;
			frames_only = false;
			continue;
		}
		n = REAL(poll)(p, 2, timeout);
		if (n < 0)
			return -1;	/* EINTR: a signal ends the wait */
		if (n == 0)
			return fail(-EAGAIN);	/* SO_RCVTIMEO ran out */
		frames_only = p[0].revents & POLLIN;
		if (!frames_only)
			wait_ms = 1;
	}
}

int nlm_so_error(struct nlm_sock *s, void *val, socklen_t *len)
{
	int err = 0;
	socklen_t l = sizeof(err);
	ssize_t r;

	if (!val || !len || *len < (socklen_t)sizeof(int))
		return REAL(getsockopt)(s->nl, SOL_SOCKET, SO_ERROR, val, len);
	if (REAL(getsockopt)(s->nl, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
		return -1;
	if (!err) {
		/* A read of nothing: ENOBUFS once after an overrun (and POLLERR
		 * ends), the backlog untouched; EMSGSIZE/EAGAIN say no error. */
		r = nlm_ops->dev_read(s->dev, NULL, 0);
		if (r == -ENOBUFS && !atomic_load(&s->no_enobufs))
			err = ENOBUFS;
	}
	memcpy(val, &err, sizeof(err));
	*len = sizeof(err);
	return 0;
}
