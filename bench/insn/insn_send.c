// SPDX-License-Identifier: GPL-2.0
/*
 * insn_send: the instruction pass' sender.  One UDP packet at a time, each
 * sent only when the one before has come through the queue and reached a
 * socket on the other side, then a pause: a closed loop, so that each
 * packet takes the same path whatever the host does to the emulator's
 * timing (pktgen paces by the clock and catches up in bursts when a vCPU
 * was kept waiting, and a burst changes how many packets each wake-up,
 * system call and verdict carries).
 *
 *   insn_send -4 ADDR | -6 ADDR  -s SIZE -n COUNT [-w WARMUP] [-g GAP_US]
 *             [-b BURST] [-i IFNAME -m DSTMAC -S SRCADDR] [-R CPU] -r NETNS
 *
 * Run in the sender's namespace; the receiving socket (UDP port 9, bound
 * to any address) is made in NETNS (a path such as /run/netns/dut).  SIZE
 * is the Ethernet frame as pktgen counts it (with the 4-byte FCS): the
 * payload is what is left after the headers.  Prints "ready", then, for a
 * line "go" on stdin: WARMUP round trips, the window's opening mark
 * (insn_mark.h), COUNT round trips each followed by GAP_US microseconds of
 * sleep (default 500), the closing mark, and one line:
 *   sent=N received=N lost=N warmup=N seconds=S
 * A packet that does not come back within a second is lost (and counted).
 * With BURST (default 1), a round trip is BURST packets sent back to back,
 * then BURST received (recvmmsg()): the loaded path, where a queue's consumer can take
 * several packets per wake-up, in a shape that does not depend on the
 * host's timing as much as a clock-paced generator's (COUNT and WARMUP
 * are rounded up to whole bursts).
 *
 * With -i, the sender costs what pktgen costs: the frames (Ethernet,
 * IP from SRCADDR to ADDR, UDP to port 9, the UDP checksum left out over
 * IPv4 as pktgen leaves it) are built once here and a burst goes out in one
 * sendmmsg() on a packet socket bound to IFNAME that bypasses the qdisc:
 * the driver's transmit, no socket layer, no routing, no checksum offload
 * (CHECKSUM_NONE, as from pktgen).  Without -i, a connected UDP socket sends
 * one packet per send(): the socket layer's few thousand instructions per
 * packet land on the sender's CPU in every configuration.  A send the driver
 * refuses is counted in errors=N (the line's last field) and not retried.
 *
 * With -R CPU, a thread pinned to CPU receives and tells the sender
 * through an eventfd when a burst has come: the receiving socket's system
 * calls, copies and frees leave the sender's CPU, where pktgen would
 * receive nothing.  The sender still sleeps until the burst is back (a
 * read() of the eventfd instead of a recvmmsg()): one wake-up a round, as
 * without -R.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../inet_csum.h"
#include "insn_mark.h"

#define PORT	9
#define MAXPAY	9000
#define MAXBURST	1024
#define SPORT	1000	/* the raw frames' source port: pktgen's udp_src_min */

static void fail(const char *what)
{
	fprintf(stderr, "insn_send: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: insn_send -4 ADDR | -6 ADDR -s SIZE -n COUNT [-w WARMUP] "
		"[-g GAP_US] [-b BURST] [-i IFNAME -m DSTMAC -S SRCADDR] [-R CPU] -r NETNS\n");
	exit(2);
}

union addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/* Port 9 of the family's any address (text NULL) or of text; false if text
 * is not an address of the family. */
static bool port9(union addr *a, int family, const char *text)
{
	memset(a, 0, sizeof(*a));
	a->sa.sa_family = (sa_family_t)family;
	if (family == AF_INET)
		a->v4.sin_port = htons(PORT);
	else
		a->v6.sin6_port = htons(PORT);
	return !text || inet_pton(family, text, family == AF_INET ? (void *)&a->v4.sin_addr :
						    (void *)&a->v6.sin6_addr) == 1;
}

