/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The netlink backend against the fake kernel: socket options, acknowledged
 * configuration, recvmmsg() bursts, one sendmsg() per flush, refused
 * verdicts, ENOBUFS, cut messages and AUTO. */
#include <errno.h>
#include <libmnl/libmnl.h>

#include "fake_kernel.h"
#include "tap.h"

static unsigned char payload[70000];

static struct fk_pkt pkt_n(uint32_t id, uint32_t len)
{
	return (struct fk_pkt){ .queue = 3, .id = id, .hw_protocol = 0x0800, .hook = 3,
				.payload = payload + id % 251, .payload_len = len,
				.mark_set = true, .mark = id };
}

static void queue_n(uint32_t first, uint32_t n, uint32_t len)
{
	for (uint32_t id = first; id < first + n; id++) {
		struct fk_pkt p = pkt_n(id, len);

		fk_queue_packet(&p);
	}
}

static void test_open_and_config(void)
{
	struct nfqring_ring_params p = { 0 };
	struct nfqring *h;

	fk_reset();
	h = fk_open_netlink(&p);
	ok(h != NULL, "netlink backend opens on the fake kernel");
	if (!h)
		return;
	is_int(nfqring_backend(h), NFQRING_BACKEND_NETLINK, "backend is netlink");
	is_int(nfqring_fd(h), fk.nl_sv[0], "the descriptor is the socket");
	is_int(fk.no_enobufs, 1, "NETLINK_NO_ENOBUFS set");
	ok(fk.rcvbuf_opt == SO_RCVBUFFORCE && fk.rcvbuf >= (32 << 20),
	   "receive buffer forced to %d bytes", fk.rcvbuf);
	is_int(p.rx_frame_size, nfqring_frame_size_for(NFQRING_MAX_COPY_RANGE),
	       "default buffer holds the largest message");
	is_int(p.rx_frame_nr, 64, "64 buffers by default");
	is_int(p.flags, NFQRING_NO_RX_RING | NFQRING_NO_TX_RING, "no rings, says setup");
	is_int(nfqring_bind(h, 3), 0, "bind acknowledged");
	is_int(nfqring_set_mode(h, 3, NFQNL_COPY_PACKET, 0xffff), 0, "set_mode acknowledged");
	ok(fk.nrecs == 2 && fk.recs[0].cfg_cmd == NFQNL_CFG_CMD_BIND && fk.recs[1].has_params &&
	   (((struct nlmsghdr *)fk.recs[0].raw)->nlmsg_flags & NLM_F_ACK), "two CONFIG messages with NLM_F_ACK");
	is_int(fk.nl_acks, 2, "two answers");
	fk.config_err = -EBUSY;
	is_int(nfqring_bind(h, 4), -EBUSY, "a refused bind returns the kernel's error");
	ok(strstr(nfqring_errmsg(h), "bound by another process") != NULL, "and says why: %s",
	   nfqring_errmsg(h));
	fk.config_err = -EPERM;
	is_int(nfqring_bind(h, 4), -EPERM, "a bind another owner refuses returns EPERM");
	ok(strstr(nfqring_errmsg(h), "bound by another process, or this one lacks CAP_NET_ADMIN") != NULL,
	   "and says both of netlink's reasons: %s", nfqring_errmsg(h));
	fk.config_err = 0;
	struct nfqring_stats ks;

	is_int(nfqring_kernel_stats(h, &ks), -EOPNOTSUPP, "no kernel ring statistics");
	nfqring_close(h);

	fk_reset();
	fk.no_rcvbufforce = true;
	h = fk_open_netlink(NULL);
	is_int(fk.rcvbuf_opt, SO_RCVBUF, "SO_RCVBUF when SO_RCVBUFFORCE is refused");
	nfqring_close(h);
}

