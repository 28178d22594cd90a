// SPDX-License-Identifier: GPL-2.0
/* The world around an old-API client (drive.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "drive.h"
#include "net.h"

int drive_fail(const struct drive *d, const char *what)
{
	fprintf(stderr, "%s: %s\n", d->prog, what);
	return 1;
}

struct sockaddr_in drive_addr(int port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static int receiver(int port)
{
	struct sockaddr_in a = drive_addr(port);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), big = 16 << 20;

	if (s < 0)
		return -1;
	/* every datagram a test sends fits: no loss at the receiver */
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) ||
	    bind(s, (struct sockaddr *)&a, sizeof(a))) {
		close(s);
		return -1;
	}
	return s;
}

int drive_setup(struct drive *d, const char *prog, bool two)
{
	char rules[512];

	*d = (struct drive){ .prog = prog, .rcv = { -1, -1 }, .snd = -1, .pid = -1 };
	if (netns_enter())
		return drive_fail(d, "cannot enter a network namespace");
	snprintf(rules, sizeof(rules),
		 "flush ruleset\n"
		 "table inet t {\n"
		 "  chain out { type filter hook output priority 0;\n"
		 "    udp dport %d queue num 0\n"
		 "    udp dport %d queue num 1\n  }\n"
		 "}\n", DRIVE_PORT0, DRIVE_PORT1);
	if (nft(rules))
		return drive_fail(d, "nft refused the queue rules");
	d->rcv[0] = receiver(DRIVE_PORT0);
	if (two)
		d->rcv[1] = receiver(DRIVE_PORT1);
	d->snd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (d->rcv[0] < 0 || (two && d->rcv[1] < 0) || d->snd < 0)
		return drive_fail(d, "sockets");
	return 0;
}

int drive_start(struct drive *d, char **argv, bool with_stderr, const char *ready)
{
	char line[1024];
	int out[2], status = 0;

	if (pipe(out))
		return drive_fail(d, "pipe");
	fflush(stdout);
	d->pid = fork();
	if (d->pid < 0)
		return drive_fail(d, "fork");
	if (d->pid == 0) {
		if (dup2(out[1], 1) < 0 || (with_stderr && dup2(out[1], 2) < 0))
			_exit(126);
		close(out[0]);
		close(out[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: exec %s: %s\n", d->prog, argv[0], strerror(errno));
		_exit(127);
	}
	close(out[1]);
	d->from_client = fdopen(out[0], "r");
	if (!d->from_client)
		return drive_fail(d, "fdopen");
	while (fgets(line, sizeof(line), d->from_client)) {
		printf("client: %s", line);
		if (strstr(line, ready)) {
			fflush(stdout);
			return 0;
		}
	}
	waitpid(d->pid, &status, 0);
	printf("client exit status %d before it was ready\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 1;
}

void drive_send(const struct drive *d, int q, const void *buf, size_t len)
{
	struct sockaddr_in a = drive_addr(q ? DRIVE_PORT1 : DRIVE_PORT0);

	if (sendto(d->snd, buf, len, 0, (struct sockaddr *)&a, sizeof(a)) < 0)
		fprintf(stderr, "%s: send: %s\n", d->prog, strerror(errno));
}

void drive_count(const struct drive *d, int quiet_ms,
		 void (*seen)(void *ctx, const unsigned char *buf, size_t len), void *ctx)
{
	for (;;) {
		struct pollfd p[2] = { { d->rcv[0], POLLIN, 0 }, { d->rcv[1], POLLIN, 0 } };
		unsigned char buf[4096];
		int k;

		if (poll(p, d->rcv[1] >= 0 ? 2 : 1, quiet_ms) <= 0)
			break;
		for (k = 0; k < 2; k++) {
			ssize_t n;

			if (!(p[k].revents & POLLIN))
				continue;
			while ((n = recv(p[k].fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
				seen(ctx, buf, (size_t)n);
		}
	}
}

int drive_finish(struct drive *d, void (*line)(void *ctx, const char *s), void *ctx)
{
	char buf[1024];
	int status = 0;

	while (fgets(buf, sizeof(buf), d->from_client)) {
		printf("client: %s", buf);
		if (line)
			line(ctx, buf);
	}
	waitpid(d->pid, &status, 0);
	return status;
}
