// SPDX-License-Identifier: GPL-2.0-only
/* Packet log lines (src/pktlog.c): the record a worker fills, its text and
 * JSON forms, records through the log ring, and log-once-per-flow. */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "logring.h"
#include "pkt.h"
#include "pktlog.h"

static const char rules[] =
	"udp dport 53 log prefix \"dns: \" accept comment \"dns\"\n"
	"tcp dport 22 log drop comment \"ssh in\"\n"
	"icmp type echo-request log accept comment \"ping\"\n"
	"ip6 saddr 2001:db8::1 log queue num 7 bypass\n"
	"tcp dport 23 log reject with tcp reset comment \"telnet\"\n";

static const char *names(uint32_t ifindex, char *buf)
{
	if (ifindex == 2) {
		strcpy(buf, "eth0");
		return buf;
	}
	return NULL;	/* gone */
}

/* Formats @rec both ways into @text and @json. */
static void lines(const struct nfqd_pktlog *rec, char *text, char *json, size_t cap)
{
	FILE *f = fmemopen(text, cap, "w");

	nfqd_pktlog_text(f, rec, names);
	fclose(f);
	f = fmemopen(json, cap, "w");
	nfqd_pktlog_json(f, rec, names);
	fclose(f);
}

static struct nfqr_ruleset *rs;

/* Judges @pkt, fills the record of its first log hit and formats it. */
static void judge_and_log(uint8_t *pkt, size_t len, struct nfqr_pkt_meta *m,
			  char *text, char *json, size_t cap)
{
	struct nfqr_scratch *sc = nfqr_scratch_new(rs);
	struct nfqd_pktlog rec;
	struct nfqr_result res;
	uint32_t v;

	m->pkt_len = (uint32_t)len;
	v = nfqr_eval(rs, sc, pkt, len, m, &res);
	ok(res.n_log == 1, "one log hit (%u)", res.n_log);
	nfqd_pktlog_fill(&rec, rs, res.log_rules[0], pkt, len, m, 3, 41, v, res.reject,
			 1764649800123456789ull);
	nfqd_pktlog_detect(&rec, &res);
	lines(&rec, text, json, cap);
	nfqr_scratch_free(sc);
}

