// SPDX-License-Identifier: GPL-2.0
/*
 * libnfqring end to end against the real kernel: UDP over loopback in a
 * private network namespace, queued by nft at the output hook, received and
 * judged through libnfqring, and counted at the receiving socket.  Every
 * packet sent must reach the receiver or be accounted for (a drop verdict,
 * or a drop the kernel counted).
 *
 *	e2e ring|netlink SCENARIO	exit 0 pass, 1 fail, 4 skip
 *
 * Diagnostics go to stdout as "# " lines (run.sh prints the TAP).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nfqring.h"
#include "check.h"
#include "net.h"

#define MAX_PKTS	4096
#define SKIP		4

#define CHECK_EQ(got, want, what) \
	check((long long)(got) == (long long)(want), "%s: got %lld, want %lld", what, \
	      (long long)(got), (long long)(want))

struct ctx;
/* Decide one packet (seq: its datagram number).  Return 0 to leave it to
 * the batch verdict at the end of the burst. */
typedef int (*judge_fn)(struct ctx *c, const struct nfqring_packet *p, uint32_t seq);

struct ctx {
	enum nfqring_backend backend;
	struct nfqring *h;
	int snd, rcv;
	judge_fn judge;
	uint32_t chunk;			/* send_n: pump after this many, 0: never */
	uint32_t handled;		/* packets handed out */
	uint32_t last_seq;		/* to check ring order */
	bool in_order;
	uint32_t sizes[MAX_PKTS];	/* datagram length by seq */
	uint8_t seen[MAX_PKTS];		/* handed out */
	uint8_t got[MAX_PKTS];		/* received */
	uint32_t received, bad_data;
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static bool is_ring(const struct ctx *c)
{
	return c->backend == NFQRING_BACKEND_RING;
}

/* UDP data of an IPv4 packet, or NULL. */
static const uint8_t *udp_data(const struct nfqring_packet *p, uint32_t *len)
{
	uint32_t ihl;

	if (p->payload_len < 20 || (p->payload[0] >> 4) != 4)
		return NULL;
	ihl = (p->payload[0] & 15) * 4u;
	if (p->payload_len < ihl + 8 + 4)
		return NULL;
	*len = p->payload_len - ihl - 8;
	return p->payload + ihl + 8;
}

/* One burst: everything ready now, then the batch verdict and one flush. */
static int pump(struct ctx *c, int wait_ms)
{
	struct nfqring_packet p;
	int r, n = 0;

	r = nfqring_wait(c->h, wait_ms);
	if (r < 0 && r != -EINTR) {
		printf("# wait: %s\n", nfqring_errmsg(c->h));
		return r;
	}
	while ((r = nfqring_next(c->h, &p)) != 0) {
		const uint8_t *d;
		uint32_t len, seq;

		if (r < 0) {
			if (check_failures < 5)
				printf("# next: %d %s\n", r, nfqring_errmsg(c->h));
			check_failures++;
			if (r == -EBADMSG)
				continue;
			return r;
		}
		n++;
		c->handled++;
		d = udp_data(&p, &len);
		if (!d) {
			check(0, "packet %u is not IPv4/UDP (%u bytes)", p.id, p.payload_len);
			nfqring_verdict_simple(c->h, p.queue, p.id, NF_ACCEPT);
			continue;
		}
		seq = data_seq(d);
		if (seq >= MAX_PKTS || c->seen[seq]) {
			check(0, "packet %u: bad or repeated seq %u", p.id, seq);
			continue;
		}
		if (c->handled > 1 && seq != c->last_seq + 1)
			c->in_order = false;
		c->last_seq = seq;
		c->seen[seq] = 1;
		check(len == c->sizes[seq] && p.cap_len == p.payload_len && p.queue == 0 &&
		      p.family == NFPROTO_IPV4 && p.hook == NF_INET_LOCAL_OUT,
		      "packet %u seq %u: %u data bytes (want %u), cap_len %u/%u, queue %u, "
		      "family %u, hook %u", p.id, seq, len, c->sizes[seq], p.cap_len,
		      p.payload_len, p.queue, p.family, p.hook);
		if (c->judge)
			c->judge(c, &p, seq);
	}
	r = nfqring_batch_seen(c->h, NF_ACCEPT);
	if (r >= 0)
		r = nfqring_flush(c->h);
	if (r < 0) {
		printf("# verdicts: %s\n", nfqring_errmsg(c->h));
		check_failures++;
	}
	return n;
}

/* Send datagrams first..first+n-1 of len bytes (len 0: alternate small and
 * big), pumping when the sender's buffer is full. */
static void pump_until(struct ctx *c, uint32_t want);

static void send_n(struct ctx *c, uint32_t first, uint32_t n, uint32_t len, uint32_t big)
{
	uint32_t base = c->handled;

	for (uint32_t seq = first; seq < first + n;) {
		uint32_t l = len ? len : (seq % 2 ? big : 60);
		int r = udp_send_one(c->snd, seq, l);

		if (r == -EAGAIN) {
			pump(c, 10);
			continue;
		}
		if (r < 0) {
			check(0, "send %u: %s", seq, strerror(-r));
			return;
		}
		c->sizes[seq] = l;
		seq++;
		if (c->chunk && (seq - first) % c->chunk == 0)
			pump_until(c, base + (seq - first));
	}
}

/* Pump until want packets were handed out in all (or 3 s of nothing). */
static void pump_until(struct ctx *c, uint32_t want)
{
	long long idle = now_ms();

	while (c->handled < want && now_ms() - idle < 3000)
		if (pump(c, 100) > 0)
			idle = now_ms();
}

/* Read the receiver until want datagrams arrived, then 200 ms more for
 * extras.  Checks each datagram's length; check_data may look at the rest. */
static void receive(struct ctx *c, uint32_t want, bool (*check_data)(const uint8_t *, int))
{
	static uint8_t buf[65536];
	long long end = now_ms() + 3000;

	for (;;) {
		int wait = c->received < want ? (int)(end - now_ms()) : 200;
		int n = wait > 0 ? udp_recv_one(c->rcv, buf, sizeof(buf), wait) : 0;
		uint32_t seq;

		if (n <= 0)
			break;
		seq = n >= 4 ? data_seq(buf) : MAX_PKTS;
		if (seq >= MAX_PKTS || c->got[seq] || (uint32_t)n != c->sizes[seq] ||
		    (check_data && !check_data(buf, n))) {
			c->bad_data++;
			printf("# received a bad datagram: %d bytes, seq %u\n", n, seq);
			continue;
		}
		c->got[seq] = 1;
		c->received++;
	}
}

static int open_world(struct ctx *c, const char *extra_rules, struct nfqring_ring_params *p)
{
	char err[NFQRING_ERRBUF_SIZE];
	int r;

	c->in_order = true;
	if ((r = netns_enter()) < 0) {
		printf("# unshare(CLONE_NEWNET): %s\n", strerror(-r));
		return -1;
	}
	if (nft_queue_udp(extra_rules) < 0) {
		printf("# nft failed\n");
		return -1;
	}
	c->rcv = udp_receiver();
	c->snd = udp_sender();
	if (c->rcv < 0 || c->snd < 0) {
		printf("# UDP sockets: %s\n", strerror(errno));
		return -1;
	}
	if (nfqring_open(&c->h, c->backend, err, sizeof(err)) < 0) {
		printf("# open: %s\n", err);
		return -1;
	}
	if (nfqring_backend(c->h) != c->backend) {
		printf("# open: got backend %d, asked for %d\n", nfqring_backend(c->h), c->backend);
		return -1;
	}
	if (nfqring_setup(c->h, p) < 0 || nfqring_bind(c->h, 0) < 0 ||
	    nfqring_set_mode(c->h, 0, NFQNL_COPY_PACKET, 0xffff) < 0) {
		printf("# set-up: %s\n", nfqring_errmsg(c->h));
		return -1;
	}
	return 0;
}

static void show_stats(struct ctx *c, struct nfqring_stats *ks, bool *have_ks)
{
	struct nfqring_lib_stats s;

	nfqring_lib_stats(c->h, &s);
	printf("# lib: packets %llu copies %llu bad %llu overruns %llu verdicts %llu batches %llu "
	       "flushes %llu tx_full %llu tx_errors %llu writes %llu\n",
	       (unsigned long long)s.packets, (unsigned long long)s.copies,
	       (unsigned long long)s.bad_msgs, (unsigned long long)s.overruns,
	       (unsigned long long)s.verdicts, (unsigned long long)s.batches,
	       (unsigned long long)s.tx_flushes, (unsigned long long)s.tx_full,
	       (unsigned long long)s.tx_errors, (unsigned long long)s.writes);
	*have_ks = nfqring_kernel_stats(c->h, ks) == 0;
	if (*have_ks)
		printf("# kernel: rx_frames %llu rx_copy %llu rx_overruns %llu backlog_msgs %llu "
		       "backlog_drops %llu tx_frames %llu tx_errors %llu tx_flushes %llu "
		       "writes %llu\n",
		       (unsigned long long)ks->rx_frames, (unsigned long long)ks->rx_copy,
		       (unsigned long long)ks->rx_overruns, (unsigned long long)ks->backlog_msgs,
		       (unsigned long long)ks->backlog_drops, (unsigned long long)ks->tx_frames,
		       (unsigned long long)ks->tx_errors, (unsigned long long)ks->tx_flushes,
		       (unsigned long long)ks->writes);
	else if (is_ring(c))
		check(0, "NFQRING_GET_STATS: %s", nfqring_errmsg(c->h));
}

/* The common ending: no verdict errors, nothing left in the queue. */
static void check_clean(struct ctx *c)
{
	struct nfqring_lib_stats s;
	long total, dropped, udropped;

	nfqring_lib_stats(c->h, &s);
	CHECK_EQ(s.tx_errors, 0, "verdicts refused");
	CHECK_EQ(s.bad_msgs, 0, "malformed messages");
	CHECK_EQ(c->bad_data, 0, "bad datagrams at the receiver");
	if (queue_stats(0, &total, &dropped, &udropped) == 0) {
		CHECK_EQ(total, 0, "packets still waiting for a verdict (queue_total)");
		printf("# queue 0: dropped %ld user_dropped %ld\n", dropped, udropped);
	}
}

/* ---- scenarios ---- */

/* 300 packets, one batch verdict per burst. */
static int sc_batch(struct ctx *c)
{
	struct nfqring_stats ks;
	struct nfqring_lib_stats s;
	bool have;

	if (open_world(c, NULL, NULL))
		return 1;
	send_n(c, 0, 300, 200, 0);
	pump_until(c, 300);
	receive(c, 300, NULL);
	CHECK_EQ(c->handled, 300, "packets handed out");
	check(c->in_order, "packets handed out in send order");
	CHECK_EQ(c->received, 300, "datagrams received");
	show_stats(c, &ks, &have);
	nfqring_lib_stats(c->h, &s);
	CHECK_EQ(s.batches, s.verdicts, "only batch verdicts");
	check(s.batches >= 1, "at least one batch");
	if (have) {
		CHECK_EQ(ks.rx_frames, 300, "kernel rx_frames");
		CHECK_EQ(ks.rx_copy, 0, "kernel rx_copy");
		CHECK_EQ(ks.tx_frames, s.verdicts, "kernel tx_frames = verdict messages");
		CHECK_EQ(s.copies, 0, "library copies");
		CHECK_EQ(s.writes, 0, "library writes");
	}
	check_clean(c);
	return 0;
}

static int judge_even(struct ctx *c, const struct nfqring_packet *p, uint32_t seq)
{
	int r = nfqring_verdict_simple(c->h, p->queue, p->id, seq % 2 ? NF_DROP : NF_ACCEPT);

	check(r == 0, "verdict for %u: %s", p->id, nfqring_errmsg(c->h));
	return 1;
}

/* One verdict per packet, accept even and drop odd; through the TX ring or,
 * with NFQRING_NO_TX_RING, write(). */
static int sc_single(struct ctx *c, bool no_tx)
{
	struct nfqring_ring_params p = { .flags = no_tx ? NFQRING_NO_TX_RING : 0 };
	struct nfqring_stats ks;
	struct nfqring_lib_stats s;
	bool have;

	if (open_world(c, NULL, &p))
		return 1;
	c->judge = judge_even;
	send_n(c, 0, 400, 100, 0);
	pump_until(c, 400);
	receive(c, 200, NULL);
	CHECK_EQ(c->handled, 400, "packets handed out");
	CHECK_EQ(c->received, 200, "datagrams received (the even ones)");
	for (uint32_t i = 0; i < 400; i++)
		if (c->got[i] != !(i % 2)) {
			check(0, "datagram %u %s", i, c->got[i] ? "received" : "missing");
			break;
		}
	show_stats(c, &ks, &have);
	nfqring_lib_stats(c->h, &s);
	CHECK_EQ(s.verdicts, 400, "verdict messages");
	CHECK_EQ(s.batches, 0, "no batch (nothing left to batch)");
	if (have && no_tx) {
		CHECK_EQ(ks.tx_frames, 0, "kernel tx_frames");
		/* the kernel also counts the two CONFIG writes (bind, set_mode) */
		check(s.writes >= 1 && ks.writes == s.writes + 2,
		      "kernel writes %llu = library verdict writes %llu + 2",
		      (unsigned long long)ks.writes, (unsigned long long)s.writes);
	} else if (have) {
		CHECK_EQ(ks.tx_frames, 400, "kernel tx_frames");
		CHECK_EQ(s.writes, 0, "library writes");
		check(ks.tx_flushes >= 1 && ks.tx_flushes <= s.tx_flushes,
		      "kernel tx_flushes %llu in 1..library flushes %llu",
		      (unsigned long long)ks.tx_flushes, (unsigned long long)s.tx_flushes);
	}
	check_clean(c);
	return 0;
}

/* Small RX frames, datagrams alternately 60 and 1400 bytes: the big ones
 * come as COPY through read(), in ring order.  no_rx: everything read(). */
static int sc_copy(struct ctx *c, bool no_rx)
{
	struct nfqring_ring_params p = { .rx_frame_size = 512, .rx_frame_nr = 512,
					 .flags = no_rx ? NFQRING_NO_RX_RING : 0 };
	struct nfqring_stats ks;
	struct nfqring_lib_stats s;
	bool have;

	/* netlink: full-size buffers (a smaller one cuts messages, by design),
	 * but only 16 per recvmmsg(): many bursts */
	if (!is_ring(c))
		p = (struct nfqring_ring_params){ .rx_frame_nr = 16 };
	if (open_world(c, NULL, &p))
		return 1;
	send_n(c, 0, 300, 0, 1400);
	pump_until(c, 300);
	receive(c, 300, NULL);
	CHECK_EQ(c->handled, 300, "packets handed out");
	check(c->in_order, "packets handed out in send order");
	CHECK_EQ(c->received, 300, "datagrams received");
	show_stats(c, &ks, &have);
	nfqring_lib_stats(c->h, &s);
	if (have) {
		CHECK_EQ(s.copies, no_rx ? 300 : 150, "library copies");
		CHECK_EQ(ks.rx_copy, no_rx ? 0 : 150, "kernel rx_copy");
		CHECK_EQ(ks.rx_frames, no_rx ? 0 : 150, "kernel rx_frames");
		CHECK_EQ(ks.backlog_drops, 0, "kernel backlog_drops");
	}
	check_clean(c);
	return 0;
}

static int judge_mark(struct ctx *c, const struct nfqring_packet *p, uint32_t seq)
{
	struct nfqring_verdict v = { .queue = p->queue, .id = p->id, .verdict = NF_ACCEPT,
				     .flags = seq % 2 ? 0 : NFQRING_V_MARK, .mark = 0x2a };

	check(!(p->present & NFQRING_PKT_MARK) && p->mark == 0, "packet %u arrives unmarked", p->id);
	check(nfqring_verdict(c->h, &v) == 0, "verdict: %s", nfqring_errmsg(c->h));
	return 1;
}

/* Marks set by the verdict: a later chain drops what is not marked 0x2a. */
static int sc_mark(struct ctx *c)
{
	static const char later[] =
		"  chain late { type filter hook output priority 10;\n"
		"    udp dport 9999 meta mark != 0x2a drop\n  }\n";
	struct nfqring_stats ks;
	struct nfqring_verdict v = { .verdict = NF_ACCEPT, .flags = NFQRING_V_MARK, .mark = 0x2a };
	uint32_t last;
	bool have;

	if (open_world(c, later, NULL))
		return 1;
	c->judge = judge_mark;
	send_n(c, 0, 200, 100, 0);
	pump_until(c, 200);
	receive(c, 100, NULL);
	CHECK_EQ(c->handled, 200, "packets handed out");
	CHECK_EQ(c->received, 100, "datagrams received (the marked even ones)");
	for (uint32_t i = 0; i < 200; i++)
		if (c->got[i] != !(i % 2)) {
			check(0, "datagram %u %s", i, c->got[i] ? "received" : "missing");
			break;
		}
	/* then a batch with a mark: all 100 pass */
	c->judge = NULL;
	send_n(c, 200, 100, 100, 0);
	for (long long t0 = now_ms(); c->handled < 300 && now_ms() - t0 < 3000;) {
		struct nfqring_packet p;
		int r;

		if (nfqring_wait(c->h, 100) <= 0)
			continue;
		while ((r = nfqring_next(c->h, &p)) > 0)
			c->handled++;
		if (nfqring_last_id(c->h, 0, &last)) {
			v.id = last;
			check(nfqring_verdict_batch(c->h, &v) == 0, "batch: %s", nfqring_errmsg(c->h));
		}
		nfqring_flush(c->h);
	}
	c->received = 0;
	receive(c, 100, NULL);
	CHECK_EQ(c->received, 100, "datagrams received after a batch verdict with a mark");
	show_stats(c, &ks, &have);
	check_clean(c);
	return 0;
}

/* Rewrite the data after the sequence number; UDP checksum 0 (none). */
static int judge_rewrite(struct ctx *c, const struct nfqring_packet *p, uint32_t seq)
{
	static uint8_t buf[65536];
	struct nfqring_verdict v = { .queue = p->queue, .id = p->id, .verdict = NF_ACCEPT,
				     .flags = NFQRING_V_PAYLOAD, .payload = buf,
				     .payload_len = p->payload_len };
	uint32_t ihl = (p->payload[0] & 15) * 4u;

	(void)seq;
	memcpy(buf, p->payload, p->payload_len);
	memset(buf + ihl + 8 + 4, 'R', p->payload_len - ihl - 8 - 4);
	buf[ihl + 6] = buf[ihl + 7] = 0;
	check(nfqring_verdict(c->h, &v) == 0, "verdict: %s", nfqring_errmsg(c->h));
	return 1;
}

static bool rewritten(const uint8_t *d, int n)
{
	for (int i = 4; i < n; i++)
		if (d[i] != 'R')
			return false;
	return true;
}

/* Payload replacement, small (TX frame) and big (write()). */
static int sc_payload(struct ctx *c)
{
	struct nfqring_stats ks;
	struct nfqring_lib_stats s;
	bool have;

	if (open_world(c, NULL, NULL))
		return 1;
	c->judge = judge_rewrite;
	send_n(c, 0, 200, 0, 1000);
	pump_until(c, 200);
	receive(c, 200, rewritten);
	CHECK_EQ(c->handled, 200, "packets handed out");
	CHECK_EQ(c->received, 200, "rewritten datagrams received");
	show_stats(c, &ks, &have);
	nfqring_lib_stats(c->h, &s);
	if (have) {
		CHECK_EQ(ks.tx_frames, 100, "kernel tx_frames (small rewrites)");
		CHECK_EQ(s.writes, 100, "library writes (big rewrites)");
	}
	check_clean(c);
	return 0;
}

/* A ring of 16 frames (netlink: a queue of 16) and 100 packets nobody reads
 * in time: 16 are handed out, 84 dropped and counted; then traffic flows. */
static int sc_overrun(struct ctx *c)
{
	struct nfqring_ring_params p = { .rx_frame_size = 1024, .rx_frame_nr = 16,
					 .rx_block_size = 16384 };
	struct nfqring_stats ks;
	struct nfqring_lib_stats s;
	long total = -1, dropped = -1, udropped = -1;
	bool have;

	if (open_world(c, NULL, &p))
		return 1;
	if (!is_ring(c) && nfqring_set_maxlen(c->h, 0, 16) < 0) {
		printf("# set_maxlen: %s\n", nfqring_errmsg(c->h));
		return 1;
	}
	send_n(c, 0, 100, 100, 0);
	usleep(300 * 1000);		/* let every datagram reach the queue */
	pump_until(c, 16);
	pump(c, 300);			/* and nothing more comes */
	CHECK_EQ(c->handled, 16, "packets handed out");
	receive(c, 16, NULL);
	CHECK_EQ(c->received, 16, "datagrams received");
	show_stats(c, &ks, &have);
	nfqring_lib_stats(c->h, &s);
	if (queue_stats(0, &total, &dropped, &udropped) == 0) {
		/* nfqring(4) says queue_dropped; the module counts ring overruns in
		 * queue_user_dropped (as nfnetlink_queue a full socket).  Both
		 * shown, the sum is exact. */
		printf("# after the overrun: queue_dropped %ld queue_user_dropped %ld\n",
		       dropped, udropped);
		CHECK_EQ(dropped + udropped, 84, "queue_dropped + queue_user_dropped");
	}
	else
		check(!is_ring(c) || have, "no queue figures at all");
	if (have) {
		CHECK_EQ(ks.rx_overruns, 84, "kernel rx_overruns");
		check(s.overruns >= 1, "the library saw the overrun (%llu)",
		      (unsigned long long)s.overruns);
	}
	/* it recovers: traffic the ring can take */
	c->handled = 0;
	c->received = 0;
	c->chunk = 8;
	send_n(c, 100, 50, 100, 0);
	pump_until(c, 50);
	receive(c, 50, NULL);
	CHECK_EQ(c->handled, 50, "packets handed out after the overrun");
	CHECK_EQ(c->received, 50, "datagrams received after the overrun");
	check_clean(c);
	return 0;
}

int main(int argc, char **argv)
{
	static struct ctx c;
	const char *sc;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3 || (strcmp(argv[1], "ring") && strcmp(argv[1], "netlink"))) {
		fprintf(stderr, "usage: e2e ring|netlink batch|single|write|copy|norx|mark|"
			"payload|overrun\n");
		return 2;
	}
	c.backend = strcmp(argv[1], "ring") ? NFQRING_BACKEND_NETLINK : NFQRING_BACKEND_RING;
	sc = argv[2];
	if (!strcmp(sc, "batch"))
		r = sc_batch(&c);
	else if (!strcmp(sc, "single"))
		r = sc_single(&c, false);
	else if (!strcmp(sc, "write"))
		r = sc_single(&c, true);
	else if (!strcmp(sc, "copy"))
		r = sc_copy(&c, false);
	else if (!strcmp(sc, "norx"))
		r = sc_copy(&c, true);
	else if (!strcmp(sc, "mark"))
		r = sc_mark(&c);
	else if (!strcmp(sc, "payload"))
		r = sc_payload(&c);
	else if (!strcmp(sc, "overrun"))
		r = sc_overrun(&c);
	else {
		fprintf(stderr, "e2e: unknown scenario %s\n", sc);
		return 2;
	}
	nfqring_close(c.h);
	return r || check_failures ? 1 : 0;
}
