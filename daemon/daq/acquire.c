// SPDX-License-Identifier: GPL-2.0-only
/*
 * The acquire loop.  Packets come in bursts: whatever the ring holds (at
 * most `burst`, or what is left of cnt).  Each goes to the callback in ring
 * order; its verdict is either left to the burst's batch (PASS) or queued
 * as a single verdict in a TX frame.  At the end of the burst one
 * VERDICT_BATCH accepts everything still without a verdict and one flush
 * sends the lot.  Nothing here allocates or locks.
 */
#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "daq_nfqring.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void fill_hdr(const struct daqnfq *d, const struct nfqring_packet *pkt,
		     DAQ_PktHdr_t *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	if (pkt->present & NFQRING_PKT_TIMESTAMP) {
		hdr->ts.tv_sec = (time_t)pkt->ts_sec;
		hdr->ts.tv_usec = (suseconds_t)pkt->ts_usec;
	} else {
		gettimeofday(&hdr->ts, NULL);
	}
	hdr->pktlen = (pkt->present & NFQRING_PKT_CAP_LEN) ? pkt->cap_len : pkt->payload_len;
	hdr->caplen = pkt->payload_len < d->cfg.snaplen ? pkt->payload_len : d->cfg.snaplen;
	hdr->ingress_index = (pkt->present & NFQRING_PKT_INDEV) ? (int32_t)pkt->indev
								  : DAQ_PKTHDR_UNKNOWN;
	hdr->egress_index = (pkt->present & NFQRING_PKT_OUTDEV) ? (int32_t)pkt->outdev
								 : DAQ_PKTHDR_UNKNOWN;
	hdr->ingress_group = DAQ_PKTHDR_UNKNOWN;
	hdr->egress_group = DAQ_PKTHDR_UNKNOWN;
	if (d->cfg.passive)
		hdr->flags = DAQ_PKT_FLAG_NOT_FORWARDING;
}

/* One packet: the filter, the callback, its verdict queued (or left to the batch). */
static void judge(struct daqnfq *d, const struct nfqring_packet *pkt,
		  DAQ_Analysis_Func_t callback, void *user)
{
	struct nfqring_verdict v;
	DAQ_PktHdr_t hdr;
	DAQ_Verdict verdict;

	fill_hdr(d, pkt, &hdr);
	if (d->have_filter &&
	    sfbpf_filter(d->fcode.bf_insns, (uint8_t *)pkt->payload, hdr.pktlen, hdr.caplen) == 0) {
		d->stats.packets_filtered++;
		return;		/* passes with the batch */
	}
	/* the callback may change the packet in place (REPLACE): the frame is ours */
	verdict = callback(user, &hdr, pkt->payload);
	if ((unsigned int)verdict >= MAX_DAQ_VERDICT)
		verdict = DAQ_VERDICT_BLOCK;
	d->stats.verdicts[verdict]++;
	d->stats.packets_received++;

	switch (daqnfq_map_verdict(&d->cfg, verdict, pkt, &v)) {
	case DAQNFQ_BATCH:
		break;
	case DAQNFQ_REPLACE_REFUSED:
		d->ring.replace_refused++;
		break;
	case DAQNFQ_SINGLE:
		d->ring.singles++;
		/* a failure leaves the packet to the batch; the kernel's
		 * refusals are the library's tx_errors, the rest counted here */
		if (nfqring_verdict(d->h, &v) < 0) {
			struct nfqring_tx_error e;

			nfqring_last_tx_error(d->h, &e);
			if (!e.error || e.id != v.id)
				d->ring.verdicts_refused++;
		}
		break;
	}
}

/*
 * The verdicts of a burst: its batch (`verdict` for every packet handed out
 * that has none) and one flush.  A verdict the kernel refuses (the packet
 * is gone) is counted, not fatal.
 */