static socklen_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* The receiving socket, made in the namespace at path. */
static int receiver(const char *path, int family)
{
	struct timeval tv = { .tv_sec = 1 };
	union addr any;
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int other = open(path, O_RDONLY | O_CLOEXEC);
	int fd;

	if (self < 0 || other < 0)
		fail(path);
	if (setns(other, CLONE_NEWNET))
		fail("setns to the receiving namespace");
	fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0)
		fail("socket");
	port9(&any, family, NULL);
	if (bind(fd, &any.sa, addr_len(family)))
		fail("bind to port 9 in the receiving namespace");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		fail("SO_RCVTIMEO");
	if (setns(self, CLONE_NEWNET))
		fail("setns back");
	close(self);
	close(other);
	return fd;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * How a burst goes out: on the UDP socket, one send() per packet; on the
 * packet socket (raw), the one frame in every message of one sendmmsg()
 */
struct sender {
	int fd;
	bool raw;
	const void *data;	/* the payload, or (raw) the frame */
	size_t len;
	unsigned long errors;	/* raw: sends the driver refused */
	struct iovec iov;
	struct mmsghdr msgs[MAXBURST];
};

static void send_burst(struct sender *s, unsigned long burst)
{
	unsigned long done = 0;
	int n;

	if (!s->raw) {
		for (; done < burst; done++)
			if (send(s->fd, s->data, s->len, 0) < 0)
				fail("send");
		return;
	}
	while (done < burst) {
		/* sendmmsg stops at the first message that fails */
		n = sendmmsg(s->fd, s->msgs, (unsigned int)(burst - done), 0);
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN)
			fail("sendmmsg");
		done += n < 0 ? 0 : (unsigned long)n;
		if (done < burst) {
			s->errors++;
			done++;
		}
	}
}

/*
 * Receive burst packets (up to a second's wait for each); how many came.
 * One at a time with recv(); a burst with recvmmsg(), which sleeps for the
 * first and takes what has come with it: the receiver's system calls and
 * wake-ups are the measurement's own cost (where pktgen would receive
 * nothing), in every configuration, so a burst pays them once or a few
 * times rather than per packet; on the sender's CPU unless -R puts them on
 * another.
 */
static unsigned long receive(int rx, unsigned long burst)
{
	static char buf[MAXPAY + 64];
	static struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	static struct mmsghdr msgs[MAXBURST];
	unsigned long got = 0;
	int n;

	if (burst == 1) {
		if (recv(rx, buf, sizeof(buf), 0) >= 0)
			return 1;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			fail("recv");
		return 0;	/* a second without it: lost */
	}
	while (got < burst) {
		/* every message into the one buffer: only the count matters */
		for (unsigned long i = 0; i < burst - got; i++)
			msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
		n = recvmmsg(rx, msgs, (unsigned int)(burst - got), MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fail("recvmmsg");
			break;	/* a second without one: the rest are lost too */
		}
		got += (unsigned long)n;
	}
	return got;
}

/*
 * The receiver thread (-R): receives `rounds` bursts and writes each one's
 * count to the eventfd `done`, plus one (a write of 0 wakes nobody)
 */
struct rx_thread {
	pthread_t thread;
	int rx, done, cpu;
	unsigned long rounds, burst;
};

static void *rx_main(void *arg)
{
	struct rx_thread *t = arg;
	cpu_set_t set;
	uint64_t v;

	CPU_ZERO(&set);
	CPU_SET(t->cpu, &set);
	errno = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (errno)
		fail("pinning the receiver thread (-R: does the CPU exist?)");
	while (t->rounds--) {
		v = receive(t->rx, t->burst) + 1;
		if (write(t->done, &v, sizeof(v)) != sizeof(v))
			fail("write to the eventfd");
	}
	return NULL;
}

/* A round's packets back: from the socket, or from the receiver thread */
static unsigned long await(int rx, const struct rx_thread *t, unsigned long burst)
{
	uint64_t v;

	if (!t)
		return receive(rx, burst);
	if (read(t->done, &v, sizeof(v)) != sizeof(v))
		fail("read from the eventfd");
	return (unsigned long)(v - 1);
}

/*
 * n round trips of burst packets, each followed by gap (may be zero); the
 * packets that came back
 */
