/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: the packet decoder and the whole per-packet path
 * (classifier, content, rewrites with checksum fix) on arbitrary bytes.
 * The first 4 input bytes choose the metadata. */
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdlib.h>
#include <string.h>

#include "nfqr_engine.h"

static const char rules[] =
	"define nets = { 10.0.0.0/8, 2001:db8::/32 }\n"
	"ip saddr 10.0.0.0/8 udp dport 1-100 payload fill \"h\" accept\n"
	"ip6 saddr 2001:db8::/32 tcp dport 80 payload replace \"GET\" \"PUT\"\n"
	"@payload content \"PUT\" meta mark set 0x7\n"
	"meta mark 0x7 @payload content \"admin\" nocase offset 1 depth 40 drop\n"
	"tcp flags syn / syn,ack ct mark set ct mark | 0x1\n"
	"icmp type echo-request drop\nicmpv6 type 128 drop\n"
	"iifname \"eth*\" meta length > 1000 drop\n"
	"policy accept\npolicy fragment drop\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nfqr_ruleset *rs;
	static struct nfqr_scratch *sc;
	struct nfqr_pkt_meta m = { 0 };
	struct nfqr_result r;
	uint8_t *buf;

	if (!rs) {
		struct nfqr_diag d = { 0 };

		rs = nfqr_ruleset_parse("fuzz", rules, strlen(rules), NULL, &d);
		if (!rs)
			abort();
		sc = nfqr_scratch_new(rs);
		nfqr_ruleset_ifname_set(rs, 2, "eth0");
	}
	if (size < 4)
		return 0;
	m.skb_info = data[0] & (NFQA_SKB_CSUMNOTREADY | NFQA_SKB_GSO | NFQA_SKB_CSUM_NOTVERIFIED);
	m.ct_present = data[0] & 0x80;
	m.iif = data[1] & 3;
	m.mark = data[2];
	m.hw_protocol = data[3] & 1 ? 0x0800 : data[3] & 2 ? 0x86DD : 0;
	size -= 4;
	m.pkt_len = (uint32_t)size + (data[3] & 4 ? data[3] : 0);   /* sometimes truncated */
	buf = malloc(size ? size : 1);                                /* exact size: ASan sees overreads */
	memcpy(buf, data + 4, size);
	nfqr_eval(rs, sc, buf, size, &m, &r);
	free(buf);
	return 0;
}