static void test_receive_and_verdict(void)
{
	struct nfqring_packet pkt;
	struct nfqring_lib_stats st;
	struct nfqring *h;
	uint32_t want = 1, bad = 0;
	unsigned int calls, sends;

	fk_reset();
	h = fk_open_netlink(NULL);
	nfqring_bind(h, 3);
	queue_n(1, 100, 500);
	calls = fk.recvmmsgs;
	is_int(nfqring_wait(h, 0), 1, "wait: ready");
	while (nfqring_next(h, &pkt) == 1) {
		if (pkt.id != want || pkt.queue != 3 || pkt.payload_len != 500 || pkt.mark != want ||
		    memcmp(pkt.payload, payload + want % 251, 500))
			bad++;
		want++;
		if (want == 50) {
			unsigned int polls = fk.polls;

			is_int(nfqring_wait(h, 0), 1, "wait with datagrams in the buffers: ready ...");
			is_int(fk.polls, polls, "... without a system call");
		}
	}
	is_int(want, 101, "100 packets in order");
	is_int(bad, 0, "with their payload and mark");
	ok(fk.recvmmsgs - calls <= 4, "in bursts: %u recvmmsg() calls", fk.recvmmsgs - calls);
	is_int(nfqring_keep(h, &pkt), -EINVAL, "keep: no frames to keep");

	sends = fk.sendmsgs;
	fk.nrecs = 0;
	for (uint32_t id = 1; id <= 10; id++)
		nfqring_verdict_simple(h, 3, id, NF_DROP);
	is_int(nfqring_batch_seen(h, NF_ACCEPT), 1, "one batch");
	is_int(fk.sendmsgs, sends, "nothing sent before the flush");
	is_int(nfqring_flush(h), 11, "flush: 11 messages");
	is_int(fk.sendmsgs - sends, 1, "in one sendmsg()");
	ok(fk.nrecs == 11 && fk.recs[0].id == 1 && fk.recs[9].id == 10 &&
	   fk.recs[10].type == NFQNL_MSG_VERDICT_BATCH && fk.recs[10].id == 100 &&
	   fk.recs[10].verdict == NF_ACCEPT, "in the order issued, the batch up to id 100");

	/* a refused verdict comes back as NLMSG_ERROR and is recorded on receive */
	fk.fail_id = 7;
	fk.fail_err = -ENOENT;
	nfqring_verdict_simple(h, 3, 7, NF_ACCEPT);
	is_int(nfqring_flush(h), 1, "the send itself succeeds");
	is_int(nfqring_next(h, &pkt), 0, "next: no packet, but ...");
	struct nfqring_tx_error e;

	nfqring_last_tx_error(h, &e);
	ok(e.error == -ENOENT && e.id == 7 && e.queue == 3 && e.msg_type == NFQNL_MSG_VERDICT,
	   "... the refusal is recorded (error %d id %u queue %u type %u)", e.error, e.id, e.queue,
	   e.msg_type);
	nfqring_lib_stats(h, &st);
	is_int(st.tx_errors, 1, "counted");
	fk.fail_err = 0;

	/* a big replacement payload rides along in the same buffer */
	struct nfqring_verdict v = { .queue = 3, .id = 8, .verdict = NF_ACCEPT,
				     .flags = NFQRING_V_PAYLOAD, .payload = payload, .payload_len = 30000 };

	sends = fk.sendmsgs;
	fk.nrecs = 0;
	is_int(nfqring_verdict(h, &v), 0, "payload verdict queued");
	is_int(nfqring_flush(h), 1, "and sent");
	ok(fk.nrecs == 1 && fk.recs[0].has_payload && fk.recs[0].payload_len == 30000 &&
	   fk.sendmsgs - sends == 1, "with its 30000 bytes, one sendmsg()");
	nfqring_close(h);
}

/* Packets that arrive while a CONFIG waits for its answer stay, in order. */
static void test_packets_during_config(void)
{
	struct nfqring_packet pkt;
	struct nfqring *h;
	uint32_t want = 1;

	fk_reset();
	h = fk_open_netlink(NULL);
	nfqring_bind(h, 3);
	queue_n(1, 5, 100);
	is_int(nfqring_set_mode(h, 3, NFQNL_COPY_PACKET, 0), 0, "set_mode answered behind 5 packets");
	queue_n(6, 3, 100);
	while (nfqring_next(h, &pkt) == 1 && pkt.id == want)
		want++;
	is_int(want, 9, "all 8 packets handed out in order afterwards");
	nfqring_close(h);
}

