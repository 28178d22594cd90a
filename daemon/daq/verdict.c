// SPDX-License-Identifier: GPL-2.0-only
/*
 * A DAQ verdict, as Snort means it, into what goes back to the kernel.
 * PASS is left to the burst's one batch verdict (NF_ACCEPT); every other
 * verdict is a single one, queued in a TX frame of the same flush:
 *   BLOCK      NF_DROP
 *   REPLACE    NF_ACCEPT with the packet as the callback left it, the same
 *              length (it was changed in place; checksums are the user's)
 *   WHITELIST  NF_ACCEPT and whitelist_mark set in the connection mark
 *   IGNORE     the same: this module is the flow's only application
 *   BLACKLIST  NF_DROP and blacklist_mark set in the connection mark
 *   RETRY      NF_REPEAT: the hook runs again and queues the packet again
 * In passive mode every packet is accepted unchanged (the batch).
 */
#include "daq_nfqring.h"

static void single(struct nfqring_verdict *v, const struct nfqring_packet *pkt, uint32_t verdict)
{
	*v = (struct nfqring_verdict){ .queue = pkt->queue, .id = pkt->id, .verdict = verdict };
}

static void connmark(struct nfqring_verdict *v, uint32_t bits)
{
	if (!bits)
		return;
	v->flags |= NFQRING_V_CONNMARK;
	v->connmark = bits;
	v->connmark_mask = bits;	/* only these bits: the rest stays */
}

enum daqnfq_action daqnfq_map_verdict(const struct daqnfq_cfg *cfg, DAQ_Verdict verdict,
				      const struct nfqring_packet *pkt,
				      struct nfqring_verdict *v)
{
	if (cfg->passive)
		return DAQNFQ_BATCH;
	switch (verdict) {
	case DAQ_VERDICT_PASS:
		return DAQNFQ_BATCH;
	case DAQ_VERDICT_REPLACE:
		/* the kernel would cut the packet to a partial copy: refuse */
		if ((pkt->present & NFQRING_PKT_CAP_LEN) && pkt->cap_len > pkt->payload_len)
			return DAQNFQ_REPLACE_REFUSED;
		single(v, pkt, NF_ACCEPT);
		v->flags = NFQRING_V_PAYLOAD;
		v->payload = pkt->payload;
		v->payload_len = pkt->payload_len;
		return DAQNFQ_SINGLE;
	case DAQ_VERDICT_WHITELIST:
	case DAQ_VERDICT_IGNORE:
		if (!cfg->whitelist_mark)
			return DAQNFQ_BATCH;
		single(v, pkt, NF_ACCEPT);
		connmark(v, cfg->whitelist_mark);
		return DAQNFQ_SINGLE;
	case DAQ_VERDICT_BLACKLIST:
		single(v, pkt, NF_DROP);
		connmark(v, cfg->blacklist_mark);
		return DAQNFQ_SINGLE;
	case DAQ_VERDICT_RETRY:
		single(v, pkt, NF_REPEAT);
		return DAQNFQ_SINGLE;
	case DAQ_VERDICT_BLOCK:
	default:
		single(v, pkt, NF_DROP);
		return DAQNFQ_SINGLE;
	}
}
