/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The exported symbols: the libc functions a netlink-mmap program calls on
 * its socket.  Each looks the descriptor up (one load while no socket has
 * rings) and calls the real function for anything untracked, so a program
 * that never asks for rings runs exactly as without the library.  errno is
 * left alone by calls that succeed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nlmmap.h"

/* Keeps errno across the reference drop (which may close descriptors). */
#define PUT_KEEP_ERRNO(s) do { int e_ = errno; nlm_put(s); errno = e_; } while (0)

/* fd now also names what old names (after a successful dup of old to fd). */
static void track_dup(int old, int fd)
{
	struct nlm_sock *s;

	nlm_untrack(fd);
	s = nlm_get(old);
	if (s) {
		nlm_track(fd, s);
		nlm_put(s);
	}
}

static bool tracked(int fd)
{
	struct nlm_sock *s = nlm_get(fd);

	if (s)
		PUT_KEEP_ERRNO(s);
	return s != NULL;
}

#pragma GCC visibility push(default)

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct nlm_sock *s;
	int saved = errno, r;

	if (level == SOL_NETLINK && (name == NETLINK_RX_RING || name == NETLINK_TX_RING)) {
		s = nlm_get(fd);
		r = nlm_set_ring(fd, s, name, val, len);
		if (s)
			PUT_KEEP_ERRNO(s);
		if (r == 0)
			errno = saved;
		return r;
	}
	s = nlm_get(fd);
	if (!s)
		return REAL(setsockopt)(fd, level, name, val, len);
	r = REAL(setsockopt)(s->nl, level, name, val, len);
	if (r == 0 && level == SOL_NETLINK && name == NETLINK_NO_ENOBUFS && len >= (socklen_t)sizeof(int))
		atomic_store(&s->no_enobufs, *(const int *)val != 0);
	PUT_KEEP_ERRNO(s);
	return r;
}

/* Calls that belong to the netlink socket itself. */
#define ON_SOCKET(call, fd, ...) do {						\
	struct nlm_sock *s = nlm_get(fd);					\
	int r_;									\
										\
	if (!s)									\
		return REAL(call)(fd, __VA_ARGS__);				\
	r_ = REAL(call)(s->nl, __VA_ARGS__);					\
	PUT_KEEP_ERRNO(s);							\
	return r_;								\
} while (0)

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct nlm_sock *s;
	int r;

	if (level != SOL_SOCKET || name != SO_ERROR)
		ON_SOCKET(getsockopt, fd, level, name, val, len);
	s = nlm_get(fd);
	if (!s)
		return REAL(getsockopt)(fd, level, name, val, len);
	r = nlm_so_error(s, val, len);
	PUT_KEEP_ERRNO(s);
	return r;
}

int getsockname(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	ON_SOCKET(getsockname, fd, addr.__sockaddr__, len);
}

int getpeername(int fd, __SOCKADDR_ARG addr, socklen_t *len)
{
	ON_SOCKET(getpeername, fd, addr.__sockaddr__, len);
}

int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	struct nlm_sock *s = nlm_get(fd);
	int r;

	if (!s)
		return REAL(bind)(fd, addr.__sockaddr__, len);
	r = REAL(bind)(s->nl, addr.__sockaddr__, len);
	atomic_store(&s->portid, 0);	/* looked up again when needed */
	PUT_KEEP_ERRNO(s);
	return r;
}

int connect(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	ON_SOCKET(connect, fd, addr.__sockaddr__, len);
}

int shutdown(int fd, int how)
{
	ON_SOCKET(shutdown, fd, how);
}

/* A send on a ring socket: errno as the call left it, or as it was. */
static ssize_t send_on(struct nlm_sock *s, int fd, const struct msghdr *m, int flags)
{
	int saved = errno;
	ssize_t r = nlm_sendmsg(s, fd, m, flags);

	PUT_KEEP_ERRNO(s);
	if (r >= 0)
		errno = saved;
	return r;
}

/*
 * The end of sendmmsg()/recvmmsg() on a ring socket after @i of @n
 * messages: -1 with the first one's errno, else the count with errno as
 * it was (@saved).
 */
