// SPDX-License-Identifier: GPL-2.0
/*
 * Queued packets end to end over NETLINK_NETFILTER with the libmnl-based
 * API (nfq_nlmsg_*): PACKET attributes, queue limits and overruns,
 * listener and device going away, repeat/requeue, bypass, balancing,
 * marks, connmark and payload rewriting.  Every packet sent is either
 * received by the UDP sink or accounted as dropped, exactly.
 */
#include <signal.h>
#include <sys/wait.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdbool.h>	/* pktbuff.h needs it */
#include <libnetfilter_queue/pktbuff.h>
#include <libnetfilter_queue/libnetfilter_queue_ipv4.h>
#include <libnetfilter_queue/libnetfilter_queue_udp.h>

#include "nlq.h"
#include "kselftest_harness.h"

#define A(x) (1ULL << (x))
/* Timestamps depend on whether anything enabled them: not compared. */
#define ATTRS(p) ((p).attrs & ~A(NFQA_TIMESTAMP))

/* Accepts every packet on q until none came for quiet_ms; returns count. */
static int accept_all(struct nlq *q, int quiet_ms)
{
	struct nlq_pkt pk;
	int n = 0;

	while (nlq_next(q, &pk, quiet_ms) == 1) {
		if (nlq_verdict(q, pk.queue, pk.id, NF_ACCEPT, -1, NLQ_NOACK))
			return -1;
		n++;
	}
	return n;
}

/* The attribute sets of PACKET messages for the cases we can make on lo. */
TEST(packet_attributes)
{
	/* lo input: hw address (zeros) and in device; output: out device */
	const uint64_t in = A(NFQA_PACKET_HDR) | A(NFQA_IFINDEX_INDEV) | A(NFQA_HWADDR);
	const uint64_t out = A(NFQA_PACKET_HDR) | A(NFQA_IFINDEX_OUTDEV);
	/* Without a copy the checksum is left partial: SKB_INFO says
	 * CSUMNOTREADY.  Copying the packet (no F_GSO) completes it first. */
	const uint64_t meta_in = in | A(NFQA_SKB_INFO), meta_out = out | A(NFQA_SKB_INFO);
	const uint64_t pkt_in = in | A(NFQA_PAYLOAD), pkt_out = out | A(NFQA_PAYLOAD);
	struct nlq_pkt pk;
	struct nlq a;
	int sink, i;

	nlq_netns();
	nft("table ip t {\n"
	    " chain in { type filter hook input priority 0;\n"
	    "  udp dport 7777 queue num 0\n"
	    "  udp dport 7778 meta mark set 7 queue num 0\n"
	    "  udp dport 7780 ct state new queue num 0; }\n"
	    " chain out { type filter hook output priority 0;\n"
	    "  udp dport 7779 queue num 0; }\n"
	    "}\n");
	sink = udp_sink("0.0.0.0", 7777);
	nlq_open(&a);
	nlq_bind(&a, 0, NFQNL_COPY_META);

	struct { const char *what; uint16_t port; uint8_t mode; uint32_t range;
		 uint32_t flags; uint64_t want; int plen; } c[] = {
		{ "meta", 7777, NFQNL_COPY_META, 0, 0, meta_in, -1 },
		{ "packet", 7777, NFQNL_COPY_PACKET, 0, 0, pkt_in, 33 },
		{ "packet range 8", 7777, NFQNL_COPY_PACKET, 8, 0, pkt_in | A(NFQA_CAP_LEN), 8 },
		{ "packet range 33", 7777, NFQNL_COPY_PACKET, 33, 0, pkt_in, 33 },
		{ "mark", 7778, NFQNL_COPY_PACKET, 0, 0, pkt_in | A(NFQA_MARK), 33 },
		{ "output", 7779, NFQNL_COPY_PACKET, 0, 0, pkt_out, 33 },
		{ "output uid/gid", 7779, NFQNL_COPY_META, 0, NFQA_CFG_F_UID_GID,
		  meta_out | A(NFQA_UID) | A(NFQA_GID), -1 },
		{ "input uid/gid (no socket)", 7777, NFQNL_COPY_META, 0, NFQA_CFG_F_UID_GID, meta_in, -1 },
		{ "conntrack", 7780, NFQNL_COPY_META, 0, NFQA_CFG_F_CONNTRACK,
		  meta_in | A(NFQA_CT) | A(NFQA_CT_INFO), -1 },
		{ "packet, gso flag", 7777, NFQNL_COPY_PACKET, 0, NFQA_CFG_F_GSO,
		  pkt_in | A(NFQA_SKB_INFO), 33 },
	};
	for (i = 0; i < (int)(sizeof(c) / sizeof(c[0])); i++) {
		ASSERT_EQ(0, nlq_mode(&a, 0, c[i].mode, c[i].range));
		ASSERT_EQ(0, nlq_flags(&a, 0, c[i].flags, 0xffffffff));
		udp_send("127.0.0.1", c[i].port, 1, "hello");
		ASSERT_EQ(1, nlq_next(&a, &pk, 5000)) TH_LOG("%s", c[i].what);
		TH_LOG("%-28s attrs %#llx (timestamp %s)", c[i].what,
		       (unsigned long long)ATTRS(pk),
		       pk.attrs & A(NFQA_TIMESTAMP) ? "yes" : "no");
		EXPECT_EQ(c[i].want, ATTRS(pk)) TH_LOG("case %s", c[i].what);
		EXPECT_EQ(c[i].plen, pk.plen) TH_LOG("case %s", c[i].what);
		if (pk.attrs & A(NFQA_CAP_LEN))
			EXPECT_EQ(33, pk.cap_len);
		if (pk.attrs & A(NFQA_MARK))
			EXPECT_EQ(7, pk.mark);
		if (pk.attrs & A(NFQA_SKB_INFO))
			EXPECT_EQ(NFQA_SKB_CSUMNOTREADY, pk.skbinfo);
		EXPECT_EQ(c[i].port == 7779 ? NF_INET_LOCAL_OUT : NF_INET_LOCAL_IN, pk.hook);
		EXPECT_EQ(i + 1, pk.id);
		ASSERT_EQ(0, nlq_verdict(&a, 0, pk.id, NF_ACCEPT, -1, NLQ_ACK));
	}
	/* only port 7777 has a sink */
	EXPECT_EQ(6, udp_count(sink, 300, NULL, 0));
	nlq_close(&a);
}

