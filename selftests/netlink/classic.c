// SPDX-License-Identifier: GPL-2.0
/*
 * The classic libnetfilter_queue API (nfq_open, nfq_create_queue,
 * nfq_set_mode, nfq_handle_packet, nfq_set_verdict*, nfq_set_verdict_batch)
 * as most existing NFQUEUE programs use it, end to end over lo.
 */
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <linux/if_ether.h>

#include "nlq.h"
#include "kselftest_harness.h"

#define NPKT 8

struct ctx {
	int mode;		/* 0: verdict each, 1: collect for a batch, 2: rewrite */
	int seen;
	uint32_t last_id;
	int bad;
};

static const char rep[] = "classic rewrite";

/* Rewrites the UDP payload and fixes both checksums by hand, as older
 * programs do without pktbuff. */
static int rewrite(unsigned char *in, int len, unsigned char *out)
{
	struct iphdr *ih = (struct iphdr *)out;
	struct udphdr *uh;
	int hl = (in[0] & 0xf) * 4, n = hl + 8 + strlen(rep);
	uint32_t sum = 0;
	int i;

	memcpy(out, in, hl + 8);
	memcpy(out + hl + 8, rep, strlen(rep));
	ih->tot_len = htons(n);
	ih->check = 0;
	for (i = 0; i < hl; i += 2)
		sum += (out[i] << 8) | out[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ih->check = htons(~sum & 0xffff);
	uh = (struct udphdr *)(out + hl);
	uh->len = htons(n - hl);
	uh->check = 0;
	/* pseudo header, then UDP header and data */
	sum = 0;
	for (i = 12; i < 20; i += 2)
		sum += (out[i] << 8) | out[i + 1];
	sum += IPPROTO_UDP + (n - hl);
	for (i = hl; i < n; i += 2)
		sum += (out[i] << 8) | (i + 1 < n ? out[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uh->check = htons(~sum & 0xffff) ?: 0xffff;
	(void)len;
	return n;
}

static int cb(struct nfq_q_handle *qh, struct nfgenmsg *nfmsg,
	      struct nfq_data *nfa, void *data)
{
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	struct ctx *c = data;
	unsigned char *pl, out[256];
	uint32_t id;
	int len;

	if (!ph)
		return c->bad++, -1;
	id = ntohl(ph->packet_id);
	len = nfq_get_payload(nfa, &pl);
	if (len != 28 + 7 || memcmp(pl + 28, "classic", 7))
		c->bad++;
	if (nfq_get_indev(nfa) != 1)	/* lo */
		c->bad++;
	if (ph->hook != NF_INET_LOCAL_IN || ntohs(ph->hw_protocol) != ETH_P_IP)
		c->bad++;
	c->seen++;
	c->last_id = id;
	switch (c->mode) {
	case 0:
		if (c->seen % 2)
			return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
		return nfq_set_verdict2(qh, id, NF_ACCEPT, 42, 0, NULL);
	case 2:
		len = rewrite(pl, len, out);
		return nfq_set_verdict(qh, id, NF_ACCEPT, len, out);
	}
	return 0;
}

/* Opens a handle and a queue the classic way; the legacy PF calls are part
 * of every old program's start-up and must keep succeeding. */
static struct nfq_q_handle *classic_open(struct nfq_handle **h, uint16_t num, struct ctx *c)
{
	struct nfq_q_handle *qh;

	*h = nfq_open();
	if (!*h)
		nlq_die("nfq_open");
	if (nfq_unbind_pf(*h, AF_INET) < 0 || nfq_bind_pf(*h, AF_INET) < 0)
		nlq_die("nfq_(un)bind_pf");
	qh = nfq_create_queue(*h, num, cb, c);
	if (!qh)
		nlq_die("nfq_create_queue");
	if (nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff) < 0)
		nlq_die("nfq_set_mode");
	return qh;
}

/* Handles packets until none came for quiet_ms. */
static void pump(struct nfq_handle *h, int quiet_ms)
{
	struct pollfd pfd = { .fd = nfq_fd(h), .events = POLLIN };
	char buf[4096] __attribute__((aligned));
	int n;

	while (poll(&pfd, 1, quiet_ms) > 0) {
		n = recv(nfq_fd(h), buf, sizeof(buf), 0);
		if (n < 0)
			nlq_die("recv");
		nfq_handle_packet(h, buf, n);
	}
}

TEST(classic_verdicts_and_marks)
{
	struct ctx c = { .mode = 0 };
	struct nfq_q_handle *qh;
	struct nfq_handle *h;
	struct nlq_proc p;
	int sink;

	nlq_netns();
	nft_queue_input("queue num 5");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	qh = classic_open(&h, 5, &c);
	ASSERT_EQ(0, nfq_set_queue_maxlen(qh, 100));
	ASSERT_EQ(0, nfq_set_queue_flags(qh, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO));
	ASSERT_EQ(0, nlq_proc(5, &p));
	EXPECT_EQ(2, p.mode);
	EXPECT_EQ(65531, p.range);	/* 0xffff is capped */
	udp_send("127.0.0.1", NLQ_PORT, NPKT, "classic");
	pump(h, 300);
	EXPECT_EQ(NPKT, c.seen);
	EXPECT_EQ(0, c.bad);
	EXPECT_EQ(NPKT, udp_count(sink, 300, NULL, 0));
	EXPECT_EQ(NPKT, nft_counter("passed"));
	EXPECT_EQ(NPKT / 2, nft_counter("marked"));
	EXPECT_EQ(0, nfq_destroy_queue(qh));
	EXPECT_EQ(-1, nlq_proc(5, &p));
	EXPECT_EQ(0, nfq_close(h));
}

TEST(classic_verdict_batch)
{
	struct ctx c = { .mode = 1 };
	struct nfq_q_handle *qh;
	struct nfq_handle *h;
	struct nlq_proc p;
	int sink;

	nlq_netns();
	nft_queue_input("queue num 0");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	qh = classic_open(&h, 0, &c);
	udp_send("127.0.0.1", NLQ_PORT, NPKT, "classic");
	pump(h, 300);
	EXPECT_EQ(NPKT, c.seen);
	EXPECT_EQ(NPKT, c.last_id);
	ASSERT_EQ(0, nlq_proc(0, &p));
	EXPECT_EQ(NPKT, p.total);
	EXPECT_LT(0, nfq_set_verdict_batch2(qh, c.last_id - 2, NF_ACCEPT, 42));
	EXPECT_LT(0, nfq_set_verdict_batch(qh, c.last_id, NF_ACCEPT));
	EXPECT_EQ(NPKT, udp_count(sink, 300, NULL, 0));
	EXPECT_EQ(NPKT - 2, nft_counter("marked"));
	ASSERT_EQ(0, nlq_proc(0, &p));
	EXPECT_EQ(0, p.total);
	nfq_close(h);
}

TEST(classic_payload_rewrite)
{
	struct ctx c = { .mode = 2 };
	struct nfq_handle *h;
	char last[64];
	int sink;

	nlq_netns();
	nft_queue_input("queue num 0");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	classic_open(&h, 0, &c);
	udp_send("127.0.0.1", NLQ_PORT, 3, "classic");
	pump(h, 300);
	EXPECT_EQ(3, c.seen);
	EXPECT_EQ(3, udp_count(sink, 300, last, sizeof(last)));
	EXPECT_STREQ(rep, last);
	nfq_close(h);
}

/* Another handle cannot take a queue that is bound: EPERM through the lib. */
TEST(classic_second_handle_eperm)
{
	struct ctx c = {};
	struct nfq_handle *h, *h2;

	nlq_netns();
	classic_open(&h, 2, &c);
	h2 = nfq_open();
	ASSERT_NE(NULL, h2);
	errno = 0;
	EXPECT_EQ(NULL, nfq_create_queue(h2, 2, cb, &c));
	EXPECT_EQ(EPERM, errno);
	EXPECT_NE(NULL, nfq_create_queue(h2, 3, cb, &c));
	nfq_close(h2);
	nfq_close(h);
}

TEST_HARNESS_MAIN
