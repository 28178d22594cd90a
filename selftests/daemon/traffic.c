// SPDX-License-Identifier: GPL-2.0
/*
 * traffic: UDP for the nfqringd scenarios (nfqringd-test.sh).
 *   traffic send ADDR PORT COUNT SIZE [GAP_US [FROM [TEXT]]]
 *       datagrams: 4-byte seq, TEXT, then 'd'; ADDR and FROM (source, "-": any)
 *       are IPv4 or IPv6
 *   traffic send-gso ADDR PORT COUNT SEGSIZE NSEGS
 *       UDP GSO (UDP_SEGMENT): COUNT superframes of NSEGS segments each
 *   traffic recv PORT QUIET_MS d|h|- [FIRST_MS [EXPECT]]  after "ready", counts
 *       datagrams (IPv4 and IPv6) until QUIET_MS pass without one (the first
 *       awaited FIRST_MS, 20 s; once EXPECT are in, 300 ms); prints "COUNT BAD":
 *       BAD = data not as expected (d: the sender's; h: all 'h'; -: not checked)
 *   traffic csum-off IFNAME                     software checksums on IFNAME
 *       (tx and rx offload off), so the receiver verifies every UDP checksum
 *   traffic echo PORT QUIET_MS [FIRST_MS]  after "ready", sends every datagram
 *       back to where it came from (the reply direction of its conntrack
 *       entry) until QUIET_MS pass without one (the first awaited FIRST_MS,
 *       20 s); prints how many it echoed
 *   traffic tcp-listen PORT QUIET_MS [FIRST_MS]  after "ready", accepts TCP
 *       connections (IPv4 and IPv6) until QUIET_MS pass without one (the
 *       first awaited FIRST_MS, 20 s); prints how many it accepted
 *   traffic tcp-connect ADDR PORT TIMEOUT_MS   one TCP connect; prints
 *       "connected MS", "refused MS" (a reset), "timeout MS" or "error ERRNO MS"
 *   traffic udp-connect ADDR PORT TIMEOUT_MS   a connected UDP socket sends
 *       one datagram and waits for an answer; prints "reply MS", "refused MS"
 *       (ICMP port unreachable), "unreachable MS" (host unreachable or
 *       administratively prohibited), "timeout MS" or "error ERRNO MS"
 *   traffic tcp6-raw SRC DST DPORT EXT ATOMIC FLAGS SEQ PAYLOAD   one IPv6 TCP
 *       segment built by hand and sent through a raw socket: after an atomic
 *       fragment header (offset 0, no more fragments) when ATOMIC is 1, and
 *       EXT bytes of Destination Options (PadN; a multiple of 8, 0: none),
 *       TCP flags FLAGS (hex), sequence number SEQ, PAYLOAD as given
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

#include "pkt.h"

/* ADDR and FROM: IPv4 or IPv6; FROM "-" lets the kernel choose */
static int fill_addr(const char *str, int port, struct sockaddr_in6 *a6, socklen_t *len)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)a6;

	memset(a6, 0, sizeof(*a6));
	if (inet_pton(AF_INET, str, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, str, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	fprintf(stderr, "traffic: '%s' is not an IPv4 or IPv6 address\n", str);
	return -1;
}

static int do_send(const char *addr, int port, long count, int size, int gap_us,
		   const char *from, const char *text)
{
	static unsigned char buf[65536];
	struct sockaddr_in6 a, f;
	socklen_t alen, flen;
	size_t tlen = text ? strlen(text) : 0;
	int s;

	if (fill_addr(addr, port, &a, &alen) || size < 4 || size > (int)sizeof(buf) ||
	    tlen > (size_t)size - 4)
		return 2;
	s = socket(a.sin6_family, SOCK_DGRAM, 0);
	if (s < 0)
		return 1;
	if (from && strcmp(from, "-")) {
		if (fill_addr(from, 0, &f, &flen) || f.sin6_family != a.sin6_family)
			return 2;
		if (bind(s, (struct sockaddr *)&f, flen)) {
			perror("traffic: bind");
			return 1;
		}
	}
	memset(buf, 'd', size);
	if (tlen)
		memcpy(buf + 4, text, tlen);
	for (long i = 0; i < count; i++) {
		uint32_t seq = htonl((uint32_t)i);

		memcpy(buf, &seq, 4);
		while (sendto(s, buf, size, 0, (struct sockaddr *)&a, alen) < 0) {
			if (errno == EPERM)
				break;		/* dropped by a verdict on this host */
			if (errno != ENOBUFS && errno != EAGAIN)
				return 1;
			usleep(100);
		}
		if (gap_us)
			usleep(gap_us);
	}
	close(s);
	return 0;
}

/* UDP GSO: each send() carries NSEGS segments of SEGSIZE bytes in one
 * superframe (UDP_SEGMENT); the stack or the queue segments it later. */
static int do_send_gso(const char *addr, int port, long count, int segsize, int nsegs)
{
	static unsigned char buf[65000];
	struct sockaddr_in6 a;
	socklen_t alen;
	int s, seg = segsize;

	if (fill_addr(addr, port, &a, &alen) || segsize < 4 || nsegs < 1 ||
	    (long)segsize * nsegs > (long)sizeof(buf))
		return 2;
	s = socket(a.sin6_family, SOCK_DGRAM, 0);
	if (s < 0 || setsockopt(s, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg))) {
		perror("traffic: UDP_SEGMENT");
		return 1;
	}
	memset(buf, 'd', sizeof(buf));
	for (long i = 0; i < count; i++) {
		uint32_t seq = htonl((uint32_t)i);

		memcpy(buf, &seq, 4);
		while (sendto(s, buf, (size_t)segsize * nsegs, 0, (struct sockaddr *)&a, alen) < 0) {
			if (errno != ENOBUFS && errno != EAGAIN) {
				perror("traffic: sendto (GSO)");
				return 1;
			}
			usleep(100);
		}
		usleep(1000);
	}
	close(s);
	return 0;
}

