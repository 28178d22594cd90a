/* SPDX-License-Identifier: GPL-2.0-only */
#include "classifier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ruleset.h"

struct dim {
	uint8_t  field;
	uint32_t mask;
	uint32_t arg;                /* of a parametrized field: @th,16,16 and @th,0,16 differ */
	uint32_t n_bounds;
	struct nfqr_key *bounds;     /* interval starts, bounds[0] = 0 */
	uint32_t *cls;               /* class of each interval */
	/* No rule has this dimension as its primary: no intervals; its key is
	 * read only when a candidate rule must be checked in it. */
	bool lazy;
	/*
	 * Bucket index over the intervals, so that a lookup does not grow
	 * with log2 of their count: the keys from base = bounds[1] to the
	 * last bound are cut into n_buckets slices of 2^shift keys, and
	 * bucket[i] is the interval holding the first key of slice i.  A key
	 * of slice i lies in intervals bucket[i] to bucket[i + 1], nearly
	 * always one or two (bucket[n_buckets] = the last interval).
	 */
	struct nfqr_key base;
	uint32_t shift, n_buckets;
	uint32_t *bucket;
};

/* A predicate outside a rule's primary dimension, tested by value: its
 * ranges sorted and merged, so a binary search decides it. */
struct cpred {
	uint32_t dim;
	bool negated;
	uint32_t n;
	const struct nfqr_range *r;  /* into nfqr_classifier.ranges */
};

struct nfqr_classifier {
	uint32_t n_rules;
	uint32_t n_dims;
	struct dim *dims;
	/* classes: lists of rules; class 0 is the empty one (a packet without
	 * the field, or an interval no primary rule admits) */
	uint32_t n_classes;
	uint32_t *list_off, *list_rules;   /* list_off[n_classes] = end */
	uint32_t *always, n_always;  /* rules without predicates */
	uint32_t *check_off;         /* per rule: its cpreds, [n_rules] = end */
	struct cpred *checks;
	struct nfqr_range *ranges;   /* of the cpreds */
	uint8_t *by_content;         /* per rule: indexed by its content terms */
	uint32_t n_by_content;
	size_t bytes;
};

enum { KEY_UNKNOWN, KEY_ABSENT, KEY_PRESENT };

struct nfqr_cls_scratch {
	const struct nfqr_view *view;    /* of the last nfqr_classifier_match */
	uint8_t *kstate;             /* per dimension: KEY_* for this packet */
	struct nfqr_key *key;        /* the packet's key, masked */
	const uint32_t **head, **end;    /* lists being merged */
};

static uint32_t pred_mask(const struct nfqr_pred *p)
{
	switch (p->field) {
	case NFQR_F_IP6_SADDR: case NFQR_F_IP6_DADDR:
		return 0xffffffff;
	default:
		return p->mask;
	}
}

/* The predicate tests dimension d. */
static bool dim_is(const struct dim *d, const struct nfqr_pred *p)
{
	return d->field == p->field && d->mask == pred_mask(p) && d->arg == p->arg;
}

static uint32_t dim_of(const struct nfqr_classifier *c, const struct nfqr_pred *p)
{
	uint32_t j;

	for (j = 0; j < c->n_dims; j++)
		if (dim_is(&c->dims[j], p))
			break;
	return j;
}

static void *xcalloc(size_t n, size_t size, size_t *bytes)
{
	void *p = calloc(n ? n : 1, size);

	if (p && bytes)
		*bytes += (n ? n : 1) * size;
	return p;
}

/* 128-bit arithmetic on keys for the bucket index; a >= b in key_sub. */
static struct nfqr_key key_add(struct nfqr_key a, struct nfqr_key b)
{
	uint64_t lo = a.lo + b.lo;

	return (struct nfqr_key){ a.hi + b.hi + (lo < a.lo), lo };
}

static struct nfqr_key key_sub(struct nfqr_key a, struct nfqr_key b)
{
	return (struct nfqr_key){ a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo };
}

static struct nfqr_key key_shl(struct nfqr_key a, uint32_t s)
{
	if (s == 0)
		return a;
	if (s >= 64)
		return (struct nfqr_key){ a.lo << (s - 64), 0 };
	return (struct nfqr_key){ a.hi << s | a.lo >> (64 - s), a.lo << s };
}

/* a >> s, or UINT64_MAX when that does not fit in 64 bits */
static inline uint64_t key_shr_sat(struct nfqr_key a, uint32_t s)
{
	if (s >= 64)
		return a.hi >> (s - 64);
	if (a.hi >> s)
		return UINT64_MAX;
	if (s == 0)
		return a.lo;
	return a.hi << (64 - s) | a.lo >> s;
}

static uint32_t key_bits(struct nfqr_key a)
{
	if (a.hi)
		return 128 - (uint32_t)__builtin_clzll(a.hi);
	return a.lo ? 64 - (uint32_t)__builtin_clzll(a.lo) : 0;
}

