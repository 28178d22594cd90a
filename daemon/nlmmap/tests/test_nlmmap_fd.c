/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The descriptor bookkeeping of libnfqring-nlmmap: a socket without rings is
 * not touched; ring set-up replaces the program's number by the device and
 * keeps the socket aside; dup, dup2, dup3, F_DUPFD, close, fork and threads
 * keep the table right and leak nothing.  The device is the fake.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "nlm_test.h"

#define RX_OK(fd) ring(fd, NETLINK_RX_RING, 4096, 4, 2048, 8)

static unsigned int live(void)
{
	return atomic_load(&nlm_live);
}

static void test_untouched(void)
{
	int base = open_fds(), fd, d, v = 1 << 20;
	struct sockaddr_nl a;
	socklen_t l = sizeof(a);

	fake_reset();
	fd = nl_sock();
	ok(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) == 0, "untouched: SO_RCVBUF set on the socket");
	d = dup(fd);
	ok(d >= 0 && is_socket(d), "untouched: dup is the socket");
	ok(getsockname(d, (struct sockaddr *)&a, &l) == 0 && a.nl_family == AF_NETLINK,
	   "untouched: getsockname");
	is_int(live(), 0, "untouched: nothing tracked");
	is_int(fake.opens, 0, "untouched: the device was never opened");
	close(d);
	close(fd);
	is_int(open_fds(), base, "untouched: no descriptor left");
}

static void test_missing_device(void)
{
	int fd;

	fake_reset();
	fake.open_error = -ENOENT;
	setenv("NFQRING_NLMMAP_QUIET", "1", 1);
	fd = nl_sock();
	is_int(RX_OK(fd), ENOPROTOOPT, "no device: ENOPROTOOPT, as this kernel says");
	ok(is_socket(fd), "no device: the descriptor is still the socket");
	is_int(live(), 0, "no device: nothing tracked");
	fake.open_error = -ENODEV;
	is_int(ring(fd, NETLINK_TX_RING, 4096, 1, 4096, 1), ENOPROTOOPT, "module not loaded: ENOPROTOOPT");
	fake.open_error = -ENOPROTOOPT;	/* a module without NFQRING_SET_ACKS */
	is_int(RX_OK(fd), ENOPROTOOPT, "module older than the library: ENOPROTOOPT");
	ok(is_socket(fd), "... the descriptor is still the socket");
	fake.open_error = -EACCES;
	is_int(RX_OK(fd), EPERM, "device refused: EPERM, as without CAP_NET_ADMIN");
	close(fd);
}

static void test_replacement(void)
{
	int base = open_fds(), fd, v = 0, fl;
	struct sockaddr_nl a = { 0 };
	socklen_t l = sizeof(a);
	uint32_t portid;
	struct stat st;

	fake_reset();
	fd = nl_sock();
	getsockname(fd, (struct sockaddr *)&a, &l);
	portid = a.nl_pid;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	is_int(RX_OK(fd), 0, "set-up: RX ring");
	ok(fstat(fd, &st) == 0 && !S_ISSOCK(st.st_mode), "set-up: the number is the device now");
	is_int(fake.opens, 1, "set-up: one endpoint");
	is_int(live(), 1, "set-up: one number tracked");
	is_int(open_fds(), base + 3, "set-up: the number, the socket aside, the library's device");
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "set-up: close-on-exec kept");
	l = sizeof(a);
	ok(getsockname(fd, (struct sockaddr *)&a, &l) == 0 && a.nl_family == AF_NETLINK &&
	   a.nl_pid == portid, "getsockname: the socket's portid");
	l = sizeof(v);
	ok(getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l) == 0 && v == NETLINK_NETFILTER,
	   "getsockopt: the socket's protocol");
	fl = fcntl(fd, F_GETFL);
	ok(fl >= 0 && !(fl & O_NONBLOCK), "F_GETFL: the socket's flags (blocking)");
	ok(fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK),
	   "F_SETFL: O_NONBLOCK set on the socket");
	is_int(ring(fd, NETLINK_TX_RING, 4096, 1, 1024, 4), 0, "set-up: TX ring on the same endpoint");
	is_int(fake.opens, 1, "set-up: still one endpoint");
	close(fd);
	is_int(live(), 0, "close: untracked");
	is_int(open_fds(), base, "close: the socket and the device closed too");
}

static void test_dups(void)
{
	int base = open_fds(), fd, d, d2, d3, d4, other;
	struct sockaddr_nl a;
	socklen_t l = sizeof(a);

	fake_reset();
	fd = nl_sock();
	RX_OK(fd);
	d = dup(fd);
	d2 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	ok(d >= 0 && d2 >= 100, "dup, F_DUPFD_CLOEXEC");
	is_int(live(), 3, "three numbers tracked");
	close(fd);
	ok(getsockname(d, (struct sockaddr *)&a, &l) == 0 && a.nl_family == AF_NETLINK,
	   "after closing the first number, a dup still answers as the socket");
	d3 = dup3(d, 200, O_CLOEXEC);
	ok(d3 == 200 && (fcntl(d3, F_GETFD) & FD_CLOEXEC), "dup3 with O_CLOEXEC");
	other = open("/dev/null", O_RDONLY);
	ok(dup2(other, d2) == d2 && live() == 2, "dup2 of a file over a tracked number untracks it");
	d4 = dup2(d, 300);
	is_int(live(), 3, "dup2 of a tracked number tracks the new one");
	is_int(dup2(d, d), d, "dup2 onto itself");
	is_int(live(), 3, "... changes nothing");
	close(other);
	close(d2);
	close(d);
	close(d3);
	ok(open_fds() == base + 3, "one number left: it, the socket, the device");
	close(d4);
	is_int(live(), 0, "all closed: untracked");
	is_int(open_fds(), base, "all closed: nothing left");
}

