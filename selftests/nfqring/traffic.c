// SPDX-License-Identifier: GPL-2.0
/*
 * End to end through the rings: UDP over loopback in a private network
 * namespace, queued by nft at the output hook, read from the RX ring,
 * judged through the TX ring or write(), and counted at the receiver.
 * Every packet queued gets exactly one verdict or is counted as dropped.
 */
#include <pthread.h>
#include <time.h>
#include <sys/wait.h>

#include <linux/if_ether.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "kselftest_harness.h"
#include "nfqr_test.h"

#define FRAME	2048

FIXTURE(traffic) {
	struct tep ep;
	int rcv;
	char buf[MSGBUF];
};

FIXTURE_SETUP(traffic)
{
	long pg = sysconf(_SC_PAGESIZE);

	ASSERT_EQ(0, nfqr_modprobe());
	ASSERT_EQ(0, netns_enter());
	ASSERT_EQ(0, nft_queue_udp("queue num 0"));
	self->rcv = udp_receiver();
	ASSERT_LE(0, self->rcv);
	ASSERT_EQ(0, tep_open(&self->ep));
	ASSERT_EQ(0, tep_rings(&self->ep, ring_req(pg, 64, FRAME),
			       ring_req(pg, 16, FRAME)));
	ASSERT_EQ(0, tep_bind(&self->ep, 0, 0xffff));
}

FIXTURE_TEARDOWN(traffic)
{
	race_delay("0,0,0,0,0,0");	/* a test build's windows, after a failed test too */
	tep_close(&self->ep);
	if (self->rcv >= 0)
		close(self->rcv);
}

/* Reads up to @max VALID frames, checks their ids follow @first, releases
 * them, returns how many and the last id.
 */
static int read_frames(struct __test_metadata *_metadata, struct tep *ep,
		       int max, uint32_t first, uint32_t *last)
{
	struct nl_mmap_hdr *h;
	struct tpkt p;
	int n = 0;

	while (n < max) {
		if (!tep_rx_next(ep, &h)) {
			if (!tep_wait(ep, 2000))
				break;
			continue;
		}
		EXPECT_EQ(NFQRING_STATUS_VALID, h->nm_status);
		EXPECT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
		EXPECT_EQ(id_add(first, n), p.id);
		*last = p.id;
		frame_release(h, NFQRING_STATUS_UNUSED);
		n++;
	}
	return n;
}

TEST_F(traffic, batch_accept_through_tx_ring)
{
	struct nfqring_tx_result res;
	struct nfqring_stats st;
	unsigned int total = 99;
	uint32_t last = 0;

	ASSERT_EQ(0, udp_send(48, 100));
	ASSERT_EQ(48, read_frames(_metadata, &self->ep, 48, ID(1), &last));
	EXPECT_EQ(ID(48), last);
	EXPECT_EQ(0, udp_count(self->rcv, 50));

	ASSERT_EQ(0, tep_tx_put(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						       0, last, NF_ACCEPT)));
	EXPECT_EQ(1, tep_flush(&self->ep, &res));
	EXPECT_EQ(1u, res.processed);
	EXPECT_EQ(0, res.error);
	EXPECT_EQ(48, udp_count(self->rcv, 100));
	ASSERT_EQ(0, proc_queue(0, &total, NULL, NULL, NULL));
	EXPECT_EQ(0u, total);

	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_GET_STATS, &st));
	EXPECT_EQ(48u, st.rx_frames);
	EXPECT_EQ(1u, st.tx_frames);
	EXPECT_EQ(1u, st.tx_flushes);
	EXPECT_EQ(0u, st.rx_overruns);
	EXPECT_EQ(1u, st.queues);
}

TEST_F(traffic, payload_is_the_packet)
{
	struct nl_mmap_hdr *h;
	struct tpkt p;
	uint32_t seq;

	ASSERT_EQ(0, udp_send(1, 300));
	ASSERT_NE(0, tep_wait(&self->ep, 2000));
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	/* IPv4 + UDP + 300 bytes, copied whole */
	EXPECT_EQ(20u + 8 + 300, p.payload_len);
	EXPECT_EQ(0u, p.cap_len);
	memcpy(&seq, p.payload + 28, 4);
	EXPECT_EQ(0u, ntohl(seq));
	EXPECT_EQ('x', p.payload[20 + 8 + 299]);
	EXPECT_EQ(0u, h->nm_pid);
	frame_release(h, NFQRING_STATUS_UNUSED);
	ASSERT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						     p.id, NF_ACCEPT)));
	EXPECT_EQ(1, udp_count(self->rcv, 50));
}

TEST_F(traffic, truncated_copy_reports_cap_len)
{
	struct nl_mmap_hdr *h;
	struct tpkt p;

	ASSERT_EQ(0, tep_send(&self->ep, msg_params(self->buf, 0, NFQNL_COPY_PACKET, 64)));
	ASSERT_EQ(0, udp_send(1, 1000));
	ASSERT_NE(0, tep_wait(&self->ep, 2000));
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	EXPECT_EQ(64u, p.payload_len);
	EXPECT_EQ(1028u, p.cap_len);
	ASSERT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						     p.id, NF_DROP)));
	EXPECT_EQ(0, udp_count(self->rcv, 50));
}

/*
 * F_CONNTRACK with nf_conntrack_netlink not loaded: the kernel loads it and
 * the same write() succeeds (nfnetlink replays such a message for netlink;
 * the ring transport must too, not hand -EAGAIN to the caller).  rmmod and
 * modprobe wait for RCU: slow under emulation on a busy host.
 */
TEST_F_TIMEOUT(traffic, conntrack_flag_loads_ctnetlink, 120)
{
	uint32_t last;

	if (system("rmmod nf_conntrack_netlink 2>/dev/null; ! grep -q '^nf_conntrack_netlink ' /proc/modules"))
		SKIP(return, "nf_conntrack_netlink is in use and cannot be unloaded");
	ASSERT_EQ(0, tep_send(&self->ep, msg_flags(self->buf, 0, NFQA_CFG_F_CONNTRACK,
						   NFQA_CFG_F_CONNTRACK)));
	EXPECT_EQ(0, system("grep -q '^nf_conntrack_netlink ' /proc/modules"));
	/* and the queue still works */
	ASSERT_EQ(0, udp_send(1, 100));
	EXPECT_EQ(1, read_frames(_metadata, &self->ep, 1, ID(1), &last));
}

TEST_F(traffic, drop_and_out_of_order_verdicts)
{
	uint32_t last = 0, n;

	ASSERT_EQ(0, udp_send(20, 64));
	ASSERT_EQ(20, read_frames(_metadata, &self->ep, 20, ID(1), &last));
	EXPECT_EQ(ID(20), last);
	/* Backwards, alternating drop and accept: O(1) lookups either way. */
	for (n = 20; n >= 1; n--)
		ASSERT_EQ(0, tep_send(&self->ep,
				      msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0, ID(n),
						  n % 2 ? NF_DROP : NF_ACCEPT)));
	EXPECT_EQ(10, udp_count(self->rcv, 50));
	/* Each id exactly once. */
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
							   0, ID(1), NF_ACCEPT)));
}

