/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * nfqringd - NFQUEUE verdict daemon.  For now only `--check FILE`: validate a
 * rule file and report what the daemon would configure for it.  Workers,
 * rings, reload and the stats socket come later (see daemon/Makefile).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfqr_engine.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nfqringd --check FILE [--queue N[-M]]... [--backend auto|hyperscan|aho-corasick]\n"
		"       nfqringd --help | --version\n"
		"\n"
		"  -c, --check FILE    validate FILE (see nfqringd.rules(5)); exit 0 if it loads, 1 if not\n"
		"  -q, --queue N[-M]   queues this daemon serves: `queue num` to them is refused (a loop)\n"
		"  -b, --backend NAME  content matcher: auto (default), hyperscan or aho-corasick\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n");
}

static int parse_queues(const char *s, struct nfqr_load_opts *o)
{
	char *end;
	unsigned long a = strtoul(s, &end, 10), b = a;

	if (end == s)
		return -1;
	if (*end == '-') {
		const char *t = end + 1;

		b = strtoul(t, &end, 10);
		if (end == t)
			return -1;
	}
	if (*end || a > 65535 || b > 65535 || b < a)
		return -1;
	nfqr_queue_set(o, (uint16_t)a, (uint16_t)b);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", required_argument, NULL, 'c' },
		{ "queue", required_argument, NULL, 'q' },
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct nfqr_load_opts opts;
	struct nfqr_diag diag = { 0 };
	struct nfqr_ruleset *rs;
	const char *check = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "c:q:b:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			check = optarg;
			break;
		case 'q':
			if (parse_queues(optarg, &opts)) {
				fprintf(stderr, "nfqringd: --queue: expected N or N-M (0-65535), got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'b':
			if (!strcmp(optarg, "auto"))
				opts.backend = NFQR_CM_AUTO;
			else if (!strcmp(optarg, "hyperscan"))
				opts.backend = NFQR_CM_HYPERSCAN;
			else if (!strcmp(optarg, "aho-corasick"))
				opts.backend = NFQR_CM_AHO_CORASICK;
			else {
				fprintf(stderr, "nfqringd: --backend: expected auto, hyperscan or aho-corasick, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("nfqringd %s\n", NFQR_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!check || optind != argc) {
		if (!check)
			fprintf(stderr, "nfqringd: only --check is implemented so far\n");
		usage(stderr);
		return 2;
	}
	rs = nfqr_ruleset_load(check, &opts, &diag);
	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.msgs[i]);
	nfqr_diag_free(&diag);
	if (!rs)
		return 1;
	printf("%s: OK, %u rules; copy range %u bytes; conntrack %s; interface names %s; "
	       "content matcher %s\n", check, nfqr_ruleset_rule_count(rs),
	       nfqr_ruleset_copy_range(rs),
	       nfqr_ruleset_needs_conntrack(rs) ? "required (F_CONNTRACK)" : "not needed",
	       nfqr_ruleset_uses_ifnames(rs) ? "used" : "unused",
	       nfqr_ruleset_backend(rs));
	nfqr_ruleset_free(rs);
	return 0;
}