static void test_poll_and_recv(void)
{
	struct qmsg m = verdict_msg(1, 7, 0, 0x77);
	struct pollfd p;
	char buf[512];
	struct nlmsghdr *h = (void *)buf;
	int fd;

	fake_reset();
	fd = nl_sock();
	RX_OK(fd);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	is_int(poll(&p, 1, 0), 0, "poll: nothing to read");
	fake_push(&m, sizeof(m));	/* any message will do */
	ok(poll(&p, 1, 0) == 1 && (p.revents & POLLIN), "poll on the program's number sees the device");
	is_int(recv(fd, buf, sizeof(buf), 0), sizeof(m), "recv returns the device's message");
	ok(h->nlmsg_seq == 0x77, "... the same message");
	is_int(poll(&p, 1, 0), 0, "poll: read, nothing left");
	errno = 0;
	ok(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN, "recv MSG_DONTWAIT: EAGAIN");
	close(fd);
}

static void test_fork(void)
{
	int fd, status = -1;
	pid_t pid;

	fake_reset();
	fd = nl_sock();
	RX_OK(fd);
	pid = fork();
	if (pid == 0) {
		struct sockaddr_nl a;
		socklen_t l = sizeof(a);
		int d = dup(fd), r = 0;

		r |= getsockname(d, (struct sockaddr *)&a, &l) != 0 || a.nl_family != AF_NETLINK;
		r |= live() != 2;
		close(d);
		close(fd);
		r |= live() != 0;
		_exit(r);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fork: the child has the table, dups and closes");
	is_int(live(), 1, "fork: the parent's table is its own");
	ok(!is_socket(fd), "fork: the parent's number is still the device");
	close(fd);
}

static int thread_fd;
static atomic_int thread_errors;

static void *churn(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 2000; i++) {
		int d = dup(thread_fd);
		struct sockaddr_nl a;
		socklen_t l = sizeof(a);
		char buf[64];

		if (d < 0 || getsockname(d, (struct sockaddr *)&a, &l) != 0 ||
		    a.nl_family != AF_NETLINK)
			atomic_fetch_add(&thread_errors, 1);
		if (recv(d, buf, sizeof(buf), MSG_DONTWAIT) >= 0 || errno != EAGAIN)
			atomic_fetch_add(&thread_errors, 1);
		if (close(d) != 0)
			atomic_fetch_add(&thread_errors, 1);
	}
	return NULL;
}

static void test_threads(void)
{
	int base = open_fds(), i, fds[4];
	pthread_t t[4];

	fake_reset();
	thread_fd = nl_sock();
	RX_OK(thread_fd);
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, churn, NULL);
	/* meanwhile: more sockets set up and closed on this thread */
	for (i = 0; i < 4; i++) {
		fds[i] = nl_sock();
		RX_OK(fds[i]);
	}
	for (i = 0; i < 4; i++)
		close(fds[i]);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	is_int(atomic_load(&thread_errors), 0, "threads: 4 x 2000 dup/getsockname/recv/close, no error");
	is_int(live(), 1, "threads: one number tracked after");
	close(thread_fd);
	is_int(live(), 0, "threads: none after close");
	is_int(open_fds(), base, "threads: nothing leaked");
}

/* A close racing a recv on another thread never closes the descriptors
 * under the recv: the call in progress holds the entry. */
static void *closer(void *arg)
{
	close(*(int *)arg);
	return NULL;
}

static void test_close_during_call(void)
{
	int base = open_fds(), fd, i, bad = 0;

	for (i = 0; i < 200; i++) {
		struct nlm_sock *s;
		pthread_t t;

		fake_reset();
		fd = nl_sock();
		RX_OK(fd);
		s = nlm_get(fd);	/* as a call in progress does */
		pthread_create(&t, NULL, closer, &fd);
		pthread_join(t, NULL);
		bad += !is_socket(s->nl);	/* still open for the call */
		nlm_put(s);
	}
	is_int(bad, 0, "close during a call: the socket stays open until the call ends");
	is_int(open_fds(), base, "close during a call: closed after it");
}

/* A program that closes every descriptor it does not know of keeps its
 * socket: the library's own get EBADF, as numbers that are not open. */
static void test_close_all(void)
{
	int fd, i, refused = 0, after;
	struct sockaddr_nl a;
	socklen_t l = sizeof(a);
	struct qmsg m = verdict_msg(1, 1, 0, 0x55);
	struct nlm_sock *s;
	char buf[256];

	fake_reset();
	fd = nl_sock();
	RX_OK(fd);
	/* (descriptors the test inherited go too: that is the point) */
	for (i = 3; i < 1024; i++)
		if (i != fd && close(i) < 0 && errno == EBADF)
			refused++;
	ok(refused >= 2, "close-all loop: the library's descriptors are not the program's (EBADF)");
	s = nlm_get(fd);
	ok(s && fcntl(s->nl, F_GETFD) >= 0 && fcntl(s->dev, F_GETFD) >= 0,
	   "close-all loop: the socket and the device stay open");
	if (s)
		nlm_put(s);
	ok(getsockname(fd, (struct sockaddr *)&a, &l) == 0 && a.nl_family == AF_NETLINK,
	   "close-all loop: the socket still answers");
	fake_push(&m, sizeof(m));
	is_int(recv(fd, buf, sizeof(buf), 0), sizeof(m), "close-all loop: the device still answers");
	after = open_fds();
	close(fd);
	is_int(after - open_fds(), 3, "close-all loop: all three gone with the socket");
}

int main(void)
{
	test_untouched();
	test_missing_device();
	test_replacement();
	test_dups();
	test_poll_and_recv();
	test_fork();
	test_threads();
	test_close_during_call();
	test_close_all();
	return tap_done();
}
