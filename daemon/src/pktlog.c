// SPDX-License-Identifier: GPL-2.0-only
/* Packet log records, their text and JSON lines, and log-once-per-flow
 * (see pktlog.h). */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <net/if.h>
#include <string.h>
#include <time.h>

#include "decode.h"
#include "pktlog.h"
#include "stats.h"

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;

	memcpy(dst, src ? src : "", n);
	dst[n] = 0;
}

void nfqd_pktlog_fill(struct nfqd_pktlog *rec, const struct nfqr_ruleset *rs, uint32_t rule,
		      const uint8_t *pkt, size_t caplen, const struct nfqr_pkt_meta *meta,
		      uint32_t queue, uint32_t id, uint32_t verdict, enum nfqr_reject reject,
		      uint64_t time_ns)
{
	struct nfqr_decoded d;

	memset(rec, 0, sizeof(*rec));
	rec->time_ns = time_ns;
	rec->queue = queue;
	rec->id = id;
	rec->len = meta->pkt_len;
	rec->verdict = verdict;
	rec->reject = (uint8_t)reject;
	rec->mark = meta->mark;
	rec->iif = meta->iif;
	rec->oif = meta->oif;
	copy_str(rec->rule, sizeof(rec->rule), nfqr_ruleset_rule_id(rs, rule));
	copy_str(rec->prefix, sizeof(rec->prefix), nfqr_ruleset_log_prefix(rs, rule));

	nfqr_decode(pkt, caplen, meta->pkt_len, meta->hw_protocol, &d);
	if (!d.family)
		return;
	rec->family = d.family;
	memcpy(rec->saddr, d.saddr, sizeof(rec->saddr));
	memcpy(rec->daddr, d.daddr, sizeof(rec->daddr));
	rec->fragment = d.is_fragment;
	/* a malformed packet's transport header is not to be trusted */
	if (d.status == NFQR_DEC_MALFORMED)
		return;
	rec->l4proto = d.l4proto;
	if (!d.l4_present)
		return;
	rec->has_ports = d.has_ports;
	rec->sport = d.sport;
	rec->dport = d.dport;
	rec->has_icmp = d.l4proto == 1 || d.l4proto == 58;
	rec->icmp_type = d.icmp_type;
	rec->icmp_code = d.icmp_code;
}

void nfqd_pktlog_detect(struct nfqd_pktlog *rec, const struct nfqr_result *res)
{
	rec->detect = (uint8_t)res->detect;
	rec->detect_verdict = res->detect_verdict;
	rec->detect_reject = (uint8_t)res->detect_reject;
	rec->detect_mark = res->detect_mark;
	rec->detect_ct_mark = res->detect_ct_mark;
	rec->detect_ct_mask = res->detect_ct_mask;
}

void nfqd_detect_of(struct nfqd_detect *dt, const struct nfqr_result *res)
{
	*dt = (struct nfqd_detect){ res->detect, res->detect_verdict, res->detect_mark,
				    res->detect_ct_mark, res->detect_ct_mask, res->detect_reject };
}

static void detect_of_rec(struct nfqd_detect *dt, const struct nfqd_pktlog *rec)
{
	*dt = (struct nfqd_detect){ rec->detect, rec->detect_verdict, rec->detect_mark,
				    rec->detect_ct_mark, rec->detect_ct_mask,
				    (enum nfqr_reject)rec->detect_reject };
}

void nfqd_detect_text(FILE *f, const struct nfqd_detect *dt)
{
	char vb[48];

	if (!dt->bits)
		return;
	fprintf(f, " (detect: %s", nfqd_verdict_words(dt->verdict, dt->reject, vb, sizeof(vb)));
	if (dt->bits & NFQR_DETECT_MARK)
		fprintf(f, ", mark set 0x%x", dt->mark);
	if ((dt->bits & NFQR_DETECT_CT_MARK) && dt->ct_mask == UINT32_MAX)
		fprintf(f, ", ct mark set 0x%x", dt->ct_mark);
	else if (dt->bits & NFQR_DETECT_CT_MARK)
		fprintf(f, ", ct mark set 0x%x mask 0x%x", dt->ct_mark & dt->ct_mask, dt->ct_mask);
	if (dt->bits & NFQR_DETECT_REWRITE)
		fputs(", payload rewrite", f);
	fputc(')', f);
}

