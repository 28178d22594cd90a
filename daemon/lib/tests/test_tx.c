/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verdicts and configuration against the fake kernel: TX frames and one
 * flush per batch, batches up to the last id seen, failures, a full TX
 * ring, the write() fallback. */
#include <errno.h>

#include "fake_kernel.h"
#include "tap.h"

static struct nfqring_ring_params small_tx(void)
{
	return (struct nfqring_ring_params){ .rx_frame_size = 2048, .rx_frame_nr = 16,
					     .tx_frame_size = 256, .tx_frame_nr = 16,
					     .tx_block_size = 4096 };
}

static void feed(uint16_t queue, uint32_t from, uint32_t to)
{
	for (uint32_t id = from; id <= to; id++) {
		struct fk_pkt fp = { .queue = queue, .id = id, .payload = "abcd", .payload_len = 4 };

		fk_queue_packet(&fp);
	}
}

/* the message with its sequence number zeroed, as the kernel ignores it */
static int same_bytes(const struct fk_rec *r, const unsigned char *want, size_t len)
{
	unsigned char got[128];

	if (r->raw_len != len)
		return 0;
	memcpy(got, r->raw, len);
	memset(got + 8, 0, 4);
	return !memcmp(got, want, len);
}

static void test_verdict_bytes(void)
{
	static const unsigned char want[] = {
		40, 0, 0, 0,  0x01, 0x03,  0x01, 0x00,  0, 0, 0, 0,  0, 0, 0, 0,	/* nlmsghdr */
		0, 0, 0, 3,						/* nfgenmsg queue 3 */
		12, 0, 2, 0,  0, 0, 0, 1,  0, 0, 0, 7,			/* NF_ACCEPT, id 7 */
		8, 0, 3, 0,  0, 0, 0, 0x10,				/* mark 0x10 */
	};
	struct nfqring_ring_params p = small_tx();
	struct nfqring_verdict v = { .queue = 3, .id = 7, .verdict = NF_ACCEPT,
				     .flags = NFQRING_V_MARK, .mark = 0x10 };
	struct nfqring *h;

	fk_reset();
	h = fk_open(&p);
	is_int(nfqring_verdict(h, &v), 0, "verdict queued");
	is_int(fk.nrecs, 0, "not sent before the flush");
	is_int(fk_tx_frame(0)->nm_status, NFQRING_STATUS_VALID, "TX frame 0 VALID");
	is_int(nfqring_flush(h), 1, "flush: 1 sent");
	is_int(fk.flushes, 1, "one TX_FLUSH ioctl");
	ok(fk.nrecs == 1 && fk.recs[0].via_ring && same_bytes(&fk.recs[0], want, sizeof(want)),
	   "VERDICT message byte for byte");
	fk.ioctls = 0;
	is_int(nfqring_flush(h), 0, "nothing queued: 0");
	is_int(fk.ioctls, 0, "and no system call");

	v = (struct nfqring_verdict){ .queue = 3, .id = 8, .verdict = NF_DROP,
				      .flags = NFQRING_V_CONNMARK, .connmark = 0xbeef };
	nfqring_verdict(h, &v);
	v = (struct nfqring_verdict){ .queue = 3, .id = 9, .verdict = NF_ACCEPT,
				      .flags = NFQRING_V_PAYLOAD, .payload = "0123456789", .payload_len = 10 };
	nfqring_verdict(h, &v);
	nfqring_flush(h);
	ok(fk.nrecs == 3 && fk.recs[1].id == 8 && fk.recs[1].verdict == NF_DROP &&
	   fk.recs[1].has_connmark && fk.recs[1].connmark == 0xbeef && !fk.recs[1].has_mark &&
	   !fk.recs[1].has_connmark_mask,
	   "connmark verdict: NFQA_CT/CTA_MARK, no mask");
	ok(fk.recs[2].id == 9 && fk.recs[2].has_payload && fk.recs[2].payload_len == 10,
	   "payload verdict: NFQA_PAYLOAD of 10 bytes");
	ok(!memcmp(fk.recs[2].raw + 20 + 12 + 4, "0123456789", 10), "payload bytes after the header");
	/* masked: only the masked bits travel, with CTA_MARK_MASK */
	v = (struct nfqring_verdict){ .queue = 3, .id = 10, .verdict = NF_ACCEPT,
				      .flags = NFQRING_V_CONNMARK, .connmark = 0x1234,
				      .connmark_mask = 0xff };
	nfqring_verdict(h, &v);
	nfqring_flush(h);
	ok(fk.nrecs == 4 && fk.recs[3].has_connmark && fk.recs[3].connmark == 0x34 &&
	   fk.recs[3].has_connmark_mask && fk.recs[3].connmark_mask == 0xff,
	   "masked connmark: CTA_MARK 0x34 within CTA_MARK_MASK 0xff");
	v.flags = 0x80;
	is_int(nfqring_verdict(h, &v), -EINVAL, "unknown flag: -EINVAL");
	v.flags = NFQRING_V_PAYLOAD;
	v.payload_len = 70000;
	is_int(nfqring_verdict(h, &v), -EMSGSIZE, "payload too long: -EMSGSIZE");
	v = (struct nfqring_verdict){ .queue = 1, .id = 1, .flags = NFQRING_V_CONNMARK };
	is_int(nfqring_verdict_batch(h, &v), -EINVAL, "batch with connmark: -EINVAL");
	nfqring_close(h);
}

