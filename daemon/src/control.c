// SPDX-License-Identifier: GPL-2.0-only
/* The control socket, both ends (see control.h). */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "exitcodes.h"

static int addr_of(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	strcpy(a->sun_path, path);
	return 0;
}

int nfqd_control_listen(const char *path)
{
	struct sockaddr_un a;
	int fd, r = addr_of(path, &a);

	if (r)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);	/* stale: nobody listens */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	mode_t old = umask(0117);	/* root and the group only */

	r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

enum nfqd_cmd nfqd_control_parse(const char *line)
{
	size_t n = strcspn(line, "\r\n");

	if (n == 6 && !strncmp(line, "reload", 6))
		return NFQD_CMD_RELOAD;
	if (n == 5 && !strncmp(line, "stats", 5))
		return NFQD_CMD_STATS;
	if (n == 10 && !strncmp(line, "stats json", 10))
		return NFQD_CMD_STATS_JSON;
	return NFQD_CMD_BAD;
}

int nfqd_control_accept(int lfd, enum nfqd_cmd *cmd)
{
	char line[64];
	size_t len = 0;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return -1;
	/* one short line; a client that does not send it in time is dropped */
	while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 1000) <= 0)
			break;
		n = read(fd, line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	line[len] = 0;
	*cmd = nfqd_control_parse(line);
	return fd;
}

static void write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

void nfqd_control_reply(int fd, int code, const char *text, size_t len)
{
	char st[16];
	int n = snprintf(st, sizeof(st), "%d\n", code);

	write_all(fd, st, (size_t)n);
	write_all(fd, text, len);
	close(fd);
}

int nfqd_control_client(const char *path, const char *cmd)
{
	struct sockaddr_un a;
	char buf[65536];
	int fd, code = -1;
	bool first = true;
	ssize_t n;

	if (addr_of(path, &a) || (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return NFQD_EXIT_CONTROL;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "nfqringd: cannot reach the daemon at %s: %s (is nfqringd running? "
			"--socket must match its own)\n", path, strerror(errno));
		close(fd);
		return NFQD_EXIT_CONTROL;
	}
	write_all(fd, cmd, strlen(cmd));
	write_all(fd, "\n", 1);
	shutdown(fd, SHUT_WR);
	/* no time limit: a reload answers when its compile ends */
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		char *p = buf;

		buf[n] = 0;
		if (first) {
			char *nl = strchr(buf, '\n');

			code = atoi(buf);
			p = nl ? nl + 1 : buf + n;
			first = false;
		}
		fputs(p, code == 0 ? stdout : stderr);
	}
	close(fd);
	if (code < 0) {
		fprintf(stderr, "nfqringd: the daemon at %s closed the connection without answering\n", path);
		return NFQD_EXIT_CONTROL;
	}
	return code;
}