/*
 * The bucket table starts at about two buckets per interval and doubles
 * while some bucket spans more than NFQR_BUCKET_SPREAD intervals, which
 * happens when the bounds crowd in a few places (a /24 cut into /32s in a
 * field of /8s), up to 2^NFQR_BUCKET_BITS buckets: 256 KiB per dimension
 * at most, 8 to 16 bytes per interval in the common case.  A bucket that
 * still spans many intervals is searched in binary, as a whole dimension
 * was before.
 */
#define NFQR_BUCKET_SPREAD 4
#define NFQR_BUCKET_BITS 16

static int build_buckets(struct dim *d)
{
	uint32_t nb = d->n_bounds, bits, span_bits, i, j, worst;
	struct nfqr_key span;

	if (nb < 2) {                  /* no bucket: every key is in interval 0 */
		d->base = (struct nfqr_key){ 0, 0 };
		d->shift = 0;
		d->n_buckets = 0;
		d->bucket = calloc(1, sizeof(*d->bucket));
		return d->bucket ? 0 : -1;
	}
	/* keys below bounds[1] are all in interval 0: no need to index them */
	d->base = d->bounds[1];
	span = key_sub(d->bounds[nb - 1], d->base);
	span_bits = key_bits(span);
	bits = 32 - (uint32_t)__builtin_clz(nb - 1) + 1;   /* 2 to 4 buckets per interval */
	for (;;) {
		if (bits > NFQR_BUCKET_BITS)
			bits = NFQR_BUCKET_BITS;
		d->shift = span_bits > bits ? span_bits - bits : 0;
		d->n_buckets = (uint32_t)key_shr_sat(span, d->shift) + 1;
		free(d->bucket);
		d->bucket = malloc((d->n_buckets + 1) * sizeof(*d->bucket));
		if (!d->bucket)
			return -1;
		for (i = 0, j = 0; i < d->n_buckets; i++) {
			struct nfqr_key at = key_add(d->base, key_shl((struct nfqr_key){ 0, i }, d->shift));

			while (j + 1 < nb && nfqr_key_cmp(d->bounds[j + 1], at) <= 0)
				j++;
			d->bucket[i] = j;
		}
		d->bucket[d->n_buckets] = nb - 1;
		for (i = 0, worst = 0; i < d->n_buckets; i++)
			if (d->bucket[i + 1] - d->bucket[i] + 1 > worst)
				worst = d->bucket[i + 1] - d->bucket[i] + 1;
		/* shift 0: one bucket per key already, more bits cannot help */
		if (worst <= NFQR_BUCKET_SPREAD || bits == NFQR_BUCKET_BITS || d->shift == 0)
			return 0;
		bits++;
	}
}

/* Content rules whose best match accepts more than this share of its field
 * are indexed by their content: a literal is the more selective test. */
#define NFQR_CONTENT_PRIMARY_SHARE (1.0 / 1024)

/* Share of its field's values a predicate accepts: the primary dimension
 * of a rule is its most selective one, so that lists stay short. */
static double pred_share(const struct nfqr_pred *p)
{
	double bits, width = 0, share;

	switch (p->field) {
	case NFQR_F_IP6_SADDR: case NFQR_F_IP6_DADDR: bits = 128; break;
	case NFQR_F_IP_SADDR: case NFQR_F_IP_DADDR: bits = 32; break;
	case NFQR_F_SPORT: case NFQR_F_DPORT: case NFQR_F_LENGTH: bits = 16; break;
	case NFQR_F_MARK: case NFQR_F_CT_MARK: bits = 32; break;
	case NFQR_F_SKUID: case NFQR_F_SKGID: bits = 32; break;
	case NFQR_F_RAW_NH: case NFQR_F_RAW_TH: bits = nfqr_raw_len(p->arg); break;
	case NFQR_F_CT_STATE: bits = 2; break;      /* one of 4 states a packet can be in */
	case NFQR_F_CT_DIRECTION: bits = 1; break;
	default: bits = 8; break;
	}
	if (bits <= 32 && __builtin_popcount(p->mask) < bits)
		bits = __builtin_popcount(p->mask);     /* values under the mask */
	for (uint32_t i = 0; i < p->n_ranges; i++) {
		const struct nfqr_range *r = &p->ranges[i];
		uint64_t lo = r->hi.lo - r->lo.lo, hi = r->hi.hi - r->lo.hi - (r->hi.lo < r->lo.lo);

		if (nfqr_key_cmp(r->hi, r->lo) >= 0)
			width += ldexp((double)hi, 64) + (double)lo + 1;
	}
	share = width / ldexp(1, (int)bits);
	if (share > 1)
		share = 1;
	return p->negated ? 1 - share : share;
}

/* ---- building ------------------------------------------------------------- */

struct event {
	struct nfqr_key at;
	uint32_t dp;                 /* index into the dimension's dpreds */
	int32_t delta;
};

struct dpred {                   /* a predicate of this dimension */
	uint32_t rule, pred;         /* pred: index over all predicates, rule by rule */
	bool negated;
	int32_t inside;              /* ranges of it that hold the key */
};

/* One dimension's predicates and their range edges, sorted. */
struct dimev {
	struct dpred *dp;
	uint32_t n_dp;
	struct event *ev;
	uint32_t n_ev;
	uint32_t *rules;             /* the distinct rules testing it, ascending */
	uint32_t n_rules;
};