TEST_F(traffic, verdict_errors)
{
	struct tep other;
	uint32_t last = 0;

	ASSERT_EQ(0, udp_send(1, 64));
	ASSERT_EQ(1, read_frames(_metadata, &self->ep, 1, ID(1), &last));

	EXPECT_EQ(-ENOENT, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
							   0, ID(777), NF_ACCEPT)));
	EXPECT_EQ(-EINVAL, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
							   0, last, NF_STOLEN)));
	EXPECT_EQ(-EINVAL, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
							   0, last, NF_MAX_VERDICT + 1)));
	EXPECT_EQ(-ENODEV, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
							   3, last, NF_ACCEPT)));
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, msg_verdict(self->buf,
							   NFQNL_MSG_VERDICT_BATCH, 0,
							   seq_start(), NF_ACCEPT)));
	EXPECT_EQ(-EBUSY, tep_send(&self->ep, msg_cmd(self->buf, 0, NFQNL_CFG_CMD_BIND)));
	EXPECT_EQ(0, tep_send(&self->ep, msg_cmd(self->buf, 0, NFQNL_CFG_CMD_PF_BIND)));

	/* Another endpoint may not touch this one's queue. */
	ASSERT_EQ(0, tep_open(&other));
	EXPECT_EQ(-EPERM, tep_send(&other, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
						       0, last, NF_ACCEPT)));
	EXPECT_EQ(-EPERM, tep_send(&other, msg_cmd(self->buf, 0, NFQNL_CFG_CMD_BIND)));
	EXPECT_EQ(-EPERM, tep_send(&other, msg_cmd(self->buf, 0, NFQNL_CFG_CMD_UNBIND)));
	EXPECT_EQ(-ENODEV, tep_send(&other, msg_cmd(self->buf, 9, NFQNL_CFG_CMD_UNBIND)));
	tep_close(&other);

	/* Still judged normally afterwards. */
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						     last, NF_ACCEPT)));
	EXPECT_EQ(1, udp_count(self->rcv, 50));
}

static char huge[NFQRING_WRITE_MAX + 1];
/* A pointer the compiler cannot see through, for EFAULT. */
static void *volatile bad_ptr = (void *)16;

TEST_F(traffic, bad_messages)
{
	struct nlmsghdr *nlh;
	char two[512];
	size_t len1;
	ssize_t n;

	/* PACKET is the kernel's to send. */
	nlh = nfq_hdr(self->buf, NFQNL_MSG_PACKET, 0);
	EXPECT_EQ(-EOPNOTSUPP, tep_send(&self->ep, nlh));
	/* Another subsystem, an unknown type. */
	nlh = nfq_hdr(self->buf, NFQNL_MSG_VERDICT, 0);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | 1;
	EXPECT_EQ(-EINVAL, tep_send(&self->ep, nlh));
	nlh = nfq_hdr(self->buf, NFQNL_MSG_MAX, 0);
	EXPECT_EQ(-EINVAL, tep_send(&self->ep, nlh));
	/* No nfgenmsg. */
	nlh = mnl_nlmsg_put_header(self->buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	EXPECT_EQ(-EINVAL, tep_send(&self->ep, nlh));
	/* A length past the buffer, a length under the header. */
	nlh = msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0, 1, NF_ACCEPT);
	EXPECT_EQ(-1, write(self->ep.fd, nlh, nlh->nlmsg_len - 4));
	EXPECT_EQ(EINVAL, errno);
	nlh->nlmsg_len = 8;
	EXPECT_EQ(-1, write(self->ep.fd, nlh, 16));
	EXPECT_EQ(EINVAL, errno);
	/* A verdict without its header attribute. */
	nlh = nfq_hdr(self->buf, NFQNL_MSG_VERDICT, 0);
	EXPECT_EQ(-EINVAL, tep_send(&self->ep, nlh));
	/* Garbage. */
	memset(self->buf, 0xa5, 4096);
	EXPECT_EQ(-1, write(self->ep.fd, self->buf, 4096));
	EXPECT_EQ(EINVAL, errno);
	/* A bad pointer, too large a write. */
	EXPECT_EQ(-1, write(self->ep.fd, bad_ptr, 100));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, write(self->ep.fd, huge, sizeof(huge)));
	EXPECT_EQ(EMSGSIZE, errno);

	/* Two messages, the second bad: a short count up to it. */
	nlh = msg_cmd(two, 0, NFQNL_CFG_CMD_PF_BIND);
	len1 = nlh->nlmsg_len;
	nlh = msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0, 4242, NF_ACCEPT);
	memcpy(two + len1, nlh, nlh->nlmsg_len);
	nlh = (struct nlmsghdr *)(two + len1);
	n = write(self->ep.fd, two, len1 + nlh->nlmsg_len);
	EXPECT_EQ((ssize_t)len1, n);
	n = write(self->ep.fd, two + len1, nlh->nlmsg_len);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(ENOENT, errno);

	/* A message that is not a request is ignored, as netlink does. */
	nlh = msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0, 4242, NF_ACCEPT);
	nlh->nlmsg_flags = 0;
	EXPECT_EQ(0, tep_send(&self->ep, nlh));
}

TEST_F(traffic, acks_go_to_read)
{
	struct nlmsghdr *nlh = msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0, 31337,
					   NF_ACCEPT);
	struct nlmsgerr *e;
	char ack[256];

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = 77;
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, nlh));
	nlh = msg_cmd(self->buf, 0, NFQNL_CFG_CMD_PF_BIND);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = 78;
	EXPECT_EQ(0, tep_send(&self->ep, nlh));

	ASSERT_LT(0, read(self->ep.fd, ack, sizeof(ack)));
	nlh = (struct nlmsghdr *)ack;
	EXPECT_EQ(NLMSG_ERROR, nlh->nlmsg_type);
	EXPECT_EQ(77u, nlh->nlmsg_seq);
	e = mnl_nlmsg_get_payload(nlh);
	EXPECT_EQ(-ENOENT, e->error);
	ASSERT_LT(0, read(self->ep.fd, ack, sizeof(ack)));
	e = mnl_nlmsg_get_payload(nlh);
	EXPECT_EQ(78u, nlh->nlmsg_seq);
	EXPECT_EQ(0, e->error);
	fcntl(self->ep.fd, F_SETFL, O_NONBLOCK);
	EXPECT_EQ(-1, read(self->ep.fd, ack, sizeof(ack)));
	EXPECT_EQ(EAGAIN, errno);
}

