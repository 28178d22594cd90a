/* SPDX-License-Identifier: GPL-2.0-only */
/* Multi-pattern literal matcher for `@payload content`: every literal of the
 * ruleset is found in one pass, by Hyperscan where the CPU can run it and by
 * Aho-Corasick elsewhere. */
#ifndef NFQR_CONTENT_H
#define NFQR_CONTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nfqr_engine.h"

/* The longest content: Hyperscan's limit for a literal, and so, that a file
 * is valid or not whatever matcher runs it, every matcher's. */
#define NFQR_CM_MAX_LEN 16000u

struct nfqr_cm_pattern {
	const uint8_t *bytes;
	uint32_t len;              /* > 0 */
	uint32_t offset;           /* match must start at or after this payload byte */
	uint32_t depth;            /* ... and end within offset+depth; 0 = no limit */
	bool nocase;               /* ASCII case-insensitive */
	bool stream;               /* `stream`: also joined across in-order TCP segments */
};

struct nfqr_cm;
struct nfqr_cm_scratch;

/* Returns NULL with a message in err on failure (or if `want` is unavailable). */
struct nfqr_cm *nfqr_cm_build(const struct nfqr_cm_pattern *pats, uint32_t n,
			      enum nfqr_cm_backend want, char *err, size_t errlen);
void nfqr_cm_free(struct nfqr_cm *cm);
const char *nfqr_cm_backend_name(const struct nfqr_cm *cm);
struct nfqr_cm_scratch *nfqr_cm_scratch_new(const struct nfqr_cm *cm);
void nfqr_cm_scratch_free(struct nfqr_cm_scratch *s);
/* Sets bit i of matched[] (n/64 words, cleared by the caller) for each
 * pattern i that occurs in data within its offset/depth window. */
void nfqr_cm_scan(const struct nfqr_cm *cm, struct nfqr_cm_scratch *s,
		  const uint8_t *data, size_t len, uint64_t *matched);
/* Same, but only for occurrences that cross `cross` (> 0): start before it
 * and end after it; windows are ignored (stream patterns have none). */
void nfqr_cm_scan_cross(const struct nfqr_cm *cm, struct nfqr_cm_scratch *s,
			const uint8_t *data, size_t len, uint32_t cross, uint64_t *matched);
bool nfqr_cm_hyperscan_available(void);

/* Checks one occurrence [start, start+len) against a pattern's window. */
static inline bool nfqr_cm_in_window(const struct nfqr_cm_pattern *p, uint64_t start)
{
	if (start < p->offset)
		return false;
	return p->depth == 0 || start + p->len <= (uint64_t)p->offset + p->depth;
}

/* What a backend reports: with cross == 0 the occurrence in its window,
 * else an occurrence across position cross. */
static inline bool nfqr_cm_accept(const struct nfqr_cm_pattern *p, uint64_t start,
				  uint32_t cross)
{
	if (cross)
		return start < cross && start + p->len > cross;
	return nfqr_cm_in_window(p, start);
}

/* Backends, behind nfqr_cm. */
struct nfqr_ac;
struct nfqr_ac *nfqr_ac_build(const struct nfqr_cm_pattern *pats, uint32_t n);
void nfqr_ac_free(struct nfqr_ac *ac);
void nfqr_ac_scan(const struct nfqr_ac *ac, const struct nfqr_cm_pattern *pats,
		  const uint8_t *data, size_t len, uint32_t cross, uint64_t *matched);

struct nfqr_hs;
struct nfqr_hs *nfqr_hs_build(const struct nfqr_cm_pattern *pats, uint32_t n,
			      char *err, size_t errlen);
void nfqr_hs_free(struct nfqr_hs *hs);
void *nfqr_hs_scratch_new(const struct nfqr_hs *hs);
void nfqr_hs_scratch_free(void *s);
void nfqr_hs_scan(const struct nfqr_hs *hs, void *scratch,
		  const struct nfqr_cm_pattern *pats,
		  const uint8_t *data, size_t len, uint32_t cross, uint64_t *matched);
bool nfqr_hs_available(void);

#endif