/* The Internet checksum of an IPv4 header. */
static uint16_t ip_csum(const void *data, int len)
{
	const uint16_t *w = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/*
 * NFQA_HWADDR of a packet that came in over Ethernet: the frame's source
 * address, 6 bytes, the rest of the field zero.  A veth pair: a frame
 * written with a chosen source address into v1 comes in on v0.
 */
TEST(hwaddr_ethernet_source)
{
	static const uint8_t src[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	struct { struct ethhdr eth; struct iphdr ip; struct udphdr udp; char data[8]; }
		__attribute__((packed)) f = {};
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	struct nlq_pkt pk;
	struct nlq a;
	int fd;

	nlq_netns();
	sh("ip link add v0 type veth peer name v1 && "
	   "ip link set v0 address 02:00:00:00:00:01 && "
	   "ip addr add 10.9.0.1/24 dev v0 && ip link set v0 up && ip link set v1 up");
	nft("table ip t {\n"
	    " chain in { type filter hook input priority 0;\n"
	    "  udp dport 7777 queue num 0; }\n"
	    "}\n");
	nlq_open(&a);
	nlq_bind(&a, 0, NFQNL_COPY_META);

	memcpy(f.eth.h_dest, dst, 6);
	memcpy(f.eth.h_source, src, 6);
	f.eth.h_proto = htons(ETH_P_IP);
	f.ip.version = 4;
	f.ip.ihl = 5;
	f.ip.ttl = 64;
	f.ip.protocol = IPPROTO_UDP;
	f.ip.tot_len = htons(sizeof(f) - sizeof(f.eth));
	f.ip.saddr = inet_addr("10.9.0.2");
	f.ip.daddr = inet_addr("10.9.0.1");
	f.ip.check = ip_csum(&f.ip, sizeof(f.ip));
	f.udp.source = htons(40000);
	f.udp.dest = htons(7777);
	f.udp.len = htons(sizeof(f.udp) + sizeof(f.data));	/* no checksum: 0 */
	memcpy(f.data, "hwaddr!", 8);

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	ASSERT_LE(0, fd);
	ll.sll_ifindex = if_nametoindex("v1");
	ll.sll_halen = 6;
	memcpy(ll.sll_addr, dst, 6);
	ASSERT_NE(0, ll.sll_ifindex);
	ASSERT_EQ((ssize_t)sizeof(f), sendto(fd, &f, sizeof(f), 0, (void *)&ll, sizeof(ll)));
	close(fd);

	ASSERT_EQ(1, nlq_next(&a, &pk, 5000));
	EXPECT_TRUE(pk.attrs & A(NFQA_HWADDR));
	EXPECT_EQ(6, ntohs(pk.hw.hw_addrlen));
	EXPECT_EQ(0, memcmp(pk.hw.hw_addr, src, 6));
	EXPECT_EQ(0, pk.hw.hw_addr[6] | pk.hw.hw_addr[7]);
	EXPECT_EQ(NF_INET_LOCAL_IN, pk.hook);
	ASSERT_EQ(0, nlq_verdict(&a, 0, pk.id, NF_ACCEPT, -1, NLQ_ACK));
	nlq_close(&a);
}

/* Copy mode NONE (also a fresh queue's mode) queues nothing: packets are
 * dropped before they get an id, and are not counted as queue drops. */
TEST(copy_none_drops)
{
	struct nlq_proc p;
	struct nlq a;
	int sink;

	nlq_netns();
	nft_queue_input("queue num 0");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	nlq_open(&a);
	ASSERT_EQ(0, nlq_cmd(&a, 0, NFQNL_CFG_CMD_BIND));
	udp_send("127.0.0.1", NLQ_PORT, 3, "fresh");
	ASSERT_EQ(0, nlq_mode(&a, 0, NFQNL_COPY_META, 0));
	ASSERT_EQ(0, nlq_mode(&a, 0, NFQNL_COPY_NONE, 0));
	udp_send("127.0.0.1", NLQ_PORT, 3, "none");
	EXPECT_EQ(0, nlq_recv(&a, 300));
	EXPECT_EQ(0, udp_count(sink, 100, NULL, 0));
	EXPECT_EQ(6, nft_counter("seen"));
	EXPECT_EQ(0, nft_counter("passed"));
	ASSERT_EQ(0, nlq_proc(0, &p));
	EXPECT_EQ(0, p.idseq);
	EXPECT_EQ(0, p.dropped);
	EXPECT_EQ(0, p.udropped);
	EXPECT_EQ(0, p.total);
	nlq_close(&a);
}

/* Beyond queue maxlen packets are dropped and counted in queue_dropped. */
TEST(maxlen_queue_dropped)
{
	struct nlq_proc p;
	struct nlq a;
	int sink;

	nlq_netns();
	nft_queue_input("queue num 0");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	nlq_open(&a);
	nlq_bind(&a, 0, NFQNL_COPY_PACKET);
	ASSERT_EQ(0, nlq_maxlen(&a, 0, 5));
	udp_send("127.0.0.1", NLQ_PORT, 12, "maxlen");
	p = nlq_proc_wait(0, 12);
	EXPECT_EQ(5, p.total);
	EXPECT_EQ(7, p.dropped);
	EXPECT_EQ(0, p.udropped);
	EXPECT_EQ(5, p.idseq);
	EXPECT_EQ(5, accept_all(&a, 300));
	EXPECT_EQ(5, udp_count(sink, 300, NULL, 0));
	EXPECT_EQ(12, nft_counter("seen"));
	EXPECT_EQ(5, nft_counter("passed"));
	nlq_close(&a);
}

/* FAIL_OPEN: what does not fit in the queue is accepted, not dropped. */
TEST(fail_open)
{
	struct nlq_proc p;
	struct nlq a;
	int sink;

	nlq_netns();
	nft_queue_input("queue num 0");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	nlq_open(&a);
	nlq_bind(&a, 0, NFQNL_COPY_PACKET);
	ASSERT_EQ(0, nlq_maxlen(&a, 0, 5));
	ASSERT_EQ(0, nlq_flags(&a, 0, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN));
	udp_send("127.0.0.1", NLQ_PORT, 12, "failopen");
	EXPECT_EQ(7, udp_count(sink, 500, NULL, 0));
	ASSERT_EQ(0, nlq_proc(0, &p));
	EXPECT_EQ(5, p.total);
	EXPECT_EQ(0, p.dropped);
	EXPECT_EQ(0, p.udropped);
	EXPECT_EQ(5, p.idseq);
	EXPECT_EQ(5, accept_all(&a, 300));
	EXPECT_EQ(5, udp_count(sink, 300, NULL, 0));
	EXPECT_EQ(12, nft_counter("passed"));
	nlq_close(&a);
}

/* A full socket: the messages that do not fit are dropped and counted in
 * queue_user_dropped; the socket reports ENOBUFS once unless
 * NETLINK_NO_ENOBUFS is set.  What did fit is still deliverable. */
static void overrun(struct __test_metadata *_metadata, int no_enobufs)
{
	const int sent = 40;
	int small = 4096;
	int sink, got = 0, enobufs = 0, n;
	struct nlq_proc p;
	struct nlq_pkt pk;
	struct nlq a;

	nlq_netns();
	nft_queue_input("queue num 0");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	nlq_open(&a);
	nlq_bind(&a, 0, NFQNL_COPY_PACKET);
	ASSERT_EQ(0, setsockopt(nlq_fd(&a), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)));
	if (no_enobufs)
		nlq_setopt(&a, NETLINK_NO_ENOBUFS, 1);
	udp_send("127.0.0.1", NLQ_PORT, sent, "a payload long enough to fill a small socket buffer quickly............................................................................................");
	p = nlq_proc_wait(0, sent);
	EXPECT_EQ(sent, p.idseq);
	EXPECT_EQ(0, p.dropped);
	TH_LOG("queued %u, user_dropped %u", p.total, p.udropped);
	EXPECT_EQ(sent, p.total + p.udropped);
	EXPECT_LT(0, p.udropped);
	EXPECT_LT(0, p.total);
	while ((n = nlq_next(&a, &pk, 300)) != 0) {
		if (n == -ENOBUFS) {
			enobufs++;
			continue;
		}
		ASSERT_EQ(1, n);
		got++;
		ASSERT_EQ(0, nlq_verdict(&a, 0, pk.id, NF_ACCEPT, -1, NLQ_NOACK));
	}
	EXPECT_EQ(no_enobufs ? 0 : 1, enobufs);
	EXPECT_EQ(p.total, got);
	EXPECT_EQ(got, udp_count(sink, 300, NULL, 0));
	EXPECT_EQ(got, nft_counter("passed"));
	ASSERT_EQ(0, nlq_proc(0, &p));
	EXPECT_EQ(0, p.total);
	EXPECT_EQ(sent - got, p.udropped);
	nlq_close(&a);
}

TEST(enobufs_user_dropped)
{
	overrun(_metadata, 0);
}

TEST(no_enobufs_user_dropped)
{
	overrun(_metadata, 1);
}

/* A listener killed with packets queued: the release flushes them (drop),
 * the queue disappears and can be bound again at once. */
TEST(listener_killed)
{
	int sink, ready[2], k = 0;
	struct nlq_proc p;
	struct nlq b;
	pid_t pid;
	char c;

	nlq_netns();
	nft_queue_input("queue num 3");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlq_pkt pk;
		struct nlq a;

		nlq_open(&a);
		nlq_bind(&a, 3, NFQNL_COPY_PACKET);
		if (write(ready[1], "b", 1) != 1)
			exit(1);
		/* read some, keep the rest unread in the socket: all queued */
		while (k < 4 && nlq_next(&a, &pk, 10000) == 1)
			k++;
		if (write(ready[1], "r", 1) != 1)
			exit(1);
		pause();
		exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	udp_send("127.0.0.1", NLQ_PORT, 9, "doomed");
	ASSERT_EQ(1, read(ready[0], &c, 1));
	p = nlq_proc_wait(3, 9);
	EXPECT_EQ(9, p.total);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	EXPECT_EQ(-1, nlq_proc(3, &p));
	EXPECT_EQ(0, udp_count(sink, 300, NULL, 0));
	EXPECT_EQ(9, nft_counter("seen"));
	EXPECT_EQ(0, nft_counter("passed"));
	nlq_open(&b);
	EXPECT_EQ(0, nlq_cmd(&b, 3, NFQNL_CFG_CMD_BIND));
	ASSERT_EQ(0, nlq_proc(3, &p));
	EXPECT_EQ(0, p.idseq);
	nlq_close(&b);
}

/* A device removed with packets queued that use it: they are dropped, and
 * their verdicts find nothing (ENOENT).  Others stay queued. */
TEST(device_removed)
{
	struct nlq_pkt pk;
	struct nlq_proc p;
	uint32_t ids[6];
	struct nlq a;
	int i, sink;

	nlq_netns();
	sh("ip link add d0 type dummy && ip link set d0 up && ip addr add 10.9.9.1/24 dev d0");
	nft("table ip t {\n"
	    " chain out { type filter hook output priority 0; udp dport 7777 queue num 0; }\n"
	    " chain in { type filter hook input priority 0; udp dport 7777 queue num 0; }\n"
	    "}\n");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	nlq_open(&a);
	nlq_bind(&a, 0, NFQNL_COPY_META);
	/* 4 leave through d0; 1 goes over lo (queued twice: out, then in) */
	udp_send("10.9.9.2", NLQ_PORT, 4, "gone");
	udp_send("127.0.0.1", NLQ_PORT, 1, "kept");
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(1, nlq_next(&a, &pk, 5000));
		ids[i] = pk.id;
		EXPECT_EQ(NF_INET_LOCAL_OUT, pk.hook);
	}
	sh("ip link del d0");
	ASSERT_EQ(0, nlq_proc(0, &p));
	EXPECT_EQ(1, p.total);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(-ENOENT, nlq_verdict(&a, 0, ids[i], NF_ACCEPT, -1, NLQ_ACK));
	EXPECT_EQ(0, nlq_verdict(&a, 0, ids[4], NF_ACCEPT, -1, NLQ_ACK));
	ASSERT_EQ(1, nlq_next(&a, &pk, 5000));
	EXPECT_EQ(NF_INET_LOCAL_IN, pk.hook);
	EXPECT_EQ(0, nlq_verdict(&a, 0, pk.id, NF_ACCEPT, -1, NLQ_ACK));
	EXPECT_EQ(1, udp_count(sink, 300, NULL, 0));
	ASSERT_EQ(0, nlq_proc(0, &p));
	EXPECT_EQ(0, p.total);
	EXPECT_EQ(6, p.idseq);
	nlq_close(&a);
}

