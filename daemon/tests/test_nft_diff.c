// SPDX-License-Identifier: GPL-2.0-only
/*
 * Differential test against nft: every rule file of the corpus
 * (tests/corpus/, the rule files of the fuzz corpus, and the shipped
 * dist/examples/rules.nft) goes through nfqringd's loader and, as the
 * chain of a table, through `nft -c -f`: both must accept it, or both
 * refuse it, at the same line.
 *
 * What only nfqringd has (content, payload rewrites, detect, repeat, its
 * extra policies) is taken out of both first: the rest is nft's language.
 * A file whose first line is "# differs(KEY): why" is a known difference:
 * one takes it, the other refuses it, and nfqringd.rules(5) says KEY.
 * Without a usable nft (not root, no nf_tables) the comparisons SKIP; the
 * daemon suite runs this test in a VM with nf_tables as well.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "nfqr_engine.h"
#include "nft.h"

#define MAX_LINES 4096

/* A rule file cut in two: what both understand, for nfqringd and as nft. */
struct pair {
	char *nfqr, *nft;
	size_t nfqr_len, nft_len;
	unsigned nfqr_line[MAX_LINES], nft_line[MAX_LINES];	/* -> line in the file */
	unsigned nfqr_n, nft_n;
	unsigned dropped;                       /* statements only nfqringd has */
};

static void put(char **buf, size_t *len, unsigned *map, unsigned *n, const char *s, size_t sl,
		unsigned line)
{
	*buf = realloc(*buf, *len + sl + 2);
	memcpy(*buf + *len, s, sl);
	*len += sl;
	(*buf)[(*len)++] = '\n';
	(*buf)[*len] = 0;
	if (map && *n < MAX_LINES)
		map[(*n)++] = line;
}

/* The n lines of text (from split()) into p->nft, with their lines in the file. */
static void put_lines(struct pair *p, const char *text, const unsigned *map, unsigned n)
{
	for (unsigned k = 0; text && k < n; k++) {
		size_t l = strcspn(text, "\n");

		put(&p->nft, &p->nft_len, p->nft_line, &p->nft_n, text, l, map[k]);
		text += l + 1;
	}
}

static bool word_in(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w);

	for (size_t i = 0; i + wl <= n; i++)
		if (!memcmp(s + i, w, wl) && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t') &&
		    (i + wl == n || s[i + wl] == ' ' || s[i + wl] == '\t' || s[i + wl] == ';'))
			return true;
	return false;
}

