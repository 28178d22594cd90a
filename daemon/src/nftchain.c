// SPDX-License-Identifier: GPL-2.0-only
/*
 * nfqringd --print-nft: the nft side of the daemon, printed from the same
 * options, so that both agree on the queues and on the marks:
 *
 *   table inet NAME            (replaced as a whole by `nft -f`)
 *     chain reject_marked      the rejects: one rule per reject kind, each
 *                              `meta mark & FIELD == CODE ... reject with ...`
 *     chain input|forward|output, filter priority, policy accept:
 *       meta mark & FIELD != 0 jump reject_marked     (only if the rules reject)
 *       ct mark & MASK == MASK accept                 (--ct-bypass-mark)
 *       queue [flags bypass,fanout] to N[-M]
 *
 * A reject verdict reaches nft as NF_REPEAT with its code in the reject
 * field of the packet mark: the hook runs the same base chain again, and
 * the jump sends the packet to its reject rule before the queue rule.  The
 * reject rules are printed for every kind, so a reload may add any.
 */
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "nftchain.h"

#define ERR(...) fprintf(stderr, "nfqringd: " __VA_ARGS__)

#define REJECT_CHAIN "reject_marked"

static const char *const hook_name[] = { "input", "forward", "output" };

/* A file name in a comment: one line, printable. */
static void put_path(FILE *f, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static void put_queues(FILE *f, const struct nfqd_opts *o)
{
	if (o->q_first == o->q_last)
		fprintf(f, "%u", o->q_first);
	else
		fprintf(f, "%u-%u", o->q_first, o->q_last);
}

static void put_queue_rule(FILE *f, const struct nfqd_opts *o)
{
	fprintf(f, "\t\tqueue ");
	if (o->bypass || o->fanout)
		fprintf(f, "flags %s%s%s ", o->bypass ? "bypass" : "",
			o->bypass && o->fanout ? "," : "", o->fanout ? "fanout" : "");
	fprintf(f, "to ");
	put_queues(f, o);
	fputc('\n', f);
}

static void put_header(FILE *f, FILE *warn, const struct nfqd_opts *o,
		       const struct nfqr_ruleset *rs)
{
	uint32_t field = nfqr_ruleset_reject_mark(rs), ct_bits = nfqr_ruleset_ct_mark_bits(rs);
	uint32_t bypass = o->ct_bypass_mark;

	fprintf(f, "# nft table for nfqringd -c ");
	put_path(f, o->config);
	fprintf(f, " -q ");
	put_queues(f, o);
	if (field != NFQR_REJECT_MARK_DEFAULT)
		fprintf(f, " --reject-mark 0x%08x", field);
	fprintf(f, ", printed by nfqringd --print-nft.\n"
		"# Load it with 'nft -f FILE'; it replaces table inet %s as a whole.\n"
		"# Every packet of its hooks goes to the queues; narrow the queue rule\n"
		"# (e.g. meta l4proto { tcp, udp }) if the rules judge less.\n", o->table);
	if (nfqr_ruleset_uses_reject(rs))
		fprintf(f, "# The rules reject: nfqringd answers NF_REPEAT with a code in the packet mark\n"
			"# bits 0x%08x (--reject-mark, the daemon's too), so the chain runs\n"
			"# again and chain " REJECT_CHAIN " rejects the packet.\n", field);
	else
		fprintf(f, "# The rules do not reject: no reject rules here.  Print this again after\n"
			"# adding a reject (until then nfqringd drops what it rejects: reject_loop).\n");
	if (bypass) {
		fprintf(f, "# Flows whose ct mark has the bits 0x%08x skip nfqringd (--ct-bypass-mark):\n"
			"# a rule with 'ct mark set ct mark | 0x%x' lets nfqringd judge a flow once.\n",
			bypass, bypass);
		if ((ct_bits & bypass) != bypass) {
			fprintf(f, "# Warning: no rule sets the ct mark bits 0x%08x: no flow skips nfqringd.\n",
				bypass & ~ct_bits);
			if (warn)
				fprintf(warn, "nfqringd: warning: --ct-bypass-mark 0x%08x: no rule of %s "
					"sets the ct mark bits 0x%08x, so no flow skips the queue\n", bypass,
					o->config, bypass & ~ct_bits);
		}
	} else if (ct_bits) {
		fprintf(f, "# Note: the rules set ct mark bits 0x%08x; if they mark flows that should\n"
			"# skip nfqringd, give those bits as --ct-bypass-mark.\n", ct_bits);
	}
	if (!o->bypass) {
		fprintf(f, "# Without --bypass, packets are dropped while no nfqringd serves queue%s ",
			o->q_first == o->q_last ? "" : "s");
		put_queues(f, o);
		fprintf(f, ".\n");
	}
	if (o->fanout)
		fprintf(f, "# --fanout spreads packets by CPU: the packets of one flow may be judged\n"
			"# by different workers and leave reordered.\n");
	if (o->detect_only)
		fprintf(f, "# --detect-only: nfqringd accepts every packet unchanged and only reports\n"
			"# what its rules would do; this table is the one for enforcing them.\n");
	if (o->fail_open)
		fprintf(f, "# --fail-open: nfqringd asks the kernel to accept packets when a queue is\n"
			"# full (NFQA_CFG_F_FAIL_OPEN); nothing in nft.\n");
}

static void put_reject_chain(FILE *f, uint32_t field)
{
	fprintf(f, "\tchain " REJECT_CHAIN " {\n");
	for (int k = NFQR_REJECT_NONE + 1; k < NFQR_REJECT_COUNT; k++) {
		const char *dep = nfqr_reject_dependency((enum nfqr_reject)k);

		fprintf(f, "\t\tmeta mark & 0x%08x == 0x%08x %s%sreject with %s\n", field,
			nfqr_reject_mark_code(field, (enum nfqr_reject)k), dep, *dep ? " " : "",
			nfqr_reject_name((enum nfqr_reject)k));
	}
	fprintf(f, "\t}\n");
}

void nfqd_nft_chain(FILE *f, FILE *warn, const struct nfqd_opts *o,
		    const struct nfqr_ruleset *rs)
{
	uint32_t field = nfqr_ruleset_reject_mark(rs);
	bool reject = nfqr_ruleset_uses_reject(rs), first = true;

	put_header(f, warn, o, rs);
	fprintf(f, "table inet %s\ndelete table inet %s\ntable inet %s {\n", o->table, o->table,
		o->table);
	if (reject) {
		put_reject_chain(f, field);
		first = false;
	}
	for (unsigned int h = 0; h < 3; h++) {
		if (!(o->hooks & (1u << h)))
			continue;
		fprintf(f, "%s\tchain %s {\n"
			"\t\ttype filter hook %s priority filter; policy accept;\n",
			first ? "" : "\n", hook_name[h], hook_name[h]);
		first = false;
		if (reject)
			fprintf(f, "\t\tmeta mark & 0x%08x != 0 jump " REJECT_CHAIN "\n", field);
		if (o->ct_bypass_mark)
			fprintf(f, "\t\tct mark & 0x%08x == 0x%08x accept\n", o->ct_bypass_mark,
				o->ct_bypass_mark);
		put_queue_rule(f, o);
		fprintf(f, "\t}\n");
	}
	fprintf(f, "}\n");
}

int nfqd_print_nft(const struct nfqd_opts *o)
{
	struct nfqr_ruleset *rs = nfqd_opts_rules(o);

	if (!rs) {
		ERR("%s: not loaded, nothing printed (fix the errors above)\n", o->config);
		return NFQD_EXIT_RULES;
	}
	nfqd_nft_chain(stdout, stderr, o, rs);
	nfqr_ruleset_free(rs);
	if (fflush(stdout) || ferror(stdout)) {
		ERR("--print-nft: writing the output failed\n");
		return NFQD_EXIT_RUNTIME;
	}
	return NFQD_EXIT_OK;
}