/* The NLMSG_ERROR of @nlh (@len bytes) is for @seq with @err. */
static void is_ack(struct __test_metadata *_metadata, const void *nlh_, int len,
		   uint32_t seq, int err)
{
	const struct nlmsghdr *nlh = nlh_;

	ASSERT_EQ(NLMSG_SPACE(sizeof(struct nlmsgerr)), (unsigned int)len);
	ASSERT_EQ(NLMSG_ERROR, nlh->nlmsg_type);
	EXPECT_EQ(seq, nlh->nlmsg_seq);
	EXPECT_EQ(err, ((struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error);
}

/* The RX head frame holds the acknowledgment of @seq (VALID, in the frame);
 * released. */
static void frame_ack(struct __test_metadata *_metadata, struct tep *ep,
		      uint32_t seq, int err)
{
	struct nl_mmap_hdr *h;

	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(ep, &h));
	is_ack(_metadata, (uint8_t *)h + NFQRING_HDRLEN, h->nm_len, seq, err);
	frame_release(h, NFQRING_STATUS_UNUSED);
}

/* A failing verdict (unknown id) with sequence number @seq. */
static struct nlmsghdr *bad_verdict(char *buf, uint32_t seq)
{
	struct nlmsghdr *nlh = msg_verdict(buf, NFQNL_MSG_VERDICT, 0, 31337, NF_ACCEPT);

	nlh->nlmsg_seq = seq;
	return nlh;
}

/*
 * NFQRING_ACKS_NETLINK (libnfqring-nlmmap's mode), as netlink_ack() with an
 * RX ring in 3.10-4.5: failures acknowledged without NLM_F_ACK, each
 * acknowledgment built in the RX head frame in ring order with the
 * packets, a full ring losing it as an overrun.
 */
TEST_F(traffic, netlink_acks_take_frames)
{
	struct nfqring_tx_result res;
	struct nfqring_stats st;
	struct nlmsghdr *nlh;
	struct nl_mmap_hdr *h;
	struct tpkt p;
	char msg[4096];
	int i, n;

	EXPECT_EQ(-1, ioctl(self->ep.fd, NFQRING_SET_ACKS, 2));
	EXPECT_EQ(EINVAL, errno);
	/* Not with a ring already there: acks of the old mode have no frame. */
	EXPECT_EQ(-1, ioctl(self->ep.fd, NFQRING_SET_ACKS, NFQRING_ACKS_NETLINK));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_ACKS, NFQRING_ACKS_REQUESTED));
	tep_close(&self->ep);
	ASSERT_EQ(0, tep_open(&self->ep));
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_ACKS, NFQRING_ACKS_NETLINK));
	ASSERT_EQ(0, tep_rings(&self->ep, ring_req(sysconf(_SC_PAGESIZE), 64, FRAME),
			       ring_req(sysconf(_SC_PAGESIZE), 16, FRAME)));
	ASSERT_EQ(0, tep_bind(&self->ep, 0, 0xffff));
	fcntl(self->ep.fd, F_SETFL, O_NONBLOCK);

	/* A failure without NLM_F_ACK: acknowledged, in the head frame. */
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, bad_verdict(self->buf, 41)));
	frame_ack(_metadata, &self->ep, 41, -ENOENT);
	/* Success with NLM_F_ACK: the same; without: nothing at all. */
	nlh = msg_cmd(self->buf, 0, NFQNL_CFG_CMD_PF_BIND);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = 42;
	EXPECT_EQ(0, tep_send(&self->ep, nlh));
	frame_ack(_metadata, &self->ep, 42, 0);
	EXPECT_EQ(0, tep_send(&self->ep, msg_cmd(self->buf, 0, NFQNL_CFG_CMD_PF_BIND)));
	EXPECT_EQ(0, tep_rx_next(&self->ep, &h));
	EXPECT_EQ(-1, read(self->ep.fd, msg, sizeof(msg)));
	EXPECT_EQ(EAGAIN, errno);

	/* In ring order with packets: a packet, the ack, a big packet (COPY). */
	ASSERT_EQ(0, udp_send(1, 64));
	ASSERT_NE(0, tep_wait(&self->ep, 2000));
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, bad_verdict(self->buf, 43)));
	ASSERT_EQ(0, udp_send(1, 3000));
	usleep(100000);
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	EXPECT_EQ(ID(1), p.id);
	frame_release(h, NFQRING_STATUS_UNUSED);
	frame_ack(_metadata, &self->ep, 43, -ENOENT);
	ASSERT_EQ(NFQRING_STATUS_COPY, tep_rx_next(&self->ep, &h));
	n = read(self->ep.fd, msg, sizeof(msg));
	ASSERT_EQ((int)h->nm_len, n);
	ASSERT_EQ(0, tpkt_parse(msg, n, &p));
	EXPECT_EQ(ID(2), p.id);
	frame_release(h, NFQRING_STATUS_UNUSED);
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, ID(2), NF_ACCEPT)));
	EXPECT_EQ(2, udp_count(self->rcv, 50));

	/* A TX frame that fails: its acknowledgment too. */
	ASSERT_EQ(0, tep_tx_put(&self->ep, bad_verdict(self->buf, 44)));
	EXPECT_EQ(-ENOENT, tep_flush(&self->ep, &res));
	frame_ack(_metadata, &self->ep, 44, -ENOENT);

	/* 128 frames, 129 failures nobody reads: the last is lost, an overrun. */
	for (i = 0; i < 129; i++)
		EXPECT_EQ(-ENOENT, tep_send(&self->ep, bad_verdict(self->buf, 100 + i)));
	EXPECT_EQ(POLLIN | POLLERR, tep_wait(&self->ep, 0) & (POLLIN | POLLERR));
	EXPECT_EQ(-1, read(self->ep.fd, msg, sizeof(msg)));
	EXPECT_EQ(ENOBUFS, errno);
	EXPECT_EQ(0, tep_wait(&self->ep, 0) & POLLERR);
	for (i = 0; i < 128; i++)
		frame_ack(_metadata, &self->ep, 100 + i, -ENOENT);
	EXPECT_EQ(0, tep_rx_next(&self->ep, &h));
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_GET_STATS, &st));
	EXPECT_EQ(1u, st.rx_overruns);
	EXPECT_EQ(1u, st.rx_copy);		/* the big packet */
	EXPECT_EQ(0u, st.backlog_bytes);
}

/*
 * NFQRING_ACKS_NETLINK with frames too small for an acknowledgment (36
 * bytes; 32 of room here): the frame is marked COPY and read() returns it,
 * as netlink_ack() fell back to a COPY frame.  And the read() backlog is
 * emptied when the RX ring is set, as netlink purged its receive queue: an
 * acknowledgment queued before any ring cannot answer the ring's first
 * COPY frame.
 */
TEST_F(traffic, netlink_acks_copy_and_set_up_empties_backlog)
{
	struct nl_mmap_hdr *h;
	struct tpkt p;
	char msg[4096];
	int n;

	tep_close(&self->ep);
	ASSERT_EQ(0, tep_open(&self->ep));
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_ACKS, NFQRING_ACKS_NETLINK));
	fcntl(self->ep.fd, F_SETFL, O_NONBLOCK);
	/* No ring yet: the acknowledgment waits for read(). */
	EXPECT_EQ(-ENODEV, tep_send(&self->ep, bad_verdict(self->buf, 50)));	/* no queue bound */
	ASSERT_EQ(0, tep_rings(&self->ep, ring_req(sysconf(_SC_PAGESIZE), 4,
						   NFQRING_HDRLEN + 32),
			       ring_req(sysconf(_SC_PAGESIZE), 1, FRAME)));
	ASSERT_EQ(0, tep_bind(&self->ep, 0, 0xffff));
	EXPECT_EQ(-1, read(self->ep.fd, msg, sizeof(msg)));
	EXPECT_EQ(EAGAIN, errno);

	EXPECT_EQ(-ENOENT, tep_send(&self->ep, bad_verdict(self->buf, 51)));
	ASSERT_EQ(NFQRING_STATUS_COPY, tep_rx_next(&self->ep, &h));
	n = read(self->ep.fd, msg, sizeof(msg));
	is_ack(_metadata, msg, n, 51, -ENOENT);
	EXPECT_EQ((int)h->nm_len, n);
	frame_release(h, NFQRING_STATUS_UNUSED);
	/* every packet is COPY in frames this small: its own message next */
	ASSERT_EQ(0, udp_send(1, 64));
	ASSERT_NE(0, tep_wait(&self->ep, 2000));
	ASSERT_EQ(NFQRING_STATUS_COPY, tep_rx_next(&self->ep, &h));
	n = read(self->ep.fd, msg, sizeof(msg));
	ASSERT_EQ((int)h->nm_len, n);
	ASSERT_EQ(0, tpkt_parse(msg, n, &p));
	EXPECT_EQ(ID(1), p.id);
	frame_release(h, NFQRING_STATUS_UNUSED);
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						     p.id, NF_ACCEPT)));
	EXPECT_EQ(1, udp_count(self->rcv, 50));
}