static int event_cmp(const void *a, const void *b)
{
	return nfqr_key_cmp(((const struct event *)a)->at, ((const struct event *)b)->at);
}

/* Per-rule state of a sweep over one dimension: arrays over all rules, of
 * which only the dimension's rules are touched. */
struct sweep {
	uint32_t *npreds, *sat;      /* its predicates here, and those that hold */
	uint8_t *was;                /* touched at this point: 1 + whether it held */
	uint32_t *touched, n_touched;
};

static bool rule_holds(const struct sweep *sw, uint32_t r)
{
	return sw->sat[r] == sw->npreds[r];
}

static void sweep_start(struct sweep *sw, struct dimev *de)
{
	for (uint32_t k = 0; k < de->n_rules; k++) {
		sw->npreds[de->rules[k]] = 0;
		sw->sat[de->rules[k]] = 0;
	}
	for (uint32_t k = 0; k < de->n_dp; k++) {
		struct dpred *q = &de->dp[k];

		q->inside = 0;
		sw->npreds[q->rule]++;
		if (q->negated)
			sw->sat[q->rule]++;  /* outside every range: a negation holds */
	}
}

/* Applies the events at the key of ev[*i]; sw->touched then holds the rules
 * whose state (all their predicates here hold, or not) changed there. */
static void sweep_point(struct sweep *sw, struct dimev *de, uint32_t *i)
{
	struct nfqr_key at = de->ev[*i].at;
	uint32_t m = 0;

	sw->n_touched = 0;
	for (; *i < de->n_ev && nfqr_key_cmp(de->ev[*i].at, at) == 0; (*i)++) {
		struct dpred *q = &de->dp[de->ev[*i].dp];
		bool was = (q->inside > 0) != q->negated, now;

		q->inside += de->ev[*i].delta;
		now = (q->inside > 0) != q->negated;
		if (was == now)
			continue;
		if (!sw->was[q->rule]) {
			sw->was[q->rule] = (uint8_t)(1 + rule_holds(sw, q->rule));
			sw->touched[sw->n_touched++] = q->rule;
		}
		sw->sat[q->rule] += now ? 1 : (uint32_t)-1;
	}
	for (uint32_t k = 0; k < sw->n_touched; k++) {
		uint32_t r = sw->touched[k];
		bool before = sw->was[r] - 1;

		sw->was[r] = 0;
		if (before != rule_holds(sw, r))
			sw->touched[m++] = r;
	}
	sw->n_touched = m;
}

/* The predicates and range edges of every dimension. */
static int collect(struct nfqr_classifier *c, const struct nfqr_rule *rules, uint32_t n,
		   const uint32_t *pdim, struct dimev *de)
{
	uint32_t r, i, j, p;

	for (r = 0, p = 0; r < n; r++)
		for (i = 0; i < rules[r].n_preds; i++, p++) {
			j = pdim[p];
			de[j].n_dp++;
			de[j].n_ev += 2 * rules[r].preds[i].n_ranges;
		}
	for (j = 0; j < c->n_dims; j++) {
		de[j].dp = malloc((de[j].n_dp ? de[j].n_dp : 1) * sizeof(*de[j].dp));
		de[j].ev = malloc((de[j].n_ev ? de[j].n_ev : 1) * sizeof(*de[j].ev));
		de[j].rules = malloc((de[j].n_dp ? de[j].n_dp : 1) * sizeof(uint32_t));
		if (!de[j].dp || !de[j].ev || !de[j].rules)
			return -1;
		de[j].n_dp = de[j].n_ev = 0;
	}
	for (r = 0, p = 0; r < n; r++)
		for (i = 0; i < rules[r].n_preds; i++, p++) {
			const struct nfqr_pred *q = &rules[r].preds[i];
			struct dimev *d = &de[pdim[p]];

			if (!d->n_rules || d->rules[d->n_rules - 1] != r)
				d->rules[d->n_rules++] = r;
			for (uint32_t k = 0; k < q->n_ranges; k++) {
				bool wrap;
				struct nfqr_key end = nfqr_key_inc(q->ranges[k].hi, &wrap);

				if (nfqr_key_cmp(q->ranges[k].hi, q->ranges[k].lo) < 0)
					continue;    /* empty range */
				d->ev[d->n_ev++] = (struct event){ q->ranges[k].lo, d->n_dp, +1 };
				if (!wrap)
					d->ev[d->n_ev++] = (struct event){ end, d->n_dp, -1 };
			}
			d->dp[d->n_dp++] = (struct dpred){ r, p, q->negated, 0 };
		}
	for (j = 0; j < c->n_dims; j++) {
		uint32_t k = 1;

		/* one set in ascending order gives its edges in order: no sort */
		while (k < de[j].n_ev && nfqr_key_cmp(de[j].ev[k - 1].at, de[j].ev[k].at) <= 0)
			k++;
		if (k < de[j].n_ev)
			qsort(de[j].ev, de[j].n_ev, sizeof(*de[j].ev), event_cmp);
	}
	return 0;
}

