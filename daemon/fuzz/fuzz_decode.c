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
	"ct state established,related ct direction reply meta mark set 0x9\n"
	"ct state invalid meta skuid 0-999 drop\n"
	"@th,16,16 53 @nh,72,8 17 @th,64,32 & 0xffff0000 != 0 drop\n"
	"@th,1000,8 1 accept\n@th,3,29 > 7 meta skgid != 5 queue num 4\n"
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
	m.ct_info_present = data[1] & 4;
	m.ct_info = (uint8_t)(data[1] >> 5);              /* 0-7: bogus values too */
	m.uid_present = m.gid_present = data[1] & 8;
	m.uid = data[2];
	m.gid = data[1] & 0x10;
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