static void *read_bad_buffer(void *arg)
{
	struct timed_call *tc = arg;

	/* takes the message, waits in the window, then fails with EFAULT */
	tc->start = mono_ms();
	tc->ret = read(tc->ep->fd, bad_ptr, 4096);
	tc->err = errno;
	tc->end = mono_ms();
	return NULL;
}

/*
 * Test build, NFQRING_ACKS_NETLINK: a read() into a bad buffer holds a
 * message from the backlog while the RX ring is set up, which empties the
 * backlog.  When the copy fails, the message is as stale as the rest: it
 * must not be put back to answer the new ring's first COPY frame.
 */
TEST_F(traffic, netlink_acks_stale_message_not_put_back)
{
	struct timed_call tc = { .ep = &self->ep };
	double set_start;
	char msg[4096];
	pthread_t t;

	tep_close(&self->ep);
	ASSERT_EQ(0, tep_open(&self->ep));
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_SET_ACKS, NFQRING_ACKS_NETLINK));
	EXPECT_EQ(-ENODEV, tep_send(&self->ep, bad_verdict(self->buf, 60)));	/* no queue bound */
	if (!race_delay("0,0,0,0,0,300000"))
		SKIP(return, "not a test build (make module-test)");
	ASSERT_EQ(0, pthread_create(&t, NULL, read_bad_buffer, &tc));
	usleep(100000);		/* the reader holds the acknowledgment now */
	set_start = mono_ms();
	ASSERT_EQ(0, tep_rings(&self->ep, ring_req(sysconf(_SC_PAGESIZE), 4, FRAME),
			       ring_req(sysconf(_SC_PAGESIZE), 1, FRAME)));
	pthread_join(t, NULL);
	race_delay("0,0,0,0,0,0");
	TH_LOG("read() 0..%.0f ms, set-up from %.0f ms",
	       tc.end - tc.start, set_start - tc.start);
	/* The state was reached: the read failed after set-up began in its window. */
	EXPECT_EQ(-1, tc.ret);
	EXPECT_EQ(EFAULT, tc.err);
	EXPECT_LE(250, tc.end - tc.start);
	EXPECT_LT(set_start, tc.end);
	fcntl(self->ep.fd, F_SETFL, O_NONBLOCK);
	EXPECT_EQ(-1, read(self->ep.fd, msg, sizeof(msg)));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_F(traffic, tx_frame_errors_are_reported)
{
	struct nfqring_tx_result res;
	struct nfqring_stats st;
	struct nl_mmap_hdr *h;
	uint32_t last = 0;

	ASSERT_EQ(0, udp_send(3, 64));
	ASSERT_EQ(3, read_frames(_metadata, &self->ep, 3, ID(1), &last));

	/* frame 0 good, frame 1 with nm_len past the frame, frame 2 good */
	ASSERT_EQ(0, tep_tx_put(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						       ID(1), NF_ACCEPT)));
	ASSERT_EQ(0, tep_tx_put(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						       ID(2), NF_ACCEPT)));
	h = ring_frame(&self->ep.tx, 1);
	h->nm_len = FRAME;
	ASSERT_EQ(0, tep_tx_put(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						       ID(3), NF_ACCEPT)));
	EXPECT_EQ(-EINVAL, tep_flush(&self->ep, &res));
	EXPECT_EQ(1u, res.processed);
	EXPECT_EQ(1u, res.frame);
	EXPECT_EQ(-EINVAL, res.error);
	/* The bad frame was released; the one after it waits for the next. */
	EXPECT_EQ(NFQRING_STATUS_UNUSED, frame_status(ring_frame(&self->ep.tx, 1)));
	EXPECT_EQ(NFQRING_STATUS_VALID, frame_status(ring_frame(&self->ep.tx, 2)));
	EXPECT_EQ(1, tep_flush(&self->ep, &res));
	EXPECT_EQ(2, udp_count(self->rcv, 50));

	/* A frame holding a verdict for an unknown id. */
	ASSERT_EQ(0, tep_tx_put(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						       ID(99), NF_ACCEPT)));
	EXPECT_EQ(-ENOENT, tep_flush(&self->ep, &res));
	EXPECT_EQ(3u, res.frame);
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_GET_STATS, &st));
	EXPECT_EQ(2u, st.tx_errors);
	EXPECT_EQ(-ENOENT, st.tx_last_error);
	EXPECT_EQ(3u, st.tx_last_frame);

	/* NULL result pointer and write(fd, NULL, 0) flush too. */
	EXPECT_EQ(0, ioctl(self->ep.fd, NFQRING_TX_FLUSH, NULL));
	ASSERT_EQ(0, tep_tx_put(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						       ID(2), NF_ACCEPT)));
	EXPECT_EQ(1, write(self->ep.fd, NULL, 0));
	EXPECT_EQ(1, udp_count(self->rcv, 50));

	/*
	 * write(fd, NULL, 0) reports frames processed, never a frame's error:
	 * a bad frame stops it (counted in the stats), the next call goes on.
	 */
	ASSERT_EQ(0, tep_tx_put(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						       ID(98), NF_ACCEPT)));
	ASSERT_EQ(0, tep_tx_put(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						       ID(97), NF_ACCEPT)));
	EXPECT_EQ(0, write(self->ep.fd, NULL, 0));
	EXPECT_EQ(0, write(self->ep.fd, NULL, 0));
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_GET_STATS, &st));
	EXPECT_EQ(4u, st.tx_errors);
	EXPECT_EQ(-ENOENT, st.tx_last_error);
}

/* Verdicts take effect in the order issued: write() flushes the TX ring. */
TEST_F(traffic, tx_ring_then_write_order)
{
	uint32_t last = 0;

	ASSERT_EQ(0, udp_send(1, 64));
	ASSERT_EQ(1, read_frames(_metadata, &self->ep, 1, ID(1), &last));
	ASSERT_EQ(0, tep_tx_put(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						       last, NF_ACCEPT)));
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
							   0, last, NF_DROP)));
	EXPECT_EQ(1, udp_count(self->rcv, 50));
}

TEST_F(traffic, copy_fallback_and_batch_barrier)
{
	struct nfqring_stats st;
	struct nl_mmap_hdr *h;
	struct tpkt p;
	int i, n;

	/* 3000-byte packets do not fit 2048-byte frames. */
	ASSERT_EQ(0, udp_send(5, 3000));
	ASSERT_NE(0, tep_wait(&self->ep, 2000));
	usleep(100000);
	/* Nothing was read yet: a batch must not release unseen packets. */
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, msg_verdict(self->buf,
							   NFQNL_MSG_VERDICT_BATCH,
							   0, ID(5), NF_ACCEPT)));
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(NFQRING_STATUS_COPY, tep_rx_next(&self->ep, &h));
		EXPECT_LT(FRAME - NFQRING_HDRLEN, h->nm_len);
		n = read(self->ep.fd, self->buf, sizeof(self->buf));
		ASSERT_EQ((int)h->nm_len, n);
		ASSERT_EQ(0, tpkt_parse(self->buf, n, &p));
		EXPECT_EQ(ID(i + 1), p.id);
		EXPECT_EQ(3028u, p.payload_len);
		frame_release(h, NFQRING_STATUS_UNUSED);
		/* read them all but the last */
		if (i == 3)
			break;
	}
	/* The batch releases the four seen, not the fifth. */
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, ID(5), NF_ACCEPT)));
	EXPECT_EQ(4, udp_count(self->rcv, 50));
	ASSERT_EQ(NFQRING_STATUS_COPY, tep_rx_next(&self->ep, &h));
	/* Too small a buffer: EMSGSIZE, and the message stays. */
	EXPECT_EQ(-1, read(self->ep.fd, self->buf, 100));
	EXPECT_EQ(EMSGSIZE, errno);
	n = read(self->ep.fd, self->buf, sizeof(self->buf));
	ASSERT_EQ((int)h->nm_len, n);
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, ID(5), NF_ACCEPT)));
	EXPECT_EQ(1, udp_count(self->rcv, 50));
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_GET_STATS, &st));
	EXPECT_EQ(5u, st.rx_copy);
	EXPECT_EQ(0u, st.backlog_bytes);
}

