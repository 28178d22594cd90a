// SPDX-License-Identifier: GPL-2.0
/*
 * lat_recv: the latency receiver of the benchmark.  Reads UDP datagrams
 * sent by kernel pktgen, whose payload starts with pktgen's header (magic,
 * sequence, send time in CLOCK_REALTIME seconds and microseconds), and
 * records receive time minus send time in a 1 us histogram.  On SIGTERM it
 * prints one line: count, p50, p90, p99, p99.9, max (microseconds).
 *
 *   lat_recv PORT
 *
 * The figure is pktgen-to-socket.  The benchmark runs it for the no-queue
 * configuration too; the difference of the two is what the queue adds
 * (enqueue, the consumer, the verdict and the reinjection).  No allocation
 * on the receive path: the histogram is static.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define PKTGEN_MAGIC	0xbe9be955u
#define MAX_US		200000		/* 200 ms: beyond it, the last bucket */
#define BATCH		64

struct pktgen_hdr {
	uint32_t magic, seq, tv_sec, tv_usec;
};

static uint32_t hist[MAX_US + 1];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned int percentile(uint64_t n, double p)
{
	uint64_t want = (uint64_t)((double)n * p), seen = 0;
	unsigned int us;

	if (want >= n)
		want = n - 1;
	for (us = 0; us <= MAX_US; us++) {
		seen += hist[us];
		if (seen > want)
			return us;
	}
	return MAX_US;
}

int main(int argc, char **argv)
{
	static char bufs[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t n = 0, foreign = 0;
	unsigned int max = 0;
	int s, i, got;

	if (argc != 2) {
		fprintf(stderr, "usage: lat_recv PORT\n");
		return 2;
	}
	a.sin_port = htons((uint16_t)atoi(argv[1]));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a))) {
		perror("lat_recv: socket/bind");
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct timespec now;
		int64_t now_us;

		got = recvmmsg(s, msgs, BATCH, MSG_WAITFORONE, NULL);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			perror("lat_recv: recvmmsg");
			return 1;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		now_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
		for (i = 0; i < got; i++) {
			const struct pktgen_hdr *h = (const void *)bufs[i];
			int64_t sent_us, d;

			if (msgs[i].msg_len < sizeof(*h) || ntohl(h->magic) != PKTGEN_MAGIC) {
				foreign++;
				continue;
			}
			sent_us = (int64_t)ntohl(h->tv_sec) * 1000000 + ntohl(h->tv_usec);
			d = now_us - sent_us;
			if (d < 0)
				d = 0;
			if (d > MAX_US)
				d = MAX_US;
			hist[d]++;
			if ((unsigned int)d > max)
				max = (unsigned int)d;
			n++;
		}
	}
	if (!n) {
		printf("count=0 foreign=%llu\n", (unsigned long long)foreign);
		return 0;
	}
	printf("count=%llu foreign=%llu p50=%u p90=%u p99=%u p999=%u max=%u\n",
	       (unsigned long long)n, (unsigned long long)foreign, percentile(n, 0.5),
	       percentile(n, 0.9), percentile(n, 0.99), percentile(n, 0.999), max);
	return 0;
}
