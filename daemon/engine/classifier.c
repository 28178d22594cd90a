/* SPDX-License-Identifier: GPL-2.0-only */
#include "classifier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bitvec.h"
#include "ruleset.h"

struct dim {
	uint8_t  field;
	uint32_t mask;
	uint32_t arg;                /* of a parametrized field: @th,16,16 and @th,0,16 differ */
	uint32_t n_bounds;
	struct nfqr_key *bounds;     /* interval starts, bounds[0] = 0 */
	uint32_t *cls;               /* class of each interval */
	uint32_t absent;             /* class of "field absent": only rules that do not test it */
	/* No rule has this dimension as its primary: nothing to look up until a
	 * candidate rule must be checked in it (see holds_elsewhere). */
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

struct nfqr_classifier {
	uint32_t n_rules, words;
	uint32_t n_dims;
	struct dim *dims;
	uint64_t *bvs;               /* all classes of all dims, `words` each */
	uint32_t n_classes, cap_classes;
	uint32_t *dim_base;          /* first class index of each dim; [n_dims] = n_classes */
	/* candidate lists: per class, the rules whose primary dimension it
	 * is and that the class admits (list_off[n_classes] = end) */
	uint32_t *list_off, *list_rules;
	uint32_t *always, n_always;  /* rules without predicates */
	/* per rule, the dimensions other than its primary that it tests */
	uint32_t *check_off, *check_dims;
	uint8_t *by_content;         /* per rule: indexed by its content terms */
	uint32_t n_by_content;
};

/* s->cls[] of a lazy dimension not looked up yet for this packet */
#define NFQR_CLS_UNKNOWN UINT32_MAX

struct nfqr_cls_scratch {
	const struct nfqr_view *view;    /* of the last nfqr_classifier_match */
	uint32_t *cls;               /* per dimension: the packet's class */
	const uint32_t **head, **end;    /* lists being merged */
};

struct event {
	struct nfqr_key at;
	uint32_t pred;
	int delta;
};

struct dpred {                   /* a predicate of this dimension */
	uint32_t rule;
	bool negated;
	int inside;
};

static int event_cmp(const void *a, const void *b)
{
	return nfqr_key_cmp(((const struct event *)a)->at, ((const struct event *)b)->at);
}

/* Bit vectors are deduplicated per dimension by a small hash table. */
struct dedupe {
	uint32_t *slot;              /* class index + 1, 0 empty */
	uint32_t cap;
};

static uint64_t bv_hash(const uint64_t *b, uint32_t words)
{
	uint64_t h = 1469598103934665603ULL;

	for (uint32_t i = 0; i < words; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

static int add_class(struct nfqr_classifier *c, struct dedupe *dd, uint32_t base,
		     const uint64_t *bv, uint32_t *out)
{
	uint64_t h = bv_hash(bv, c->words);
	uint32_t i, n_dim = c->n_classes - base;

	if (2 * (n_dim + 1) > dd->cap) {          /* grow and rehash */
		uint32_t ncap = dd->cap ? dd->cap * 2 : 64;
		uint32_t *ns = calloc(ncap, sizeof(*ns));

		if (!ns)
			return -1;
		for (i = 0; i < dd->cap; i++) {
			uint32_t v = dd->slot[i], j;

			if (!v)
				continue;
			j = (uint32_t)(bv_hash(c->bvs + (uint64_t)(v - 1) * c->words, c->words) & (ncap - 1));
			while (ns[j])
				j = (j + 1) & (ncap - 1);
			ns[j] = v;
		}
		free(dd->slot);
		dd->slot = ns;
		dd->cap = ncap;
	}
	for (i = (uint32_t)(h & (dd->cap - 1)); dd->slot[i]; i = (i + 1) & (dd->cap - 1)) {
		uint32_t k = dd->slot[i] - 1;

		if (memcmp(c->bvs + (uint64_t)k * c->words, bv, c->words * 8) == 0) {
			*out = k;
			return 0;
		}
	}
	if (c->n_classes == c->cap_classes) {
		uint32_t ncap = c->cap_classes ? c->cap_classes * 2 : 16;
		uint64_t *nb = realloc(c->bvs, (uint64_t)ncap * c->words * 8);

		if (!nb)
			return -1;
		c->bvs = nb;
		c->cap_classes = ncap;
	}
	memcpy(c->bvs + (uint64_t)c->n_classes * c->words, bv, c->words * 8);
	dd->slot[i] = c->n_classes + 1;
	*out = c->n_classes++;
	return 0;
}

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

static int build_dim(struct nfqr_classifier *c, const struct nfqr_rule *rules,
		     uint32_t n, struct dim *d)
{
	uint32_t n_preds = 0, n_ev = 0, r, i, j, k, nb = 0, cls;
	struct dpred *dp = NULL;
	struct event *ev = NULL;
	uint32_t *npreds = calloc(n ? n : 1, sizeof(uint32_t));
	uint32_t *sat = calloc(n ? n : 1, sizeof(uint32_t));
	uint64_t *bv = calloc(c->words ? c->words : 1, 8);
	uint64_t *absent = calloc(c->words ? c->words : 1, 8);
	struct dedupe dd = { NULL, 0 };
	uint32_t base = c->n_classes;
	int rc = -1;

	if (!npreds || !sat || !bv || !absent)
		goto out;
	for (r = 0; r < n; r++)
		for (i = 0; i < rules[r].n_preds; i++) {
			const struct nfqr_pred *p = &rules[r].preds[i];

			if (dim_is(d, p)) {
				n_preds++;
				n_ev += 2 * p->n_ranges;
			}
		}
	dp = calloc(n_preds ? n_preds : 1, sizeof(*dp));
	ev = calloc(n_ev ? n_ev : 1, sizeof(*ev));
	d->bounds = calloc(n_ev + 1, sizeof(*d->bounds));
	d->cls = calloc(n_ev + 1, sizeof(*d->cls));
	if (!dp || !ev || !d->bounds || !d->cls)
		goto out;
	for (r = 0, k = 0, n_ev = 0; r < n; r++)
		for (i = 0; i < rules[r].n_preds; i++) {
			const struct nfqr_pred *p = &rules[r].preds[i];

			if (!dim_is(d, p))
				continue;
			dp[k] = (struct dpred){ r, p->negated, 0 };
			npreds[r]++;
			if (p->negated)
				sat[r]++;          /* outside every range: a negation holds */
			for (j = 0; j < p->n_ranges; j++) {
				bool wrap;
				struct nfqr_key end = nfqr_key_inc(p->ranges[j].hi, &wrap);

				if (nfqr_key_cmp(p->ranges[j].hi, p->ranges[j].lo) < 0)
					continue;      /* empty range */
				ev[n_ev++] = (struct event){ p->ranges[j].lo, k, +1 };
				if (!wrap)
					ev[n_ev++] = (struct event){ end, k, -1 };
			}
			k++;
		}
	for (r = 0; r < n; r++) {
		if (npreds[r] == 0)
			bv_set(absent, r);
		if (sat[r] == npreds[r])
			bv_set(bv, r);
	}
	if (add_class(c, &dd, base, absent, &d->absent))   /* class `base` */
		goto out;
	qsort(ev, n_ev, sizeof(*ev), event_cmp);
	i = 0;
	for (;;) {
		struct nfqr_key at = i < n_ev ? ev[i].at : (struct nfqr_key){ 0, 0 };

		if (nb == 0 && (i == n_ev || nfqr_key_cmp(at, (struct nfqr_key){ 0, 0 }) != 0))
			at = (struct nfqr_key){ 0, 0 };    /* first interval starts at 0 */
		else if (i == n_ev)
			break;
		for (; i < n_ev && nfqr_key_cmp(ev[i].at, at) == 0; i++) {
			struct dpred *q = &dp[ev[i].pred];
			bool was = (q->inside > 0) != q->negated, now;

			q->inside += ev[i].delta;
			now = (q->inside > 0) != q->negated;
			if (was == now)
				continue;
			sat[q->rule] += now ? 1 : (uint32_t)-1;
			if (sat[q->rule] == npreds[q->rule])
				bv_set(bv, q->rule);
			else
				bv_clear(bv, q->rule);
		}
		if (add_class(c, &dd, base, bv, &cls))
			goto out;
		/* consecutive intervals with the same class merge */
		if (nb == 0 || d->cls[nb - 1] != cls) {
			d->bounds[nb] = at;
			d->cls[nb++] = cls;
		}
		if (i == n_ev)
			break;
	}
	d->n_bounds = nb;
	rc = 0;
out:
	free(dp); free(ev); free(npreds); free(sat); free(bv); free(absent); free(dd.slot);
	return rc;
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

static uint32_t dim_of(const struct nfqr_classifier *c, const struct nfqr_pred *p)
{
	uint32_t j;

	for (j = 0; j < c->n_dims; j++)
		if (dim_is(&c->dims[j], p))
			break;
	return j;
}

/*
 * crowd[] (one entry per predicate of every rule, rule after rule) = the
 * most rules testing the predicate's dimension that one class of it admits
 * together with the rule: the longest list the rule would join there.  The
 * share of a field alone misjudges rules that share a value: 600 rules
 * `tcp dport 22 ip daddr 172.x.0.0/16` would all be listed under dport 22,
 * and a packet to port 22 would check 600 candidates.
 */
static int crowding(const struct nfqr_classifier *c, const struct nfqr_rule *rules, uint32_t n,
		    const uint32_t *pdim, uint32_t *crowd)
{
	uint64_t *tests = malloc((c->words ? c->words : 1) * 8);
	uint32_t *most = malloc((n ? n : 1) * sizeof(*most));
	uint32_t r, i, j, k, w, p;

	if (!tests || !most) {
		free(tests);
		free(most);
		return -1;
	}
	for (j = 0; j < c->n_dims; j++) {
		memset(tests, 0, c->words * 8);
		memset(most, 0, n * sizeof(*most));
		for (r = 0, p = 0; r < n; r++)
			for (i = 0; i < rules[r].n_preds; i++, p++)
				if (pdim[p] == j)
					bv_set(tests, r);
		for (k = c->dim_base[j]; k < c->dim_base[j + 1]; k++) {
			const uint64_t *b = c->bvs + (uint64_t)k * c->words;
			uint32_t cnt = 0;

			for (w = 0; w < c->words; w++)
				cnt += (uint32_t)__builtin_popcountll(b[w] & tests[w]);
			for (w = 0; w < c->words; w++)
				for (uint64_t x = b[w] & tests[w]; x; x &= x - 1) {
					r = w * 64 + (uint32_t)__builtin_ctzll(x);
					if (cnt > most[r])
						most[r] = cnt;
				}
		}
		for (r = 0, p = 0; r < n; r++)
			for (i = 0; i < rules[r].n_preds; i++, p++)
				if (pdim[p] == j)
					crowd[p] = most[r];
	}
	free(tests);
	free(most);
	return 0;
}

/* Primary dimension of every rule, then the candidate list of every class
 * and the dimensions each rule must still be checked in. */
static int build_lists(struct nfqr_classifier *c, const struct nfqr_rule *rules, uint32_t n)
{
	uint32_t *prim = calloc(n ? n : 1, sizeof(*prim));
	uint64_t *pm = calloc(c->words ? c->words : 1, 8);
	uint32_t r, i, j, k, w, p, total = 0, n_checks = 0;
	uint32_t *pdim = NULL, *crowd = NULL;
	int rc = -1;

	for (r = 0; r < n; r++)
		n_checks += rules[r].n_preds;
	pdim = calloc(n_checks ? n_checks : 1, sizeof(*pdim));
	crowd = calloc(n_checks ? n_checks : 1, sizeof(*crowd));
	c->list_off = calloc(c->n_classes + 1, sizeof(uint32_t));
	c->check_off = calloc(n + 1, sizeof(uint32_t));
	c->always = calloc(n ? n : 1, sizeof(uint32_t));
	c->by_content = calloc(n ? n : 1, 1);
	if (!prim || !pm || !pdim || !crowd || !c->list_off || !c->check_off || !c->always ||
	    !c->by_content)
		goto out;
	for (r = 0, p = 0; r < n; r++)
		for (i = 0; i < rules[r].n_preds; i++)
			pdim[p++] = dim_of(c, &rules[r].preds[i]);
	if (crowding(c, rules, n, pdim, crowd))
		goto out;
	/* the primary: the least crowded predicate, then the most selective */
	for (r = 0, p = 0; r < n; r++) {
		double best = 2, prim_share = 2;
		uint32_t prim_crowd = UINT32_MAX;

		prim[r] = c->n_dims;           /* none: always a candidate */
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
			c->by_content[r] = 1;      /* checked in all its dimensions */
			c->n_by_content++;
			prim[r] = c->n_dims + 1;
		} else if (prim[r] == c->n_dims) {
			c->always[c->n_always++] = r;
		}
	}
	/* two passes over every class: count, then fill */
	for (int pass = 0; pass < 2; pass++) {
		for (j = 0; j < c->n_dims; j++) {
			memset(pm, 0, c->words * 8);
			for (r = 0; r < n; r++)
				if (prim[r] == j)
					bv_set(pm, r);
			for (k = c->dim_base[j]; k < c->dim_base[j + 1]; k++) {
				const uint64_t *b = c->bvs + (uint64_t)k * c->words;
				uint32_t at = c->list_off[k];

				for (w = 0; w < c->words; w++)
					for (uint64_t x = b[w] & pm[w]; x; x &= x - 1) {
						if (pass)
							c->list_rules[at++] = w * 64 + (uint32_t)__builtin_ctzll(x);
						else
							c->list_off[k + 1]++;
					}
			}
		}
		if (pass)
			break;
		for (k = 0; k < c->n_classes; k++)
			c->list_off[k + 1] += c->list_off[k];
		total = c->list_off[c->n_classes];
		c->list_rules = calloc(total ? total : 1, sizeof(uint32_t));
		if (!c->list_rules)
			goto out;
	}
	/* other dimensions per rule, each once */
	c->check_dims = calloc(n_checks ? n_checks : 1, sizeof(uint32_t));
	if (!c->check_dims)
		goto out;
	for (r = 0, k = 0, p = 0; r < n; r++) {
		c->check_off[r] = k;
		for (i = 0; i < rules[r].n_preds; i++) {
			uint32_t d = pdim[p++], m;

			for (m = c->check_off[r]; m < k && c->check_dims[m] != d; m++)
				;
			if (d != prim[r] && m == k)
				c->check_dims[k++] = d;
		}
	}
	c->check_off[n] = k;
	for (j = 0; j < c->n_dims; j++)
		c->dims[j].lazy = c->list_off[c->dim_base[j]] == c->list_off[c->dim_base[j + 1]];
	rc = 0;
out:
	free(prim);
	free(pm);
	free(pdim);
	free(crowd);
	return rc;
}

struct nfqr_classifier *nfqr_classifier_build(const struct nfqr_rule *rules, uint32_t n)
{
	struct nfqr_classifier *c = calloc(1, sizeof(*c));
	uint32_t r, i, j, cap = 0;

	if (!c)
		return NULL;
	c->n_rules = n;
	c->words = bv_words(n);
	for (r = 0; r < n; r++)
		for (i = 0; i < rules[r].n_preds; i++) {
			const struct nfqr_pred *p = &rules[r].preds[i];

			if (dim_of(c, p) < c->n_dims)
				continue;
			if (c->n_dims == cap) {
				struct dim *nd = realloc(c->dims, (cap ? cap * 2 : 8) * sizeof(*nd));

				if (!nd)
					goto fail;
				c->dims = nd;
				cap = cap ? cap * 2 : 8;
			}
			c->dims[c->n_dims++] = (struct dim){ .field = p->field, .mask = pred_mask(p),
							     .arg = p->arg };
		}
	c->dim_base = calloc(c->n_dims + 1, sizeof(uint32_t));
	if (!c->dim_base)
		goto fail;
	for (j = 0; j < c->n_dims; j++) {
		c->dim_base[j] = c->n_classes;
		if (build_dim(c, rules, n, &c->dims[j]) || build_buckets(&c->dims[j]))
			goto fail;
	}
	c->dim_base[c->n_dims] = c->n_classes;
	if (build_lists(c, rules, n))
		goto fail;
	return c;
fail:
	nfqr_classifier_free(c);
	return NULL;
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
	free(c->dim_base);
	free(c->bvs);
	free(c->list_off);
	free(c->list_rules);
	free(c->always);
	free(c->check_off);
	free(c->check_dims);
	free(c->by_content);
	free(c);
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

struct nfqr_cls_scratch *nfqr_classifier_scratch_new(const struct nfqr_classifier *c)
{
	struct nfqr_cls_scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cls = calloc(c->n_dims + 1, sizeof(*s->cls));
	s->head = calloc(c->n_dims + 1, sizeof(*s->head));
	s->end = calloc(c->n_dims + 1, sizeof(*s->end));
	if (!s->cls || !s->head || !s->end) {
		nfqr_classifier_scratch_free(s);
		return NULL;
	}
	return s;
}

void nfqr_classifier_scratch_free(struct nfqr_cls_scratch *s)
{
	if (!s)
		return;
	free(s->cls);
	free(s->head);
	free(s->end);
	free(s);
}

/* The packet's class in dimension d. */
static uint32_t dim_class(const struct dim *d, const struct nfqr_view *v)
{
	struct nfqr_key key;

	if (!nfqr_field_key(d->field, d->arg, v, &key))
		return d->absent;
	if (d->field != NFQR_F_IP6_SADDR && d->field != NFQR_F_IP6_DADDR)
		key.lo &= d->mask;
	return d->cls[find_interval(d, key)];
}

/*
 * Rule r holds in every dimension it tests besides its primary one.  The
 * lazy dimensions (secondary for every rule: `meta l4proto`, `iifname`
 * beside a port) are looked up here, once per packet and only when some
 * candidate needs them, so a dimension costs a packet nothing until then.
 */
static bool holds_elsewhere(const struct nfqr_classifier *c, struct nfqr_cls_scratch *s,
			    uint32_t r)
{
	for (uint32_t i = c->check_off[r]; i < c->check_off[r + 1]; i++) {
		uint32_t j = c->check_dims[i], cls = s->cls[j];

		if (cls == NFQR_CLS_UNKNOWN)
			cls = s->cls[j] = dim_class(&c->dims[j], s->view);
		if (!bv_test(c->bvs + (uint64_t)cls * c->words, r))
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
	for (j = 0; j < c->n_dims; j++) {
		const struct dim *d = &c->dims[j];
		uint32_t cls;

		if (d->lazy) {
			s->cls[j] = NFQR_CLS_UNKNOWN;
			continue;
		}
		cls = s->cls[j] = dim_class(d, v);
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
