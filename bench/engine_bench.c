// SPDX-License-Identifier: GPL-2.0-only
/*
 * engine_bench: nfqringd's engine on the host, no kernel.  Loads a rule file
 * and a corpus written by rulegen.py, checks that every packet gets the
 * verdict the generator built it for, then judges the corpus round after
 * round the way a worker does (src/worker.c judge(): metadata, nfqr_eval,
 * verdict counters, single-verdict decision) and prints one line of
 * key=value figures.
 *
 *   engine_bench [-b auto|hyperscan|aho-corasick] [-r ROUNDS] RULES CORPUS
 *
 * Instructions come from perf_event_open(PERF_COUNT_HW_INSTRUCTIONS) around
 * the measured loop when the CPU exposes counters; otherwise insns=NA, and
 * engine.sh counts them under `valgrind --tool=callgrind
 * --toggle-collect=measured_loop`: only that function is counted, so setup
 * and the check pass do not.
 */
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nfqr_engine.h"

#define CORPUS_MAGIC	"NFQRCORP"
#define IFNAME_LEN	16

struct pkt {
	uint8_t *data;		/* judged, rewritten in place by the engine */
	uint8_t *orig;		/* restored from here after a rewrite */
	uint32_t len, mark, iif;
	int32_t rule;		/* the rule rulegen built it for, -1 = policy */
};

struct corpus {
	struct pkt *p;
	uint32_t n, n_ifnames;
	char (*ifnames)[IFNAME_LEN];
};

/* What the loop counts: the worker's per-queue figures. */
struct tally {
	uint64_t accept, drop, other, single_verdicts, rewrites, bytes;
};

/* Rule categories, from the comment rulegen gives each rule ("addr-12"). */
enum cat { C_POLICY, C_ADDR, C_PORT, C_CONTENT, C_IFACE, C_REWRITE, C_OTHER, C_COUNT };
static const char *const cat_name[C_COUNT] = {
	"policy", "addr", "port", "content", "iface", "rewrite", "other",
};

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "engine_bench: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void corpus_load(const char *path, struct corpus *c)
{
	FILE *f = fopen(path, "rb");
	uint8_t h[20], rh[16];

	if (!f)
		die("cannot open %s", path);
	if (fread(h, 1, 20, f) != 20 || memcmp(h, CORPUS_MAGIC, 8) || le32(h + 8) != 1)
		die("%s: not a version 1 corpus", path);
	c->n = le32(h + 12);
	c->n_ifnames = le32(h + 16);
	c->p = calloc(c->n ? c->n : 1, sizeof(*c->p));
	c->ifnames = calloc(c->n_ifnames + 1, IFNAME_LEN);
	if (!c->p || !c->ifnames)
		die("out of memory%s", "");
	if (c->n_ifnames && fread(c->ifnames, IFNAME_LEN, c->n_ifnames, f) != c->n_ifnames)
		die("%s: truncated header", path);
	for (uint32_t i = 0; i < c->n_ifnames; i++)
		c->ifnames[i][IFNAME_LEN - 1] = 0;
	for (uint32_t i = 0; i < c->n; i++) {
		struct pkt *p = &c->p[i];

		if (fread(rh, 1, 16, f) != 16)
			die("%s: truncated record", path);
		p->len = le32(rh);
		p->mark = le32(rh + 4);
		p->iif = le32(rh + 8);
		p->rule = (int32_t)le32(rh + 12);
		if (p->len == 0 || p->len > 65535)
			die("%s: bad record length", path);
		p->data = malloc(p->len);
		p->orig = malloc(p->len);
		if (!p->data || !p->orig)
			die("out of memory%s", "");
		if (fread(p->orig, 1, p->len, f) != p->len)
			die("%s: truncated packet", path);
		memcpy(p->data, p->orig, p->len);
	}
	fclose(f);
}

static enum cat rule_cat(const struct nfqr_ruleset *rs, int32_t rule)
{
	const char *id;

	if (rule < 0)
		return C_POLICY;
	id = nfqr_ruleset_rule_id(rs, (uint32_t)rule);
	for (int c = C_ADDR; c < C_OTHER; c++) {
		size_t l = strlen(cat_name[c]);

		if (id && strncmp(id, cat_name[c], l) == 0 && id[l] == '-')
			return (enum cat)c;
	}
	return C_OTHER;
}

/* One packet as src/worker.c judge() handles it, minus the kernel. */
static inline void judge(const struct nfqr_ruleset *rs, struct nfqr_scratch *sc,
			 struct pkt *p, struct tally *t, struct nfqr_result *res)
{
	struct nfqr_pkt_meta meta = {
		.hw_protocol = 0,
		.pkt_len = p->len,
		.mark = p->mark,
		.iif = p->iif,
		.now_ns = 1,
	};
	uint32_t v = nfqr_eval(rs, sc, p->data, p->len, &meta, res);

	t->bytes += meta.pkt_len;
	switch (v & NF_VERDICT_MASK) {
	case NF_ACCEPT: t->accept++; break;
	case NF_DROP:   t->drop++; break;
	default:        t->other++;
	}
	if (v == NF_ACCEPT && !res->mark_set && !res->ct_mark_set && !res->payload_rewritten)
		return;		/* the batch accept would cover it */
	t->single_verdicts++;
	if (res->payload_rewritten) {
		/* the next round must see the packet as the sender sent it */
		t->rewrites++;
		memcpy(p->data, p->orig, p->len);
	}
}