/* Reads the next backlog message; its packet id. */
static uint32_t read_backlog(struct __test_metadata *_metadata, struct tep *ep, char *buf,
			     size_t size)
{
	struct tpkt p;
	int n;

	n = read(ep->fd, buf, size);
	EXPECT_LT(0, n);
	if (n <= 0 || tpkt_parse(buf, n, &p))
		return 0;
	return p.id;
}

/* Sends one packet of @size and releases its frame; the frame's status. */
static int send_one(struct __test_metadata *_metadata, struct tep *ep, int size)
{
	struct nl_mmap_hdr *h;
	int status;

	if (udp_send(1, size))
		return -1;
	status = tep_rx_next(ep, &h);
	if (!status && tep_wait(ep, 2000))
		status = tep_rx_next(ep, &h);
	if (status)
		frame_release(h, NFQRING_STATUS_UNUSED);
	return status;
}

/*
 * A batch verdict up to @maxid that must release @released packets (to the
 * receiver) and leave @left queued, with @verdicts counted in all.
 */
static void batch_releases(struct __test_metadata *_metadata, FIXTURE_DATA(traffic) *self,
			   uint32_t maxid, int released, unsigned int left, long long verdicts)
{
	unsigned int total = 99;

	ASSERT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, maxid, NF_ACCEPT)));
	EXPECT_EQ(released, udp_count(self->rcv, 50));
	ASSERT_EQ(0, proc_queue(0, &total, NULL, NULL, NULL));
	EXPECT_EQ(left, total);
	EXPECT_EQ(verdicts, proc_stat("verdicts"));
	EXPECT_EQ((long long)left, proc_stat("in_flight"));
}

/*
 * A batch takes what it may around packets left queued: unseen ones (their
 * messages wait in the read() backlog) stay, and a later batch takes them
 * once read.  The kernel moves the packets it takes off the head of its
 * list in one cut and those after a gap one by one: a gap at the head, one
 * in the middle, and none.
 */
TEST_F(traffic, batch_takes_around_unseen)
{
	/* 3000 bytes: a COPY frame, the message in the backlog */
	static const int sizes[] = { 3000, 64, 3000, 64, 64, 3000, 64 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		ASSERT_EQ(sizes[i] > 64 ? NFQRING_STATUS_COPY : NFQRING_STATUS_VALID,
			  send_one(_metadata, &self->ep, sizes[i]));
	/* nothing read: 1, 3 and 6 stay; 2 after the gap at the head */
	batch_releases(_metadata, self, ID(7), 4, 3, 4);
	/* those released are gone; nothing seen is left for a batch */
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
							   0, ID(2), NF_ACCEPT)));
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
							   0, ID(7), NF_ACCEPT)));
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
							   0, ID(7), NF_ACCEPT)));

	/* 1 read, 3 and 6 not, 8 new: 1 at the head, 8 after the gap */
	ASSERT_EQ(NFQRING_STATUS_VALID, send_one(_metadata, &self->ep, 64));
	EXPECT_EQ(ID(1), read_backlog(_metadata, &self->ep, self->buf, sizeof(self->buf)));
	batch_releases(_metadata, self, ID(8), 2, 2, 6);
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
							   0, ID(8), NF_ACCEPT)));

	/* both read: the whole queue in one cut */
	EXPECT_EQ(ID(3), read_backlog(_metadata, &self->ep, self->buf, sizeof(self->buf)));
	EXPECT_EQ(ID(6), read_backlog(_metadata, &self->ep, self->buf, sizeof(self->buf)));
	batch_releases(_metadata, self, ID(8), 2, 0, 8);
	/* the queue works on: the list the cut left empty takes packets */
	ASSERT_EQ(NFQRING_STATUS_VALID, send_one(_metadata, &self->ep, 64));
	ASSERT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, ID(9), NF_ACCEPT)));
	EXPECT_EQ(1, udp_count(self->rcv, 50));
}

TEST_F(traffic, overrun_counts_and_pollerr)
{
	unsigned int user_dropped = 0;
	struct nfqring_stats st;
	uint32_t last = 0;

	/* 128 frames; 144 packets and nobody reading: 16 overruns. */
	ASSERT_EQ(0, udp_send(144, 64));
	usleep(100000);
	EXPECT_EQ(POLLIN | POLLERR, tep_wait(&self->ep, 100) & (POLLIN | POLLERR));
	ASSERT_EQ(0, ioctl(self->ep.fd, NFQRING_GET_STATS, &st));
	EXPECT_EQ(16u, st.rx_overruns);
	ASSERT_EQ(0, proc_queue(0, NULL, NULL, &user_dropped, NULL));
	EXPECT_EQ(16u, user_dropped);
	/* read() reports the overrun once and clears POLLERR. */
	EXPECT_EQ(-1, read(self->ep.fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(ENOBUFS, errno);
	EXPECT_EQ(0, tep_wait(&self->ep, 0) & POLLERR);

	ASSERT_EQ(128, read_frames(_metadata, &self->ep, 128, ID(1), &last));
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, last, NF_ACCEPT)));
	EXPECT_EQ(128, udp_count(self->rcv, 50));
	/* Frames released: the ring takes packets again. */
	ASSERT_EQ(0, udp_send(1, 64));
	ASSERT_EQ(1, read_frames(_metadata, &self->ep, 1, ID(129), &last));
}

TEST_F(traffic, fail_open_accepts_what_does_not_fit)
{
	uint32_t last = 0;

	ASSERT_EQ(0, tep_send(&self->ep, msg_flags(self->buf, 0, NFQA_CFG_F_FAIL_OPEN,
						   NFQA_CFG_F_FAIL_OPEN)));
	ASSERT_EQ(0, udp_send(144, 64));
	EXPECT_EQ(16, udp_count(self->rcv, 100));
	ASSERT_EQ(128, read_frames(_metadata, &self->ep, 128, ID(1), &last));
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, last, NF_ACCEPT)));
	EXPECT_EQ(128, udp_count(self->rcv, 50));
}

TEST_F(traffic, queue_maxlen_drops_and_counts)
{
	unsigned int dropped = 0, total = 0;
	uint32_t last = 0;

	ASSERT_EQ(0, tep_send(&self->ep, msg_cfg_u32(self->buf, 0, NFQA_CFG_QUEUE_MAXLEN, 5)));
	ASSERT_EQ(0, udp_send(12, 64));
	ASSERT_EQ(5, read_frames(_metadata, &self->ep, 12, ID(1), &last));
	ASSERT_EQ(0, proc_queue(0, &total, &dropped, NULL, NULL));
	EXPECT_EQ(5u, total);
	EXPECT_EQ(7u, dropped);
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, last, NF_ACCEPT)));
	EXPECT_EQ(5, udp_count(self->rcv, 50));
}