/* Statements end at a newline outside braces (and not after a backslash). */
static void split(const char *text, struct pair *p)
{
	size_t n = strlen(text), start = 0, len_defs = 0, len_sets = 0, len_rules = 0;
	char *defs = NULL, *sets = NULL, *rules = NULL, policy[16] = "accept";
	unsigned line = 1, first = 1, depth = 0, ndefs = 0, nsets = 0, nrules = 0;
	unsigned map_defs[MAX_LINES], map_sets[MAX_LINES], map_rules[MAX_LINES];

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i <= n; i++) {
		const char *s = text + start;
		size_t sl;

		if (i < n && text[i] == '{')
			depth++;
		if (i < n && text[i] == '}' && depth)
			depth--;
		if (i < n && (text[i] != '\n' || depth || (i && text[i - 1] == '\\'))) {
			line += text[i] == '\n';
			continue;
		}
		sl = i - start;
		while (sl && (*s == ' ' || *s == '\t'))
			s++, sl--;
		if (!sl || *s == '#') {
			/* nothing */
		} else if (!strncmp(s, "define ", 7)) {
			put(&defs, &len_defs, map_defs, &ndefs, s, sl, first);
			put(&p->nfqr, &p->nfqr_len, p->nfqr_line, &p->nfqr_n, s, sl, first);
		} else if (!strncmp(s, "set ", 4)) {
			put(&sets, &len_sets, map_sets, &nsets, s, sl, first);
			put(&p->nfqr, &p->nfqr_len, p->nfqr_line, &p->nfqr_n, s, sl, first);
		} else if (!strncmp(s, "policy ", 7)) {
			if (word_in(s, sl, "accept") || word_in(s, sl, "drop")) {
				if (sl - 7 < sizeof(policy) && !word_in(s, sl, "fragment") &&
				    !word_in(s, sl, "malformed") && !word_in(s, sl, "truncated"))
					snprintf(policy, sizeof(policy), "%.*s", (int)(sl - 7), s + 7);
			}
			if (word_in(s, sl, "fragment") || word_in(s, sl, "malformed") ||
			    word_in(s, sl, "truncated"))
				p->dropped++;
			else
				put(&p->nfqr, &p->nfqr_len, p->nfqr_line, &p->nfqr_n, s, sl, first);
		} else if (memmem(s, sl, "@payload", 8) || word_in(s, sl, "payload") ||
			   word_in(s, sl, "detect") || word_in(s, sl, "repeat")) {
			p->dropped++;                   /* nfqringd's own */
		} else {
			put(&rules, &len_rules, map_rules, &nrules, s, sl, first);
			put(&p->nfqr, &p->nfqr_len, p->nfqr_line, &p->nfqr_n, s, sl, first);
		}
		line += i < n && text[i] == '\n';
		start = i + 1;
		first = line;
	}
	/* nft: the defines, then a table with the sets and one chain */
	put_lines(p, defs, map_defs, ndefs);
	put(&p->nft, &p->nft_len, p->nft_line, &p->nft_n, "table inet nfqr_diff {", 22, 0);
	put_lines(p, sets, map_sets, nsets);
	put(&p->nft, &p->nft_len, p->nft_line, &p->nft_n, "chain c {", 9, 0);
	{
		char hdr[96];
		int hl = snprintf(hdr, sizeof(hdr), "type filter hook input priority 0; policy %s;",
				  policy);

		put(&p->nft, &p->nft_len, p->nft_line, &p->nft_n, hdr, (size_t)hl, 0);
	}
	put_lines(p, rules, map_rules, nrules);
	put(&p->nft, &p->nft_len, p->nft_line, &p->nft_n, "}\n}", 3, 0);
	free(defs);
	free(sets);
	free(rules);
	if (!p->nfqr)
		p->nfqr = strdup("");
}

/* The file's line of the first error in msgs ("PREFIX...:LINE:"), through
 * map; 0 when there is none. */
static unsigned first_error_line(const char *msgs, const char *prefix, const unsigned *map,
				 unsigned n)
{
	const char *at = strstr(msgs, prefix);
	unsigned l;

	if (!at || !(at = strchr(at, ':')) || sscanf(at, ":%u:", &l) != 1 || !l || l > n)
		return 0;
	return map[l - 1];
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		s = calloc(1, (size_t)n + 1);
		if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
			free(s);
			s = NULL;
		}
	}
	fclose(f);
	return s;
}

static const char *nft_why;
static char *manpage;
static unsigned compared, agreed;

