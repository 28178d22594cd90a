// SPDX-License-Identifier: GPL-2.0
/*
 * NETLINK_NETFILTER queue protocol: CONFIG and VERDICT answers (acks and
 * error acks), queue ownership, and the /proc/net/netfilter/nfnetlink_queue
 * columns.  Messages are built with libnetfilter_queue's nfq_nlmsg_* API.
 */
#include "nlq.h"
#include "kselftest_harness.h"

/* BIND/UNBIND ack 0; the legacy PF_BIND/PF_UNBIND are no-ops acked with 0
 * even when no queue is bound; an unknown command is refused. */
TEST(config_bind_unbind_legacy)
{
	struct nlq a;
	struct nlq_proc p;

	nlq_netns();
	nlq_open(&a);
	EXPECT_EQ(0, nlq_cmd(&a, 3, NFQNL_CFG_CMD_PF_UNBIND));
	EXPECT_EQ(0, nlq_cmd(&a, 3, NFQNL_CFG_CMD_PF_BIND));
	EXPECT_EQ(-1, nlq_proc(3, &p));	/* PF_BIND creates no queue */
	EXPECT_EQ(0, nlq_cmd(&a, 3, NFQNL_CFG_CMD_BIND));
	ASSERT_EQ(0, nlq_proc(3, &p));
	EXPECT_EQ(a.portid, p.portid);
	EXPECT_EQ(0, nlq_cmd(&a, 3, NFQNL_CFG_CMD_PF_BIND));
	EXPECT_EQ(-EOPNOTSUPP, nlq_cmd(&a, 3, 42));
	EXPECT_EQ(0, nlq_cmd(&a, 3, NFQNL_CFG_CMD_UNBIND));
	EXPECT_EQ(-1, nlq_proc(3, &p));
	EXPECT_EQ(-ENODEV, nlq_cmd(&a, 3, NFQNL_CFG_CMD_UNBIND));
	/* an unknown command is refused before the queue is looked at */
	EXPECT_EQ(-EOPNOTSUPP, nlq_cmd(&a, 3, 42));
	nlq_close(&a);
}

/* One queue, one socket: every CONFIG and VERDICT from another socket is
 * EPERM, and the owner keeps the queue. */
TEST(bind_other_socket_eperm)
{
	struct nlq a, b;
	struct nlq_proc p;

	nlq_netns();
	nlq_open(&a);
	nlq_open(&b);
	EXPECT_EQ(0, nlq_cmd(&a, 1, NFQNL_CFG_CMD_BIND));
	EXPECT_EQ(-EPERM, nlq_cmd(&b, 1, NFQNL_CFG_CMD_BIND));
	EXPECT_EQ(-EPERM, nlq_mode(&b, 1, NFQNL_COPY_PACKET, 100));
	EXPECT_EQ(-EPERM, nlq_maxlen(&b, 1, 10));
	EXPECT_EQ(-EPERM, nlq_cmd(&b, 1, NFQNL_CFG_CMD_UNBIND));
	EXPECT_EQ(-EPERM, nlq_verdict(&b, 1, 1, NF_ACCEPT, -1, NLQ_ACK));
	EXPECT_EQ(-EPERM, nlq_batch(&b, 1, 1, NF_ACCEPT, NLQ_ACK));
	/* legacy commands stay no-ops, whoever sends them */
	EXPECT_EQ(0, nlq_cmd(&b, 1, NFQNL_CFG_CMD_PF_BIND));
	ASSERT_EQ(0, nlq_proc(1, &p));
	EXPECT_EQ(a.portid, p.portid);
	EXPECT_EQ(0, p.mode);
	/* b may own another queue */
	EXPECT_EQ(0, nlq_cmd(&b, 2, NFQNL_CFG_CMD_BIND));
	nlq_close(&a);
	/* a's release frees queue 1 for b */
	EXPECT_EQ(-1, nlq_proc(1, &p));
	EXPECT_EQ(0, nlq_cmd(&b, 1, NFQNL_CFG_CMD_BIND));
	nlq_close(&b);
}

