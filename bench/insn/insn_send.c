// SPDX-License-Identifier: GPL-2.0
/*
 * insn_send: the instruction pass' sender.  One UDP packet at a time, each
 * sent only when the one before has come through the queue and reached a
 * socket on the other side, then a pause: a closed loop, so that each
 * packet takes the same path whatever the host does to the emulator's
 * timing (pktgen paces by the clock and catches up in bursts when a vCPU
 * was kept waiting, and a burst changes how many packets each wake-up,
 * system call and verdict carries).
 *
 *   insn_send -4 ADDR | -6 ADDR  -s SIZE -n COUNT [-w WARMUP] [-g GAP_US]
 *             [-b BURST] -r NETNS
 *
 * Run in the sender's namespace; the receiving socket (UDP port 9, bound
 * to any address) is made in NETNS (a path such as /run/netns/dut).  SIZE
 * is the Ethernet frame as pktgen counts it (with the 4-byte FCS): the
 * payload is what is left after the headers.  Prints "ready", then, for a
 * line "go" on stdin: WARMUP round trips, the window's opening mark
 * (insn_mark.h), COUNT round trips each followed by GAP_US microseconds of
 * sleep (default 500), the closing mark, and one line:
 *   sent=N received=N lost=N warmup=N seconds=S
 * A packet that does not come back within a second is lost (and counted).
 * With BURST (default 1), a round trip is BURST packets sent back to back,
 * then BURST received: the loaded path, where a queue's consumer can take
 * several packets per wake-up, in a shape that does not depend on the
 * host's timing as much as a clock-paced generator's (COUNT and WARMUP
 * are rounded up to whole bursts).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "insn_mark.h"

#define PORT	9
#define MAXPAY	9000

static void fail(const char *what)
{
	fprintf(stderr, "insn_send: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: insn_send -4 ADDR | -6 ADDR -s SIZE -n COUNT [-w WARMUP] "
		"[-g GAP_US] [-b BURST] -r NETNS\n");
	exit(2);
}

union addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/* Port 9 of the family's any address (text NULL) or of text; false if text
 * is not an address of the family. */
static bool port9(union addr *a, int family, const char *text)
{
	memset(a, 0, sizeof(*a));
	a->sa.sa_family = (sa_family_t)family;
	if (family == AF_INET)
		a->v4.sin_port = htons(PORT);
	else
		a->v6.sin6_port = htons(PORT);
	return !text || inet_pton(family, text, family == AF_INET ? (void *)&a->v4.sin_addr :
						    (void *)&a->v6.sin6_addr) == 1;
}

static socklen_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* The receiving socket, made in the namespace at path. */
static int receiver(const char *path, int family)
{
	struct timeval tv = { .tv_sec = 1 };
	union addr any;
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int other = open(path, O_RDONLY | O_CLOEXEC);
	int fd;

	if (self < 0 || other < 0)
		fail(path);
	if (setns(other, CLONE_NEWNET))
		fail("setns to the receiving namespace");
	fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0)
		fail("socket");
	port9(&any, family, NULL);
	if (bind(fd, &any.sa, addr_len(family)))
		fail("bind to port 9 in the receiving namespace");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		fail("SO_RCVTIMEO");
	if (setns(self, CLONE_NEWNET))
		fail("setns back");
	close(self);
	close(other);
	return fd;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * n round trips of burst packets, each followed by gap (may be zero); the
 * packets that came back
 */
static unsigned long round_trips(int tx, int rx, const char *pay, size_t len, unsigned long n,
				 unsigned long burst, const struct timespec *gap)
{
	static char buf[MAXPAY + 64];
	unsigned long back = 0, i;

	while (n--) {
		for (i = 0; i < burst; i++)
			if (send(tx, pay, len, 0) < 0)
				fail("send");
		for (i = 0; i < burst; i++) {
			if (recv(rx, buf, sizeof(buf), 0) >= 0)
				back++;
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				fail("recv");
			else
				break;	/* a second without one: the rest are lost too */
		}
		if (gap->tv_nsec)
			nanosleep(gap, NULL);
	}
	return back;
}

int main(int argc, char **argv)
{
	static char pay[MAXPAY];
	union addr dst;
	unsigned long count = 0, warm = 0, gap_us = 500, burst = 1, got;
	const char *netns = NULL;
	struct timespec gap;
	int family = 0, size = 0, opt, tx, rx;
	long hdr;
	char line[64];
	double t;

	while ((opt = getopt(argc, argv, "4:6:s:n:w:g:b:r:")) != -1) {
		switch (opt) {
		case '4':
		case '6':
			family = opt == '4' ? AF_INET : AF_INET6;
			if (!port9(&dst, family, optarg))
				usage();
			break;
		case 's': size = atoi(optarg); break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'w': warm = strtoul(optarg, NULL, 10); break;
		case 'g': gap_us = strtoul(optarg, NULL, 10); break;
		case 'b': burst = strtoul(optarg, NULL, 10); break;
		case 'r': netns = optarg; break;
		default: usage();
		}
	}
	/* the frame less FCS, Ethernet, IP and UDP headers */
	hdr = 4 + 14 + (family == AF_INET ? 20 : 40) + 8;
	if (optind != argc || !family || !count || !netns || size - hdr < 0 ||
	    size - hdr > MAXPAY || gap_us >= 1000000 || !burst || burst > 1024)
		usage();
	count = (count + burst - 1) / burst * burst;
	warm = (warm + burst - 1) / burst * burst;
	gap = (struct timespec){ .tv_nsec = (long)gap_us * 1000 };
	memset(pay, 'i', sizeof(pay));
	rx = receiver(netns, family);
	tx = socket(family, SOCK_DGRAM, 0);
	if (tx < 0)
		fail("socket");
	if (connect(tx, &dst.sa, addr_len(family)))
		fail("connect");
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	if (!fgets(line, sizeof(line), stdin) || strcmp(line, "go\n")) {
		fprintf(stderr, "insn_send: expected a line \"go\"\n");
		return 2;
	}
	round_trips(tx, rx, pay, (size_t)(size - hdr), warm / burst, burst, &gap);
	t = now_s();
	insn_mark_start();
	got = round_trips(tx, rx, pay, (size_t)(size - hdr), count / burst, burst, &gap);
	insn_mark_stop();
	t = now_s() - t;
	printf("sent=%lu received=%lu lost=%lu warmup=%lu seconds=%.3f\n", count, got, count - got,
	       warm, t);
	return 0;
}