static void test_batch_seen(void)
{
	static const unsigned char want[] = {
		32, 0, 0, 0,  0x03, 0x03,  0x01, 0x00,  0, 0, 0, 0,  0, 0, 0, 0,
		0, 0, 0, 0,
		12, 0, 2, 0,  0, 0, 0, 1,  0, 0, 0, 3,			/* accept up to 3 */
	};
	struct nfqring_ring_params p = small_tx();
	struct nfqring_packet pkt;
	struct nfqring *h;
	int n = 0;

	fk_reset();
	h = fk_open(&p);
	nfqring_bind(h, 0);
	nfqring_bind(h, 1);
	nfqring_bind(h, 2);
	fk.nrecs = 0;
	feed(0, 1, 3);
	feed(1, 10, 12);
	feed(0, 4, 5);
	/* the caller stops after five packets: ids 4 and 5 of queue 0 unseen */
	while (n < 4 && nfqring_next(h, &pkt) == 1)
		n++;	/* bounded by n */
	is_int(nfqring_batch_seen(h, NF_ACCEPT), 2, "two queues handed out packets: 2 batches");
	is_int(nfqring_flush(h), 2, "one flush sends both");
	is_int(fk.flushes, 1, "in one ioctl");
	ok(fk.nrecs == 2 && same_bytes(&fk.recs[0], want, sizeof(want)),
	   "queue 0: VERDICT_BATCH up to id 3 (not 5), byte for byte");
	ok(fk.recs[1].type == NFQNL_MSG_VERDICT_BATCH && fk.recs[1].queue == 1 && fk.recs[1].id == 10,
	   "queue 1: batch up to id 10, the last seen");
	is_int(nfqring_batch_seen(h, NF_ACCEPT), 0, "nothing new: no batch");
	for (n = 0; n < 100 && nfqring_next(h, &pkt) == 1; n++)
		;
	is_int(n, 4, "the four others");
	is_int(nfqring_batch_seen(h, NF_DROP), 2, "the rest: 2 batches");
	nfqring_flush(h);
	ok(fk.nrecs == 4 && fk.recs[2].queue == 0 && fk.recs[2].id == 5 && fk.recs[2].verdict == NF_DROP &&
	   fk.recs[3].queue == 1 && fk.recs[3].id == 12, "up to 5 on queue 0 and 12 on queue 1");

	struct nfqring_verdict v = { .queue = 2, .id = 99, .verdict = NF_ACCEPT,
				     .flags = NFQRING_V_MARK, .mark = 4 };

	nfqring_verdict_batch(h, &v);
	nfqring_flush(h);
	ok(fk.recs[4].type == NFQNL_MSG_VERDICT_BATCH && fk.recs[4].has_mark && fk.recs[4].mark == 4,
	   "explicit batch with a mark");
	nfqring_close(h);
}