/* Range maxima of cnt[] (a segment tree, bottom-up). */
struct rmq {
	uint32_t n, *t;
};

static int rmq_build(struct rmq *q, const uint32_t *cnt, uint32_t n)
{
	q->n = n;
	q->t = malloc(2 * (size_t)(n ? n : 1) * sizeof(uint32_t));
	if (!q->t)
		return -1;
	memcpy(q->t + n, cnt, n * sizeof(uint32_t));
	for (uint32_t i = n - 1; i > 0 && n; i--)
		q->t[i] = q->t[2 * i] > q->t[2 * i + 1] ? q->t[2 * i] : q->t[2 * i + 1];
	return 0;
}

/* max of cnt[a, b) */
static uint32_t rmq_max(const struct rmq *q, uint32_t a, uint32_t b)
{
	uint32_t m = 0;

	for (a += q->n, b += q->n; a < b; a /= 2, b /= 2) {
		if (a & 1)
			m = q->t[a] > m ? q->t[a] : m, a++;
		if (b & 1)
			b--, m = q->t[b] > m ? q->t[b] : m;
	}
	return m;
}

/*
 * crowd[p] for every predicate p of dimension j: the most rules testing j
 * that one interval admits together with p's rule, over the intervals that
 * admit that rule: the longest list the rule would join there.  The share
 * of a field alone misjudges rules that share a value: 600 rules `tcp dport
 * 22 ip daddr 172.x.0.0/16` would all be listed under dport 22, and a packet
 * to port 22 would check 600 candidates.
 */
/* The intervals [a, b) over which a rule held, for crowding(). */
struct spans {
	struct { uint32_t rule, a, b; } *v;
	uint32_t n, cap;
};

static bool span_add(struct spans *sp, uint32_t rule, uint32_t a, uint32_t b)
{
	if (sp->n == sp->cap) {
		uint32_t nc = sp->cap ? 2 * sp->cap : 64;
		void *nv = realloc(sp->v, nc * sizeof(*sp->v));

		if (!nv)
			return false;
		sp->v = nv;
		sp->cap = nc;
	}
	sp->v[sp->n].rule = rule;
	sp->v[sp->n].a = a;
	sp->v[sp->n++].b = b;
	return true;
}

static int crowding(struct sweep *sw, struct dimev *de, uint32_t n, uint32_t *crowd)
{
	uint32_t n_int = 0, cnt = 0, i = 0, *counts, *start, *most;
	struct spans sp = { NULL, 0, 0 };
	struct rmq q = { 0, NULL };
	int rc = -1;

	if (de->n_rules == 1) {      /* alone here: no other rule to share an interval with */
		for (uint32_t k = 0; k < de->n_dp; k++)
			crowd[de->dp[k].pred] = 1;
		return 0;
	}
	counts = malloc(((size_t)de->n_ev + 1) * sizeof(uint32_t));
	start = malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
	most = start;                        /* the same array, once the spans are in */
	if (!counts || !start)
		goto out;
	sweep_start(sw, de);
	if (de->n_ev && nfqr_key_cmp(de->ev[0].at, (struct nfqr_key){ 0, 0 }) == 0)
		sweep_point(sw, de, &i);     /* edges at 0 shape the first interval */
	for (uint32_t k = 0; k < de->n_rules; k++)
		if (rule_holds(sw, de->rules[k])) {
			start[de->rules[k]] = 0;
			cnt++;
		}
	counts[n_int++] = cnt;               /* the interval from key 0 */
	while (i < de->n_ev) {
		sweep_point(sw, de, &i);
		if (!sw->n_touched)
			continue;                /* the same rules hold: the same interval */
		for (uint32_t k = 0; k < sw->n_touched; k++) {
			uint32_t r = sw->touched[k];

			if (rule_holds(sw, r)) {
				start[r] = n_int;
				cnt++;
			} else {
				cnt--;
				if (!span_add(&sp, r, start[r], n_int))
					goto out;
			}
		}
		counts[n_int++] = cnt;
	}
	for (uint32_t k = 0; k < de->n_rules; k++)      /* open to the end */
		if (rule_holds(sw, de->rules[k]) &&
		    !span_add(&sp, de->rules[k], start[de->rules[k]], n_int))
			goto out;
	if (rmq_build(&q, counts, n_int))
		goto out;
	for (uint32_t k = 0; k < de->n_rules; k++)
		most[de->rules[k]] = 0;
	for (uint32_t k = 0; k < sp.n; k++) {
		uint32_t m = rmq_max(&q, sp.v[k].a, sp.v[k].b);

		if (m > most[sp.v[k].rule])
			most[sp.v[k].rule] = m;
	}
	for (uint32_t k = 0; k < de->n_dp; k++)
		crowd[de->dp[k].pred] = most[de->dp[k].rule];
	rc = 0;
out:
	free(q.t);
	free(sp.v);
	free(counts);
	free(start);
	return rc;
}

/* Deduplicated class lists: a hash of each list (order-independent sum of
 * mixed rule numbers, kept up to date as rules come and go) picks the
 * candidates, a comparison decides. */
