// SPDX-License-Identifier: GPL-2.0-only
/* Statistics snapshots and their text / JSON forms (see stats.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static const char *const qctr_name[Q_COUNT] = {
	[Q_PACKETS] = "packets", [Q_BYTES] = "bytes",
	[Q_ACCEPT] = "accept", [Q_DROP] = "drop", [Q_REPEAT] = "repeat", [Q_QUEUE] = "requeue",
	[Q_MARK] = "mark", [Q_CONNMARK] = "connmark", [Q_REWRITE] = "rewrite",
	[Q_BATCHES] = "batches", [Q_COPIES] = "copy_fallbacks", [Q_OVERRUNS] = "ring_overruns",
	[Q_BAD_MSGS] = "bad_messages", [Q_VERDICT_ERRORS] = "verdict_errors",
	[Q_NO_TSTAMP] = "no_timestamp", [Q_DRAINED] = "drained_at_stop",
	[Q_LOG_ONCE] = "log_once_suppressed", [Q_FAIL_CLOSED] = "failed_closed",
	[Q_STALL_LATE] = "stall_late_verdicts",
};

unsigned int nfqd_batch_bucket(uint32_t n)
{
	unsigned int b = 0;

	while (n > 1 && b < NFQD_BATCH_BUCKETS - 1) {
		n >>= 1;
		b++;
	}
	return b;
}

unsigned int nfqd_lat_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned int b = 0;

	while (us && b < NFQD_LAT_BUCKETS - 1) {
		us >>= 1;
		b++;
	}
	return b;
}

void nfqd_qsnap_take(struct nfqd_qsnap *s, const struct nfqd_qstats *st)
{
	for (int i = 0; i < Q_COUNT; i++)
		s->c[i] = atomic_load_explicit(&st->c[i], memory_order_relaxed);
	for (int i = 0; i < NFQD_BATCH_BUCKETS; i++)
		s->batch[i] = atomic_load_explicit(&st->batch[i], memory_order_relaxed);
	for (int i = 0; i < NFQD_LAT_BUCKETS; i++)
		s->lat[i] = atomic_load_explicit(&st->lat[i], memory_order_relaxed);
}

/* Bucket labels: batch sizes "1", "2-3", ...; latencies "<1us", "<2us", ... */
static void batch_label(char *b, size_t n, unsigned int i)
{
	if (i == 0)
		snprintf(b, n, "1");
	else if (i == NFQD_BATCH_BUCKETS - 1)
		snprintf(b, n, "%u+", 1u << i);
	else
		snprintf(b, n, "%u-%u", 1u << i, (2u << i) - 1);
}

static void lat_label(char *b, size_t n, unsigned int i)
{
	if (i == NFQD_LAT_BUCKETS - 1)
		snprintf(b, n, ">=%uus", 1u << (i - 1));
	else
		snprintf(b, n, "<%uus", 1u << i);
}

/* "off", "200 ms, then drop", "unavailable" */
static void stall_text(FILE *f, const struct nfqd_snap *s)
{
	if (!s->stall_ms)
		fprintf(f, "off");
	else if (s->stall_unavailable)
		fprintf(f, "unavailable (--stall-ms %u asked for)", s->stall_ms);
	else
		fprintf(f, "%u ms, then %s", s->stall_ms, s->stall_action);
}

void nfqd_stats_text(FILE *f, const struct nfqd_snap *s)
{
	char l[32];

	fprintf(f, "nfqringd %s, backend %s, rules %s (generation %" PRIu64 ", %u rules, matcher %s)\n",
		s->version, s->backend, s->rules_file, s->generation, s->n_rules, s->matcher);
	fprintf(f, "uptime %" PRIu64 " s, reloads %" PRIu64 " ok %" PRIu64 " failed, copy range %u, fail-open %s, stall watchdog ",
		s->uptime_s, s->reloads_ok, s->reloads_failed, s->copy_range, s->fail_open ? "on" : "off");
	stall_text(f, s);
	fprintf(f, "\n");
	for (uint32_t i = 0; i < s->n_queues; i++) {
		const struct nfqd_qsnap *q = &s->q[i];

		fprintf(f, "queue %u", q->queue);
		if (q->cpu >= 0)
			fprintf(f, " (cpu %d)", q->cpu);
		fprintf(f, ":\n ");
		for (int c = 0; c < Q_COUNT; c++)
			fprintf(f, " %s %" PRIu64, qctr_name[c], q->c[c]);
		fprintf(f, "\n ");
		for (int e = NFQR_STAT_POLICY; e < NFQR_STAT_COUNT; e++)
			fprintf(f, " %s %" PRIu64, nfqr_stat_name((enum nfqr_stat)e), q->eng[e]);
		fprintf(f, " log_dropped %" PRIu64 "\n", q->log_dropped);
		if (q->have_proc)
			fprintf(f, "  kernel: queue_total %" PRIu64 " queue_dropped %" PRIu64
				" user_dropped %" PRIu64 "\n", q->queue_total, q->queue_dropped,
				q->user_dropped);
		if (q->have_ring)
			fprintf(f, "  ring: rx_overruns %" PRIu64 " (%s) rx_copy %" PRIu64 "\n",
				q->rx_overruns, s->fail_open ? "fail-open accepts" : "dropped",
				q->rx_copy);
		if (q->have_stall)
			fprintf(f, "  stall watchdog: stalls %" PRIu64 " stall_verdicts %" PRIu64
				" (%s) stalled %s\n", q->stalls, q->stall_verdicts, s->stall_action,
				q->stalled ? "yes" : "no");
		fprintf(f, "  batch sizes:");
		for (unsigned int b = 0; b < NFQD_BATCH_BUCKETS; b++)
			if (q->batch[b]) {
				batch_label(l, sizeof(l), b);
				fprintf(f, " %s:%" PRIu64, l, q->batch[b]);
			}
		fprintf(f, "\n  enqueue-to-verdict latency:");
		for (unsigned int b = 0; b < NFQD_LAT_BUCKETS; b++)
			if (q->lat[b]) {
				lat_label(l, sizeof(l), b);
				fprintf(f, " %s:%" PRIu64, l, q->lat[b]);
			}
		fprintf(f, "\n");
	}
	fprintf(f, "rules:\n");
	for (uint32_t i = 0; i < s->n_rules; i++)
		fprintf(f, "  %-24s line %-4u hits %" PRIu64 " bytes %" PRIu64 "\n",
			s->r[i].id, s->r[i].line, s->r[i].hits, s->r[i].bytes);
	if (s->sets) {
		fprintf(f, "live sets:\n");
		nfqr_sets_report(s->sets, f, false);
	}
}