static int bad_data(const unsigned char *b, ssize_t n, char mode)
{
	ssize_t i = mode == 'd' ? 4 : 0;

	if (mode == '-')
		return 0;
	if (n < 4)
		return 1;
	for (; i < n; i++)
		if (b[i] != (unsigned char)mode)
			return 1;
	return 0;
}

static int do_recv(int port, int quiet_ms, char mode, int first_ms, long expect)
{
	static unsigned char buf[65536];
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct pollfd pfd = { .events = POLLIN };
	long n = 0, bad = 0;
	int big = 32 << 20, off = 0;

	/* one socket for IPv4 and IPv6 */
	pfd.fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (pfd.fd < 0 ||
	    setsockopt(pfd.fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    bind(pfd.fd, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	setsockopt(pfd.fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	printf("ready\n");
	fflush(stdout);
	/* once EXPECT datagrams are in, only a short wait for any extra */
	while (poll(&pfd, 1, !n ? first_ms : expect > 0 && n >= expect ?
		    (quiet_ms < 300 ? quiet_ms : 300) : quiet_ms) > 0) {
		ssize_t r = recv(pfd.fd, buf, sizeof(buf), 0);

		if (r >= 0) {
			n++;
			bad += bad_data(buf, r, mode);
		}
	}
	printf("%ld %ld\n", n, bad);
	return 0;
}

static int do_echo(int port, int quiet_ms, int first_ms)
{
	static unsigned char buf[65536];
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) }, from;
	struct pollfd pfd = { .events = POLLIN };
	long n = 0;
	int off = 0;

	pfd.fd = socket(AF_INET6, SOCK_DGRAM, 0);
	if (pfd.fd < 0 ||
	    setsockopt(pfd.fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    bind(pfd.fd, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (poll(&pfd, 1, n ? quiet_ms : first_ms) > 0) {
		socklen_t flen = sizeof(from);
		ssize_t r = recvfrom(pfd.fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);

		if (r >= 0 && sendto(pfd.fd, buf, (size_t)r, 0, (struct sockaddr *)&from, flen) == r)
			n++;
	}
	printf("%ld\n", n);
	return 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void on_term(int sig)
{
	(void)sig;	/* only to interrupt poll() */
}

/* Accepts until quiet for a while, or until SIGTERM; prints the count. */
static int do_tcp_listen(int port, int quiet_ms, int first_ms)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sigaction sa = { .sa_handler = on_term };	/* no SA_RESTART */
	struct pollfd pfd = { .events = POLLIN };
	long n = 0;
	int off = 0, on = 1;

	sigaction(SIGTERM, &sa, NULL);

	pfd.fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (pfd.fd < 0 ||
	    setsockopt(pfd.fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    setsockopt(pfd.fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    bind(pfd.fd, (struct sockaddr *)&a, sizeof(a)) || listen(pfd.fd, 64))
		return 1;
	printf("ready\n");
	fflush(stdout);
	while (poll(&pfd, 1, n ? quiet_ms : first_ms) > 0) {
		int c = accept(pfd.fd, NULL, NULL);

		if (c >= 0) {
			n++;
			close(c);
		}
	}
	printf("%ld\n", n);
	return 0;
}

/* What a refused connection or datagram reports, in the words above. */
static const char *err_word(int e)
{
	switch (e) {
	case ECONNREFUSED: return "refused";
	case EHOSTUNREACH: case ENETUNREACH: case EACCES: return "unreachable";
	default: return NULL;
	}
}

static void put_result(const char *what, int e, const struct timespec *t0)
{
	if (what)
		printf("%s %ld\n", what, ms_since(t0));
	else if (err_word(e))
		printf("%s %ld\n", err_word(e), ms_since(t0));
	else
		printf("error %d %ld\n", e, ms_since(t0));
}

static int do_tcp_connect(const char *addr, int port, int timeout_ms)
{
	struct sockaddr_in6 a;
	struct pollfd pfd = { .events = POLLOUT };
	struct timespec t0;
	socklen_t alen, elen = sizeof(int);
	int e = 0;

	if (fill_addr(addr, port, &a, &alen))
		return 2;
	pfd.fd = socket(a.sin6_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (pfd.fd < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (connect(pfd.fd, (struct sockaddr *)&a, alen) == 0) {
		put_result("connected", 0, &t0);
		return 0;
	}
	if (errno != EINPROGRESS) {
		put_result(NULL, errno, &t0);
		return 0;
	}
	if (poll(&pfd, 1, timeout_ms) == 0) {
		put_result("timeout", 0, &t0);
		return 0;
	}
	getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &e, &elen);
	put_result(e ? NULL : "connected", e, &t0);
	close(pfd.fd);
	return 0;
}

static int do_udp_connect(const char *addr, int port, int timeout_ms)
{
	struct sockaddr_in6 a;
	struct pollfd pfd = { .events = POLLIN };
	struct timespec t0;
	socklen_t alen;
	char b[64];

	if (fill_addr(addr, port, &a, &alen))
		return 2;
	pfd.fd = socket(a.sin6_family, SOCK_DGRAM, 0);
	if (pfd.fd < 0 || connect(pfd.fd, (struct sockaddr *)&a, alen))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (send(pfd.fd, "udp-connect", 11, 0) < 0) {
		put_result(NULL, errno, &t0);
		return 0;
	}
	if (poll(&pfd, 1, timeout_ms) == 0)
		put_result("timeout", 0, &t0);
	else if (recv(pfd.fd, b, sizeof(b), MSG_DONTWAIT) >= 0)
		put_result("reply", 0, &t0);
	else
		put_result(NULL, errno, &t0);
	close(pfd.fd);
	return 0;
}

/* built with daemon/tests/pkt.c, the host tests' packet builders */
static int do_tcp6_raw(const char *src, const char *dst, int dport, int ext, int atomic,
		       unsigned flags, uint32_t seq, const char *payload)
{
	static uint8_t pkt[65536], hdrs[4096], l4[65536];
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };
	size_t plen = strlen(payload), n, l, len;
	uint8_t first;
	int fd;

	if (ext % 8 || ext > 2048 || plen > 60000 || inet_pton(AF_INET6, dst, &to.sin6_addr) != 1) {
		fprintf(stderr, "tcp6-raw: EXT a multiple of 8 up to 2048, an IPv6 DST, a shorter "
			"payload\n");
		return 2;
	}
	n = pkt_ext_chain(hdrs, (size_t)ext, atomic, 6, &first);
	l = l4_tcp(l4, 40000, (uint16_t)dport, (uint8_t)flags, payload, plen);
	l4[4] = (uint8_t)(seq >> 24); l4[5] = (uint8_t)(seq >> 16);
	l4[6] = (uint8_t)(seq >> 8); l4[7] = (uint8_t)seq;
	len = pkt_ipv6(pkt, src, dst, first, hdrs, n, l4, l);
	ref_l4_csum_set(pkt, len, 40 + n, 6, 40 + n + 16);
	fd = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);	/* the header is ours */
	if (fd < 0 || sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len) {
		perror("tcp6-raw");
		return 1;
	}
	close(fd);
	return 0;
}

static int csum_off(const char *ifname)
{
	struct ethtool_value v = { .data = 0 };
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0), rc = 0;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&v;
	v.cmd = ETHTOOL_STXCSUM;
	if (ioctl(s, SIOCETHTOOL, &ifr)) {
		perror("ETHTOOL_STXCSUM");
		rc = 1;
	}
	v.cmd = ETHTOOL_SRXCSUM;
	v.data = 0;
	if (ioctl(s, SIOCETHTOOL, &ifr)) {
		perror("ETHTOOL_SRXCSUM");
		rc = 1;
	}
	close(s);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && argc <= 9 && !strcmp(argv[1], "send"))
		return do_send(argv[2], atoi(argv[3]), atol(argv[4]), atoi(argv[5]),
			       argc >= 7 ? atoi(argv[6]) : 0, argc >= 8 ? argv[7] : NULL,
			       argc >= 9 ? argv[8] : NULL);
	if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "recv"))
		return do_recv(atoi(argv[2]), atoi(argv[3]), argv[4][0],
			       argc >= 6 ? atoi(argv[5]) : 20000, argc == 7 ? atol(argv[6]) : 0);
	if (argc == 7 && !strcmp(argv[1], "send-gso"))
		return do_send_gso(argv[2], atoi(argv[3]), atol(argv[4]), atoi(argv[5]),
				   atoi(argv[6]));
	if (argc == 3 && !strcmp(argv[1], "csum-off"))
		return csum_off(argv[2]);
	if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "echo"))
		return do_echo(atoi(argv[2]), atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 20000);
	if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "tcp-listen"))
		return do_tcp_listen(atoi(argv[2]), atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 20000);
	if (argc == 5 && !strcmp(argv[1], "tcp-connect"))
		return do_tcp_connect(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "udp-connect"))
		return do_udp_connect(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 10 && !strcmp(argv[1], "tcp6-raw"))
		return do_tcp6_raw(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), atoi(argv[6]),
				   (unsigned)strtoul(argv[7], NULL, 16),
				   (uint32_t)strtoul(argv[8], NULL, 0), argv[9]);
	fprintf(stderr, "usage: traffic send ADDR PORT COUNT SIZE [GAP_US [FROM [TEXT]]] | "
		"send-gso ADDR PORT COUNT SEGSIZE NSEGS | recv PORT QUIET_MS d|h|- [FIRST_MS [EXPECT]] | "
		"echo PORT QUIET_MS [FIRST_MS] | tcp-listen PORT QUIET_MS [FIRST_MS] | "
		"tcp-connect ADDR PORT TIMEOUT_MS | udp-connect ADDR PORT TIMEOUT_MS | csum-off IFNAME | "
		"tcp6-raw SRC DST DPORT EXT ATOMIC FLAGS SEQ PAYLOAD\n");
	return 2;
}
