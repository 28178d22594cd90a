/* SPDX-License-Identifier: GPL-2.0-only */
/* Multi-pattern content matcher, both backends, against a naive scan. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "content.h"
#include "tap.h"

static int lc(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static bool naive(const struct nfqr_cm_pattern *p, const uint8_t *d, size_t len)
{
	for (size_t s = 0; s + p->len <= len; s++) {
		size_t i;

		if (!nfqr_cm_in_window(p, s))
			continue;
		for (i = 0; i < p->len; i++)
			if (p->nocase ? lc(d[s + i]) != lc(p->bytes[i]) : d[s + i] != p->bytes[i])
				break;
		if (i == p->len)
			return true;
	}
	return false;
}

static void basic(enum nfqr_cm_backend be, const char *name)
{
	struct nfqr_cm_pattern pats[] = {
		{ (const uint8_t *)"GET /admin", 10, 0, 0, false, false },
		{ (const uint8_t *)"admin", 5, 0, 0, true, false },
		{ (const uint8_t *)"GET", 3, 0, 3, false, false },       /* depth 3: at the start */
		{ (const uint8_t *)"\0\x01", 2, 4, 0, false, false },     /* binary, offset 4 */
	};
	char err[256];
	struct nfqr_cm *cm = nfqr_cm_build(pats, 4, be, err, sizeof(err));
	struct nfqr_cm_scratch *s;
	uint64_t m;

	if (!ok(cm != NULL, "%s: builds (%s)", name, cm ? "" : err))
		return;
	is_str(nfqr_cm_backend_name(cm), name, "%s: backend in use", name);
	s = nfqr_cm_scratch_new(cm);
	m = 0;
	nfqr_cm_scan(cm, s, (const uint8_t *)"GET /admin HTTP/1.1", 19, &m);
	is_int(m, 0x7, "%s: three patterns match a request", name);
	m = 0;
	nfqr_cm_scan(cm, s, (const uint8_t *)"xGET /ADMIN", 11, &m);
	is_int(m, 0x2, "%s: nocase matches, depth and case-sensitive do not", name);
	m = 0;
	nfqr_cm_scan(cm, s, (const uint8_t *)"\0\x01\0\x01\0\x01", 6, &m);
	is_int(m, 0x8, "%s: binary pattern found at offset >= 4", name);
	m = 0;
	nfqr_cm_scan(cm, s, (const uint8_t *)"\0\x01\0\x01\0", 5, &m);
	is_int(m, 0, "%s: binary pattern only before offset", name);
	m = 0;
	nfqr_cm_scan(cm, s, (const uint8_t *)"", 0, &m);
	is_int(m, 0, "%s: empty payload", name);
	nfqr_cm_scratch_free(s);
	nfqr_cm_free(cm);
}

static void random_vs_naive(enum nfqr_cm_backend be, const char *name)
{
	enum { NP = 300, NT = 400 };
	static struct nfqr_cm_pattern pats[NP];
	static uint8_t store[NP][8];
	static uint8_t text[200];
	uint64_t m[(NP + 63) / 64];
	char err[256];
	int mismatches = 0, hits = 0;

	srand(42);
	for (int i = 0; i < NP; i++) {
		uint32_t len = 1 + (uint32_t)rand() % 6;

		for (uint32_t j = 0; j < len; j++)
			store[i][j] = (uint8_t)("abAB\0\xff"[rand() % 6]);
		pats[i].bytes = store[i];
		pats[i].len = len;
		pats[i].nocase = rand() % 3 == 0;
		pats[i].offset = rand() % 4 == 0 ? (uint32_t)rand() % 50 : 0;
		pats[i].depth = rand() % 4 == 0 ? len + (uint32_t)rand() % 40 : 0;
	}
	struct nfqr_cm *cm = nfqr_cm_build(pats, NP, be, err, sizeof(err));
	if (!ok(cm != NULL, "%s: random set builds", name))
		return;
	struct nfqr_cm_scratch *s = nfqr_cm_scratch_new(cm);
	for (int t = 0; t < NT; t++) {
		size_t len = (size_t)rand() % sizeof(text);

		for (size_t j = 0; j < len; j++)
			text[j] = (uint8_t)("abAB\0\xffz"[rand() % 7]);
		memset(m, 0, sizeof(m));
		nfqr_cm_scan(cm, s, text, len, m);
		for (int i = 0; i < NP; i++) {
			bool got = (m[i / 64] >> (i % 64)) & 1, want = naive(&pats[i], text, len);

			mismatches += got != want;
			hits += want;
		}
	}
	ok(hits > 1000, "%s: random test exercises matches (%d)", name, hits);
	is_int(mismatches, 0, "%s: %d texts x %d patterns agree with the naive scan", name, NT, NP);
	nfqr_cm_scratch_free(s);
	nfqr_cm_free(cm);
}

/*
 * Payloads that end right before unmapped memory, as the last frame of a
 * ring can: every length up to 200 bytes, each ending at a guard page.  A
 * matcher that reads past the end (Hyperscan's VBMI code does) crashes
 * here instead of on a gateway.
 */
