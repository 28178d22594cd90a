// SPDX-License-Identifier: GPL-2.0-only
/*
 * nfqringd --test: replay a capture file through the rules, offline.
 *
 * The rules load exactly as the daemon loads them (nfqd_opts_load: the same
 * matcher and `queue num` loop check), and every packet goes through the
 * workers' nfqr_eval as NFQUEUE would hand it over: the network layer, with
 * its real length.  One line per packet tells its verdict and what decided
 * it; the counters close the output.  The format is in nfqringd(8).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "exitcodes.h"
#include "pcapng.h"
#include "pktlog.h"
#include "replay.h"
#include "stats.h"

#define ERR(...) fprintf(stderr, "nfqringd: " __VA_ARGS__)

#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd

enum { V_ACCEPT, V_DROP, V_REPEAT, V_QUEUE, V_REJECT, V_KINDS };
static const char *const vkind_name[V_KINDS] = { "accept", "drop", "repeat", "queue", "reject" };

static const char *const reason_name[] = {
	[NFQR_REASON_RULE] = "rule",
	[NFQR_REASON_POLICY] = "policy",
	[NFQR_REASON_FRAGMENT] = "policy fragment",
	[NFQR_REASON_MALFORMED] = "policy malformed",
	[NFQR_REASON_FRAG_NO_L4] = "fragment without transport header",
	[NFQR_REASON_REJECT_LOOP] = "reject loop guard",
	[NFQR_REASON_TRUNCATED] = "policy truncated",
};

struct replay {
	const struct nfqd_opts *o;
	const struct nfqr_ruleset *rs;
	struct nfqr_scratch *sc;
	int dlt;
	FILE *out;
	uint8_t *buf;			/* the packet as the engine gets it: ours to rewrite */
	size_t cap;
	uint32_t copy_range;		/* what the kernel would copy of each packet */
	uint64_t frames, packets, skipped, verdicts[V_KINDS];
	/* interfaces: ifindex 1 --iifname, 2 --oifname, 3 on: a pcapng's, by name */
	struct nfqd_pcapng *ng;
	char (*ifs)[16];
	uint32_t n_ifs;
	/* --write-pcap: what leaves */
	pcap_t *dead;
	pcap_dumper_t *dump;
	uint8_t *frame;
	size_t frame_cap;
};

/* The index nfqringd gives interface `name` of a capture (a name each). */
static uint32_t capture_ifindex(struct replay *r, const char *name)
{
	char (*n)[16];
	uint32_t i;

	for (i = 0; i < r->n_ifs; i++)
		if (!strcmp(r->ifs[i], name))
			return 3 + i;
	n = realloc(r->ifs, (r->n_ifs + 1) * sizeof(*n));
	if (!n)
		return 0;
	r->ifs = n;
	snprintf(r->ifs[r->n_ifs], sizeof(r->ifs[0]), "%s", name);
	nfqr_ruleset_ifname_set((struct nfqr_ruleset *)r->rs, 3 + r->n_ifs, name);
	return 3 + r->n_ifs++;
}

static const char *ifname_of(const struct replay *r, uint32_t index)
{
	return index == 1 ? r->o->iifname : index == 2 ? r->o->oifname :
	       index >= 3 && index - 3 < r->n_ifs ? r->ifs[index - 3] : NULL;
}

