/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Receiving against the fake kernel: ring order across blocks and
 * wrap-around, COPY, SKIP, overruns, read()-only mode, hostile messages. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdlib.h>

#include "fake_kernel.h"
#include "tap.h"

static unsigned char payload[70000];

static struct fk_pkt pkt_n(uint16_t queue, uint32_t id, uint32_t len)
{
	return (struct fk_pkt){ .queue = queue, .id = id, .hw_protocol = 0x0800, .hook = 1,
				.payload = payload + id % 251, .payload_len = len,
				.mark_set = true, .mark = id * 3, .indev = 2 };
}

/* nfqring_next() until it stops handing out, bounded so that a library
 * that hands out the same frame forever fails instead of hanging */
static int drain(struct nfqring *h, struct nfqring_packet *pkt)
{
	int n = 0;

	while (n < 1000 && nfqring_next(h, pkt) == 1)
		n++;
	return n;
}

static unsigned int frame_st(uint32_t i)
{
	return fk_rx_frame(i)->nm_status;
}

/* Frames of 3000 bytes, 5 per 16 KiB block, 15 in all; 50 packets in bursts
 * of 7 go round the ring more than three times. */
static void test_order_and_wrap(void)
{
	struct nfqring_ring_params p = { .rx_frame_size = 3000, .rx_frame_nr = 15 };
	struct nfqring_packet pkt;
	struct nfqring *h;
	uint32_t want = 1, bad = 0;

	fk_reset();
	h = fk_open(&p);
	nfqring_bind(h, 5);
	for (int burst = 0; burst < 8; burst++) {
		for (int k = 0; k < 7 && want + k <= 50; k++) {
			struct fk_pkt fp = pkt_n(5, want + (uint32_t)k, 1000 + (uint32_t)k);

			if (fk_queue_packet(&fp))
				bad++;
		}
		for (int guard = 0; guard < 100 && nfqring_next(h, &pkt) == 1; guard++) {
			if (pkt.id != want || pkt.queue != 5 || pkt.payload_len != 1000 + (want - 1) % 7 ||
			    memcmp(pkt.payload, payload + want % 251, pkt.payload_len) ||
			    pkt.mark != want * 3 || !(pkt.present & NFQRING_PKT_MARK) ||
			    pkt.indev != 2 || pkt.hook != 1 || pkt.hw_protocol != 0x0800 ||
			    pkt.cap_len != pkt.payload_len)
				bad++;
			want++;
		}
	}
	is_int(want, 51, "50 packets handed out in id order across blocks and wraps");
	is_int(bad, 0, "each with its payload and metadata, no overrun");
	is_int(frame_st((50 - 1) % 15), NFQRING_STATUS_UNUSED, "the call that found nothing released the last");
	struct fk_pkt more = pkt_n(5, 51, 10);

	fk_queue_packet(&more);
	is_int(nfqring_next(h, &pkt), 1, "one more");
	is_int(frame_st(50 % 15), NFQRING_STATUS_VALID, "held while the caller looks at it");
	is_int(nfqring_next(h, &pkt), 0, "empty ring: 0");
	is_int(frame_st(50 % 15), NFQRING_STATUS_UNUSED, "released by the next call");
	uint32_t id = 0;

	ok(nfqring_last_id(h, 5, &id) && id == 51, "last id seen on queue 5 is 51");
	ok(!nfqring_last_id(h, 6, &id), "nothing seen on unbound queue 6");
	nfqring_close(h);
}