static unsigned long round_trips(struct sender *tx, int rx, const struct rx_thread *t,
				 unsigned long n, unsigned long burst, const struct timespec *gap)
{
	unsigned long back = 0;

	while (n--) {
		send_burst(tx, burst);
		back += await(rx, t, burst);
		if (gap->tv_nsec)
			nanosleep(gap, NULL);
	}
	return back;
}

/* The checksum field for a running sum, in network order */
static uint16_t csum(uint32_t sum)
{
	return htons((uint16_t)~inet_fold(sum));
}

/*
 * The raw sender's frame into f: Ethernet smac -> dmac, IP src -> dst, UDP
 * SPORT -> PORT, pay bytes of 'i'; its length
 */
static size_t build_frame(unsigned char *f, int family, const unsigned char *smac,
			  const unsigned char *dmac, const union addr *src, const union addr *dst,
			  size_t pay)
{
	struct ether_header *eth = (void *)f;
	size_t ip_len = family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ip6_hdr);
	struct udphdr *udp = (void *)(f + sizeof(*eth) + ip_len);
	uint16_t ulen = (uint16_t)(sizeof(*udp) + pay);
	uint32_t sum;

	memcpy(eth->ether_dhost, dmac, ETH_ALEN);
	memcpy(eth->ether_shost, smac, ETH_ALEN);
	eth->ether_type = htons(family == AF_INET ? ETHERTYPE_IP : ETHERTYPE_IPV6);
	udp->source = htons(SPORT);
	udp->dest = htons(PORT);
	udp->len = htons(ulen);
	udp->check = 0;
	memset(udp + 1, 'i', pay);
	if (family == AF_INET) {
		struct iphdr *ip = (void *)(eth + 1);

		*ip = (struct iphdr){ .version = 4, .ihl = 5, .ttl = 32, .protocol = IPPROTO_UDP,
				      .tot_len = htons((uint16_t)(sizeof(*ip) + ulen)),
				      .saddr = src->v4.sin_addr.s_addr,
				      .daddr = dst->v4.sin_addr.s_addr };
		ip->check = csum(inet_sum(0, ip, sizeof(*ip)));
	} else {
		struct ip6_hdr *ip6 = (void *)(eth + 1);

		memset(ip6, 0, sizeof(*ip6));
		ip6->ip6_flow = htonl(6u << 28);
		ip6->ip6_plen = htons(ulen);
		ip6->ip6_nxt = IPPROTO_UDP;
		ip6->ip6_hlim = 32;
		ip6->ip6_src = src->v6.sin6_addr;
		ip6->ip6_dst = dst->v6.sin6_addr;
		/* over IPv6 the UDP checksum is not optional: the pseudo-header,
		 * then the datagram */
		sum = inet_sum(ulen + IPPROTO_UDP, &ip6->ip6_src, 32);
		udp->check = csum(inet_sum(sum, udp, ulen));
		if (!udp->check)
			udp->check = 0xffff;
	}
	return sizeof(*eth) + ip_len + ulen;
}

/* The raw sender: a packet socket on ifname that receives nothing (protocol
 * 0: no tap on the receive path) and bypasses the qdisc, and its frame */
static void raw_sender(struct sender *s, const char *ifname, const char *dmac_text, int family,
		       const union addr *src, const union addr *dst, size_t pay)
{
	static unsigned char frame[MAXPAY + 128];
	unsigned char dmac[ETH_ALEN];
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	struct ifreq ifr = { 0 };
	int one = 1;
	unsigned int i;

	if (sscanf(dmac_text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2],
		   &dmac[3], &dmac[4], &dmac[5]) != 6)
		usage();
	if (strlen(ifname) >= sizeof(ifr.ifr_name))
		usage();
	s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		fail("packet socket (needs CAP_NET_RAW)");
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(s->fd, SIOCGIFHWADDR, &ifr))
		fail(ifname);
	ll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!ll.sll_ifindex || bind(s->fd, (struct sockaddr *)&ll, sizeof(ll)))
		fail("bind the packet socket");
	if (setsockopt(s->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)))
		fail("PACKET_QDISC_BYPASS");
	s->raw = true;
	s->data = frame;
	s->len = build_frame(frame, family, (unsigned char *)ifr.ifr_hwaddr.sa_data, dmac, src,
			     dst, pay);
	s->iov = (struct iovec){ .iov_base = frame, .iov_len = s->len };
	for (i = 0; i < MAXBURST; i++)
		s->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &s->iov, .msg_iovlen = 1 };
}

