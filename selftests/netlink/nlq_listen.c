// SPDX-License-Identifier: GPL-2.0
/*
 * nlq_listen QUEUE gso|nogso STATSFILE: accepts everything on QUEUE (libmnl,
 * nfq_nlmsg_*) until SIGTERM, then writes "packets N gso N big N maxlen N"
 * to STATSFILE.  "big" counts packets longer than 1500 bytes, which only
 * GSO packets can be on a 1500-byte link.  Writes "ready" once bound.
 */
#include <signal.h>
#include "nlq.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned long packets = 0, gso = 0, big = 0, maxlen = 0;
	int big_buf = 16 << 20, queue, n;
	struct nlq_pkt pk;
	struct nlq q;
	FILE *f;

	if (argc != 4)
		return 2;
	queue = atoi(argv[1]);
	signal(SIGTERM, on_term);
	nlq_open(&q);
	setsockopt(nlq_fd(&q), SOL_SOCKET, SO_RCVBUFFORCE, &big_buf, sizeof(big_buf));
	nlq_bind(&q, queue, NFQNL_COPY_PACKET);
	/* headers are enough: CAP_LEN tells the real length */
	if (nlq_mode(&q, queue, NFQNL_COPY_PACKET, 128) ||
	    nlq_flags(&q, queue, strcmp(argv[2], "gso") ? 0 : NFQA_CFG_F_GSO, NFQA_CFG_F_GSO))
		nlq_die("configure");
	puts("ready");
	fflush(stdout);
	while (!stop) {
		unsigned int len;

		n = nlq_next(&q, &pk, 100);
		if (n < 0) {
			errno = -n;
			nlq_die("recv");
		}
		if (n == 0)
			continue;
		len = pk.cap_len ? pk.cap_len : (unsigned int)pk.plen;
		packets++;
		gso += !!(pk.skbinfo & NFQA_SKB_GSO);
		big += len > 1500;
		if (len > maxlen)
			maxlen = len;
		if (nlq_verdict(&q, queue, pk.id, NF_ACCEPT, -1, NLQ_NOACK))
			nlq_die("verdict");
	}
	f = fopen(argv[3], "w");
	if (!f)
		nlq_die("stats file");
	fprintf(f, "packets %lu gso %lu big %lu maxlen %lu\n", packets, gso, big, maxlen);
	fclose(f);
	nlq_close(&q);
	return 0;
}