/* Everything callgrind counts (--toggle-collect=measured_loop); not inlined
 * so that the toggle has a function to hold on to. */
__attribute__((noinline)) void measured_loop(const struct nfqr_ruleset *rs,
					     struct nfqr_scratch *sc,
					     struct corpus *c, uint32_t rounds,
					     struct tally *t)
{
	struct nfqr_result res;

	for (uint32_t r = 0; r < rounds; r++)
		for (uint32_t i = 0; i < c->n; i++)
			judge(rs, sc, &c->p[i], t, &res);
}

static int insn_counter_open(void)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: engine_bench [-b auto|hyperscan|aho-corasick] [-r ROUNDS] RULES CORPUS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct nfqr_load_opts opts;
	struct nfqr_diag diag = { 0 };
	struct nfqr_ruleset *rs;
	struct nfqr_scratch *sc;
	struct corpus c = { 0 };
	struct tally t = { 0 };
	uint64_t hits[C_COUNT] = { 0 }, mismatches = 0, t0, t1, insns = 0, pkts;
	uint32_t rounds = 200, content_rules = 0;
	uint8_t *content_seen;
	int opt, fd;
	bool have_insns = false;

	memset(&opts, 0, sizeof(opts));
	opts.backend = NFQR_CM_AUTO;
	while ((opt = getopt(argc, argv, "b:r:")) != -1) {
		switch (opt) {
		case 'b':
			if (!strcmp(optarg, "auto"))
				opts.backend = NFQR_CM_AUTO;
			else if (!strcmp(optarg, "hyperscan"))
				opts.backend = NFQR_CM_HYPERSCAN;
			else if (!strcmp(optarg, "aho-corasick"))
				opts.backend = NFQR_CM_AHO_CORASICK;
			else
				usage();
			break;
		case 'r':
			rounds = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	rs = nfqr_ruleset_load(argv[optind], &opts, &diag);
	if (!rs) {
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.msgs[i]);
		return 1;
	}
	nfqr_diag_free(&diag);
	corpus_load(argv[optind + 1], &c);
	for (uint32_t i = 0; i < c.n_ifnames; i++)
		nfqr_ruleset_ifname_set(rs, i + 1, c.ifnames[i]);
	sc = nfqr_scratch_new(rs);
	content_seen = calloc(nfqr_ruleset_rule_count(rs) + 1, 1);
	if (!sc || !content_seen)
		die("out of memory%s", "");

	/* Check pass (also the warm-up): the corpus must meet the fates it was
	 * built for, or the figures below measure something else. */
	for (uint32_t i = 0; i < c.n; i++) {
		struct nfqr_result res;
		struct tally scratch_tally = { 0 };
		enum cat k;

		judge(rs, sc, &c.p[i], &scratch_tally, &res);
		k = rule_cat(rs, res.rule);
		hits[k]++;
		if (k == C_CONTENT && !content_seen[res.rule]) {
			content_seen[res.rule] = 1;
			content_rules++;
		}
		if (res.rule != c.p[i].rule) {
			if (mismatches++ < 5)
				fprintf(stderr, "engine_bench: packet %u: decided by rule %d (%s), built for %d (%s)\n",
					i, res.rule, res.rule >= 0 ? nfqr_ruleset_rule_id(rs, (uint32_t)res.rule) : "policy",
					c.p[i].rule, c.p[i].rule >= 0 ? nfqr_ruleset_rule_id(rs, (uint32_t)c.p[i].rule) : "policy");
		}
	}

	fd = insn_counter_open();
	if (fd >= 0) {
		ioctl(fd, PERF_EVENT_IOC_RESET, 0);
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	}
	t0 = now_ns();
	measured_loop(rs, sc, &c, rounds, &t);
	t1 = now_ns();
	if (fd >= 0) {
		ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
		have_insns = read(fd, &insns, sizeof(insns)) == sizeof(insns);
		close(fd);
	}
	pkts = (uint64_t)rounds * c.n;

	printf("rules=%u packets=%u rounds=%u matcher=%s", nfqr_ruleset_rule_count(rs), c.n,
	       rounds, nfqr_ruleset_backend(rs));
	if (have_insns && pkts)
		printf(" insns_per_pkt=%.1f", (double)insns / (double)pkts);
	else
		printf(" insns_per_pkt=NA");
	printf(" ns_per_pkt=%.1f", pkts ? (double)(t1 - t0) / (double)pkts : 0.0);
	for (int k = 0; k < C_COUNT; k++)
		printf(" hits_%s=%llu", cat_name[k], (unsigned long long)hits[k]);
	printf(" content_rules_hit=%u mismatches=%llu", content_rules,
	       (unsigned long long)mismatches);
	printf(" accept=%llu drop=%llu single_verdicts=%llu rewrites=%llu\n",
	       (unsigned long long)t.accept, (unsigned long long)t.drop,
	       (unsigned long long)t.single_verdicts, (unsigned long long)t.rewrites);

	for (uint32_t i = 0; i < c.n; i++) {
		free(c.p[i].data);
		free(c.p[i].orig);
	}
	free(c.p);
	free(c.ifnames);
	free(content_seen);
	nfqr_scratch_free(sc);
	nfqr_ruleset_free(rs);
	return mismatches ? 1 : 0;
}
