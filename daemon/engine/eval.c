/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-packet evaluation with nft's semantics: rules in order, statements do
 * not end evaluation, the first verdict does, `policy` when none decides.
 * The classifier gives the candidate rules at once, in order; a statement
 * that changes what later rules test (mark, ct mark, payload) re-runs it for
 * the rest.
 * Nothing here allocates, locks or blocks.
 */
#include <linux/netfilter.h>
#include <stdlib.h>
#include <string.h>

#include "bitvec.h"
#include "decode.h"
#include "rewrite.h"
#include "ruleset.h"
#include "stream.h"

struct nfqr_scratch {
	const struct nfqr_ruleset *rs;
	uint32_t *cand;                  /* candidate rules, ascending */
	struct nfqr_cls_scratch *cls;
	uint64_t *matched;               /* patterns found in the payload */
	/* per rule, content terms found in this payload: cnt[r] counts when
	 * gen[r] == cur_gen, so no per-packet clearing of n entries */
	uint32_t *cnt, *gen, cur_gen;
	uint32_t *found, n_found;        /* rules indexed by content whose terms all occur */
	/* Whether a payload must be scanned for the rules indexed by content,
	 * before scanning it (see content_indexed_may_hold). */
	uint32_t *by_content, n_by_content;   /* those rules, ascending */
	uint64_t l4_may[8], l4_holds[8];      /* by l4_slot(): see l4_tables() */
	uint8_t *decides;                /* per rule: its verdict ends evaluation when reached */
	uint64_t content_scans;
	struct nfqr_cm_scratch *cms;
	struct nfqr_stream *stream;      /* flow table: only with stream contents */
	const uint64_t *stream_found;    /* stream patterns found across the boundary */
	struct nfqr_rule_counter *counters;
	uint64_t stats[NFQR_STAT_COUNT];
	uint64_t log_last_ns;
	uint32_t log_tokens;
};

/* (nfproto, l4proto) of a packet: both are always present. */
static uint32_t l4_slot(const struct nfqr_decoded *d)
{
	return nfqr_need_slot(d->family, d->l4proto);
}

/*
 * The capture ends before the bytes that the rules which may apply to this
 * packet read (rs->need): judged as they would judge the whole packet, it
 * might meet another fate, so `policy truncated` decides.  Only a header
 * chain longer than the copy range's allowance, or a copy range cut by the
 * capture (or by NFQR_CAPTURE_MAX: a GSO superframe), gets here.
 */
static bool capture_short_for_rules(const struct nfqr_ruleset *rs, const struct nfqr_decoded *d)
{
	const struct nfqr_need *n;
	uint64_t want, end = d->ip_end < NFQR_CAPTURE_MAX ? d->ip_end : NFQR_CAPTURE_MAX;

	if (!rs->need || d->end >= end)
		return false;
	n = &rs->need[l4_slot(d)];
	want = n->nh;
	if (d->status == NFQR_DEC_OK) {
		if (n->th && (uint64_t)d->l4_off + n->th > want)
			want = (uint64_t)d->l4_off + n->th;
		if (n->pl == NFQR_NEED_ALL)
			want = end;
		else if (n->pl && (uint64_t)d->payload_off + n->pl > want)
			want = (uint64_t)d->payload_off + n->pl;
	}
	return (want < end ? want : end) > d->end;
}

/*
 * Per (nfproto, l4proto): l4_may, some rule indexed by content may hold on
 * its predicates; l4_holds, one holds for sure, having no predicate on
 * other fields (`meta l4proto udp @payload content ...`).
 */