/* NF_REPEAT runs the hook again (the new mark routes it to queue 1);
 * NF_QUEUE with a number requeues, with or without bypass. */
TEST(repeat_and_requeue)
{
	const int k = 5;
	struct nlq_pkt pk;
	int sink, i, seen[4] = {};
	struct nlq a;

	nlq_netns();
	nft("table ip t {\n"
	    " counter passed {}\n"
	    " chain q { type filter hook input priority 0;\n"
	    "  udp dport 7777 meta mark 0 queue num 0\n"
	    "  udp dport 7777 meta mark 1 queue num 1; }\n"
	    " chain after { type filter hook input priority 10; udp dport 7777 counter name passed; }\n"
	    "}\n");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	nlq_open(&a);
	nlq_bind(&a, 0, NFQNL_COPY_META);
	nlq_bind(&a, 1, NFQNL_COPY_META);
	nlq_bind(&a, 2, NFQNL_COPY_META);
	udp_send("127.0.0.1", NLQ_PORT, 4 * k, "again");
	/* from queue 0: k repeat, k to queue 2, k to unbound 3 with bypass,
	 * k to unbound 3 without (dropped) */
	for (i = 0; i < 4 * k; i++) {
		uint32_t v[] = { NF_REPEAT, NF_QUEUE_NR(2),
				 NF_QUEUE_NR(3) | NF_VERDICT_FLAG_QUEUE_BYPASS,
				 NF_QUEUE_NR(3) };

		ASSERT_EQ(1, nlq_next(&a, &pk, 5000));
		ASSERT_EQ(0, pk.queue);
		ASSERT_EQ(0, nlq_verdict(&a, 0, pk.id, v[i / k], i < k ? 1 : -1, NLQ_ACK));
	}
	while (nlq_next(&a, &pk, 300) == 1) {
		seen[pk.queue]++;
		if (pk.queue == 1)
			EXPECT_EQ(1, pk.mark);
		ASSERT_EQ(0, nlq_verdict(&a, pk.queue, pk.id, NF_ACCEPT, -1, NLQ_ACK));
	}
	EXPECT_EQ(k, seen[1]);
	EXPECT_EQ(k, seen[2]);
	EXPECT_EQ(0, seen[0]);
	EXPECT_EQ(3 * k, udp_count(sink, 300, NULL, 0));
	EXPECT_EQ(3 * k, nft_counter("passed"));
	nlq_close(&a);
}