static void ends_at_a_guard_page(enum nfqr_cm_backend be, const char *name)
{
	/* nine caseless words: enough for Hyperscan's "fat teddy" literal
	 * engine, whose AVX512-VBMI code reads 64 bytes at a time */
	static const char *const words[] = { "bat", "cat", "mat", "rat", "fat",
					     "sat", "pat", "hat", "vat" };
	struct nfqr_cm_pattern pats[10];
	unsigned int i;
	long pg = sysconf(_SC_PAGESIZE);
	char err[256];
	struct nfqr_cm *cm;
	struct nfqr_cm_scratch *s;
	uint8_t *map = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t len, found = 0, gap;

	for (i = 0; i < 9; i++)
		pats[i] = (struct nfqr_cm_pattern){ (const uint8_t *)words[i], 3, 0, 0, true, false };
	pats[9] = (struct nfqr_cm_pattern){ (const uint8_t *)"GET /admin", 10, 0, 0, false, false };
	cm = nfqr_cm_build(pats, 10, be, err, sizeof(err));
	s = cm ? nfqr_cm_scratch_new(cm) : NULL;
	if (!ok(cm && s && map != MAP_FAILED && !mprotect(map + pg, pg, PROT_NONE),
		"%s: guard page set up", name))
		return;
	/* ending on the boundary, and 1..80 bytes before it */
	for (gap = 0; gap <= 80; gap++)
		for (len = 1; len <= 200; len++) {
			uint8_t *data = map + pg - gap - len;
			uint64_t m = 0;

			/* words that keep the literal engine busy, then "CaT" */
			for (i = 0; i < len; i++)
				data[i] = "xAt hat pat sat fat rat mat "[i % 28];
			if (len >= 3)
				memcpy(data + len - 3, "CaT", 3);
			nfqr_cm_scan(cm, s, data, len, &m);
			found += (m & 0x2) != 0;
		}
	is_int(found, 81 * 198, "%s: every payload ending at or near a guard page scanned", name);
	munmap(map, 2 * pg);
	nfqr_cm_scratch_free(s);
	nfqr_cm_free(cm);
}

/* nfqr_cm_scan_cross: only occurrences across the position count. */
static void cross(enum nfqr_cm_backend be, const char *name)
{
	struct nfqr_cm_pattern pats[] = {
		{ (const uint8_t *)"abcd", 4, 0, 0, false, true },
		{ (const uint8_t *)"xy", 2, 0, 0, true, true },
	};
	char err[256];
	struct nfqr_cm *cm = nfqr_cm_build(pats, 2, be, err, sizeof(err));
	struct nfqr_cm_scratch *s = cm ? nfqr_cm_scratch_new(cm) : NULL;
	static const struct { const char *data; uint32_t at; uint64_t want; } t[] = {
		{ "abcd", 2, 1 }, { "abcd", 1, 1 }, { "abcd", 3, 1 },
		{ "abcd", 4, 0 },            /* ends at the boundary: wholly before */
		{ "abcdzz", 4, 0 }, { "zzabcd", 2, 0 },   /* wholly after */
		{ "abcdXY", 5, 2 }, { "abcdxy", 3, 1 }, { "xyabcd", 1, 2 },
		{ "abcd", 0, 0 },            /* no boundary: nothing */
	};

	if (!ok(cm && s, "%s: cross matcher builds", name))
		goto out;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t m = 0;

		nfqr_cm_scan_cross(cm, s, (const uint8_t *)t[i].data, strlen(t[i].data), t[i].at, &m);
		ok(m == t[i].want, "%s: '%s' across %u: %llu", name, t[i].data, t[i].at,
		   (unsigned long long)m);
	}
out:
	nfqr_cm_scratch_free(s);
	nfqr_cm_free(cm);
}

int main(void)
{
	cross(NFQR_CM_AHO_CORASICK, "aho-corasick");
	if (nfqr_cm_hyperscan_available())
		cross(NFQR_CM_HYPERSCAN, "hyperscan");
	basic(NFQR_CM_AHO_CORASICK, "aho-corasick");
	random_vs_naive(NFQR_CM_AHO_CORASICK, "aho-corasick");
	ends_at_a_guard_page(NFQR_CM_AHO_CORASICK, "aho-corasick");
	if (nfqr_cm_hyperscan_available()) {
		basic(NFQR_CM_HYPERSCAN, "hyperscan");
		random_vs_naive(NFQR_CM_HYPERSCAN, "hyperscan");
		ends_at_a_guard_page(NFQR_CM_HYPERSCAN, "hyperscan");
	} else {
		printf("# hyperscan not available here: AUTO must fall back\n");
		struct nfqr_cm_pattern p = { (const uint8_t *)"x", 1, 0, 0, false, false };
		char err[64];
		struct nfqr_cm *cm = nfqr_cm_build(&p, 1, NFQR_CM_AUTO, err, sizeof(err));
		ok(cm && strcmp(nfqr_cm_backend_name(cm), "aho-corasick") == 0, "auto falls back");
		nfqr_cm_free(cm);
	}
	return tap_done();
}
