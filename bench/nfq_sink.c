// SPDX-License-Identifier: GPL-2.0
/*
 * nfq_sink: the consumer side of the benchmark.  Binds one queue and accepts
 * everything, as fast as the transport allows, until SIGTERM; then prints
 * one line of key=value figures.
 *
 *   nfq_sink mnl  QUEUE RANGE [gso]   the best client one can write for the stock
 *                               nfnetlink_queue: libmnl, recvmmsg() with
 *                               MSG_WAITFORONE, one VERDICT_BATCH per receive
 *                               batch, NETLINK_NO_ENOBUFS, 64 MiB receive buffer
 *   nfq_sink ring QUEUE RANGE [gso]   nfqring's rings through libnfqring:
 *                               nfqring_drain() with its defaults (ABI version
 *                               2: no spin, the kernel's wake-up moderation
 *                               at 32 frames or 1 ms): every packet of the ring, one
 *                               batch verdict, one TX flush per burst
 *   nfq_sink ring-v1 QUEUE RANGE [gso]   the same loop on ABI version 1 (a
 *                               wake-up for every frame a sleeping consumer
 *                               gets, no spin): the rings as they were
 *   nfq_sink ring-spin QUEUE RANGE [gso]   the same, but before sleeping in
 *                               poll() it keeps looking at the ring for up
 *                               to SPIN_US microseconds (a load per look, no
 *                               system call: what only a shared ring allows)
 * In ring mode, NFQ_SINK_WAIT=SPIN:NR:DELAY[:BATCH[:IDLE]] in the
 * environment sets nfqring_set_wait()'s spin_us, wake_nr and max_delay_us
 * (0: the default), nfqring_set_batch() and nfqring_set_idle(): the
 * benchmark's nfqring-ring-wSPIN-NR-DELAY[-BATCH[-IDLE]] configurations, for
 * choosing the defaults by measurement, and for the instruction pass, whose
 * guest runs the kernel's wall-clock timers many times slower than hardware.
 * NFQ_SINK_TIME_SCALE=S (1 to 100) instead sets the default wait with its
 * timers (max_delay_us, idle_us) S times longer: the defaults in the time of
 * a guest that runs S times slower than hardware.
 * RANGE 0 means NFQNL_COPY_META; "gso" sets NFQA_CFG_F_GSO (unsegmented GSO
 * packets, up to 64 KiB: the ring then gets 64 KiB frames).  Both
 * count what they did themselves (packets, payload bytes, batches, receive
 * and verdict calls, COPY fallbacks); system calls and wake-ups are counted
 * from outside (ftrace) by the benchmark script.  On ABI version 2 the line
 * ends with the kernel's wake-up counts of the whole run,
 * kwake=ALL:WAKE_NR:WATERMARK:TIMER:IDLE (NFQRING_GET_WAKE_STATS).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfqring.h"

#define BATCH	64
#define SPIN_US	50
#define BUFSZ	(68 * 1024)

static volatile sig_atomic_t stop;

struct figures {
	uint64_t packets, bytes, batches, recv_calls, verdict_calls, errors, copies;
	uint64_t batch_hist[8];		/* 1, 2-3, 4-7, ... 128+ */
	bool kwake;			/* version 2: the kernel's wake-up counts */
	uint64_t wakeups, wake_nr, watermark, timer, idle;
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