void nfqd_detect_json(FILE *f, const struct nfqd_detect *dt, bool sp)
{
	const char *c = sp ? ": " : ":", *k = sp ? ", " : ",";
	char vb[48];

	if (!dt->bits)
		return;
	fprintf(f, "%s\"detect\"%s", k, c);
	nfqd_json_str(f, nfqd_verdict_words(dt->verdict, dt->reject, vb, sizeof(vb)));
	if (dt->bits & NFQR_DETECT_MARK)
		fprintf(f, "%s\"detect_mark\"%s%u", k, c, dt->mark);
	if (dt->bits & NFQR_DETECT_CT_MARK)
		fprintf(f, "%s\"detect_ct_mark\"%s%u%s\"detect_ct_mask\"%s%u", k, c,
			dt->ct_mark & dt->ct_mask, k, c, dt->ct_mask);
	if (dt->bits & NFQR_DETECT_REWRITE)
		fprintf(f, "%s\"detect_rewrite\"%strue", k, c);
}

const char *nfqd_l4_name(uint8_t proto, char *b, size_t n)
{
	switch (proto) {
	case 1: return "icmp";
	case 2: return "igmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 33: return "dccp";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 58: return "icmpv6";
	case 132: return "sctp";
	case 136: return "udplite";
	}
	snprintf(b, n, "proto-%u", proto);
	return b;
}

const char *nfqd_verdict_words(uint32_t v, enum nfqr_reject reject, char *b, size_t n)
{
	if (reject) {
		snprintf(b, n, "reject with %s", nfqr_reject_name(reject));
		return b;
	}
	switch (v & NF_VERDICT_MASK) {
	case NF_ACCEPT: return "accept";
	case NF_DROP: return "drop";
	case NF_REPEAT: return "repeat";
	}
	snprintf(b, n, "queue num %u%s", v >> NF_VERDICT_QBITS,
		 v & NF_VERDICT_FLAG_QUEUE_BYPASS ? " bypass" : "");
	return b;
}

/* What a line says about the packet. */
struct words {
	const char *proto;		/* NULL: the addresses did not decode */
	char pbuf[16], vbuf[48];
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char in[IF_NAMESIZE], out[IF_NAMESIZE];
	const char *iname, *oname, *verdict;
};

static void words_of(const struct nfqd_pktlog *rec, nfqd_ifname_fn ifname, struct words *w)
{
	int af = rec->family == 4 ? AF_INET : AF_INET6;

	memset(w, 0, sizeof(*w));
	w->verdict = nfqd_verdict_words(rec->verdict, (enum nfqr_reject)rec->reject, w->vbuf,
					sizeof(w->vbuf));
	w->iname = rec->iif && ifname ? ifname(rec->iif, w->in) : NULL;
	w->oname = rec->oif && ifname ? ifname(rec->oif, w->out) : NULL;
	/* an interface that is gone by now: its number */
	if (rec->iif && !w->iname)
		snprintf(w->in, sizeof(w->in), "if%u", rec->iif), w->iname = w->in;
	if (rec->oif && !w->oname)
		snprintf(w->out, sizeof(w->out), "if%u", rec->oif), w->oname = w->out;
	if (!rec->family)
		return;
	inet_ntop(af, rec->saddr, w->src, sizeof(w->src));
	inet_ntop(af, rec->daddr, w->dst, sizeof(w->dst));
	w->proto = rec->l4proto ? nfqd_l4_name(rec->l4proto, w->pbuf, sizeof(w->pbuf)) :
		   rec->family == 4 ? "ip" : "ip6";
}

static void endpoint(FILE *f, const struct nfqd_pktlog *rec, const char *addr, uint16_t port)
{
	if (!rec->has_ports)
		fputs(addr, f);
	else if (rec->family == 6)
		fprintf(f, "[%s]:%u", addr, port);
	else
		fprintf(f, "%s:%u", addr, port);
}

