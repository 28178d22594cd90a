/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nfqring-example: accept every packet of queue 0, one batch verdict per
 * burst.  Try it with
 *	iptables -A INPUT -p icmp -j NFQUEUE --queue-num 0
 *	./nfqring-example [netlink]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "nfqring.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	enum nfqring_backend be = argc > 1 && !strcmp(argv[1], "netlink") ?
				  NFQRING_BACKEND_NETLINK : NFQRING_BACKEND_AUTO;
	char err[NFQRING_ERRBUF_SIZE];
	struct nfqring_packet pkt;
	struct nfqring_lib_stats st;
	struct nfqring *h;
	int r;

	if (nfqring_open(&h, be, err, sizeof(err)) < 0) {
		fprintf(stderr, "nfqring-example: %s\n", err);
		return 1;
	}
	/* default rings; NULL could be a struct nfqring_ring_params for GSO frames */
	if (nfqring_setup(h, NULL) < 0 || nfqring_bind(h, 0) < 0 ||
	    nfqring_set_mode(h, 0, NFQNL_COPY_PACKET, 0xffff) < 0) {
		fprintf(stderr, "nfqring-example: %s\n", nfqring_errmsg(h));
		nfqring_close(h);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	while (!stop) {
		r = nfqring_wait(h, 1000);
		if (r == -EINTR || r == 0)
			continue;
		if (r < 0)
			break;
		/* the burst: everything ready now */
		while ((r = nfqring_next(h, &pkt)) != 0) {
			if (r == -EBADMSG)
				continue;	/* skipped; counted in bad_msgs */
			if (r < 0)
				goto out;
			printf("queue %u id %u proto 0x%04x %u bytes\n", pkt.queue, pkt.id,
			       pkt.hw_protocol, pkt.payload_len);
		}
		/* up to the last id seen on each queue; one system call */
		if (nfqring_batch_seen(h, NF_ACCEPT) < 0 || nfqring_flush(h) < 0)
			fprintf(stderr, "nfqring-example: %s\n", nfqring_errmsg(h));
	}
out:
	if (r < 0 && r != -EINTR)
		fprintf(stderr, "nfqring-example: %s\n", nfqring_errmsg(h));
	nfqring_lib_stats(h, &st);
	printf("%llu packets, %llu copied, %llu overruns, %llu verdict errors\n",
	       (unsigned long long)st.packets, (unsigned long long)st.copies,
	       (unsigned long long)st.overruns, (unsigned long long)st.tx_errors);
	nfqring_close(h);
	return 0;
}
