/* SPDX-License-Identifier: GPL-2.0-only */
/* Ruleset accessors and teardown. */
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"

void nfqr_rule_free(struct nfqr_rule *r)
{
	for (uint32_t i = 0; i < r->n_preds; i++) {
		if (!r->preds[i].ranges_borrowed)
			free(r->preds[i].ranges);
		for (uint32_t j = 0; j < r->preds[i].n_names; j++)
			free(r->preds[i].names[j]);
		free(r->preds[i].names);
	}
	free(r->preds);
	free(r->lpreds);
	for (uint32_t i = 0; i < r->n_stmts; i++) {
		free(r->stmts[i].bytes);
		free(r->stmts[i].bytes2);
		free(r->stmts[i].log_prefix);
	}
	free(r->stmts);
	free(r->content);
	free(r->id);
	free(r->log_prefix);
	memset(r, 0, sizeof(*r));
}

static void ifnames_free(struct nfqr_ifnames *ifn)
{
	if (!ifn)
		return;
	for (uint32_t i = 0; i < ifn->n_exact; i++)
		free(ifn->exact[i]);
	for (uint32_t i = 0; i < ifn->n_prefix; i++)
		free(ifn->prefix[i]);
	free(ifn->exact);
	free(ifn->prefix);
	free(ifn->exact_class);
	free(ifn->prefix_class);
	free(ifn);
}

void nfqr_ruleset_free(struct nfqr_ruleset *rs)
{
	if (!rs)
		return;
	for (uint32_t i = 0; i < rs->n_rules; i++)
		nfqr_rule_free(&rs->rules[i]);
	free(rs->rules);
	free(rs->need);
	for (uint32_t i = 0; i < rs->n_set_ranges; i++)
		free(rs->set_ranges[i]);
	free(rs->set_ranges);
	nfqr_classifier_free(rs->cls);
	for (uint32_t i = 0; i < rs->n_patterns; i++) {
		free((void *)rs->patterns[i].bytes);
		if (rs->pattern_rules)
			free(rs->pattern_rules[i]);
	}
	free(rs->patterns);
	free(rs->pattern_rules);
	free(rs->pattern_n_rules);
	nfqr_cm_free(rs->cm);
	nfqr_cm_free(rs->stream_cm);
	free(rs->stream_pat);
	ifnames_free(rs->ifn);
	for (uint32_t i = 0; i < rs->n_lsets; i++)
		nfqr_lset_decl_free(&rs->ldecl[i]);
	free(rs->ldecl);
	free(rs->lsets);
	nfqr_sets_free(rs->own_sets);
	free(rs);
}

void nfqr_lset_decl_free(struct nfqr_lset_decl *d)
{
	free(d->name);
	free(d->el);
	memset(d, 0, sizeof(*d));
}

/* Binds the live sets to their store entries (at load). */
int nfqr_ruleset_bind_sets(struct nfqr_ruleset *rs, struct nfqr_sets *st)
{
	rs->bound_store = st;
	if (!rs->n_lsets)
		return 0;
	rs->lsets = calloc(rs->n_lsets, sizeof(*rs->lsets));
	if (!rs->lsets)
		return -1;
	for (uint32_t i = 0; i < rs->n_lsets; i++)
		if (!(rs->lsets[i] = nfqr_sets_bind(st, &rs->ldecl[i])))
			return -1;
	return 0;
}

int nfqr_ruleset_activate_sets(const struct nfqr_ruleset *rs, uint64_t now_ns)
{
	struct nfqr_sets *st = rs->bound_store;

	if (!st)
		return 0;
	return nfqr_sets_activate(st, rs->lsets, rs->ldecl, rs->n_lsets, now_ns);
}

uint32_t nfqr_ruleset_live_sets(const struct nfqr_ruleset *rs) { return rs->n_lsets; }

uint32_t nfqr_ruleset_copy_range(const struct nfqr_ruleset *rs) { return rs->copy_range; }

uint32_t nfqr_ruleset_ct_match_line(const struct nfqr_ruleset *rs)
{
	for (uint32_t r = 0; r < rs->n_rules; r++) {
		const struct nfqr_rule *rule = &rs->rules[r];

		for (uint32_t i = 0; i < rule->n_preds; i++)
			if (rule->preds[i].field == NFQR_F_CT_STATE ||
			    rule->preds[i].field == NFQR_F_CT_DIRECTION ||
			    rule->preds[i].field == NFQR_F_CT_MARK)
				return rule->line;
		for (uint32_t i = 0; i < rule->n_lpreds; i++)
			if (rule->lpreds[i].field == NFQR_F_CT_MARK)
				return rule->line;
	}
	return 0;
}
bool nfqr_ruleset_needs_conntrack(const struct nfqr_ruleset *rs) { return rs->uses_ct; }
bool nfqr_ruleset_needs_uid_gid(const struct nfqr_ruleset *rs) { return rs->uses_uid_gid; }
bool nfqr_ruleset_uses_ifnames(const struct nfqr_ruleset *rs) { return rs->ifn != NULL; }
uint32_t nfqr_ruleset_rule_count(const struct nfqr_ruleset *rs) { return rs->n_rules; }
bool nfqr_ruleset_detect_only(const struct nfqr_ruleset *rs) { return rs->detect_only; }
bool nfqr_ruleset_rule_detects(const struct nfqr_ruleset *rs, uint32_t rule)
{
	return rule < rs->n_rules && (rs->detect_only || rs->rules[rule].detect);
}

const char *nfqr_ruleset_backend(const struct nfqr_ruleset *rs)
{
	return rs->cm ? nfqr_cm_backend_name(rs->cm) : "none";
}

const char *nfqr_ruleset_rule_id(const struct nfqr_ruleset *rs, uint32_t rule)
{
	return rule < rs->n_rules ? rs->rules[rule].id : NULL;
}

uint32_t nfqr_ruleset_rule_line(const struct nfqr_ruleset *rs, uint32_t rule)
{
	return rule < rs->n_rules ? rs->rules[rule].line : 0;
}

const char *nfqr_ruleset_log_prefix(const struct nfqr_ruleset *rs, uint32_t rule)
{
	return rule < rs->n_rules ? rs->rules[rule].log_prefix : NULL;
}

int32_t nfqr_ruleset_find_rule(const struct nfqr_ruleset *rs, const char *id)
{
	for (uint32_t i = 0; i < rs->n_rules; i++)
		if (strcmp(rs->rules[i].id, id) == 0)
			return (int32_t)i;
	return -1;
}

void nfqr_queue_set(struct nfqr_load_opts *opts, uint16_t first, uint16_t last)
{
	for (uint32_t q = first; q <= last; q++)
		opts->own_queues[q / 64] |= 1ULL << (q % 64);
	opts->own_queues_known = true;
}

uint32_t nfqr_ruleset_reject_mark(const struct nfqr_ruleset *rs) { return rs->reject_mark; }
bool nfqr_ruleset_uses_reject(const struct nfqr_ruleset *rs) { return rs->uses_reject; }
uint32_t nfqr_ruleset_ct_mark_bits(const struct nfqr_ruleset *rs) { return rs->ct_mark_bits; }
