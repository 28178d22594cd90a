/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: the rule parser and compiler on arbitrary text; a file
 * that loads is also evaluated against a few packets. */
#include <stdlib.h>
#include <string.h>

#include "nfqr_engine.h"

static const uint8_t pkt_tcp4[] = {
	0x45, 0, 0, 50, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 192, 0, 2, 7,
	0x9c, 0x40, 0, 22, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0,
	'G', 'E', 'T', ' ', '/', 'a', 'd', 'm', 'i', 'n',
};
static const uint8_t pkt_udp6[] = {
	0x60, 0, 0, 0, 0, 12, 17, 64,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0x27, 0x1a, 0x27, 0x1a, 0, 12, 0, 0, 'a', 'b', 'c', 'd',
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nfqr_load_opts opts;
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs;

	if (!opts.own_queues_known) {
		nfqr_queue_set(&opts, 0, 3);
		opts.stream_slots = 64;   /* content ... stream: a small flow table */
	}
	rs = nfqr_ruleset_parse("fuzz", (const char *)data, size, &opts, &d);
	nfqr_diag_free(&d);
	if (rs) {
		struct nfqr_scratch *sc = nfqr_scratch_new(rs);
		uint8_t buf[sizeof(pkt_tcp4) + sizeof(pkt_udp6)];
		struct nfqr_pkt_meta m = { .iif = 3, .oif = 4, .ct_present = true,
					   .ct_info_present = true, .ct_info = 3,
					   .uid_present = true, .uid = 1000 };
		struct nfqr_result r;

		nfqr_ruleset_ifname_set(rs, 3, "veth0");
		if (sc) {
			memcpy(buf, pkt_tcp4, sizeof(pkt_tcp4));
			m.pkt_len = sizeof(pkt_tcp4);
			nfqr_eval(rs, sc, buf, sizeof(pkt_tcp4), &m, &r);
			memcpy(buf, pkt_udp6, sizeof(pkt_udp6));
			m.pkt_len = sizeof(pkt_udp6);
			m.mark = 0x10;
			m.ct_present = m.ct_info_present = m.uid_present = false;
			nfqr_eval(rs, sc, buf, sizeof(pkt_udp6), &m, &r);
			/* the next segment of the flow (seq 11): a stream join */
			memcpy(buf, pkt_tcp4, sizeof(pkt_tcp4));
			buf[27] = 11;
			m.mark = 0;
			m.pkt_len = sizeof(pkt_tcp4);
			nfqr_eval(rs, sc, buf, sizeof(pkt_tcp4), &m, &r);
			/* back with a reject code: the loop guard, if the rules reject */
			memcpy(buf, pkt_tcp4, sizeof(pkt_tcp4));
			m.pkt_len = sizeof(pkt_tcp4);
			m.mark = 0x01000000;
			nfqr_eval(rs, sc, buf, sizeof(pkt_tcp4), &m, &r);
		}
		nfqr_scratch_free(sc);
		nfqr_ruleset_free(rs);
	}
	return 0;
}
