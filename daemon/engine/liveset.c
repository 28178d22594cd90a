// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live sets (see liveset.h): the store, versions and their reclamation,
 * element changes.  Only nfqr_lset_has() and nfqr_sets_enter/leave() run
 * on the packet path.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "liveset.h"
#include "symbols.h"

/* ---- packet path ---------------------------------------------------------- */

bool nfqr_lset_has(const struct nfqr_lset *s, struct nfqr_key k, uint64_t now_ns)
{
	const struct nfqr_lset_ver *v = atomic_load_explicit(&s->cur, memory_order_acquire);
	uint32_t lo = 0, hi;

	if (!v)
		return false;
	hi = v->n;
	while (lo < hi) {                  /* the first interval starting after k */
		uint32_t mid = lo + (hi - lo) / 2;

		if (nfqr_key_cmp(v->lo[mid], k) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && nfqr_key_cmp(k, v->hi[lo - 1]) <= 0 && v->expires[lo - 1] > now_ns;
}

void nfqr_sets_enter(struct nfqr_sets *st, uint32_t w)
{
	uint64_t e;

	if (!st || w >= st->n_readers)
		return;
	e = atomic_load_explicit(&st->epoch, memory_order_acquire);
	/* release: this reader's lookups of the batch before happen before it */
	if (atomic_load_explicit(&st->seen[w], memory_order_relaxed) != e)
		atomic_store_explicit(&st->seen[w], e, memory_order_seq_cst);
}

void nfqr_sets_leave(struct nfqr_sets *st, uint32_t w)
{
	if (st && w < st->n_readers)
		atomic_store_explicit(&st->seen[w], UINT64_MAX, memory_order_seq_cst);
}

/* ---- store ---------------------------------------------------------------- */

struct nfqr_sets *nfqr_sets_new(uint32_t n_readers)
{
	struct nfqr_sets *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->n_readers = n_readers;
	if (n_readers && !(st->seen = calloc(n_readers, sizeof(*st->seen)))) {
		free(st);
		return NULL;
	}
	pthread_mutex_init(&st->lock, NULL);
	return st;
}

static void ver_free(struct nfqr_lset_ver *v)
{
	if (!v)
		return;
	free(v->lo);
	free(v->hi);
	free(v->expires);
	free(v);
}

void nfqr_sets_free(struct nfqr_sets *st)
{
	if (!st)
		return;
	while (st->head) {
		struct nfqr_lset *s = st->head;

		st->head = s->next;
		ver_free(atomic_load(&s->cur));
		free(s->el);
		free(s->name);
		free(s);
	}
	while (st->retired) {
		struct nfqr_lset_ver *v = st->retired;

		st->retired = v->next;
		ver_free(v);
	}
	pthread_mutex_destroy(&st->lock);
	free(st->seen);
	free(st);
}

/* Frees the retired versions no reader can still hold (lock held). */
static void reclaim(struct nfqr_sets *st)
{
	uint64_t min = UINT64_MAX;
	struct nfqr_lset_ver **pp = &st->retired;

	for (uint32_t w = 0; w < st->n_readers; w++) {
		uint64_t e = atomic_load_explicit(&st->seen[w], memory_order_acquire);

		if (e < min)
			min = e;
	}
	while (*pp) {
		struct nfqr_lset_ver *v = *pp;

		if (v->retired_at <= min) {
			*pp = v->next;
			ver_free(v);
		} else {
			pp = &v->next;
		}
	}
}

static void publish(struct nfqr_sets *st, struct nfqr_lset *s, struct nfqr_lset_ver *v)
{
	struct nfqr_lset_ver *old = atomic_exchange_explicit(&s->cur, v, memory_order_acq_rel);

	if (old) {
		/* a reader that sees this epoch, or a later one, sees v */
		old->retired_at = atomic_fetch_add(&st->epoch, 1) + 1;
		old->next = st->retired;
		st->retired = old;
	}
	reclaim(st);
}

struct nfqr_lset *nfqr_sets_find(struct nfqr_sets *st, const char *name, size_t len)
{
	for (struct nfqr_lset *s = st->head; s; s = s->next)
		if (s->active && strlen(s->name) == len && !memcmp(s->name, name, len))
			return s;
	return NULL;
}

struct nfqr_lset *nfqr_sets_bind(struct nfqr_sets *st, const struct nfqr_lset_decl *d)
{
	struct nfqr_lset *s;

	pthread_mutex_lock(&st->lock);
	for (s = st->head; s; s = s->next)
		if (!strcmp(s->name, d->name) && s->type_name == d->type_name &&
		    s->interval == d->interval)
			goto out;
	s = calloc(1, sizeof(*s));
	if (s && !(s->name = strdup(d->name))) {
		free(s);
		s = NULL;
	}
	if (s) {
		s->vtype = d->vtype;
		s->fmt = d->fmt;
		s->type_name = d->type_name;
		s->interval = d->interval;
		s->next_expiry = NFQR_NEVER;
		s->next = st->head;
		st->head = s;
	}
out:
	pthread_mutex_unlock(&st->lock);
	return s;
}

/* ---- versions ------------------------------------------------------------- */

static struct nfqr_key key_dec(struct nfqr_key a)
{
	if (a.lo-- == 0)
		a.hi--;
	return a;
}

static int cmp_elem(const void *a, const void *b)
{
	const struct nfqr_lelem *x = a, *y = b;
	int c = nfqr_key_cmp(x->lo, y->lo);

	return c ? c : nfqr_key_cmp(x->hi, y->hi);
}

static int cmp_elem_order(const void *a, const void *b)
{
	const struct nfqr_lelem *x = a, *y = b;
	int c = cmp_elem(a, b);

	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_key(const void *a, const void *b)
{
	return nfqr_key_cmp(*(const struct nfqr_key *)a, *(const struct nfqr_key *)b);
}

/* max-heap of element indexes by expiry */
struct heap { uint32_t *v, n; const struct nfqr_lelem *el; };

static void heap_push(struct heap *h, uint32_t i)
{
	uint32_t k = h->n++;

	while (k && h->el[h->v[(k - 1) / 2]].expires < h->el[i].expires) {
		h->v[k] = h->v[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	h->v[k] = i;
}

static void heap_pop(struct heap *h)
{
	uint32_t last = h->v[--h->n], k = 0;

	for (;;) {
		uint32_t c = 2 * k + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->el[h->v[c + 1]].expires > h->el[h->v[c]].expires)
			c++;
		if (h->el[h->v[c]].expires <= h->el[last].expires)
			break;
		h->v[k] = h->v[c];
		k = c;
	}
	if (h->n)
		h->v[k] = last;
}

static void ver_append(struct nfqr_lset_ver *v, struct nfqr_key lo, struct nfqr_key hi,
		       uint64_t exp)
{
	bool wrapped;

	if (v->n && v->expires[v->n - 1] == exp &&
	    !nfqr_key_cmp(nfqr_key_inc(v->hi[v->n - 1], &wrapped), lo) && !wrapped) {
		v->hi[v->n - 1] = hi;          /* contiguous, same expiry: one interval */
		return;
	}
	v->lo[v->n] = lo;
	v->hi[v->n] = hi;
	v->expires[v->n++] = exp;
}

/*
 * The version of el[] (sorted by cmp_elem, live at now): the disjoint
 * intervals they cover, each with the latest expiry among the elements
 * covering it, by a sweep over the interval edges.
 */
static struct nfqr_lset_ver *ver_build(const struct nfqr_lelem *el, uint32_t n, uint64_t now)
{
	struct nfqr_lset_ver *v = calloc(1, sizeof(*v));
	struct nfqr_key *edge = NULL;
	struct heap h = { .el = el };
	uint32_t ne = 0, i = 0, j;
	size_t cap = 2 * (size_t)n + 1;

	if (!v)
		return NULL;
	v->lo = malloc(cap * sizeof(*v->lo));
	v->hi = malloc(cap * sizeof(*v->hi));
	v->expires = malloc(cap * sizeof(*v->expires));
	edge = malloc(cap * sizeof(*edge));
	h.v = malloc(cap * sizeof(*h.v));
	if (!v->lo || !v->hi || !v->expires || !edge || !h.v)
		goto fail;
	for (j = 0; j < n; j++) {
		bool wrapped;
		struct nfqr_key end = nfqr_key_inc(el[j].hi, &wrapped);

		if (el[j].expires <= now)
			continue;
		edge[ne++] = el[j].lo;
		if (!wrapped)
			edge[ne++] = end;
	}
	qsort(edge, ne, sizeof(*edge), cmp_key);
	for (j = 0; j < ne; j++) {
		struct nfqr_key at = edge[j];

		if (j && !nfqr_key_cmp(edge[j - 1], at))
			continue;
		for (; i < n && nfqr_key_cmp(el[i].lo, at) <= 0; i++)
			if (el[i].expires > now)
				heap_push(&h, i);
		while (h.n && nfqr_key_cmp(el[h.v[0]].hi, at) < 0)
			heap_pop(&h);
		if (!h.n)
			continue;
		/* up to the next edge, or to the end of the key space */
		struct nfqr_key to = { UINT64_MAX, UINT64_MAX };
		uint32_t k = j + 1;

		while (k < ne && !nfqr_key_cmp(edge[k], at))
			k++;
		if (k < ne)
			to = key_dec(edge[k]);
		ver_append(v, at, to, el[h.v[0]].expires);
	}
	free(edge);
	free(h.v);
	return v;
fail:
	free(edge);
	free(h.v);
	ver_free(v);
	return NULL;
}

/*
 * Makes el[0..n) (malloc'd, taken over) the set's elements: sorted, the
 * later of equal elements kept, expired ones dropped, published.
 */
static int set_elements(struct nfqr_sets *st, struct nfqr_lset *s, struct nfqr_lelem *el,
			uint32_t n, uint64_t now)
{
	struct nfqr_lset_ver *v;
	uint32_t i, k = 0;

	/* equal elements in the order given, so that the later one wins */
	for (i = 0; i < n; i++)
		el[i].order = i;
	qsort(el, n, sizeof(*el), cmp_elem_order);
	for (i = 0; i < n; i++) {
		if (el[i].expires <= now)
			continue;
		if (k && !cmp_elem(&el[k - 1], &el[i]))
			k--;                   /* equal: the later one wins */
		el[k++] = el[i];
	}
	v = ver_build(el, k, now);
	if (!v)
		return -ENOMEM;
	s->next_expiry = NFQR_NEVER;
	for (i = 0; i < k; i++)
		if (el[i].expires < s->next_expiry)
			s->next_expiry = el[i].expires;
	free(s->el);
	s->el = el;
	s->n = k;
	publish(st, s, v);
	return 0;
}

/* ---- changes -------------------------------------------------------------- */

static uint64_t expiry_of(const struct nfqr_lset *s, const struct nfqr_lelem *e, uint64_t now)
{
	uint64_t t = e->remaining_ns ? e->remaining_ns : e->timeout_ns ? e->timeout_ns
									: s->timeout_ns;

	return t ? (now + t < now ? NFQR_NEVER - 1 : now + t) : NFQR_NEVER;
}

/* kept elements of s (from_file ones, run-time ones or both), then n given
 * ones as from_file, in a new array for set_elements() */
static struct nfqr_lelem *combine(const struct nfqr_lset *s, bool keep_file, bool keep_rt,
				  const struct nfqr_lelem *el, uint32_t n, bool from_file,
				  uint64_t now, uint32_t *total)
{
	struct nfqr_lelem *v = malloc(((size_t)s->n + n + 1) * sizeof(*v));
	uint32_t k = 0;

	if (!v)
		return NULL;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->el[i].from_file ? keep_file : keep_rt)
			v[k++] = s->el[i];
	for (uint32_t i = 0; i < n; i++) {
		v[k] = el[i];
		v[k].from_file = from_file;
		v[k++].expires = expiry_of(s, &el[i], now);
	}
	*total = k;
	return v;
}

/* v[0..n) (malloc'd, or NULL on ENOMEM) as the set's elements: 0, or
 * -ENOMEM and nothing changed */
static int commit(struct nfqr_sets *st, struct nfqr_lset *s, struct nfqr_lelem *v, uint32_t n,
		  uint64_t now)
{
	int r = v ? set_elements(st, s, v, n, now) : -ENOMEM;

	if (r)
		free(v);
	return r;
}

/* combine()'s elements committed */
static int rebuild(struct nfqr_sets *st, struct nfqr_lset *s, bool keep_file, bool keep_rt,
		   const struct nfqr_lelem *el, uint32_t n, bool from_file, uint64_t now)
{
	uint32_t total = 0;
	struct nfqr_lelem *v = combine(s, keep_file, keep_rt, el, n, from_file, now, &total);

	return commit(st, s, v, total, now);
}

int nfqr_lset_add(struct nfqr_sets *st, struct nfqr_lset *s, const struct nfqr_lelem *el,
		  uint32_t n, uint64_t now_ns)
{
	int r = rebuild(st, s, true, true, el, n, false, now_ns);

	if (!r)
		s->added += n;
	return r;
}

int32_t nfqr_lset_find(const struct nfqr_lset *s, const struct nfqr_lelem *e)
{
	const struct nfqr_lelem *f = s->n ? bsearch(e, s->el, s->n, sizeof(*e), cmp_elem) : NULL;

	return f ? (int32_t)(f - s->el) : -1;
}

int nfqr_lset_delete(struct nfqr_sets *st, struct nfqr_lset *s, const struct nfqr_lelem *el,
		     uint32_t n, uint32_t *missing)
{
	struct nfqr_lelem *v = malloc(((size_t)s->n + 1) * sizeof(*v));
	uint8_t *gone = calloc((size_t)s->n + 1, 1);
	uint32_t k = 0, found = 0;
	int r;

	*missing = 0;
	if (!v || !gone) {
		free(v);
		free(gone);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		int32_t e = nfqr_lset_find(s, &el[i]);

		if (e >= 0 && !gone[e]) {
			gone[e] = 1;
			found++;
		} else {
			++*missing;
		}
	}
	for (uint32_t i = 0; i < s->n; i++)
		if (!gone[i])
			v[k++] = s->el[i];
	free(gone);
	if (!found) {
		free(v);
		return 0;
	}
	/* expired elements do not count as present: 0 would keep them */
	r = commit(st, s, v, k, 0);
	if (!r)
		s->deleted += found;
	return r;
}

int nfqr_lset_replace(struct nfqr_sets *st, struct nfqr_lset *s, const struct nfqr_lelem *el,
		      uint32_t n, uint64_t now_ns, bool keep_file)
{
	return rebuild(st, s, keep_file, false, el, n, false, now_ns);
}

static void sets_gc(struct nfqr_sets *st, uint64_t now)
{
	for (struct nfqr_lset *s = st->head; s; s = s->next) {
		uint32_t before = s->n;

		if (s->next_expiry > now)
			continue;
		if (!rebuild(st, s, true, true, NULL, 0, false, now))
			s->expired += before - s->n;
	}
	reclaim(st);
}

void nfqr_sets_tick(struct nfqr_sets *st, uint64_t now_ns)
{
	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	sets_gc(st, now_ns);
	pthread_mutex_unlock(&st->lock);
}

/*
 * The rules of rs come into force: its live sets take the file's elements
 * (run-time ones are kept) and its default timeouts; a set the new rules no
 * longer declare is emptied, as nft's would be gone.
 */
int nfqr_sets_activate(struct nfqr_sets *st, struct nfqr_lset *const *bound,
		       const struct nfqr_lset_decl *decl, uint32_t n, uint64_t now_ns)
{
	int r = 0;

	pthread_mutex_lock(&st->lock);
	for (struct nfqr_lset *s = st->head; s; s = s->next) {
		uint32_t i;

		for (i = 0; i < n && bound[i] != s; i++)
			;
		if (i == n) {
			if (s->active && !r)
				r = rebuild(st, s, false, false, NULL, 0, false, now_ns);
			s->active = false;
			continue;
		}
		s->timeout_ns = decl[i].timeout_ns;
		s->timeout_ok = decl[i].timeout_ok;
		s->active = true;
		if (!r)
			r = rebuild(st, s, false, true, decl[i].el, decl[i].n, true, now_ns);
	}
	pthread_mutex_unlock(&st->lock);
	return r;
}

/* ---- listing -------------------------------------------------------------- */

static unsigned prefix_len(struct nfqr_key lo, struct nfqr_key hi, unsigned bits)
{
	struct nfqr_key host = { lo.hi ^ hi.hi, lo.lo ^ hi.lo };
	unsigned h;

	if ((lo.hi & host.hi) || (lo.lo & host.lo))
		return UINT32_MAX;
	/* host must be 0...01...1 */
	if (host.hi ? ~host.lo || (host.hi & (host.hi + 1)) : (host.lo & (host.lo + 1)))
		return UINT32_MAX;
	h = (unsigned)(__builtin_popcountll(host.hi) + __builtin_popcountll(host.lo));
	return h <= bits ? bits - h : UINT32_MAX;
}

static int fmt_value(char *buf, size_t cap, uint8_t fmt, struct nfqr_key k)
{
	uint8_t a[16];

	if (fmt == NFQR_LFMT_IPV4) {
		a[0] = (uint8_t)(k.lo >> 24);
		a[1] = (uint8_t)(k.lo >> 16);
		a[2] = (uint8_t)(k.lo >> 8);
		a[3] = (uint8_t)k.lo;
		return inet_ntop(AF_INET, a, buf, (socklen_t)cap) ? (int)strlen(buf) : 0;
	}
	if (fmt == NFQR_LFMT_IPV6) {
		for (int i = 0; i < 8; i++) {
			a[i] = (uint8_t)(k.hi >> (56 - 8 * i));
			a[8 + i] = (uint8_t)(k.lo >> (56 - 8 * i));
		}
		return inet_ntop(AF_INET6, a, buf, (socklen_t)cap) ? (int)strlen(buf) : 0;
	}
	return snprintf(buf, cap, fmt == NFQR_LFMT_HEX ? "0x%llx" : "%llu",
			(unsigned long long)k.lo);
}

int nfqr_lelem_format(char *buf, size_t cap, uint8_t fmt, struct nfqr_key lo,
		      struct nfqr_key hi)
{
	unsigned plen = UINT32_MAX;
	int n = fmt_value(buf, cap, fmt, lo);

	if (!nfqr_key_cmp(lo, hi) || (size_t)n >= cap)
		return n;
	if (fmt == NFQR_LFMT_IPV4 || fmt == NFQR_LFMT_IPV6)
		plen = prefix_len(lo, hi, fmt == NFQR_LFMT_IPV4 ? 32 : 128);
	if (plen != UINT32_MAX)
		return n + snprintf(buf + n, cap - (size_t)n, "/%u", plen);
	n += snprintf(buf + n, cap - (size_t)n, "-");
	if ((size_t)n >= cap)
		return n;
	return n + fmt_value(buf + n, cap - (size_t)n, fmt, hi);
}

/* nft's time units, in the order a duration writes them */
static const struct { const char *u; uint64_t ns; } units[] = {
	{ "d", 86400000000000ull }, { "h", 3600000000000ull }, { "m", 60000000000ull },
	{ "s", 1000000000ull }, { "ms", 1000000ull },
};
#define N_UNITS (sizeof(units) / sizeof(units[0]))

/* nft's time format: 1d2h3m4s5ms (units in that order, each once), or a
 * bare number of seconds. */
bool nfqr_parse_duration(const char *s, size_t len, uint64_t *ns)
{
	uint64_t total = 0, n;
	size_t i = 0, next = 0;       /* units[next..] may still come */

	if (nfqr_parse_uint(s, len, UINT32_MAX, &n)) {
		*ns = n * 1000000000ull;
		return true;
	}
	while (i < len) {
		size_t d = i, u;

		n = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9' && n < UINT32_MAX)
			n = n * 10 + (uint64_t)(s[i++] - '0');
		if (i == d || n >= UINT32_MAX)
			return false;
		/* a unit whole: "m" is not the start of "ms" */
		for (u = next; u < N_UNITS; u++) {
			size_t ul = strlen(units[u].u);

			if (len - i >= ul && !memcmp(s + i, units[u].u, ul) &&
			    (len - i == ul || s[i + ul] < 'a' || s[i + ul] > 'z'))
				break;
		}
		if (u == N_UNITS)
			return false;
		next = u + 1;
		i += strlen(units[u].u);
		total += n * units[u].ns;
	}
	*ns = total;
	return true;
}

int nfqr_duration_format(char *buf, size_t cap, uint64_t ns)
{
	int n = 0;

	if (ns < 1000000)
		return snprintf(buf, cap, "0s");
	for (size_t i = 0; i < N_UNITS; i++) {
		uint64_t q = ns / units[i].ns;

		ns %= units[i].ns;
		if (q && (size_t)n < cap)
			n += snprintf(buf + n, cap - (size_t)n, "%llu%s", (unsigned long long)q,
				      units[i].u);
	}
	return n;
}

/* One element per line, as `load set` reads them back. */
void nfqr_lset_print(FILE *f, const struct nfqr_lset *s, uint64_t now)
{
	char v[96], t[32], e[32];

	for (uint32_t i = 0; i < s->n; i++) {
		const struct nfqr_lelem *el = &s->el[i];

		if (el->expires <= now)
			continue;
		nfqr_lelem_format(v, sizeof(v), s->fmt, el->lo, el->hi);
		if (el->expires == NFQR_NEVER) {
			fprintf(f, "%s\n", v);
			continue;
		}
		nfqr_duration_format(t, sizeof(t), el->timeout_ns ? el->timeout_ns : s->timeout_ns);
		nfqr_duration_format(e, sizeof(e), el->expires - now);
		fprintf(f, "%s timeout %s expires %s\n", v, t, e);
	}
}

/* One line per active set: name, type, flags, counts (lock held). */
void nfqr_sets_summary(FILE *f, struct nfqr_sets *st, bool json)
{
	bool first = true;

	for (const struct nfqr_lset *s = st->head; s; s = s->next) {
		uint32_t file = 0;

		if (!s->active)
			continue;
		for (uint32_t i = 0; i < s->n; i++)
			file += s->el[i].from_file;
		if (json)
			fprintf(f, "%s{\"name\":\"%s\",\"type\":\"%s\",\"interval\":%s,"
				"\"elements\":%u,\"from_file\":%u,\"added\":%llu,\"deleted\":%llu,"
				"\"expired\":%llu}", first ? "" : ",", s->name, s->type_name,
				s->interval ? "true" : "false", s->n, file,
				(unsigned long long)s->added, (unsigned long long)s->deleted,
				(unsigned long long)s->expired);
		else
			fprintf(f, "set %s: type %s%s%s, %u elements (%u from the file), %llu added, "
				"%llu deleted, %llu expired\n", s->name, s->type_name,
				s->interval ? ", interval" : "", s->timeout_ok ? ", timeout" : "", s->n, file,
				(unsigned long long)s->added, (unsigned long long)s->deleted,
				(unsigned long long)s->expired);
		first = false;
	}
}

void nfqr_sets_report(struct nfqr_sets *st, FILE *f, bool json)
{
	pthread_mutex_lock(&st->lock);
	nfqr_sets_summary(f, st, json);
	pthread_mutex_unlock(&st->lock);
}