struct classes {
	struct nfqr_classifier *c;
	uint32_t cap_lists, cap_classes;
	uint64_t *hash;              /* per class */
	uint32_t *slot, slots;       /* class + 1, 0 empty; open addressing */
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static int class_grow_slots(struct classes *cl)
{
	uint32_t ns = cl->slots ? cl->slots * 2 : 1024, *nv = calloc(ns, sizeof(*nv));

	if (!nv)
		return -1;
	for (uint32_t i = 0; i < cl->slots; i++) {
		uint32_t v = cl->slot[i], k;

		if (!v)
			continue;
		for (k = (uint32_t)cl->hash[v - 1] & (ns - 1); nv[k]; k = (k + 1) & (ns - 1))
			;
		nv[k] = v;
	}
	free(cl->slot);
	cl->slot = nv;
	cl->slots = ns;
	return 0;
}

/* The class of list[0..n) (ascending), added if new; UINT32_MAX: no memory. */
static uint32_t class_of(struct classes *cl, const uint32_t *list, uint32_t n, uint64_t h)
{
	struct nfqr_classifier *c = cl->c;
	uint32_t k;

	if (!n)
		return 0;
	h = mix(h ^ n);
	if (2 * (c->n_classes + 1) > cl->slots && class_grow_slots(cl))
		return UINT32_MAX;
	for (k = (uint32_t)h & (cl->slots - 1); cl->slot[k]; k = (k + 1) & (cl->slots - 1)) {
		uint32_t x = cl->slot[k] - 1;

		if (cl->hash[x] == h && c->list_off[x + 1] - c->list_off[x] == n &&
		    !memcmp(c->list_rules + c->list_off[x], list, n * sizeof(*list)))
			return x;
	}
	if (c->n_classes + 1 >= cl->cap_classes) {
		uint32_t nc = cl->cap_classes * 2;
		uint32_t *no = realloc(c->list_off, (nc + 1) * sizeof(*no));
		uint64_t *nh = no ? realloc(cl->hash, nc * sizeof(*nh)) : NULL;

		if (no)
			c->list_off = no;
		if (!nh)
			return UINT32_MAX;
		cl->hash = nh;
		cl->cap_classes = nc;
	}
	while (c->list_off[c->n_classes] + n > cl->cap_lists) {
		uint32_t *nl = realloc(c->list_rules, 2 * (size_t)cl->cap_lists * sizeof(*nl));

		if (!nl)
			return UINT32_MAX;
		c->list_rules = nl;
		cl->cap_lists *= 2;
	}
	memcpy(c->list_rules + c->list_off[c->n_classes], list, n * sizeof(*list));
	cl->hash[c->n_classes] = h;
	c->list_off[c->n_classes + 1] = c->list_off[c->n_classes] + n;
	cl->slot[k] = ++c->n_classes;
	return c->n_classes - 1;
}

/*
 * The intervals of dimension j and their classes: the sweep again, now
 * keeping the primary rules of j that hold as a sorted list; an interval
 * starts where that list changes.
 */
static int build_intervals(struct nfqr_classifier *c, struct classes *cl, struct sweep *sw,
			   struct dimev *de, const uint32_t *prim, uint32_t j)
{
	struct dim *d = &c->dims[j];
	uint32_t *set = malloc((de->n_rules ? de->n_rules : 1) * sizeof(uint32_t));
	uint32_t n_set = 0, nb = 0, i = 0, cls;
	uint64_t h = 0;
	int rc = -1;

