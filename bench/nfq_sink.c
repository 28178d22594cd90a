// SPDX-License-Identifier: GPL-2.0
/*
 * nfq_sink: the consumer side of the benchmark.  Binds one queue and accepts
 * everything, as fast as the transport allows, until SIGTERM; then prints
 * one line of key=value figures.
 *
 *   nfq_sink mnl  QUEUE RANGE   the best client one can write for the stock
 *                               nfnetlink_queue: libmnl, recvmmsg() with
 *                               MSG_WAITFORONE, one VERDICT_BATCH per receive
 *                               batch, NETLINK_NO_ENOBUFS, 64 MiB receive buffer
 *   nfq_sink ring QUEUE RANGE   nfqring's rings through libnfqring: every
 *                               packet of the ring, one batch verdict, one
 *                               TX flush per burst
 * RANGE 0 means NFQNL_COPY_META.  Both count what they did themselves
 * (packets, batches, receive and verdict calls); system calls and wake-ups
 * are counted from outside (ftrace) by the benchmark script.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfqring.h"

#define BATCH	64
#define BUFSZ	(68 * 1024)

static volatile sig_atomic_t stop;

struct figures {
	uint64_t packets, batches, recv_calls, verdict_calls, errors;
	uint64_t batch_hist[8];		/* 1, 2-3, 4-7, ... 128+ */
};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void count_batch(struct figures *f, uint64_t n)
{
	int b = 0;

	while (b < 7 && n >= (2ull << b))
		b++;
	f->batch_hist[b]++;
	f->batches++;
}

/* ---- libmnl client for the netlink transport ------------------------------ */

static struct nlmsghdr *nfq_msg(char *buf, uint16_t type, uint16_t queue)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
	return nlh;
}

/* One config message, acknowledged; 0 or -errno. */
static int mnl_config(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	return mnl_cb_run(buf, n, 0, 0, NULL, NULL) < 0 ? -errno : 0;
}

static int run_mnl(uint16_t queue, uint32_t range, struct figures *f)
{
	static char bufs[BATCH][BUFSZ];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	char out[MNL_SOCKET_BUFFER_SIZE];
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	struct nfqnl_msg_config_params params = {
		.copy_range = htonl(range),
		.copy_mode = range ? NFQNL_COPY_PACKET : NFQNL_COPY_META,
	};
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	struct nlmsghdr *nlh;
	int one = 1, rcv = 64 << 20, fd;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nfq_sink: netlink socket");
		return 1;
	}
	fd = mnl_socket_get_fd(nl);
	setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	nlh = nfq_msg(out, NFQNL_MSG_CONFIG, queue);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	if (mnl_config(nl, nlh) < 0) {
		perror("nfq_sink: bind");
		return 1;
	}
	nlh = nfq_msg(out, NFQNL_MSG_CONFIG, queue);
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(params), &params);
	if (mnl_config(nl, nlh) < 0) {
		perror("nfq_sink: copy mode");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], BUFSZ };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		uint32_t max_id = 0, got = 0;
		int n = recvmmsg(fd, msgs, BATCH, MSG_WAITFORONE, NULL);

		f->recv_calls++;
		if (n < 0) {
			if (errno != EINTR)
				f->errors++;
			continue;
		}
		for (int i = 0; i < n; i++) {
			const struct nlmsghdr *m = (const void *)bufs[i];
			int len = (int)msgs[i].msg_len;

			for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
				const struct nlattr *a;

				if ((m->nlmsg_type & 0xff) != NFQNL_MSG_PACKET)
					continue;
				mnl_attr_for_each(a, m, sizeof(struct nfgenmsg)) {
					if (mnl_attr_get_type(a) == NFQA_PACKET_HDR) {
						const struct nfqnl_msg_packet_hdr *ph =
							mnl_attr_get_payload(a);
						uint32_t id = ntohl(ph->packet_id);

						if ((int32_t)(id - max_id) > 0 || !got)
							max_id = id;
						got++;
						break;
					}
				}
			}
		}
		if (!got)
			continue;
		struct nfqnl_msg_verdict_hdr vh = { htonl(NF_ACCEPT), htonl(max_id) };

		nlh = nfq_msg(out, NFQNL_MSG_VERDICT_BATCH, queue);
		mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
		f->verdict_calls++;
		if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
			f->errors++;
		f->packets += got;
		count_batch(f, got);
	}
	mnl_socket_close(nl);
	return 0;
}

