/* SPDX-License-Identifier: GPL-2.0-only */
/* Front of the content matcher: picks the backend, owns the pattern copies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content.h"

struct nfqr_cm {
	struct nfqr_cm_pattern *pats;   /* own copies: windows are checked at scan */
	uint32_t n;
	struct nfqr_hs *hs;
	struct nfqr_ac *ac;
};

/*
 * Hyperscan 5.4's AVX-512 VBMI code reads up to a vector past the end of
 * the buffer it scans, which faults when the buffer ends near the end of
 * mapped memory (found by fuzz_decode; vectorscan issue 322).  A buffer
 * whose next NFQR_HS_OVERREAD bytes cross a page boundary is scanned from
 * a copy in a preallocated bounce buffer instead: rare, and never an
 * allocation on the packet path.
 */
#define NFQR_HS_OVERREAD	64
#define NFQR_HS_PAGE		4096
#define NFQR_HS_BOUNCE		(65536 + 256)

struct nfqr_cm_scratch {
	uint8_t *bounce;	/* NFQR_HS_BOUNCE + NFQR_HS_OVERREAD bytes */
	void *hs_scratch;
};

bool nfqr_cm_hyperscan_available(void)
{
	return nfqr_hs_available();
}

struct nfqr_cm *nfqr_cm_build(const struct nfqr_cm_pattern *pats, uint32_t n,
			      enum nfqr_cm_backend want, char *err, size_t errlen)
{
	struct nfqr_cm *cm = calloc(1, sizeof(*cm));
	uint32_t i;

	if (!cm)
		goto oom;
	cm->n = n;
	cm->pats = calloc(n ? n : 1, sizeof(*cm->pats));
	if (!cm->pats)
		goto oom;
	for (i = 0; i < n; i++) {
		uint8_t *b = malloc(pats[i].len ? pats[i].len : 1);

		if (!b)
			goto oom;
		memcpy(b, pats[i].bytes, pats[i].len);
		cm->pats[i] = pats[i];
		cm->pats[i].bytes = b;
		cm->n = i + 1;
	}
	cm->n = n;
	if (n == 0)
		return cm;
	if (want == NFQR_CM_HYPERSCAN || (want == NFQR_CM_AUTO && nfqr_hs_available())) {
		if (!nfqr_hs_available()) {
			snprintf(err, errlen, "hyperscan is not available on this system");
			goto fail;
		}
		cm->hs = nfqr_hs_build(cm->pats, n, err, errlen);
		if (!cm->hs)
			goto fail;
		return cm;
	}
	cm->ac = nfqr_ac_build(cm->pats, n);
	if (!cm->ac)
		goto oom;
	return cm;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	nfqr_cm_free(cm);
	return NULL;
}

void nfqr_cm_free(struct nfqr_cm *cm)
{
	if (!cm)
		return;
	for (uint32_t i = 0; cm->pats && i < cm->n; i++)
		free((void *)cm->pats[i].bytes);
	free(cm->pats);
	nfqr_hs_free(cm->hs);
	nfqr_ac_free(cm->ac);
	free(cm);
}

const char *nfqr_cm_backend_name(const struct nfqr_cm *cm)
{
	if (cm->hs)
		return "hyperscan";
	if (cm->ac)
		return "aho-corasick";
	return "none";
}

struct nfqr_cm_scratch *nfqr_cm_scratch_new(const struct nfqr_cm *cm)
{
	struct nfqr_cm_scratch *s = calloc(1, sizeof(*s));

	if (s && cm->hs) {
		s->hs_scratch = nfqr_hs_scratch_new(cm->hs);
		s->bounce = malloc(NFQR_HS_BOUNCE + NFQR_HS_OVERREAD);
		if (!s->hs_scratch || !s->bounce) {
			nfqr_cm_scratch_free(s);
			return NULL;
		}
	}
	return s;
}

void nfqr_cm_scratch_free(struct nfqr_cm_scratch *s)
{
	if (!s)
		return;
	if (s->hs_scratch)
		nfqr_hs_scratch_free(s->hs_scratch);
	free(s->bounce);
	free(s);
}

static void scan(const struct nfqr_cm *cm, struct nfqr_cm_scratch *s,
		 const uint8_t *data, size_t len, uint32_t cross, uint64_t *matched)
{
	if (cm->hs) {
		uintptr_t end = (uintptr_t)data + len;
		/* bytes readable after the end for sure: the rest of its page
		 * (none when it ends exactly on a boundary) */
		size_t room = (NFQR_HS_PAGE - end % NFQR_HS_PAGE) % NFQR_HS_PAGE;

		if (room < NFQR_HS_OVERREAD && len <= NFQR_HS_BOUNCE) {
			memcpy(s->bounce, data, len);
			data = s->bounce;
		}
		nfqr_hs_scan(cm->hs, s->hs_scratch, cm->pats, data, len, cross, matched);
	}
	else if (cm->ac)
		nfqr_ac_scan(cm->ac, cm->pats, data, len, cross, matched);
}

void nfqr_cm_scan(const struct nfqr_cm *cm, struct nfqr_cm_scratch *s,
		  const uint8_t *data, size_t len, uint64_t *matched)
{
	scan(cm, s, data, len, 0, matched);
}

void nfqr_cm_scan_cross(const struct nfqr_cm *cm, struct nfqr_cm_scratch *s,
			const uint8_t *data, size_t len, uint32_t cross, uint64_t *matched)
{
	if (cross > 0 && cross < len)
		scan(cm, s, data, len, cross, matched);
}