TEST_F(traffic, no_rx_ring_uses_read)
{
	struct tep ep2;
	struct tpkt p;
	int i, n;

	tep_close(&self->ep);
	ASSERT_EQ(0, tep_open(&ep2));
	ASSERT_EQ(0, tep_bind(&ep2, 0, 0xffff));
	ASSERT_EQ(0, udp_send(3, 64));
	for (i = 0; i < 3; i++) {
		n = read(ep2.fd, self->buf, sizeof(self->buf));
		ASSERT_LT(0, n);
		ASSERT_EQ(0, tpkt_parse(self->buf, n, &p));
		EXPECT_EQ(ID(i + 1), p.id);
	}
	EXPECT_EQ(0, tep_send(&ep2, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						0, ID(3), NF_ACCEPT)));
	EXPECT_EQ(3, udp_count(self->rcv, 50));
	tep_close(&ep2);
}

/* Without an RX ring, read() has a byte limit; beyond it, counted drops. */
TEST_F_TIMEOUT(traffic, backlog_limit_drops_and_counts, 120)
{
	unsigned int total = 0, user_dropped = 0;
	struct nfqring_stats st;
	struct tep ep2;

	tep_close(&self->ep);
	ASSERT_EQ(0, tep_open(&ep2));
	ASSERT_EQ(0, tep_bind(&ep2, 0, 0xffff));
	ASSERT_EQ(0, tep_send(&ep2, msg_cfg_u32(self->buf, 0, NFQA_CFG_QUEUE_MAXLEN, 10000)));
	/* 4000 messages of about 3 KiB: more than NFQRING_BACKLOG_BYTES */
	ASSERT_EQ(0, udp_send(4000, 3000));
	ASSERT_EQ(0, ioctl(ep2.fd, NFQRING_GET_STATS, &st));
	ASSERT_EQ(0, proc_queue(0, &total, NULL, &user_dropped, NULL));
	TH_LOG("queued %u, backlog %u bytes in %llu messages, %llu drops",
	       total, st.backlog_bytes, (unsigned long long)st.backlog_msgs,
	       (unsigned long long)st.backlog_drops);
	EXPECT_LT(0u, st.backlog_drops);
	EXPECT_GE(NFQRING_BACKLOG_BYTES, st.backlog_bytes);
	EXPECT_EQ(st.backlog_drops, user_dropped);
	EXPECT_EQ(4000u, total + user_dropped);
	EXPECT_EQ(st.backlog_msgs, total);
	/* POLLERR, then ENOBUFS once from read() */
	EXPECT_EQ(POLLERR, tep_wait(&ep2, 0) & POLLERR);
	EXPECT_EQ(-1, read(ep2.fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(ENOBUFS, errno);
	EXPECT_LT(0, read(ep2.fd, self->buf, sizeof(self->buf)));
	tep_close(&ep2);
	EXPECT_EQ(0, udp_count(self->rcv, 50));
}

/* libnetfilter_queue's parser reads a ring frame as it is. */
TEST_F(traffic, libnetfilter_queue_parses_frames)
{
	struct nlattr *attr[NFQA_MAX + 1] = {};
	struct nfqnl_msg_packet_hdr *ph;
	struct nl_mmap_hdr *h;

	ASSERT_EQ(0, udp_send(1, 100));
	ASSERT_NE(0, tep_wait(&self->ep, 2000));
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	ASSERT_LE(0, nfq_nlmsg_parse((struct nlmsghdr *)((uint8_t *)h + NFQRING_HDRLEN),
				     attr));
	ASSERT_NE(NULL, attr[NFQA_PACKET_HDR]);
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	EXPECT_EQ(ID(1), ntohl(ph->packet_id));
	EXPECT_EQ(ETH_P_IP, ntohs(ph->hw_protocol));
	EXPECT_EQ(NF_INET_LOCAL_OUT, ph->hook);
	ASSERT_NE(NULL, attr[NFQA_PAYLOAD]);
	EXPECT_EQ(128u, mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]));
	ASSERT_NE(NULL, attr[NFQA_IFINDEX_OUTDEV]);
	EXPECT_EQ(NULL, attr[NFQA_IFINDEX_INDEV]);
	EXPECT_EQ(NULL, attr[NFQA_CAP_LEN]);
	frame_release(h, NFQRING_STATUS_UNUSED);
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						     ID(1), NF_ACCEPT)));
	EXPECT_EQ(1, udp_count(self->rcv, 50));
}

TEST_F(traffic, close_with_packets_in_flight)
{
	unsigned int total;

	ASSERT_EQ(0, udp_send(30, 64));
	usleep(100000);
	ASSERT_EQ(0, proc_queue(0, &total, NULL, NULL, NULL));
	EXPECT_EQ(30u, total);
	tep_close(&self->ep);
	EXPECT_EQ(-1, proc_queue(0, NULL, NULL, NULL, NULL));
	EXPECT_EQ(0, udp_count(self->rcv, 50));
	/* The queue can be bound again at once. */
	ASSERT_EQ(0, tep_open(&self->ep));
	EXPECT_EQ(0, tep_bind(&self->ep, 0, 0xffff));
}

TEST_F(traffic, unbind_drops_what_the_queue_holds)
{
	ASSERT_EQ(0, udp_send(10, 64));
	usleep(100000);
	EXPECT_EQ(0, tep_send(&self->ep, msg_cmd(self->buf, 0, NFQNL_CFG_CMD_UNBIND)));
	EXPECT_EQ(-1, proc_queue(0, NULL, NULL, NULL, NULL));
	EXPECT_EQ(-ENODEV, tep_send(&self->ep, msg_verdict(self->buf,
							   NFQNL_MSG_VERDICT_BATCH,
							   0, ID(10), NF_ACCEPT)));
	EXPECT_EQ(0, udp_count(self->rcv, 50));
}

TEST_F(traffic, poll_levels)
{
	struct pollfd pfd = { .fd = self->ep.fd, .events = POLLIN | POLLOUT };
	struct nl_mmap_hdr *h;
	int i;

	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	ASSERT_EQ(0, udp_send(2, 64));
	ASSERT_EQ(1, poll(&pfd, 1, 2000));
	EXPECT_EQ(POLLIN | POLLOUT, pfd.revents);
	/* Keeping a frame with SKIP, releasing the other: nothing to read. */
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	frame_release(h, NFQRING_STATUS_SKIP);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN | POLLOUT, pfd.revents);
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	frame_release(h, NFQRING_STATUS_UNUSED);
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	/* A TX ring full of unflushed frames: no POLLOUT. */
	for (i = 0; i < (int)self->ep.tx.req.nm_frame_nr; i++)
		ASSERT_EQ(0, tep_tx_put(&self->ep, msg_cmd(self->buf, 0,
							   NFQNL_CFG_CMD_PF_BIND)));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ((int)self->ep.tx.req.nm_frame_nr, tep_flush(&self->ep, NULL));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, ID(2), NF_ACCEPT)));
	EXPECT_EQ(2, udp_count(self->rcv, 50));
}

static void *send_later(void *arg)
{
	usleep(300000);
	udp_send(1, 64);
	return NULL;
}

/* A blocked poll() wakes for a packet (no missed wake-up), not before. */
TEST_F(traffic, poll_wakes_up_once)
{
	struct pollfd pfd = { .fd = self->ep.fd, .events = POLLIN };
	struct timespec t0, t1;
	pthread_t t;
	long ms;

	EXPECT_EQ(0, poll(&pfd, 1, 200));	/* nothing new: no wake-up */
	ASSERT_EQ(0, pthread_create(&t, NULL, send_later, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(t, NULL);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	EXPECT_EQ(POLLIN, pfd.revents);
	EXPECT_LT(250, ms);	/* not woken before the packet */
	EXPECT_GT(5000, ms);	/* nor missed */
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, ID(1), NF_ACCEPT)));
	EXPECT_EQ(1, udp_count(self->rcv, 50));
}