/* No listener: "bypass" lets everything through, without it all is lost. */
TEST(bypass_no_listener)
{
	int sink;

	nlq_netns();
	nft_queue_input("queue num 7 bypass");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	udp_send("127.0.0.1", NLQ_PORT, 10, "bypass");
	EXPECT_EQ(10, udp_count(sink, 300, NULL, 0));
	EXPECT_EQ(10, nft_counter("passed"));
}

TEST(blackhole_without_bypass)
{
	struct nlq_proc p;
	struct nlq a;
	int sink;

	nlq_netns();
	nft_queue_input("queue num 7");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	/* a listener on another queue changes nothing */
	nlq_open(&a);
	nlq_bind(&a, 6, NFQNL_COPY_PACKET);
	udp_send("127.0.0.1", NLQ_PORT, 10, "void");
	EXPECT_EQ(0, udp_count(sink, 300, NULL, 0));
	EXPECT_EQ(10, nft_counter("seen"));
	EXPECT_EQ(0, nft_counter("passed"));
	ASSERT_EQ(0, nlq_proc(6, &p));
	EXPECT_EQ(0, p.idseq);
	EXPECT_EQ(0, nlq_recv(&a, 100));
	nlq_close(&a);
}

/* queue num 0-3 spreads flows by address; each queue's listener count
 * matches its /proc id sequence, and the sum is what was sent. */
