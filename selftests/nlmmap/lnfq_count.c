// SPDX-License-Identifier: GPL-2.0
/*
 * lnfq_count: a classic libnetfilter_queue program (nfq_open, nfq_bind_pf,
 * nfq_create_queue, recv, nfq_handle_packet, nfq_set_verdict), never asking
 * for rings: under nfqring-nlmmap it must run as without it.  Same policy
 * and output as old_nfq_mmap: drops odd UDP sequence numbers, accepts the
 * rest, prints "ready", then "judged N accepted A dropped D copy 0 batches
 * 0 errors E" after COUNT packets (argument; default 100).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static unsigned long judged, accepted, dropped, errors;

static int cb(struct nfq_q_handle *qh, struct nfgenmsg *g, struct nfq_data *nfa, void *data)
{
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	unsigned char *p = NULL;
	int len = nfq_get_payload(nfa, &p);
	uint32_t v = NF_ACCEPT;

	(void)g;
	(void)data;
	if (!ph)
		return 0;
	if (len >= (int)sizeof(struct iphdr)) {
		const struct iphdr *ip = (const void *)p;
		int off = ip->ihl * 4;

		if (ip->protocol == IPPROTO_UDP && len >= off + (int)sizeof(struct udphdr) + 4) {
			uint32_t s;

			memcpy(&s, p + off + sizeof(struct udphdr), 4);
			if (ntohl(s) & 1)
				v = NF_DROP;
		}
	}
	judged++;
	if (v == NF_DROP)
		dropped++;
	else
		accepted++;
	if (nfq_set_verdict(qh, ntohl(ph->packet_id), v, 0, NULL) < 0)
		errors++;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 0) : 100;
	struct nfq_handle *h = nfq_open();
	struct nfq_q_handle *qh;
	char buf[70000] __attribute__((aligned));
	time_t start = time(NULL);
	int fd;

	if (!h) {
		perror("lnfq_count: nfq_open");
		return 1;
	}
	nfq_unbind_pf(h, AF_INET);
	if (nfq_bind_pf(h, AF_INET) < 0) {
		perror("lnfq_count: nfq_bind_pf");
		return 1;
	}
	qh = nfq_create_queue(h, 0, cb, NULL);
	if (!qh || nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff) < 0) {
		perror("lnfq_count: queue 0");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	fd = nfq_fd(h);
	{
		struct timeval tv = { 1, 0 };

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	while (judged < count && time(NULL) - start < 30) {
		int n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				errors++;
			continue;
		}
		nfq_handle_packet(h, buf, n);
	}
	printf("judged %lu accepted %lu dropped %lu copy 0 batches 0 errors %lu\n",
	       judged, accepted, dropped, errors);
	nfq_destroy_queue(qh);
	nfq_close(h);
	return judged == count && !errors ? 0 : 1;
}