static void test_overrun_and_cut(void)
{
	struct nfqring_ring_params p = { .rx_frame_size = 1024, .rx_frame_nr = 4 };
	struct nfqring_packet pkt;
	struct nfqring_lib_stats st;
	struct nfqring *h;

	fk_reset();
	h = fk_open_netlink(&p);
	nfqring_bind(h, 3);
	queue_n(1, 2, 100);
	fk.overrun = true;
	is_int(nfqring_next(h, &pkt), 1, "ENOBUFS is passed over ...");
	nfqring_lib_stats(h, &st);
	is_int(st.overruns, 1, "... and counted");
	is_int(nfqring_next(h, &pkt), 1, "second packet");
	queue_n(3, 1, 2000);
	queue_n(4, 1, 100);
	is_int(nfqring_next(h, &pkt), -EMSGSIZE, "a message bigger than a buffer: -EMSGSIZE");
	ok(strstr(nfqring_errmsg(h), "rx_frame_size") != NULL, "says what to raise: %s",
	   nfqring_errmsg(h));
	ok(nfqring_next(h, &pkt) == 1 && pkt.id == 4, "the next packet still comes");
	nfqring_lib_stats(h, &st);
	is_int(st.bad_msgs, 1, "the cut one is counted");
	unsigned char junk[64] = { 0xff, 0xff, 0xff, 0x7f };

	fk_nl_put(junk, sizeof(junk));
	queue_n(5, 1, 100);
	is_int(nfqring_next(h, &pkt), -EBADMSG, "a malformed datagram: -EBADMSG");
	ok(nfqring_next(h, &pkt) == 1 && pkt.id == 5, "then the next packet");
	{
		/* nlmsg_len 2^32-1: aligned, it wraps to 0, and the offset into the
		 * datagram must still move on (a worker would retry for ever) */
		unsigned char wrap[64] = { 0xff, 0xff, 0xff, 0xff,
					   NFQNL_MSG_PACKET, NFNL_SUBSYS_QUEUE };
		int r = 0, calls;

		fk_nl_put(wrap, sizeof(wrap));
		wrap[4] = NLMSG_NOOP;
		wrap[5] = 0;
		fk_nl_put(wrap, sizeof(wrap));
		queue_n(6, 1, 100);
		for (calls = 0; calls < 8 && (r = nfqring_next(h, &pkt)) != 1; calls++)
			;
		ok(r == 1 && pkt.id == 6 && calls <= 2,
		   "nlmsg_len 2^32-1: skipped and counted, then the next packet (%d calls)", calls);
	}
	nfqring_close(h);

	p = (struct nfqring_ring_params){ .rx_frame_nr = 2000 };
	fk_reset();
	struct nfqring *h2;

	nfqring_open_ops_backend(&h2, NFQRING_BACKEND_NETLINK, &fk_ops, NULL, 0);
	is_int(nfqring_setup(h2, &p), -E2BIG, "more than 1024 buffers: -E2BIG");
	nfqring_close(h2);
}

static void test_auto(void)
{
	struct nfqring *h;
	char err[NFQRING_ERRBUF_SIZE];

	fk_reset();
	is_int(nfqring_open_ops_backend(&h, NFQRING_BACKEND_AUTO, &fk_ops, err, sizeof(err)), 0,
	       "AUTO with the device");
	is_int(nfqring_backend(h), NFQRING_BACKEND_RING, "picks the ring");
	nfqring_close(h);
	fk_reset();
	fk.no_device = true;
	is_int(nfqring_open_ops_backend(&h, NFQRING_BACKEND_AUTO, &fk_ops, err, sizeof(err)), 0,
	       "AUTO without the device");
	is_int(nfqring_backend(h), NFQRING_BACKEND_NETLINK, "picks netlink");
	nfqring_close(h);
	fk_reset();
	fk.no_device = true;
	fk.no_netlink = true;
	is_int(nfqring_open_ops_backend(&h, NFQRING_BACKEND_AUTO, &fk_ops, err, sizeof(err)),
	       -ENOENT, "neither: -ENOENT");
	ok(strstr(err, "modprobe nfqring") != NULL, "with the ring's advice: %s", err);
	is_int(nfqring_open_ops_backend(&h, NFQRING_BACKEND_NETLINK, &fk_ops, err, sizeof(err)),
	       -EPROTONOSUPPORT, "netlink alone: -EPROTONOSUPPORT");
	ok(strstr(err, "nfnetlink") != NULL, "saying why: %s", err);
	fk_reset();
}

int main(void)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (unsigned char)(i * 7 + 1);
	test_open_and_config();
	test_receive_and_verdict();
	test_packets_during_config();
	test_overrun_and_cut();
	test_auto();
	return tap_done();
}
