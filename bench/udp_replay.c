// SPDX-License-Identifier: GPL-2.0
/*
 * udp_replay: the sender of the daemon benchmark.  Replays a corpus written
 * by rulegen.py through raw sockets, so that source addresses, ports and
 * payloads vary as the corpus says, aimed at the addresses given here.
 *
 *   udp_replay -4 ADDR [-6 ADDR] [-d SECONDS | -n COUNT] [-r PPS] [-b BATCH] CORPUS
 *
 * Destination addresses are rewritten once at start (IPv4 header and L4
 * checksums recomputed); packets of a family without a target address are
 * left out.  Packets go out round-robin in corpus order, in sendmmsg()
 * batches, as fast as possible or paced to PPS; then one line of key=value
 * figures.  Needs CAP_NET_RAW; IPv4 through IPPROTO_RAW (IP_HDRINCL
 * implied), IPv6 through IPPROTO_RAW on AF_INET6 (header included too).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "inet_csum.h"

#define MAX_BATCH	1024

struct fam {
	int fd;
	uint32_t n;			/* packets of this family */
	struct mmsghdr *msgs;		/* one per packet, in corpus order */
	struct iovec *iov;
	uint32_t next;			/* round-robin position */
	uint64_t sent, errors;
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} dst;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "udp_replay: %s\n", what);
	exit(2);
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Recompute the TCP/UDP checksum of a packet whose addresses changed. */
static void fix_l4(uint8_t *pkt, size_t len, size_t l4, uint8_t proto, const uint8_t *addrs,
		   size_t alen)
{
	size_t coff = proto == 6 ? 16 : proto == 17 ? 6 : 0;
	uint32_t l4len = (uint32_t)(len - l4), s;
	uint16_t c;

	if (!coff || len < l4 + coff + 2)
		return;		/* not TCP/UDP, or cut short: leave it */
	if (proto == 17 && pkt[l4 + 6] == 0 && pkt[l4 + 7] == 0)
		return;		/* UDP without checksum stays so */
	put16(pkt + l4 + coff, 0);
	s = inet_sum(0, addrs, alen) + proto + (l4len >> 16) + (l4len & 0xffff);
	s = inet_sum(s, pkt + l4, l4len);
	c = (uint16_t)~inet_fold(s);
	if (c == 0 && proto == 17)
		c = 0xffff;	/* 0 means "no checksum" for UDP */
	put16(pkt + l4 + coff, c);
}

/* Aim one packet at dst; returns 4 or 6, or 0 to leave it out. */
static int aim(uint8_t *pkt, size_t len, const struct in_addr *d4, const struct in6_addr *d6)
{
	if (len >= 20 && pkt[0] >> 4 == 4) {
		size_t ihl = (size_t)(pkt[0] & 15) * 4;

		if (!d4 || ihl < 20 || len < ihl)
			return 0;
		memcpy(pkt + 16, d4, 4);
		put16(pkt + 10, 0);
		put16(pkt + 10, (uint16_t)~inet_fold(inet_sum(0, pkt, ihl)));
		fix_l4(pkt, len, ihl, pkt[9], pkt + 12, 8);
		return 4;
	}
	if (len >= 40 && pkt[0] >> 4 == 6) {
		if (!d6)
			return 0;
		memcpy(pkt + 24, d6, 16);
		/* rulegen writes no extension headers: L4 follows at 40 */
		fix_l4(pkt, len, 40, pkt[6], pkt + 8, 32);
		return 6;
	}
	return 0;
}

static void add(struct fam *f, uint8_t *pkt, size_t len, void *name, socklen_t namelen)
{
	struct mmsghdr *m = &f->msgs[f->n];

	f->iov[f->n] = (struct iovec){ pkt, len };
	memset(m, 0, sizeof(*m));
	m->msg_hdr.msg_iov = &f->iov[f->n];
	m->msg_hdr.msg_iovlen = 1;
	m->msg_hdr.msg_name = name;
	m->msg_hdr.msg_namelen = namelen;
	f->n++;
}

static void load(const char *path, struct fam *f4, struct fam *f6,
		 const struct in_addr *d4, const struct in6_addr *d6)
{
	FILE *fp = fopen(path, "rb");
	uint8_t h[20], rh[16];
	uint32_t n, n_if;

	if (!fp)
		die("cannot open the corpus");
	if (fread(h, 1, 20, fp) != 20 || memcmp(h, "NFQRCORP", 8) || le32(h + 8) != 1)
		die("not a version 1 corpus");
	n = le32(h + 12);
	n_if = le32(h + 16);
	if (fseek(fp, (long)n_if * 16, SEEK_CUR))
		die("truncated corpus");
	for (struct fam *f = f4; f; f = f == f4 ? f6 : NULL) {
		f->msgs = calloc(n ? n : 1, sizeof(*f->msgs));
		f->iov = calloc(n ? n : 1, sizeof(*f->iov));
		if (!f->msgs || !f->iov)
			die("out of memory");
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len;
		uint8_t *pkt;

		if (fread(rh, 1, 16, fp) != 16)
			die("truncated corpus");
		len = le32(rh);
		if (len == 0 || len > 65535 || !(pkt = malloc(len)))
			die("bad record");
		if (fread(pkt, 1, len, fp) != len)
			die("truncated corpus");
		switch (aim(pkt, len, d4, d6)) {
		case 4: add(f4, pkt, len, &f4->dst.v4, sizeof(f4->dst.v4)); break;
		case 6: add(f6, pkt, len, &f6->dst.v6, sizeof(f6->dst.v6)); break;
		default: free(pkt);
		}
	}
	fclose(fp);
}

