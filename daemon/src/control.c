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

/* The first word of a live-set command */
static bool sets_word(const char *line, size_t n)
{
	static const char *const words[] = { "add", "delete", "flush", "list", "load" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t l = strlen(words[i]);

		if (n > l && !strncmp(line, words[i], l) && (line[l] == ' ' || line[l] == '\t'))
			return true;
	}
	return false;
}

enum nfqd_cmd nfqd_control_parse(const char *line)
{
	size_t n = strcspn(line, "\r\n");

	if (sets_word(line, n))
		return NFQD_CMD_SETS;
	if (n == 6 && !strncmp(line, "reload", 6))
		return NFQD_CMD_RELOAD;
	if (n == 5 && !strncmp(line, "stats", 5))
		return NFQD_CMD_STATS;
	if (n == 10 && !strncmp(line, "stats json", 10))
		return NFQD_CMD_STATS_JSON;
	return NFQD_CMD_BAD;
}

/* Reads into *buf until the first newline (to_eof: to the end), giving up
 * after 1 s without data.  Returns false on ENOMEM or a command too long. */
static bool read_cmd(int fd, char **buf, size_t *len, size_t *cap, bool to_eof)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (!to_eof && memchr(*buf, '\n', *len))
			return true;
		if (*len + 1 >= *cap) {
			size_t nc = *cap * 2;
			char *nb = nc <= NFQD_CONTROL_MAX ? realloc(*buf, nc) : NULL;

			if (!nb)
				return false;
			*buf = nb;
			*cap = nc;
		}
		if (poll(&p, 1, 1000) <= 0)
			return true;
		n = read(fd, *buf + *len, *cap - 1 - *len);
		if (n <= 0)
			return true;
		*len += (size_t)n;
		(*buf)[*len] = 0;
	}
}

int nfqd_control_accept(int lfd, enum nfqd_cmd *cmd, char **text, size_t *len)
{
	size_t cap = 256;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	*text = NULL;
	*len = 0;
	*cmd = NFQD_CMD_BAD;
	if (fd < 0)
		return -1;
	*text = calloc(1, cap);
	if (!*text)
		return fd;
	/* the command line; a live-set command goes on to the end of the input */
	if (read_cmd(fd, text, len, &cap, false)) {
		*cmd = nfqd_control_parse(*text);
		if (*cmd == NFQD_CMD_SETS && !read_cmd(fd, text, len, &cap, true))
			*cmd = NFQD_CMD_TOO_LONG;
	} else {
		*cmd = NFQD_CMD_TOO_LONG;
	}
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
	return nfqd_control_client_body(path, cmd, NULL, 0);
}

int nfqd_control_client_body(const char *path, const char *cmd, const char *body, size_t len)
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
	if (body)
		write_all(fd, body, len);
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

int nfqd_control_load_set(const char *path, const char *name, const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "re") : stdin;
	size_t len = 0, cap = 65536, n;
	char *buf = malloc(cap), *cmd;
	int rc;

	if (!f || !buf) {
		fprintf(stderr, "nfqringd: --load-set: cannot read %s: %s\n", file, strerror(errno));
		free(buf);
		return NFQD_EXIT_USAGE;
	}
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			char *nb = cap < NFQD_CONTROL_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				fprintf(stderr, "nfqringd: --load-set: %s is larger than %u MiB\n", file,
					NFQD_CONTROL_MAX >> 20);
				free(buf);
				if (f != stdin)
					fclose(f);
				return NFQD_EXIT_USAGE;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (f != stdin)
		fclose(f);
	if (asprintf(&cmd, "load set %s %s", name, file) < 0) {
		free(buf);
		return NFQD_EXIT_RUNTIME;
	}
	rc = nfqd_control_client_body(path, cmd, buf, len);
	free(cmd);
	free(buf);
	return rc;
}