TEST_F(traffic, payload_rewrite_and_mark)
{
	struct nl_mmap_hdr *h;
	struct nlmsghdr *nlh;
	uint8_t pkt[20 + 8 + 64];
	char counters[4096];
	struct tpkt p;
	FILE *f;
	size_t n;

	ASSERT_EQ(0, nft("table inet t {\n"
			 "  chain late { type filter hook output priority 10;\n"
			 "    udp dport 9999 meta mark 0x42 counter\n  }\n}\n"));
	ASSERT_EQ(0, udp_send(1, 64));
	ASSERT_NE(0, tep_wait(&self->ep, 2000));
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	ASSERT_EQ(sizeof(pkt), p.payload_len);
	memcpy(pkt, p.payload, sizeof(pkt));
	frame_release(h, NFQRING_STATUS_UNUSED);

	/* Same length, new bytes, UDP checksum 0 ("none" over IPv4). */
	memset(pkt + 28 + 4, 'R', 60);
	pkt[26] = pkt[27] = 0;
	nlh = msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0, p.id, NF_ACCEPT);
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(pkt), pkt);
	mnl_attr_put_u32(nlh, NFQA_MARK, htonl(0x42));
	ASSERT_EQ(0, tep_tx_put(&self->ep, nlh));
	ASSERT_EQ(1, tep_flush(&self->ep, NULL));

	usleep(50000);
	n = recv(self->rcv, counters, sizeof(counters), 0);
	ASSERT_EQ(64u, n);
	EXPECT_EQ('R', counters[4]);
	EXPECT_EQ('R', counters[63]);
	f = popen("nft list chain inet t late", "r");
	ASSERT_NE(NULL, f);
	n = fread(counters, 1, sizeof(counters) - 1, f);
	counters[n] = 0;
	pclose(f);
	EXPECT_NE(NULL, strstr(counters, "packets 1 "));
}

/*
 * Replacement payloads: growing the packet works; one too short to keep
 * the transport header turns the verdict into a drop, as in the stock
 * module; one longer than a TX frame is refused with EINVAL.
 */
TEST_F(traffic, replacement_payload_limits)
{
	static uint8_t big[20 + 8 + 1400];
	struct nfqring_tx_result res;
	struct nl_mmap_hdr *h;
	struct nlmsghdr *nlh;
	struct tpkt p;
	uint16_t v;
	int n;

	ASSERT_EQ(0, udp_send(3, 64));
	ASSERT_NE(0, tep_wait(&self->ep, 2000));
	usleep(50000);

	/* grown to 1400 bytes of UDP payload, lengths fixed, no checksum */
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	memcpy(big, p.payload, 28);
	frame_release(h, NFQRING_STATUS_UNUSED);
	memset(big + 28, 'G', sizeof(big) - 28);
	v = htons(sizeof(big));
	memcpy(big + 2, &v, 2);
	big[10] = big[11] = 0;	/* IPv4 header checksum: recomputed below */
	{
		uint32_t sum = 0;
		int i;

		for (i = 0; i < 20; i += 2)
			sum += (big[i] << 8) | big[i + 1];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		big[10] = ~sum >> 8;
		big[11] = ~sum & 0xff;
	}
	v = htons(sizeof(big) - 20);
	memcpy(big + 24, &v, 2);
	big[26] = big[27] = 0;
	nlh = msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0, p.id, NF_ACCEPT);
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(big), big);
	EXPECT_EQ(0, tep_send(&self->ep, nlh));
	n = recv(self->rcv, self->buf, sizeof(self->buf), 0);
	if (n < 0) {
		usleep(100000);
		n = recv(self->rcv, self->buf, sizeof(self->buf), 0);
	}
	EXPECT_EQ(1400, n);

	/* shorter than the IP header: dropped */
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	frame_release(h, NFQRING_STATUS_UNUSED);
	nlh = msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0, p.id, NF_ACCEPT);
	mnl_attr_put(nlh, NFQA_PAYLOAD, 10, big);
	EXPECT_EQ(0, tep_send(&self->ep, nlh));
	EXPECT_EQ(0, udp_count(self->rcv, 50));

	/* too big for a TX frame */
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	frame_release(h, NFQRING_STATUS_UNUSED);
	nlh = msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0, p.id, NF_ACCEPT);
	mnl_attr_put(nlh, NFQA_PAYLOAD, 2 * FRAME, self->buf + 4 * FRAME);
	EXPECT_EQ(-EMSGSIZE, tep_tx_put(&self->ep, nlh));
	h = ring_frame(&self->ep.tx, self->ep.tx_pos);
	memcpy((uint8_t *)h + NFQRING_HDRLEN, nlh, FRAME - NFQRING_HDRLEN);
	h->nm_len = nlh->nlmsg_len;
	frame_release(h, NFQRING_STATUS_VALID);
	EXPECT_EQ(-EINVAL, tep_flush(&self->ep, &res));
	/* the packet is still queued, untouched */
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						     p.id, NF_ACCEPT)));
	EXPECT_EQ(1, udp_count(self->rcv, 50));
}

TEST_F(traffic, repeat_and_requeue)
{
	struct tpkt p;
	struct nl_mmap_hdr *h;
	struct nlmsghdr *nlh;

	/* Queue 1 too; mark 1 keeps a repeated packet out of queue 0. */
	ASSERT_EQ(0, nft_queue_udp("meta mark != 0x1 queue num 0"));
	ASSERT_EQ(0, tep_bind(&self->ep, 1, 0xffff));

	ASSERT_EQ(0, udp_send(2, 64));
	ASSERT_NE(0, tep_wait(&self->ep, 2000));
	usleep(50000);
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	frame_release(h, NFQRING_STATUS_UNUSED);
	/* First: repeat with the mark, so the queue rule lets it pass. */
	nlh = msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0, p.id, NF_REPEAT);
	mnl_attr_put_u32(nlh, NFQA_MARK, htonl(1));
	EXPECT_EQ(0, tep_send(&self->ep, nlh));
	EXPECT_EQ(1, udp_count(self->rcv, 50));

	/* Second: hand it over to queue 1, where it shows up with id 1. */
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	frame_release(h, NFQRING_STATUS_UNUSED);
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 0,
						     p.id, NF_QUEUE | (1 << 16))));
	ASSERT_NE(0, tep_wait(&self->ep, 2000));
	ASSERT_EQ(NFQRING_STATUS_VALID, tep_rx_next(&self->ep, &h));
	ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN, h->nm_len, &p));
	EXPECT_EQ(1, p.queue);
	EXPECT_EQ(ID(1), p.id);
	frame_release(h, NFQRING_STATUS_UNUSED);
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT, 1,
						     p.id, NF_ACCEPT)));
	EXPECT_EQ(1, udp_count(self->rcv, 50));
}

/*
 * nfqring_stats: every packet that entered a queue left it once (verdict or
 * flush), and the ones that never entered are counted by reason.
 */
