// SPDX-License-Identifier: GPL-2.0
/*
 * indep_drive: the world around indep/nfq_mmap_client (the old-API client
 * written without seeing nfqring-nlmmap), inside a new network namespace.
 * Like nlm_drive, it queues UDP on loopback to queue 0 (port 9999) and, with
 * -2, to queue 1 (port 9998), starts the client command, waits until it says
 * "waiting for packets", sends COUNT datagrams and counts what reaches the
 * receivers.  Datagram i is 'D' when i % 5 == 3 and 'A' otherwise, followed
 * by i (4 bytes, network order): the client runs with -d D, so every 'D' must
 * be dropped and every 'A' must arrive.
 *
 *   indep_drive [-2] [-m] [-n COUNT] [-C] [-K] [-O] -- COMMAND [ARG...]
 *     -2   datagrams with i & 2 go to queue 1
 *     -m   every third datagram is 3000 bytes (bigger than small frames)
 *     -C   the client must report packets from COPY and from VALID frames
 *     -K   the client asked for acks (-a): acks must equal its verdict messages
 *     -O   overrun: send without pauses to a client with a tiny ring (and no
 *          -c); packets that found no frame are lost, as in 4.5 (dropped by
 *          the kernel), so the client must report overruns= > 0 and the books
 *          balance over what it judged
 * Exit 0 when the client exited 0 and the books balance: its summary
 * (packets=, accepted=, dropped=, copy=, valid=, q<n>=) matches what was
 * sent and what arrived.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net.h"

#define PORT0	9999
#define PORT1	9998
#define MAXN	100000
#define BIG	3000

static struct sockaddr_in addr(int port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static int receiver(int port)
{
	struct sockaddr_in a = addr(port);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), big = 16 << 20;

	if (s < 0)
		return -1;
	if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) ||
	    bind(s, (struct sockaddr *)&a, sizeof(a))) {
		close(s);
		return -1;
	}
	return s;
}

static int fail(const char *what)
{
	fprintf(stderr, "indep_drive: %s\n", what);
	return 1;
}

static bool is_drop(unsigned long i)
{
	return i % 5 == 3;
}

/* value of key= in the client's summary line; -1 when absent */
static long long field(const char *line, const char *key)
{
	size_t k = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == line || p[-1] == ' ') && p[k] == '=')
			return strtoll(p + k + 1, NULL, 10);
		p += k;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static unsigned char seen[MAXN];
	static char summary[1024];
	unsigned long count = 200, i, want_acc = 0, want_drp = 0, to_q[2] = { 0, 0 };
	unsigned long arrived = 0, d_arrived = 0, a_missing = 0;
	bool two = false, mixed = false, need_copy = false, need_acks = false, ready = false;
	bool overrun = false;
	int c, r0, r1 = -1, snd, out[2], status = 0, bad = 0;
	char line[1024], rules[1024];
	FILE *from_client;
	pid_t pid;

	while ((c = getopt(argc, argv, "2mn:CKO")) != -1) {
		switch (c) {
		case '2': two = true; break;
		case 'm': mixed = true; break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 'C': need_copy = true; break;
		case 'K': need_acks = true; break;
		case 'O': overrun = true; break;
		default: return fail("usage: indep_drive [-2] [-m] [-n COUNT] [-C] [-K] [-O] -- COMMAND [ARG...]");
		}
	}
	if (optind >= argc || count == 0 || count > MAXN)
		return fail("usage: indep_drive [-2] [-m] [-n COUNT] [-C] [-K] [-O] -- COMMAND [ARG...]");
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
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail("fork");
	if (pid == 0) {
		/* the client's stdout (summary) and stderr (diagnostics, "waiting") */
		if (dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
			_exit(126);
		close(out[0]);
		close(out[1]);
		execvp(argv[optind], argv + optind);
		perror("indep_drive: exec");
		_exit(127);
	}
	close(out[1]);
	from_client = fdopen(out[0], "r");
	if (!from_client)
		return fail("fdopen");
	while (fgets(line, sizeof(line), from_client)) {
		printf("client: %s", line);
		if (strstr(line, "waiting for packets")) {
			ready = true;
			break;
		}
	}
	if (!ready) {
		waitpid(pid, &status, 0);
		printf("client exit status %d before it was ready\n",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 1;
	}
	fflush(stdout);

	for (i = 0; i < count; i++) {
		unsigned char buf[BIG];
		uint32_t be = htonl((uint32_t)i);
		size_t len = mixed && i % 3 == 2 ? BIG : 100;
		int q = two && (i & 2) ? 1 : 0;
		struct sockaddr_in a = addr(q ? PORT1 : PORT0);

		memset(buf, 0x5a, len);
		buf[0] = is_drop(i) ? 'D' : 'A';
		memcpy(buf + 1, &be, 4);
		if (sendto(snd, buf, len, 0, (struct sockaddr *)&a, sizeof(a)) < 0)
			fprintf(stderr, "indep_drive: send %lu: %s\n", i, strerror(errno));
		to_q[q]++;
		if (is_drop(i))
			want_drp++;
		else
			want_acc++;
		if (i % 32 == 31 && !overrun)
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
			while ((n = recv(p[k].fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 5) {
				uint32_t be;
				unsigned long s;

				memcpy(&be, buf + 1, 4);
				s = ntohl(be);
				if (s < count && !seen[s]) {
					seen[s] = 1;
					arrived++;
					d_arrived += buf[0] == 'D';
				}
			}
		}
	}
	for (i = 0; i < count; i++)
		a_missing += !is_drop(i) && !seen[i];

	while (fgets(line, sizeof(line), from_client)) {
		printf("client: %s", line);
		if (strncmp(line, "packets=", 8) == 0)
			snprintf(summary, sizeof(summary), "%s", line);
	}
	waitpid(pid, &status, 0);
	printf("sent %lu (A %lu, D %lu; queue 0 %lu, queue 1 %lu), arrived %lu (D %lu, A missing %lu)\n",
	       count, want_acc, want_drp, to_q[0], to_q[1], arrived, d_arrived, a_missing);

	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "indep_drive: the client failed (status %d)\n",
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		bad++;
	}
	if (!summary[0]) {
		fprintf(stderr, "indep_drive: no summary from the client\n");
		return 1;
	}
	if (overrun) {
		long long judged = field(summary, "packets");

		if (field(summary, "overruns") <= 0 || judged >= (long long)count) {
			fprintf(stderr, "indep_drive: %lld of %lu judged, the client saw %lld overruns: "
				"expected some lost to an overrun, reported\n",
				judged, count, field(summary, "overruns"));
			bad++;
		}
		if (field(summary, "errors") != 0 || d_arrived ||
		    field(summary, "accepted") != (long long)arrived ||
		    field(summary, "accepted") + field(summary, "dropped") != judged) {
			fprintf(stderr, "indep_drive: the books do not balance over what was judged\n");
			bad++;
		}
		return bad ? 1 : 0;
	}
	if (field(summary, "packets") != (long long)count ||
	    field(summary, "errors") != 0 || field(summary, "overruns") != 0) {
		fprintf(stderr, "indep_drive: the client judged %lld of %lu packets, "
			"%lld errors, %lld overruns\n", field(summary, "packets"), count,
			field(summary, "errors"), field(summary, "overruns"));
		bad++;
	}
	if (d_arrived || a_missing || arrived != want_acc ||
	    field(summary, "accepted") != (long long)want_acc ||
	    field(summary, "dropped") != (long long)want_drp) {
		fprintf(stderr, "indep_drive: the books do not balance\n");
		bad++;
	}
	if (field(summary, "copy") + field(summary, "valid") != (long long)count) {
		fprintf(stderr, "indep_drive: copy + valid is not the packet count\n");
		bad++;
	}
	if (need_copy && (field(summary, "copy") <= 0 || field(summary, "valid") <= 0)) {
		fprintf(stderr, "indep_drive: expected packets from both COPY and VALID frames\n");
		bad++;
	}
	if (field(summary, "q0") != (long long)to_q[0] ||
	    (two && field(summary, "q1") != (long long)to_q[1])) {
		fprintf(stderr, "indep_drive: per-queue counts differ from what was sent\n");
		bad++;
	}
	if (need_acks && (field(summary, "acks") <= 0 ||
			  field(summary, "acks") != field(summary, "verdict_msgs"))) {
		fprintf(stderr, "indep_drive: acks differ from verdict messages\n");
		bad++;
	}
	return bad ? 1 : 0;
}
