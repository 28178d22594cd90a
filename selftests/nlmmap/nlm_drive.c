// SPDX-License-Identifier: GPL-2.0
/*
 * nlm_drive: the world around an old-API client, inside a new network
 * namespace.  It queues UDP on loopback to queue 0 (port 9999) and, with -2,
 * to queue 1 (port 9998), starts the client command, waits for its "ready",
 * sends COUNT datagrams numbered 0..COUNT-1 and counts what reaches the
 * receivers: the client's policy (old_nfq_mmap.c) drops odd numbers and
 * accepts even ones, so every even number must arrive and no odd one.
 *
 *   nlm_drive [-2] [-m] [-n COUNT] [-C] -- COMMAND [ARG...]
 *     -m   every third datagram is 3000 bytes (bigger than a 2048-byte frame)
 *     -C   the client must report COPY frames ("copy N", N > 0)
 * Prints the client's summary and the receivers' counts; exit 0 when the
 * books balance: judged = COUNT, accepted = arrived = the even ones,
 * dropped = the odd ones, none of which arrived.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define PORT0	9999
#define PORT1	9998
#define MAXN	100000

static struct sockaddr_in addr(int port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static int receiver(int port)
{
	struct sockaddr_in a = addr(port);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), big = 16 << 20;

	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	return s;
}

static int fail(const char *what)
{
	fprintf(stderr, "nlm_drive: %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	static unsigned char seen[MAXN];
	unsigned long count = 200, judged = 0, acc = 0, drp = 0, cpy = 0, bat = 0, errs = 0;
	bool two = false, mixed = false, need_copy = false, ready = false, got_summary = false;
	int c, r0, r1 = -1, snd, out[2], status = 0, bad = 0;
	unsigned long arrived = 0, odd_arrived = 0, even_missing = 0, i;
	char line[512], rules[1024];
	FILE *from_client;
	pid_t pid;

	while ((c = getopt(argc, argv, "2mn:C")) != -1) {
		switch (c) {
		case '2': two = true; break;
		case 'm': mixed = true; break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 'C': need_copy = true; break;
		default: return fail("usage: nlm_drive [-2] [-m] [-n COUNT] [-C] -- COMMAND [ARG...]");
		}
	}
	if (optind >= argc || count == 0 || count > MAXN)
		return fail("usage: nlm_drive [-2] [-m] [-n COUNT] [-C] -- COMMAND [ARG...]");
	if (netns_enter())
		return fail("cannot enter a network namespace");
	snprintf(rules, sizeof(rules),
		 "flush ruleset\n"
		 "table inet t {\n"
		 "  chain out { type filter hook output priority 0;\n"
		 "    udp dport %d queue num 0\n"
		 "    udp dport %d queue num 1\n  }\n"
		 "}\n", PORT0, PORT1);
	if (nft(rules))
		return fail("nft refused the queue rules");
	r0 = receiver(PORT0);
	if (two)
		r1 = receiver(PORT1);
	snd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r0 < 0 || (two && r1 < 0) || snd < 0)
		return fail("sockets");

	if (pipe(out))
		return fail("pipe");
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execvp(argv[optind], argv + optind);
		perror("nlm_drive: exec");
		_exit(127);
	}
	close(out[1]);
	from_client = fdopen(out[0], "r");
	while (fgets(line, sizeof(line), from_client)) {
		printf("client: %s", line);
		if (!strncmp(line, "ready", 5)) {
			ready = true;
			break;
		}
	}
	if (!ready) {
		waitpid(pid, &status, 0);
		printf("client exit status %d before ready\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 1;
	}

	for (i = 0; i < count; i++) {
		unsigned char buf[3000];
		uint32_t be = htonl((uint32_t)i);
		size_t len = mixed && i % 3 == 2 ? 3000 : 100;
		struct sockaddr_in a = addr(two && (i & 2) ? PORT1 : PORT0);

		memset(buf, 0x5a, len);
		memcpy(buf, &be, 4);
		if (sendto(snd, buf, len, 0, (struct sockaddr *)&a, sizeof(a)) < 0)
			fprintf(stderr, "nlm_drive: send %lu: %s\n", i, strerror(errno));
		if (i % 32 == 31)
			usleep(2000);	/* let the client keep up: no overrun by design */
	}

	/* count until 2 s pass without a datagram */
	for (;;) {
		struct pollfd p[2] = { { r0, POLLIN, 0 }, { r1, POLLIN, 0 } };
		unsigned char buf[4096];
		int k;

		if (poll(p, two ? 2 : 1, 2000) <= 0)
			break;
		for (k = 0; k < 2; k++) {
			ssize_t n;

			if (!(p[k].revents & POLLIN))
				continue;
			while ((n = recv(p[k].fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 4) {
				uint32_t s = data_seq(buf);

				if (s < count && !seen[s]) {
					seen[s] = 1;
					arrived++;
					odd_arrived += s & 1;
				}
			}
		}
	}
	for (i = 0; i < count; i += 2)
		even_missing += !seen[i];

	while (fgets(line, sizeof(line), from_client)) {
		printf("client: %s", line);
		if (sscanf(line, "judged %lu accepted %lu dropped %lu copy %lu batches %lu errors %lu",
			   &judged, &acc, &drp, &cpy, &bat, &errs) == 6)
			got_summary = true;
	}
	waitpid(pid, &status, 0);
	printf("sent %lu arrived %lu (odd %lu, even missing %lu)\n", count, arrived, odd_arrived, even_missing);

	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "nlm_drive: the client failed (status %d)\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		bad++;
	}
	if (!got_summary || judged != count) {
		fprintf(stderr, "nlm_drive: judged %lu of %lu\n", judged, count);
		bad++;
	}
	if (odd_arrived || even_missing || acc != (count + 1) / 2 || drp != count / 2 ||
	    arrived != (count + 1) / 2) {
		fprintf(stderr, "nlm_drive: the books do not balance\n");
		bad++;
	}
	if (need_copy && cpy == 0) {
		fprintf(stderr, "nlm_drive: no COPY frame although some datagrams exceed the frame\n");
		bad++;
	}
	return bad ? 1 : 0;
}