static void l4_tables(const struct nfqr_ruleset *rs, struct nfqr_scratch *sc)
{
	for (uint32_t k = 0; k < sc->n_by_content; k++) {
		const struct nfqr_rule *rule = &rs->rules[sc->by_content[k]];
		bool only_l4 = true, some_l4 = false;

		for (uint32_t i = 0; i < rule->n_preds; i++) {
			bool l4 = rule->preds[i].field == NFQR_F_NFPROTO ||
				  rule->preds[i].field == NFQR_F_L4PROTO;

			only_l4 &= l4;
			some_l4 |= l4;
		}
		if (!some_l4) {            /* every slot */
			memset(sc->l4_may, 0xff, sizeof(sc->l4_may));
			if (only_l4)
				memset(sc->l4_holds, 0xff, sizeof(sc->l4_holds));
			continue;
		}
		for (uint32_t slot = 0; slot < NFQR_NEED_SLOTS; slot++) {
			bool holds = nfqr_rule_allows_slot(rule, slot);

			if (holds)
				bv_set(sc->l4_may, slot);
			if (holds && only_l4)
				bv_set(sc->l4_holds, slot);
		}
	}
}

/* A rule that, once reached, surely ends evaluation: it has a verdict and
 * no statement that can break it (reading ct mark without a connection). */
static bool rule_decides(const struct nfqr_rule *rule)
{
	if (rule->verdict.kind == NFQR_V_NONE || rule->n_lpreds)
		return false;
	for (uint32_t i = 0; i < rule->n_stmts; i++) {
		const struct nfqr_stmt *s = &rule->stmts[i];

		if ((s->kind == NFQR_S_META_MARK_SET || s->kind == NFQR_S_CT_MARK_SET) &&
		    s->mark.src == NFQR_SRC_CT_MARK)
			return false;
	}
	return true;
}

struct nfqr_scratch *nfqr_scratch_new(const struct nfqr_ruleset *rs)
{
	struct nfqr_scratch *sc = calloc(1, sizeof(*sc));
	uint32_t n = rs->n_rules + 1;

	if (!sc)
		return NULL;
	sc->rs = rs;
	sc->cand = calloc(n, sizeof(uint32_t));
	sc->found = calloc(n, sizeof(uint32_t));
	sc->cls = nfqr_classifier_scratch_new(rs->cls);
	sc->matched = calloc(bv_words(rs->n_patterns) + 1, 8);
	sc->cnt = calloc(n, sizeof(uint32_t));
	sc->gen = calloc(n, sizeof(uint32_t));
	sc->counters = calloc(n, sizeof(*sc->counters));
	sc->by_content = calloc(n, sizeof(uint32_t));
	sc->decides = calloc(n, 1);
	if (rs->cm)
		sc->cms = nfqr_cm_scratch_new(rs->cm);
	if (rs->stream_cm)
		sc->stream = nfqr_stream_new(rs);
	sc->log_tokens = rs->log_burst;
	if (!sc->cand || !sc->found || !sc->cls || !sc->matched || !sc->cnt || !sc->gen ||
	    !sc->counters || !sc->by_content || !sc->decides || (rs->cm && !sc->cms) ||
	    (rs->stream_cm && !sc->stream)) {
		nfqr_scratch_free(sc);
		return NULL;
	}
	for (uint32_t r = 0; r < rs->n_rules; r++) {
		sc->decides[r] = rule_decides(&rs->rules[r]);
		if (nfqr_classifier_by_content(rs->cls, r))
			sc->by_content[sc->n_by_content++] = r;
	}
	l4_tables(rs, sc);
	return sc;
}

void nfqr_scratch_free(struct nfqr_scratch *sc)
{
	if (!sc)
		return;
	free(sc->cand);
	free(sc->found);
	nfqr_classifier_scratch_free(sc->cls);
	free(sc->matched);
	free(sc->cnt);
	free(sc->gen);
	free(sc->counters);
	free(sc->by_content);
	free(sc->decides);
	nfqr_cm_scratch_free(sc->cms);
	nfqr_stream_free(sc->stream);
	free(sc);
}

const struct nfqr_rule_counter *nfqr_scratch_rule_counter(const struct nfqr_scratch *sc,
							  uint32_t rule)
{
	return rule < sc->rs->n_rules ? &sc->counters[rule] : NULL;
}

