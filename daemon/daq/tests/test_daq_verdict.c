// SPDX-License-Identifier: GPL-2.0-only
/* Every DAQ verdict into what goes back to the kernel, inline and passive. */
#include "daq_nfqring.h"
#include "daq_test.h"
#include "tap.h"

static struct daqnfq_cfg inline_cfg(void)
{
	struct dt_config t;
	struct daqnfq_cfg cfg;
	char err[DAQ_ERRBUF_SIZE];

	dt_init(&t, 0);
	daqnfq_parse_config(&t.c, &cfg, err, sizeof(err));
	return cfg;
}

static const uint8_t bytes[64];

static struct nfqring_packet packet(void)
{
	return (struct nfqring_packet){ .id = 77, .queue = 5, .payload = bytes,
					.payload_len = sizeof(bytes), .cap_len = sizeof(bytes) };
}

int main(void)
{
	struct daqnfq_cfg cfg = inline_cfg();
	struct nfqring_packet pkt = packet();
	struct nfqring_verdict v;

	is_int(daqnfq_map_verdict(&cfg, DAQ_VERDICT_PASS, &pkt, &v), DAQNFQ_BATCH,
	       "PASS: left to the burst's batch");
	is_int(daqnfq_map_verdict(&cfg, DAQ_VERDICT_BLOCK, &pkt, &v), DAQNFQ_SINGLE, "BLOCK: single");
	ok(v.verdict == NF_DROP && v.id == 77 && v.queue == 5 && !v.flags, "BLOCK: NF_DROP, no extras");

	is_int(daqnfq_map_verdict(&cfg, DAQ_VERDICT_REPLACE, &pkt, &v), DAQNFQ_SINGLE, "REPLACE: single");
	ok(v.verdict == NF_ACCEPT && v.flags == NFQRING_V_PAYLOAD && v.payload == bytes &&
	   v.payload_len == sizeof(bytes), "REPLACE: NF_ACCEPT with the packet's own bytes, same length");

	is_int(daqnfq_map_verdict(&cfg, DAQ_VERDICT_WHITELIST, &pkt, &v), DAQNFQ_SINGLE, "WHITELIST");
	ok(v.verdict == NF_ACCEPT && v.flags == NFQRING_V_CONNMARK && v.connmark == 0x10000000 &&
	   v.connmark_mask == 0x10000000, "WHITELIST: accept, connmark bit set under its mask");
	is_int(daqnfq_map_verdict(&cfg, DAQ_VERDICT_IGNORE, &pkt, &v), DAQNFQ_SINGLE, "IGNORE");
	ok(v.verdict == NF_ACCEPT && v.connmark == 0x10000000, "IGNORE: as WHITELIST");
	is_int(daqnfq_map_verdict(&cfg, DAQ_VERDICT_BLACKLIST, &pkt, &v), DAQNFQ_SINGLE, "BLACKLIST");
	ok(v.verdict == NF_DROP && v.flags == NFQRING_V_CONNMARK && v.connmark == 0x20000000 &&
	   v.connmark_mask == 0x20000000, "BLACKLIST: drop, its own connmark bit");
	is_int(daqnfq_map_verdict(&cfg, DAQ_VERDICT_RETRY, &pkt, &v), DAQNFQ_SINGLE, "RETRY");
	ok(v.verdict == NF_REPEAT && !v.flags, "RETRY: NF_REPEAT");
	is_int(daqnfq_map_verdict(&cfg, MAX_DAQ_VERDICT, &pkt, &v), DAQNFQ_SINGLE, "unknown verdict");
	ok(v.verdict == NF_DROP, "unknown verdict: dropped");

	/* a copy shorter than the packet cannot go back: the kernel would cut it */
	pkt.present = NFQRING_PKT_CAP_LEN;
	pkt.cap_len = 1500;
	is_int(daqnfq_map_verdict(&cfg, DAQ_VERDICT_REPLACE, &pkt, &v), DAQNFQ_REPLACE_REFUSED,
	       "REPLACE of a truncated copy: refused, passes unchanged");
	pkt.cap_len = sizeof(bytes);
	is_int(daqnfq_map_verdict(&cfg, DAQ_VERDICT_REPLACE, &pkt, &v), DAQNFQ_SINGLE,
	       "REPLACE with cap_len equal to the copy: single");

	cfg.whitelist_mark = 0;
	cfg.blacklist_mark = 0;
	is_int(daqnfq_map_verdict(&cfg, DAQ_VERDICT_WHITELIST, &pkt, &v), DAQNFQ_BATCH,
	       "whitelist_mark=0: WHITELIST is a plain pass");
	is_int(daqnfq_map_verdict(&cfg, DAQ_VERDICT_BLACKLIST, &pkt, &v), DAQNFQ_SINGLE,
	       "blacklist_mark=0: BLACKLIST ...");
	ok(v.verdict == NF_DROP && !v.flags, "... is a plain drop");

	cfg = inline_cfg();
	cfg.passive = true;
	int batch = 0;

	for (int i = 0; i <= MAX_DAQ_VERDICT; i++)
		batch += daqnfq_map_verdict(&cfg, (DAQ_Verdict)i, &pkt, &v) == DAQNFQ_BATCH;
	is_int(batch, MAX_DAQ_VERDICT + 1, "passive: every verdict is the batch's accept");
	return tap_done();
}
