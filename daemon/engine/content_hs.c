/* SPDX-License-Identifier: GPL-2.0-only */
/* Hyperscan backend: all literals in one block-mode database. */
#include <stdio.h>
#include <stdlib.h>

#include "content.h"

#ifdef NFQR_HAVE_HYPERSCAN
#include <hs.h>

struct nfqr_hs {
	hs_database_t *db;
};

bool nfqr_hs_available(void)
{
	return hs_valid_platform() == HS_SUCCESS;
}

struct nfqr_hs *nfqr_hs_build(const struct nfqr_cm_pattern *pats, uint32_t n,
			      char *err, size_t errlen)
{
	const char **exprs = calloc(n, sizeof(*exprs));
	unsigned *flags = calloc(n, sizeof(*flags)), *ids = calloc(n, sizeof(*ids));
	size_t *lens = calloc(n, sizeof(*lens));
	struct nfqr_hs *hs = calloc(1, sizeof(*hs));
	hs_compile_error_t *cerr = NULL;

	if (!exprs || !flags || !ids || !lens || !hs) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < n; i++) {
		exprs[i] = (const char *)pats[i].bytes;
		lens[i] = pats[i].len;
		ids[i] = i;
		flags[i] = pats[i].nocase ? HS_FLAG_CASELESS : 0;
	}
	if (hs_compile_lit_multi(exprs, flags, ids, lens, n, HS_MODE_BLOCK, NULL,
				 &hs->db, &cerr) != HS_SUCCESS) {
		snprintf(err, errlen, "hyperscan: %s", cerr ? cerr->message : "compile failed");
		hs_free_compile_error(cerr);
		goto fail;
	}
	free(exprs); free(flags); free(ids); free(lens);
	return hs;
fail:
	free(exprs); free(flags); free(ids); free(lens); free(hs);
	return NULL;
}

void nfqr_hs_free(struct nfqr_hs *hs)
{
	if (!hs)
		return;
	hs_free_database(hs->db);
	free(hs);
}

void *nfqr_hs_scratch_new(const struct nfqr_hs *hs)
{
	hs_scratch_t *s = NULL;

	if (hs_alloc_scratch(hs->db, &s) != HS_SUCCESS)
		return NULL;
	return s;
}

void nfqr_hs_scratch_free(void *s)
{
	hs_free_scratch(s);
}

struct scan_ctx {
	const struct nfqr_cm_pattern *pats;
	uint64_t *matched;
	uint32_t cross;
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *ctx)
{
	struct scan_ctx *c = ctx;

	(void)from; (void)flags;
	if (nfqr_cm_accept(&c->pats[id], to - c->pats[id].len, c->cross))
		c->matched[id / 64] |= 1ULL << (id % 64);
	return 0;
}

void nfqr_hs_scan(const struct nfqr_hs *hs, void *scratch,
		  const struct nfqr_cm_pattern *pats,
		  const uint8_t *data, size_t len, uint32_t cross, uint64_t *matched)
{
	struct scan_ctx c = { pats, matched, cross };

	if (len > UINT32_MAX)
		len = UINT32_MAX;
	hs_scan(hs->db, (const char *)data, (unsigned)len, 0, scratch, on_match, &c);
}

#else /* !NFQR_HAVE_HYPERSCAN: built where libhyperscan-dev does not exist */

bool nfqr_hs_available(void) { return false; }
struct nfqr_hs *nfqr_hs_build(const struct nfqr_cm_pattern *pats, uint32_t n,
			      char *err, size_t errlen)
{
	(void)pats; (void)n;
	snprintf(err, errlen, "built without hyperscan");
	return NULL;
}
void nfqr_hs_free(struct nfqr_hs *hs) { (void)hs; }
void *nfqr_hs_scratch_new(const struct nfqr_hs *hs) { (void)hs; return NULL; }
void nfqr_hs_scratch_free(void *s) { (void)s; }
void nfqr_hs_scan(const struct nfqr_hs *hs, void *scratch,
		  const struct nfqr_cm_pattern *pats,
		  const uint8_t *data, size_t len, uint32_t cross, uint64_t *matched)
{
	(void)hs; (void)scratch; (void)pats; (void)data; (void)len; (void)cross; (void)matched;
}
#endif