static void test_failure(void)
{
	struct nfqring_ring_params p = small_tx();
	struct nfqring_tx_error e;
	struct nfqring_lib_stats st;
	struct nfqring *h;

	fk_reset();
	h = fk_open(&p);
	for (uint32_t id = 1; id <= 6; id++)
		nfqring_verdict_simple(h, 4, id, NF_ACCEPT);
	fk.fail_id = 3;
	fk.fail_err = -ENOENT;
	is_int(nfqring_flush(h), -ENOENT, "flush reports the refused verdict");
	nfqring_last_tx_error(h, &e);
	ok(e.error == -ENOENT && e.id == 3 && e.queue == 4 && e.frame == 2 &&
	   e.msg_type == NFQNL_MSG_VERDICT, "which one: queue 4 id 3 frame 2");
	ok(strstr(nfqring_errmsg(h), "packet 3 of queue 4") != NULL, "in words: %s", nfqring_errmsg(h));
	is_int(fk.nrecs, 6, "the verdicts after it were sent too");
	is_int(fk.flushes, 2, "with one more ioctl");
	is_int(h->tx_pending, 0, "nothing left pending");
	nfqring_lib_stats(h, &st);
	is_int(st.tx_errors, 1, "one error counted");
	nfqring_verdict_simple(h, 4, 7, NF_ACCEPT);
	is_int(nfqring_flush(h), 1, "the ring goes on");
	is_int(fk.recs[6].frame, 6, "in frame 6");
	nfqring_close(h);
}

static void test_full_ring(void)
{
	struct nfqring_ring_params p = small_tx();
	struct nfqring_lib_stats st;
	struct nfqring *h;
	int bad = 0;

	fk_reset();
	h = fk_open(&p);
	for (uint32_t id = 1; id <= 40; id++)
		if (nfqring_verdict_simple(h, 0, id, NF_ACCEPT))
			bad++;
	is_int(bad, 0, "40 verdicts into 16 frames");
	is_int(fk.flushes, 2, "two flushes forced by the full ring");
	nfqring_flush(h);
	nfqring_lib_stats(h, &st);
	is_int(st.tx_full, 2, "counted as tx_full");
	bad = fk.nrecs != 40;
	for (unsigned int i = 0; i < fk.nrecs; i++)
		bad += fk.recs[i].id != i + 1 || fk.recs[i].frame != i % 16;
	is_int(bad, 0, "all 40 in order, frames wrapping");

	/* a TX frame the kernel never frees: -EBUSY, not a hang */
	fk_reset();
	h->tx.head = 0;
	h->tx_pending = 0;
	fk.tx_req = (struct nl_mmap_req){ 0 };
	for (uint32_t i = 0; i < 16; i++)
		ring_frame(&h->tx, i)->nm_status = NFQRING_STATUS_VALID;
	is_int(nfqring_verdict_simple(h, 0, 1, NF_ACCEPT), -EBUSY, "stuck TX ring: -EBUSY");
	for (uint32_t i = 0; i < 16; i++)
		ring_frame(&h->tx, i)->nm_status = NFQRING_STATUS_UNUSED;
	fk.mem = h->map;
	fk.mem_size = h->map_size;
	nfqring_close(h);
}

