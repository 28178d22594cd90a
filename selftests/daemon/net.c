// SPDX-License-Identifier: GPL-2.0
/* The test world behind net.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

int netns_enter(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s, r = 0;

	if (unshare(CLONE_NEWNET))
		return -errno;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr))
			r = -errno;
	} else {
		r = -errno;
	}
	close(s);
	return r;
}

int nft(const char *rules)
{
	FILE *f = popen("nft -f -", "w");

	if (!f)
		return -1;
	fputs(rules, f);
	return pclose(f) == 0 ? 0 : -1;
}

int nft_queue_udp(const char *extra)
{
	char rules[1024];

	snprintf(rules, sizeof(rules),
		 "flush ruleset\n"
		 "table inet t {\n"
		 "  chain out { type filter hook output priority 0;\n"
		 "    udp dport %d queue num 0\n  }\n"
		 "%s"
		 "}\n", TEST_PORT, extra ? extra : "");
	return nft(rules);
}

static struct sockaddr_in test_addr(void)
{
	return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(TEST_PORT),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

int udp_receiver(void)
{
	struct sockaddr_in a = test_addr();
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int big = 16 << 20;

	if (s < 0)
		return -1;
	/* every datagram the kernel lets through must fit, or counts are off */
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (bind(s, (struct sockaddr *)&a, sizeof(a))) {
		close(s);
		return -1;
	}
	return s;
}

int udp_sender(void)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int big = 16 << 20;

	if (s >= 0)
		setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	return s;
}

int udp_send_one(int s, uint32_t seq, size_t len)
{
	struct sockaddr_in a = test_addr();
	unsigned char buf[65536];
	uint32_t be = htonl(seq);

	if (len < 4 || len > sizeof(buf))
		return -EINVAL;
	memset(buf, DATA_FILL, len);
	memcpy(buf, &be, 4);
	if (sendto(s, buf, len, 0, (struct sockaddr *)&a, sizeof(a)) != (ssize_t)len)
		return -errno;
	return 0;
}

int udp_recv_one(int s, void *buf, size_t cap, int ms)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	ssize_t n = recv(s, buf, cap, MSG_DONTWAIT);

	if (n >= 0)
		return (int)n;
	if (errno != EAGAIN)
		return -errno;
	if (poll(&p, 1, ms) <= 0)
		return 0;
	n = recv(s, buf, cap, MSG_DONTWAIT);
	return n >= 0 ? (int)n : (errno == EAGAIN ? 0 : -errno);
}

uint32_t data_seq(const void *data)
{
	uint32_t be;

	memcpy(&be, data, 4);
	return ntohl(be);
}

static long last_portid = -1;

long queue_portid(unsigned int q)
{
	long total, dropped, udropped;

	return queue_stats(q, &total, &dropped, &udropped) == 0 ? last_portid : -1;
}

int queue_stats(unsigned int q, long *total, long *dropped, long *user_dropped)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	unsigned int num;
	long portid, tot, mode, range, dr, udr;
	int r = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%u %ld %ld %ld %ld %ld %ld %*[^\n]", &num, &portid, &tot, &mode,
		      &range, &dr, &udr) == 7) {
		if (num == q) {
			*total = tot;
			*dropped = dr;
			*user_dropped = udr;
			last_portid = portid;
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}