static void test_copy(void)
{
	struct nfqring_ring_params p = { .rx_frame_size = 2048, .rx_frame_nr = 8 };
	struct nfqring_lib_stats st;
	struct nfqring_packet pkt;
	struct nfqring *h;
	struct fk_pkt a = pkt_n(0, 1, 100), b = pkt_n(0, 2, 65000), c = pkt_n(0, 3, 200);

	fk_reset();
	h = fk_open(&p);
	fk_queue_packet(&a);
	fk_queue_packet(&b);
	fk_queue_packet(&c);
	is_int(frame_st(1), NFQRING_STATUS_COPY, "a 65000-byte packet is a COPY frame");
	is_int(nfqring_next(h, &pkt), 1, "first packet");
	is_int(pkt.id, 1, "id 1 from the ring");
	is_int(nfqring_next(h, &pkt), 1, "COPY packet");
	ok(pkt.id == 2 && pkt.payload_len == 65000 && !memcmp(pkt.payload, payload + 2, 65000),
	   "COPY packet read() whole, id 2");
	is_int(frame_st(1), NFQRING_STATUS_UNUSED, "COPY frame released at once");
	is_int(nfqring_keep(h, &pkt), -EINVAL, "a copied packet cannot be kept");
	is_int(nfqring_next(h, &pkt), 1, "then the ring again");
	is_int(pkt.id, 3, "id 3");

	/* COPY frame published before its message reached the backlog */
	struct nl_mmap_hdr *hdr = fk_rx_frame(fk.rx_head);
	struct fk_pkt d = pkt_n(0, 4, 3000);
	static unsigned char buf[1 << 17];
	size_t len = fk_build_packet(buf, sizeof(buf), &d);

	hdr->nm_len = (unsigned int)len;
	__atomic_store_n(&hdr->nm_status, NFQRING_STATUS_COPY, __ATOMIC_RELEASE);
	fk.rx_head++;
	is_int(nfqring_next(h, &pkt), 0, "COPY without its message yet: 0");
	is_int(hdr->nm_status, NFQRING_STATUS_COPY, "and the frame stays");
	fk.backlog_len[fk.bl_tail % FK_MAX_BACKLOG] = len;
	fk.backlog[fk.bl_tail++ % FK_MAX_BACKLOG] = memcpy(malloc(len), buf, len);
	fk.overrun = true;	/* an overrun waits too: read() fails once first */
	is_int(nfqring_next(h, &pkt), 1, "message arrived: handed out");
	ok(pkt.id == 4 && pkt.payload_len == 3000, "id 4, 3000 bytes");
	nfqring_lib_stats(h, &st);
	is_int(st.copies, 2, "2 copies counted");
	is_int(st.overruns, 1, "ENOBUFS on the COPY read() counted");
	nfqring_close(h);

	/* a message bigger than the read buffer stays queued, frame kept */
	fk_reset();
	p = (struct nfqring_ring_params){ .rx_frame_size = 2048, .rx_frame_nr = 8, .copy_buf_size = 4096 };
	h = fk_open(&p);
	fk_queue_packet(&b);
	is_int(nfqring_next(h, &pkt), -EMSGSIZE, "COPY bigger than the buffer: -EMSGSIZE");
	ok(frame_st(0) == NFQRING_STATUS_COPY && fk.bl_head != fk.bl_tail, "nothing lost");
	ok(strstr(nfqring_errmsg(h), "copy_buf_size") != NULL, "message names the fix");
	nfqring_close(h);
}

static void test_skip(void)
{
	struct nfqring_ring_params p = { .rx_frame_size = 4096, .rx_frame_nr = 4, .rx_block_size = 4096 };
	struct nfqring_packet pkt, kept;
	struct nfqring *h;

	fk_reset();
	h = fk_open(&p);
	for (uint32_t i = 1; i <= 4; i++) {
		struct fk_pkt fp = pkt_n(1, i, 64);

		fk_queue_packet(&fp);
	}
	nfqring_next(h, &kept);
	is_int(nfqring_keep(h, &kept), 0, "keep packet 1");
	is_int(frame_st(0), NFQRING_STATUS_SKIP, "its frame is SKIP");
	is_int(drain(h, &pkt), 3, "the rest handed out");
	is_int(pkt.id, 4, "up to id 4");
	ok(kept.id == 1 && kept.payload_len == 64 && !memcmp(kept.payload, payload + 1, 64),
	   "kept packet still readable");
	is_int(frame_st(0), NFQRING_STATUS_SKIP, "still SKIP after later packets");
	struct fk_pkt fp = pkt_n(1, 5, 64);

	is_int(fk_queue_packet(&fp), -1, "the kernel finds the kept frame busy");
	is_int(nfqring_next(h, &pkt), 0, "the library does not walk past it either");
	nfqring_release(h, &kept);
	is_int(frame_st(0), NFQRING_STATUS_UNUSED, "release frees it");
	nfqring_release(h, &kept);
	fk.overrun = false;
	fp.id = 6;
	fk_queue_packet(&fp);
	is_int(nfqring_next(h, &pkt), 1, "ring moves on");
	is_int(pkt.id, 6, "with the next packet");
	nfqring_release(h, &kept);	/* stale: must not free frame 0 now in use */
	is_int(frame_st(0), NFQRING_STATUS_VALID, "releasing twice does not free a reused frame");
	nfqring_close(h);
}