TEST(queue_balance)
{
	const int flows = 32, per = 3;
	int sink, i, seen[4] = {}, used = 0;
	struct nlq_proc p;
	struct nlq_pkt pk;
	struct nlq a;
	char addr[32];

	nlq_netns();
	nft_queue_input("queue num 0-3");
	sink = udp_sink("0.0.0.0", NLQ_PORT);
	nlq_open(&a);
	for (i = 0; i < 4; i++)
		nlq_bind(&a, i, NFQNL_COPY_META);
	for (i = 0; i < flows; i++) {
		snprintf(addr, sizeof(addr), "127.0.0.%d", 10 + i);
		udp_send(addr, NLQ_PORT, per, "spread");
	}
	while (nlq_next(&a, &pk, 300) == 1) {
		ASSERT_GT(4, pk.queue);
		seen[pk.queue]++;
		ASSERT_EQ(0, nlq_verdict(&a, pk.queue, pk.id, NF_ACCEPT, -1, NLQ_NOACK));
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, nlq_proc(i, &p));
		EXPECT_EQ(seen[i], p.idseq);
		EXPECT_EQ(0, p.total);
		used += seen[i] > 0;
		TH_LOG("queue %d: %d packets", i, seen[i]);
	}
	EXPECT_EQ(flows * per, seen[0] + seen[1] + seen[2] + seen[3]);
	EXPECT_LE(2, used);
	EXPECT_EQ(flows * per, udp_count(sink, 300, NULL, 0));
}

