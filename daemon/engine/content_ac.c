/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Aho-Corasick automaton, the portable content matcher.  Two automata: one
 * over raw bytes for case-sensitive literals, one over ASCII-lowercased bytes
 * for `nocase` ones.  The root has a dense 256-entry table (most transitions
 * of a scan end there), other nodes keep sorted edges searched by bisection.
 */
#include <stdlib.h>
#include <string.h>

#include "content.h"

#define NONE UINT32_MAX

struct ac_edge { uint8_t byte; uint32_t to; };

struct ac_node {
	uint32_t first_edge, n_edges;
	uint32_t fail;
	uint32_t out;                 /* head of the output list, NONE if empty */
};

struct ac_auto {
	struct ac_node *nodes;
	uint32_t n_nodes;
	struct ac_edge *edges;
	uint32_t root_next[256];
	uint32_t *out_pat, *out_next; /* output lists share their tails via fail links */
	uint32_t n_out;
	bool fold;
};

struct nfqr_ac {
	struct ac_auto exact, folded;
};

static uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; }

/* Trie under construction: children as unsorted (byte, node) lists. */
struct build_node {
	struct ac_edge *kids;
	uint32_t n_kids, cap_kids;
	uint32_t own_first, own_n;    /* patterns ending here, in pats_here[] */
};

static uint32_t build_child(struct build_node *b, uint32_t n, uint8_t c)
{
	for (uint32_t i = 0; i < b[n].n_kids; i++)
		if (b[n].kids[i].byte == c)
			return b[n].kids[i].to;
	return NONE;
}

static int edge_cmp(const void *a, const void *b)
{
	return (int)((const struct ac_edge *)a)->byte - (int)((const struct ac_edge *)b)->byte;
}