static int mmsg_done(struct nlm_sock *s, unsigned int i, unsigned int n, int saved)
{
	PUT_KEEP_ERRNO(s);
	if (i == 0 && n)
		return -1;
	errno = saved;
	return (int)i;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct nlm_sock *s = nlm_get(fd);

	if (!s)
		return REAL(sendmsg)(fd, msg, flags);
	return send_on(s, fd, msg, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, __CONST_SOCKADDR_ARG to,
	       socklen_t tolen)
{
	struct nlm_sock *s = nlm_get(fd);
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (!s)
		return REAL(sendto)(fd, buf, len, flags, to.__sockaddr__, tolen);
	m.msg_name = (void *)to.__sockaddr__;
	m.msg_namelen = to.__sockaddr__ ? tolen : 0;
	return send_on(s, fd, &m, flags);
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	struct nlm_sock *s = nlm_get(fd);
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (!s)
		return REAL(send)(fd, buf, len, flags);
	return send_on(s, fd, &m, flags);
}

int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags)
{
	struct nlm_sock *s = nlm_get(fd);
	int saved = errno;
	unsigned int i;
	ssize_t r = 0;

	if (!s)
		return REAL(sendmmsg)(fd, v, n, flags);
	for (i = 0; i < n; i++) {
		r = nlm_sendmsg(s, fd, &v[i].msg_hdr, flags);
		if (r < 0)
			break;
		v[i].msg_len = (unsigned int)r;
	}
	return mmsg_done(s, i, n, saved);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	struct nlm_sock *s = nlm_get(fd);
	struct iovec iov = { (void *)buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (!s)
		return REAL(write)(fd, buf, len);
	return send_on(s, fd, &m, 0);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	struct nlm_sock *s = nlm_get(fd);
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = n < 0 ? 0 : (size_t)n };

	if (!s)
		return REAL(writev)(fd, iov, n);
	if (n <= 0) {
		PUT_KEEP_ERRNO(s);
		errno = EINVAL;
		return n == 0 ? 0 : -1;
	}
	return send_on(s, fd, &m, 0);
}

static ssize_t recv_on(struct nlm_sock *s, struct msghdr *m, int flags)
{
	int saved = errno;
	ssize_t r = nlm_recvmsg(s, m, flags);

	PUT_KEEP_ERRNO(s);
	if (r >= 0)
		errno = saved;
	return r;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct nlm_sock *s = nlm_get(fd);

	if (!s)
		return REAL(recvmsg)(fd, msg, flags);
	return recv_on(s, msg, flags);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, __SOCKADDR_ARG from,
		 socklen_t *fromlen)
{
	struct nlm_sock *s = nlm_get(fd);
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t r;

	if (!s)
		return REAL(recvfrom)(fd, buf, len, flags, from.__sockaddr__, fromlen);
	if (from.__sockaddr__ && fromlen) {
		m.msg_name = from.__sockaddr__;
		m.msg_namelen = *fromlen;
	}
	r = recv_on(s, &m, flags);
	if (r >= 0 && from.__sockaddr__ && fromlen)
		*fromlen = m.msg_namelen;
	return r;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	struct nlm_sock *s = nlm_get(fd);
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (!s)
		return REAL(recv)(fd, buf, len, flags);
	return recv_on(s, &m, flags);
}

int recvmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags, struct timespec *tmo)
{
	struct nlm_sock *s = nlm_get(fd);
	int saved = errno;
	unsigned int i;

	if (!s)
		return REAL(recvmmsg)(fd, v, n, flags, tmo);
	for (i = 0; i < n; i++) {
		/* the first as asked, the rest without waiting (MSG_WAITFORONE) */
		ssize_t r = nlm_recvmsg(s, &v[i].msg_hdr, i ? flags | MSG_DONTWAIT : flags);

		if (r < 0)
			break;
		v[i].msg_len = (unsigned int)r;
	}
	return mmsg_done(s, i, n, saved);
}

ssize_t read(int fd, void *buf, size_t len)
{
	struct nlm_sock *s = nlm_get(fd);
	struct iovec iov = { buf, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (!s)
		return REAL(read)(fd, buf, len);
	return recv_on(s, &m, 0);
}

ssize_t readv(int fd, const struct iovec *iov, int n)
{
	struct nlm_sock *s = nlm_get(fd);
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = n < 0 ? 0 : (size_t)n };

	if (!s)
		return REAL(readv)(fd, iov, n);
	if (n <= 0) {
		PUT_KEEP_ERRNO(s);
		errno = EINVAL;
		return n == 0 ? 0 : -1;
	}
	return recv_on(s, &m, 0);
}