void nfqd_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_hist(FILE *f, const char *name, const uint64_t *v, unsigned int n,
		      void (*label)(char *, size_t, unsigned int))
{
	char l[32];
	bool first = true;

	fprintf(f, ", \"%s\": {", name);
	for (unsigned int b = 0; b < n; b++) {
		if (!v[b])
			continue;
		label(l, sizeof(l), b);
		fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", l, v[b]);
		first = false;
	}
	fprintf(f, "}");
}

void nfqd_stats_json(FILE *f, const struct nfqd_snap *s)
{
	fprintf(f, "{\"version\": ");
	nfqd_json_str(f, s->version);
	fprintf(f, ", \"backend\": ");
	nfqd_json_str(f, s->backend);
	fprintf(f, ", \"rules_file\": ");
	nfqd_json_str(f, s->rules_file);
	fprintf(f, ", \"matcher\": ");
	nfqd_json_str(f, s->matcher);
	fprintf(f, ", \"generation\": %" PRIu64 ", \"reloads_ok\": %" PRIu64
		", \"reloads_failed\": %" PRIu64 ", \"uptime_s\": %" PRIu64
		", \"copy_range\": %u, \"fail_open\": %s",
		s->generation, s->reloads_ok, s->reloads_failed, s->uptime_s, s->copy_range,
		s->fail_open ? "true" : "false");
	fprintf(f, ", \"stall_watchdog\": {\"stall_ms\": %u, \"action\": ", s->stall_ms);
	nfqd_json_str(f, s->stall_ms ? s->stall_action : "off");
	fprintf(f, ", \"available\": %s}, \"queues\": [",
		s->stall_ms && !s->stall_unavailable ? "true" : "false");
	for (uint32_t i = 0; i < s->n_queues; i++) {
		const struct nfqd_qsnap *q = &s->q[i];

		fprintf(f, "%s{\"queue\": %u, \"cpu\": %d", i ? ", " : "", q->queue, q->cpu);
		for (int c = 0; c < Q_COUNT; c++)
			fprintf(f, ", \"%s\": %" PRIu64, qctr_name[c], q->c[c]);
		for (int e = NFQR_STAT_POLICY; e < NFQR_STAT_COUNT; e++)
			fprintf(f, ", \"%s\": %" PRIu64, nfqr_stat_name((enum nfqr_stat)e), q->eng[e]);
		fprintf(f, ", \"log_dropped\": %" PRIu64, q->log_dropped);
		if (q->have_proc)
			fprintf(f, ", \"kernel\": {\"queue_total\": %" PRIu64 ", \"queue_dropped\": %" PRIu64
				", \"user_dropped\": %" PRIu64 "}", q->queue_total, q->queue_dropped,
				q->user_dropped);
		if (q->have_ring)
			fprintf(f, ", \"ring\": {\"rx_overruns\": %" PRIu64 ", \"fail_open_accepts\": %" PRIu64
				", \"rx_copy\": %" PRIu64 "}", q->rx_overruns,
				s->fail_open ? q->rx_overruns : 0, q->rx_copy);
		if (q->have_stall)
			fprintf(f, ", \"stall\": {\"stalls\": %" PRIu64 ", \"stall_verdicts\": %" PRIu64
				", \"stalled\": %s}", q->stalls, q->stall_verdicts,
				q->stalled ? "true" : "false");
		json_hist(f, "batch_sizes", q->batch, NFQD_BATCH_BUCKETS, batch_label);
		json_hist(f, "latency", q->lat, NFQD_LAT_BUCKETS, lat_label);
		fprintf(f, "}");
	}
	fprintf(f, "], \"rules\": [");
	for (uint32_t i = 0; i < s->n_rules; i++) {
		fprintf(f, "%s{\"id\": ", i ? ", " : "");
		nfqd_json_str(f, s->r[i].id);
		fprintf(f, ", \"line\": %u, \"hits\": %" PRIu64 ", \"bytes\": %" PRIu64 "}",
			s->r[i].line, s->r[i].hits, s->r[i].bytes);
	}
	fprintf(f, "], \"sets\": [");
	if (s->sets)
		nfqr_sets_report(s->sets, f, true);
	fprintf(f, "]}\n");
}

int nfqd_proc_parse(const char *text, uint16_t queue, uint64_t *total,
		    uint64_t *dropped, uint64_t *user_dropped)
{
	const char *l = text;

	while (l && *l) {
		unsigned int q, portid, mode, range;
		unsigned long long t, d, u;

		if (sscanf(l, "%u %u %llu %u %u %llu %llu", &q, &portid, &t, &mode, &range,
			   &d, &u) == 7 && q == queue) {
			*total = t;
			*dropped = d;
			*user_dropped = u;
			return 0;
		}
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return -1;
}