static void test_big_verdict_in_order(void)
{
	static unsigned char big[3000];
	struct nfqring_ring_params p = small_tx();
	struct nfqring_verdict v = { .queue = 0, .id = 2, .verdict = NF_ACCEPT,
				     .flags = NFQRING_V_PAYLOAD, .payload = big, .payload_len = sizeof(big) };
	struct nfqring *h;

	fk_reset();
	h = fk_open(&p);
	nfqring_verdict_simple(h, 0, 1, NF_DROP);
	is_int(nfqring_verdict(h, &v), 0, "a 3000-byte payload verdict (frame: 256)");
	ok(fk.flushes == 1 && fk.writes == 1, "sent at once: TX flush (precise errors), then write()");
	nfqring_verdict_simple(h, 0, 3, NF_DROP);
	nfqring_flush(h);
	ok(fk.nrecs == 3 && fk.recs[0].id == 1 && fk.recs[1].id == 2 && fk.recs[2].id == 3,
	   "verdicts arrive in the order issued");
	ok(!fk.recs[1].via_ring && fk.recs[1].payload_len == 3000, "the big one through write()");
	is_int(fk.writes, 1, "one write()");
	nfqring_close(h);
}

static void test_write_fallback(void)
{
	struct nfqring_ring_params p = { .flags = NFQRING_NO_TX_RING, .rx_frame_nr = 8 };
	struct nfqring_tx_error e;
	struct nfqring *h;

	fk_reset();
	h = fk_open(&p);
	for (uint32_t id = 1; id <= 5; id++)
		nfqring_verdict_simple(h, 6, id, NF_ACCEPT);
	is_int(fk.writes, 0, "queued, not written");
	is_int(nfqring_flush(h), 5, "flush: 5 sent");
	is_int(fk.writes, 1, "in one write()");
	ok(fk.nrecs == 5 && !fk.recs[4].via_ring && fk.recs[4].id == 5, "all five, in order");

	for (uint32_t id = 6; id <= 10; id++)
		nfqring_verdict_simple(h, 6, id, NF_ACCEPT);
	fk.fail_id = 8;
	fk.fail_err = -ENOENT;
	fk.writes = 0;
	is_int(nfqring_flush(h), -ENOENT, "a refused verdict in the middle");
	nfqring_last_tx_error(h, &e);
	ok(e.id == 8 && e.queue == 6 && e.frame == UINT32_MAX, "identified from the short count");
	is_int(fk.writes, 3, "write, write it alone for its error, write the rest");
	ok(fk.nrecs == 5 + 3 + 1 + 2 && fk.recs[fk.nrecs - 1].id == 10, "the rest went out");

	fk.fail_id = 11;
	nfqring_verdict_simple(h, 6, 11, NF_ACCEPT);
	nfqring_verdict_simple(h, 6, 12, NF_ACCEPT);
	is_int(nfqring_flush(h), -ENOENT, "first message refused");
	ok(fk.recs[fk.nrecs - 1].id == 12, "the one after it still sent");
	nfqring_close(h);
}