/* Test hook: bytes of the stream flow table, 0 when there is none. */
size_t nfqr_scratch_stream_bytes(const struct nfqr_scratch *sc)
{
	return sc->stream ? nfqr_stream_table_bytes(sc->stream) : 0;
}

/* Test hook: payloads scanned by the content matcher. */
uint64_t nfqr_scratch_content_scans(const struct nfqr_scratch *sc)
{
	return sc->content_scans;
}

uint64_t nfqr_scratch_stat(const struct nfqr_scratch *sc, enum nfqr_stat s)
{
	return s < NFQR_STAT_COUNT ? sc->stats[s] : 0;
}

const char *nfqr_stat_name(enum nfqr_stat s)
{
	static const char *const names[NFQR_STAT_COUNT] = {
		[NFQR_STAT_PACKETS] = "packets",
		[NFQR_STAT_POLICY] = "policy",
		[NFQR_STAT_FRAGMENT] = "fragment",
		[NFQR_STAT_MALFORMED] = "malformed",
		[NFQR_STAT_FRAG_NO_L4] = "fragment_no_l4",
		[NFQR_STAT_TRUNCATED] = "truncated",
		[NFQR_STAT_REWRITE_DONE] = "rewrite_done",
		[NFQR_STAT_REWRITE_REFUSED_TRUNC] = "rewrite_refused_truncated",
		[NFQR_STAT_REWRITE_REFUSED_GSO] = "rewrite_refused_gso",
		[NFQR_STAT_REWRITE_REFUSED_PROTO] = "rewrite_refused_protocol",
		[NFQR_STAT_CT_NO_CONN] = "ct_no_connection",
		[NFQR_STAT_LOG_SUPPRESSED] = "log_suppressed",
		[NFQR_STAT_REJECT] = "reject",
		[NFQR_STAT_REJECT_LOOP] = "reject_loop",
		[NFQR_STAT_DETECT_DROP] = "detect_drop",
		[NFQR_STAT_DETECT_REJECT] = "detect_reject",
		[NFQR_STAT_DETECT_REPEAT] = "detect_repeat",
		[NFQR_STAT_DETECT_QUEUE] = "detect_queue",
		[NFQR_STAT_DETECT_MARK] = "detect_mark",
		[NFQR_STAT_DETECT_REWRITE] = "detect_rewrite",
		[NFQR_STAT_STREAM_JOINS] = "stream_joins",
		[NFQR_STAT_STREAM_OUT_OF_ORDER] = "stream_out_of_order",
		[NFQR_STAT_STREAM_EVICTIONS] = "stream_evictions",
		[NFQR_STAT_STREAM_FLOWS] = "stream_flows",
	};
	return s < NFQR_STAT_COUNT ? names[s] : "?";
}

static uint32_t verdict_code(struct nfqr_verdict v)
{
	switch (v.kind) {
	case NFQR_V_DROP:   return NF_DROP;
	case NFQR_V_REPEAT:
	case NFQR_V_REJECT: return NF_REPEAT;     /* the nft chain rejects: see out: */
	case NFQR_V_QUEUE:
		return NF_QUEUE_NR((uint32_t)v.queue) | (v.bypass ? NF_VERDICT_FLAG_QUEUE_BYPASS : 0);
	default:            return NF_ACCEPT;
	}
}

/* Counts, per rule, its content terms that occur in the payload. */
static void content_scan(const struct nfqr_ruleset *rs, struct nfqr_scratch *sc,
			 const uint8_t *payload, size_t len)
{
	uint32_t pw = bv_words(rs->n_patterns), p, i;

	sc->content_scans++;
	memset(sc->matched, 0, pw * 8);
	nfqr_cm_scan(rs->cm, sc->cms, payload, len, sc->matched);
	if (sc->stream_found)              /* joined to the flow's tail, as it arrived */
		for (p = 0; p < pw; p++)
			sc->matched[p] |= sc->stream_found[p];
	if (++sc->cur_gen == 0) {          /* wrapped: forget all stamps */
		memset(sc->gen, 0, rs->n_rules * sizeof(uint32_t));
		sc->cur_gen = 1;
	}
	sc->n_found = 0;
	for (p = bv_next(sc->matched, 0, rs->n_patterns); p < rs->n_patterns;
	     p = bv_next(sc->matched, p + 1, rs->n_patterns)) {
		for (i = 0; i < rs->pattern_n_rules[p]; i++) {
			uint32_t r = rs->pattern_rules[p][i];

			if (sc->gen[r] != sc->cur_gen) {
				sc->gen[r] = sc->cur_gen;
				sc->cnt[r] = 0;
			}
			if (++sc->cnt[r] == rs->rules[r].n_content &&
			    nfqr_classifier_by_content(rs->cls, r))
				sc->found[sc->n_found++] = r;
		}
	}
}