static const char *refusal(uint8_t why)
{
	switch (why) {
	case NFQR_RWR_TRUNCATED: return "capture cut short";
	case NFQR_RWR_GSO: return "GSO superframe";
	case NFQR_RWR_PROTOCOL: return "fragment, or a protocol without a known checksum";
	}
	return NULL;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static bool dlt_supported(int dlt)
{
	return dlt == DLT_RAW || dlt == DLT_IPV4 || dlt == DLT_IPV6 || dlt == DLT_EN10MB ||
	       dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2;
}

/*
 * Where the network layer starts in a frame, and its ethertype (0: the IP
 * version nibble tells, as with hw_protocol 0).  NULL, or why the frame is
 * skipped: NFQUEUE only ever sees IP packets.
 */
static const char *network_layer(int dlt, const uint8_t *f, uint32_t caplen, uint32_t *off,
				 uint16_t *proto, char *why, size_t n)
{
	uint32_t type_at;
	int tags = 0;

	switch (dlt) {
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_RAW:
		*off = 0;
		*proto = dlt == DLT_IPV4 ? ETHERTYPE_IPV4 : dlt == DLT_IPV6 ? ETHERTYPE_IPV6 : 0;
		return NULL;
	case DLT_EN10MB:
		type_at = 12;
		*off = 14;
		break;
	case DLT_LINUX_SLL:
		type_at = 14;
		*off = 16;
		break;
	default:			/* DLT_LINUX_SLL2 */
		type_at = 0;
		*off = 20;
		break;
	}
	if (caplen < *off)
		return "truncated link-layer header";
	*proto = rd16(f + type_at);
	/* 802.1Q/802.1ad tags: the TCI, then the inner type.  libpcap puts the
	 * tags the kernel stripped back at the type field, cooked captures too. */
	while (*proto == 0x8100 || *proto == 0x88a8 || *proto == 0x9100) {
		if (++tags > 2)
			return "more than two VLAN tags";
		if (caplen < *off + 4)
			return "truncated VLAN tag";
		*proto = rd16(f + *off + 2);
		*off += 4;
	}
	if (*proto != ETHERTYPE_IPV4 && *proto != ETHERTYPE_IPV6) {
		snprintf(why, n, "not IP (ethertype 0x%04x)", *proto);
		return why;
	}
	return NULL;
}

/* The kernel's IP input trims link-layer padding (Ethernet's minimum frame)
 * to the IP length before the hooks, so NFQUEUE never sees it.  A length
 * field larger than the packet is left for the decoder to judge. */
static void trim_padding(const uint8_t *p, uint16_t proto, uint32_t *caplen, uint32_t *len)
{
	uint32_t ip_len = 0;

	if (*caplen >= 4 && p[0] >> 4 == 4 && proto != ETHERTYPE_IPV6)
		ip_len = rd16(p + 2) >= 20 ? rd16(p + 2) : 0;
	else if (*caplen >= 6 && p[0] >> 4 == 6 && proto != ETHERTYPE_IPV4)
		ip_len = rd16(p + 4) ? 40u + rd16(p + 4) : 0;	/* 0: jumbogram */
	if (ip_len && ip_len < *len) {
		*len = ip_len;
		if (*caplen > ip_len)
			*caplen = ip_len;
	}
}

/* What a packet line says about the packet, from the engine's decoder. */
struct flow {
	const char *proto;		/* NULL: not even the addresses decode */
	char nbuf[16];
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	bool ports, icmp, fragment;
	const char *malformed;
};

static void flow_of(const struct nfqr_decoded *d, struct flow *fl)
{
	int af = d->family == 4 ? AF_INET : AF_INET6;

	memset(fl, 0, sizeof(*fl));
	if (d->status == NFQR_DEC_MALFORMED)
		fl->malformed = nfqr_dec_error_name((enum nfqr_dec_error)d->error);
	if (!d->family)
		return;
	inet_ntop(af, d->saddr, fl->src, sizeof(fl->src));
	inet_ntop(af, d->daddr, fl->dst, sizeof(fl->dst));
	/* a malformed packet's transport protocol is not to be trusted, and a
	 * first fragment cut inside IPv6 extension headers, or a capture cut
	 * there, has none yet */
	if (fl->malformed || (d->status == NFQR_DEC_FRAG_NO_L4 && !d->l4proto) ||
	    (d->status == NFQR_DEC_CAPTURE_SHORT && !d->l4_off))
		fl->proto = d->family == 4 ? "ip" : "ip6";
	else
		fl->proto = nfqd_l4_name(d->l4proto, fl->nbuf, sizeof(fl->nbuf));
	fl->fragment = d->is_fragment;
	fl->ports = !fl->malformed && d->l4_present && d->has_ports;
	fl->icmp = !fl->malformed && d->l4_present && (d->l4proto == 1 || d->l4proto == 58);
}

static int vkind(const struct nfqr_result *res)
{
	uint32_t v = res->verdict;

	if (res->reject)
		return V_REJECT;	/* NF_REPEAT with its code in the mark */
	switch (v & NF_VERDICT_MASK) {
	case NF_ACCEPT: return V_ACCEPT;
	case NF_DROP: return V_DROP;
	case NF_REPEAT: return V_REPEAT;
	}
	return V_QUEUE;
}

/* The verdict in nft's words. */
static const char *verdict_words(const struct nfqr_result *res, char *b, size_t n)
{
	return nfqd_verdict_words(res->verdict, res->reject, b, n);
}

static void put_time(FILE *f, const struct pcap_pkthdr *h)
{
	fprintf(f, "%lld.%06ld", (long long)h->ts.tv_sec, (long)h->ts.tv_usec);
}

static void put_skipped(struct replay *r, const struct pcap_pkthdr *h, const char *why)
{
	if (r->o->json) {
		fprintf(r->out, "{\"packet\": %" PRIu64 ", \"time\": ", r->frames);
		put_time(r->out, h);
		fprintf(r->out, ", \"skipped\": ");
		nfqd_json_str(r->out, why);
		fprintf(r->out, "}\n");
	} else {
		fprintf(r->out, "%" PRIu64 " ", r->frames);
		put_time(r->out, h);
		fprintf(r->out, " skipped: %s\n", why);
	}
}

static void put_text(struct replay *r, const struct pcap_pkthdr *h, const struct flow *fl,
		     const struct nfqr_decoded *d, uint32_t caplen, uint32_t len,
		     const struct nfqr_pkt_meta *m, const struct nfqr_result *res)
{
	uint32_t in = m->iif, outif = m->oif;
	FILE *f = r->out;
	struct nfqd_detect dt;
	char vb[64];

	fprintf(f, "%" PRIu64 " ", r->frames);
	put_time(f, h);
	if (fl->proto && fl->ports && d->family == 6)
		fprintf(f, " %s [%s]:%u > [%s]:%u", fl->proto, fl->src, d->sport, fl->dst, d->dport);
	else if (fl->proto && fl->ports)
		fprintf(f, " %s %s:%u > %s:%u", fl->proto, fl->src, d->sport, fl->dst, d->dport);
	else if (fl->proto)
		fprintf(f, " %s %s > %s", fl->proto, fl->src, fl->dst);
	if (fl->icmp)
		fprintf(f, " type %u code %u", d->icmp_type, d->icmp_code);
	if (fl->fragment)
		fprintf(f, " fragment");
	if (fl->malformed)
		fprintf(f, " malformed (%s)", fl->malformed);
	if (ifname_of(r, in))
		fprintf(f, " in %s", ifname_of(r, in));
	if (ifname_of(r, outif))
		fprintf(f, " out %s", ifname_of(r, outif));
	fprintf(f, " len %u", len);
	if (caplen < len)
		fprintf(f, " caplen %u", caplen);
	fprintf(f, " verdict %s", verdict_words(res, vb, sizeof(vb)));
	nfqd_detect_of(&dt, res);
	nfqd_detect_text(f, &dt);
	fprintf(f, " by %s", reason_name[res->reason]);
	if (res->reason == NFQR_REASON_RULE) {
		fputc(' ', f);
		nfqd_put_id(f, nfqr_ruleset_rule_id(r->rs, (uint32_t)res->rule));
		fprintf(f, " line %u", nfqr_ruleset_rule_line(r->rs, (uint32_t)res->rule));
	}
	if (res->mark_set)
		fprintf(f, " mark set 0x%x", res->mark);
	if (res->ct_mark_set && res->ct_mask == UINT32_MAX)
		fprintf(f, " ct mark set 0x%x", res->ct_mark);
	else if (res->ct_mark_set)
		fprintf(f, " ct mark set 0x%x mask 0x%x", res->ct_mark & res->ct_mask, res->ct_mask);
	if (res->payload_rewritten)
		fprintf(f, " payload rewritten");
	if (refusal(res->rewrite_refused))
		fprintf(f, " rewrite refused (%s)", refusal(res->rewrite_refused));
	for (uint32_t i = 0; i < res->n_log && i < NFQR_MAX_LOG; i++) {
		fprintf(f, " log ");
		nfqd_put_id(f, nfqr_ruleset_rule_id(r->rs, res->log_rules[i]));
	}
	fputc('\n', f);
}

static void put_json(struct replay *r, const struct pcap_pkthdr *h, const struct flow *fl,
		     const struct nfqr_decoded *d, uint32_t caplen, uint32_t len,
		     const struct nfqr_pkt_meta *m, const struct nfqr_result *res)
{
	FILE *f = r->out;
	struct nfqd_detect dt;
	char vb[64];

	fprintf(f, "{\"packet\": %" PRIu64 ", \"time\": ", r->frames);
	put_time(f, h);
	fprintf(f, ", \"len\": %u, \"caplen\": %u", len, caplen);
	if (fl->proto) {
		fprintf(f, ", \"family\": \"%s\", \"proto\": ", d->family == 4 ? "ip" : "ip6");
		nfqd_json_str(f, fl->proto);
		fprintf(f, ", \"src\": \"%s\", \"dst\": \"%s\"", fl->src, fl->dst);
	}
	if (fl->ports)
		fprintf(f, ", \"sport\": %u, \"dport\": %u", d->sport, d->dport);
	if (fl->icmp)
		fprintf(f, ", \"icmp_type\": %u, \"icmp_code\": %u", d->icmp_type, d->icmp_code);
	if (fl->fragment)
		fprintf(f, ", \"fragment\": true");
	if (fl->malformed)
		fprintf(f, ", \"malformed\": \"%s\"", fl->malformed);
	if (ifname_of(r, m->iif)) {
		fprintf(f, ", \"in\": ");
		nfqd_json_str(f, ifname_of(r, m->iif));
	}
	if (ifname_of(r, m->oif)) {
		fprintf(f, ", \"out\": ");
		nfqd_json_str(f, ifname_of(r, m->oif));
	}
	fprintf(f, ", \"verdict\": \"%s\"", verdict_words(res, vb, sizeof(vb)));
	nfqd_detect_of(&dt, res);
	nfqd_detect_json(f, &dt, true);
	fprintf(f, ", \"by\": \"%s\"", reason_name[res->reason]);
	if (res->reason == NFQR_REASON_RULE) {
		fprintf(f, ", \"rule\": ");
		nfqd_json_str(f, nfqr_ruleset_rule_id(r->rs, (uint32_t)res->rule));
		fprintf(f, ", \"line\": %u", nfqr_ruleset_rule_line(r->rs, (uint32_t)res->rule));
	}
	if (res->mark_set)
		fprintf(f, ", \"mark\": %u", res->mark);
	if (res->ct_mark_set)
		fprintf(f, ", \"ct_mark\": %u, \"ct_mask\": %u", res->ct_mark & res->ct_mask,
			res->ct_mask);
	if (res->payload_rewritten)
		fprintf(f, ", \"rewritten\": true");
	if (refusal(res->rewrite_refused))
		fprintf(f, ", \"rewrite_refused\": \"%s\"", refusal(res->rewrite_refused));
	if (res->n_log) {
		fprintf(f, ", \"log\": [");
		for (uint32_t i = 0; i < res->n_log && i < NFQR_MAX_LOG; i++) {
			fprintf(f, "%s", i ? ", " : "");
			nfqd_json_str(f, nfqr_ruleset_rule_id(r->rs, res->log_rules[i]));
		}
		fprintf(f, "]");
	}
	fprintf(f, "}\n");
}

/* --write-pcap: the frame as it leaves, its network layer from r->buf (the
 * first caplen bytes after off: rewritten when the rules rewrote it). */
static int write_frame(struct replay *r, const struct pcap_pkthdr *h, const uint8_t *data,
		       uint32_t off, uint32_t caplen)
{
	if (!r->dump)
		return 0;
	if (h->caplen > r->frame_cap) {
		uint8_t *nf = realloc(r->frame, h->caplen);

		if (!nf)
			return -1;
		r->frame = nf;
		r->frame_cap = h->caplen;
	}
	memcpy(r->frame, data, h->caplen);
	if (caplen)
		memcpy(r->frame + off, r->buf, caplen);
	pcap_dump((u_char *)r->dump, h, r->frame);
	return 0;
}

static int frame(struct replay *r, const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct nfqr_pkt_meta meta = {
		.mark = r->o->mark,
		.ct_present = r->o->ct_present,
		.ct_mark = r->o->ct_mark,
		/* --ct-state: NFQA_CT_INFO, which the kernel sends with NFQA_CT;
		 * a connection without it is established, as most packets are */
		.ct_info_present = r->o->ct_present,
		.ct_info = (uint8_t)(r->o->ct_info >= 0 ? r->o->ct_info : IP_CT_ESTABLISHED),
		.uid_present = r->o->uid_present,
		.gid_present = r->o->gid_present,
		.uid = r->o->uid,
		.gid = r->o->gid,
		/* the capture's clock: `log` is rate limited as it was live */
		.now_ns = (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec * 1000ull,
	};
	struct nfqr_decoded d;
	struct nfqr_result res;
	struct flow fl;
	const char *skip;
	char why[64];
	uint32_t off, caplen, len;

	char ifname[16];
	int dir;

	/* live sets: the file's timeouts count from the first packet */
	if (!r->frames++ && nfqr_ruleset_activate_sets(r->rs, meta.now_ns))
		return -ENOMEM;
	/* the interfaces: the options, else the capture's (pcapng) */
	if (r->ng && nfqd_pcapng_next(r->ng, ifname, &dir) && ifname[0]) {
		if (dir == 2)
			meta.oif = capture_ifindex(r, ifname);
		else
			meta.iif = capture_ifindex(r, ifname);
	}
	if (r->o->iifname)
		meta.iif = 1;
	if (r->o->oifname)
		meta.oif = 2;
	skip = network_layer(r->dlt, data, h->caplen, &off, &meta.hw_protocol, why, sizeof(why));
	if (skip) {
		r->skipped++;
		put_skipped(r, h, skip);
		return write_frame(r, h, data, 0, 0);	/* not for NFQUEUE: it passes */
	}
	caplen = h->caplen - off;
	len = h->len > off && h->len - off > caplen ? h->len - off : caplen;
	trim_padding(data + off, meta.hw_protocol, &caplen, &len);
	/* what the kernel hands over: no more than the copy range */
	if (caplen > r->copy_range)
		caplen = r->copy_range;
	meta.pkt_len = len;
	if (caplen > r->cap) {
		uint8_t *nb = realloc(r->buf, caplen);

		if (!nb)
			return -1;
		r->buf = nb;
		r->cap = caplen;
	}
	/* libpcap's buffer is read-only and the engine rewrites in place */
	if (caplen)
		memcpy(r->buf, data + off, caplen);
	/* the flow before a rewrite can change the bytes */
	nfqr_decode(r->buf, caplen, len, meta.hw_protocol, &d);
	flow_of(&d, &fl);
	nfqr_eval(r->rs, r->sc, r->buf, caplen, &meta, &res);
	r->packets++;
	r->verdicts[vkind(&res)]++;
	if (r->o->json)
		put_json(r, h, &fl, &d, caplen, len, &meta, &res);
	else
		put_text(r, h, &fl, &d, caplen, len, &meta, &res);
	if (vkind(&res) != V_DROP && vkind(&res) != V_REJECT)
		return write_frame(r, h, data, off, caplen);
	return 0;
}

static void put_summary(struct replay *r)
{
	FILE *f = r->out;
	uint32_t n = nfqr_ruleset_rule_count(r->rs);

	if (r->o->json) {
		fprintf(f, "{\"summary\": {\"frames\": %" PRIu64 ", \"packets\": %" PRIu64
			", \"skipped\": %" PRIu64, r->frames, r->packets, r->skipped);
		for (int v = 0; v < V_KINDS; v++)
			fprintf(f, ", \"%s\": %" PRIu64, vkind_name[v], r->verdicts[v]);
		fprintf(f, ", \"engine\": {");
		for (int e = NFQR_STAT_POLICY; e < NFQR_STAT_COUNT; e++)
			fprintf(f, "%s\"%s\": %" PRIu64, e == NFQR_STAT_POLICY ? "" : ", ",
				nfqr_stat_name((enum nfqr_stat)e),
				nfqr_scratch_stat(r->sc, (enum nfqr_stat)e));
		fprintf(f, "}, \"rules\": [");
		for (uint32_t i = 0; i < n; i++) {
			const struct nfqr_rule_counter *c = nfqr_scratch_rule_counter(r->sc, i);

			fprintf(f, "%s{\"id\": ", i ? ", " : "");
			nfqd_json_str(f, nfqr_ruleset_rule_id(r->rs, i));
			fprintf(f, ", \"line\": %u, \"hits\": %" PRIu64 ", \"bytes\": %" PRIu64 "}",
				nfqr_ruleset_rule_line(r->rs, i), c->hits, c->bytes);
		}
		fprintf(f, "]}}\n");
		return;
	}
	fprintf(f, "summary: frames %" PRIu64 " packets %" PRIu64 " skipped %" PRIu64,
		r->frames, r->packets, r->skipped);
	for (int v = 0; v < V_KINDS; v++)
		fprintf(f, " %s %" PRIu64, vkind_name[v], r->verdicts[v]);
	fprintf(f, "\nengine:");
	for (int e = NFQR_STAT_POLICY; e < NFQR_STAT_COUNT; e++)
		fprintf(f, " %s %" PRIu64, nfqr_stat_name((enum nfqr_stat)e),
			nfqr_scratch_stat(r->sc, (enum nfqr_stat)e));
	fputc('\n', f);
	for (uint32_t i = 0; i < n; i++) {
		const struct nfqr_rule_counter *c = nfqr_scratch_rule_counter(r->sc, i);

		fprintf(f, "rule: ");
		nfqd_put_id(f, nfqr_ruleset_rule_id(r->rs, i));
		fprintf(f, " line %u hits %" PRIu64 " bytes %" PRIu64 "\n",
			nfqr_ruleset_rule_line(r->rs, i), c->hits, c->bytes);
	}
}

/* libpcap's message, without the file name it sometimes starts with. */
static const char *pcap_msg(const char *msg, const char *path)
{
	size_t n = strlen(path);

	return !strncmp(msg, path, n) && !strncmp(msg + n, ": ", 2) ? msg + n + 2 : msg;
}

static int replay(struct replay *r, pcap_t *p)
{
	const char *path = r->o->capture;
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	r->dlt = pcap_datalink(p);
	if (!dlt_supported(r->dlt)) {
		const char *name = pcap_datalink_val_to_name(r->dlt);
		const char *desc = pcap_datalink_val_to_description(r->dlt);

		ERR("--test: %s has link type %s (%d, %s), which cannot be replayed: --test reads "
		    "raw IP (RAW, IPV4, IPV6), Ethernet (EN10MB) and Linux cooked captures "
		    "(LINUX_SLL, LINUX_SLL2, as tcpdump -i any writes); capture on an Ethernet "
		    "interface or with -i any\n", path, name ? name : "unknown", r->dlt,
		    desc ? desc : "no description");
		return NFQD_EXIT_INPUT;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1)
		if (frame(r, h, data) < 0) {
			ERR("--test: out of memory for a packet of %u bytes\n", h->caplen);
			return NFQD_EXIT_RUNTIME;
		}
	put_summary(r);
	if (rc != PCAP_ERROR_BREAK) {
		fflush(r->out);
		ERR("--test: %s is damaged after frame %" PRIu64 ": %s; the frames before it were "
		    "replayed\n", path, r->frames, pcap_msg(pcap_geterr(p), path));
		return NFQD_EXIT_INPUT;
	}
	return NFQD_EXIT_OK;
}

int nfqd_replay(const struct nfqd_opts *o)
{
	struct replay r = { .o = o, .out = stdout };
	struct nfqr_ruleset *rs;
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;
	int rc;

	rs = nfqd_opts_rules(o);
	if (!rs) {
		ERR("%s: not loaded, nothing replayed (fix the errors above; 'nfqringd --check "
		    "FILE' checks a file)\n", o->config);
		return NFQD_EXIT_RULES;
	}
	r.rs = rs;
	/* the daemon's copy range, as nfqring_set_mode() gets it, and as the
	 * kernel clamps it (NFQNL_MAX_COPY_RANGE) */
	r.copy_range = o->copy_range ? o->copy_range : nfqr_ruleset_copy_range(rs);
	if (!nfqd_copy_range_covers(r.copy_range, nfqr_ruleset_copy_range(rs))) {
		ERR("--copy-range %u is smaller than the %u bytes the rules need: raise it or drop "
		    "the option (the daemon would refuse to start)\n", r.copy_range,
		    nfqr_ruleset_copy_range(rs));
		nfqr_ruleset_free(rs);
		return NFQD_EXIT_CONFIG;
	}
	if (r.copy_range > NFQRING_MAX_COPY_RANGE)
		r.copy_range = NFQRING_MAX_COPY_RANGE;
	r.sc = nfqr_scratch_new(rs);
	if (!r.sc) {
		ERR("out of memory\n");
		nfqr_ruleset_free(rs);
		return NFQD_EXIT_RUNTIME;
	}
	if (nfqr_ruleset_ct_match_line(rs) && !o->ct_present)
		ERR("--test: the rules match on conntrack (line %u), and without --ct-state or "
		    "--ct-mark no replayed packet has a connection: ct state sees each as invalid\n",
		    nfqr_ruleset_ct_match_line(rs));
	if (o->iifname)
		nfqr_ruleset_ifname_set(rs, 1, o->iifname);
	if (o->oifname)
		nfqr_ruleset_ifname_set(rs, 2, o->oifname);
	r.ng = nfqd_pcapng_open(o->capture);
	/* from a pipe (tcpdump -U -w -), show each packet as it comes */
	if (!strcmp(o->capture, "-"))
		setvbuf(stdout, NULL, _IOLBF, 0);
	p = pcap_open_offline(o->capture, errbuf);
	if (!p) {
		ERR("--test: cannot read %s: %s; give a pcap or pcapng capture (e.g. written by "
		    "tcpdump -w FILE)\n", o->capture, pcap_msg(errbuf, o->capture));
		rc = NFQD_EXIT_INPUT;
	} else if (o->write_pcap && (!(r.dead = pcap_open_dead(pcap_datalink(p), 262144)) ||
				     !(r.dump = pcap_dump_open(r.dead, o->write_pcap)))) {
		ERR("--write-pcap: cannot write %s: %s\n", o->write_pcap,
		    r.dead ? pcap_geterr(r.dead) : "out of memory");
		rc = NFQD_EXIT_INPUT;
		pcap_close(p);
	} else {
		rc = replay(&r, p);
		pcap_close(p);
	}
	if (r.dump)
		pcap_dump_close(r.dump);
	if (r.dead)
		pcap_close(r.dead);
	nfqd_pcapng_close(r.ng);
	free(r.ifs);
	free(r.frame);
	if (fflush(stdout) && rc == NFQD_EXIT_OK) {
		ERR("--test: writing the output failed\n");
		rc = NFQD_EXIT_RUNTIME;
	}
	free(r.buf);
	nfqr_scratch_free(r.sc);
	nfqr_ruleset_free(rs);
	return rc;
}