static void test_overrun_poll(void)
{
	struct nfqring_ring_params p = { .rx_frame_size = 2048, .rx_frame_nr = 8 };
	struct nfqring_lib_stats st;
	struct nfqring_packet pkt;
	struct nfqring *h;
	struct fk_pkt big = pkt_n(0, 1, 5000);

	fk_reset();
	h = fk_open(&p);
	is_int(nfqring_wait(h, 0), 0, "nothing: timeout");
	fk_queue_packet(&big);	/* COPY, message waits in the backlog */
	fk.overrun = true;
	fk.polls = 0;
	is_int(nfqring_wait(h, 0), 1, "COPY head frame: ready");
	is_int(fk.polls, 0, "without a poll() call");
	/* a POLLERR with a COPY message waiting: must not take it */
	struct pollfd pfd = { .fd = FK_FD, .events = POLLIN };

	fk_ops.poll(&pfd, 1, 0);
	ok(pfd.revents & POLLERR, "fake poll says POLLERR");
	is_int(nfqring_handle_revents(h, pfd.revents), 1, "revents: ready");
	ok(!fk.overrun, "overrun cleared by one read()");
	nfqring_lib_stats(h, &st);
	is_int(st.overruns, 1, "and counted");
	ok(fk.bl_head != fk.bl_tail, "the COPY message is still queued");
	/* a stale POLLERR (the overrun already cleared): the read must not take
	 * the COPY message out of order */
	is_int(nfqring_handle_revents(h, POLLERR | POLLIN), 1, "stale POLLERR: ready");
	ok(fk.bl_head != fk.bl_tail, "the COPY message is still queued after it");
	is_int(nfqring_next(h, &pkt), 1, "and handed out in order");
	is_int(pkt.id, 1, "id 1");
	is_int(nfqring_handle_revents(h, POLLNVAL), -EBADF, "POLLNVAL: -EBADF");
	nfqring_close(h);
}

static void test_no_rx_ring(void)
{
	struct nfqring_ring_params p = { .flags = NFQRING_NO_RX_RING };
	struct nfqring_packet pkt;
	struct nfqring *h;
	uint32_t n = 0;

	fk_reset();
	h = fk_open(&p);
	for (uint32_t i = 1; i <= 5; i++) {
		struct fk_pkt fp = pkt_n(2, i, i * 100);

		fk_queue_packet(&fp);
	}
	for (int guard = 0; guard < 100 && nfqring_next(h, &pkt) == 1; guard++)
		if (pkt.id == n + 1 && pkt.payload_len == (n + 1) * 100)
			n++;
	is_int(n, 5, "without an RX ring every packet comes through read()");
	is_int(nfqring_wait(h, 0), 0, "and then nothing");
	nfqring_close(h);
}

static void test_attributes(void)
{
	static const unsigned char ct[] = { 8, 0, CTA_MARK, 0, 0, 0, 0, 9 };
	struct nfqring_ring_params p = { .rx_frame_size = 4096, .rx_frame_nr = 4 };
	struct fk_pkt fp = pkt_n(3, 77, 40);
	struct nfqring_packet pkt;
	struct nfqring *h;

	fp.ct = ct;
	fp.ct_len = sizeof(ct);
	fp.uid = 1000;
	fp.gid = 100;
	fp.cap_len = 1400;
	fp.skb_info = NFQA_SKB_GSO;
	fp.secctx = "system_u:object_r:x";
	fk_reset();
	h = fk_open(&p);
	fk_queue_packet(&fp);
	is_int(nfqring_next(h, &pkt), 1, "packet with every attribute");
	ok(pkt.ct_len == sizeof(ct) && !memcmp(pkt.ct, ct, sizeof(ct)), "ct nest payload");
	ok((pkt.present & NFQRING_PKT_CT_INFO) && pkt.ct_info == 2, "ct_info");
	ok(pkt.uid == 1000 && pkt.gid == 100 && (pkt.present & NFQRING_PKT_UID), "uid/gid");
	ok(pkt.cap_len == 1400 && (pkt.present & NFQRING_PKT_CAP_LEN), "cap_len: truncated");
	is_int(pkt.skb_info, NFQA_SKB_GSO, "skb_info");
	ok(pkt.secctx_len == 19 && !memcmp(pkt.secctx, "system_u:object_r:x", 19), "secctx");
	is_int(pkt.payload_len, 40, "payload length");
	nfqring_close(h);
}