TEST(bind_same_socket_ebusy)
{
	struct nlq a;

	nlq_netns();
	nlq_open(&a);
	EXPECT_EQ(0, nlq_cmd(&a, 0, NFQNL_CFG_CMD_BIND));
	EXPECT_EQ(-EBUSY, nlq_cmd(&a, 0, NFQNL_CFG_CMD_BIND));
	EXPECT_EQ(0, nlq_cmd(&a, 65535, NFQNL_CFG_CMD_BIND));
	nlq_close(&a);
}

/* Configuration, verdicts and batches for a queue nobody bound. */
TEST(no_queue_enodev)
{
	struct nlq a;

	nlq_netns();
	nlq_open(&a);
	EXPECT_EQ(-ENODEV, nlq_mode(&a, 9, NFQNL_COPY_PACKET, 0));
	EXPECT_EQ(-ENODEV, nlq_maxlen(&a, 9, 10));
	EXPECT_EQ(-ENODEV, nlq_flags(&a, 9, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO));
	EXPECT_EQ(-ENODEV, nlq_verdict(&a, 9, 1, NF_ACCEPT, -1, NLQ_ACK));
	EXPECT_EQ(-ENODEV, nlq_batch(&a, 9, 1, NF_ACCEPT, NLQ_ACK));
	/* an error is acked even when no ack was asked for */
	EXPECT_EQ(-ENODEV, nlq_verdict(&a, 9, 1, NF_ACCEPT, -1, NLQ_ERRACK));
	nlq_close(&a);
}

/* FLAGS needs MASK; flags beyond the known ones are refused; both checks
 * come before the queue lookup. */
TEST(flags_errors)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlq_proc p;
	struct nlq a;

	nlq_netns();
	nlq_open(&a);
	nlh = nlq_cfg_msg(buf, 4);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
	EXPECT_EQ(-EINVAL, nlq_talk(&a, nlh, NLQ_ACK));
	EXPECT_EQ(-EOPNOTSUPP, nlq_flags(&a, 4, NFQA_CFG_F_MAX, NFQA_CFG_F_MAX));
	EXPECT_EQ(-EOPNOTSUPP, nlq_flags(&a, 4, 1u << 31, 0));
	EXPECT_EQ(-ENODEV, nlq_flags(&a, 4, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO));
	EXPECT_EQ(0, nlq_cmd(&a, 4, NFQNL_CFG_CMD_BIND));
	nlh = nlq_cfg_msg(buf, 4);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
	EXPECT_EQ(-EINVAL, nlq_talk(&a, nlh, NLQ_ACK));
	EXPECT_EQ(-EOPNOTSUPP, nlq_flags(&a, 4, NFQA_CFG_F_MAX, NFQA_CFG_F_MAX));
	EXPECT_EQ(0, nlq_flags(&a, 4, NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN |
			       NFQA_CFG_F_UID_GID, NFQA_CFG_F_GSO));
	EXPECT_EQ(0, nlq_flags(&a, 4, 0, 0xffffffff));
	/* a bind plus its parameters in one message, as nfq_open users do */
	nlh = nlq_cfg_msg(buf, 5);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 123);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, 7);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
	EXPECT_EQ(0, nlq_talk(&a, nlh, NLQ_ACK));
	ASSERT_EQ(0, nlq_proc(5, &p));
	EXPECT_EQ(2, p.mode);
	EXPECT_EQ(123, p.range);
	nlq_close(&a);
}

/* Copy modes and ranges as the /proc columns show them; bad modes are
 * silently ignored (the ack is still 0). */