static int end_burst(struct daqnfq *d, struct nfqring_packet *last, uint32_t verdict)
{
	struct nfqring_tx_error e;
	int r;

	/* the last packet's frame would otherwise stay taken past the flush */
	nfqring_release(d->h, last);
	r = nfqring_batch_seen(d->h, verdict);
	if (r < 0)
		return daqnfq_err(d, DAQ_ERROR, "daq_nfqring: the batch verdict of queue %u "
				  "failed: %s", d->cfg.queue, nfqring_errmsg(d->h));
	d->ring.batches += (uint64_t)r;
	d->ring.flushes++;
	r = nfqring_flush(d->h);
	if (r >= 0)
		return 0;
	nfqring_last_tx_error(d->h, &e);
	if (e.error == r) {	/* counted by the library (tx_errors) */
		daqnfq_err(d, 0, "daq_nfqring: %s", nfqring_errmsg(d->h));
		return 0;
	}
	return daqnfq_err(d, DAQ_ERROR, "daq_nfqring: sending verdicts on queue %u failed: %s",
			  d->cfg.queue, nfqring_errmsg(d->h));
}

/* Up to limit packets the ring holds now.  Returns how many, or DAQ_ERROR. */
static int burst(struct daqnfq *d, uint32_t limit, DAQ_Analysis_Func_t callback, void *user)
{
	struct nfqring_packet pkt;
	uint32_t n = 0;
	int r = 0;

	while (n < limit && !atomic_load_explicit(&d->breakloop, memory_order_relaxed)) {
		r = nfqring_next(d->h, &pkt);
		if (r == 0)
			break;
		if (r == -EBADMSG)
			continue;	/* counted by the library and skipped */
		if (r < 0)
			break;
		n++;
		judge(d, &pkt, callback, user);
	}
	if (n) {
		d->ring.bursts++;
		if (end_burst(d, &pkt, NF_ACCEPT) < 0)
			return DAQ_ERROR;
	}
	if (r < 0 && r != -EBADMSG)
		return daqnfq_err(d, DAQ_ERROR, "daq_nfqring: receiving from queue %u: %s",
				  d->cfg.queue, nfqring_errmsg(d->h));
	return (int)n;
}

int daqnfq_acquire(void *handle, int cnt, DAQ_Analysis_Func_t callback,
		   DAQ_Meta_Func_t metaback, void *user)
{
	struct daqnfq *d = handle;
	uint64_t idle_since = now_ms();
	int got = 0;

	(void)metaback;
	atomic_store(&d->breakloop, false);
	for (;;) {
		uint32_t limit = d->cfg.burst;
		int slice = DAQNFQ_WAIT_SLICE_MS, r, n;

		if (atomic_load(&d->breakloop) || (cnt > 0 && got >= cnt))
			break;
		if (d->cfg.timeout_ms) {
			uint64_t idle = now_ms() - idle_since;

			if (idle >= d->cfg.timeout_ms)
				break;
			if (d->cfg.timeout_ms - idle < (uint64_t)slice)
				slice = (int)(d->cfg.timeout_ms - idle);
		}
		r = nfqring_wait(d->h, slice);
		if (r == -EINTR || r == 0)
			continue;	/* a signal's handler calls breakloop if it wants */
		if (r < 0)
			return daqnfq_err(d, DAQ_ERROR, "daq_nfqring: waiting on queue %u: %s",
					  d->cfg.queue, nfqring_errmsg(d->h));
		if (cnt > 0 && (uint32_t)(cnt - got) < limit)
			limit = (uint32_t)(cnt - got);
		n = burst(d, limit, callback, user);
		if (n < 0)
			return n;
		if (n) {
			got += n;
			idle_since = now_ms();
		}
	}
	return DAQ_SUCCESS;
}

int daqnfq_drain_drop(struct daqnfq *d)
{
	struct nfqring_packet pkt;
	/* the kernel refills what we release: take at most a ring's worth twice */
	uint32_t max = 2 * d->cfg.frames + 2, n = 0, all = 0;
	int r;

	while (all < max && (r = nfqring_next(d->h, &pkt)) != 0) {
		if (r == -EBADMSG)
			continue;
		if (r < 0)
			break;
		n++;
		all++;
		if (n == d->cfg.burst) {
			if (end_burst(d, &pkt, NF_DROP) < 0)
				return DAQ_ERROR;
			n = 0;
		}
	}
	if (n && end_burst(d, &pkt, NF_DROP) < 0)
		return DAQ_ERROR;
	d->ring.stop_dropped += all;
	return DAQ_SUCCESS;
}