static void formats(void)
{
	uint8_t l4[64], pkt[128];
	char text[512], json[512];
	struct nfqr_pkt_meta m = { .iif = 2, .oif = 9, .mark = 0x10 };
	struct nfqd_pktlog rec;
	size_t n;

	n = pkt_ipv4(pkt, "10.0.0.1", "10.0.0.2", 17, l4, l4_udp(l4, 5353, 53, "q", 1));
	judge_and_log(pkt, n, &m, text, json, sizeof(text));
	is_str(text, "dns: queue 3 id 41 in eth0 out if9 "
	       "udp 10.0.0.1:5353 > 10.0.0.2:53 len 29 mark 0x10 rule dns verdict accept",
	       "udp as text (a gone interface by number)");
	is_str(json, "{\"time\":\"2025-12-02T04:30:00.123456Z\",\"queue\":3,\"id\":41,"
	       "\"rule\":\"dns\",\"prefix\":\"dns: \",\"verdict\":\"accept\",\"in\":\"eth0\","
	       "\"out\":\"if9\",\"family\":\"ip\",\"proto\":\"udp\",\"src\":\"10.0.0.1\","
	       "\"dst\":\"10.0.0.2\",\"sport\":5353,\"dport\":53,\"len\":29,\"mark\":16}",
	       "udp as JSON");

	m = (struct nfqr_pkt_meta){ 0 };
	n = pkt_ipv4(pkt, "192.0.2.9", "10.0.0.2", 6, l4, l4_tcp(l4, 40000, 22, 0x02, NULL, 0));
	judge_and_log(pkt, n, &m, text, json, sizeof(text));
	is_str(text, "queue 3 id 41 in - out - "
	       "tcp 192.0.2.9:40000 > 10.0.0.2:22 len 40 rule \"ssh in\" verdict drop",
	       "tcp: no interfaces, no mark, a quoted rule id");
	ok(strstr(json, "\"rule\":\"ssh in\",\"verdict\":\"drop\",\"in\":null,\"out\":null,") != NULL,
	   "JSON: a rule id with a space, null interfaces: %s", json);

	n = pkt_ipv4(pkt, "10.0.0.3", "10.0.0.2", 1, l4, l4_icmp(l4, 8, 0, "ping", 4));
	judge_and_log(pkt, n, &m, text, json, sizeof(text));
	is_str(text, "queue 3 id 41 in - out - "
	       "icmp 10.0.0.3 > 10.0.0.2 type 8 code 0 len 32 rule ping verdict accept",
	       "icmp: type and code, no ports");
	ok(strstr(json, "\"proto\":\"icmp\",\"src\":\"10.0.0.3\",\"dst\":\"10.0.0.2\","
		  "\"icmp_type\":8,\"icmp_code\":0,\"len\":32") != NULL, "icmp JSON: %s", json);

	n = pkt_ipv6(pkt, "2001:db8::1", "2001:db8::2", 17, NULL, 0, l4,
		     l4_udp(l4, 1000, 2000, NULL, 0));
	judge_and_log(pkt, n, &m, text, json, sizeof(text));
	ok(!strncmp(text, "queue 3 id 41 in - out - udp [2001:db8::1]:1000 > [2001:db8::2]:2000 "
		    "len 48 rule r-", 79) && strstr(text, " verdict queue num 7 bypass"),
	   "IPv6 with ports in brackets, a hashed rule id, a requeue verdict: %s", text);
	ok(strstr(json, "\"verdict\":\"queue num 7 bypass\"") &&
	   strstr(json, "\"family\":\"ip6\",\"proto\":\"udp\",\"src\":\"2001:db8::1\""),
	   "IPv6 JSON: %s", json);

	n = pkt_ipv4(pkt, "192.0.2.9", "10.0.0.2", 6, l4, l4_tcp(l4, 40001, 23, 0x02, NULL, 0));
	judge_and_log(pkt, n, &m, text, json, sizeof(text));
	is_str(text, "queue 3 id 41 in - out - tcp 192.0.2.9:40001 > 10.0.0.2:23 len 40 "
	       "rule telnet verdict reject with tcp reset",
	       "a reject: its kind (the mark shown is the packet's on arrival)");
	ok(strstr(json, "\"verdict\":\"reject with tcp reset\"") != NULL, "  in JSON: %s", json);

	/* what NFQUEUE would never send: not IP at all */
	memset(pkt, 0, 40);
	m.pkt_len = 40;
	nfqd_pktlog_fill(&rec, rs, 0, pkt, 40, &m, 0, 1, NF_DROP, NFQR_REJECT_NONE, 0);
	lines(&rec, text, json, sizeof(text));
	is_str(text, "dns: queue 0 id 1 in - out - undecoded len 40 rule dns verdict drop",
	       "an undecodable packet is still logged");
	ok(!strstr(json, "\"src\"") && strstr(json, "\"time\":\"1970-01-01T00:00:00.000000Z\""),
	   "  and its JSON has no addresses: %s", json);
}

static struct nfqd_pktlog flow(const char *src, uint16_t sport, const char *dst, uint16_t dport,
			       const char *rule)
{
	struct nfqd_pktlog r = { .family = 4, .l4proto = 17, .has_ports = true,
				 .sport = sport, .dport = dport };

	inet_pton(AF_INET, src, r.saddr);
	inet_pton(AF_INET, dst, r.daddr);
	snprintf(r.rule, sizeof(r.rule), "%s", rule);
	return r;
}