static void compare(const char *path)
{
	char *text = slurp(path), *msgs = NULL, key[64] = "";
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct nfqr_diag d = { 0 };
	struct nfqr_ruleset *rs;
	struct pair p;
	bool ours, theirs;
	int rc;

	if (!ok(text != NULL, "%s: read", name))
		return;
	if (!strncmp(text, "# differs(", 10))
		sscanf(text + 10, "%63[^)]", key);
	split(text, &p);
	rs = nfqr_ruleset_parse("t.nft", p.nfqr, strlen(p.nfqr), NULL, &d);
	ours = rs != NULL;
	nfqr_ruleset_free(rs);
	if (nft_why) {
		ok(1, "%s: nfqringd %s, nft -c # SKIP %s", name, ours ? "accepts" : "refuses", nft_why);
		goto out;
	}
	rc = nft_check(p.nft, &msgs);
	if (rc > 0 && nft_only_queue_missing(msgs))
		rc = 0;                                 /* the kernel lacks nft_queue */
	theirs = rc == 0;
	compared++;
	if (key[0]) {
		if (ok(theirs != ours && strstr(manpage, key),
		       "%s: a known difference (%s): nft %s, nfqringd %s, nfqringd.rules(5) says so",
		       name, key, theirs ? "accepts" : "refuses", ours ? "accepts" : "refuses"))
			agreed++;
		else
			printf("#   nft %s, nfqringd %s, '%s' %sin the manual\n", theirs ? "accepts" : "refuses",
			       ours ? "accepts" : "refuses", key, strstr(manpage, key) ? "" : "not ");
		goto out;
	}
	if (ours && theirs) {
		ok(1, "%s: both accept it%s", name, p.dropped ? " (without nfqringd's own statements)" : "");
		agreed++;
	} else if (!ours && !theirs) {
		unsigned a = first_error_line(d.n ? d.msgs[0] : "", "t.nft", p.nfqr_line, p.nfqr_n);
		unsigned b = 0;

		/* nft says syntax errors before the others: nfqringd's first must
		 * be one of nft's */
		for (const char *m = msgs; (m = strstr(m, "/tmp/nfqr-nft-")); m++)
			if ((b = first_error_line(m, "/tmp/nfqr-nft-", p.nft_line, p.nft_n)) == a)
				break;
		if (ok(a && a == b, "%s: both refuse it, at line %u", name, a))
			agreed++;
		else
			printf("#   nfqringd at line %u: %s\n#   nft at line %u: %.300s\n", a,
			       d.n ? d.msgs[0] : "", b, msgs);
	} else {
		ok(0, "%s: nft %s it, nfqringd %s it", name, theirs ? "accepts" : "refuses",
		   ours ? "accepts" : "refuses");
		if (!ours)
			for (size_t i = 0; i < d.n; i++)
				printf("#   nfqringd: %s\n", d.msgs[i]);
		else
			printf("#   nft: %.400s\n", msgs);
	}
out:
	nfqr_diag_free(&d);
	free(msgs);
	free(p.nfqr);
	free(p.nft);
	free(text);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void compare_dir(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	char *names[512];
	size_t n = 0;

	if (!ok(dh != NULL, "corpus %s", dir))
		return;
	while ((e = readdir(dh)) && n < 512)
		if (strlen(e->d_name) > 4 && !strcmp(e->d_name + strlen(e->d_name) - 4, ".nft")) {
			char *p = malloc(strlen(dir) + strlen(e->d_name) + 2);

			sprintf(p, "%s/%s", dir, e->d_name);
			names[n++] = p;
		}
	closedir(dh);
	qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		compare(names[i]);
		free(names[i]);
	}
}

int main(int argc, char **argv)
{
	/* from daemon/ (make check) unless told where */
	const char *root = argc > 1 ? argv[1] : ".";
	char path[4096];

	nft_why = nft_find();
	printf("# nft: %s%s%s\n", nft_path()[0] ? nft_path() : "-", nft_why ? ", unusable: " : "",
	       nft_why ? nft_why : "");
	snprintf(path, sizeof(path), "%s/man/nfqringd.rules.5", root);
	manpage = slurp(path);
	if (!ok(manpage != NULL, "nfqringd.rules(5) read"))
		return tap_done();
	snprintf(path, sizeof(path), "%s/tests/corpus", root);
	compare_dir(path);
	snprintf(path, sizeof(path), "%s/fuzz/corpus/rules", root);
	compare_dir(path);
	snprintf(path, sizeof(path), "%s/../dist/examples/rules.nft", root);
	compare(path);
	if (!nft_why)
		ok(compared >= 40 && agreed == compared, "%u of %u rule files agree", agreed, compared);
	free(manpage);
	return tap_done();
}