void nfqd_put_id(FILE *f, const char *id)
{
	const char *s;

	for (s = id; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._-:/@+", *s)))
			break;
	if (*id && !*s) {
		fputs(id, f);
		return;
	}
	fputc('"', f);
	for (s = id; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The verdict comes last: "queue num 7 bypass" has spaces. */
void nfqd_pktlog_text(FILE *f, const struct nfqd_pktlog *rec, nfqd_ifname_fn ifname)
{
	struct nfqd_detect dt;
	struct words w;

	words_of(rec, ifname, &w);
	fprintf(f, "%squeue %u id %u in %s out %s ", rec->prefix, rec->queue, rec->id,
		w.iname ? w.iname : "-", w.oname ? w.oname : "-");
	if (!w.proto) {
		fputs("undecoded", f);
	} else {
		fprintf(f, "%s ", w.proto);
		endpoint(f, rec, w.src, rec->sport);
		fputs(" > ", f);
		endpoint(f, rec, w.dst, rec->dport);
		if (rec->has_icmp)
			fprintf(f, " type %u code %u", rec->icmp_type, rec->icmp_code);
		if (rec->fragment)
			fputs(" fragment", f);
	}
	fprintf(f, " len %u", rec->len);
	if (rec->mark)
		fprintf(f, " mark 0x%x", rec->mark);
	fputs(" rule ", f);
	nfqd_put_id(f, rec->rule);
	fprintf(f, " verdict %s", w.verdict);
	detect_of_rec(&dt, rec);
	nfqd_detect_text(f, &dt);
}

static void json_name(FILE *f, const char *key, const char *v)
{
	fprintf(f, ",\"%s\":", key);
	if (v)
		nfqd_json_str(f, v);
	else
		fputs("null", f);
}

void nfqd_pktlog_json(FILE *f, const struct nfqd_pktlog *rec, nfqd_ifname_fn ifname)
{
	time_t sec = (time_t)(rec->time_ns / 1000000000ull);
	struct nfqd_detect dt;
	struct words w;
	struct tm tm;
	char ts[32];

	words_of(rec, ifname, &w);
	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(f, "{\"time\":\"%s.%06uZ\",\"queue\":%u,\"id\":%u,\"rule\":", ts,
		(unsigned int)(rec->time_ns % 1000000000ull / 1000), rec->queue, rec->id);
	nfqd_json_str(f, rec->rule);
	if (rec->prefix[0])
		json_name(f, "prefix", rec->prefix);
	json_name(f, "verdict", w.verdict);
	detect_of_rec(&dt, rec);
	nfqd_detect_json(f, &dt, false);
	json_name(f, "in", w.iname);
	json_name(f, "out", w.oname);
	if (w.proto) {
		fprintf(f, ",\"family\":\"%s\"", rec->family == 4 ? "ip" : "ip6");
		json_name(f, "proto", w.proto);
		json_name(f, "src", w.src);
		json_name(f, "dst", w.dst);
		if (rec->has_ports)
			fprintf(f, ",\"sport\":%u,\"dport\":%u", rec->sport, rec->dport);
		if (rec->has_icmp)
			fprintf(f, ",\"icmp_type\":%u,\"icmp_code\":%u", rec->icmp_type,
				rec->icmp_code);
		if (rec->fragment)
			fputs(",\"fragment\":true", f);
	}
	fprintf(f, ",\"len\":%u,\"mark\":%u}", rec->len, rec->mark);
}

/* ---- log once per flow ------------------------------------------------- */

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;	/* FNV-1a */
	return h;
}

/* The flow without its direction: the smaller endpoint first. */
static uint64_t flow_key(const struct nfqd_pktlog *rec)
{
	const uint8_t *a = rec->saddr, *b = rec->daddr;
	uint16_t pa = rec->sport, pb = rec->dport;
	int c = memcmp(a, b, 16);
	uint64_t h = 0xcbf29ce484222325ull;

	if (c > 0 || (c == 0 && pa > pb)) {
		a = rec->daddr, b = rec->saddr;
		pa = rec->dport, pb = rec->sport;
	}
	h = mix(h, &rec->family, 1);
	h = mix(h, &rec->l4proto, 1);
	h = mix(h, a, 16);
	h = mix(h, b, 16);
	h = mix(h, &pa, 2);
	h = mix(h, &pb, 2);
	h = mix(h, rec->rule, strlen(rec->rule));
	return h ? h : 1;
}

bool nfqd_flowonce_first(struct nfqd_flowonce *t, const struct nfqd_pktlog *rec,
			 uint64_t now_ns)
{
	uint64_t key, ttl = (uint64_t)t->timeout_s * 1000000000ull;
	uint32_t base, i, victim;

	if (!t->timeout_s || !rec->family)
		return true;
	key = flow_key(rec);
	base = (uint32_t)key & (NFQD_FLOWONCE_SLOTS - NFQD_FLOWONCE_WAYS);
	victim = base;
	for (i = base; i < base + NFQD_FLOWONCE_WAYS; i++) {
		bool live = t->seen_ns[i] && now_ns - t->seen_ns[i] < ttl;

		if (t->key[i] == key && live) {
			t->seen_ns[i] = now_ns;	/* an active flow stays known */
			return false;
		}
		if (!live)
			t->seen_ns[i] = 0;
		if (t->seen_ns[i] < t->seen_ns[victim])
			victim = i;
	}
	t->key[victim] = key;
	t->seen_ns[victim] = now_ns;
	return true;
}