	d->bounds = malloc(((size_t)de->n_ev + 1) * sizeof(*d->bounds));
	d->cls = malloc(((size_t)de->n_ev + 1) * sizeof(*d->cls));
	if (!set || !d->bounds || !d->cls)
		goto out;
	sweep_start(sw, de);
	if (de->n_ev && nfqr_key_cmp(de->ev[0].at, (struct nfqr_key){ 0, 0 }) == 0)
		sweep_point(sw, de, &i);     /* edges at 0 shape the first interval */
	for (uint32_t k = 0; k < de->n_rules; k++) {
		uint32_t r = de->rules[k];

		if (prim[r] == j && rule_holds(sw, r)) {
			set[n_set++] = r;
			h += mix(r);
		}
	}
	for (;;) {
		struct nfqr_key at = nb ? de->ev[i - 1].at : (struct nfqr_key){ 0, 0 };

		cls = class_of(cl, set, n_set, h);
		if (cls == UINT32_MAX)
			goto out;
		if (!nb || d->cls[nb - 1] != cls) {
			d->bounds[nb] = at;
			d->cls[nb++] = cls;
		}
		for (;;) {                   /* to the next point where the list changes */
			bool changed = false;

			if (i == de->n_ev)
				goto done;
			sweep_point(sw, de, &i);
			for (uint32_t k = 0; k < sw->n_touched; k++) {
				uint32_t r = sw->touched[k], lo = 0, hi = n_set;

				if (prim[r] != j)
					continue;
				while (lo < hi) {    /* where r is or goes */
					uint32_t mid = lo + (hi - lo) / 2;

					if (set[mid] < r)
						lo = mid + 1;
					else
						hi = mid;
				}
				if (rule_holds(sw, r)) {
					memmove(set + lo + 1, set + lo, (n_set - lo) * sizeof(*set));
					set[lo] = r;
					n_set++;
					h += mix(r);
				} else {
					memmove(set + lo, set + lo + 1, (n_set - lo - 1) * sizeof(*set));
					n_set--;
					h -= mix(r);
				}
				changed = true;
			}
			if (changed)
				break;
		}
	}
done:
	d->n_bounds = nb;
	{                                    /* give back what the edges did not use */
		struct nfqr_key *nbnd = realloc(d->bounds, nb * sizeof(*nbnd));
		uint32_t *ncls = realloc(d->cls, nb * sizeof(*ncls));

		if (nbnd)
			d->bounds = nbnd;
		if (ncls)
			d->cls = ncls;
	}
	c->bytes += nb * (sizeof(*d->bounds) + sizeof(*d->cls));
	rc = 0;
out:
	free(set);
	return rc;
}

static int range_cmp(const void *a, const void *b)
{
	return nfqr_key_cmp(((const struct nfqr_range *)a)->lo, ((const struct nfqr_range *)b)->lo);
}

/* p's ranges, sorted and merged, into out; returns how many. */
static uint32_t normalize(const struct nfqr_pred *p, struct nfqr_range *out)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < p->n_ranges; i++)
		if (nfqr_key_cmp(p->ranges[i].hi, p->ranges[i].lo) >= 0)
			out[n++] = p->ranges[i];
	qsort(out, n, sizeof(*out), range_cmp);
	if (!n)
		return 0;
	uint32_t m = 0;

	for (uint32_t i = 1; i < n; i++) {
		bool wrap;
		struct nfqr_key next = nfqr_key_inc(out[m].hi, &wrap);

		if (wrap || nfqr_key_cmp(out[i].lo, next) <= 0) {   /* overlaps or touches */
			if (nfqr_key_cmp(out[i].hi, out[m].hi) > 0)
				out[m].hi = out[i].hi;
		} else {
			out[++m] = out[i];
		}
	}
	return m + 1;
}