TEST(copy_mode_proc_columns)
{
	static const struct { uint8_t mode; uint32_t range, emode, erange; } c[] = {
		{ NFQNL_COPY_META, 100, 1, 0 },
		{ NFQNL_COPY_PACKET, 0, 2, 65531 },
		{ NFQNL_COPY_PACKET, 100, 2, 100 },
		{ NFQNL_COPY_PACKET, 65531, 2, 65531 },
		{ NFQNL_COPY_PACKET, 65532, 2, 65531 },
		{ NFQNL_COPY_PACKET, 70000, 2, 65531 },
		{ NFQNL_COPY_PACKET, 1, 2, 1 },
		{ 7, 10, 2, 1 },		/* unknown mode: unchanged */
		{ NFQNL_COPY_NONE, 10, 0, 0 },
	};
	struct nlq_proc p;
	struct nlq a;
	unsigned int i;

	nlq_netns();
	nlq_open(&a);
	ASSERT_EQ(0, nlq_cmd(&a, 6, NFQNL_CFG_CMD_BIND));
	ASSERT_EQ(0, nlq_proc(6, &p));
	/* defaults of a fresh queue */
	/* the largest range is 0xffff less an attribute header */
	EXPECT_EQ(0, p.mode);
	EXPECT_EQ(65531, p.range);
	EXPECT_EQ(0, p.total);
	EXPECT_EQ(0, p.idseq);
	EXPECT_EQ(1, p.one);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		EXPECT_EQ(0, nlq_mode(&a, 6, c[i].mode, c[i].range));
		ASSERT_EQ(0, nlq_proc(6, &p));
		EXPECT_EQ(c[i].emode, p.mode) TH_LOG("case %u", i);
		EXPECT_EQ(c[i].erange, p.range) TH_LOG("case %u", i);
	}
	/* maxlen is not a column: the line must not change */
	EXPECT_EQ(0, nlq_maxlen(&a, 6, 3));
	ASSERT_EQ(0, nlq_proc(6, &p));
	EXPECT_EQ(0, p.mode);
	nlq_close(&a);
}

/* The file byte for byte: stock columns and widths, one line per queue,
 * and the stock order (hash buckets by queue number, newest first). */
TEST(proc_file_format)
{
	char want[1024];
	struct nlq a, b;
	char *got;

	nlq_netns();
	nlq_open(&a);
	nlq_open(&b);
	EXPECT_STREQ("", nlq_proc_text());
	ASSERT_EQ(0, nlq_cmd(&a, 1, NFQNL_CFG_CMD_BIND));
	ASSERT_EQ(0, nlq_cmd(&b, 17, NFQNL_CFG_CMD_BIND));
	ASSERT_EQ(0, nlq_cmd(&a, 0, NFQNL_CFG_CMD_BIND));
	ASSERT_EQ(0, nlq_cmd(&a, 40000, NFQNL_CFG_CMD_BIND));
	ASSERT_EQ(0, nlq_mode(&a, 1, NFQNL_COPY_PACKET, 512));
	ASSERT_EQ(0, nlq_mode(&b, 17, NFQNL_COPY_META, 0));
	snprintf(want, sizeof(want),
		 "%5u %6u %5u %1u %5u %5u %5u %8u %2d\n"
		 "%5u %6u %5u %1u %5u %5u %5u %8u %2d\n"
		 "%5u %6u %5u %1u %5u %5u %5u %8u %2d\n"
		 "%5u %6u %5u %1u %5u %5u %5u %8u %2d\n",
		 0, a.portid, 0, 0, 65531, 0, 0, 0, 1,
		 17, b.portid, 0, 1, 0, 0, 0, 0, 1,
		 1, a.portid, 0, 2, 512, 0, 0, 0, 1,
		 40000, a.portid, 0, 0, 65531, 0, 0, 0, 1);
	got = nlq_proc_text();
	EXPECT_STREQ(want, got);
	nlq_close(&a);
	nlq_close(&b);
	EXPECT_STREQ("", nlq_proc_text());
}

/* Verdict errors with a packet really queued, then the packet still goes
 * through with a good verdict. */