/* ---- libnfqring on the rings ---------------------------------------------- */

static int run_ring(uint16_t queue, uint32_t range, struct figures *f)
{
	char err[NFQRING_ERRBUF_SIZE];
	struct nfqring_ring_params p = { 0 };
	struct nfqring_lib_stats st;
	struct nfqring_packet pkt;
	struct nfqring *h;

	if (nfqring_open(&h, NFQRING_BACKEND_RING, err, sizeof(err)) < 0) {
		fprintf(stderr, "nfq_sink: %s\n", err);
		return 1;
	}
	/* frames for an Ethernet MTU: bigger packets (GSO, jumbo) take the
	 * COPY path; 16 MiB of RX ring */
	p.rx_frame_size = nfqring_frame_size_for(range > 1600 ? 1600 : range);
	p.rx_frame_nr = (16u << 20) / p.rx_frame_size;
	if (nfqring_setup(h, &p) < 0 || nfqring_bind(h, queue) < 0 ||
	    nfqring_set_mode(h, queue, range ? NFQNL_COPY_PACKET : NFQNL_COPY_META, range) < 0) {
		fprintf(stderr, "nfq_sink: %s\n", nfqring_errmsg(h));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		uint64_t got = 0;
		int r = nfqring_wait(h, 200);

		f->recv_calls++;
		if (r <= 0)
			continue;
		while ((r = nfqring_next(h, &pkt)) != 0) {
			if (r < 0)
				break;
			got++;
		}
		if (!got)
			continue;
		if (nfqring_batch_seen(h, NF_ACCEPT) < 0 || nfqring_flush(h) < 0)
			f->errors++;
		f->verdict_calls++;
		f->packets += got;
		count_batch(f, got);
	}
	nfqring_lib_stats(h, &st);
	f->errors += st.overruns + st.tx_errors;
	nfqring_close(h);
	return 0;
}

int main(int argc, char **argv)
{
	struct figures f = { 0 };
	struct rusage ru;
	int rc;

	if (argc != 4 || (strcmp(argv[1], "mnl") && strcmp(argv[1], "ring"))) {
		fprintf(stderr, "usage: nfq_sink mnl|ring QUEUE RANGE\n");
		return 2;
	}
	/* no SA_RESTART: SIGTERM ends a blocking recvmmsg() */
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	rc = !strcmp(argv[1], "mnl") ? run_mnl((uint16_t)atoi(argv[2]), (uint32_t)atoi(argv[3]), &f)
				     : run_ring((uint16_t)atoi(argv[2]), (uint32_t)atoi(argv[3]), &f);
	if (rc)
		return rc;
	getrusage(RUSAGE_SELF, &ru);
	printf("packets=%llu batches=%llu recv_calls=%llu verdict_calls=%llu errors=%llu "
	       "vcsw=%ld ivcsw=%ld utime_us=%ld stime_us=%ld batch_hist=",
	       (unsigned long long)f.packets, (unsigned long long)f.batches,
	       (unsigned long long)f.recv_calls, (unsigned long long)f.verdict_calls,
	       (unsigned long long)f.errors, ru.ru_nvcsw, ru.ru_nivcsw,
	       ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
	       ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
	for (int i = 0; i < 8; i++)
		printf("%s%llu", i ? ":" : "", (unsigned long long)f.batch_hist[i]);
	printf("\n");
	return 0;
}