static void once_per_flow(void)
{
	static struct nfqd_flowonce t;
	struct nfqd_pktlog a = flow("10.0.0.1", 1000, "10.0.0.2", 53, "dns");
	struct nfqd_pktlog back = flow("10.0.0.2", 53, "10.0.0.1", 1000, "dns");
	struct nfqd_pktlog other = flow("10.0.0.1", 1001, "10.0.0.2", 53, "dns");
	struct nfqd_pktlog rule2 = flow("10.0.0.1", 1000, "10.0.0.2", 53, "other");
	uint64_t s = 1000000000ull, now = 5 * s;
	unsigned int i, logged = 0;

	ok(nfqd_flowonce_first(&t, &a, now), "off (timeout 0): every packet is logged");
	ok(nfqd_flowonce_first(&t, &a, now), "  again");
	t.timeout_s = 60;
	ok(nfqd_flowonce_first(&t, &a, now), "the first packet of a flow is logged");
	ok(!nfqd_flowonce_first(&t, &a, now + s), "  the second is not");
	ok(!nfqd_flowonce_first(&t, &back, now + 2 * s), "  nor the reply direction");
	ok(nfqd_flowonce_first(&t, &other, now + 2 * s), "another port is another flow");
	ok(nfqd_flowonce_first(&t, &rule2, now + 2 * s), "another rule on the same flow logs");
	ok(!nfqd_flowonce_first(&t, &a, now + 61 * s), "a flow seen 59 s ago stays quiet");
	ok(nfqd_flowonce_first(&t, &a, now + 122 * s), "after 61 s of silence it logs again");

	/* many flows: the table is bounded, so old flows get evicted and log
	 * again, never more than once per distinct flow while they fit */
	memset(&t, 0, sizeof(t));
	t.timeout_s = 60;
	for (i = 0; i < NFQD_FLOWONCE_SLOTS / 4; i++) {
		struct nfqd_pktlog f = flow("10.1.0.1", (uint16_t)(1024 + i), "10.2.0.2", 80, "web");

		logged += nfqd_flowonce_first(&t, &f, now);
		logged += nfqd_flowonce_first(&t, &f, now);
	}
	is_int(logged, NFQD_FLOWONCE_SLOTS / 4, "2048 flows, two packets each: each logged once");
	for (i = 0, logged = 0; i < 20 * NFQD_FLOWONCE_SLOTS; i++) {
		struct nfqd_pktlog f = flow("10.3.0.1", (uint16_t)i, "10.4.0.2", (uint16_t)(i >> 16),
					    "web");

		logged += nfqd_flowonce_first(&t, &f, now);
	}
	is_int(logged, 20 * NFQD_FLOWONCE_SLOTS, "a flood of new flows: all logged, table bounded");
}

/* Records and text lines share the worker's ring, in order. */
static void through_the_ring(void)
{
	static struct nfqd_logring r;
	struct nfqd_pktlog rec = flow("10.0.0.1", 1, "10.0.0.2", 2, "x"), got;
	char buf[NFQD_LOG_LINE + 1];

	nfqd_logring_init(&r);
	ok(sizeof(struct nfqd_pktlog) <= NFQD_LOG_LINE, "a record fits a slot (%zu bytes)",
	   sizeof(struct nfqd_pktlog));
	nfqd_logring_push(&r, "before");
	ok(nfqd_logring_push_pkt(&r, &rec), "push a record");
	nfqd_logring_push(&r, "after");
	is_int(nfqd_logring_pop_entry(&r, buf, sizeof(buf), &got), NFQD_LOG_TEXT, "text first");
	is_str(buf, "before", "  its line");
	is_int(nfqd_logring_pop_entry(&r, buf, sizeof(buf), &got), NFQD_LOG_PACKET, "then the record");
	ok(!memcmp(&got, &rec, sizeof(rec)), "  intact");
	is_int(nfqd_logring_pop_entry(&r, buf, sizeof(buf), &got), NFQD_LOG_TEXT, "then text");
	is_int(nfqd_logring_pop_entry(&r, buf, sizeof(buf), &got), 0, "then nothing");
	nfqd_logring_push_pkt(&r, &rec);
	ok(nfqd_logring_pop(&r, buf, sizeof(buf)) && !buf[0],
	   "a text-only consumer sees a record as an empty line");
}