int main(int argc, char **argv)
{
	static char pay[MAXPAY];
	static struct sender tx;
	static struct rx_thread rxt;
	const struct rx_thread *t = NULL;
	union addr dst, src;
	unsigned long count = 0, warm = 0, gap_us = 500, burst = 1, got;
	const char *netns = NULL, *ifname = NULL, *dmac = NULL, *src_text = NULL;
	struct timespec gap;
	int family = 0, size = 0, opt, rx, rx_cpu = -1;
	long hdr;
	char line[64];
	double secs;

	while ((opt = getopt(argc, argv, "4:6:s:n:w:g:b:r:i:m:S:R:")) != -1) {
		switch (opt) {
		case '4':
		case '6':
			family = opt == '4' ? AF_INET : AF_INET6;
			if (!port9(&dst, family, optarg))
				usage();
			break;
		case 's': size = atoi(optarg); break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'w': warm = strtoul(optarg, NULL, 10); break;
		case 'g': gap_us = strtoul(optarg, NULL, 10); break;
		case 'b': burst = strtoul(optarg, NULL, 10); break;
		case 'r': netns = optarg; break;
		case 'i': ifname = optarg; break;
		case 'm': dmac = optarg; break;
		case 'S': src_text = optarg; break;
		case 'R': rx_cpu = atoi(optarg); break;
		default: usage();
		}
	}
	/* the frame less FCS, Ethernet, IP and UDP headers */
	hdr = 4 + 14 + (family == AF_INET ? 20 : 40) + 8;
	if (optind != argc || !family || !count || !netns || size - hdr < 0 ||
	    size - hdr > MAXPAY || gap_us >= 1000000 || !burst || burst > MAXBURST ||
	    !ifname != !dmac || !ifname != !src_text || rx_cpu < -1 || rx_cpu >= CPU_SETSIZE ||
	    (src_text && !port9(&src, family, src_text)))
		usage();
	count = (count + burst - 1) / burst * burst;
	warm = (warm + burst - 1) / burst * burst;
	gap = (struct timespec){ .tv_nsec = (long)gap_us * 1000 };
	memset(pay, 'i', sizeof(pay));
	rx = receiver(netns, family);
	if (ifname) {
		raw_sender(&tx, ifname, dmac, family, &src, &dst, (size_t)(size - hdr));
	} else {
		tx.fd = socket(family, SOCK_DGRAM, 0);
		if (tx.fd < 0)
			fail("socket");
		if (connect(tx.fd, &dst.sa, addr_len(family)))
			fail("connect");
		tx.data = pay;
		tx.len = (size_t)(size - hdr);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	if (!fgets(line, sizeof(line), stdin) || strcmp(line, "go\n")) {
		fprintf(stderr, "insn_send: expected a line \"go\"\n");
		return 2;
	}
	if (rx_cpu >= 0) {
		/* started outside the window, for every round of both phases */
		rxt = (struct rx_thread){ .rx = rx, .cpu = rx_cpu, .burst = burst,
					  .rounds = (warm + count) / burst };
		rxt.done = eventfd(0, EFD_CLOEXEC);
		if (rxt.done < 0)
			fail("eventfd");
		errno = pthread_create(&rxt.thread, NULL, rx_main, &rxt);
		if (errno)
			fail("pthread_create");
		t = &rxt;
	}
	round_trips(&tx, rx, t, warm / burst, burst, &gap);
	secs = now_s();
	insn_mark_start();
	got = round_trips(&tx, rx, t, count / burst, burst, &gap);
	insn_mark_stop();
	secs = now_s() - secs;
	if (t)
		pthread_join(rxt.thread, NULL);
	printf("sent=%lu received=%lu lost=%lu warmup=%lu seconds=%.3f errors=%lu\n", count, got,
	       count - got, warm, secs, tx.errors);
	return 0;
}