TEST(verdict_errors)
{
	struct nlq_pkt pk;
	struct nlq a;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int sink;

	nlq_netns();
	nft_queue_input("queue num 0");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	nlq_open(&a);
	nlq_bind(&a, 0, NFQNL_COPY_PACKET);
	udp_send("127.0.0.1", NLQ_PORT, 1, "hello");
	ASSERT_EQ(1, nlq_next(&a, &pk, 5000));
	EXPECT_EQ(1, pk.id);
	EXPECT_EQ(-ENOENT, nlq_verdict(&a, 0, pk.id + 1, NF_ACCEPT, -1, NLQ_ACK));
	EXPECT_EQ(-ENOENT, nlq_verdict(&a, 0, 0, NF_ACCEPT, -1, NLQ_ERRACK));
	EXPECT_EQ(-EINVAL, nlq_verdict(&a, 0, pk.id, NF_STOLEN, -1, NLQ_ACK));
	EXPECT_EQ(-EINVAL, nlq_verdict(&a, 0, pk.id, NF_STOP + 1, -1, NLQ_ACK));
	EXPECT_EQ(-EINVAL, nlq_batch(&a, 0, pk.id, NF_STOLEN, NLQ_ACK));
	/* no verdict header */
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, 0);
	nfq_nlmsg_verdict_put_mark(nlh, 1);
	EXPECT_EQ(-EINVAL, nlq_talk(&a, nlh, NLQ_ACK));
	EXPECT_EQ(-ENODEV, nlq_verdict(&a, 1, pk.id, NF_ACCEPT, -1, NLQ_ACK));
	EXPECT_EQ(0, udp_count(sink, 100, NULL, 0));
	/* still queued after all that */
	EXPECT_EQ(0, nlq_verdict(&a, 0, pk.id, NF_ACCEPT, -1, NLQ_ACK));
	EXPECT_EQ(-ENOENT, nlq_verdict(&a, 0, pk.id, NF_ACCEPT, -1, NLQ_ACK));
	EXPECT_EQ(-ENOENT, nlq_batch(&a, 0, pk.id, NF_ACCEPT, NLQ_ACK));
	EXPECT_EQ(1, udp_count(sink, 300, NULL, 0));
	nlq_close(&a);
}

/* A good verdict without NLM_F_ACK gets no answer at all; with it, ack 0. */
TEST(verdict_ack_flag)
{
	struct nlq_pkt pk;
	struct nlq a;
	int sink, n;

	nlq_netns();
	nft_queue_input("queue num 0");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	nlq_open(&a);
	nlq_bind(&a, 0, NFQNL_COPY_META);
	udp_send("127.0.0.1", NLQ_PORT, 2, "x");
	ASSERT_EQ(1, nlq_next(&a, &pk, 5000));
	EXPECT_EQ(0, nlq_verdict(&a, 0, pk.id, NF_ACCEPT, -1, NLQ_NOACK));
	ASSERT_EQ(1, nlq_next(&a, &pk, 5000));
	EXPECT_EQ(2, pk.id);
	EXPECT_EQ(0, nlq_verdict(&a, 0, pk.id, NF_ACCEPT, -1, NLQ_ACK));
	n = nlq_recv(&a, 300);
	EXPECT_EQ(0, n);
	EXPECT_EQ(2, udp_count(sink, 300, NULL, 0));
	nlq_close(&a);
}

/* VERDICT_BATCH covers every queued id up to the one given, in order. */
TEST(verdict_batch)
{
	struct nlq_proc p;
	struct nlq_pkt pk;
	uint32_t ids[10];
	struct nlq a;
	int sink, i;

	nlq_netns();
	nft_queue_input("queue num 2");
	sink = udp_sink("127.0.0.1", NLQ_PORT);
	nlq_open(&a);
	nlq_bind(&a, 2, NFQNL_COPY_PACKET);
	udp_send("127.0.0.1", NLQ_PORT, 10, "batch");
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(1, nlq_next(&a, &pk, 5000));
		ids[i] = pk.id;
		EXPECT_EQ(i + 1, pk.id);
	}
	/* accept 1..6 in one go, drop 7..10 in another */
	EXPECT_EQ(0, nlq_batch(&a, 2, ids[5], NF_ACCEPT, NLQ_ACK));
	ASSERT_EQ(0, nlq_proc(2, &p));
	EXPECT_EQ(4, p.total);
	EXPECT_EQ(0, nlq_batch(&a, 2, ids[9], NF_DROP, NLQ_ACK));
	EXPECT_EQ(-ENOENT, nlq_batch(&a, 2, ids[9], NF_ACCEPT, NLQ_ACK));
	EXPECT_EQ(6, udp_count(sink, 300, NULL, 0));
	EXPECT_EQ(6, nft_counter("passed"));
	EXPECT_EQ(10, nft_counter("seen"));
	ASSERT_EQ(0, nlq_proc(2, &p));
	EXPECT_EQ(0, p.total);
	EXPECT_EQ(10, p.idseq);
	EXPECT_EQ(0, p.dropped);
	EXPECT_EQ(0, p.udropped);
	nlq_close(&a);
}

TEST_HARNESS_MAIN
