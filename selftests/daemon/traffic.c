// SPDX-License-Identifier: GPL-2.0
/*
 * traffic: UDP for the nfqringd scenarios (nfqringd-test.sh).
 *   traffic send ADDR PORT COUNT SIZE [GAP_US]  datagrams: 4-byte seq, then 'd'
 *   traffic recv PORT QUIET_MS d|h|- [FIRST_MS]  after "ready", counts datagrams until
 *       QUIET_MS pass without one (the first awaited FIRST_MS, 20 s); prints "COUNT BAD":
 *       BAD = data not as expected (d: the sender's; h: all 'h'; -: not checked)
 *   traffic csum-off IFNAME                     software checksums on IFNAME
 *       (tx and rx offload off), so the receiver verifies every UDP checksum
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static int do_send(const char *addr, int port, long count, int size, int gap_us)
{
	static unsigned char buf[65536];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s;

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1 || size < 4 || size > (int)sizeof(buf))
		return 2;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return 1;
	memset(buf, 'd', size);
	for (long i = 0; i < count; i++) {
		uint32_t seq = htonl((uint32_t)i);

		memcpy(buf, &seq, 4);
		while (sendto(s, buf, size, 0, (struct sockaddr *)&a, sizeof(a)) < 0) {
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

static int do_recv(int port, int quiet_ms, char mode, int first_ms)
{
	static unsigned char buf[65536];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct pollfd pfd = { .events = POLLIN };
	long n = 0, bad = 0;
	int big = 32 << 20;

	pfd.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (pfd.fd < 0 || bind(pfd.fd, (struct sockaddr *)&a, sizeof(a)))
		return 1;
	setsockopt(pfd.fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	printf("ready\n");
	fflush(stdout);
	while (poll(&pfd, 1, n ? quiet_ms : first_ms) > 0) {
		ssize_t r = recv(pfd.fd, buf, sizeof(buf), 0);

		if (r >= 0) {
			n++;
			bad += bad_data(buf, r, mode);
		}
	}
	printf("%ld %ld\n", n, bad);
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
	if ((argc == 6 || argc == 7) && !strcmp(argv[1], "send"))
		return do_send(argv[2], atoi(argv[3]), atol(argv[4]), atoi(argv[5]),
			       argc == 7 ? atoi(argv[6]) : 0);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "recv"))
		return do_recv(atoi(argv[2]), atoi(argv[3]), argv[4][0],
			       argc == 6 ? atoi(argv[5]) : 20000);
	if (argc == 3 && !strcmp(argv[1], "csum-off"))
		return csum_off(argv[2]);
	fprintf(stderr, "usage: traffic send ADDR PORT COUNT SIZE [GAP_US] | recv PORT QUIET_MS d|h|- [FIRST_MS] | "
		"csum-off IFNAME\n");
	return 2;
}