TEST_F(traffic, stats_account_for_every_packet)
{
	uint32_t last = 0, id;

	ASSERT_EQ(0, proc_stat("queued"));
	ASSERT_EQ(0, tep_send(&self->ep, msg_cfg_u32(self->buf, 0, NFQA_CFG_QUEUE_MAXLEN, 15)));
	ASSERT_EQ(0, udp_send(20, 64));
	ASSERT_EQ(15, read_frames(_metadata, &self->ep, 20, ID(1), &last));
	EXPECT_EQ(15, proc_stat("queued"));
	EXPECT_EQ(5, proc_stat("refused_full"));
	EXPECT_EQ(15, proc_stat("in_flight"));

	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, ID(5), NF_ACCEPT)));
	for (id = 6; id <= 10; id++)
		EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
							     0, ID(id), NF_DROP)));
	/* A verdict for a packet that is gone changes nothing. */
	EXPECT_EQ(-ENOENT, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT,
							   0, ID(6), NF_ACCEPT)));
	EXPECT_EQ(10, proc_stat("verdicts"));
	EXPECT_EQ(5, proc_stat("in_flight"));

	EXPECT_EQ(0, tep_send(&self->ep, msg_cmd(self->buf, 0, NFQNL_CFG_CMD_UNBIND)));
	EXPECT_EQ(5, proc_stat("flushed"));
	EXPECT_EQ(0, proc_stat("in_flight"));

	ASSERT_EQ(0, udp_send(3, 64));
	EXPECT_EQ(5, udp_count(self->rcv, 50));
	EXPECT_EQ(3, proc_stat("no_listener"));
	EXPECT_EQ(15, proc_stat("queued"));
	EXPECT_EQ(0, proc_stat("undelivered"));
	EXPECT_EQ(0, proc_stat("refused_other"));
	EXPECT_EQ(0, proc_stat("alloc_failed"));
	EXPECT_EQ(0, proc_stat("fail_open"));
}

/* Without a listener: bypass continues, no bypass drops (and EPERMs). */
TEST_F(traffic, bypass_and_blackhole)
{
	ASSERT_EQ(0, nft_queue_udp("queue num 7 bypass"));
	ASSERT_EQ(0, udp_send(10, 64));
	EXPECT_EQ(10, udp_count(self->rcv, 50));
	ASSERT_EQ(0, nft_queue_udp("queue num 7"));
	ASSERT_EQ(0, udp_send(10, 64));
	EXPECT_EQ(0, udp_count(self->rcv, 50));
	/* Bound through the ring, bypass does not apply: the ring gets them. */
	ASSERT_EQ(0, nft_queue_udp("queue num 0 bypass"));
	ASSERT_EQ(0, udp_send(3, 64));
	EXPECT_EQ(0, udp_count(self->rcv, 50));
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, ID(3), NF_ACCEPT)));
	EXPECT_EQ(3, udp_count(self->rcv, 50));
}

/* queue num 0-1 spreads flows over both queues of one endpoint. */
TEST_F(traffic, balance_over_two_queues)
{
	unsigned int got[2] = { 0, 0 }, n = 0, src;
	uint32_t last[2] = { seq_start(), seq_start() };
	struct nl_mmap_hdr *h;
	struct tpkt p;

	ASSERT_EQ(0, tep_bind(&self->ep, 1, 0xffff));
	ASSERT_EQ(0, nft_queue_udp("queue num 0-1"));
	for (src = 1; src <= 16; src++)
		ASSERT_EQ(0, udp_send_from(src, 4, 64));
	while (n < 64 && tep_wait(&self->ep, 2000)) {
		while (tep_rx_next(&self->ep, &h)) {
			ASSERT_EQ(0, tpkt_parse((uint8_t *)h + NFQRING_HDRLEN,
						h->nm_len, &p));
			ASSERT_GT(2, p.queue);
			/* ids per queue, in ring order */
			EXPECT_EQ(id_add(last[p.queue], 1), p.id);
			last[p.queue] = p.id;
			got[p.queue]++;
			n++;
			frame_release(h, NFQRING_STATUS_UNUSED);
		}
	}
	EXPECT_EQ(64u, n);
	EXPECT_LT(0u, got[0]);
	EXPECT_LT(0u, got[1]);
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     0, last[0], NF_ACCEPT)));
	EXPECT_EQ(0, tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH,
						     1, last[1], NF_ACCEPT)));
	EXPECT_EQ(64, udp_count(self->rcv, 100));
}

TEST_F(traffic, hook_removal_and_device_down_flush)
{
	unsigned int total = 0;

	ASSERT_EQ(0, udp_send(10, 64));
	usleep(100000);
	ASSERT_EQ(0, proc_queue(0, &total, NULL, NULL, NULL));
	EXPECT_EQ(10u, total);
	/* Deleting the table unregisters the hook: queued packets go. */
	ASSERT_EQ(0, nft("delete table inet t\n"));
	ASSERT_EQ(0, proc_queue(0, &total, NULL, NULL, NULL));
	EXPECT_EQ(0u, total);

	/* Packets that reference a device going down go too. */
	ASSERT_EQ(0, nft_queue_udp("queue num 0"));
	ASSERT_EQ(0, udp_send(10, 64));
	usleep(100000);
	ASSERT_EQ(0, proc_queue(0, &total, NULL, NULL, NULL));
	EXPECT_EQ(10u, total);
	ASSERT_EQ(0, system("ip link set lo down"));
	ASSERT_EQ(0, proc_queue(0, &total, NULL, NULL, NULL));
	EXPECT_EQ(0u, total);
	EXPECT_EQ(0, udp_count(self->rcv, 50));
}

/*
 * A second thread scribbles random status words and lengths over both
 * rings while traffic flows and the main thread judges what it can.  The
 * kernel must stay healthy and account for every packet.
 */
struct scribble {
	struct tep *ep;
	volatile bool stop;
	unsigned int seed;
};

static void *scribbler(void *arg)
{
	struct scribble *s = arg;
	uint32_t nrx = s->ep->rx.req.nm_frame_nr, ntx = s->ep->tx.req.nm_frame_nr;

	while (!s->stop) {
		struct nl_mmap_hdr *h;

		h = ring_frame(&s->ep->rx, rand_r(&s->seed) % nrx);
		__atomic_store_n(&h->nm_status, rand_r(&s->seed) % 6, __ATOMIC_RELAXED);
		h = ring_frame(&s->ep->tx, rand_r(&s->seed) % ntx);
		h->nm_len = rand_r(&s->seed) % (2 * FRAME);
		__atomic_store_n(&h->nm_status, rand_r(&s->seed) % 6, __ATOMIC_RELAXED);
	}
	return NULL;
}

TEST_F_TIMEOUT(traffic, scribbled_rings_stay_safe, 180)
{
	struct scribble s = { .ep = &self->ep, .seed = 42 };
	unsigned int total = 1, dropped = 0, user_dropped = 0, seq = 0;
	struct nfqring_tx_result res;
	pthread_t t;
	int i, delivered;

	/* Nothing may block: the scribbler decides what there is to read. */
	fcntl(self->ep.fd, F_SETFL, O_NONBLOCK);
	ASSERT_EQ(0, pthread_create(&t, NULL, scribbler, &s));
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, udp_send(50, 64 + i * 30));
		tep_flush(&self->ep, &res);
		read(self->ep.fd, self->buf, sizeof(self->buf));
		tep_send(&self->ep, msg_verdict(self->buf, NFQNL_MSG_VERDICT_BATCH, 0,
						id_add(seq, 1000), NF_ACCEPT));
		proc_queue(0, NULL, NULL, NULL, &seq);
	}
	s.stop = true;
	pthread_join(t, NULL);

	/* Every packet: delivered, still queued, or counted as dropped. */
	delivered = udp_count(self->rcv, 100);
	ASSERT_EQ(0, proc_queue(0, &total, &dropped, &user_dropped, &seq));
	TH_LOG("ids %u delivered %d queued %u dropped %u user_dropped %u",
	       seq, delivered, total, dropped, user_dropped);
	seq = ids_since(seq_start(), seq);
	EXPECT_EQ(2000u, seq + dropped + user_dropped);
	EXPECT_EQ(seq, (unsigned int)delivered + total);
	tep_close(&self->ep);
	EXPECT_EQ(-1, proc_queue(0, NULL, NULL, NULL, NULL));
}

TEST_HARNESS_MAIN