/* The verdict's mark reaches later rules; NFQA_CT with CTA_MARK sets the
 * connection mark (what Debian's example does). */
TEST(mark_and_connmark)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct nlq_pkt pk;
	struct nlq a;
	int sink, i;

	nlq_netns();
	nft("table ip t {\n"
	    " counter marked {}\n counter ctmarked {}\n counter passed {}\n"
	    " chain q { type filter hook input priority 0; udp dport 7777 ct state new,established queue num 0; }\n"
	    " chain after { type filter hook input priority 10; udp dport 7777 counter name passed;\n"
	    "  udp dport 7777 meta mark 42 counter name marked;\n"
	    "  udp dport 7777 ct mark 42 counter name ctmarked; }\n"
	    "}\n");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	nlq_open(&a);
	nlq_bind(&a, 0, NFQNL_COPY_META);
	ASSERT_EQ(0, nlq_flags(&a, 0, NFQA_CFG_F_CONNTRACK, NFQA_CFG_F_CONNTRACK));
	udp_send("127.0.0.1", NLQ_PORT, 6, "marks");
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(1, nlq_next(&a, &pk, 5000));
		EXPECT_NE(0, pk.attrs & A(NFQA_CT));
		nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, 0);
		nfq_nlmsg_verdict_put(nlh, pk.id, NF_ACCEPT);
		if (i < 2) {
			nfq_nlmsg_verdict_put_mark(nlh, 42);
		} else if (i < 4) {
			nest = mnl_attr_nest_start(nlh, NFQA_CT);
			mnl_attr_put_u32(nlh, CTA_MARK, htonl(42));
			mnl_attr_nest_end(nlh, nest);
		}
		ASSERT_EQ(0, nlq_talk(&a, nlh, NLQ_ACK));
	}
	/* all 6 share one conntrack entry: packets 1-2 carry mark 42, and the
	 * ct mark set with packet 3 stays for 3-6 */
	EXPECT_EQ(6, udp_count(sink, 300, NULL, 0));
	EXPECT_EQ(6, nft_counter("passed"));
	EXPECT_EQ(2, nft_counter("marked"));
	EXPECT_EQ(4, nft_counter("ctmarked"));
	nlq_close(&a);
}

