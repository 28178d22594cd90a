/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: control commands on live sets (nfqr_sets_command) on
 * arbitrary text, each followed by a tick and lookups through the rules. */
#include <stdlib.h>
#include <string.h>

#include "nfqr_engine.h"

static const char rules[] =
	"set a4 { type ipv4_addr; flags interval, timeout; timeout 1m; elements = { 10.0.0.0/8 } }\n"
	"set a6 { type ipv6_addr; flags interval, dynamic; }\n"
	"set p { type inet_service; flags timeout; }\n"
	"set m { type mark; flags dynamic; }\n"
	"ip saddr @a4 drop\n"
	"ip6 saddr != @a6 udp dport @p accept\n"
	"meta mark & 0xff @m drop\n";

static const uint8_t pkt4[] = {
	0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 192, 0, 2, 7,
	0x27, 0x1a, 0, 53, 0, 8, 0, 0,
};
static const uint8_t pkt6[] = {
	0x60, 0, 0, 0, 0, 8, 17, 64,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0x27, 0x1a, 0, 53, 0, 8, 0, 0,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nfqr_sets *st;
	static struct nfqr_ruleset *rs;
	static struct nfqr_scratch *sc;
	static uint64_t now = 1000000000000ull;
	uint8_t buf[sizeof(pkt6)];
	struct nfqr_pkt_meta m = { .mark = 0x302 };
	struct nfqr_result r;
	char *out = NULL;

	if (!st) {
		struct nfqr_load_opts o = { .backend = NFQR_CM_AHO_CORASICK };
		struct nfqr_diag d = { 0 };

		st = nfqr_sets_new(1);
		o.sets = st;
		rs = nfqr_ruleset_parse("fuzz", rules, sizeof(rules) - 1, &o, &d);
		nfqr_diag_free(&d);
		if (!rs || nfqr_ruleset_activate_sets(rs, now) || !(sc = nfqr_scratch_new(rs)))
			abort();
	}
	/* one reader: versions are kept until it enters again */
	nfqr_sets_enter(st, 0);
	nfqr_sets_command(st, (const char *)data, size, now, &out);
	free(out);
	now += 700000000ull;           /* elements time out across inputs */
	nfqr_sets_tick(st, now);
	m.now_ns = now;
	memcpy(buf, pkt4, sizeof(pkt4));
	m.pkt_len = sizeof(pkt4);
	nfqr_eval(rs, sc, buf, sizeof(pkt4), &m, &r);
	memcpy(buf, pkt6, sizeof(pkt6));
	m.pkt_len = sizeof(pkt6);
	nfqr_eval(rs, sc, buf, sizeof(pkt6), &m, &r);
	return 0;
}