static uint32_t go(const struct ac_auto *a, uint32_t s, uint8_t c)
{
	const struct ac_edge *e;
	uint32_t lo, hi;

	if (s == 0)
		return a->root_next[c];
	e = a->edges + a->nodes[s].first_edge;
	lo = 0;
	hi = a->nodes[s].n_edges;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (e[mid].byte == c)
			return e[mid].to;
		if (e[mid].byte < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

static int auto_build(struct ac_auto *a, const struct nfqr_cm_pattern *pats,
		      uint32_t n, bool fold)
{
	struct build_node *b = NULL;
	uint32_t nb = 1, capb = 64, i, j, k, total_len = 1, n_out = 0;
	uint32_t *queue = NULL, *ends = NULL, qh = 0, qt = 0, ne = 0;
	int rc = -1;

	memset(a, 0, sizeof(*a));
	a->fold = fold;
	for (i = 0; i < n; i++)
		if (pats[i].nocase == fold)
			total_len += pats[i].len, n_out++;
	b = calloc(capb, sizeof(*b));
	ends = calloc(n ? n : 1, sizeof(*ends));
	if (!b || !ends)
		goto out;
	/* 1. trie */
	for (i = 0; i < n; i++) {
		uint32_t s = 0;

		if (pats[i].nocase != fold)
			continue;
		for (j = 0; j < pats[i].len; j++) {
			uint8_t c = fold ? lower(pats[i].bytes[j]) : pats[i].bytes[j];
			uint32_t t = build_child(b, s, c);

			if (t == NONE) {
				struct build_node *bs;

				if (nb == capb) {
					struct build_node *nbp = realloc(b, 2 * capb * sizeof(*b));

					if (!nbp)
						goto out;
					memset(nbp + capb, 0, capb * sizeof(*b));
					b = nbp;
					capb *= 2;
				}
				bs = &b[s];
				if (bs->n_kids == bs->cap_kids) {
					uint32_t nc = bs->cap_kids ? 2 * bs->cap_kids : 2;
					struct ac_edge *ke = realloc(bs->kids, nc * sizeof(*ke));

					if (!ke)
						goto out;
					bs->kids = ke;
					bs->cap_kids = nc;
				}
				t = nb++;
				bs->kids[bs->n_kids++] = (struct ac_edge){ c, t };
			}
			s = t;
		}
		ends[i] = s;
	}
	(void)total_len;
	/* 2. flatten edges, sorted per node */
	a->n_nodes = nb;
	a->nodes = calloc(nb, sizeof(*a->nodes));
	a->out_pat = calloc(n_out + 1, sizeof(uint32_t));
	a->out_next = calloc(n_out + 1, sizeof(uint32_t));
	queue = calloc(nb, sizeof(uint32_t));
	if (!a->nodes || !a->out_pat || !a->out_next || !queue)
		goto out;
	a->edges = calloc(nb, sizeof(*a->edges));   /* nb-1 edges in a tree */
	if (!a->edges)
		goto out;
	for (i = 0, k = 0; i < nb; i++) {
		a->nodes[i].first_edge = k;
		a->nodes[i].n_edges = b[i].n_kids;
		if (b[i].n_kids)
			memcpy(a->edges + k, b[i].kids, b[i].n_kids * sizeof(*a->edges));
		qsort(a->edges + k, b[i].n_kids, sizeof(*a->edges), edge_cmp);
		k += b[i].n_kids;
		a->nodes[i].out = NONE;
	}
	for (i = 0; i < 256; i++)
		a->root_next[i] = NONE;
	for (i = 0; i < a->nodes[0].n_edges; i++)
		a->root_next[a->edges[i].byte] = a->edges[i].to;
	/* 3. own outputs: chain the patterns ending at each node */
	for (i = 0; i < n; i++) {
		if (pats[i].nocase != fold)
			continue;
		a->out_pat[ne] = i;
		a->out_next[ne] = a->nodes[ends[i]].out;
		a->nodes[ends[i]].out = ne++;
	}
	a->n_out = ne;
	/* 4. BFS: failure links; append the fail node's outputs to each list */
	queue[qt++] = 0;
	while (qh < qt) {
		uint32_t u = queue[qh++];
		struct ac_node *un = &a->nodes[u];

		for (i = 0; i < un->n_edges; i++) {
			struct ac_edge e = a->edges[un->first_edge + i];
			uint32_t v = e.to, f = un->fail, t = NONE, o;

			if (u != 0) {
				for (;;) {
					t = go(a, f, e.byte);
					if (t != NONE || f == 0)
						break;
					f = a->nodes[f].fail;
				}
			}
			a->nodes[v].fail = (t == NONE || t == v) ? 0 : t;
			o = a->nodes[v].out;
			if (o == NONE) {
				a->nodes[v].out = a->nodes[a->nodes[v].fail].out;
			} else {
				while (a->out_next[o] != NONE)
					o = a->out_next[o];
				a->out_next[o] = a->nodes[a->nodes[v].fail].out;
			}
			queue[qt++] = v;
		}
	}
	rc = 0;
out:
	if (b)
		for (i = 0; i < capb; i++)
			free(b[i].kids);
	free(b);
	free(ends);
	free(queue);
	return rc;
}

static void auto_free(struct ac_auto *a)
{
	free(a->nodes);
	free(a->edges);
	free(a->out_pat);
	free(a->out_next);
}

static void auto_scan(const struct ac_auto *a, const struct nfqr_cm_pattern *pats,
		      const uint8_t *data, size_t len, uint32_t cross, uint64_t *matched)
{
	uint32_t s = 0;

	if (a->n_out == 0)
		return;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = a->fold ? lower(data[i]) : data[i];

		for (;;) {
			uint32_t t = go(a, s, c);

			if (t != NONE) {
				s = t;
				break;
			}
			if (s == 0)
				break;
			s = a->nodes[s].fail;
		}
		for (uint32_t o = a->nodes[s].out; o != NONE; o = a->out_next[o]) {
			uint32_t p = a->out_pat[o];

			if (nfqr_cm_accept(&pats[p], i + 1 - pats[p].len, cross))
				matched[p / 64] |= 1ULL << (p % 64);
		}
	}
}

struct nfqr_ac *nfqr_ac_build(const struct nfqr_cm_pattern *pats, uint32_t n)
{
	struct nfqr_ac *ac = calloc(1, sizeof(*ac));

	if (!ac)
		return NULL;
	if (auto_build(&ac->exact, pats, n, false) || auto_build(&ac->folded, pats, n, true)) {
		nfqr_ac_free(ac);
		return NULL;
	}
	return ac;
}

void nfqr_ac_free(struct nfqr_ac *ac)
{
	if (!ac)
		return;
	auto_free(&ac->exact);
	auto_free(&ac->folded);
	free(ac);
}

void nfqr_ac_scan(const struct nfqr_ac *ac, const struct nfqr_cm_pattern *pats,
		  const uint8_t *data, size_t len, uint32_t cross, uint64_t *matched)
{
	auto_scan(&ac->exact, pats, data, len, cross, matched);
	auto_scan(&ac->folded, pats, data, len, cross, matched);
}