/* Detect-only: the verdict sent is accept, the line says what would have been. */
static void detect_lines(void)
{
	static const char drules[] =
		"tcp dport 22 detect log drop comment \"ssh in\"\n"
		"tcp dport 23 detect log meta mark set 0x10 reject with tcp reset comment \"telnet\"\n"
		"udp dport 53 detect log ct mark set ct mark | 0x1 payload fill \"x\" accept comment \"dns\"\n";
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *saved = rs;
	struct nfqr_pkt_meta m = { 0 };
	uint8_t l4[64], pkt[128];
	char text[512], json[512];
	size_t n;

	rs = nfqr_ruleset_parse("d.nft", drules, strlen(drules), NULL, &d);
	nfqr_diag_free(&d);
	if (!ok(rs != NULL, "detect rules load")) {
		rs = saved;
		return;
	}
	n = pkt_ipv4(pkt, "192.0.2.9", "10.0.0.2", 6, l4, l4_tcp(l4, 40000, 22, 0x02, NULL, 0));
	judge_and_log(pkt, n, &m, text, json, sizeof(text));
	is_str(text, "queue 3 id 41 in - out - "
	       "tcp 192.0.2.9:40000 > 10.0.0.2:22 len 40 rule \"ssh in\" verdict accept (detect: drop)",
	       "detect drop as text");
	ok(strstr(json, "\"verdict\":\"accept\",\"detect\":\"drop\",\"in\":null") != NULL,
	   "  as JSON: %s", json);

	n = pkt_ipv4(pkt, "192.0.2.9", "10.0.0.2", 6, l4, l4_tcp(l4, 40001, 23, 0x02, NULL, 0));
	judge_and_log(pkt, n, &m, text, json, sizeof(text));
	is_str(text, "queue 3 id 41 in - out - tcp 192.0.2.9:40001 > 10.0.0.2:23 len 40 "
	       "rule telnet verdict accept (detect: reject with tcp reset, mark set 0x10)",
	       "detect reject with a mark as text");
	ok(strstr(json, "\"verdict\":\"accept\",\"detect\":\"reject with tcp reset\","
		  "\"detect_mark\":16,\"in\"") != NULL, "  as JSON: %s", json);

	m = (struct nfqr_pkt_meta){ .ct_present = true, .ct_mark = 0x8 };
	n = pkt_ipv4(pkt, "10.0.0.1", "10.0.0.2", 17, l4, l4_udp(l4, 5353, 53, "q", 1));
	judge_and_log(pkt, n, &m, text, json, sizeof(text));
	is_str(text, "queue 3 id 41 in - out - udp 10.0.0.1:5353 > 10.0.0.2:53 len 29 "
	       "rule dns verdict accept (detect: accept, ct mark set 0x1 mask 0x1, payload rewrite)",
	       "detect changes under an accept as text");
	ok(strstr(json, "\"verdict\":\"accept\",\"detect\":\"accept\",\"detect_ct_mark\":1,"
		  "\"detect_ct_mask\":1,\"detect_rewrite\":true,\"in\"") != NULL, "  as JSON: %s", json);
	nfqr_ruleset_free(rs);
	rs = saved;
}

int main(void)
{
	struct nfqr_load_opts lo = { 0 };
	struct nfqr_diag diag = { 0 };

	rs = nfqr_ruleset_parse("t.nft", rules, strlen(rules), &lo, &diag);
	if (!ok(rs != NULL, "rules load (%s)", diag.n ? diag.msgs[0] : ""))
		return 1;
	formats();
	detect_lines();
	once_per_flow();
	through_the_ring();
	nfqr_ruleset_free(rs);
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
