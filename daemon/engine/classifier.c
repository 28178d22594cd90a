/* SPDX-License-Identifier: GPL-2.0-only */
#include "classifier.h"

#include <stdlib.h>
#include <string.h>

#include "bitvec.h"
#include "ruleset.h"

struct dim {
	uint8_t  field;
	uint32_t mask;
	uint32_t n_bounds;
	struct nfqr_key *bounds;     /* interval starts, bounds[0] = 0 */
	uint32_t *cls;               /* class of each interval */
	/* class 0 is "field absent": only rules that do not test this field */
};

struct nfqr_classifier {
	uint32_t n_rules, words;
	uint32_t n_dims;
	struct dim *dims;
	uint64_t *bvs;               /* all classes of all dims, `words` each */
	uint32_t n_classes, cap_classes;
	uint32_t *dim_base;          /* first class index of each dim */
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

			if (p->field == d->field && pred_mask(p) == d->mask) {
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

			if (p->field != d->field || pred_mask(p) != d->mask)
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
	if (add_class(c, &dd, base, absent, &cls))   /* class `base`: absent */
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
		if (nb == 0 || d->cls[nb - 1] != cls - base) {
			d->bounds[nb] = at;
			d->cls[nb++] = cls - base;
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
			uint32_t m = pred_mask(p);

			for (j = 0; j < c->n_dims; j++)
				if (c->dims[j].field == p->field && c->dims[j].mask == m)
					break;
			if (j < c->n_dims)
				continue;
			if (c->n_dims == cap) {
				struct dim *nd = realloc(c->dims, (cap ? cap * 2 : 8) * sizeof(*nd));

				if (!nd)
					goto fail;
				c->dims = nd;
				cap = cap ? cap * 2 : 8;
			}
			c->dims[c->n_dims++] = (struct dim){ .field = p->field, .mask = m };
		}
	c->dim_base = calloc(c->n_dims ? c->n_dims : 1, sizeof(uint32_t));
	if (!c->dim_base)
		goto fail;
	for (j = 0; j < c->n_dims; j++) {
		c->dim_base[j] = c->n_classes;
		if (build_dim(c, rules, n, &c->dims[j]))
			goto fail;
	}
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
	}
	free(c->dims);
	free(c->dim_base);
	free(c->bvs);
	free(c);
}

static uint32_t find_interval(const struct dim *d, struct nfqr_key k)
{
	uint32_t lo = 0, hi = d->n_bounds;   /* bounds[lo] <= k < bounds[hi] */

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (nfqr_key_cmp(d->bounds[mid], k) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

void nfqr_classifier_eval(const struct nfqr_classifier *c, const struct nfqr_view *v,
			  uint64_t *acc)
{
	uint32_t j, w;

	for (w = 0; w < c->words; w++)
		acc[w] = ~0ULL;
	if (c->n_rules % 64)
		acc[c->words - 1] = (1ULL << (c->n_rules % 64)) - 1;
	for (j = 0; j < c->n_dims; j++) {
		const struct dim *d = &c->dims[j];
		struct nfqr_key k;
		uint32_t cls = 0;              /* absent */
		const uint64_t *b;

		if (nfqr_field_key(d->field, v, &k)) {
			if (d->field != NFQR_F_IP6_SADDR && d->field != NFQR_F_IP6_DADDR)
				k.lo &= d->mask;
			cls = d->cls[find_interval(d, k)];
		}
		b = c->bvs + (uint64_t)(c->dim_base[j] + cls) * c->words;
		for (w = 0; w < c->words; w++)
			acc[w] &= b[w];
	}
}

uint32_t nfqr_classifier_dims(const struct nfqr_classifier *c) { return c->n_dims; }
uint32_t nfqr_classifier_classes(const struct nfqr_classifier *c) { return c->n_classes; }