/* _FORTIFY_SOURCE's checked variants: the check, then the same path. */
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen)
{
	if (len > buflen || !tracked(fd))
		return REAL(__read_chk)(fd, buf, len, buflen);
	return read(fd, buf, len);
}

ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags)
{
	if (len > buflen || !tracked(fd))
		return REAL(__recv_chk)(fd, buf, len, buflen, flags);
	return recv(fd, buf, len, flags);
}

ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       struct sockaddr *from, socklen_t *fromlen)
{
	if (len > buflen || !tracked(fd))
		return REAL(__recvfrom_chk)(fd, buf, len, buflen, flags, from, fromlen);
	return recvfrom(fd, buf, len, flags, from, fromlen);
}

/* ---- descriptors -------------------------------------------------------- */

int close(int fd)
{
	if (nlm_is_internal(fd)) {
		errno = EBADF;	/* not a descriptor the program has */
		return -1;
	}
	nlm_untrack(fd);	/* before the number can be handed out again */
	return REAL(close)(fd);
}

int dup(int fd)
{
	int r = REAL(dup)(fd);

	if (r >= 0 && atomic_load_explicit(&nlm_live, memory_order_relaxed)) {
		int saved = errno;

		track_dup(fd, r);
		errno = saved;
	}
	return r;
}

int dup2(int fd, int to)
{
	int r = REAL(dup2)(fd, to);

	if (r >= 0 && fd != to && atomic_load_explicit(&nlm_live, memory_order_relaxed)) {
		int saved = errno;

		track_dup(fd, to);
		errno = saved;
	}
	return r;
}

int dup3(int fd, int to, int flags)
{
	int r = REAL(dup3)(fd, to, flags);

	if (r >= 0 && atomic_load_explicit(&nlm_live, memory_order_relaxed)) {
		int saved = errno;

		track_dup(fd, to);
		errno = saved;
	}
	return r;
}

static int fcntl_impl(int fd, int cmd, void *arg)
{
	struct nlm_sock *s;
	int r;

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		r = REAL(fcntl)(fd, cmd, arg);
		if (r >= 0 && atomic_load_explicit(&nlm_live, memory_order_relaxed)) {
			int saved = errno;

			track_dup(fd, r);
			errno = saved;
		}
		return r;
	case F_GETFL:
	case F_SETFL:
	case F_GETOWN:
	case F_SETOWN:
	case F_GETOWN_EX:
	case F_SETOWN_EX:
	case F_GETSIG:
	case F_SETSIG:
		/* the socket's status flags and owner, not the device's */
		s = nlm_get(fd);
		if (s) {
			r = REAL(fcntl)(s->nl, cmd, arg);
			PUT_KEEP_ERRNO(s);
			return r;
		}
		return REAL(fcntl)(fd, cmd, arg);
	default:
		return REAL(fcntl)(fd, cmd, arg);
	}
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);	/* int or pointer: passed on as it came */
	va_end(ap);
	return fcntl_impl(fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_impl(fd, cmd, arg);
}

int ioctl(int fd, unsigned long req, ...)
{
	struct nlm_sock *s;
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	s = nlm_get(fd);
	if (!s)
		return REAL(ioctl)(fd, req, arg);
	/* FIONBIO, FIONREAD, SIOCGSTAMP...: the socket's */
	r = REAL(ioctl)(s->nl, req, arg);
	PUT_KEEP_ERRNO(s);
	return r;
}

/* ---- the ring mapping ------------------------------------------------------ */

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct nlm_sock *s = fd >= 0 ? nlm_get(fd) : NULL;
	void *p;

	if (!s)
		return REAL(mmap)(addr, len, prot, flags, fd, off);
	p = nlm_mmap(s, addr, len, prot, flags, off);
	PUT_KEEP_ERRNO(s);
	return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len)
{
	nlm_munmap_note(addr, len);
	return REAL(munmap)(addr, len);
}

#pragma GCC visibility pop