/* All of rule r's content terms occur in the last scanned payload. */
static bool content_holds(const struct nfqr_ruleset *rs, const struct nfqr_scratch *sc,
			  uint32_t r)
{
	uint32_t need = rs->rules[r].n_content;

	return !need || (sc->gen[r] == sc->cur_gen && sc->cnt[r] == need);
}

struct state {
	struct nfqr_view v;
	const uint8_t *payload;
	size_t payload_len;
	bool scanned;                      /* the content stamps are for this payload */
};

/* Few rules indexed by content are checked on their predicates before the
 * payload is scanned for them; past that, the scan decides. */
#define NFQR_PRECHECK_MAX 8

/*
 * Some rule indexed by content, from rule `from` on and before rule `end`,
 * holds on its predicates, or might: the payload must be scanned for it.
 * Called after nfqr_classifier_match on the packet's current view.
 */
static bool content_indexed_may_hold(const struct nfqr_ruleset *rs, struct nfqr_scratch *sc,
				     const struct state *st, uint32_t from, uint32_t end)
{
	uint32_t slot = l4_slot(st->v.d), lo = 0, hi = sc->n_by_content, k;

	if (!hi || !bv_test(sc->l4_may, slot))
		return false;
	if (from <= sc->by_content[0] && end > sc->by_content[hi - 1] &&
	    bv_test(sc->l4_holds, slot))
		return true;
	while (lo < hi) {                  /* the first one at or after `from` */
		uint32_t mid = lo + (hi - lo) / 2;

		if (sc->by_content[mid] < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (k = lo; k < sc->n_by_content && sc->by_content[k] < end; k++)
		if (k - lo == NFQR_PRECHECK_MAX ||
		    nfqr_classifier_holds(rs->cls, sc->cls, sc->by_content[k]))
			return true;
	return false;
}

/*
 * sc->cand[] = rules whose matches and contents all hold, in order; returns
 * how many.  Evaluation goes on from rule `from`: the list may omit rules
 * before it, and ends at the first rule from `from` on that surely decides,
 * as no later rule is reached before the next call.  The payload is scanned
 * only when a rule before that one needs it.
 */
static uint32_t candidates(const struct nfqr_ruleset *rs, struct nfqr_scratch *sc,
			   struct state *st, uint32_t from)
{
	uint32_t n = nfqr_classifier_match(rs->cls, sc->cls, &st->v, sc->cand), i, j, kept = 0;
	uint32_t end = rs->n_rules;
	bool need = false;

	if (!rs->n_patterns)
		return n;
	for (i = 0; i < n && sc->cand[i] < from; i++)
		;
	for (; i < n; i++) {
		uint32_t r = sc->cand[i];

		if (rs->rules[r].n_content)
			need = true;
		else if (sc->decides[r]) {
			end = r;
			n = i + 1;
			break;
		}
	}
	if (!need)
		need = content_indexed_may_hold(rs, sc, st, from, end);
	if (!need)                         /* no rule that can be reached needs the scan */
		return n;
	if (!st->scanned) {
		content_scan(rs, sc, st->payload, st->payload_len);
		st->scanned = true;
	}
	for (i = 0; i < n; i++)
		if (content_holds(rs, sc, sc->cand[i]))
			sc->cand[kept++] = sc->cand[i];
	/* rules indexed by content: their terms were found, now their matches;
	 * insert in rule order (few of them: a packet carries few patterns) */
	for (i = 0; i < sc->n_found; i++) {
		uint32_t r = sc->found[i];

		if (r < from || r >= end || !nfqr_classifier_holds(rs->cls, sc->cls, r))
			continue;
		for (j = kept++; j > 0 && sc->cand[j - 1] > r; j--)
			sc->cand[j] = sc->cand[j - 1];
		sc->cand[j] = r;
	}
	return kept;
}

/* The rule's matches on live sets, which the classifier leaves out: a set
 * lookup each, against the packet's time. */
static bool live_preds_hold(const struct nfqr_ruleset *rs, const struct nfqr_rule *rule,
			    const struct state *st)
{
	for (uint32_t i = 0; i < rule->n_lpreds; i++) {
		const struct nfqr_lpred *lp = &rule->lpreds[i];
		struct nfqr_key k;

		if (!nfqr_field_key(lp->field, 0, &st->v, &k))
			return false;          /* absent: fails, negated or not */
		if (lp->field != NFQR_F_IP6_SADDR && lp->field != NFQR_F_IP6_DADDR)
			k.lo &= lp->mask;
		if (nfqr_lset_has(rs->lsets[lp->set], k, st->v.meta->now_ns) == lp->negated)
			return false;
	}
	return true;
}

static bool log_allowed(const struct nfqr_ruleset *rs, struct nfqr_scratch *sc, uint64_t now)
{
	if (rs->log_rate && now > sc->log_last_ns) {
		uint64_t per = 1000000000ULL / rs->log_rate, add = (now - sc->log_last_ns) / per;

		if (add) {
			sc->log_tokens = add >= rs->log_burst ? rs->log_burst
				: (uint32_t)(sc->log_tokens + add > rs->log_burst ? rs->log_burst
									 : sc->log_tokens + add);
			sc->log_last_ns = add >= rs->log_burst ? now : sc->log_last_ns + add * per;
		}
	}
	if (!sc->log_tokens)
		return false;
	sc->log_tokens--;
	return true;
}

static uint32_t mark_eval(const struct nfqr_mark_expr *e, uint32_t mark, uint32_t ct_mark)
{
	uint32_t src = e->src == NFQR_SRC_META_MARK ? mark
		     : e->src == NFQR_SRC_CT_MARK ? ct_mark : 0;

	return (src & e->and_mask) ^ e->xor_val;
}

/*
 * A would-be verdict (detect-only): the packet is accepted, the result and
 * the counters say what it would have been.  NF_ACCEPT is no detection.
 */
static uint32_t detect_verdict(struct nfqr_scratch *sc, struct nfqr_result *res,
			       uint32_t code, enum nfqr_reject reject)
{
	if (code == NF_ACCEPT)
		return NF_ACCEPT;
	res->detect |= NFQR_DETECT_VERDICT;
	res->detect_verdict = code;
	res->detect_reject = reject;
	if (reject)
		sc->stats[NFQR_STAT_DETECT_REJECT]++;
	else if (code == NF_DROP)
		sc->stats[NFQR_STAT_DETECT_DROP]++;
	else if (code == NF_REPEAT)
		sc->stats[NFQR_STAT_DETECT_REPEAT]++;
	else
		sc->stats[NFQR_STAT_DETECT_QUEUE]++;
	return NF_ACCEPT;
}

/* A verdict that no rule gave (policy, guards): under detect_only, a would-be one. */
static uint32_t fixed_verdict(const struct nfqr_ruleset *rs, struct nfqr_scratch *sc,
			      struct nfqr_result *res, uint32_t code)
{
	return rs->detect_only ? detect_verdict(sc, res, code, NFQR_REJECT_NONE) : code;
}

enum exec_result { EXEC_CONTINUE, EXEC_BREAK, EXEC_CHANGED };

/*
 * Runs rule r's statements; returns whether later rules must be re-matched.
 * A detecting rule (det) works on copies of the marks and rewrites nothing:
 * what it would have changed goes to res->detect*, later rules see nothing.
 */
static enum exec_result exec_stmts(const struct nfqr_ruleset *rs, struct nfqr_scratch *sc,
				   struct state *st, uint32_t r, uint8_t *buf,
				   size_t caplen, const struct nfqr_decoded *d,
				   struct nfqr_result *res, bool det)
{
	const struct nfqr_rule *rule = &rs->rules[r];
	const struct nfqr_pkt_meta *m = st->v.meta;
	bool changed = false;
	uint32_t dmark = st->v.mark, dct = st->v.ct_mark;   /* det: the would-be marks */

	for (uint32_t i = 0; i < rule->n_stmts; i++) {
		const struct nfqr_stmt *s = &rule->stmts[i];

		switch (s->kind) {
		case NFQR_S_COUNTER:       /* every rule counts; `counter` is accepted for nft */
			break;
		case NFQR_S_LOG:
			if (res->n_log < NFQR_MAX_LOG && log_allowed(rs, sc, m->now_ns))
				res->log_rules[res->n_log++] = r;
			else
				sc->stats[NFQR_STAT_LOG_SUPPRESSED]++;
			break;
		case NFQR_S_META_MARK_SET: {
			uint32_t nm;

			/* nft: reading ct mark without a connection breaks the rule */
			if (s->mark.src == NFQR_SRC_CT_MARK && !st->v.ct_present) {
				sc->stats[NFQR_STAT_CT_NO_CONN]++;
				return EXEC_BREAK;
			}
			if (det) {
				dmark = mark_eval(&s->mark, dmark, dct);
				if (dmark != st->v.mark) {
					res->detect |= NFQR_DETECT_MARK;
					res->detect_mark = dmark;
				} else {
					res->detect &= ~(uint32_t)NFQR_DETECT_MARK;
				}
				break;
			}
			nm = mark_eval(&s->mark, st->v.mark, st->v.ct_mark);
			if (nm != st->v.mark) {
				st->v.mark = nm;
				changed |= rs->uses_mark_match;
			}
			break;
		}
		case NFQR_S_CT_MARK_SET: {
			uint32_t nv, mask, flip;

			if (!st->v.ct_present) {
				sc->stats[NFQR_STAT_CT_NO_CONN]++;
				if (s->mark.src == NFQR_SRC_CT_MARK)
					return EXEC_BREAK;
				break;     /* nft's ct set without a connection: no-op */
			}
			nv = mark_eval(&s->mark, det ? dmark : st->v.mark, det ? dct : st->v.ct_mark);
			/* Send value+mask, not the whole mark, when the change does not
			 * depend on the current ct mark: other packets of the flow may
			 * have changed other bits meanwhile. */
			flip = s->mark.and_mask & s->mark.xor_val;
			if (s->mark.src == NFQR_SRC_CT_MARK && !flip)
				mask = ~s->mark.and_mask;
			else
				mask = 0xffffffff;
			if (det) {
				res->detect_ct_mark = (res->detect_ct_mark & ~mask) | (nv & mask);
				res->detect_ct_mask |= mask;
				res->detect |= NFQR_DETECT_CT_MARK;
				dct = nv;
				break;
			}
			res->ct_mark = (res->ct_mark & ~mask) | (nv & mask);
			res->ct_mask |= mask;
			res->ct_mark_set = true;
			if (nv != st->v.ct_mark) {
				st->v.ct_mark = nv;
				changed |= rs->uses_ct_match;
			}
			break;
		}
		case NFQR_S_PAYLOAD_FILL:
		case NFQR_S_PAYLOAD_REPLACE: {
			struct nfqr_rw_ctx c = { buf, d, (uint32_t)caplen, m->pkt_len, m->skb_info, det };
			enum nfqr_rw_result rr = s->kind == NFQR_S_PAYLOAD_FILL
				? nfqr_payload_fill(&c, s->bytes, s->len)
				: nfqr_payload_replace(&c, s->bytes, s->bytes2, s->len);

			if (det) {     /* would it change the packet?  refusals are not counted */
				if (rr == NFQR_RW_DONE)
					res->detect |= NFQR_DETECT_REWRITE;
				break;
			}
			switch (rr) {
			case NFQR_RW_DONE:
				sc->stats[NFQR_STAT_REWRITE_DONE]++;
				res->payload_rewritten = true;
				if (rs->n_patterns) {
					st->scanned = false;
					changed = true;
				}
				/* @th/@nh may read the new bytes (or checksum) */
				changed |= rs->uses_raw_match;
				break;
			case NFQR_RW_UNCHANGED: break;
			case NFQR_RW_REFUSED_TRUNC:
				sc->stats[NFQR_STAT_REWRITE_REFUSED_TRUNC]++;
				res->rewrite_refused = NFQR_RWR_TRUNCATED;
				break;
			case NFQR_RW_REFUSED_GSO:
				sc->stats[NFQR_STAT_REWRITE_REFUSED_GSO]++;
				res->rewrite_refused = NFQR_RWR_GSO;
				break;
			case NFQR_RW_REFUSED_PROTO:
				sc->stats[NFQR_STAT_REWRITE_REFUSED_PROTO]++;
				res->rewrite_refused = NFQR_RWR_PROTOCOL;
				break;
			}
			break;
		}
		}
	}
	return changed ? EXEC_CHANGED : EXEC_CONTINUE;
}

uint32_t nfqr_eval(const struct nfqr_ruleset *rs, struct nfqr_scratch *sc,
		   uint8_t *buf, size_t caplen, const struct nfqr_pkt_meta *meta,
		   struct nfqr_result *res)
{
	struct nfqr_decoded d;
	struct state st;
	uint32_t nc, i, r;

	memset(res, 0, sizeof(*res));
	res->rule = -1;
	sc->stats[NFQR_STAT_PACKETS]++;
	/* Reject loop guard: a reject came back with its code, so the nft chain
	 * has no reject rule for it (or another field); repeating it again would
	 * loop.  Only a file that rejects reserves the field. */
	if (rs->uses_reject && (meta->mark & rs->reject_mark)) {
		sc->stats[NFQR_STAT_REJECT_LOOP]++;
		res->reason = NFQR_REASON_REJECT_LOOP;
		res->verdict = fixed_verdict(rs, sc, res, NF_DROP);
		goto done;
	}
	nfqr_decode(buf, caplen, meta->pkt_len, meta->hw_protocol, &d);
	switch (d.status) {
	case NFQR_DEC_MALFORMED:
		sc->stats[NFQR_STAT_MALFORMED]++;
		res->reason = NFQR_REASON_MALFORMED;
		res->verdict = fixed_verdict(rs, sc, res, verdict_code(rs->policy_malformed));
		goto done;
	case NFQR_DEC_FRAG_NO_L4:
		sc->stats[NFQR_STAT_FRAG_NO_L4]++;
		res->reason = NFQR_REASON_FRAG_NO_L4;
		res->verdict = fixed_verdict(rs, sc, res, NF_DROP);
		goto done;
	case NFQR_DEC_NONFIRST_FRAG:
		/* as in nft: the rules judge it, and every match on the transport
		 * header (ports, flags, ICMP, @th, content) fails; `policy
		 * fragment` decides what no rule decided */
		break;
	case NFQR_DEC_CAPTURE_SHORT:
		goto truncated;
	}
	if (capture_short_for_rules(rs, &d)) {
truncated:
		sc->stats[NFQR_STAT_TRUNCATED]++;
		res->reason = NFQR_REASON_TRUNCATED;
		res->verdict = fixed_verdict(rs, sc, res, verdict_code(rs->policy_truncated));
		goto done;
	}
	memset(&st, 0, sizeof(st));
	st.v.d = &d;
	st.v.pkt = buf;
	st.v.meta = meta;
	st.v.mark = meta->mark;
	st.v.ct_present = meta->ct_present;
	st.v.ct_mark = meta->ct_mark;
	st.v.iif_class = nfqr_ifnames_lookup(rs->ifn, meta->iif);
	st.v.oif_class = nfqr_ifnames_lookup(rs->ifn, meta->oif);
	st.payload = buf + d.payload_off;
	st.payload_len = d.end > d.payload_off && d.status == NFQR_DEC_OK ? d.end - d.payload_off : 0;
	/* stream contents: before the rules, on the payload as it arrived */
	sc->stream_found = sc->stream ? nfqr_stream_prepare(rs, sc->stream, buf, &d, sc->stats)
				      : NULL;

	nc = candidates(rs, sc, &st, 0);
	for (i = 0; i < nc;) {
		const struct nfqr_rule *rule;
		enum exec_result er;
		bool det;

		r = sc->cand[i++];
		rule = &rs->rules[r];
		det = rule->detect || rs->detect_only;
		if (rule->n_lpreds && !live_preds_hold(rs, rule, &st))
			continue;

		sc->counters[r].hits++;
		sc->counters[r].bytes += meta->pkt_len > caplen ? meta->pkt_len : caplen;
		er = exec_stmts(rs, sc, &st, r, buf, caplen, &d, res, det);
		if (er == EXEC_BREAK)
			continue;
		if (rule->verdict.kind != NFQR_V_NONE && det) {
			/* the would-be verdict ends evaluation, as the verdict would */
			res->verdict = detect_verdict(sc, res, verdict_code(rule->verdict),
						      (enum nfqr_reject)rule->verdict.reject);
			res->reason = NFQR_REASON_RULE;
			res->rule = (int32_t)r;
			goto out;
		}
		if (rule->verdict.kind != NFQR_V_NONE) {
			res->verdict = verdict_code(rule->verdict);
			res->reason = NFQR_REASON_RULE;
			res->rule = (int32_t)r;
			if (rule->verdict.kind == NFQR_V_REJECT) {
				/* the code in the reject field, after the rule's own
				 * `meta mark set`: the other bits as it left them */
				res->reject = (enum nfqr_reject)rule->verdict.reject;
				st.v.mark = (st.v.mark & ~rs->reject_mark) |
					    nfqr_reject_mark_code(rs->reject_mark, res->reject);
				sc->stats[NFQR_STAT_REJECT]++;
			}
			goto out;
		}
		if (er == EXEC_CHANGED) {    /* re-match the rules after r */
			nc = candidates(rs, sc, &st, r + 1);
			for (i = 0; i < nc && sc->cand[i] <= r; i++)
				;
		}
	}
	if (d.status == NFQR_DEC_NONFIRST_FRAG) {
		sc->stats[NFQR_STAT_FRAGMENT]++;
		res->reason = NFQR_REASON_FRAGMENT;
		res->verdict = fixed_verdict(rs, sc, res, verdict_code(rs->policy_fragment));
		goto out;
	}
	sc->stats[NFQR_STAT_POLICY]++;
	res->reason = NFQR_REASON_POLICY;
	res->verdict = fixed_verdict(rs, sc, res, verdict_code(rs->policy));
out:
	res->mark = st.v.mark;
	res->mark_set = st.v.mark != meta->mark;
	if (sc->stream)
		nfqr_stream_commit(sc->stream, res->verdict, sc->stats);
done:
	if (res->detect & (NFQR_DETECT_MARK | NFQR_DETECT_CT_MARK))
		sc->stats[NFQR_STAT_DETECT_MARK]++;
	if (res->detect & NFQR_DETECT_REWRITE)
		sc->stats[NFQR_STAT_DETECT_REWRITE]++;
	if (res->detect && !(res->detect & NFQR_DETECT_VERDICT)) {
		res->detect_verdict = res->verdict;   /* what was sent is what would be */
		res->detect_reject = res->reject;
	}
	return res->verdict;
}