/* Messages that lie about their lengths: never read beyond nm_len/frame. */
static void test_hostile(void)
{
	struct nfqring_ring_params p = { .rx_frame_size = 1024, .rx_frame_nr = 16, .rx_block_size = 4096 };
	static unsigned char buf[1 << 17];
	struct fk_pkt fp = pkt_n(0, 9, 200);
	struct nfqring_lib_stats st;
	struct nfqring_packet pkt;
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nfqring *h;
	size_t len;

	fk_reset();
	h = fk_open(&p);
	len = fk_build_packet(buf, sizeof(buf), &fp);
	fk_put_raw(buf, (uint32_t)len, 1024);		/* nm_len beyond the frame */
	is_int(nfqring_next(h, &pkt), -EBADMSG, "nm_len beyond the frame: -EBADMSG");
	is_int(frame_st(0), NFQRING_STATUS_UNUSED, "and the frame is released");
	fk_put_raw(buf, (uint32_t)len, (uint32_t)len - 8);	/* nlmsg_len > nm_len */
	is_int(nfqring_next(h, &pkt), -EBADMSG, "nlmsg_len beyond nm_len: -EBADMSG");
	nlh->nlmsg_len = (uint32_t)len - 3;		/* payload attr crosses nlmsg_len */
	fk_put_raw(buf, (uint32_t)len, (uint32_t)len);
	is_int(nfqring_next(h, &pkt), -EBADMSG, "attribute beyond nlmsg_len: -EBADMSG");
	nlh->nlmsg_len = (uint32_t)len;
	((struct nlattr *)(buf + MNL_NLMSG_HDRLEN + 4))->nla_len = 6;	/* short PACKET_HDR */
	fk_put_raw(buf, (uint32_t)len, (uint32_t)len);
	is_int(nfqring_next(h, &pkt), -EBADMSG, "short packet header: -EBADMSG");
	len = fk_build_packet(buf, sizeof(buf), &fp);
	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT;
	fk_put_raw(buf, (uint32_t)len, (uint32_t)len);
	is_int(nfqring_next(h, &pkt), -EBADMSG, "not a PACKET message: -EBADMSG");
	fk_put_raw(buf, 8, 8);
	is_int(nfqring_next(h, &pkt), -EBADMSG, "8 bytes: -EBADMSG");
	/* nlmsg_len of 2^31 or more, which libmnl's check (a cast to int)
	 * lets through; after the message, a payload attribute that runs past
	 * the frame, which the parser must never reach */
	len = fk_build_packet(buf, sizeof(buf), &fp);
	{
		struct nlattr *extra = (struct nlattr *)(buf + MNL_ALIGN(len));
		const unsigned char *frame = (const unsigned char *)fk_rx_frame(fk.rx_head);
		int r;

		extra->nla_type = NFQA_PAYLOAD;
		extra->nla_len = 2000;
		nlh->nlmsg_len = (uint32_t)len | 0x80000000u;
		fk_put_raw(buf, (uint32_t)MNL_ALIGN(len) + 4, (uint32_t)MNL_ALIGN(len) + 4);
		r = nfqring_next(h, &pkt);
		is_int(r, -EBADMSG, "nlmsg_len of 2^31 and more: -EBADMSG");
		ok(r < 0 || (pkt.payload >= frame && pkt.payload + pkt.payload_len <= frame + 1024),
		   "  never a payload beyond the frame");
		nlh->nlmsg_len = 0xffffffffu;
		fk_put_raw(buf, (uint32_t)len, (uint32_t)len);
		is_int(nfqring_next(h, &pkt), -EBADMSG, "nlmsg_len 2^32-1: -EBADMSG");
	}
	fk_queue_packet(&fp);
	is_int(nfqring_next(h, &pkt), 1, "a good packet after them");
	is_int(pkt.id, 9, "id 9");
	nfqring_lib_stats(h, &st);
	is_int(st.bad_msgs, 8, "8 bad messages counted");
	nfqring_close(h);
}

/*
 * msg_describe() reads a verdict back from the bytes the kernel echoes in an
 * NLMSG_ERROR: never past the length it is given, whatever nlmsg_len says.
 * Each cut is copied to a heap block of exactly that size, so that the
 * sanitizer build sees any read beyond it.
 */
static void test_describe_bounds(void)
{
	struct nfqring_verdict v = { .queue = 7, .id = 4242, .verdict = NF_DROP,
				     .flags = NFQRING_V_MARK, .mark = 1 };
	unsigned char msg[256];
	size_t len = msg_verdict(msg, sizeof(msg), 1, NFQNL_MSG_VERDICT, &v), cut;
	struct nfqring_tx_error e;
	bool all = true, whole = false;

	for (cut = 0; cut <= len; cut++) {
		for (int lie = 0; lie < 3; lie++) {
			unsigned char *b = malloc(cut ? cut : 1);
			struct nlmsghdr *n = (struct nlmsghdr *)b;

			memcpy(b, msg, cut);
			if (cut >= sizeof(*n))
				n->nlmsg_len = lie == 0 ? (uint32_t)cut : lie == 1 ? (uint32_t)len
					     : 0x80000000u | (uint32_t)cut;
			memset(&e, 0xa5, sizeof(e));
			msg_describe(b, cut, &e);
			if (cut == len && lie == 0)
				whole = e.id == 4242 && e.queue == 7 && e.msg_type == NFQNL_MSG_VERDICT;
			else if (e.id != 0 && e.id != 4242)
				all = false;
			free(b);
		}
	}
	ok(whole, "the whole verdict described: queue 7, id 4242");
	ok(all, "every cut and lying nlmsg_len: no id but the real one (no read past the end)");
}

int main(void)
{
	test_order_and_wrap();
	test_copy();
	test_skip();
	test_overrun_poll();
	test_no_rx_ring();
	test_attributes();
	test_hostile();
	test_describe_bounds();
	fk_reset();
	return tap_done();
}