/* A UDP payload replaced (longer) with pktbuff helpers, which fix the IP
 * and UDP checksums: the receiver gets the new payload. */
TEST(payload_rewrite)
{
	static const char rep[] = "rewritten by the queue listener";
	char buf[MNL_SOCKET_BUFFER_SIZE], last[128];
	struct pkt_buff *pb;
	struct nlmsghdr *nlh;
	struct nlq_pkt pk;
	struct udphdr *uh;
	struct iphdr *ih;
	struct nlq a;
	int sink;

	nlq_netns();
	nft_queue_input("queue num 0");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	nlq_open(&a);
	nlq_bind(&a, 0, NFQNL_COPY_PACKET);
	udp_send("127.0.0.1", NLQ_PORT, 1, "original");
	ASSERT_EQ(1, nlq_next(&a, &pk, 5000));
	ASSERT_EQ(28 + 8, pk.plen);
	pb = pktb_alloc(AF_INET, (void *)pk.payload, pk.plen, 64);
	ASSERT_NE(NULL, pb);
	ih = nfq_ip_get_hdr(pb);
	ASSERT_NE(NULL, ih);
	ASSERT_EQ(0, nfq_ip_set_transport_header(pb, ih));
	uh = nfq_udp_get_hdr(pb);
	ASSERT_NE(NULL, uh);
	ASSERT_EQ(1, nfq_udp_mangle_ipv4(pb, 0, 8, rep, strlen(rep)));
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, 0);
	nfq_nlmsg_verdict_put(nlh, pk.id, NF_ACCEPT);
	nfq_nlmsg_verdict_put_pkt(nlh, pktb_data(pb), pktb_len(pb));
	EXPECT_EQ(0, nlq_talk(&a, nlh, NLQ_ACK));
	pktb_free(pb);
	EXPECT_EQ(1, udp_count(sink, 300, last, sizeof(last)));
	EXPECT_STREQ(rep, last);
	EXPECT_EQ(1, nft_counter("passed"));
	nlq_close(&a);
}

TEST_HARNESS_MAIN