/* Send up to want packets of f, wrapping around its list. */
static void send_some(struct fam *f, uint32_t want)
{
	while (want && !stop) {
		uint32_t k = f->n - f->next < want ? f->n - f->next : want;
		int r = sendmmsg(f->fd, &f->msgs[f->next], k, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* ENOBUFS and the like: count the packet as lost, go on */
			f->errors++;
			r = 1;
		} else {
			f->sent += (uint64_t)r;
		}
		f->next = (f->next + (uint32_t)r) % f->n;
		want -= (uint32_t)r;
	}
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr, "usage: udp_replay [-4 ADDR] [-6 ADDR] [-d SECONDS | -n COUNT] "
		"[-r PPS] [-b BATCH] CORPUS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct fam f4 = { .fd = -1 }, f6 = { .fd = -1 };
	struct in_addr a4;
	struct in6_addr a6;
	bool have4 = false, have6 = false;
	double secs = 0, pps = 0, t0, t1;
	uint64_t count = 0, total = 0;
	uint32_t batch = 64;
	int opt, sndbuf = 4 << 20;

	while ((opt = getopt(argc, argv, "4:6:d:n:r:b:")) != -1) {
		switch (opt) {
		case '4': have4 = inet_pton(AF_INET, optarg, &a4) == 1; if (!have4) usage(); break;
		case '6': have6 = inet_pton(AF_INET6, optarg, &a6) == 1; if (!have6) usage(); break;
		case 'd': secs = atof(optarg); break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 'r': pps = atof(optarg); break;
		case 'b': batch = (uint32_t)atoi(optarg); break;
		default: usage();
		}
	}
	if (argc - optind != 1 || (!have4 && !have6) || batch == 0 || batch > MAX_BATCH ||
	    (secs <= 0) == (count == 0))
		usage();
	/* first: a stop that comes while the corpus loads (exec and loading
	 * take a second or more under TCG) still ends with the figures line */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	f4.dst.v4 = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = a4 };
	f6.dst.v6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_addr = a6 };
	load(argv[optind], &f4, &f6, have4 ? &a4 : NULL, have6 ? &a6 : NULL);
	if (f4.n + f6.n == 0)
		die("no packet of the families given");
	if (f4.n && (f4.fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) < 0)
		die("socket(AF_INET, SOCK_RAW, IPPROTO_RAW): need CAP_NET_RAW");
	if (f6.n && (f6.fd = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW)) < 0)
		die("socket(AF_INET6, SOCK_RAW, IPPROTO_RAW): need CAP_NET_RAW");
	if (f4.fd >= 0)
		setsockopt(f4.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	if (f6.fd >= 0)
		setsockopt(f6.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* guest.sh starts its window on this line: exec and loading took
	 * nearly a whole window once */
	printf("sending\n");
	fflush(stdout);
	/* each round: one batch, split between the families as in the corpus */
	t0 = now_s();
	for (;;) {
		uint32_t bt = count && count - total < batch ? (uint32_t)(count - total) : batch;
		uint32_t b4 = (uint32_t)((uint64_t)bt * f4.n / (f4.n + f6.n)), b6;
		double t;

		if (f4.n && b4 == 0 && (!f6.n || total % 2 == 0))
			b4 = 1;		/* small batches: alternate the families */
		b6 = bt - b4;
		if (f4.n)
			send_some(&f4, b4);
		if (f6.n)
			send_some(&f6, b6);
		total = f4.sent + f6.sent + f4.errors + f6.errors;
		t = now_s() - t0;
		if (stop || (count && total >= count) || (secs > 0 && t >= secs))
			break;
		if (pps > 0 && (double)total / pps > t) {
			double w = (double)total / pps - t;
			struct timespec ts = { (time_t)w, (long)((w - (double)(time_t)w) * 1e9) };

			nanosleep(&ts, NULL);
		}
	}
	t1 = now_s() - t0;
	printf("sent=%llu v4=%llu v6=%llu errors=%llu seconds=%.3f pps=%.0f corpus_v4=%u corpus_v6=%u batch=%u\n",
	       (unsigned long long)(f4.sent + f6.sent), (unsigned long long)f4.sent,
	       (unsigned long long)f6.sent, (unsigned long long)(f4.errors + f6.errors), t1,
	       t1 > 0 ? (double)(f4.sent + f6.sent) / t1 : 0.0, f4.n, f6.n, batch);
	return 0;
}
