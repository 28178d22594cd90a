// SPDX-License-Identifier: GPL-2.0-only
/* Statistics (src/stats.c): buckets, /proc parsing, text and JSON forms. */
#include <stdlib.h>

#include "tap.h"

#include "stats.h"

static char *render(const struct nfqd_snap *s, bool json)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	if (json)
		nfqd_stats_json(f, s);
	else
		nfqd_stats_text(f, s);
	fclose(f);
	return out;
}

int main(void)
{
	const char *proc =
		"    0  12345     3 2 65531     0     0       17  1\n"
		"    5      0     1 2  1500     7     9      100  1\n";
	uint64_t t = 0, d = 0, u = 0;
	struct nfqd_qstats st = { 0 };
	struct nfqd_qsnap q = { .queue = 5, .cpu = 1 };
	struct nfqd_rsnap r[2] = { { "d86", 1, 200, 5600 }, { "quo\"te", 2, 0, 0 } };
	struct nfqd_snap s = {
		.version = "1.0", .backend = "ring", .rules_file = "/etc/r.nft", .matcher = "none",
		.generation = 3, .reloads_ok = 2, .copy_range = 65535, .n_queues = 1, .n_rules = 2,
		.q = &q, .r = r,
	};
	char *txt, *js;

	is_int(nfqd_batch_bucket(1), 0, "batch of 1: bucket 0");
	is_int(nfqd_batch_bucket(3), 1, "batch of 3: bucket 1");
	is_int(nfqd_batch_bucket(256), 8, "batch of 256: bucket 8");
	is_int(nfqd_batch_bucket(100000), NFQD_BATCH_BUCKETS - 1, "huge batch: last bucket");
	is_int(nfqd_lat_bucket(500), 0, "500 ns: <1us");
	is_int(nfqd_lat_bucket(1500), 1, "1.5 us: <2us");
	is_int(nfqd_lat_bucket(5000000000ull), NFQD_LAT_BUCKETS - 1, "5 s: last bucket");

	ok(nfqd_proc_parse(proc, 5, &t, &d, &u) == 0 && t == 1 && d == 7 && u == 9,
	   "/proc line of queue 5: total 1, dropped 7, user_dropped 9");
	ok(nfqd_proc_parse(proc, 0, &t, &d, &u) == 0 && t == 3 && d == 0, "queue 0");
	is_int(nfqd_proc_parse(proc, 4, &t, &d, &u), -1, "queue 4 absent");
	is_int(nfqd_proc_parse("", 0, &t, &d, &u), -1, "empty file");

	nfqd_ctr_add(&st.c[Q_PACKETS], 600);
	nfqd_ctr_add(&st.c[Q_DROP], 200);
	nfqd_ctr_add(&st.batch[nfqd_batch_bucket(3)], 2);
	nfqd_ctr_add(&st.lat[nfqd_lat_bucket(3000)], 4);
	nfqd_qsnap_take(&q, &st);
	q.have_proc = true;
	q.queue_dropped = 7;
	q.have_ring = true;
	q.rx_overruns = 11;
	q.eng[NFQR_STAT_REWRITE_REFUSED_TRUNC] = 3;

	txt = render(&s, false);
	printf("# %s", txt);
	ok(strstr(txt, "queue 5 (cpu 1):") != NULL, "text: queue header");
	ok(strstr(txt, " packets 600 ") && strstr(txt, " drop 200 "), "text: packets, drops");
	ok(strstr(txt, "queue_dropped 7") != NULL, "text: kernel figures");
	ok(strstr(txt, "rx_overruns 11 (dropped)") != NULL, "text: overruns without fail-open");
	ok(strstr(txt, "batch sizes: 2-3:2\n") != NULL, "text: batch histogram");
	ok(strstr(txt, "latency: <4us:4\n") != NULL, "text: latency histogram");
	ok(strstr(txt, "d86") && strstr(txt, "hits 200 bytes 5600"), "text: rule counters");
	free(txt);

	s.fail_open = true;
	js = render(&s, true);
	printf("# %s", js);
	ok(strstr(js, "\"queues\": [{\"queue\": 5, \"cpu\": 1, \"packets\": 600,") != NULL,
	   "json: queue object");
	ok(strstr(js, "\"kernel\": {\"queue_total\": 0, \"queue_dropped\": 7, \"user_dropped\": 0}") != NULL,
	   "json: kernel figures");
	ok(strstr(js, "\"fail_open_accepts\": 11") != NULL, "json: fail-open accepts");
	ok(strstr(js, "\"batch_sizes\": {\"2-3\": 2}") != NULL, "json: batch histogram");
	ok(strstr(js, "\"latency\": {\"<4us\": 4}") != NULL, "json: latency histogram");
	ok(strstr(js, "{\"id\": \"quo\\\"te\", \"line\": 2") != NULL, "json: ids escaped");
	ok(strstr(js, "\"generation\": 3") && js[strlen(js) - 2] == '}', "json: one object");
	/* balanced braces and brackets outside strings */
	int depth = 0, bad = 0;
	bool in_str = false;

	for (const char *p = js; *p; p++) {
		if (in_str) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_str = false;
			continue;
		}
		if (*p == '"')
			in_str = true;
		else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			bad |= --depth < 0;
	}
	ok(!bad && depth == 0 && !in_str, "json: balanced");
	ok(strstr(js, "\"stall_watchdog\": {\"stall_ms\": 0, \"action\": \"off\", "
		  "\"available\": false}") != NULL, "json: stall watchdog off");
	ok(!strstr(js, "\"stall\": {"), "json: no per-queue stall figures when it is off");
	free(js);

	/* the stall watchdog on: the setting, and per queue its figures */
	s.stall_ms = 200;
	s.stall_action = "drop";
	q.have_stall = true;
	q.stalls = 2;
	q.stall_verdicts = 345;
	q.stalled = true;
	txt = render(&s, false);
	printf("# %s", txt);
	ok(strstr(txt, "stall watchdog 200 ms, then drop\n") != NULL, "text: the stall setting");
	ok(strstr(txt, "  stall watchdog: stalls 2 stall_verdicts 345 (drop) stalled yes\n") != NULL,
	   "text: the queue's stall figures");
	free(txt);
	js = render(&s, true);
	ok(strstr(js, "\"stall_watchdog\": {\"stall_ms\": 200, \"action\": \"drop\", "
		  "\"available\": true}") != NULL, "json: the stall setting");
	ok(strstr(js, "\"stall\": {\"stalls\": 2, \"stall_verdicts\": 345, \"stalled\": true}") != NULL,
	   "json: the queue's stall figures");
	free(js);
	s.stall_unavailable = true;
	q.have_stall = false;
	txt = render(&s, false);
	ok(strstr(txt, "stall watchdog unavailable (--stall-ms 200 asked for)\n") &&
	   !strstr(txt, "stalls 2"), "text: asked for but unavailable (--backend auto)");
	free(txt);
	js = render(&s, true);
	ok(strstr(js, "\"available\": false}") != NULL, "json: unavailable");
	free(js);
	return tap_done();
}