static void test_config(void)
{
	struct nfqring_ring_params p = small_tx();
	struct nfqring *h;

	fk_reset();
	h = fk_open(&p);
	is_int(nfqring_bind(h, 7), 0, "bind");
	is_int(nfqring_set_mode(h, 7, NFQNL_COPY_PACKET, 1500), 0, "set mode");
	is_int(nfqring_set_maxlen(h, 7, 4096), 0, "set maxlen");
	is_int(nfqring_set_flags(h, 7, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN), 0, "set flags");
	is_int(nfqring_unbind(h, 7), 0, "unbind");
	ok(fk.nrecs == 5 && fk.writes == 5, "five CONFIG messages, one write() each");
	ok(fk.recs[0].type == NFQNL_MSG_CONFIG && fk.recs[0].queue == 7 &&
	   fk.recs[0].cfg_cmd == NFQNL_CFG_CMD_BIND, "BIND queue 7");
	ok(fk.recs[1].has_params && fk.recs[1].mode == NFQNL_COPY_PACKET && fk.recs[1].range == 1500 &&
	   fk.recs[1].raw_len == 32, "PARAMS: COPY_PACKET 1500, 32 bytes");
	ok(fk.recs[2].has_maxlen && fk.recs[2].maxlen == 4096, "QUEUE_MAXLEN 4096");
	ok(fk.recs[3].has_flags && fk.recs[3].flags == NFQA_CFG_F_GSO &&
	   fk.recs[3].mask == (NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN), "FLAGS + MASK");
	ok(fk.recs[4].cfg_cmd == NFQNL_CFG_CMD_UNBIND, "UNBIND");

	fk.config_err = -EBUSY;
	is_int(nfqring_bind(h, 8), -EBUSY, "bind refused: -EBUSY");
	ok(strstr(nfqring_errmsg(h), "queue 8") != NULL, "message: %s", nfqring_errmsg(h));
	fk.config_err = -EPERM;
	is_int(nfqring_bind(h, 8), -EPERM, "bind another endpoint owns: -EPERM");
	ok(strstr(nfqring_errmsg(h), "bound by another process") != NULL &&
	   strstr(nfqring_errmsg(h), "CAP_NET_ADMIN") == NULL,
	   "the device checked the capability at open: %s", nfqring_errmsg(h));
	fk.config_err = -EBUSY;
	uint32_t id;

	feed(8, 1, 1);
	fk.config_err = 0;
	ok(!nfqring_last_id(h, 8, &id), "a failed bind leaves no queue behind");
	is_int(nfqring_set_mode(h, 7, 9, 0), -EINVAL, "bad copy mode: -EINVAL");

	/* verdicts queued before a config message go first */
	fk.nrecs = 0;
	nfqring_verdict_simple(h, 7, 1, NF_ACCEPT);
	fk.flushes = 0;
	nfqring_bind(h, 9);
	is_int(fk.flushes, 1, "CONFIG after a TX flush of its own");
	ok(fk.nrecs == 2 && fk.recs[0].type == NFQNL_MSG_VERDICT && fk.recs[1].type == NFQNL_MSG_CONFIG,
	   "pending verdict flushed before the CONFIG");
	nfqring_close(h);
}

/* Found against the real kernel: a batch that finds no packet (all had
 * single verdicts) fails with ENOENT, so batch_seen must not send it. */
static void test_batch_after_singles(void)
{
	struct nfqring_ring_params p = small_tx();
	struct nfqring_packet pkt;
	struct nfqring_lib_stats st;
	struct nfqring *h;

	fk_reset();
	fk.track_ids = true;
	h = fk_open(&p);
	nfqring_bind(h, 1);
	feed(1, 1, 6);
	while (nfqring_next(h, &pkt) == 1)
		nfqring_verdict_simple(h, 1, pkt.id, NF_ACCEPT);
	is_int(nfqring_batch_seen(h, NF_ACCEPT), 0, "every packet judged: no batch");
	is_int(nfqring_flush(h), 6, "six verdicts, none refused");
	struct nfqring_verdict empty = { .queue = 1, .id = 6, .verdict = NF_ACCEPT };

	nfqring_verdict_batch(h, &empty);
	is_int(nfqring_flush(h), -ENOENT, "the fake kernel, like the real one, refuses an empty batch");
	feed(1, 7, 10);
	while (nfqring_next(h, &pkt) == 1)
		if (pkt.id == 8)
			nfqring_verdict_simple(h, 1, pkt.id, NF_DROP);
	nfqring_verdict_simple(h, 1, 3, NF_DROP);	/* an old id: does not count */
	is_int(nfqring_batch_seen(h, NF_ACCEPT), 1, "one of four judged: a batch");
	is_int(nfqring_flush(h), -ENOENT, "the old id is refused, the batch finds 7, 9 and 10");
	struct nfqring_tx_error e;

	nfqring_last_tx_error(h, &e);
	ok(e.id == 3 && fk.recs[fk.nrecs - 1].type == NFQNL_MSG_VERDICT_BATCH &&
	   !fk.queued[7] && !fk.queued[9] && !fk.queued[10], "refused: id %u; the batch went through", e.id);
	nfqring_lib_stats(h, &st);
	is_int(st.tx_errors, 2, "two refusals in all (the empty batch, id 3)");
	nfqring_close(h);
}

int main(void)
{
	test_batch_after_singles();
	test_verdict_bytes();
	test_batch_seen();
	test_failure();
	test_full_ring();
	test_big_verdict_in_order();
	test_write_fallback();
	test_config();
	fk_reset();
	return tap_done();
}