static uint32_t find_interval(const struct dim *d, struct nfqr_key k)
{
	uint32_t lo, hi;
	uint64_t b;

	if (nfqr_key_cmp(k, d->base) < 0)
		return 0;
	b = key_shr_sat(key_sub(k, d->base), d->shift);
	if (b >= d->n_buckets)
		return d->n_bounds - 1;        /* past the last bound */
	lo = d->bucket[b];
	hi = d->bucket[b + 1] + 1;
	while (hi - lo > 1) {                  /* bounds[lo] <= k < bounds[hi] */
		uint32_t mid = lo + (hi - lo) / 2;

		if (nfqr_key_cmp(d->bounds[mid], k) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The primary dimension of every rule: the least crowded of its predicates,
 * then the most selective; a content rule without a selective match is
 * indexed by its content.  Then its other predicates, to be tested by value.
 */
static int choose(struct nfqr_classifier *c, const struct nfqr_rule *rules, uint32_t n,
		  const uint32_t *pdim, const uint32_t *crowd, uint32_t *prim)
{
	uint32_t r, i, p, k = 0, n_checks = 0, n_ranges = 0;

	for (r = 0, p = 0; r < n; r++) {
		double best = 2, prim_share = 2;
		uint32_t prim_crowd = UINT32_MAX;

		prim[r] = c->n_dims;                 /* none: always a candidate */
		for (i = 0; i < rules[r].n_preds; i++, p++) {
			double sh = pred_share(&rules[r].preds[i]);

			if (sh < best)
				best = sh;
			if (crowd[p] < prim_crowd || (crowd[p] == prim_crowd && sh < prim_share)) {
				prim_crowd = crowd[p];
				prim_share = sh;
				prim[r] = pdim[p];
			}
		}
		if (rules[r].n_content && best > NFQR_CONTENT_PRIMARY_SHARE) {
			c->by_content[r] = 1;        /* checked in all its dimensions */
			c->n_by_content++;
			prim[r] = c->n_dims + 1;
		} else if (prim[r] == c->n_dims) {
			c->always[c->n_always++] = r;
		}
	}
	for (r = 0, p = 0; r < n; r++)
		for (i = 0; i < rules[r].n_preds; i++, p++)
			if (pdim[p] != prim[r]) {
				n_checks++;
				n_ranges += rules[r].preds[i].n_ranges;
			}
	c->checks = xcalloc(n_checks, sizeof(*c->checks), &c->bytes);
	c->ranges = xcalloc(n_ranges, sizeof(*c->ranges), &c->bytes);
	if (!c->checks || !c->ranges)
		return -1;
	n_ranges = 0;
	for (r = 0, p = 0; r < n; r++) {
		c->check_off[r] = k;
		for (i = 0; i < rules[r].n_preds; i++, p++) {
			struct cpred *cp = &c->checks[k];

			if (pdim[p] == prim[r])
				continue;
			cp->dim = pdim[p];
			cp->negated = rules[r].preds[i].negated;
			cp->r = c->ranges + n_ranges;
			cp->n = normalize(&rules[r].preds[i], c->ranges + n_ranges);
			n_ranges += cp->n;
			k++;
		}
	}
	c->check_off[n] = k;
	return 0;
}

struct nfqr_classifier *nfqr_classifier_build(const struct nfqr_rule *rules, uint32_t n)
{
	struct nfqr_classifier *c = calloc(1, sizeof(*c));
	struct classes cl = { .c = c, .cap_lists = 1024, .cap_classes = 1024 };
	struct sweep sw = { 0 };
	struct dimev *de = NULL;
	uint32_t r, i, j, p, cap = 0, n_preds = 0, *pdim = NULL, *crowd = NULL, *prim = NULL;

	if (!c)
		return NULL;
	c->n_rules = n;
	for (r = 0; r < n; r++)
		for (i = 0; i < rules[r].n_preds; i++, n_preds++) {
			const struct nfqr_pred *q = &rules[r].preds[i];

			if (dim_of(c, q) < c->n_dims)
				continue;
			if (c->n_dims == cap) {
				struct dim *nd = realloc(c->dims, (cap ? cap * 2 : 8) * sizeof(*nd));

				if (!nd)
					goto fail;
				c->dims = nd;
				cap = cap ? cap * 2 : 8;
			}
			c->dims[c->n_dims++] = (struct dim){ .field = q->field, .mask = pred_mask(q),
							     .arg = q->arg };
		}
	pdim = xcalloc(n_preds, sizeof(*pdim), NULL);
	crowd = xcalloc(n_preds, sizeof(*crowd), NULL);
	prim = xcalloc(n, sizeof(*prim), NULL);
	de = xcalloc(c->n_dims, sizeof(*de), NULL);
	sw.npreds = xcalloc(n, sizeof(uint32_t), NULL);
	sw.sat = xcalloc(n, sizeof(uint32_t), NULL);
	sw.was = xcalloc(n, 1, NULL);
	sw.touched = xcalloc(n, sizeof(uint32_t), NULL);
	c->list_off = xcalloc(cl.cap_classes + 1, sizeof(uint32_t), NULL);
	c->list_rules = xcalloc(cl.cap_lists, sizeof(uint32_t), NULL);
	cl.hash = xcalloc(cl.cap_classes, sizeof(uint64_t), NULL);
	c->check_off = xcalloc(n + 1, sizeof(uint32_t), &c->bytes);
	c->always = xcalloc(n, sizeof(uint32_t), &c->bytes);
	c->by_content = xcalloc(n, 1, &c->bytes);
	if (!pdim || !crowd || !prim || !de || !sw.npreds || !sw.sat || !sw.was || !sw.touched ||
	    !c->list_off || !c->list_rules || !cl.hash || !c->check_off || !c->always ||
	    !c->by_content)
		goto fail;
	c->n_classes = 1;                            /* class 0: the empty list */
	for (r = 0, p = 0; r < n; r++)
		for (i = 0; i < rules[r].n_preds; i++)
			pdim[p++] = dim_of(c, &rules[r].preds[i]);
	if (collect(c, rules, n, pdim, de))
		goto fail;
	for (j = 0; j < c->n_dims; j++)
		if (crowding(&sw, &de[j], n, crowd))
			goto fail;
	if (choose(c, rules, n, pdim, crowd, prim))
		goto fail;
	for (j = 0; j < c->n_dims; j++) {
		bool some = false;

		for (uint32_t k = 0; k < de[j].n_rules && !some; k++)
			some = prim[de[j].rules[k]] == j;
		c->dims[j].lazy = !some;
		if (some && (build_intervals(c, &cl, &sw, &de[j], prim, j) ||
			     build_buckets(&c->dims[j])))
			goto fail;
		c->bytes += ((size_t)c->dims[j].n_buckets + 1) * sizeof(uint32_t);
		free(de[j].dp);
		free(de[j].ev);
		free(de[j].rules);
		de[j] = (struct dimev){ 0 };
	}
	c->bytes += sizeof(*c) + c->n_dims * sizeof(*c->dims) +
		    ((size_t)c->n_classes + 1 + c->list_off[c->n_classes]) * sizeof(uint32_t);
	goto out;
fail:
	for (j = 0; de && j < c->n_dims; j++) {
		free(de[j].dp);
		free(de[j].ev);
		free(de[j].rules);
	}
	nfqr_classifier_free(c);
	c = NULL;
out:
	free(de);
	free(pdim);
	free(crowd);
	free(prim);
	free(sw.npreds);
	free(sw.sat);
	free(sw.was);
	free(sw.touched);
	free(cl.hash);
	free(cl.slot);
	return c;
}

void nfqr_classifier_free(struct nfqr_classifier *c)
{
	if (!c)
		return;
	for (uint32_t j = 0; j < c->n_dims; j++) {
		free(c->dims[j].bounds);
		free(c->dims[j].cls);
		free(c->dims[j].bucket);
	}
	free(c->dims);
	free(c->list_off);
	free(c->list_rules);
	free(c->always);
	free(c->check_off);
	free(c->checks);
	free(c->ranges);
	free(c->by_content);
	free(c);
}

/* ---- per packet ----------------------------------------------------------- */

struct nfqr_cls_scratch *nfqr_classifier_scratch_new(const struct nfqr_classifier *c)
{
	struct nfqr_cls_scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->kstate = calloc(c->n_dims + 1, sizeof(*s->kstate));
	s->key = calloc(c->n_dims + 1, sizeof(*s->key));
	s->head = calloc(c->n_dims + 1, sizeof(*s->head));
	s->end = calloc(c->n_dims + 1, sizeof(*s->end));
	if (!s->kstate || !s->key || !s->head || !s->end) {
		nfqr_classifier_scratch_free(s);
		return NULL;
	}
	return s;
}

void nfqr_classifier_scratch_free(struct nfqr_cls_scratch *s)
{
	if (!s)
		return;
	free(s->kstate);
	free(s->key);
	free(s->head);
	free(s->end);
	free(s);
}

/* The packet's key in dimension j, masked; false when it lacks the field. */
static bool dim_key(const struct nfqr_classifier *c, struct nfqr_cls_scratch *s, uint32_t j)
{
	const struct dim *d = &c->dims[j];

	if (s->kstate[j] == KEY_UNKNOWN) {
		if (!nfqr_field_key(d->field, d->arg, s->view, &s->key[j])) {
			s->kstate[j] = KEY_ABSENT;
		} else {
			if (d->field != NFQR_F_IP6_SADDR && d->field != NFQR_F_IP6_DADDR)
				s->key[j].lo &= d->mask;
			s->kstate[j] = KEY_PRESENT;
		}
	}
	return s->kstate[j] == KEY_PRESENT;
}

/* A predicate on a key: in one of its sorted ranges, or not when negated. */
static bool cpred_holds(const struct cpred *cp, struct nfqr_key k)
{
	uint32_t lo = 0, hi = cp->n;

	while (lo < hi) {                    /* the first range starting above k */
		uint32_t mid = lo + (hi - lo) / 2;

		if (nfqr_key_cmp(cp->r[mid].lo, k) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo > 0 && nfqr_key_cmp(k, cp->r[lo - 1].hi) <= 0) != cp->negated;
}

/*
 * Rule r holds in every predicate outside its primary dimension.  A
 * dimension's key is read once per packet, when a candidate first needs it
 * (`meta l4proto`, `iifname` beside a port): a dimension costs a packet
 * nothing until then.  A field the packet lacks fails, negated or not.
 */
static bool holds_elsewhere(const struct nfqr_classifier *c, struct nfqr_cls_scratch *s,
			    uint32_t r)
{
	for (uint32_t i = c->check_off[r]; i < c->check_off[r + 1]; i++) {
		const struct cpred *cp = &c->checks[i];

		if (!dim_key(c, s, cp->dim) || !cpred_holds(cp, s->key[cp->dim]))
			return false;
	}
	return true;
}

uint32_t nfqr_classifier_n_by_content(const struct nfqr_classifier *c)
{
	return c->n_by_content;
}

bool nfqr_classifier_by_content(const struct nfqr_classifier *c, uint32_t rule)
{
	return c->by_content[rule];
}

bool nfqr_classifier_holds(const struct nfqr_classifier *c, struct nfqr_cls_scratch *s,
			   uint32_t rule)
{
	return holds_elsewhere(c, s, rule);
}

uint32_t nfqr_classifier_match(const struct nfqr_classifier *c, struct nfqr_cls_scratch *s,
			       const struct nfqr_view *v, uint32_t *out)
{
	uint32_t j, k = 0, n = 0;

	s->view = v;
	memset(s->kstate, KEY_UNKNOWN, c->n_dims);
	for (j = 0; j < c->n_dims; j++) {
		const struct dim *d = &c->dims[j];
		uint32_t cls;

		if (d->lazy || !dim_key(c, s, j))
			continue;            /* no list here, or the packet lacks the field */
		cls = d->cls[find_interval(d, s->key[j])];
		if (c->list_off[cls] != c->list_off[cls + 1]) {
			s->head[k] = c->list_rules + c->list_off[cls];
			s->end[k++] = c->list_rules + c->list_off[cls + 1];
		}
	}
	if (c->n_always) {
		s->head[k] = c->always;
		s->end[k++] = c->always + c->n_always;
	}
	/* The lists are sorted and disjoint (a rule is listed only under its
	 * primary dimension): merge them in rule order. */
	while (k) {
		uint32_t best = 0, r;

		for (j = 1; j < k; j++)
			if (*s->head[j] < *s->head[best])
				best = j;
		r = *s->head[best]++;
		if (s->head[best] == s->end[best]) {
			k--;
			s->head[best] = s->head[k];
			s->end[best] = s->end[k];
		}
		if (holds_elsewhere(c, s, r))
			out[n++] = r;
	}
	return n;
}

uint32_t nfqr_classifier_dims(const struct nfqr_classifier *c) { return c->n_dims; }
uint32_t nfqr_classifier_classes(const struct nfqr_classifier *c) { return c->n_classes; }
size_t nfqr_classifier_bytes(const struct nfqr_classifier *c) { return c->bytes; }
