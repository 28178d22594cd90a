// SPDX-License-Identifier: GPL-2.0-only
/*
 * get_stats / reset_stats.  DAQ_Stats_t gets what it has room for:
 * hw_packets_received (handed out by the ring), hw_packets_dropped (packets
 * the ring could not take, when they were dropped rather than failed open),
 * packets_received and verdicts[] (the callback's), packets_filtered (BPF),
 * packets_injected.  The rest - COPY fallbacks, overruns, fail-open,
 * batches, flushes - is in struct daq_nfqring_ring_stats, read with
 * daq_nfqring_get_ring_stats().
 */
#include <string.h>

#include "daq_nfqring.h"

/* The kernel's endpoint figures; zeros where it has none to give. */
static void kernel_figures(struct daqnfq *d, struct nfqring_stats *k)
{
	if (nfqring_kernel_stats(d->h, k) < 0)
		memset(k, 0, sizeof(*k));
}

static void ring_figures(struct daqnfq *d, struct daq_nfqring_ring_stats *s)
{
	struct nfqring_lib_stats lib;
	struct nfqring_stats k;

	nfqring_lib_stats(d->h, &lib);
	kernel_figures(d, &k);
	*s = d->ring;
	s->packets = lib.packets - d->lib_base.packets;
	s->copies = lib.copies - d->lib_base.copies;
	s->bad_msgs = lib.bad_msgs - d->lib_base.bad_msgs;
	s->overruns = k.rx_overruns - d->kern_base.rx_overruns;
	s->backlog_drops = k.backlog_drops - d->kern_base.backlog_drops;
	s->fail_open = d->cfg.fail_open ? s->overruns + s->backlog_drops : 0;
	s->verdicts_refused = d->ring.verdicts_refused + lib.tx_errors - d->lib_base.tx_errors;
}

int daqnfq_get_stats(void *handle, DAQ_Stats_t *stats)
{
	struct daqnfq *d = handle;
	struct daq_nfqring_ring_stats s;

	ring_figures(d, &s);
	*stats = d->stats;
	stats->hw_packets_received = s.packets;
	stats->hw_packets_dropped = d->cfg.fail_open ? 0 : s.overruns + s.backlog_drops;
	return DAQ_SUCCESS;
}

void daqnfq_reset_stats(void *handle)
{
	struct daqnfq *d = handle;

	memset(&d->stats, 0, sizeof(d->stats));
	memset(&d->ring, 0, sizeof(d->ring));
	nfqring_lib_stats(d->h, &d->lib_base);
	kernel_figures(d, &d->kern_base);
}

__attribute__((visibility("default")))
int daq_nfqring_get_ring_stats(void *handle, struct daq_nfqring_ring_stats *s)
{
	if (!handle || !s)
		return DAQ_ERROR_INVAL;
	ring_figures(handle, s);
	return DAQ_SUCCESS;
}