static int run_mnl(uint16_t queue, uint32_t range, bool gso, struct figures *f)
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
	if (gso) {
		nlh = nfq_msg(out, NFQNL_MSG_CONFIG, queue);
		mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
		mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
		if (mnl_config(nl, nlh) < 0) {
			perror("nfq_sink: F_GSO");
			return 1;
		}
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
					if (mnl_attr_get_type(a) == NFQA_PAYLOAD) {
						f->bytes += mnl_attr_get_payload_len(a);
					} else if (mnl_attr_get_type(a) == NFQA_PACKET_HDR) {
						const struct nfqnl_msg_packet_hdr *ph =
							mnl_attr_get_payload(a);
						uint32_t id = ntohl(ph->packet_id);

						if ((int32_t)(id - max_id) > 0 || !got)
							max_id = id;
						got++;
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

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int count_packet(struct nfqring *h, struct nfqring_packet *pkt, void *arg)
{
	struct figures *f = arg;

	(void)h;
	f->bytes += pkt->payload_len;
	return 0;
}

/* NFQ_SINK_TIME_SCALE=S (see the top) */
static int set_time_scale(struct nfqring *h, const char *e)
{
	struct nfqring_wait_params w = { 0 };
	unsigned int scale;
	uint32_t idle;
	char end;

	if (sscanf(e, "%u%c", &scale, &end) != 1 || scale < 1 || scale > 100) {
		fprintf(stderr, "nfq_sink: NFQ_SINK_TIME_SCALE=%s: 1 to 100\n", e);
		return -1;
	}
	/* the kernel clamps both to NFQRING_WAKE_MAX_DELAY_US and writes back
	 * what it uses: printed below */
	w.max_delay_us = NFQRING_WAKE_DELAY_US * scale;
	idle = NFQRING_WAKE_IDLE_US * scale;
	if (nfqring_set_wait(h, &w) < 0 || nfqring_set_idle(h, &idle) < 0) {
		fprintf(stderr, "nfq_sink: %s\n", nfqring_errmsg(h));
		return -1;
	}
	fprintf(stderr, "nfq_sink: the default wait with timers x%u: wake_nr %u, max_delay %u us, "
		"idle %u us\n", scale, w.wake_nr, w.max_delay_us, idle);
	return 0;
}

/* NFQ_SINK_WAIT=SPIN:NR:DELAY[:BATCH[:IDLE]] or NFQ_SINK_TIME_SCALE=S (see
 * the top), when one is set */
static int set_wait(struct nfqring *h)
{
	struct nfqring_wait_params w = { 0 };
	const char *e = getenv("NFQ_SINK_WAIT"), *scale = getenv("NFQ_SINK_TIME_SCALE");
	uint32_t batch = 0, idle = 0;
	int n;

	if (scale && *scale)
		return set_time_scale(h, scale);
	if (!e || !*e)
		return 0;
	n = sscanf(e, "%u:%u:%u:%u:%u", &w.spin_us, &w.wake_nr, &w.max_delay_us, &batch,
		   &idle);
	if (n < 3) {
		fprintf(stderr, "nfq_sink: NFQ_SINK_WAIT=%s: SPIN:NR:DELAY[:BATCH[:IDLE]]\n", e);
		return -1;
	}
	if (nfqring_set_wait(h, &w) < 0 || (n >= 4 && nfqring_set_batch(h, &batch) < 0) ||
	    (n == 5 && nfqring_set_idle(h, &idle) < 0)) {
		fprintf(stderr, "nfq_sink: %s\n", nfqring_errmsg(h));
		return -1;
	}
	fprintf(stderr, "nfq_sink: spin %u us, wake_nr %u, watermark %u, max_delay %u us, "
		"batch %u, idle %u us\n", w.spin_us, w.wake_nr, w.watermark, w.max_delay_us,
		batch, idle);
	return 0;
}

static int run_ring(uint16_t queue, uint32_t range, bool gso, bool spin, bool v1,
		    struct figures *f)
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
	/* frames for an Ethernet MTU, 16 MiB of RX ring; with F_GSO, frames
	 * for 64 KiB packets as nfqring.h advises (256 of them, 17 MiB): a
	 * packet bigger than its frame takes the COPY path (read()) */
	p.rx_frame_size = nfqring_frame_size_for(gso ? range : range > 1600 ? 1600 : range);
	p.rx_frame_nr = gso ? 256 : (16u << 20) / p.rx_frame_size;
	if (v1)
		p.flags |= NFQRING_ABI_V1;
	if (nfqring_setup(h, &p) < 0 || nfqring_bind(h, queue) < 0 ||
	    nfqring_set_mode(h, queue, range ? NFQNL_COPY_PACKET : NFQNL_COPY_META, range) < 0 ||
	    (gso && nfqring_set_flags(h, queue, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO) < 0)) {
		fprintf(stderr, "nfq_sink: %s\n", nfqring_errmsg(h));
		return 1;
	}
	if (!v1 && !spin && set_wait(h) < 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (!stop && !spin) {	/* the library's loop */
		int n = nfqring_drain(h, 200, NF_ACCEPT, count_packet, f);

		f->recv_calls++;
		if (n < 0) {
			if (n != -EINTR)
				f->errors++;
			continue;
		}
		if (!n)
			continue;
		f->verdict_calls++;
		f->packets += (uint64_t)n;
		count_batch(f, (uint64_t)n);
	}
	while (!stop && spin) {
		uint64_t got = 0, until;
		int r = 0;

		{	/* nfqring_next() on an empty ring makes no system call */
			/* the clock only every 64 looks: in a guest whose vDSO
			 * falls back to the system call, each read is one; a
			 * PAUSE between looks, as in any wait loop (and as
			 * libnfqring's own spin does: the instruction pass
			 * tells spin-waiting apart by it) */
			until = now_ns() + SPIN_US * 1000u;
			for (unsigned int i = 1; !stop; i++) {
				if ((r = nfqring_next(h, &pkt)) != 0)
					break;
				relax();
				if (!(i % 64) && now_ns() >= until)
					break;
			}
		}
		if (r > 0) {
			got++;
			f->bytes += pkt.payload_len;
		} else {
			r = nfqring_wait(h, 200);
			f->recv_calls++;
			if (r <= 0)
				continue;
		}
		while ((r = nfqring_next(h, &pkt)) != 0) {
			if (r < 0)
				break;
			f->bytes += pkt.payload_len;
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
	f->copies = st.copies;
	/* why the consumer was woken (the instruction pass reports it) */
	if (nfqring_v2(h)) {
		struct nfqring_wake_stats k = { 0 };

		f->kwake = ioctl(nfqring_fd(h), NFQRING_GET_WAKE_STATS, &k) == 0;
		f->wakeups = k.wakeups;
		f->wake_nr = k.wake_nr_hits;
		f->watermark = k.watermark_hits;
		f->timer = k.timer_wakeups;
		f->idle = k.idle_wakeups;
	}
	nfqring_close(h);
	return 0;
}

int main(int argc, char **argv)
{
	struct figures f = { 0 };
	struct rusage ru;
	int rc;

	bool gso = argc == 5 && !strcmp(argv[4], "gso");

	if ((argc != 4 && !gso) ||
	    (strcmp(argv[1], "mnl") && strcmp(argv[1], "ring") && strcmp(argv[1], "ring-spin") &&
	     strcmp(argv[1], "ring-v1"))) {
		fprintf(stderr, "usage: nfq_sink mnl|ring|ring-v1|ring-spin QUEUE RANGE [gso]\n");
		return 2;
	}
	/* no SA_RESTART: SIGTERM ends a blocking recvmmsg() */
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	rc = !strcmp(argv[1], "mnl") ?
		run_mnl((uint16_t)atoi(argv[2]), (uint32_t)atoi(argv[3]), gso, &f) :
		run_ring((uint16_t)atoi(argv[2]), (uint32_t)atoi(argv[3]), gso,
			 !strcmp(argv[1], "ring-spin"), !strcmp(argv[1], "ring-v1"), &f);
	if (rc)
		return rc;
	getrusage(RUSAGE_SELF, &ru);
	printf("packets=%llu bytes=%llu copies=%llu batches=%llu recv_calls=%llu "
	       "verdict_calls=%llu errors=%llu vcsw=%ld ivcsw=%ld utime_us=%ld stime_us=%ld "
	       "batch_hist=",
	       (unsigned long long)f.packets, (unsigned long long)f.bytes,
	       (unsigned long long)f.copies, (unsigned long long)f.batches,
	       (unsigned long long)f.recv_calls, (unsigned long long)f.verdict_calls,
	       (unsigned long long)f.errors, ru.ru_nvcsw, ru.ru_nivcsw,
	       ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
	       ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
	for (int i = 0; i < 8; i++)
		printf("%s%llu", i ? ":" : "", (unsigned long long)f.batch_hist[i]);
	if (f.kwake)
		printf(" kwake=%llu:%llu:%llu:%llu:%llu", (unsigned long long)f.wakeups,
		       (unsigned long long)f.wake_nr, (unsigned long long)f.watermark,
		       (unsigned long long)f.timer, (unsigned long long)f.idle);
	printf("\n");
	return 0;
}
