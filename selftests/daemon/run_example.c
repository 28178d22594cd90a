// SPDX-License-Identifier: GPL-2.0
/*
 * Runs daemon/lib/examples/nfqring-example unchanged in a private network
 * namespace with queue 0 fed by nft, sends it 50 datagrams, checks they all
 * arrive, stops it with SIGTERM and checks its closing line.
 *
 *	run_example EXAMPLE [ARG]	exit 0 pass, 1 fail
 *
 * With NFQR_EXPECT=ring (or netlink) in the environment, also checks which
 * backend the example bound the queue with: peer_portid 0 is the ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

#define N 50

static bool queue_bound(void)
{
	long total, dropped, udropped;

	return queue_stats(0, &total, &dropped, &udropped) == 0;
}

int main(int argc, char **argv)
{
	char out[] = "/tmp/nfqring-example.XXXXXX", line[256], last[256] = "", want[64];
	static unsigned char buf[65536];
	int fd, snd, rcv, status, got = 0;
	pid_t pid;
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: run_example EXAMPLE [ARG]\n");
		return 2;
	}
	if (netns_enter() < 0 || nft_queue_udp(NULL) < 0) {
		printf("# network namespace or nft failed\n");
		return 1;
	}
	rcv = udp_receiver();
	snd = udp_sender();
	fd = mkstemp(out);
	if (rcv < 0 || snd < 0 || fd < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[1], argv + 1);
		_exit(127);
	}
	/* bound when queue 0 shows up in /proc (up to 5 s) */
	for (int i = 0; i < 100 && !queue_bound(); i++)
		usleep(50 * 1000);
	const char *expect = getenv("NFQR_EXPECT");
	long portid = queue_portid(0);
	bool backend_ok = true;

	if (portid < 0)
		printf("# queue 0 never showed up in /proc/net/netfilter/nfnetlink_queue\n");
	else
		printf("# queue 0 bound with peer_portid %ld (%s)\n", portid,
		       portid == 0 ? "ring" : "netlink");
	if (expect && (portid < 0 || (portid == 0) != !strcmp(expect, "ring"))) {
		printf("# expected the %s backend\n", expect);
		backend_ok = false;
	}
	for (uint32_t seq = 0; seq < N; seq++)
		if (udp_send_one(snd, seq, 100) < 0)
			printf("# send %u: %s\n", seq, strerror(errno));
	while (got < N && udp_recv_one(rcv, buf, sizeof(buf), 3000) > 0)
		got++;
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	f = fdopen(fd, "r");
	rewind(f);
	while (fgets(line, sizeof(line), f))
		snprintf(last, sizeof(last), "%s", line);
	fclose(f);
	unlink(out);
	snprintf(want, sizeof(want), "%d packets, 0 copied, 0 overruns, 0 verdict errors\n", N);
	printf("# example: received %d of %d, exit status %#x, last line: %s", got, N, status,
	       last[0] ? last : "(none)\n");
	return backend_ok && got == N && WIFEXITED(status) && WEXITSTATUS(status) == 0 && !strcmp(last, want) ?
	       0 : 1;
}
